"""Shared fixtures: the tiny city of :mod:`capacity.testing`, as a data folder and
as a workspace with a scenario next to it.

The tiny city is written once per session (writing GeoPackages takes a moment)
and copied for each test, so a test may break its copy freely.
"""

from __future__ import annotations

import shutil

import pytest

from capacity.testing import TINY_SCENARIO, write_tiny_city


@pytest.fixture(scope="session")
def tiny_city_template(tmp_path_factory):
    """The pristine tiny data folder (shared: never modify it; use ``tiny_city``)."""
    return write_tiny_city(tmp_path_factory.mktemp("template") / "tiny")


@pytest.fixture(scope="session")
def tiny_problem(tiny_city_template):
    """The tiny city's optimiser problem: one new school per level, a 2024 budget of 40 M CNY,
    lag 0, flat unit demand (:func:`capacity.testing.flat_unit_demand`), 5 % cost discount."""
    from capacity.data import load_city
    from capacity.optimize.translate import problem_from_sections
    from capacity.scenario import ObjectiveParams, PlanParams
    from capacity.testing import flat_unit_demand

    city = load_city(tiny_city_template)
    plan = PlanParams(totals={"kindergarten": 1, "primary": 1, "middle": 1, "high": 1},
                      budget_cny={"2024": 4.0e7}, construction_lag_years=0)
    return problem_from_sections(city, flat_unit_demand(city), plan, ObjectiveParams(cost_discount_rate=0.05))[0]


@pytest.fixture
def tiny_city(tmp_path, tiny_city_template):
    """A fresh copy of the tiny data folder, ``<tmp>/tiny``, for this test alone."""
    return shutil.copytree(tiny_city_template, tmp_path / "tiny")


@pytest.fixture
def tiny_workspace(tiny_city, monkeypatch):
    """A folder holding ``tiny/`` (the data) and ``tiny.toml`` (:data:`TINY_SCENARIO`);
    the current directory for the test, so command lines can use relative paths."""
    folder = tiny_city.parent
    (folder / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder
