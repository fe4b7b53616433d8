"""capacity.pipeline: the stages in memory — what a notebook gets from `capacity.plan`, with no folder."""

from __future__ import annotations

import dataclasses
import os

import pytest

import capacity
from capacity.io.schema import TABLES
from capacity.pipeline import PlanRun, ProjectionRun
from capacity.testing import TINY_SCENARIO, write_tiny_city


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline")
    write_tiny_city(folder / "tiny")
    (folder / "tiny.toml").write_text(TINY_SCENARIO.replace('data = "tiny"', f'data = "{folder / "tiny"}"'),
                                      encoding="utf-8")
    before = sorted(os.listdir(folder))
    scenario, city = capacity.load_inputs(folder / "tiny.toml")
    projection = capacity.project(scenario, city)
    result = capacity.plan(scenario, city, projection)
    assert sorted(os.listdir(folder)) == before  # nothing written anywhere near the inputs
    return scenario, city, projection, result


def test_plan_returns_the_tables_in_memory(planned):
    scenario, city, projection, result = planned
    assert isinstance(projection, ProjectionRun) and isinstance(result, PlanRun)
    assert result.projection is projection
    for table in ("plan", "assignment", "zone_balance", "unit_demand"):
        frame = getattr(result, table)
        assert list(frame.columns)[:len(TABLES[table])] == list(TABLES[table]), table
    assert len(result.plan) > 0 and len(result.assignment) > 0
    assert set(result.zone_balance["zone_id"]) == set(city.zones["zone_id"])
    assert result.plan.attrs["units"]["cost_cny"] == "CNY"
    assert result.years == [2025, 2030] and result.scenario["name"] == "tiny"


def test_the_summary_is_computed_once_with_its_targets(planned):
    scenario, city, _, result = planned
    s = result.summary
    ids = [t["id"] for t in s["targets"]]
    assert ids[:4] == ["T1", "T2", "T3", "T4"] and "T15" in ids
    t1 = next(t for t in s["targets"] if t["id"] == "T1")
    assert t1["met"] is True and t1["value"] == int(((result.plan["level"] == "kindergarten")
                                                     & (result.plan["action"] == "new")).sum()) == 1
    assert s["metric_crs"] == city.metric_crs
    assert s["cost_cny_total"] == pytest.approx(result.plan["cost_cny"].sum())
    assert "plan tiny: status" in result.describe()


def test_results_are_frozen(planned):
    *_, result = planned
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.plan = None


def test_old_helper_names_still_resolve_with_a_warning():
    from capacity.optimize import translate

    with pytest.warns(DeprecationWarning, match="moved to capacity.optimize.translate"):
        from capacity.pipeline import plan_demand
    assert plan_demand is translate.plan_demand
