"""``capacity sweep``: many scenarios, and each scenario's level solves, as Dask tasks.

:func:`run_sweep` checks every scenario file first (a bad file or two
scenarios with one name stop the sweep before any work), then for each
scenario, on the driver, projects the population and builds its problem
with :func:`capacity.pipeline.build_problem` (the problem ``capacity run``
solves), and hands the solves to an executor:

* a scenario the optimiser splits by level (:func:`capacity.optimize.api.uses_levels`)
  becomes one task per level — the level without the budget rows, the first
  round of :func:`capacity.optimize.decompose.solve_by_level` — and one
  ``combine`` task that unites them when every year's budget holds (the
  bound, the sum of the level bounds, certifies the gap as it does there),
  and otherwise solves the scenario with the optimiser's own budget
  coordination (:func:`capacity.optimize.solve`, which repeats the first
  round inside that task);
* any other scenario — one level, a joint method, levels coupled by
  conversions from one level to another, or aggregated demand units — is
  one task (:func:`capacity.optimize.solve`).

Tasks are pure functions of pickled numpy problems; every solve uses one
thread and no worker processes of its own, so the serial executor, a local
Dask cluster and a remote scheduler give the same plans (unless a solve
stops on its time limit). As each scenario's solve finishes, the driver makes
its tables, summary and (optionally) report exactly as ``capacity run`` does
and writes ``DIR/<scenario name>/`` with :func:`capacity.io.write_run`, whole or
not at all; ``DIR/sweep.csv`` and ``sweep.xlsx`` hold one row of headline
figures per scenario, in the order the files were given.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity import LEVELS
from capacity.errors import CapacityError, InfeasibleError, ScenarioError, UsageError

ACTIONS = (("new", "new"), ("expand", "expanded"), ("close", "closed"), ("convert", "converted"))
"""``schools_by_level`` keys of the summary and the sweep table's column suffixes."""


@dataclass(frozen=True)
class Entry:
    """A scenario file of the sweep, loaded and checked against its data.

    Attributes
    ----------
    path : Path
    scenario : Scenario
    city : CityData
        With the scenario's standards applied.
    """

    path: Path
    scenario: object
    city: object

    @property
    def name(self) -> str:
        return self.scenario.name


def load_scenarios(paths) -> list[Entry]:
    """Load and check every scenario before any work.

    Raises
    ------
    ScenarioError, DataError
        Naming the scenario file: it is missing, invalid, its data folder is,
        or two files give one scenario name (both files are named).
    """
    from capacity.pipeline import load_inputs

    entries, seen = [], {}
    for path in map(Path, paths):
        if not path.is_file():
            raise ScenarioError("no such scenario file" if not path.exists() else "not a file", path=path)
        try:
            scenario, city = load_inputs(path)
        except CapacityError as exc:
            if str(path) in str(exc):
                raise
            raise ScenarioError(f"this scenario cannot run: {exc}", path=path) from None
        if scenario.name in seen:
            raise ScenarioError(f"scenario name {scenario.name!r} is also the name of {seen[scenario.name]}; "
                                "each run folder is DIR/<scenario name>, so names must differ", path=path,
                                key="name")
        seen[scenario.name] = path
        entries.append(Entry(path, scenario, city))
    if not entries:
        raise UsageError("capacity sweep: give at least one scenario file")
    return entries


# ---------------------------------------------------------------- tasks (run on any executor)

def solve_level(problem, options):
    """One level's first-round solve (no budget rows): a task."""
    from capacity.optimize import solve

    return solve(problem, options, method="joint")


def solve_whole(problem, options, method: str):
    """A scenario's solve as ``capacity run`` makes it (:func:`capacity.optimize.solve`): a task."""
    from capacity.optimize import solve

    return solve(problem, options, method=method)


def combine(problem, options, method: str, names: tuple, *solutions):
    """The level solutions united when they keep every year's budget; else the optimiser's coordination.

    Returns
    -------
    (Solution, bool)
        The solution and whether the budgets made it re-solve the scenario.
    """
    from capacity.optimize.decompose import BUDGET_TOLERANCE, merge_levels, spending

    if problem.budget_cny is not None:
        budget = np.asarray(problem.budget_cny, dtype=float)
        total = sum(spending(s, problem.build_years) for s in solutions)
        if not np.all(total <= budget * (1 + BUDGET_TOLERANCE)):
            return solve_whole(problem, options, method), True
    return merge_levels(solutions), False


# ---------------------------------------------------------------- executors

class _Done:
    """A finished result (the serial executor's future)."""

    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class SerialExecutor:
    """Run each task when submitted, in this process."""

    name = "serial"

    def submit(self, fn, *args):
        args = [a.result() if isinstance(a, _Done) else a for a in args]
        try:
            return _Done(fn(*args))
        except CapacityError as exc:
            return _Done(error=exc)

    def share(self, value):
        return value

    def completed(self, futures):
        yield from futures

    def close(self):
        pass


