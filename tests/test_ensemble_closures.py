"""The ensemble's fixed-plan evaluation keeps a plan's closures and conversions (capacity.ensemble.evaluate)."""

import numpy as np
import pandas as pd
import pytest

from capacity.commands import load_inputs
from capacity.ensemble import EnsembleParams
from capacity.ensemble.evaluate import evaluate_plan, level_figures
from capacity.ensemble.run import plan_opened, prepare_inputs
from capacity.optimize import SolverOptions, evaluate
from capacity.testing import tiny_ensemble_scenario, write_tiny_city

SCENARIO = tiny_ensemble_scenario({"kindergarten": 2, "primary": 1}, "\n[objective]\nunserved_weight = 20.0\n")
OPTS = SolverOptions(threads=1, gap_rel=0.0)


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ens_close")
    write_tiny_city(folder / "tiny")
    (folder / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    scenario, city = load_inputs(folder / "tiny.toml")
    inputs = prepare_inputs(scenario, city, EnsembleParams(draws=2, seed=3, fit_draws=0, fan_years="evaluation"))
    return inputs.problem, inputs.index


def _busiest_existing(problem, level):
    """The existing school of ``level`` that serves the most pupils in the last year with nothing built."""
    empty = pd.DataFrame(columns=["level", "facility", "option", "kind", "label", "seats", "cost_cny", "zone",
                                  "open_year", "ready_year"])
    sol = evaluate(problem, empty, OPTS)
    a = sol.assignments[(sol.assignments["level"] == level) & (sol.assignments["year"] == problem.years[-1])]
    fid = a.groupby("facility")["pupils"].sum().idxmax()
    lv = problem.level(level)
    f = int(np.flatnonzero(lv.facilities.ids == fid)[0])
    return fid, f, lv, empty


def test_a_closed_school_has_no_seats_from_its_closure_year(problem):
    problem, _ = problem
    years = problem.years.tolist()
    assert len(years) == 2  # 2025, 2030
    fid, f, lv, empty = _busiest_existing(problem, "kindergarten")
    seats = float(lv.facilities.seats[f])
    close = pd.DataFrame([{"level": "kindergarten", "facility": fid, "option": -1, "kind": "close",
                           "label": "closed", "seats": -seats, "cost_cny": 0.0, "zone": lv.facilities.zone[f],
                           "open_year": years[1], "ready_year": years[1]}], columns=empty.columns)
    kept = evaluate(problem, close, OPTS)  # the optimiser's evaluate keeps every school open
    ours = evaluate_plan(problem, close, OPTS)
    at = lambda sol, y: sol.assignments[(sol.assignments["facility"] == fid)  # noqa: E731
                                        & (sol.assignments["year"] == y)]["pupils"].sum()
    assert at(kept, years[1]) > 0
    assert at(ours, years[1]) == 0.0  # closed in 2030: nobody seated there
    assert at(ours, years[0]) == pytest.approx(at(kept, years[0]))  # 2025: still open, as before
    # its pupils go elsewhere or are unserved; pupils are conserved in every year
    fig = level_figures(problem, ours)
    served = ours.assignments.groupby(["level", "year"])["pupils"].sum()
    key = pd.MultiIndex.from_frame(fig[["level", "year"]])
    np.testing.assert_allclose(served.reindex(key, fill_value=0).to_numpy() + fig["unserved"], fig["demand"],
                               atol=1e-6)
    # the level's seats drop by exactly the closed school's seats in 2030, not in 2025
    base = level_figures(problem, evaluate(problem, empty, OPTS)).set_index(["level", "year"])["seats"]
    mine = fig.set_index(["level", "year"])["seats"]
    assert mine[("kindergarten", years[0])] == pytest.approx(base[("kindergarten", years[0])])
    assert mine[("kindergarten", years[1])] == pytest.approx(base[("kindergarten", years[1])] - seats)
    un = fig.set_index(["level", "year"])["unserved"]
    un_kept = level_figures(problem, kept).set_index(["level", "year"])["unserved"]
    assert un[("kindergarten", years[1])] >= un_kept[("kindergarten", years[1])] - 1e-9
    # other levels are untouched
    pd.testing.assert_series_equal(un.drop("kindergarten", level="level"), un_kept.drop("kindergarten", level="level"))


def test_a_closure_before_every_year_is_one_lp_and_a_conversion_counts_too(problem):
    problem, _ = problem
    fid, f, lv, empty = _busiest_existing(problem, "primary")
    conv = pd.DataFrame([{"level": "primary", "facility": fid, "option": -1, "kind": "convert",
                          "label": "to other use", "seats": -float(lv.facilities.seats[f]), "cost_cny": 1.0,
                          "zone": lv.facilities.zone[f], "open_year": 2023, "ready_year": 2023}],
                        columns=empty.columns)
    ours = evaluate_plan(problem, conv, OPTS)
    assert ours.assignments.loc[ours.assignments["facility"] == fid, "pupils"].sum() == 0.0
    fig = level_figures(problem, ours)
    assert (fig.loc[fig["level"] == "primary", "seats"] >= 0).all()


def test_plan_csv_closures_are_read_back(problem):
    problem, index = problem
    fid, f, lv, empty = _busiest_existing(problem, "kindergarten")
    plan = pd.DataFrame([{"site_id": str(fid), "level": "kindergarten", "zone_id": lv.facilities.zone[f],
                          "action": "close", "size_classes": 0, "seats": -float(lv.facilities.seats[f]),
                          "open_year": 2025, "ready_year": 2025, "cost_cny": 0.0}])
    opened = plan_opened(plan, problem, index)
    assert opened["kind"].tolist() == ["close"] and opened["ready_year"].tolist() == [2025]
    assert opened["seats"].tolist() == [-float(lv.facilities.seats[f])]
    bad = plan.assign(site_id="no-such-school")
    from capacity.errors import DataError

    with pytest.raises(DataError, match="line 2"):
        plan_opened(bad, problem, index)


def test_a_draw_whose_solve_stops_keeps_the_start_evaluated_without_a_time_limit(tiny_problem, monkeypatch):
    """The fallback of a re-optimisation that stopped with no solution evaluates the scenario's plan as an
    LP with no time limit: under the 24 s limit of a 6-draw run it stopped too and ended the ensemble."""
    from capacity.ensemble import tasks
    from capacity.errors import SolverError
    from capacity.optimize import solve

    opts = SolverOptions(solver="highs", time_limit=24.0, threads=1)
    start = solve(tiny_problem, SolverOptions(solver="highs")).opened
    seen = []

    def stopped(*args, **kwargs):
        raise SolverError("highs stopped without a solution: no_solution (Time limit reached)")

    def spy(problem, opened, options):
        seen.append(options.time_limit)
        return evaluate_plan(problem, opened, options)

    monkeypatch.setattr(tasks, "solve", stopped)
    monkeypatch.setattr(tasks, "evaluate_plan", spy)
    demand = {lv.name: lv.units.demand for lv in tiny_problem.levels}
    out = tasks.optimise_draw(tasks.Shared(tiny_problem, opts, start=start), tasks.DrawItem(0, demand))
    assert seen == [None] and out.reports["status"].tolist() == [tasks.START_KEPT]
    assert tasks.lp_options(opts).time_limit is None and opts.time_limit == 24.0
