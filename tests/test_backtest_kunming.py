"""The issue-12 thresholds on the Kunming data folder (slow: three origins at full size)."""

from pathlib import Path

import numpy as np
import pytest

KUNMING = Path(__file__).resolve().parents[1] / "data" / "kunming"
BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def result():
    from capacity.demography.backtest import BacktestTables, run_backtest
    from capacity.pipeline import load_inputs

    scenario, city = load_inputs(BASELINE)
    return run_backtest(BacktestTables.from_city(city), scenario.projection, [2020, 2021, 2022])


@pytest.mark.slow
def test_origin_2020_county_population_2023_within_3_percent(result):
    t = result.table
    c = t[(t.origin == 2020) & (t.measure == "population") & (t.scope != "city") & (t.year == 2023)]
    assert len(c) >= 10
    assert c.error.abs().mean() <= 0.03


@pytest.mark.slow
def test_origin_2020_city_births_inside_the_band(result):
    t = result.table
    b = t[(t.origin == 2020) & (t.measure == "births") & t.year.between(2021, 2024)]
    assert len(b) == 4 and ((b.reported >= b.low) & (b.reported <= b.high)).all()


@pytest.mark.slow
def test_coverage_and_band_width(result):
    t = result.table
    assert ((t.reported >= t.low) & (t.reported <= t.high)).mean() >= 0.8
    z = t[(t.measure == "population") & (t.scope != "city") & (t.year - t.origin == 3)]
    assert len(z) > 0 and np.median((z.high - z.low) / 2 / z.projected) <= 0.06
