"""capacity.rollover.projected_base: the next plan starts from the run's own projection (issue 13, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capacity.demography.params import ProjectionParams
from capacity.demography.run import project_tables
from capacity.rollover import projected_base, tfr_path
from capacity.testing import tiny_frames

ZONES = ("100001", "100002")
AGES = {"kindergarten": (3, 5), "primary": (6, 11)}


@pytest.fixture(scope="module")
def first_run():
    f = tiny_frames()
    params = ProjectionParams(base_year=2023, horizon=2035, tfr=1.3)
    return f, project_tables(f["population.csv"], f["age_structure.csv"], f["births.csv"], ZONES, params, AGES)


def carried(f, run):
    return projected_base(f["population.csv"], f["age_structure.csv"], f["births.csv"], run.population,
                          run.components, 2023, 2025)


def test_rows_are_added_by_hand_and_labelled_projected(first_run):
    f, run = first_run
    c = carried(f, run)
    pop = c.population[c.population["provenance"] == "projected"]
    assert sorted(zip(pop["zone_id"], pop["year"])) == [("100001", 2024), ("100001", 2025),
                                                        ("100002", 2024), ("100002", 2025)]
    end = run.population[run.population["year"] == 2025].groupby("zone_id")["persons"].sum()
    assert pop.set_index(["zone_id", "year"]).loc[("100001", 2025), "persons"] == round(end["100001"])
    ages = c.age_structure[c.age_structure["provenance"] == "projected"]
    assert len(ages) == 2 * 101 * 2                              # 2 zones, ages 0-100, 2 sexes
    assert (ages["age_from"] == ages["age_to"]).all() and set(ages["sex"]) == {"male", "female"}
    assert set(ages["source_id"]) == {"rollover"} and (ages["year"] == 2025).all()
    # births: 2024 is reported (310) and kept; 2025 is the run's projected city births
    b = c.births.set_index("year")
    assert b.loc[2024, "births"] == 310 and b.loc[2024, "provenance"] == "synthetic"
    proj_2025 = run.components.loc[run.components["year"] == 2025, "births"].sum()
    assert b.loc[2025, "births"] == round(proj_2025) and b.loc[2025, "provenance"] == "projected"
    assert c.added["births"] == {2025: round(proj_2025)} and c.added["age_structure_rows"] == 404
    # the inputs are untouched
    assert len(f["population.csv"]) == 2 and len(f["births.csv"]) == 2


def test_a_reported_figure_is_kept_not_duplicated(first_run):
    f, run = first_run
    pop = pd.concat([f["population.csv"], pd.DataFrame([{
        "zone_id": "100002", "year": 2025, "measure": "year_end", "persons": 9999, "urban_share": np.nan,
        "provenance": "stated", "source_id": "tiny"}])], ignore_index=True)
    c = projected_base(pop, f["age_structure.csv"], f["births.csv"], run.population, run.components, 2023, 2025)
    rows = c.population[(c.population["zone_id"] == "100002") & (c.population["year"] == 2025)]
    assert rows["persons"].tolist() == [9999] and rows["provenance"].tolist() == ["stated"]


def test_the_next_projection_continues_the_run(first_run):
    """Same assumptions (TFR, e0 moved on by the years passed) → the same demand: the base is the
    run's 2025 population at every age (within 0.1 %: rounding, the smoothing solve), and
    school-age persons 2026-2030 agree within 0.5 %."""
    f, run = first_run
    c = carried(f, run)
    params = ProjectionParams(base_year=2025, horizon=2035, tfr=1.3, e0_male=76.0 + 0.15 * 2,
                              e0_female=81.5 + 0.15 * 2)
    nxt = project_tables(c.population, c.age_structure, c.births, ZONES, params, AGES)

    def by_age(p, year):
        return p[p["year"] == year].groupby(["zone_id", "age"])["persons"].sum()

    np.testing.assert_allclose(by_age(nxt.population, 2025), by_age(run.population, 2025), rtol=1e-3)
    for level, (lo, hi) in AGES.items():
        for year in range(2026, 2031):
            def persons(p):
                return p[(p["year"] == year) & p["age"].between(lo, hi)]["persons"].sum()
            assert persons(nxt.population) == pytest.approx(persons(run.population), rel=0.005), (level, year)


def test_zone_totals_alone_do_not_continue_the_run(first_run):
    """The old rollover (zone totals only): the base's age structure is re-guessed from the city's
    2023 shares and 2023-2024 births, and 2025's kindergarten ages differ from the run's."""
    f, run = first_run
    c = carried(f, run)
    params = ProjectionParams(base_year=2025, horizon=2035, tfr=1.3)
    old = project_tables(c.population, f["age_structure.csv"], f["births.csv"], ZONES, params, AGES)
    kg = lambda p: p[(p["year"] == 2025) & p["age"].between(3, 5)]["persons"].sum()  # noqa: E731
    assert abs(kg(old.population) / kg(run.population) - 1) > 0.01


def test_tfr_path_of_a_run():
    cal = {"city_tfr_future": 1.0, "method": {"city_tfr_fitted": {"2023": 0.9, "2024": 1.0},
                                              "tfr_trend_slope_per_year": 0.1, "tfr_trend_damping": 0.5}}
    path = tfr_path(cal, [2025, 2026])
    # 2025: one year after the last fitted year, damped sum 0.5; 2026: 0.75
    assert path == pytest.approx({2025: np.exp(0.05), 2026: np.exp(0.075)})
    assert tfr_path(cal, [2025], fixed=1.4) == {2025: 1.4}
    assert tfr_path({}, [2025]) == {}
