"""Orchestrator: a scenario and N demographic draws in, the ensemble's tables out.

:func:`run_ensemble` projects the scenario once (its variant, e.g. medium),
builds its problem, draws N fertility/migration paths from child seeds of
``seed`` and turns each into unit demand on the driver (cheap, seconds),
then hands the solves to a runner (:mod:`capacity.ensemble.runners`):

0. the scenario's own plan (``baseline``) on the medium projection, with
   the scenario's solver limit and gap (or read from a ``plan.csv``);
1. the robust plan on draws 0..K−1 (:mod:`capacity.ensemble.robust`) and the
   re-optimised plan of every draw, each starting from the scenario's plan
   (a MIP start: feasible in every draw, so no re-optimisation ends worse
   than it);
2. the fixed plans on every draw (assignment LPs,
   :func:`capacity.optimize.evaluate`).

Every solve uses one thread and the ensemble's time limit and gap; results
are sorted by draw, so a serial run, a local cluster and a remote scheduler
give the same tables for the same seed (unless a solve stops on its time
limit, where the incumbent depends on the machine's speed).
:func:`write_ensemble` writes the files.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from capacity.ensemble import aggregate
from capacity.ensemble.params import EnsembleParams
from capacity.ensemble.tasks import DrawItem, Shared, run_task


@dataclass(frozen=True)
class EnsembleResult:
    """An ensemble's tables (see :mod:`capacity.ensemble.aggregate`) and its summary.

    Attributes
    ----------
    params : EnsembleParams
    draws, draw_summary, site_frequency, unserved_quantiles : DataFrame
    baseline_plan, robust_plan : DataFrame
        ``plan.csv``-style tables of the two fixed plans (robust: empty when K = 0).
    opened : DataFrame
        Every draw's optimal plan (``Solution.opened`` rows with ``draw``).
    summary : dict
        Settings, timings, regret of each plan (held-out draws), spread of
        unserved pupils and cost; JSON-ready.
    """

    params: EnsembleParams
    draws: pd.DataFrame
    draw_summary: pd.DataFrame
    site_frequency: pd.DataFrame
    unserved_quantiles: pd.DataFrame
    baseline_plan: pd.DataFrame
    robust_plan: pd.DataFrame
    opened: pd.DataFrame
    summary: dict


def solver_options(scenario, params: EnsembleParams):
    """The ensemble's :class:`~capacity.optimize.solvers.SolverOptions`: one thread, its limit and gap.

    Levels are solved in the task's own process (``level_workers=1``): the
    runner already spreads the draws over the cores, and a Dask worker may
    not start processes of its own.
    """
    from capacity.optimize.translate import solver_options as translate

    return translate(scenario.solver, threads=1, level_workers=1, time_limit=params.time_limit_s,
                     gap_rel=params.mip_gap)


def _say(progress, quiet):
    if progress is not None:
        return progress
    t0 = time.perf_counter()
    return (lambda m: None) if quiet else (
        lambda m: print(f"[{time.perf_counter() - t0:7.1f} s] {m}", file=sys.stderr, flush=True))


def prepare_inputs(scenario, city, params: EnsembleParams):
    """Problem, index, fan problem and the draws' items (all on the driver, pure).

    Returns
    -------
    SimpleNamespace
        ``problem, index, fan_problem, items`` (list of :class:`DrawItem`).
    """
    from capacity.demand import run_demand
    from capacity.demography import run_projection
    from capacity.demography.draws import draw_seeds
    from capacity.ensemble.demand import demand_matrices, draw_unit_demand
    from capacity.optimize.translate import plan_demand, problem_from_scenario

    plan = scenario.plan
    projection = run_projection(city, dataclasses.replace(scenario.projection, draws=0))
    demand = run_demand(city, projection, scenario.demand, spatial=True)
    years = list(plan.evaluation_years)
    problem, index = problem_from_scenario(scenario, city, plan_demand(demand.units, years, plan.levels))
    extra = []
    if params.fan_years == "all":
        extra = [y for y in range(years[0], years[-1] + 1) if y not in years]
    fan_problem = None
    if extra:
        fan_plan = dataclasses.replace(plan, evaluation_years=tuple(extra))
        fan_problem, _ = problem_from_scenario(dataclasses.replace(scenario, plan=fan_plan), city,
                                               plan_demand(demand.units, extra, plan.levels))
    seeds = draw_seeds(params.seed, params.draws)
    unit_demand = draw_unit_demand(city, scenario, projection.basis, seeds, sorted(years + extra))
    items = [DrawItem(draw=d, demand=demand_matrices(problem, ud),
                      fan_demand=demand_matrices(fan_problem, ud) if fan_problem is not None else None)
             for d, ud in sorted(unit_demand.items())]
    return SimpleNamespace(problem=problem, index=index, fan_problem=fan_problem, items=items)


def run_ensemble(scenario, city, params: EnsembleParams, runner, quiet: bool = False,
                 progress=None, inputs=None, plan=None, plan_source="plan.csv") -> EnsembleResult:
    """Run the ensemble of ``scenario`` on ``runner`` (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    city : CityData
        With the scenario's standards applied.
    params : EnsembleParams
    runner : SerialRunner or DaskRunner
        From :func:`capacity.ensemble.runners.make_runner`.
    quiet : bool
        No stage messages (progress bars follow the runner's own ``quiet``).
    progress : callable, optional
        ``progress(message)`` for stage messages.
    inputs : SimpleNamespace, optional
        :func:`prepare_inputs` of the same scenario, city and params, when
        already made (e.g. to run one ensemble on several runners).
    plan : DataFrame, optional
        The scenario's plan as ``capacity run`` wrote it (``plan.csv``): judged
        and used as the start instead of solving it again in phase 0.
    plan_source : str or Path
        Where ``plan`` came from (named in errors and in the summary).

    Returns
    -------
    EnsembleResult
    """
    from capacity.results import plan_table

    say = _say(progress, quiet)
    t0 = time.perf_counter()
    say(f"projecting {params.draws} demographic draws (seed {params.seed}) and building the model")
    inputs = inputs if inputs is not None else prepare_inputs(scenario, city, params)
    t_prep = time.perf_counter() - t0
    options = solver_options(scenario, params)
    shared = Shared(problem=inputs.problem, options=options, method=scenario.solver.method,
                    robust=params.robust, fan_problem=inputs.fan_problem)
    K = params.fit_draws
    t0_base = time.perf_counter()
    if plan is not None:
        from capacity.results import opened_from_plan_table

        baseline_opened = opened_from_plan_table(plan, inputs.problem, inputs.index, plan_source)
        baseline_rep = {"source": str(plan_source), "schools": int(len(baseline_opened)),
                        "cost_cny": float(baseline_opened["cost_cny"].sum())}
        say(f"the scenario's plan: {len(baseline_opened)} schools from {plan_source}")
    else:
        # the plan being judged is made as `capacity run` makes it: the scenario's limit and gap
        own = dataclasses.replace(options, time_limit=scenario.solver.time_limit_s, gap_rel=scenario.solver.mip_gap)
        say(f"phase 0 on {runner.name}: the scenario's plan on its own projection "
            f"(the scenario's limit {own.time_limit} s and gap {own.gap_rel:.1%}; --plan reuses a written one)")
        (baseline_opened, baseline_rep), = runner.map(run_task, [("baseline", None)],
                                                      dataclasses.replace(shared, options=own), desc="scenario plan")
    t_phase0 = time.perf_counter() - t0_base
    shared = dataclasses.replace(shared, start=baseline_opened)
    jobs = ([("robust", tuple(inputs.items[:K]))] if K else []) + [("optimise", it) for it in inputs.items]
    say(f"phase 1 on {runner.name}: "
        + (f"a robust plan ({params.robust}, draws 0–{K - 1}) and " if K else "")
        + f"{params.draws} re-optimised draws, each starting from the scenario's plan")
    t1 = time.perf_counter()
    res = runner.map(run_task, jobs, shared, desc="plans")
    t_phase1 = time.perf_counter() - t1
    robust_opened, robust_rep = res.pop(0) if K else (None, None)
    optimised = res
    plans = {"baseline": baseline_opened}
    if K:
        plans["robust"] = robust_opened
    say(f"phase 2: {len(plans)} fixed plan(s) on {params.draws} draws (assignment LPs)")
    t2 = time.perf_counter()
    evaluated = runner.map(run_task, [("evaluate", it) for it in inputs.items],
                           dataclasses.replace(shared, plans=plans, start=None), desc="evaluations")
    t_phase2 = time.perf_counter() - t2
    outcomes = evaluated + optimised
    draws = aggregate.draws_table(outcomes, K)
    summary_t = aggregate.draw_summary(outcomes, K)
    opened = pd.concat([o.opened for o in optimised], ignore_index=True)
    freq = aggregate.site_frequency(opened, params.draws, inputs.index, plans)
    quant = aggregate.unserved_quantiles(draws, params.quantiles)
    baseline_plan = plan_table(SimpleNamespace(opened=baseline_opened), inputs.index)
    robust_plan = plan_table(SimpleNamespace(opened=robust_opened), inputs.index) if K else baseline_plan.iloc[0:0]
    total = time.perf_counter() - t0
    summary = _summary(scenario, params, runner, options, summary_t, draws, freq, baseline_rep, robust_rep,
                       {"prepare_s": t_prep, "phase0_s": t_phase0, "phase1_s": t_phase1, "phase2_s": t_phase2,
                        "total_s": total})
    say(f"done in {total:.0f} s ({summary['timing']['draws_per_minute']:.2f} draws/min)")
    return EnsembleResult(params, draws, summary_t, freq, quant, baseline_plan, robust_plan, opened, summary)


def _summary(scenario, params, runner, options, summary_t, draws, freq, baseline_rep, robust_rep, timing):
    held = params.held_out if params.fit_draws else list(range(params.draws))
    obj_rows = draws[draws["objective_year"]]
    base = obj_rows[obj_rows["plan"] == "baseline"]
    unserved = {}
    for (level, year), g in base.groupby(["level", "year"]):
        v = g["unserved"]
        unserved.setdefault(level, {})[str(year)] = {
            "mean": float(v.mean()), "q05": float(v.quantile(0.05)), "median": float(v.median()),
            "q95": float(v.quantile(0.95)), "demand_mean": float(g["demand"].mean())}
    opt = summary_t[summary_t["plan"] == "optimum"]
    timing = dict(timing)
    timing["draws_per_minute"] = params.draws / max(timing["total_s"], 1e-9) * 60.0
    return {
        "scenario": scenario.name,
        "draws": params.draws, "seed": params.seed, "fit_draws": params.fit_draws,
        "held_out_draws": len(held), "robust_mode": params.robust if params.fit_draws else None,
        "levels": list(scenario.plan.levels),
        "evaluation_years": list(scenario.plan.evaluation_years),
        "runner": runner.name, "workers": runner.workers,
        "solver": {"name": options.solver, "time_limit_s": options.time_limit, "mip_gap": options.gap_rel,
                   "threads": options.threads, "method": scenario.solver.method},
        "projection": {k: getattr(scenario.projection, k) for k in
                       ("variant", "tfr_sigma", "tfr_rho", "migration_sigma", "migration_rho")},
        "timing": timing,
        "baseline_plan": baseline_rep,
        "robust_plan": robust_rep,
        "regret": aggregate.regret_summary(summary_t, held),
        "unserved_baseline_plan": unserved,
        "optimum_cost_cny": {"mean": float(opt["cost_cny"].mean()), "min": float(opt["cost_cny"].min()),
                             "max": float(opt["cost_cny"].max())},
        "optimum_status": opt["status"].value_counts().to_dict(),
        "draws_where_a_fixed_plan_beat_the_reoptimisation": int((opt["reference"] != "optimum").sum()),
        "sites": {"candidates": int((freq["kind"] == "new").sum()),
                  "chosen_in_some_draw": int((freq["draws_chosen"] > 0).sum()),
                  "chosen_in_every_draw": int((freq["draws_chosen"] == params.draws).sum()),
                  "baseline_sites_mean_frequency": float(freq.loc[freq["in_baseline"], "frequency"].mean())
                  if freq["in_baseline"].any() else None},
    }


def write_ensemble(result: EnsembleResult, city, scenario, out) -> list:
    """Write the ensemble's CSVs, ``ensemble.gpkg``, charts and ``summary.json`` into ``out``."""
    from capacity.ensemble.outputs import fan_chart, frequency_map, write_site_layer
    from capacity.io.jsonfile import write_json

    out = Path(out)
    files = []
    for name, frame in (("draws", result.draws), ("draw_summary", result.draw_summary),
                        ("site_frequency", result.site_frequency), ("unserved_quantiles", result.unserved_quantiles),
                        ("baseline_plan", result.baseline_plan), ("robust_plan", result.robust_plan),
                        ("draw_plans", result.opened)):
        frame.to_csv(out / f"{name}.csv", index=False)
        files.append(out / f"{name}.csv")
    files.append(write_site_layer(result.site_frequency, city.metric_crs, out / "ensemble.gpkg"))
    files.append(fan_chart(result.unserved_quantiles,
                           f"{scenario.name}: unserved pupils over {result.params.draws} demographic draws",
                           out / "fan_unserved.png"))
    files.append(frequency_map(city, result.site_frequency, result.params.draws,
                               f"{scenario.name}: how often each site is chosen over "
                               f"{result.params.draws} demographic draws", out / "map_site_frequency.png"))
    write_json(out / "summary.json", result.summary)
    files.append(out / "summary.json")
    return files
