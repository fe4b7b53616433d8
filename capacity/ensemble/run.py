"""Orchestrator: a scenario and N demographic draws in, the ensemble's tables out.

:func:`run_ensemble` projects the scenario once (its variant, e.g. medium),
builds its problem, draws N fertility/migration paths from child seeds of
``seed`` and turns each into unit demand on the driver (cheap, seconds),
then hands the solves to a runner (:mod:`capacity.ensemble.runners`):

0. the scenario's own plan (``baseline``) on the medium projection, solved
   here, its levels on as many processes as the runner has workers, at the
   larger of the scenario's and the ensemble's gap and
   :data:`PHASE0_LIMIT_FACTOR` times the per-solve limit (or read from a
   ``plan.csv`` with ``--plan``: the plan ``capacity run`` made);
1. the re-optimised plan of every draw, one task per draw, each starting
   from the scenario's plan (a MIP start: feasible in every draw, so no
   re-optimisation ends worse than it) — and, with ``robust_fit="stacked"``,
   the two-stage robust MILP on draws 0..K−1 (:mod:`capacity.ensemble.robust`);
2. the fixed plans on the draws, one task per plan and draw (assignment LPs
   that keep the plan's closures and conversions,
   :func:`capacity.ensemble.evaluate.evaluate_plan`). With the default
   ``robust_fit="best"`` the robust plan is the best on draws 0..K−1 (mean
   or worst objective) of the scenario's plan and the re-optimised plans of
   those draws, and is then evaluated on every draw.

Every solve uses one thread and the ensemble's time limit and gap; results
are sorted by draw, so a serial run, a local cluster and a remote scheduler
give the same tables for the same seed (unless a solve stops on its time
limit, where the incumbent depends on the machine's speed).
:func:`write_ensemble` writes the files.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from capacity.ensemble import aggregate
from capacity.ensemble.params import DEFAULT_GAP, EnsembleParams, default_time_limit
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

    The limit is ``params.time_limit_s`` or :func:`~capacity.ensemble.params.default_time_limit`
    of the draws and the scenario's levels; the gap ``params.mip_gap`` or 2 %.
    Levels are solved in the task's own process (``level_workers=1``): the
    runner already spreads the draws over the cores, and a Dask worker may
    not start processes of its own.
    """
    from capacity.optimize.translate import solver_options as translate

    limit = params.time_limit_s
    if limit is None:
        limit = default_time_limit(params.draws, len(scenario.plan.levels))
    gap = DEFAULT_GAP if params.mip_gap is None else params.mip_gap
    return translate(scenario.solver, threads=1, level_workers=1, time_limit=limit, gap_rel=gap)


PHASE0_LIMIT_FACTOR = 4.0
"""The scenario's own plan (phase 0) gets this many times the per-solve limit (at most the scenario's)."""


def phase0_options(scenario, options, workers: int):
    """Options of the scenario's own plan: the larger of the scenario's and the ensemble's gap,
    ``PHASE0_LIMIT_FACTOR`` times the per-solve limit (capped by the scenario's), and its levels
    on ``workers`` processes of this machine (the runner's workers are idle meanwhile)."""
    own = scenario.solver.time_limit_s
    limit = PHASE0_LIMIT_FACTOR * options.time_limit
    limit = min(limit, own) if own else limit
    return dataclasses.replace(options, time_limit=limit, gap_rel=max(scenario.solver.mip_gap, options.gap_rel),
                               level_workers=max(1, int(workers)))


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
    from capacity.demand.special import zone_totals
    from capacity.demography.draws import draw_seeds
    from capacity.optimize.translate import special_demand
    from capacity.ensemble.demand import demand_matrices, draw_unit_demand
    from capacity.pipeline import project
    from capacity.pipeline import build_problem

    plan = scenario.plan
    medium = dataclasses.replace(scenario, projection=dataclasses.replace(scenario.projection, draws=0))
    proj = project(medium, city)
    projection = proj.projection
    years = list(plan.evaluation_years)
    built = build_problem(medium, city, proj)  # the problem `capacity run` solves
    problem, index = built.problem, built.index
    extra = []
    if params.fan_years == "all":
        extra = [y for y in range(years[0], years[-1] + 1) if y not in years]
    fan_problem = None
    if extra:
        fan_plan = dataclasses.replace(plan, evaluation_years=tuple(extra))
        fan_problem = build_problem(dataclasses.replace(medium, plan=fan_plan), city, proj).problem
    seeds = draw_seeds(params.seed, params.draws)
    unit_demand = draw_unit_demand(city, scenario, projection.basis, seeds, sorted(years + extra))
    # special-needs pupils of zones that neither have nor need a special school are taught in ordinary
    # schools (T9): the zones served are the plan's, from the medium projection, as `capacity run` has them
    plan_end = zone_totals(projection.population, max(plan.build_years))
    unit_demand = {d: special_demand(ud, scenario, city, plan_end) for d, ud in unit_demand.items()}
    items = [DrawItem(draw=d, demand=demand_matrices(problem, ud),
                      fan_demand=demand_matrices(fan_problem, ud) if fan_problem is not None else None)
             for d, ud in sorted(unit_demand.items())]
    return SimpleNamespace(problem=problem, index=index, fan_problem=fan_problem, items=items)


