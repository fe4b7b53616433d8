"""Carried-over projects (schools.gpkg ``open_year``, ``added_seats``, ``added_year``) from a bureau's
register through ``capacity import`` (data/README.md, issue 13): mapped, read, and used by the model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capacity.data import load_city
from capacity.errors import DataError
from capacity.importer import import_folder

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bureau"
MAPPING = ('columns = { school_id = "学校标识码", name = "学校名称", level = "学段", seats = "核定学位数", '
           'classes = "班级数" }')
CARRIED = MAPPING[:-2] + (', open_year = "开办年份", added_seats = "在建增加学位", '
                          'added_year = "增加学位年份" }')


def bureau_with_projects(tmp_path, open_year, added_seats, added_year):
    folder = tmp_path / "bureau"
    shutil.copytree(EXAMPLE, folder)
    sheets = pd.read_excel(folder / "register.xlsx", sheet_name=None, dtype=object)
    reg = sheets["学校名册"]
    n = len(reg)
    reg["开办年份"] = [open_year] + [None] * (n - 1)            # school 1: a new school opening later
    reg["在建增加学位"] = [None, added_seats] + [None] * (n - 2)  # school 2: an expansion under way
    reg["增加学位年份"] = [None, added_year] + [None] * (n - 2)
    with pd.ExcelWriter(folder / "register.xlsx") as xl:
        for name, frame in sheets.items():
            frame.to_excel(xl, sheet_name=name, index=False)
    spec = (folder / "import.toml").read_text(encoding="utf-8")
    assert MAPPING in spec
    (folder / "import.toml").write_text(spec.replace(MAPPING, CARRIED), encoding="utf-8")
    return folder, reg


def test_the_importer_writes_carried_over_projects_the_model_reads(tmp_path):
    from capacity.optimize.geo import carried_over

    folder, reg = bureau_with_projects(tmp_path, 2027, 90, 2026)
    out = tmp_path / "city"
    import_folder(folder / "import.toml", out, today="2026-01-02")
    city = load_city(out)
    s = city.schools.set_index("school_id")
    first, second = (str(v) for v in reg["学校标识码"].iloc[:2])
    assert s.loc[first, "open_year"] == 2027 and np.isnan(s.loc[first, "added_seats"])
    assert (s.loc[second, "added_seats"], s.loc[second, "added_year"]) == (90, 2026)
    assert s["open_year"].notna().sum() == 1 and s["added_seats"].notna().sum() == 1
    # the optimiser's reader: school 1 counts from 2027, school 2's 90 seats from 2026
    kg = city.schools[city.schools["level"] == "kindergarten"].reset_index(drop=True)
    got = carried_over(kg, "kindergarten")
    i1, i2 = (int(np.flatnonzero(kg["school_id"] == x)[0]) for x in (first, second))
    assert got["open_from"][i1] == 2027 and got["added_seats"][i2] == 90 and got["added_from"][i2] == 2026


def test_a_year_that_is_not_whole_is_an_error_naming_the_column(tmp_path):
    folder, _ = bureau_with_projects(tmp_path, "2027.5", 90, 2026)
    with pytest.raises(DataError, match="开办年份") as err:
        import_folder(folder / "import.toml", tmp_path / "city", today="2026-01-02")
    assert "whole year" in str(err.value)
    assert not (tmp_path / "city").exists()                      # nothing written
