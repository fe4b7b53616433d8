"""What each ``capacity`` command does; :mod:`capacity.cli` parses, this acts."""

from __future__ import annotations

from pathlib import Path

from capacity.errors import DataError, ScenarioError
from capacity.io.atomic import check_output_target


def _echo(args, text=""):
    if not getattr(args, "quiet", False):
        print(text)


def load_inputs(scenario_path):
    """See :func:`capacity.pipeline.load_inputs`."""
    from capacity.pipeline import load_inputs as _load

    return _load(scenario_path)


def cmd_validate(args) -> int:
    from capacity.data import load_city, summarise
    from capacity.data.summary import format_summary

    path = Path(args.path)
    if path.suffix == ".toml" or path.is_file():
        scenario, city = load_inputs(path)
        _echo(args, f"scenario {scenario.name}: {scenario.path}")
        _echo(args, f"  data: {scenario.data}")
        if len(scenario.chain) > 1:
            _echo(args, "  extends: " + " → ".join(p.name for p in scenario.chain[1:]))
    else:
        city = load_city(path)
    _echo(args, format_summary(summarise(city)))
    print("ok")
    return 0


def cmd_import(args) -> int:
    from capacity.importer import import_folder

    result = import_folder(args.spec, args.out, force=args.force)
    _echo(args, result.describe())
    print(f"wrote {args.out}; next: capacity validate {args.out}")
    return 0


def _out_dir(args, scenario) -> Path:
    return Path(args.out) if args.out else Path("outputs") / scenario.name


def _write(args, result, out: Path) -> int:
    """Write ``result`` (:func:`capacity.io.write_run`) into ``out``, whole or not at all."""
    from capacity.io import write_run
    from capacity.io.atomic import output_folder

    with output_folder(out, force=args.force) as tmp:
        write_run(result, tmp)
    _echo(args, result.describe())
    print(f"wrote {out}")
    return 0


def cmd_project(args) -> int:
    from capacity.pipeline import project
    from capacity.progress import Progress

    scenario, city = load_inputs(args.scenario)
    out = _out_dir(args, scenario)
    check_output_target(out, args.force)  # before the long work, not after it
    return _write(args, project(scenario, city, Progress(args.quiet)), out)


def run_scenario(scenario, city, progress=None):
    """The whole of ``capacity run`` in memory: project, plan and, if the scenario asks, report.

    Parameters
    ----------
    scenario : Scenario
    city : CityData
        With the scenario's standards applied (:func:`load_inputs`).
    progress : callable, optional
        ``progress(message)``, e.g. :class:`capacity.progress.Progress`.

    Returns
    -------
    PlanRun or ReportRun
        Write it with :func:`capacity.io.write_run`.
    """
    from capacity.pipeline import plan, project

    result = plan(scenario, city, project(scenario, city, progress), progress)
    if scenario.outputs.report:
        from capacity.report import report

        if progress is not None:
            progress("making schedule, maps, GIS layers and report")
        result = report(result, city, scenario)
    return result


def cmd_run(args) -> int:
    from capacity.progress import Progress

    scenario, city = load_inputs(args.scenario)
    if getattr(args, "lang", None):  # --lang: the report's language instead of the scenario's
        import dataclasses

        scenario = dataclasses.replace(scenario, outputs=dataclasses.replace(scenario.outputs, language=args.lang))
    out = _out_dir(args, scenario)
    check_output_target(out, args.force)  # before the long work, not after it
    progress = Progress(args.quiet)
    result = run_scenario(scenario, city, progress)
    progress(f"writing {out}")
    return _write(args, result, out)


