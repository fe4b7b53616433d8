"""Rolling-origin back-test (capacity.demography.backtest, spread, backtest_io) on a tiny history.

The tiny city gets a short history: zone A (100001) has year-end totals
2019–2024, zone B (100002) only from 2022 (so it is left out of origin 2021),
city births 2019–2024 and one estimate (not a report).
"""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from capacity.cli import main
from capacity.demography import ProjectionParams
from capacity.demography.backtest import (COLUMNS, BacktestTables, base_year_for, error_stats, prepare_origin,
                                          reported_figures, run_backtest, summary_table)
from capacity.demography.calibrate import recency_weighted_rate
from capacity.demography.paths import damped_sum, tfr_trend
from capacity.demography.spread import calibrate_spread, coverage
from capacity.testing import TINY_SCENARIO, tiny_frames, write_tiny_city

A, B = "100001", "100002"
PARAMS = ProjectionParams(horizon=2030)


def history_frames():
    f = tiny_frames()
    rows = [(A, y, p) for y, p in zip(range(2019, 2025), [27000, 27600, 28200, 28700, 29100, 29400])]
    rows += [(B, 2022, 9900), (B, 2023, 10000), (B, 2024, 10050)]
    pop = pd.DataFrame({"zone_id": [r[0] for r in rows], "year": [r[1] for r in rows],
                        "measure": "year_end", "persons": [r[2] for r in rows], "urban_share": np.nan,
                        "provenance": "stated", "source_id": "tiny"})
    est = pd.DataFrame({"zone_id": [B], "year": [2025], "measure": ["year_end"], "persons": [10100],
                        "urban_share": [np.nan], "provenance": ["estimate"], "source_id": ["tiny"]})
    f["population.csv"] = pd.concat([pop, est], ignore_index=True)
    f["births.csv"] = pd.DataFrame({"scope": "city", "year": list(range(2019, 2025)),
                                    "births": [330, 320, 300, 280, 290, 300],
                                    "provenance": "stated", "source_id": "tiny"})
    ag = f["age_structure.csv"].copy()
    f["age_structure.csv"] = pd.concat([ag.assign(year=2020), ag], ignore_index=True)
    return f


CITY = pd.DataFrame({"year": list(range(2019, 2025)), "measure": "year_end",
                     "persons": [36800.0, 37600.0, 38400.0, 38600.0, 39100.0, 39450.0], "provenance": "stated"})


def tables(frames=None, city=None):
    f = frames or history_frames()
    zones = pd.DataFrame(f["zones.gpkg"].drop(columns="geometry"))
    return BacktestTables(population=f["population.csv"], age_structure=f["age_structure.csv"],
                          births=f["births.csv"], zones=zones,
                          city_population=pd.DataFrame(columns=["year", "measure", "persons"]) if city is None
                          else city, enrolment=f["enrolment.csv"], age_groups={"primary": (6, 11)})


# ---- pure pieces with hand-checkable values ------------------------------------------

def test_recency_weights_by_hand():
    # φ = ½: the last fitted year weighs 1, the one before ½; a 2-year pre-base rate ¼ + ⅛;
    # a zone with no fitted year has a pre-base rate two years older: weight ¼
    fitted = np.array([[0.02, 0.04], [np.nan, np.nan], [np.nan, np.nan]])
    rate, w = recency_weighted_rate(np.array([0.10, 0.03, np.nan]), np.array([2, 1, 0]), fitted, 0.5)
    assert w.tolist() == pytest.approx([1.875, 0.25, 0.0])
    assert rate[0] == pytest.approx((0.04 * 1 + 0.02 * 0.5 + 0.10 * 0.375) / 1.875)
    assert rate[1] == pytest.approx(0.03) and rate[2] == 0.0


