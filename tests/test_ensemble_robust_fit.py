"""The ensemble's defaults and its robust fit as the best of the evaluated plans (capacity.ensemble.run)."""

import pandas as pd
import pytest

from capacity.commands import load_inputs
from capacity.ensemble import EnsembleParams, make_runner, run_ensemble
from capacity.ensemble.params import default_time_limit
from capacity.ensemble.run import best_candidate, phase0_options, prepare_inputs, solver_options
from capacity.ensemble.tasks import DrawOutcome
from capacity.testing import tiny_ensemble_scenario, write_tiny_city

SCENARIO = tiny_ensemble_scenario({"kindergarten": 2, "primary": 1}, "\n[objective]\nunserved_weight = 20.0\n")


def _outcome(plan, draw, objective):
    obj = pd.DataFrame({"draw": draw, "plan": plan, "level": ["kindergarten", "primary"],
                        "objective": [objective / 2, objective / 2]})
    return DrawOutcome(draw, pd.DataFrame(), obj, pd.DataFrame(), pd.DataFrame({"plan": [plan]}))


def test_best_candidate_by_mean_or_worst_on_the_fit_draws_only():
    outs = [_outcome("baseline", 0, 10.0), _outcome("baseline", 1, 10.0), _outcome("baseline", 2, 0.0),
            _outcome("draw 0", 0, 6.0), _outcome("draw 0", 1, 13.0),
            _outcome("draw 1", 0, 11.0), _outcome("draw 1", 1, 9.0)]
    chosen, scores = best_candidate(outs, 2, "expected")
    assert scores == {"baseline": 10.0, "draw 0": 9.5, "draw 1": 10.0}  # draw 2 is held out: not counted
    assert chosen == "draw 0"
    chosen, scores = best_candidate(outs, 2, "worst")
    assert scores == {"baseline": 10.0, "draw 0": 13.0, "draw 1": 11.0}
    assert chosen == "baseline"
    tie = [_outcome("baseline", 0, 5.0), _outcome("draw 0", 0, 5.0)]
    assert best_candidate(tie, 1, "expected")[0] == "baseline"  # a tie keeps the scenario's plan


def test_default_limit_scales_with_draws_and_levels():
    assert default_time_limit(6, 4) == 30.0
    assert default_time_limit(6, 1) == 120.0
    assert default_time_limit(1, 1) == 300.0 and default_time_limit(100, 4) == 10.0
    assert default_time_limit(12, 4) < default_time_limit(6, 4)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ens_fit")
    write_tiny_city(folder / "tiny")
    (folder / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    scenario, city = load_inputs(folder / "tiny.toml")
    return scenario, city


def test_default_options_gap_2_percent_and_phase0(tiny):
    scenario, _ = tiny
    opts = solver_options(scenario, EnsembleParams(draws=6))
    assert opts.gap_rel == 0.02 and opts.threads == 1 and opts.level_workers == 1
    assert opts.time_limit == default_time_limit(6, len(scenario.plan.levels))
    own = phase0_options(scenario, opts, 2)
    assert own.time_limit == min(4 * opts.time_limit, scenario.solver.time_limit_s)
    assert own.gap_rel == max(0.02, scenario.solver.mip_gap) and own.level_workers == 2
    given = solver_options(scenario, EnsembleParams(draws=6, time_limit_s=7.0, mip_gap=0.001))
    assert given.time_limit == 7.0 and given.gap_rel == 0.001


@pytest.mark.parametrize("fit", ["best", "stacked"])
def test_robust_plan_is_no_worse_than_the_scenarios_on_the_fit_draws(tiny, fit):
    scenario, city = tiny
    params = EnsembleParams(draws=4, seed=5, fit_draws=2, fan_years="evaluation", mip_gap=0.0, robust_fit=fit)
    inputs = prepare_inputs(scenario, city, params)
    res = run_ensemble(scenario, city, params, make_runner("serial", quiet=True), quiet=True, inputs=inputs)
    s = res.draw_summary
    fit_rows = s[s["fit"]]
    tot = fit_rows.groupby("plan")["objective"].mean()
    assert tot["robust"] <= tot["baseline"] * (1 + 1e-7)
    assert set(s["plan"]) == {"baseline", "robust", "optimum"}
    assert len(s) == 3 * params.draws  # no candidate rows leak into the tables
    assert [c for c in res.site_frequency.columns if c.startswith("in_")] == ["in_baseline", "in_robust"]
    assert set(res.draws["plan"]) == {"baseline", "robust", "optimum"}
    assert res.summary["robust_fit"] == fit
    if fit == "best":
        rep = res.summary["robust_plan"]
        assert rep["chosen"] in rep["scores"] and rep["scores"][rep["chosen"]] == min(rep["scores"].values())


def test_a_reoptimisation_without_any_plan_keeps_the_start(tiny, monkeypatch):
    import capacity.ensemble.tasks as tasks
    from capacity.errors import SolverError

    scenario, city = tiny
    params = EnsembleParams(draws=2, seed=5, fit_draws=0, fan_years="evaluation", mip_gap=0.0)
    inputs = prepare_inputs(scenario, city, params)
    start = run_ensemble(scenario, city, params, make_runner("serial", quiet=True), quiet=True, inputs=inputs)

    def no_plan(*args, **kwargs):
        raise SolverError("highs stopped without a solution: no_solution (Time limit reached)")

    monkeypatch.setattr(tasks, "solve", no_plan)
    kept = run_ensemble(scenario, city, params, make_runner("serial", quiet=True), quiet=True, inputs=inputs,
                        plan=start.baseline_plan)
    s = kept.draw_summary.set_index(["draw", "plan"])
    for d in range(params.draws):
        assert s.loc[(d, "optimum"), "status"] == tasks.START_KEPT
        assert s.loc[(d, "optimum"), "objective"] == pytest.approx(s.loc[(d, "baseline"), "objective"])
