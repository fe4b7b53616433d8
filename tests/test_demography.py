"""Tests of capacity.demography on tiny hand-checkable inputs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity.demography import ProjectionParams, project_tables, run_projection
from capacity.demography import cohort
from capacity.demography.base import base_population, distribute, partition
from capacity.demography.fertility import female_birth_share, hadwiger_schedule, replacement_tfr
from capacity.demography.migration import migration_profile
from capacity.demography.mortality import life_table

KUNMING = Path(__file__).resolve().parents[1] / "data" / "kunming"


# ---- schedules -------------------------------------------------------------

def test_life_table_hits_e0_and_is_monotone():
    lt = life_table(78.0)
    assert lt.e0 == pytest.approx(78.0, abs=1e-6)
    assert np.all(np.diff(lt.lx) <= 0) and lt.lx[0] == 1.0
    assert np.all((lt.survival > 0) & (lt.survival <= 1))
    assert lt.Tx[0] == pytest.approx(lt.Lx.sum())


def test_schedules_sum_to_one():
    phi = hadwiger_schedule()
    assert phi.sum() == pytest.approx(1.0)
    assert phi[:12].sum() == 0 and phi[50:].sum() == 0
    assert 27 < (phi * (np.arange(101) + 0.5)).sum() < 32
    prof = migration_profile(male_share=0.6)
    assert prof.sum() == pytest.approx(1.0)
    assert prof[0].sum() == pytest.approx(0.6)
    assert female_birth_share(100) == 0.5


# ---- the cohort step ---------------------------------------------------------

def test_step_by_hand():
    # 3 ages (0, 1, 2+), one zone; survival 0.5 everywhere; women aged 1 bear 1 child/yr
    P = np.array([[[10.0, 20.0, 40.0], [10.0, 20.0, 40.0]]])
    survival = np.full((2, 3), 0.5)
    Q, deaths = cohort.age_and_survive(P, survival)
    assert Q[0, 1].tolist() == [0.0, 5.0, 30.0]          # 10·½ ; (20 + 40)·½
    assert deaths[0] == pytest.approx(70.0)
    births = cohort.births_from_rates(P, Q, np.array([[0.0, 1.0, 0.0]]))
    assert births[0] == pytest.approx(0.5 * (20 + 5))     # exposure ½(W + W')
    infant = cohort.add_newborns(Q, births, 0.5, np.array([0.8, 0.8]))
    assert Q[0, :, 0].tolist() == pytest.approx([5.0, 5.0]) and infant[0] == pytest.approx(2.5)
    P1, net = cohort.apply_net_migration(Q, np.array([-10.0]), np.full((2, 3), 1 / 6))
    assert net[0] == pytest.approx(-10.0) and (P1 >= 0).all()


def test_departures_never_exceed_population():
    Q = np.array([[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    P, net = cohort.apply_net_migration(Q, np.array([-100.0]), np.full((2, 3), 1 / 6))
    assert (P >= 0).all() and net[0] == pytest.approx(-2.0)


def test_stationary_population_stays_stationary():
    params = ProjectionParams(base_year=2000, horizon=2030, e0_gain=0.0)
    lt_m, lt_f = life_table(params.e0_male), life_table(params.e0_female)
    fshare = female_birth_share(params.srb)
    phi = hadwiger_schedule()
    B = 1000.0
    P0 = B * np.stack([(1 - fshare) * lt_m.Lx, fshare * lt_f.Lx])[None]   # L(100) holds T(100)
    T = 30
    rates = cohort.Rates(
        survival=np.repeat(np.stack([lt_m.survival, lt_f.survival])[None], T, axis=0),
        birth_survival=np.repeat([[lt_m.birth_survival, lt_f.birth_survival]], T, axis=0),
        schedule=phi, tfr=np.full((1, T), replacement_tfr(phi, lt_f.Lx, params.srb)),
        female_share=fshare, migration=np.zeros((1, T)), migration_is_rate=np.ones(T, bool),
        profile=migration_profile())
    traj = cohort.project(P0, rates)
    np.testing.assert_allclose(traj.population[-1], P0, rtol=1e-9)
    np.testing.assert_allclose(traj.births, B, rtol=1e-9)
    np.testing.assert_allclose(traj.deaths, B, rtol=1e-9)


# ---- the base population rule -------------------------------------------------

def test_partition_of_nested_groups():
    rows = pd.DataFrame({"age_from": [0, 15, 60, 65], "age_to": [14, 59, 100, 100],
                         "persons": [10.0, 60.0, 30.0, 20.0]})
    got = partition(rows)
    assert [(a, b) for a, b, _ in got] == [(0, 14), (15, 59), (60, 64), (65, 100)]
    assert [p for *_, p in got] == pytest.approx([10.0, 60.0, 10.0, 20.0])


def test_distribute_meets_groups_and_known_cohorts():
    lt = life_table(80.0)
    seed = np.stack([0.5 * lt.Lx, 0.5 * lt.Lx])
    known = np.full((2, 101), np.nan)
    known[:, 0] = [4.0, 6.0]
    out = distribute(1000.0, [(0, 14, 0.2), (15, 59, 0.6), (60, 100, 0.2)], seed, known)
    assert out.sum() == pytest.approx(1000.0)
    assert out[:, :15].sum() == pytest.approx(200.0) and out[:, 60:].sum() == pytest.approx(200.0)
    assert out[:, 0].tolist() == pytest.approx([4.0, 6.0])
    assert (out >= 0).all()


# ---- a small synthetic city, projected end to end ---------------------------------

ZONES = ("z1", "z2")


def tiny_tables(births=(300.0, 310.0), totals_2024=(30200.0, 9950.0)):
    population = pd.DataFrame({
        "zone_id": ["z1", "z2", "z1", "z2", "z1", "z2"], "year": [2020, 2020, 2023, 2023, 2024, 2024],
        "measure": ["year_end"] * 6,
        "persons": [29000.0, 10100.0, 30000.0, 10000.0, *totals_2024]})
    age_structure = pd.DataFrame({"scope": ["city"] * 3, "year": [2023] * 3, "age_from": [0, 15, 60],
                                  "age_to": [14, 59, 100], "sex": ["all"] * 3,
                                  "persons": [6000.0, 26000.0, 8000.0]})
    births_t = pd.DataFrame({"scope": ["city", "city"], "year": [2023, 2024], "births": list(births)})
    return population, age_structure, births_t


def test_identity_non_negativity_and_calibration():
    pop, ages, births = tiny_tables()
    r = project_tables(pop, ages, births, ZONES, ProjectionParams(horizon=2030))
    c = r.variant_components
    resid = c.population_start + c.births - c.deaths + c.net_migration - c.population_end
    assert resid.abs().max() < 1e-8
    assert (r.variants.persons >= 0).all()
    ends = r.population.groupby(["zone_id", "year"]).persons.sum()
    comp = r.components.set_index(["zone_id", "year"]).population_end
    np.testing.assert_allclose(ends.loc[comp.index], comp, rtol=1e-12)
    cal = r.calibration
    assert cal["births_within_3pct"] and cal["zone_totals_within_1pct"]
    fit = pd.DataFrame(cal["births_fit"]).set_index("year")
    assert fit.loc[2024, "projected"] == pytest.approx(310.0, rel=1e-9)
    assert r.components.query("year == 2024").births.sum() == pytest.approx(310.0)
    assert ends.loc[("z1", 2024)] == pytest.approx(30200.0) and ends.loc[("z2", 2024)] == pytest.approx(9950.0)
    assert ends.xs(2023, level="year").sum() == pytest.approx(40000.0)


def test_calibration_recovers_known_tfr_and_migration():
    """Make 2024 data with a known TFR and migration, then fit them back."""
    pop, ages, births = tiny_tables()
    truth = project_tables(pop, ages, births.iloc[:1], ZONES,
                           ProjectionParams(horizon=2024, tfr=1.4, calibrate=False,
                                            migration_rate={"z1": 0.01, "z2": -0.02}))
    b24 = truth.components.query("year == 2024").births.sum()
    end = truth.components.query("year == 2024").set_index("zone_id").population_end
    pop2 = pd.concat([pop[pop.year < 2024], pd.DataFrame({
        "zone_id": list(end.index), "year": 2024, "measure": "year_end", "persons": end.to_numpy()})])
    births2 = pd.DataFrame({"scope": ["city", "city"], "year": [2023, 2024], "births": [300.0, b24]})
    fit = project_tables(pop2, ages, births2, ZONES, ProjectionParams(horizon=2026))
    assert fit.calibration["city_tfr_by_year"][2024] == pytest.approx(1.4, rel=1e-9)
    start = truth.components.query("year == 2024").set_index("zone_id").population_start
    net = fit.components.query("year == 2024").set_index("zone_id").net_migration
    np.testing.assert_allclose(net / start, [0.01, -0.02], rtol=1e-9)


def test_variants_are_ordered_and_draws_reproducible():
    pop, ages, births = tiny_tables()
    groups = {"primary": (6, 11)}
    p = ProjectionParams(horizon=2035, draws=40, seed=7, chunk_draws=16)
    r1 = project_tables(pop, ages, births, ZONES, p, age_groups=groups)
    r2 = project_tables(pop, ages, births, ZONES, p, age_groups=groups)
    pd.testing.assert_frame_equal(r1.stochastic, r2.stochastic)
    r3 = project_tables(pop, ages, births, ZONES, ProjectionParams(horizon=2035, draws=40, seed=8),
                        age_groups=groups)
    assert not np.allclose(r1.stochastic.persons, r3.stochastic.persons)
    tot = r1.variant_components.query("year == 2035").groupby("variant").births.sum()
    assert tot["low"] < tot["medium"] < tot["high"]
    q = r1.stochastic.query("zone_id == 'city' and group == 'all' and year == 2035").set_index("quantile").persons
    assert q[0.05] <= q[0.5] <= q[0.95]
    same = r1.variant_components.query("year == 2024").groupby("variant").population_end.sum()
    assert same.max() - same.min() < 1e-6             # calibrated years agree across variants


def test_run_projection_on_tiny_city(tmp_path):
    from capacity.data.load import load_city
    from capacity.testing import write_tiny_city

    city = load_city(write_tiny_city(tmp_path / "tiny"))
    r = run_projection(city, ProjectionParams(horizon=2028, draws=5))
    assert set(r.population.zone_id) == {"100001", "100002"}
    assert set(r.stochastic.group) == {"kindergarten", "primary", "middle", "high", "all"}
    assert r.population.query("year == 2023").persons.sum() == pytest.approx(40000.0)


@pytest.mark.skipif(not (KUNMING / "births.csv").is_file(), reason="data/kunming has no births.csv yet")
def test_kunming_calibration_fit():
    from capacity.data.load import load_city

    r = run_projection(load_city(KUNMING), ProjectionParams())
    fit = pd.DataFrame(r.calibration["births_fit"]).set_index("year")
    # the calibration fits reported births exactly (TFR solved per year), so no tolerance beyond rounding
    assert fit.loc[2023, "projected"] == pytest.approx(65_400, rel=1e-9)
    assert fit.loc[2024, "projected"] == pytest.approx(68_500, rel=1e-9)
    assert r.calibration["zone_totals_within_1pct"]
    ends = r.population.query("year == 2023").groupby("zone_id").persons.sum()
    obs = r.base.set_index("zone_id").total
    np.testing.assert_allclose(ends.loc[obs.index], obs, rtol=1e-9)


def test_write_projection(tmp_path):
    import json

    from capacity.data.load import load_city
    from capacity.demand import run_demand
    from capacity.io.run import write_projection_files
    from capacity.pipeline import ProjectionRun
    from capacity.testing import write_tiny_city

    city = load_city(write_tiny_city(tmp_path / "tiny"))
    proj = run_projection(city, ProjectionParams(horizon=2027, draws=6))
    out = tmp_path / "out"
    out.mkdir()
    files = write_projection_files(ProjectionRun(proj, run_demand(city, proj)), out)
    for name in ("population.csv", "components.csv", "school_age.csv", "demand.csv",
                 "calibration.json", "school_age.png"):
        assert out / name in files and (out / name).is_file()
    d = pd.read_csv(out / "demand.csv")
    assert list(d.columns[:7]) == ["zone_id", "year", "level", "pupils", "seats_existing",
                                   "seats_needed", "deficit"]
    assert json.loads((out / "calibration.json").read_text())["births_within_3pct"]


# ---- the method that passed the back-test -------------------------------------------

def test_zone_fertility_factor_is_the_census_child_ratio_over_the_city():
    from capacity.demography.fertility import zone_fertility_factors

    ages = pd.DataFrame({"scope": ["city", "city", "z1", "z1"], "year": [2020] * 4, "age_from": [0, 15, 0, 15],
                         "age_to": [14, 59, 14, 59], "sex": ["all"] * 4, "persons": [200.0, 1000.0, 30.0, 100.0]})
    f, notes = zone_fertility_factors(ages, ["z1", "z2"], 2023)
    assert f.tolist() == pytest.approx([(30 / 100) / (200 / 1000), 1.0])   # 1.5; z2 has no census
    assert "child ratio" in notes["z1"]["rule"] and "z2" not in notes
    f, notes = zone_fertility_factors(ages, ["z1"], 2023, given={"z1": 0.9})
    assert f.tolist() == [0.9] and notes["z1"]["rule"] == "scenario tfr_zone_factor"
    assert zone_fertility_factors(ages, ["z1"], 2019)[0].tolist() == [1.0]    # a later census is not used


def test_intake_anchors_a_cohort_and_own_census_beats_the_city():
    lt = life_table(78.0)
    pop = pd.DataFrame({"zone_id": ["z1"], "year": [2023], "measure": ["year_end"], "persons": [40000.0]})
    ages = pd.DataFrame({"scope": ["city"] * 3 + ["z1"] * 3, "year": [2023] * 3 + [2020] * 3,
                         "age_from": [0, 15, 60] * 2, "age_to": [14, 59, 100] * 2, "sex": ["all"] * 6,
                         "persons": [6000.0, 26000.0, 8000.0, 4000.0, 30000.0, 6000.0]})
    births = pd.DataFrame({"scope": ["city"], "year": [2023], "births": [300.0]})
    enrol = pd.DataFrame({"scope": ["city"], "year": [2022], "level": ["primary"], "intake": [700.0]})
    fs = female_birth_share(110)
    P0, notes = base_population(pop, ages, births, ["z1"], 2023, lt, lt, fs, enrolment=enrol,
                                entry_ages={"primary": 6})
    # entered primary at 6 in 2022 → aged 7 at the end of 2023, × survival L(7)/L(6) ≈ 1
    assert P0[0, :, 7].sum() == pytest.approx(700.0 * lt.Lx[7] / lt.Lx[6], rel=1e-6)
    assert notes.structure_scope[0] == "z1" and notes.structure_year[0] == 2020
    assert P0[0, :, :15].sum() == pytest.approx(40000.0 * 4000 / 40000, rel=1e-6)   # its own 0–14 share
    assert 7 in notes.anchored_ages[0] and 0 in notes.anchored_ages[0]
    P1, _ = base_population(pop, ages, births, ["z1"], 2023, lt, lt, fs)            # no enrolment: smooth
    assert abs(P1[0, :, 7].sum() - 700.0) > 1.0


def test_migration_damps_toward_the_long_run_rate_and_prior():
    """One zone with a history (rate 4 %), one without: ρ̃ = (W·ρ + κ·ρ̄)/(W + κ), then halves a year."""
    from types import SimpleNamespace

    from capacity.demography.paths import migration_rates

    cal = SimpleNamespace(reference_rate=np.array([0.04, 0.0]), history_weight=np.array([1.0, 0.0]))
    p = ProjectionParams(migration_prior_weight=1.0, migration_prior_rate=0.0)
    r = migration_rates(cal, ["a", "b"], np.array([1, 2, 3]), p, np.array([100.0, 50.0]))
    # the city mean over zones with history is 4 %, so ρ̃_a = 4 %; b starts at the prior 0
    assert r[0].tolist() == pytest.approx([0.02, 0.01, 0.005])
    assert r[1].tolist() == pytest.approx([0.0, 0.0, 0.0])
    p2 = ProjectionParams(migration_long_run_rate=0.01, migration_rate={"b": 0.03})
    r2 = migration_rates(cal, ["a", "b"], np.array([1, 2]), p2, np.array([100.0, 50.0]))
    assert r2[0].tolist() == pytest.approx([0.01 + 0.03 / 2, 0.01 + 0.03 / 4]) and r2[1].tolist() == [0.03, 0.03]


def test_tfr_follows_a_damped_trend_after_the_births():
    pop, ages, _ = tiny_tables()
    births = pd.DataFrame({"scope": ["city"] * 2, "year": [2023, 2024], "births": [300.0, 270.0]})
    r = project_tables(pop, ages, births, ZONES, ProjectionParams(horizon=2030))
    m = r.calibration["method"]
    k = m["city_tfr_fitted"]
    b = np.log(k[2024] / k[2023])
    assert m["tfr_trend_slope_per_year"] == pytest.approx(b)
    tfr = r.basis.tfr[0]                               # zone factor 1; projected years 2024..2030
    assert tfr[1] == pytest.approx(k[2024] * np.exp(b * 0.5))
    assert tfr[-1] == pytest.approx(k[2024] * np.exp(b * (1 - 0.5 ** 6)))
    fitted = r.calibration["data_fitted"]
    assert fitted["births_fitted_years"] == [2023, 2024]
    assert {"zone_id": "z1", "year": 2024} in fitted["zone_totals_fitted"]


def test_pupils_anchor_an_age_band_when_asked():
    lt = life_table(78.0)
    pop = pd.DataFrame({"zone_id": ["z1"], "year": [2023], "measure": ["year_end"], "persons": [40000.0]})
    ages = pd.DataFrame({"scope": ["city"] * 3, "year": [2023] * 3, "age_from": [0, 15, 60],
                         "age_to": [14, 59, 100], "sex": ["all"] * 3, "persons": [6000.0, 26000.0, 8000.0]})
    births = pd.DataFrame({"scope": ["city"], "year": [2023], "births": [300.0]})
    enrol = pd.DataFrame({"scope": ["city"], "year": [2022], "level": ["kindergarten"], "pupils": [1500.0],
                          "intake": [np.nan]})
    P0, _ = base_population(pop, ages, births, ["z1"], 2023, lt, lt, female_birth_share(110),
                            enrolment=enrol, group_ages={"kindergarten": (3, 5)})
    assert P0[0, :, 4:7].sum() == pytest.approx(1500.0, rel=1e-6)      # ages 3–5 in 2022 are 4–6 in 2023
    assert P0[0, :, :15].sum() == pytest.approx(6000.0, rel=1e-6)      # the broad group still holds
    too_many = enrol.assign(pupils=7000.0)                              # more than all of 0–14: left out
    P1, _ = base_population(pop, ages, births, ["z1"], 2023, lt, lt, female_birth_share(110),
                            enrolment=too_many, group_ages={"kindergarten": (3, 5)})
    assert P1[0, :, 4:7].sum() < 7000.0