def cmd_report(args) -> int:
    """Read a run folder, make its report and write the report's files into it (``--force`` to redo;
    ``--lang`` or ``--pdf`` ask for it again too). ``--pdf`` then prints ``report.pdf``."""
    import os
    import shutil
    import tempfile

    from capacity.io import read_run
    from capacity.io.atomic import OutputExistsError
    from capacity.io.jsonfile import write_json
    from capacity.io.run import city_of, write_report
    from capacity.report import report

    folder = Path(args.run)
    lang, pdf = getattr(args, "lang", None), getattr(args, "pdf", False)
    if pdf:  # before any work: a clear message when Chromium is missing
        from capacity.report.pdf import require_chromium

        require_chromium()
    run = read_run(folder)
    if (folder / "report.html").exists() and not (args.force or lang or pdf):
        raise OutputExistsError(f"{folder} already has a report; pass --force to make it again")
    formats = tuple(args.format) if args.format else None
    rep = report(run, city_of(run.scenario), run.scenario, formats, lang=lang)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.report-", dir=folder.parent))
    try:
        files = write_report(rep, tmp)
        if rep.summary is not run.summary:
            files.append(write_json(tmp / "summary.json", rep.summary))
        for f in files:  # every file is complete before the first one is moved in
            target = folder / f.relative_to(tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if pdf:
        from capacity.report.pdf import write_pdf

        _echo(args, f"wrote {write_pdf(folder / 'report.html')}")
    _echo(args, rep.describe())
    print(f"wrote the report into {folder}")
    return 0


def cmd_verify(args) -> int:
    from capacity.verify import verify_run

    checks = verify_run(args.run)
    for c in checks:
        _echo(args, f"{'PASS' if c.ok else 'FAIL'}  {c.name:<13} {c.detail}")
    failed = [c.name for c in checks if not c.ok]
    print("ok" if not failed else f"verification failed: {', '.join(failed)}")
    return 0 if not failed else 2


def cmd_rollover(args) -> int:
    from capacity.rollover import rollover

    counts = rollover(args.run, args.out, force=args.force)
    for r in counts.itertuples(index=False):
        _echo(args, f"  {r.level:<13} {r.existing:>5} existing + {r.new:>4} new − {r.closed:>3} closed "
                    f"− {r.converted:>3} converted = {r.next:>5}")
    print(f"wrote {args.out}")
    return 0


def cmd_compare(args) -> int:
    from capacity.compare import compare_runs
    from capacity.io.atomic import output_folder

    if len(args.runs) < 2:
        raise ScenarioError("compare needs at least two run folders")
    out = Path(args.out) if args.out else Path("outputs") / ("compare-" + "-".join(p.name for p in args.runs))
    with output_folder(out, force=args.force) as tmp:
        text = compare_runs(args.runs, tmp)
    _echo(args, text)
    print(f"wrote {out}")
    return 0


def cmd_export(args) -> int:
    from capacity.io.atomic import output_folder
    from capacity.io.run import export_run

    out = Path(args.out) if args.out else Path(args.run) / f"gis-{args.format}"
    with output_folder(out, force=args.force) as tmp:
        files = export_run(Path(args.run), tmp, args.format)
    _echo(args, "\n".join(str(out / f.relative_to(tmp)) for f in files))
    print(f"wrote {out}")
    return 0


def cmd_ensemble(args) -> int:
    from capacity.ensemble import EnsembleParams, make_runner, run_ensemble, write_ensemble
    from capacity.io.atomic import output_folder

    scenario, city = load_inputs(args.scenario)
    fit = args.fit_draws if args.fit_draws is not None else min(5, args.draws // 2)
    try:
        params = EnsembleParams(draws=args.draws, seed=scenario.projection.seed if args.seed is None else args.seed,
                                fit_draws=fit, robust=args.robust, time_limit_s=args.time_limit,
                                mip_gap=args.gap, fan_years=args.fan_years)
    except ValueError as exc:
        raise ScenarioError(f"ensemble options: {exc}") from None
    out = Path(args.out) if args.out else Path("outputs") / f"{scenario.name}-ensemble"
    plan, plan_path = None, None
    if args.plan is not None:
        from capacity.io.run import read_plan

        plan_path = args.plan / "plan.csv" if args.plan.is_dir() else args.plan
        if not plan_path.is_file():
            raise DataError("no plan.csv here; give a `capacity run` output folder or its plan.csv", path=plan_path)
        plan = read_plan(plan_path)
    if args.serial:
        runner = make_runner("serial", quiet=args.quiet)
    elif args.scheduler:
        runner = make_runner("address", quiet=args.quiet, address=args.scheduler)
    else:
        runner = make_runner("local", quiet=args.quiet, workers=args.workers)
    try:
        with output_folder(out, force=args.force) as tmp:
            result = run_ensemble(scenario, city, params, runner, quiet=args.quiet, plan=plan, plan_source=plan_path)
            write_ensemble(result, city, scenario, tmp)
    finally:
        runner.close()
    s = result.summary
    held = s["regret"]["held_out"]
    _echo(args, f"ensemble {s['scenario']}: {s['draws']} draws on {s['runner']} in {s['timing']['total_s']:.0f} s "
                f"({s['timing']['draws_per_minute']:.2f} draws/min)")
    for plan, r in held.items():
        _echo(args, f"  {plan:<9} plan: mean regret {r['mean']:,.1f} over {r['draws']} held-out draws "
                    f"(mean unserved {r['mean_unserved']:,.0f} pupils, cost {r['mean_cost_cny'] / 1e9:,.2f} bn CNY)")
    print(f"wrote {out}")
    return 0


def cmd_backtest(args) -> int:
    from capacity.demography.backtest_io import backtest_command

    return backtest_command(args, load_inputs(args.scenario))
