"""capacity.io.run: a run written by write_run reads back with read_run, typed as the schema says;
old column names still read (with a warning); a broken folder is a DataError naming file, column, line."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from capacity.errors import DataError, RenamedKeyWarning
from capacity.io import read_run, write_run
from capacity.io.jsonfile import json_text, to_jsonable
from capacity.io.run import read_plan
from capacity.io.schema import TABLES
from capacity.testing.sample import sample_plan


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("io-run")
    run, city, scenario = sample_plan(folder)
    files = write_run(run, folder / "run")
    return run, folder / "run", files


def test_write_run_writes_each_table_once_and_read_run_gives_them_back(written):
    run, folder, files = written
    names = [f.name for f in files]
    assert sorted(names) == sorted(["plan.csv", "assignment.csv", "zone_balance.csv", "unit_demand.csv",
                                    "summary.json", "scenario.json"])  # no projection: none written
    back = read_run(folder)
    for table in ("plan", "assignment", "zone_balance", "unit_demand"):
        frame = getattr(back, table)
        assert list(frame.columns)[:len(TABLES[table])] == list(TABLES[table]), table
        cols = list(TABLES[table])
        mine = getattr(run, table).reset_index(drop=True)[cols]
        pd.testing.assert_frame_equal(frame[cols], mine, check_dtype=False, check_exact=False, rtol=1e-12)
    assert str(back.plan["open_year"].dtype) == "int64" and back.plan["zone_id"].map(type).eq(str).all()
    assert back.summary == json.loads(json_text(run.summary)) and back.years == [2025, 2030]
    assert back.describe() == run.describe()


def test_an_old_run_folder_reads_with_the_old_names_mapped(written, tmp_path):
    _, folder, _ = written
    old = tmp_path / "old"
    shutil.copytree(folder, old)
    for name in ("plan.csv", "zone_balance.csv"):
        frame = pd.read_csv(old / name, dtype=str).rename(columns={"zone_id": "zone"})
        frame.to_csv(old / name, index=False)
    with pytest.warns(RenamedKeyWarning, match=r"old column name\(s\) \['zone'\]"):
        back = read_run(old)
    assert "zone_id" in back.plan.columns and "zone" not in back.plan.columns
    pd.testing.assert_frame_equal(back.zone_balance, read_run(folder).zone_balance)


def test_a_broken_folder_names_file_column_and_line(written, tmp_path):
    _, folder, _ = written
    with pytest.raises(DataError, match="not a run folder"):
        read_run(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    plan = pd.read_csv(broken / "plan.csv", dtype=str)
    plan.loc[2, "open_year"] = "2024.5"
    plan.drop(columns="cost_cny").to_csv(broken / "plan.csv", index=False)
    with pytest.raises(DataError) as err:
        read_run(broken)
    assert "plan.csv" in str(err.value) and "missing column(s) ['cost_cny']" in str(err.value)
    plan.to_csv(broken / "plan.csv", index=False)
    with pytest.raises(DataError) as err:
        read_run(broken)
    assert str(err.value).endswith("plan.csv, column 'open_year', line 4: expected a whole number")
    shutil.copy(folder / "plan.csv", broken / "plan.csv")
    (broken / "summary.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="summary.json, line 1: not valid JSON"):
        read_run(broken)


def test_read_plan_needs_only_the_plan_key(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("site_id,level,size_classes,open_year\nks1,kindergarten,6,2023\n", encoding="utf-8")
    plan = read_plan(path)
    assert plan.loc[0, "size_classes"] == 6 and plan["open_year"].dtype == "int64"
    with pytest.raises(DataError, match="missing column"):
        read_plan(path, key_only=False)


def test_json_is_written_one_way():
    import numpy as np

    value = {"a": np.int64(3), "b": np.float64("nan"), "c": (1, 2), "d": np.array([1.5]), "名": True}
    assert to_jsonable(value) == {"a": 3, "b": None, "c": [1, 2], "d": [1.5], "名": True}
    assert '"名": true' in json_text(value)  # Chinese kept readable, not \\u escaped
