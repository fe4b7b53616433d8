"""The stages of one scenario, computed in memory: projection → demand → plan.

Each stage is a function of its inputs that returns a frozen result holding
DataFrames; nothing here reads or writes a file. Writing is one step at the
edge (:func:`capacity.io.write_run`), so a notebook gets every table without a
folder::

    scenario, city = capacity.load_inputs("scenarios/baseline.toml")
    result = capacity.plan(scenario, city)
    result.plan, result.assignment, result.zone_balance, result.summary

The flow of ``capacity run`` (:func:`capacity.commands.run_scenario`):
:func:`project` (population and the seats it implies) → :func:`plan` (the
site-and-timing MILP and the run's tables, the summary with its target checks
computed once) → :func:`capacity.report.report` (schedule, maps, GIS layers,
HTML; optional) → :func:`capacity.io.write_run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from capacity.progress import Progress, silent  # noqa: F401  (Progress: old import path)


@dataclass(frozen=True)
class ProjectionRun:
    """A projection and the seats it implies (see :func:`project`).

    Attributes
    ----------
    projection : ProjectionResult
        From :func:`capacity.demography.run_projection` (population, components, calibration).
    demand : DemandResult
        From :func:`capacity.demand.run_demand` (school age, seats needed, checks, unit demand).
    zone_names : dict of str to str
        ``"<local name> <English name>"`` per zone id (chart titles).
    """

    projection: object
    demand: object
    zone_names: dict = field(default_factory=dict)

    def describe(self) -> str:
        cal = self.projection.calibration
        return (f"projection {self.projection.params.base_year}–{self.projection.params.horizon}, "
                f"variant {self.projection.params.variant}; births within ±3 %: "
                f"{cal.get('births_within_3pct')}, zone totals within 1 %: "
                f"{cal.get('zone_totals_within_1pct')}")


@dataclass(frozen=True)
class PlanRun:
    """A solved scenario: its projection, the plan's tables and the summary.

    Attributes
    ----------
    projection : ProjectionRun
    plan, assignment, zone_balance, unit_demand : DataFrame
        The run's tables (columns in :mod:`capacity.io.schema`).
    summary : dict
        Every headline number, JSON-ready, with the target checks under ``targets``.
    scenario : dict
        :meth:`capacity.scenario.Scenario.to_dict` (``scenario.json``).
    """

    projection: ProjectionRun
    plan: pd.DataFrame
    assignment: pd.DataFrame
    zone_balance: pd.DataFrame
    unit_demand: pd.DataFrame
    summary: dict
    scenario: dict

    @property
    def years(self) -> list[int]:
        """Evaluation years [year]; the first is the plan's target year."""
        return [int(y) for y in self.scenario["plan"]["evaluation_years"]]

    def describe(self) -> str:
        return describe_summary(self.summary)


def describe_summary(s: dict) -> str:
    """The few lines ``capacity run`` prints about a plan's summary."""
    lines = [f"plan {s['scenario']}: status {s['status']}, gap {s['gap']:.2%}, "
             f"build {s['build_seconds']:.1f} s, solve {s['solve_seconds']:.1f} s"]
    if "gap_without_constant" in s:
        lines.append(f"  (the gap is of the whole present cost, existing schools' running costs included; "
                     f"{s['gap_absolute']:,.1f} objective units, {s['gap_without_constant']:.2%} of the rest)")
    for level, t in s["schools_by_level"].items():
        target = f" (plan: {t['target']})" if t.get("target") is not None else ""
        shut = (f", {t.get('close', 0)} closed, {t.get('convert', 0)} converted"
                if t.get("close") or t.get("convert") else "")
        lines.append(f"  {level:<13} {t['new']:>4} new, {t['expand']:>3} expanded, "
                     f"{t['seats']:>9,.0f} seats{target}{shut}")
    first = str(min(int(y) for y in next(iter(s["unserved_pupils"].values()))))
    unserved = sum(v[first] for v in s["unserved_pupils"].values())
    split = (s.get("unserved_by_cause") or {}).get("by_level_and_year") or {}
    causes = {c: sum((v.get(first) or {}).get(c, 0.0) for v in split.values()) for c in ("lag", "reach", "capacity")}
    why = (f" (before a new school can open {causes['lag']:,.0f}, out of reach {causes['reach']:,.0f}, "
           f"capacity {causes['capacity']:,.0f})" if split and unserved > 0 else "")
    lines.append(f"  cost {s['cost_cny_total'] / 1e9:,.2f} bn CNY; unserved pupils in {first}: {unserved:,.0f}{why}")
    return "\n".join(lines)