def plan_opened(plan: pd.DataFrame, problem, index, source="plan.csv") -> pd.DataFrame:
    """A written ``plan.csv`` as ``Solution.opened`` rows, its closures and conversions included.

    New schools and expansions are matched to the problem's options
    (:func:`capacity.results.opened_from_plan_table`); rows with ``action``
    ``close`` or ``convert`` become rows of that kind (``option`` −1, the seats
    that leave as negative ``seats``, from ``open_year``).

    Raises
    ------
    DataError
        A closed or converted school that is not an existing school of its level (CSV line named).
    """
    import numpy as np

    from capacity.ensemble.evaluate import LEAVING
    from capacity.errors import DataError
    from capacity.results import opened_from_plan_table

    plan = plan.reset_index(drop=True)
    leave = plan["action"].isin(LEAVING) if "action" in plan else pd.Series(False, index=plan.index)
    built = opened_from_plan_table(plan[~leave], problem, index, source)
    rows = []
    for i, r in plan[leave].iterrows():
        names = [lv.name for lv in problem.levels]
        lv = problem.level(r["level"]) if r["level"] in names else None
        ids = lv.facilities.ids.astype(str) if lv is not None else np.array([], dtype=str)
        pos = np.flatnonzero(ids == str(r["site_id"]))
        if lv is None or not pos.size or not lv.facilities.existing[pos[0]]:
            raise DataError(f"{r['action']} of {r['site_id']!r}: not an existing {r['level']} school of this "
                            "city and plan", path=source, column="site_id", rows=[i + 2], row_label="line")
        f = pos[0]
        year = int(r["open_year"])
        rows.append({"level": r["level"], "facility": lv.facilities.ids[f], "option": -1, "kind": r["action"],
                     "label": "closed" if r["action"] == "close" else f"to {r.get('convert_to', 'other use')}",
                     "seats": -abs(float(r["seats"])), "cost_cny": float(r.get("cost_cny", 0.0) or 0.0),
                     "zone": lv.facilities.zone[f], "open_year": year, "ready_year": year})
    if not rows:
        return built
    return pd.concat([built, pd.DataFrame(rows, columns=built.columns)], ignore_index=True)


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
        The scenario's plan as ``capacity run`` wrote it (``plan.csv``), or as
        ``Solution.opened`` rows: judged and used as the start instead of
        solving it again in phase 0.
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
    stacked = bool(K) and params.robust_fit == "stacked"
    t0_base = time.perf_counter()
    if plan is not None:
        baseline_opened = (plan.reset_index(drop=True) if "option" in plan.columns  # Solution.opened rows
                           else plan_opened(plan, inputs.problem, inputs.index, plan_source))
        baseline_rep = {"source": str(plan_source), "schools": int(len(baseline_opened)),
                        "cost_cny": float(baseline_opened["cost_cny"].sum())}
        say(f"the scenario's plan: {len(baseline_opened)} rows from {plan_source}")
    else:
        # the plan being judged, on this machine: its levels on as many processes as the runner has workers
        # (the workers are idle until it is known), the larger gap and a multiple of the per-solve limit
        from capacity.ensemble.tasks import solve_baseline

        workers = 1 if runner.name == "serial" else min(runner.workers, os.cpu_count() or 1)
        own = phase0_options(scenario, options, workers)
        say(f"phase 0 here: the scenario's plan on its own projection (limit {own.time_limit:.0f} s per level, "
            f"gap {own.gap_rel:.1%}, {workers} process(es); --plan judges a written one)")
        baseline_opened, baseline_rep = solve_baseline(dataclasses.replace(shared, options=own))
        baseline_rep["options"] = {"time_limit_s": own.time_limit, "mip_gap": own.gap_rel, "processes": workers}
    t_phase0 = time.perf_counter() - t0_base
    shared = dataclasses.replace(shared, start=baseline_opened)
    jobs = ([("robust", tuple(inputs.items[:K]))] if stacked else []) + [("optimise", it) for it in inputs.items]
    say(f"phase 1 on {runner.name}: "
        + (f"a robust plan ({params.robust}, stacked draws 0–{K - 1}) and " if stacked else "")
        + f"{params.draws} re-optimised draws, each starting from the scenario's plan "
          f"(limit {options.time_limit:.0f} s per level solve, gap {options.gap_rel:.1%})")
    t1 = time.perf_counter()
    res = runner.map(run_task, jobs, shared, desc="plans")
    t_phase1 = time.perf_counter() - t1
    robust_opened, robust_rep = res.pop(0) if stacked else (None, None)
    optimised = res
    plans = {"baseline": baseline_opened}
    if stacked:
        plans["robust"] = robust_opened
    elif K:  # candidates of the robust plan: the fit draws' own optima
        for k in range(K):
            plans[f"draw {k}"] = optimised[k].opened.drop(columns="draw").reset_index(drop=True)
    jobs = [("evaluate_one", (it, name, name, True)) for name in ("baseline", "robust") if name in plans
            for it in inputs.items]
    if K and not stacked:
        jobs += [("evaluate_one", (it, f"draw {k}", f"draw {k}", False)) for k in range(K) for it in inputs.items[:K]]
    say(f"phase 2: fixed plans on the draws ({len(jobs)} assignment LPs"
        + (f"; the robust plan is the best on draws 0–{K - 1} of the scenario's and those draws' own plans"
           if K and not stacked else "") + ")")
    t2 = time.perf_counter()
    shared2 = dataclasses.replace(shared, plans=plans, start=None)
    evaluated = runner.map(run_task, jobs, shared2, desc="evaluations")
    if K and not stacked:
        t_fit = time.perf_counter()
        candidates = [o for o in evaluated if o.reports["plan"].iloc[0] != "baseline"]
        evaluated = [o for o in evaluated if o.reports["plan"].iloc[0] == "baseline"]
        chosen, scores = best_candidate(evaluated + candidates, K, params.robust)
        robust_opened = plans[chosen]
        if chosen == "baseline":
            robust_out = [relabel(o, "robust") for o in evaluated]
        else:
            robust_out = runner.map(run_task, [("evaluate_one", (it, chosen, "robust", True)) for it in inputs.items],
                                    shared2, desc="robust plan")
        evaluated = evaluated + robust_out
        robust_rep = {"fit": "best of the evaluated plans", "mode": params.robust, "chosen": chosen,
                      "scores": scores, "fit_draws": list(range(K)), "seconds": time.perf_counter() - t_fit}
        say(f"robust plan: {'the scenario' if chosen == 'baseline' else chosen}'s plan "
            f"({params.robust} objective on draws 0–{K - 1}: {scores[chosen]:,.1f})")
    t_phase2 = time.perf_counter() - t2
    outcomes = evaluated + optimised
    draws = aggregate.draws_table(outcomes, K)
    summary_t = aggregate.draw_summary(outcomes, K)
    opened = pd.concat([o.opened for o in optimised], ignore_index=True)
    fixed = {"baseline": baseline_opened, **({"robust": robust_opened} if K else {})}
    freq = aggregate.site_frequency(opened, params.draws, inputs.index, fixed)
    quant = aggregate.unserved_quantiles(draws, params.quantiles)
    baseline_plan = plan_table(SimpleNamespace(opened=baseline_opened), inputs.index)
    robust_plan = plan_table(SimpleNamespace(opened=robust_opened), inputs.index) if K else baseline_plan.iloc[0:0]
    total = time.perf_counter() - t0
    summary = _summary(scenario, params, runner, options, summary_t, draws, freq, baseline_rep, robust_rep,
                       {"prepare_s": t_prep, "phase0_s": t_phase0, "phase1_s": t_phase1, "phase2_s": t_phase2,
                        "total_s": total,
                        "optimise_s": [float(o.reports["seconds"].iloc[0]) for o in optimised]})
    say(f"done in {total:.0f} s ({summary['timing']['draws_per_minute']:.2f} draws/min)")
    return EnsembleResult(params, draws, summary_t, freq, quant, baseline_plan, robust_plan, opened, summary)


