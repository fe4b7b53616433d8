"""The pipeline for one scenario: projection → demand → plan → outputs.

Each stage is a plain function of its inputs (see the modules it calls);
this module only wires them together, times them, and writes each stage's
tables into the output folder it is given (the CLI hands it a temporary
folder that becomes the real one only when everything succeeded).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capacity.results import (assignment_table, plan_table, summary_dict, to_jsonable,
                              zone_balance_table)


class Progress:
    """Stage messages with elapsed times on stderr (silent when ``quiet``).

    ``solver_gap`` shows the solver's live gap on one self-overwriting line
    (on a terminal only); the next stage message replaces it.
    """

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.live = sys.stderr.isatty()
        self._open_line = False

    def __call__(self, message: str) -> None:
        if not self.quiet:
            end = "\r\033[K" if self._open_line else ""
            self._open_line = False
            print(f"{end}[{time.perf_counter() - self.t0:7.1f} s] {message}", file=sys.stderr, flush=True)

    def solver_gap(self, seconds, objective, bound, gap) -> None:
        if self.quiet or not self.live:
            return
        best = "no incumbent yet" if not (abs(objective) < 1e300) else f"best {objective:,.0f}"
        shown = f"{gap:.2%}" if gap < 1e300 else "—"
        print(f"\r\033[K          solving: {seconds:6.0f} s, gap {shown}, {best}, bound {bound:,.0f}",
              end="", file=sys.stderr, flush=True)
        self._open_line = True


def write_json(path: Path, obj) -> None:
    """JSON with UTF-8 (Chinese names readable), numpy scalars converted."""
    path.write_text(json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2), encoding="utf-8")


@dataclass(frozen=True)
class ProjectionRun:
    """A projection and the seats it implies (see :func:`project`)."""

    projection: object
    demand: object

    def describe(self) -> str:
        cal = self.projection.calibration
        return (f"projection {self.projection.params.base_year}–{self.projection.params.horizon}, "
                f"variant {self.projection.params.variant}; births within ±3 %: "
                f"{cal.get('births_within_3pct')}, zone totals within 1 %: "
                f"{cal.get('zone_totals_within_1pct')}")


def project(scenario, city, out: Path, quiet: bool = False, progress: Progress | None = None) -> ProjectionRun:
    """Project population and seats needed, and write the projection outputs into ``out``."""
    from capacity.demand import run_demand
    from capacity.demography import run_projection
    from capacity.demography.outputs import write_projection

    progress = progress or Progress(quiet)
    progress(f"projecting population of {len(city.zones)} zones "
             f"({scenario.projection.base_year}–{scenario.projection.horizon}"
             + (f", {scenario.projection.draws} stochastic draws" if scenario.projection.draws else "") + ")")
    projection = run_projection(city, scenario.projection)
    progress("computing seats needed per zone, level and year")
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    names = {z: f"{a} {b}" for z, a, b in zip(city.zones["zone_id"], city.zones["name_local"], city.zones["name_en"])}
    write_projection(projection, demand, out, zone_names=names)
    progress("wrote population, components, school_age, demand and calibration tables")
    return ProjectionRun(projection, demand)


@dataclass(frozen=True)
class PlanRun:
    """A solved scenario: its projection, the plan tables and the summary."""

    projection: ProjectionRun
    plan: pd.DataFrame
    assignment: pd.DataFrame
    zone_balance: pd.DataFrame
    summary: dict

    def describe(self) -> str:
        s = self.summary
        lines = [f"plan {s['scenario']}: status {s['status']}, gap {s['gap']:.2%}, "
                 f"build {s['build_seconds']:.1f} s, solve {s['solve_seconds']:.1f} s"]
        for level, t in s["schools_by_level"].items():
            target = f" (plan: {t['target']})" if t.get("target") is not None else ""
            lines.append(f"  {level:<13} {t['new']:>4} new, {t['expand']:>3} expanded, "
                         f"{t['seats']:>9,.0f} seats{target}")
        first = str(min(int(y) for y in next(iter(s["unserved_pupils"].values()))))
        unserved = sum(v[first] for v in s["unserved_pupils"].values())
        lines.append(f"  cost {s['cost_cny_total'] / 1e9:,.2f} bn CNY; unserved pupils in {first}: {unserved:,.0f}")
        return "\n".join(lines)


def plan_demand(units: pd.DataFrame, years, levels) -> pd.DataFrame:
    """Seats needed per demand unit, level and evaluation year: what the plan must seat.

    ``pupils`` of the result is the unit's *seats needed* (pupils × enrolment
    target, × the general share for high schools, see :mod:`capacity.demand`).
    """
    sel = units[units["year"].isin(list(years)) & units["level"].isin(list(levels))]
    out = sel[["unit_id", "zone_id", "level", "year", "seats_needed"]].rename(columns={"seats_needed": "pupils"})
    out.attrs["units"] = {"pupils": "pupils needing a seat"}
    return out.reset_index(drop=True)


def solver_options(solver, progress: "Progress | None" = None):
    """Scenario solver settings as the optimiser's :class:`SolverOptions`."""
    from capacity.optimize.solvers import SolverOptions

    return SolverOptions(solver=solver.name, time_limit=solver.time_limit_s, gap_rel=solver.mip_gap,
                         threads=solver.threads or None, msg=False,
                         on_progress=progress.solver_gap if progress is not None else None)


