"""capacity sweep (capacity.sweep): scenarios and their level solves as tasks, one table side by side."""

import json

import pandas as pd
import pytest

from capacity.cli import main
from capacity.io.run import read_run
from capacity.testing import TINY_SCENARIO, write_tiny_city

# budgets small enough that the levels' first round overspends 2023 (the combine task re-solves)
TIGHT = "\n[plan.budget_cny]\n2023 = 5.0e7\n2024 = 5.0e7\n2025 = 5.0e7\n"


def _scenario(name, kindergartens=1, extra=""):
    text = TINY_SCENARIO.replace('name = "tiny"', f'name = "{name}"')
    return text.replace("kindergarten = 1", f"kindergarten = {kindergartens}") + extra


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sweep")
    write_tiny_city(folder / "tiny")
    (folder / "a.toml").write_text(_scenario("tiny_a"), encoding="utf-8")
    (folder / "b.toml").write_text(_scenario("tiny_b", 2), encoding="utf-8")
    (folder / "c.toml").write_text(_scenario("tiny_c", 1, TIGHT), encoding="utf-8")
    return folder


FILES = ["a.toml", "b.toml", "c.toml"]


@pytest.fixture(scope="module")
def serial(folder):
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        assert main(["sweep", *FILES, "--out", "serial", "--serial", "--quiet"]) == 0
    finally:
        os.chdir(here)
    return folder / "serial"


def test_table_has_one_row_per_scenario_in_order(serial):
    table = pd.read_csv(serial / "sweep.csv")
    assert table["scenario"].tolist() == ["tiny_a", "tiny_b", "tiny_c"]
    assert table["file"].tolist() == FILES
    assert (table["status"] == "optimal").all()
    # b asks for two new kindergartens, a and c for one (plan.totals, exact)
    assert table["kindergarten_new"].tolist() == [1, 2, 1]
    for col in ("gap", "objective", "cost_cny", "unserved_pupils", "targets_met", "targets_checked",
                "primary_expanded", "high_closed", "middle_converted"):
        assert col in table
    assert (serial / "sweep.xlsx").is_file()
    xl = pd.read_excel(serial / "sweep.xlsx", sheet_name="sweep")
    assert xl["scenario"].tolist() == table["scenario"].tolist()


def test_row_figures_come_from_each_runs_summary(serial):
    table = pd.read_csv(serial / "sweep.csv").set_index("scenario")
    for name in table.index:
        s = json.loads((serial / name / "summary.json").read_text(encoding="utf-8"))
        row = table.loc[name]
        assert row["objective"] == pytest.approx(s["objective"])
        assert row["cost_cny"] == pytest.approx(s["cost_cny_total"])
        assert row["unserved_pupils"] == pytest.approx(sum(v["2025"] for v in s["unserved_pupils"].values()))
        assert row["targets_met"] == sum(t["met"] is True for t in s["targets"])
        for level, counts in s["schools_by_level"].items():
            assert row[f"{level}_new"] == counts["new"]
            assert row[f"{level}_closed"] == counts["close"]


def test_budget_binding_scenario_keeps_its_budget(serial):
    s = json.loads((serial / "tiny_c" / "summary.json").read_text(encoding="utf-8"))
    for year, spent in s["cost_cny_by_year"].items():
        assert spent <= 5.0e7 * (1 + 1e-6), year


@pytest.mark.parametrize("name", ["a", "c"])  # a: the level tasks united; c: the budget made it re-solve
def test_run_folder_equals_capacity_run(folder, serial, monkeypatch, name):
    monkeypatch.chdir(folder)
    assert main(["run", f"{name}.toml", "--out", f"run_{name}", "--quiet"]) == 0
    mine, theirs = serial / f"tiny_{name}", folder / f"run_{name}"
    assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in theirs.iterdir())
    a, b = read_run(mine), read_run(theirs)
    pd.testing.assert_frame_equal(a.plan, b.plan)
    pd.testing.assert_frame_equal(a.zone_balance, b.zone_balance)
    timing = {"build_seconds", "solve_seconds", "solver"}
    assert {k: v for k, v in a.summary.items() if k not in timing} == \
        {k: v for k, v in b.summary.items() if k not in timing}


