"""Demographic ensembles (capacity.ensemble): draws, fixed-plan evaluation, robust plan, runners."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from capacity.cli import main
from capacity.commands import load_inputs
from capacity.demand import run_demand
from capacity.demography import ProjectionParams, run_projection
from capacity.demography.draws import draw_group_table, draw_seeds
from capacity.ensemble import EnsembleParams, make_runner, run_ensemble
from capacity.ensemble.demand import demand_matrices, with_demand
from capacity.ensemble.evaluate import level_figures, level_objective
from capacity.optimize import evaluate
from capacity.ensemble.robust import solve_robust, stack_draws
from capacity.ensemble.run import prepare_inputs, solver_options
from capacity.optimize.core import solve
from capacity.testing import tiny_ensemble_scenario, write_tiny_city

SCENARIO = tiny_ensemble_scenario({"kindergarten": 2, "primary": 1}, "\n[objective]\nunserved_weight = 20.0\n")

PARAMS = EnsembleParams(draws=4, seed=11, fit_draws=2, fan_years="evaluation", mip_gap=0.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ens")
    write_tiny_city(folder / "tiny")
    (folder / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    scenario, city = load_inputs(folder / "tiny.toml")
    return folder, scenario, city


@pytest.fixture(scope="module")
def inputs(tiny):
    _, scenario, city = tiny
    return prepare_inputs(scenario, city, PARAMS)


@pytest.fixture(scope="module")
def serial(tiny, inputs):
    _, scenario, city = tiny
    return run_ensemble(scenario, city, PARAMS, make_runner("serial", quiet=True), quiet=True, inputs=inputs)


TABLES = ("draws", "draw_summary", "site_frequency", "unserved_quantiles", "baseline_plan", "robust_plan",
          "opened")


def assert_same_tables(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    assert a.summary["regret"] == b.summary["regret"]


# -- draws ------------------------------------------------------------------

def test_draw_without_deviation_is_the_projection(tiny):
    _, _, city = tiny
    proj = run_projection(city, ProjectionParams(tfr_sigma=0.0, migration_sigma=0.0))
    dem = run_demand(city, proj)
    t = draw_group_table(proj.basis, draw_seeds(5, 2), dem.bands)
    want = dem.school_age.set_index(["zone_id", "year", "level"])["persons"]
    for d in (0, 1):
        got = t[t["draw"] == d].rename(columns={"group": "level"}).set_index(["zone_id", "year", "level"])
        np.testing.assert_allclose(got["persons"], want.reindex(got.index), rtol=1e-12)


def test_draw_i_does_not_depend_on_the_number_of_draws(tiny):
    _, _, city = tiny
    proj = run_projection(city, ProjectionParams())
    bands = {"kindergarten": (3, 5), "primary": (6, 11)}
    few = draw_group_table(proj.basis, draw_seeds(3, 2), bands)
    many = draw_group_table(proj.basis, draw_seeds(3, 5), bands)
    pd.testing.assert_frame_equal(few, many[many["draw"] < 2].reset_index(drop=True))
    assert not np.allclose(many.loc[many["draw"] == 0, "persons"].to_numpy(),
                           many.loc[many["draw"] == 1, "persons"].to_numpy())


# -- the optimiser's generalisation and the fixed-plan LP --------------------

def test_column_weight_of_ones_changes_nothing(inputs):
    opts = dataclasses.replace(solver_options_tiny(), gap_rel=0.0)
    a = solve(inputs.problem, opts)
    b = solve(dataclasses.replace(inputs.problem, column_weight=np.ones(inputs.problem.years.size)), opts)
    assert a.report.objective == pytest.approx(b.report.objective, rel=1e-9)


def solver_options_tiny():
    from capacity.optimize.solvers import SolverOptions

    return SolverOptions(threads=1, gap_rel=0.0)


def test_fixed_plan_on_its_own_demand_matches_the_solve(inputs):
    sol = solve(inputs.problem, solver_options_tiny())
    ev = evaluate(inputs.problem, sol.opened, solver_options_tiny())
    ours = level_objective(inputs.problem, ev)["objective"].sum()
    theirs = level_objective(inputs.problem, sol)["objective"].sum()
    assert ev.report.objective == pytest.approx(sol.report.objective, rel=1e-7)
    assert ours == pytest.approx(theirs, rel=1e-7) and ours == pytest.approx(sol.report.objective, rel=1e-6)
    f = level_figures(inputs.problem, ev)
    assert (f["unserved"] <= f["demand"] + 1e-6).all() and (f["new_utilisation"].dropna() <= 1 + 1e-9).all()
    # pupils are conserved: served + unserved = demand
    served = ev.assignments.groupby(["level", "year"])["pupils"].sum()
    key = pd.MultiIndex.from_frame(f[["level", "year"]])
    np.testing.assert_allclose(served.reindex(key, fill_value=0).to_numpy() + f["unserved"], f["demand"], atol=1e-5)


def test_robust_plan_over_copies_of_one_draw_is_that_draws_plan(inputs):
    item = inputs.items[0]
    problem = with_demand(inputs.problem, item.demand)
    one = solve(problem, solver_options_tiny())
    rob = solve_robust(problem, [item.demand] * 3, solver_options_tiny(), "expected", "joint")
    worst = solve_robust(problem, [item.demand] * 3, solver_options_tiny(), "worst")
    assert rob.report.objective == pytest.approx(one.report.objective, rel=1e-6)
    assert worst.report.objective == pytest.approx(one.report.objective, rel=1e-6)


def test_worst_case_plan_is_no_worse_on_its_worst_draw(inputs):
    mats = [it.demand for it in inputs.items[:3]]
    opts = solver_options_tiny()
    exp = solve_robust(inputs.problem, mats, opts, "expected", "joint")
    worst = solve_robust(inputs.problem, mats, opts, "worst")

    def worst_of(plan):
        return max(level_objective(p, evaluate(p, plan.opened, opts))["objective"].sum()
                   for p in (with_demand(inputs.problem, m) for m in mats))

    assert worst_of(worst) <= worst_of(exp) + 1e-6
    stacked = stack_draws(inputs.problem, mats)
    assert stacked.years.tolist() == [2025, 2030] * 3 and stacked.column_weight.sum() == pytest.approx(2.0)


def test_demand_matrices_align_with_the_problem(inputs):
    item = inputs.items[1]
    for lv in inputs.problem.levels:
        assert item.demand[lv.name].shape == lv.units.demand.shape


# -- the ensemble -------------------------------------------------------------

def test_serial_ensemble_tables(serial):
    d, s = serial.draws, serial.draw_summary
    assert sorted(d["draw"].unique()) == [0, 1, 2, 3] and set(d["plan"]) == {"baseline", "robust", "optimum"}
    assert list(d.columns[:6]) == ["draw", "fit", "plan", "level", "year", "objective_year"]
    # regret is measured against the best plan known for the draw: never negative
    best = s.groupby("draw")["objective"].min()
    assert (s["regret"] >= -1e-9 * best.reindex(s["draw"]).abs().to_numpy()).all()
    for plan in ("baseline", "robust", "optimum"):
        r = s[s["plan"] == plan].set_index("draw")
        np.testing.assert_allclose(r["regret"], r["objective"] - best.reindex(r.index), rtol=1e-9, atol=1e-6)
    # the re-optimisations start from the scenario's plan, so they are no worse than it
    opt = s[s["plan"] == "optimum"].set_index("draw")["objective"]
    base = s[s["plan"] == "baseline"].set_index("draw")["objective"]
    assert (opt <= base * (1 + 1e-7)).all()
    f = serial.site_frequency
    assert f["frequency"].between(0, 1).all() and set(f["level"]) >= {"kindergarten", "primary"}
    # frequency = share of the draws whose re-optimised plan builds on the site, counted by hand
    op = serial.opened[serial.opened["kind"].isin(("new", "expand"))]
    counted = op.groupby(["level", "facility"])["draw"].nunique() / PARAMS.draws
    got = f.set_index(["level", "site_id"])["frequency"]
    np.testing.assert_allclose(got.reindex(counted.index).to_numpy(), counted.to_numpy())
    assert (got.drop(counted.index, errors="ignore") == 0).all()
    assert f.loc[f["in_baseline"], "site_id"].tolist() and (serial.baseline_plan["level"] == "kindergarten").sum() <= 2
    held = serial.summary["regret"]["held_out"]
    assert held["baseline"]["draws"] == held["robust"]["draws"] == 2
    q = serial.unserved_quantiles
    assert set(q["quantile"]) == set(PARAMS.quantiles)


def test_reference_plan_is_the_best_known_by_hand():
    from capacity.ensemble.aggregate import reference_plans

    obj = pd.DataFrame({"draw": [0, 0, 0, 0, 0, 0, 1, 1, 1],
                        "plan": ["optimum", "optimum", "baseline", "baseline", "robust", "robust",
                                 "optimum", "baseline", "robust"],
                        "level": ["a", "b"] * 3 + ["a"] * 3,
                        "objective": [10.0, 5.0, 8.0, 6.0, 9.0, 9.0, 7.0, 7.0, 7.5]})
    ref = reference_plans(obj)
    assert ref[0] == "baseline"  # 14 < 15: the re-optimisation was beaten, over all levels
    assert ref[1] == "optimum"  # a tie keeps the re-optimised plan


def test_local_cluster_equals_serial(tiny, inputs, serial):
    _, scenario, city = tiny
    runner = make_runner("local", quiet=True, workers=2)
    try:
        local = run_ensemble(scenario, city, PARAMS, runner, quiet=True, inputs=inputs)
    finally:
        runner.close()
    assert_same_tables(local, serial)


def test_scheduler_address_equals_serial(tiny, inputs, serial):
    from distributed import LocalCluster

    _, scenario, city = tiny
    # a scheduler on loopback TCP (workers in this process), reached by its address only
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp",
                      host="127.0.0.1", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        runner = make_runner("address", quiet=True, address=cluster.scheduler_address)
        try:
            remote = run_ensemble(scenario, city, PARAMS, runner, quiet=True, inputs=inputs)
        finally:
            runner.close()
    assert_same_tables(remote, serial)


def test_cli_writes_outputs(tiny, monkeypatch, capsys):
    folder, _, _ = tiny
    monkeypatch.chdir(folder)
    assert main(["ensemble", "tiny.toml", "--draws", "3", "--fit-draws", "1", "--serial", "--seed", "2",
                 "--fan-years", "evaluation", "--out", "ens", "--quiet"]) == 0
    out = folder / "ens"
    for name in ("draws.csv", "draw_summary.csv", "site_frequency.csv", "ensemble.gpkg", "fan_unserved.png",
                 "map_site_frequency.png", "summary.json", "baseline_plan.csv", "robust_plan.csv"):
        assert (out / name).is_file(), name
    import pyogrio
    from PIL import Image

    info = pyogrio.read_info(out / "ensemble.gpkg", layer="site_frequency")
    assert "4543" in info["crs"] and {"frequency", "level"} <= set(info["fields"])
    assert Image.open(out / "fan_unserved.png").size[0] > 500
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["draws"] == 3 and summary["held_out_draws"] == 2 and summary["runner"] == "serial"
    # bad options are bad input (exit 1)
    assert main(["ensemble", "tiny.toml", "--draws", "2", "--fit-draws", "2", "--serial", "--out", "x"]) == 1


def test_cli_judges_a_written_plan(tiny, monkeypatch, capsys):
    folder, _, _ = tiny
    monkeypatch.chdir(folder)
    assert main(["run", "tiny.toml", "--out", "run", "--quiet"]) == 0
    assert main(["ensemble", "tiny.toml", "--draws", "2", "--fit-draws", "0", "--serial", "--seed", "2",
                 "--fan-years", "evaluation", "--plan", "run", "--out", "ens-plan", "--quiet"]) == 0
    cols = ["site_id", "level", "size_classes", "open_year"]
    written = pd.read_csv(folder / "run" / "plan.csv", dtype={"site_id": str})[cols]
    judged = pd.read_csv(folder / "ens-plan" / "baseline_plan.csv", dtype={"site_id": str})[cols]
    pd.testing.assert_frame_equal(written.sort_values(cols).reset_index(drop=True),
                                  judged.sort_values(cols).reset_index(drop=True))
    summary = json.loads((folder / "ens-plan" / "summary.json").read_text(encoding="utf-8"))
    assert summary["baseline_plan"]["source"].endswith("plan.csv")
    # a plan naming a site the city does not have, or a size that is not a number:
    # exit 1, the file, the column and the CSV line named, nothing written
    for column, value in (("site_id", "nowhere"), ("size_classes", "big")):
        bad = pd.read_csv(folder / "run" / "plan.csv", dtype=str)
        bad.loc[0, column] = value
        bad.to_csv(folder / f"bad_{column}.csv", index=False)
        capsys.readouterr()
        assert main(["ensemble", "tiny.toml", "--draws", "2", "--fit-draws", "0", "--serial",
                     "--plan", f"bad_{column}.csv", "--out", "ens-bad"]) == 1
        err = capsys.readouterr().err
        assert f"bad_{column}.csv" in err and column in err and "line 2" in err
        assert not (folder / "ens-bad").exists()