def run(scenario, city, out: Path, quiet: bool = False) -> PlanRun:
    """Run a scenario end to end and write every output into ``out``.

    Writes the projection tables (see :func:`project`), then ``plan.csv``,
    ``assignment.csv``, ``zone_balance.csv``, ``summary.json`` and
    ``scenario.json``, then the schedule, maps, GIS layers and report when
    ``scenario.outputs.report`` is set.
    """
    from capacity.optimize.decompose import solve_plan
    from capacity.optimize.geo import build_problem

    progress = Progress(quiet)
    proj = project(scenario, city, out, quiet, progress)
    unit_demand = plan_demand(proj.demand.units, scenario.plan.evaluation_years, scenario.plan.levels)
    progress("building the site-and-timing model")
    problem, index = build_problem(city, unit_demand, scenario.plan, scenario.objective)
    n_arcs = sum(lv.arcs.n for lv in problem.levels)
    n_opts = sum(lv.options.n for lv in problem.levels)
    progress(f"solving with {scenario.solver.name} ({n_opts:,} size/site options, {n_arcs:,} arcs, "
             f"{len(problem.years)} evaluation years; limit {scenario.solver.time_limit_s:.0f} s, "
             f"gap {scenario.solver.mip_gap:.1%})")
    solution = solve_plan(problem, solver_options(scenario.solver, progress), scenario.solver.method, progress)
    progress(f"solved: {solution.report.status}, gap {solution.report.gap:.3%}")
    years = list(scenario.plan.evaluation_years)
    plan_df = plan_table(solution, index)
    assign_df = assignment_table(solution)
    balance_df = zone_balance_table(city, unit_demand, plan_df, solution, years, scenario.plan.levels)
    summary = summary_dict(scenario, city, solution, plan_df, assign_df, balance_df, unit_demand)
    summary["metric_crs"] = city.metric_crs
    plan_df.to_csv(out / "plan.csv", index=False)
    assign_df.to_csv(out / "assignment.csv", index=False)
    balance_df.to_csv(out / "zone_balance.csv", index=False)
    unit_demand.to_csv(out / "unit_demand.csv", index=False)
    write_json(out / "summary.json", summary)
    write_json(out / "scenario.json", scenario.to_dict())
    progress("wrote plan.csv, assignment.csv, zone_balance.csv, summary.json")
    if scenario.outputs.report:
        from capacity.report import write_outputs

        progress("writing schedule, maps, GIS layers and report")
        write_outputs(out, city, scenario, scenario.outputs.formats)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return PlanRun(proj, plan_df, assign_df, balance_df, summary)
