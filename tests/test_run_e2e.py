"""`capacity run` end to end on the tiny city, with the report on (the default): the files the
README lists and what is in them; `capacity export` through the command line; --force, --quiet;
identical tables from identical runs; and the flow writes through one function and reads nothing back.
"""

from __future__ import annotations

import builtins
import io
import json

import pandas as pd
import pytest

from capacity import LEVELS
from capacity.cli import main
from capacity.io.schema import OPTIONAL, TABLES
from capacity.testing import TINY_SCENARIO, write_tiny_city

REPORTED = TINY_SCENARIO.replace("report = false", "report = true")
README_FILES = ["plan.csv", "assignment.csv", "zone_balance.csv", "summary.json", "schedule.csv", "schedule.xlsx",
                "schedule_gantt.png", *[f"map_{lv}.png" for lv in LEVELS], "plan.gpkg", "shortlist.csv",
                "report.html", "population.csv", "components.csv", "school_age.csv", "demand.csv",
                "calibration.json", "school_age.png"]
TABLES_COMPARED = ("plan.csv", "assignment.csv", "zone_balance.csv")


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e")
    write_tiny_city(folder / "tiny")
    (folder / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    (folder / "reported.toml").write_text(REPORTED, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reported(city_dir):
    """One `capacity run` with the report on, into city_dir/outs/run."""
    import os

    cwd = os.getcwd()
    os.chdir(city_dir)
    try:
        assert main(["run", "reported.toml", "--out", "outs/run", "--quiet"]) == 0
    finally:
        os.chdir(cwd)
    return city_dir / "outs" / "run"


def test_a_reported_run_writes_every_file_the_readme_lists(reported):
    missing = [f for f in README_FILES if not (reported / f).is_file()]
    assert not missing
    for name in [f for f in README_FILES if f.endswith(".png")]:
        head = (reported / name).read_bytes()[:8]
        assert head == b"\x89PNG\r\n\x1a\n" and (reported / name).stat().st_size > 5_000, name
    assert not [p for p in reported.parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_the_tables_have_the_schema_and_agree_with_each_other(reported):
    plan = pd.read_csv(reported / "plan.csv", dtype={"site_id": str, "zone_id": str})
    assert list(plan.columns)[:len(TABLES["plan"])] == list(TABLES["plan"])
    assert set(plan.columns) - set(TABLES["plan"]) <= set(OPTIONAL["plan"])  # issue-13 columns
    assert list(pd.read_csv(reported / "assignment.csv").columns) == list(TABLES["assignment"])
    balance = pd.read_csv(reported / "zone_balance.csv", dtype={"zone_id": str})
    assert list(balance.columns) == list(TABLES["zone_balance"])
    # the scenario: exactly one new kindergarten and one new primary school
    new = plan[plan["action"] == "new"].groupby("level").size()
    assert new["kindergarten"] == 1 and new["primary"] == 1
    assert (plan["seats"] == plan["size_classes"] * plan["level"].map({"kindergarten": 30, "primary": 45,
                                                                      "middle": 50, "high": 50})).all()
    unit = pd.read_csv(reported / "unit_demand.csv")
    assert balance["demand"].sum() == pytest.approx(unit["pupils"].sum())
    assert (balance["balance"] == balance["seats"] - balance["demand"]).all()
    schedule = pd.read_csv(reported / "schedule.csv")
    assert len(plan) > 0 and schedule["seats"].sum() == pytest.approx(plan["seats"].sum())
    assert schedule["cost_cny"].sum() == pytest.approx(plan["cost_cny"].sum())


def test_the_summary_holds_the_headline_numbers_and_the_targets(reported):
    s = json.loads((reported / "summary.json").read_text(encoding="utf-8"))
    plan = pd.read_csv(reported / "plan.csv")
    for key in ("status", "objective_parts", "best_bound", "gap", "build_seconds", "solve_seconds",
                "schools_by_level_and_year", "cost_cny_by_year", "unserved_pupils", "share_within_walk_standard"):
        assert key in s, key
    assert s["status"] in ("optimal", "feasible") and 0 <= s["gap"] <= 0.01
    assert s["schools_by_level"]["kindergarten"]["new"] == 1
    assert s["cost_cny_total"] == pytest.approx(plan["cost_cny"].sum())
    targets = {t["id"]: t for t in s["targets"]}
    assert targets["T1"]["met"] is True and targets["T1"]["value"] == 1
    assert targets["T2"]["met"] is True
    balance = pd.read_csv(reported / "zone_balance.csv")
    first = str(s["levels"] and min(int(y) for y in s["unserved_pupils"]["primary"]))
    assert s["unserved_pupils"]["primary"][first] == pytest.approx(
        balance[(balance["level"] == "primary") & (balance["year"] == int(first))]["unserved"].sum())


def test_the_report_and_workbook_open(reported):
    from openpyxl import load_workbook

    html = (reported / "report.html").read_text(encoding="utf-8")
    assert "tiny" in html and "T1" in html and "T15" in html
    assert html.count("data:image/png;base64,") >= 6  # four maps, the phasing chart, the projection
    assert "<script src=" not in html and "http://" not in html.split("</style>")[0]
    book = load_workbook(reported / "schedule.xlsx", read_only=True)
    assert "summary" in book.sheetnames
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(reported / "plan.gpkg")}
    assert {"zones", "chosen_sites", "assignments", "shortlist"} <= layers
    chosen = pyogrio.read_dataframe(reported / "plan.gpkg", layer="chosen_sites")
    assert len(chosen) == len(pd.read_csv(reported / "plan.csv"))
    zones = pyogrio.read_dataframe(reported / "plan.gpkg", layer="zones")
    assert set(zones["name_local"]) == {"甲区", "乙县"}


def test_export_shp_and_geojson_through_the_command_line(reported, capsys):
    import pyogrio

    shp = reported.parent / "shp"
    assert main(["export", str(reported), "--format", "shp", "--out", str(shp), "--quiet"]) == 0
    cpg = sorted(shp.glob("*.cpg"))
    assert len(cpg) == 7 and all(p.read_text().strip() == "UTF-8" for p in cpg)
    zones = pyogrio.read_dataframe(shp / "zones.shp")
    assert set(zones["name_zh"]) == {"甲区", "乙县"}  # Chinese names survive the DBF
    before = {p.name: p.read_bytes() for p in shp.iterdir()}
    capsys.readouterr()
    assert main(["export", str(reported), "--format", "shp", "--out", str(shp)]) == 1  # no --force
    assert "already exists" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in shp.iterdir()} == before

    gj = reported.parent / "geojson"
    assert main(["export", str(reported), "--format", "geojson", "--out", str(gj), "--quiet"]) == 0
    chosen = pyogrio.read_dataframe(gj / "chosen_sites.geojson")
    assert chosen.crs.to_epsg() == 4326 and len(chosen) == len(pd.read_csv(reported / "plan.csv"))
    assert 102 < chosen.geometry.x.mean() < 103 and 24 < chosen.geometry.y.mean() < 26


def test_a_failing_forced_run_leaves_the_previous_output_intact(city_dir, monkeypatch, capsys):
    monkeypatch.chdir(city_dir)
    assert main(["run", "tiny.toml", "--out", "outs/keep", "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in (city_dir / "outs" / "keep").iterdir()}
    # an infeasible scenario (five new primary schools where two sites exist): exit 2
    (city_dir / "big.toml").write_text(TINY_SCENARIO.replace("primary = 1", "primary = 5"), encoding="utf-8")
    assert main(["run", "big.toml", "--out", "outs/keep", "--force", "--quiet"]) == 2
    # a failure while writing (after the temporary folder was made): exit 1
    from capacity.errors import DataError
    from capacity.io import run as io_run

    def broken(rep, folder):
        raise DataError("disk full (simulated)", path=folder)

    monkeypatch.setattr(io_run, "write_plan_files", broken)
    assert main(["run", "tiny.toml", "--out", "outs/keep", "--force", "--quiet"]) == 1
    assert "disk full" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (city_dir / "outs" / "keep").iterdir()} == before
    assert not [p.name for p in (city_dir / "outs").iterdir() if p.name.startswith(".")]


def test_quiet_prints_only_the_last_line_and_two_runs_give_identical_tables(city_dir, reported, monkeypatch,
                                                                           capsys):
    monkeypatch.chdir(city_dir)
    capsys.readouterr()
    assert main(["run", "tiny.toml", "--out", "outs/quiet", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == "wrote outs/quiet\n" and err == ""
    assert main(["run", "tiny.toml", "--out", "outs/loud"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "wrote outs/loud" and len(out.splitlines()) > 1 and "solving with" in err
    # the same scenario twice: byte-identical tables (and the report does not change them)
    for name in TABLES_COMPARED + ("unit_demand.csv",):
        one = (city_dir / "outs" / "quiet" / name).read_bytes()
        assert one == (city_dir / "outs" / "loud" / name).read_bytes(), name
        assert one == (reported / name).read_bytes(), f"{name}: the report changed a table"


def test_a_run_writes_through_one_function_and_reads_nothing_back(city_dir, monkeypatch):
    """Every file of the output folder is opened once, for writing, by write_run; none is opened for reading."""
    from capacity.io import run as io_run

    monkeypatch.chdir(city_dir)
    outs = (city_dir / "outs").resolve()
    opened = []
    real_open = io.open

    def watch(file, mode="r", *args, **kwargs):
        if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__"):
            opened.append((str(file), mode))
        return real_open(file, mode, *args, **kwargs)

    calls = []
    real_write_run = io_run.write_run

    def write_run(result, folder):
        calls.append(folder)
        return real_write_run(result, folder)

    read_csv = pd.read_csv

    def no_read_csv(path, *args, **kwargs):
        assert outs not in getattr(path, "parents", []) and not str(path).startswith(str(outs)), path
        return read_csv(path, *args, **kwargs)

    monkeypatch.setattr(io_run, "write_run", write_run)
    monkeypatch.setattr(pd, "read_csv", no_read_csv)
    monkeypatch.setattr(io, "open", watch)
    monkeypatch.setattr(builtins, "open", watch)
    assert main(["run", "reported.toml", "--out", "outs/watched", "--quiet"]) == 0
    monkeypatch.undo()

    assert len(calls) == 1
    assert any("tiny" in p and m.startswith("r") for p, m in opened), "control: the watcher sees inputs read"
    mine = [(p, m) for p, m in opened if str((city_dir / p).resolve()).startswith(str(outs))]
    reads = [(p, m) for p, m in mine if not any(c in m for c in "wax+")]
    assert not reads, f"read back during the run: {reads}"
    names = [str((city_dir / p).resolve()) for p, _ in mine]
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"written more than once: {twice}"
    written = {n.rsplit("/", 1)[-1] for n in names}
    assert {"plan.csv", "assignment.csv", "zone_balance.csv", "summary.json", "report.html",
            "school_age.png", "map_primary.png", "schedule.csv"} <= written


def test_capacity_report_adds_the_report_to_a_run_folder(city_dir, monkeypatch, capsys):
    """A run made with outputs.report = false, written before summaries held their targets: `capacity report`."""
    monkeypatch.chdir(city_dir)
    assert main(["run", "tiny.toml", "--out", "outs/bare", "--quiet"]) == 0
    bare = city_dir / "outs" / "bare"
    assert not (bare / "report.html").exists()
    summary = json.loads((bare / "summary.json").read_text(encoding="utf-8"))
    expected = summary.pop("targets")
    (bare / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    plan_before = (bare / "plan.csv").read_bytes()
    capsys.readouterr()
    assert main(["report", "outs/bare", "--quiet"]) == 0
    assert capsys.readouterr().out == "wrote the report into outs/bare\n"
    assert (bare / "report.html").is_file() and (bare / "map_kindergarten.png").is_file()
    assert (bare / "plan.gpkg").is_file() and (bare / "plan.csv").read_bytes() == plan_before
    again = json.loads((bare / "summary.json").read_text(encoding="utf-8"))
    assert [t["id"] for t in again["targets"]] == [t["id"] for t in expected]
    assert [t["met"] for t in again["targets"]] == [t["met"] for t in expected]  # the same checks, recomputed
    assert main(["report", "outs/bare"]) == 1
    assert "already has a report" in capsys.readouterr().err
    assert not [p.name for p in (city_dir / "outs").iterdir() if p.name.startswith(".")]