def test_damped_trend_by_hand():
    assert damped_sum(0.5, [0, 1, 2, 3]).tolist() == pytest.approx([0, 0.5, 0.75, 0.875])
    assert tfr_trend({2020: 1.0, 2021: np.exp(-0.1)}, 5) == pytest.approx(-0.1)
    assert tfr_trend({2021: 1.2}, 5) == 0.0                       # one point: no trend
    assert tfr_trend({2010: 2.0, 2020: 1.0, 2021: 1.0}, 5) == 0.0  # 2010 is outside the window


def test_error_stats_by_hand():
    t = pd.DataFrame({"reported": [100.0, 100.0], "projected": [110.0, 95.0], "low": [90.0, 96.0],
                      "high": [120.0, 99.0], "error": [0.10, -0.05]})
    s = error_stats(t)
    assert s["n"] == 2 and s["mae"] == pytest.approx(0.075) and s["mean_error"] == pytest.approx(0.025)
    assert s["coverage"] == 0.5                                   # 100 > 99: the second is outside
    assert s["mean_band_width"] == pytest.approx((15 / 110 + 1.5 / 95) / 2)
    assert coverage(t) == 0.5


def test_base_year_is_the_best_covered_year():
    pop = history_frames()["population.csv"]
    assert base_year_for(pop, 2021) == 2021          # only A has figures up to 2021
    assert base_year_for(pop, 2023) == 2023          # both from 2022; the later year wins
    assert base_year_for(pop, 2022) == 2022


def test_reported_figures_skip_estimates_and_earlier_years():
    rep = reported_figures(tables(), 2022, [A, B])
    assert set(rep.year) == {2023, 2024, 2025} - {2025} | {2023, 2024}
    assert not ((rep.scope == B) & (rep.year == 2025)).any()     # the estimate is not a report
    assert set(rep[rep.measure == "births"].year) == {2023, 2024}


# ---- the back-test ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def result():
    return run_backtest(tables(), PARAMS, [2021, 2022], draws=200)


def test_table_has_one_row_per_report_after_the_origin(result):
    t = result.table
    assert list(t.columns) == COLUMNS
    o21 = t[t.origin == 2021]
    # A: 2022–2024 population, city births 2022–2024; B left out (first figure 2022)
    assert sorted(o21[o21.measure == "population"].year) == [2022, 2023, 2024]
    assert set(o21.scope) == {A, "city"}
    o22 = t[t.origin == 2022]
    assert len(o22[(o22.scope == B)]) == 2 and len(o22[o22.scope == A]) == 2
    assert np.allclose(t.error, t.projected / t.reported - 1)
    assert (t.low <= t.high).all()
    left = result.summary["origins"]["2021"]["left_out"]
    assert left == [{"zone_id": B, "reason": "no population figure in or before 2021"}]
    assert result.summary["origins"]["2022"]["left_out"] == []


def test_coverage_scales_city_figures_when_a_county_is_left_out(result):
    o = result.origins.set_index("origin")
    assert o.loc[2022, "coverage"] == 1.0
    # origin 2021: no city total, so the coverage stays 1 (no figure to scale by)
    assert o.loc[2021, "coverage"] == 1.0


def test_city_totals_set_the_coverage_and_later_ones_change_nothing():
    r = run_backtest(tables(city=CITY), PARAMS, [2021], draws=100)
    cov = r.origins.coverage.iloc[0]
    assert cov == pytest.approx(28200 / 38400)            # B left out: A's share of the city in 2021
    city = r.table[(r.table.scope == "city") & (r.table.measure == "population")]
    assert sorted(city.year) == [2022, 2023, 2024]
    later = CITY.assign(persons=np.where(CITY.year > 2021, CITY.persons * 2, CITY.persons))
    again = run_backtest(tables(city=later), PARAMS, [2021], draws=100).table
    assert np.allclose(again.projected, r.table.projected) and np.allclose(again.high, r.table.high)