class DaskExecutor:
    """Tasks on a Dask ``distributed`` client (a local cluster, or a scheduler by address)."""

    def __init__(self, runner):
        self.runner, self.client, self.name = runner, runner.client, runner.name

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def share(self, value):
        return self.client.scatter(value, hash=False)

    def completed(self, futures):
        from distributed import as_completed

        yield from as_completed(futures)

    def close(self):
        self.runner.close()


def make_executor(serial: bool = False, scheduler: str | None = None, workers: int | None = None,
                  quiet: bool = False):
    """The serial executor, a client of ``scheduler``, or a local cluster of ``workers`` processes."""
    if serial:
        return SerialExecutor()
    from capacity.ensemble.runners import make_runner

    if scheduler:
        return DaskExecutor(make_runner("address", quiet=quiet, address=scheduler))
    return DaskExecutor(make_runner("local", quiet=quiet, workers=workers))


# ---------------------------------------------------------------- the driver

def prepare(entry: Entry):
    """Project one scenario and build its problem as ``capacity run`` does: a
    :class:`capacity.pipeline.PlanProblem` (:func:`capacity.pipeline.build_problem`)."""
    from capacity.pipeline import build_problem

    return build_problem(entry.scenario, entry.city)


def submit_solve(executor, entry: Entry, prep):
    """Submit a scenario's solve: one task per level and a ``combine`` task, or one task.

    Returns
    -------
    (future, int)
        A future of ``(Solution, re-solved)`` and the number of tasks submitted.
    """
    from capacity.optimize.api import uses_levels
    from capacity.optimize.decompose import level_problem
    from capacity.optimize.translate import solver_options

    sc = entry.scenario
    options = solver_options(sc.solver, threads=1, level_workers=1)
    method = sc.solver.method
    problem = prep.problem
    # levels coupled by conversions between them, or merged demand units, take the optimiser's own path
    coupled = bool(getattr(problem, "conversions", None)) or getattr(options, "aggregate_m", None) is not None
    if coupled or not uses_levels(problem, method):
        return executor.submit(_whole_task, problem, options, method), 1
    names = tuple(lv.name for lv in problem.levels)
    levels = [executor.submit(solve_level, level_problem(problem, n), options) for n in names]
    shared = executor.share(problem)
    return executor.submit(combine, shared, options, method, names, *levels), len(levels) + 1


def _whole_task(problem, options, method):
    return solve_whole(problem, options, method), False


def finish(entry: Entry, prep, solution, report: bool):
    """The run's tables, summary and report from its solution, exactly as ``capacity run`` makes them.

    :func:`capacity.pipeline.plan_tables` on the problem :func:`prepare` built, then
    the report as :func:`capacity.commands.run_scenario` makes it;
    ``tests/test_sweep.py`` checks a sweep's run folder against ``capacity run``'s.
    """
    from capacity.pipeline import plan_tables

    sc, city = entry.scenario, entry.city
    result = plan_tables(sc, city, prep, solution)
    if report:
        from capacity.report import report as make_report

        result = make_report(result, city, sc)
    return result


def headline(entry: Entry, summary: dict | None, status: str | None = None) -> dict:
    """One row of the sweep table from a run's summary (or a failed scenario's status)."""
    row = {"scenario": entry.name, "file": str(entry.path)}
    if summary is None:
        row["status"] = status
        return row
    levels = summary["schools_by_level"]
    first = str(min(int(y) for y in next(iter(summary["unserved_pupils"].values()))))
    met = [t.get("met") for t in summary.get("targets", [])]
    # headline precision: 10 significant digits of the objective, 6 of the gap, whole CNY, 1/1000 pupil —
    # a table that reads the same whichever process solved (the solver's floating-point sums may differ
    # in the last bits between a worker and the driver, benchmarks/README.md "Sweep")
    row.update({"status": summary["status"], "gap": _sig(summary["gap"], 6), "objective": _sig(summary["objective"], 10)})
    for level in LEVELS:
        for key, label in ACTIONS:
            if level in levels:
                row[f"{level}_{label}"] = int(levels[level].get(key, 0))
    row.update({"cost_cny": round(float(summary["cost_cny_total"])), "target_year": int(first),
                "unserved_pupils": round(float(sum(v[first] for v in summary["unserved_pupils"].values())), 3),
                "targets_met": sum(m is True for m in met), "targets_checked": sum(m is not None for m in met)})
    return row