def relabel(outcome, plan: str):
    """A :class:`~capacity.ensemble.tasks.DrawOutcome` with its rows' ``plan`` set to ``plan``."""
    return dataclasses.replace(outcome, figures=outcome.figures.assign(plan=plan),
                               objectives=outcome.objectives.assign(plan=plan),
                               reports=outcome.reports.assign(plan=plan))


def best_candidate(outcomes, fit_draws: int, mode: str) -> tuple:
    """The plan with the best mean (``expected``) or largest (``worst``) objective on draws 0..K−1.

    Parameters
    ----------
    outcomes : list of DrawOutcome
        Evaluations of every candidate on (at least) draws 0..K−1.
    fit_draws : int
    mode : {"expected", "worst"}

    Returns
    -------
    (str, dict)
        The chosen plan's name (``baseline`` first on a tie within 1e-9) and every candidate's score.
    """
    obj = pd.concat([o.objectives for o in outcomes], ignore_index=True)
    obj = obj[obj["draw"] < fit_draws]
    per_draw = obj.groupby(["plan", "draw"], sort=False)["objective"].sum()
    score = per_draw.groupby(level="plan", sort=False).agg("mean" if mode == "expected" else "max")
    order = ["baseline"] + sorted((p for p in score.index if p != "baseline"), key=lambda p: int(p.split()[-1]))
    score = score.reindex([p for p in order if p in score.index])
    best = score.min()
    tol = aggregate.REL_TOL * max(abs(best), 1.0)
    chosen = next(p for p in score.index if score[p] <= best + tol)
    return chosen, {p: float(v) for p, v in score.items()}


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
        "robust_fit": params.robust_fit if params.fit_draws else None,
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