def test_local_cluster_gives_the_identical_table(folder, serial, monkeypatch):
    monkeypatch.chdir(folder)
    assert main(["sweep", *FILES, "--out", "dask", "--workers", "2", "--quiet"]) == 0
    assert (folder / "dask" / "sweep.csv").read_bytes() == (serial / "sweep.csv").read_bytes()
    for name in ("tiny_a", "tiny_b", "tiny_c"):
        assert (folder / "dask" / name / "plan.csv").read_bytes() == (serial / name / "plan.csv").read_bytes()


def test_bad_scenario_is_named_before_anything_runs(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    (folder / "bad.toml").write_text(_scenario("tiny_bad").replace("[plan]", "[plan]\nbiuld_years = [2023]"),
                                     encoding="utf-8")
    assert main(["sweep", "a.toml", "bad.toml", "--out", "never", "--serial"]) == 1
    err = capsys.readouterr().err
    assert "bad.toml" in err and "Traceback" not in err
    assert not (folder / "never").exists()
    assert main(["sweep", "a.toml", "missing.toml", "--out", "never", "--serial"]) == 1
    assert "missing.toml" in capsys.readouterr().err
    assert not (folder / "never").exists()


def test_duplicate_names_name_both_files(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    (folder / "a_again.toml").write_text(_scenario("tiny_a", 2), encoding="utf-8")
    assert main(["sweep", "a.toml", "a_again.toml", "--out", "never", "--serial"]) == 1
    err = capsys.readouterr().err
    assert "a.toml" in err and "a_again.toml" in err and "tiny_a" in err
    assert not (folder / "never").exists()


def test_infeasible_scenario_exits_2_and_the_others_are_written(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    # more new kindergartens than the tiny city has candidate sites: no feasible plan
    (folder / "impossible.toml").write_text(_scenario("tiny_impossible", 40), encoding="utf-8")
    assert main(["sweep", "a.toml", "impossible.toml", "--out", "mixed", "--serial", "--quiet"]) == 2
    assert "tiny_impossible" in capsys.readouterr().err
    table = pd.read_csv(folder / "mixed" / "sweep.csv")
    assert table["status"].tolist()[0] == "optimal"
    assert table["status"].tolist()[1].startswith("failed")
    assert (folder / "mixed" / "tiny_a" / "plan.csv").is_file()
    assert not (folder / "mixed" / "tiny_impossible").exists()


def test_existing_run_folder_needs_force(folder, serial, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert main(["sweep", "a.toml", "--out", "serial", "--serial"]) == 1
    assert "--force" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "--scheduler" in out and "sweep.csv" in out


def test_scheduler_address_gives_the_identical_table(folder, serial, monkeypatch):
    from distributed import LocalCluster

    monkeypatch.chdir(folder)
    # a scheduler on loopback TCP (workers in this process), reached by its address only
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert main(["sweep", *FILES, "--out", "remote", "--scheduler", cluster.scheduler_address,
                     "--quiet"]) == 0
    assert (folder / "remote" / "sweep.csv").read_bytes() == (serial / "sweep.csv").read_bytes()


def test_unreachable_scheduler_is_a_clear_error(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert main(["sweep", "a.toml", "--out", "nowhere", "--scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "tcp://127.0.0.1:9" in err and "Traceback" not in err
    assert not (folder / "nowhere").exists()


def test_report_flag_makes_each_runs_report(folder, monkeypatch):
    monkeypatch.chdir(folder)
    assert main(["sweep", "a.toml", "--out", "with_report", "--serial", "--report", "--quiet"]) == 0
    assert (folder / "with_report" / "tiny_a" / "report.html").is_file()
    assert not (folder / "serial" / "tiny_a" / "report.html").exists()  # the scenario says report = false


def test_headline_figures_are_rounded_to_their_stated_precision():
    """Serial and Dask runs of one Kunming scenario differed in the objective's last bits
    (23,916,101.68318016 vs 23,916,101.683180157): the table keeps 10 significant digits."""
    from capacity.sweep import _sig

    assert _sig(23916101.68318016, 10) == _sig(23916101.683180157, 10) == 23916101.68
    assert _sig(0.004834862790666464, 6) == _sig(0.0048348627906663, 6) == 0.00483486
    assert _sig(float("nan"), 6) != _sig(float("nan"), 6)