def load_inputs(scenario_path):
    """Scenario, then its data folder, checked against each other.

    Returns
    -------
    (Scenario, CityData)
        The city carries the scenario's standards overrides.

    Raises
    ------
    ScenarioError, DataError
    """
    from capacity.data import load_city
    from capacity.scenario import apply_standards, check_against_city, load_scenario

    scenario = load_scenario(scenario_path)
    city = load_city(scenario.data)
    check_against_city(scenario, city)
    return scenario, apply_standards(scenario, city)


def project(scenario, city, progress=None) -> ProjectionRun:
    """Project population and the seats it implies (no files).

    Parameters
    ----------
    scenario : Scenario
    city : CityData
        With the scenario's standards applied (:func:`capacity.load_inputs`).
    progress : callable, optional
        ``progress(message)`` per step (e.g. :class:`capacity.progress.Progress`).

    Returns
    -------
    ProjectionRun
    """
    from capacity.demand import run_demand
    from capacity.demography import run_projection

    progress = progress or silent
    progress(f"projecting population of {len(city.zones)} zones "
             f"({scenario.projection.base_year}–{scenario.projection.horizon}"
             + (f", {scenario.projection.draws} stochastic draws" if scenario.projection.draws else "") + ")")
    projection = run_projection(city, scenario.projection)
    progress("computing seats needed per zone, level and year")
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    names = {z: f"{a} {b}" for z, a, b in zip(city.zones["zone_id"], city.zones["name_local"], city.zones["name_en"])}
    return ProjectionRun(projection, demand, names)


@dataclass(frozen=True)
class PlanProblem:
    """The site-and-timing problem of a scenario, built and not yet solved (see :func:`build_problem`).

    Attributes
    ----------
    projection : ProjectionRun
    unit_demand : DataFrame
        Pupils per demand unit, level and evaluation year, as the optimiser sees them.
    problem : Problem
        The optimiser's problem (:mod:`capacity.optimize.problem`).
    index : object
        Maps the problem's positions back to schools, sites and units (:mod:`capacity.optimize.translate`).
    """

    projection: ProjectionRun
    unit_demand: pd.DataFrame
    problem: object
    index: object


def build_problem(scenario, city, projection: ProjectionRun | None = None, progress=None) -> PlanProblem:
    """The problem :func:`plan` solves: demand per unit, T9's special rule, the optimiser's problem.

    Used by :func:`plan`, and by the ensemble and ``capacity sweep``, which solve it
    their own way and hand the solution to :func:`plan_tables`.
    """
    from capacity.demand.special import zone_totals
    from capacity.optimize.translate import plan_demand, problem_from_scenario, special_demand

    progress = progress or silent
    proj = projection if projection is not None else project(scenario, city, progress)
    unit_demand = plan_demand(proj.demand.units, scenario.plan.evaluation_years, scenario.plan.levels)
    progress("building the site-and-timing model")
    plan_end = zone_totals(proj.projection.population, max(scenario.plan.build_years))  # T9's population
    unit_demand = special_demand(unit_demand, scenario, city, plan_end)
    problem, index = problem_from_scenario(scenario, city, unit_demand, zone_population=plan_end)
    return PlanProblem(proj, unit_demand, problem, index)