def test_later_figures_do_not_change_the_backtest_projection(result):
    f = history_frames()
    for name, col in (("population.csv", "persons"), ("births.csv", "births"), ("age_structure.csv", "persons")):
        later = f[name]["year"] > 2021
        f[name].loc[later, col] = f[name].loc[later, col] * 1.5
    f["enrolment.csv"] = pd.concat([f["enrolment.csv"], pd.DataFrame(
        {"scope": ["city"], "year": [2023], "level": ["primary"], "pupils": [9999], "intake": [999]})])
    again = run_backtest(tables(f), PARAMS, [2021], draws=200).table
    before = result.table[result.table.origin == 2021].reset_index(drop=True)
    assert np.allclose(again.projected, before.projected) and np.allclose(again.low, before.low)
    assert np.allclose(again.high, before.high)
    assert not np.allclose(again.reported, before.reported)       # the reports did change


def test_summary_table_for_a_report(result):
    s = summary_table(result, base_year=2022)
    assert set(s.origin) == {2021}
    assert set(s.measure) == {"population", "births"}
    assert s.coverage.between(0, 1).all()


def test_spread_calibration_reaches_its_target():
    runs = [prepare_origin(tables(), PARAMS, o, 2024) for o in (2021, 2022)]
    got = calibrate_spread(runs, PARAMS, target=0.8, draws=100, tol=1e-3)
    assert set(got) <= {"tfr_sigma", "migration_sigma", "migration_zone_factor"}
    for v in got.values():
        assert v["coverage"] >= 0.8 or v["value"] in (0.5, 20.0)


def test_default_spread_is_the_calibrated_one_and_old_scenarios_keep_theirs():
    p = ProjectionParams()
    assert (p.tfr_sigma, p.migration_sigma, p.migration_zone_factor) == (0.14, 0.0035, 2.5)
    old = ProjectionParams(migration_sigma=0.03)
    assert old.migration_zone_factor == 0.5
    assert dataclasses.replace(old, draws=5).migration_zone_factor == 0.5


# ---- the command -----------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path, monkeypatch):
    write_tiny_city(tmp_path / "tiny", history_frames())
    (tmp_path / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_backtest_writes_three_files(folder, capsys):
    assert main(["backtest", "tiny.toml", "--origin", "2021", "--origin", "2022", "--draws", "50",
                 "--out", "bt"]) == 0
    t = pd.read_csv(folder / "bt" / "backtest.csv")
    assert list(t.columns) == COLUMNS and set(t.origin) == {2021, 2022}
    s = json.loads((folder / "bt" / "backtest_summary.json").read_text(encoding="utf-8"))
    assert set(s["origins"]) == {"2021", "2022"} and s["spread"]["tfr_sigma"] == 0.14
    assert (folder / "bt" / "backtest.png").stat().st_size > 10_000
    assert "origin 2021" in capsys.readouterr().out
    assert main(["backtest", "tiny.toml", "--origin", "2021", "--out", "bt", "--quiet"]) == 1   # exists
    assert main(["backtest", "tiny.toml", "--origin", "2021", "--out", "bt", "--quiet", "--force"]) == 0


@pytest.mark.parametrize("origin", ["2024", "2010"])
def test_cli_backtest_bad_origin_is_a_clear_error(folder, capsys, origin):
    assert main(["backtest", "tiny.toml", "--origin", origin, "--out", "bad"]) == 1
    err = capsys.readouterr().err
    assert "population.csv" in err and f"--origin {origin}" in err and "Traceback" not in err
    assert not (folder / "bad").exists()


def test_backtest_summary_for_a_projection_base_year():
    from capacity.demography.backtest import backtest_summary_for

    s = backtest_summary_for(tables(), dataclasses.replace(PARAMS, base_year=2023), draws=50)
    assert set(s.origin) == {2020, 2021, 2022} and list(s.columns)[:3] == ["origin", "measure", "n"]
    assert backtest_summary_for(tables(), dataclasses.replace(PARAMS, base_year=2018)).empty