def _sig(x, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits (NaN and infinities unchanged)."""
    x = float(x)
    return float(f"{x:.{digits}g}") if np.isfinite(x) else x


def sweep_table(rows: list[dict]) -> pd.DataFrame:
    """The side-by-side table, one row per scenario in the order given; integer counts stay integers."""
    table = pd.DataFrame(rows)
    counts = [c for c in table.columns if c.endswith(tuple(f"_{label}" for _, label in ACTIONS))]
    counts += [c for c in ("target_year", "targets_met", "targets_checked") if c in table]
    for c in counts:
        table[c] = table[c].astype("Int64")
    table.attrs["units"] = {"cost_cny": "CNY", "unserved_pupils": "pupils in target_year",
                            "gap": "share", "objective": "objective units"}
    return table


def _write_file(path: Path, write) -> None:
    """``write(tmp)`` then move into ``path``: the file is whole or absent."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(table: pd.DataFrame, out: Path) -> list[Path]:
    """``sweep.csv`` (UTF-8) and ``sweep.xlsx`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    csv, xlsx = out / "sweep.csv", out / "sweep.xlsx"
    _write_file(csv, lambda p: table.to_csv(p, index=False))
    _write_file(xlsx, lambda p: table.to_excel(p, index=False, sheet_name="sweep", engine="openpyxl"))
    return [csv, xlsx]


def run_sweep(paths, out, executor, report: bool | None = None, force: bool = False, progress=None,
              entries=None):
    """Run every scenario of ``paths`` and write ``out/<name>/`` and ``out/sweep.csv`` (see the module docstring).

    Parameters
    ----------
    paths : sequence of str or Path
        Scenario files.
    out : str or Path
        The sweep's folder.
    executor : SerialExecutor or DaskExecutor
    report : bool, optional
        Make each run's report; default: each scenario's ``outputs.report``.
    force : bool
        Replace run folders that exist.
    progress : callable, optional
        ``progress(message)``.
    entries : list of Entry, optional
        :func:`load_scenarios` of ``paths`` when already made.

    Returns
    -------
    (DataFrame, list of str)
        The sweep table and the scenarios that failed (no feasible plan or a solver failure).
    """
    from capacity.io import write_run
    from capacity.io.atomic import check_output_target, output_folder

    say = progress or (lambda message: None)
    out = Path(out)
    entries = entries if entries is not None else load_scenarios(paths)
    for e in entries:
        check_output_target(out / e.name, force)
    say(f"{len(entries)} scenario(s) checked: {', '.join(e.name for e in entries)}; solving on {executor.name}")
    pending, preps, rows, failed = {}, {}, {}, []

    def fail(i, exc):
        failed.append(entries[i].name)
        say(f"{entries[i].name}: FAILED — {exc}")
        rows[i] = headline(entries[i], None, f"failed: {exc}")

    for i, e in enumerate(entries):
        say(f"{e.name}: projecting and building the model")
        try:
            preps[i] = prepare(e)
            fut, n = submit_solve(executor, e, preps[i])
        except CapacityError as exc:
            if exc.exit_status != 2:  # bad input: stop; no feasible plan: this scenario fails, the sweep goes on
                raise
            fail(i, exc)
            continue
        pending[fut] = i
        say(f"{e.name}: {n} solve task(s) submitted")
    for fut in executor.completed(list(pending)):
        i = pending[fut]
        e = entries[i]
        try:
            solution, resolved = fut.result()
        except CapacityError as exc:
            if exc.exit_status != 2:
                raise
            fail(i, exc)
            continue
        if resolved:
            say(f"{e.name}: the levels overspent a year's budget; solved again with the budget coordination")
        rep = solution.report
        say(f"{e.name}: {rep.status}, gap {rep.gap:.3%}; writing {out / e.name}")
        make = e.scenario.outputs.report if report is None else report
        result = finish(e, preps.pop(i), solution, make)
        with output_folder(out / e.name, force=force) as tmp:
            write_run(result, tmp)
        rows[i] = headline(e, result.summary)
        say(f"{e.name}: done ({len(rows)}/{len(entries)})")
    table = sweep_table([rows[i] for i in range(len(entries))])
    write_table(table, out)
    return table, failed


def cmd_sweep(args) -> int:
    """``capacity sweep``: see :func:`run_sweep`; exit 2 when a scenario had no feasible plan."""
    from capacity.io.atomic import check_output_target
    from capacity.progress import Progress

    progress = Progress(args.quiet)
    entries = load_scenarios(args.scenarios)  # bad files: exit 1 before a cluster starts
    for e in entries:
        check_output_target(Path(args.out) / e.name, args.force)
    progress(f"{len(entries)} scenario file(s) checked; starting "
             + ("the serial run" if args.serial else f"the Dask client ({args.scheduler or 'local cluster'})"))
    executor = make_executor(args.serial, args.scheduler, args.workers, quiet=args.quiet)
    try:
        table, failed = run_sweep(args.scenarios, args.out, executor, report=args.report, force=args.force,
                                  progress=progress, entries=entries)
    finally:
        executor.close()
    if not args.quiet:
        shown = table.drop(columns=["file"]).set_index("scenario").T
        print(shown.to_string())
    print(f"wrote {args.out}/sweep.csv and {len(table) - len(failed)} run folder(s)"
          + (f"; no plan for {', '.join(failed)}" if failed else ""))
    if failed:
        raise InfeasibleError(f"{len(failed)} scenario(s) had no feasible plan or a solver failure: "
                              + ", ".join(failed) + " (the other run folders and sweep.csv were written)")
    return 0


__all__ = ["Entry", "load_scenarios", "run_sweep", "cmd_sweep", "make_executor", "sweep_table", "headline"]