def plan_tables(scenario, city, built: PlanProblem, solution) -> PlanRun:
    """The run's tables and summary (targets checked once) from a solution of ``built.problem``."""
    from capacity.demand.targets import check_targets, target_inputs
    from capacity.optimize.unserved import cause_summary, unserved_by_cause
    from capacity.results import assignment_table, plan_table, summary_dict, zone_balance_table

    proj, unit_demand = built.projection, built.unit_demand
    years = list(scenario.plan.evaluation_years)
    plan_df = plan_table(solution, built.index, city.schools)
    assign_df = assignment_table(solution)
    balance_df = zone_balance_table(city, unit_demand, plan_df, solution, years, scenario.plan.levels)
    scenario_dict = scenario.to_dict()
    persons = proj.demand.school_age[["zone_id", "year", "level", "persons"]]
    targets = check_targets(target_inputs(plan_df, balance_df, persons, scenario_dict, city))
    summary = summary_dict(scenario, city, solution, plan_df, assign_df, balance_df, unit_demand, targets)
    summary["unserved_by_cause"] = cause_summary(unserved_by_cause(solution.unserved, built.problem),
                                                 built.problem)
    summary.update(constant_gap(built.problem, solution.report))
    return PlanRun(proj, plan_df, assign_df, balance_df, unit_demand, summary, scenario_dict)


def constant_gap(problem, report) -> dict:
    """With the existing schools' running costs counted (``weights.existing_running``): the constant
    [objective units], and the gap measured on the rest of the objective — what the decisions move
    (the certified gap ``report.gap`` is relative to the whole present cost). Empty otherwise."""
    from capacity.optimize.closures import existing_running_cny

    if not getattr(problem.weights, "existing_running", False):
        return {}
    constant = problem.weights.cost * existing_running_cny(problem)
    rest = report.objective - constant
    return {"objective_constant": constant,
            "gap_absolute": report.objective - report.best_bound,
            "gap_without_constant": (report.objective - report.best_bound) / abs(rest) if rest else float("nan")}


def plan(scenario, city, projection: ProjectionRun | None = None, progress=None) -> PlanRun:
    """Solve a scenario's plan and make its tables and summary (no files).

    :func:`build_problem` → :func:`capacity.optimize.solve` → :func:`plan_tables`.

    Parameters
    ----------
    scenario : Scenario
    city : CityData
        With the scenario's standards applied.
    projection : ProjectionRun, optional
        From :func:`project` (made here when not given).
    progress : callable, optional
        ``progress(message)``; a :class:`~capacity.progress.Progress` also shows the solver's live gap.

    Returns
    -------
    PlanRun

    Raises
    ------
    InfeasibleError, SolverError
        The plan cannot be met, or the solver found no solution.
    """
    from capacity.optimize import solve
    from capacity.optimize.translate import solver_options

    progress = progress or silent
    built = build_problem(scenario, city, projection, progress)
    problem = built.problem
    n_arcs = sum(lv.arcs.n for lv in problem.levels)
    n_opts = sum(lv.options.n for lv in problem.levels)
    progress(f"solving with {scenario.solver.name} ({n_opts:,} size/site options, {n_arcs:,} arcs, "
             f"{len(problem.years)} evaluation years; limit {scenario.solver.time_limit_s:.0f} s, "
             f"gap {scenario.solver.mip_gap:.1%})")
    options = solver_options(scenario.solver, on_progress=getattr(progress, "solver_gap", None))
    solution = solve(problem, options, method=scenario.solver.method, progress=progress)
    progress(f"solved: {solution.report.status}, gap {solution.report.gap:.3%}")
    return plan_tables(scenario, city, built, solution)


def write_json(path, obj):
    """Deprecated: use :func:`capacity.io.jsonfile.write_json` (kept for old callers)."""
    from capacity.io.jsonfile import write_json as _write

    return _write(path, obj)


def __getattr__(name):  # old names of helpers that moved to capacity.optimize.translate
    if name in ("plan_demand", "solver_options"):
        import warnings

        from capacity.optimize import translate

        warnings.warn(f"capacity.pipeline.{name} moved to capacity.optimize.translate.{name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(translate, name)
    raise AttributeError(f"module 'capacity.pipeline' has no attribute {name!r}")
