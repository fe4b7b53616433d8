"""The command line (capacity.cli): exit statuses, messages, outputs written whole."""

import json
import shutil

import pandas as pd
import pytest

from capacity.cli import main
from capacity.testing import TINY_SCENARIO, write_tiny_city

SCENARIO = TINY_SCENARIO


@pytest.fixture
def folder(tmp_path, monkeypatch):
    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_data_folder_prints_summary(folder, capsys):
    assert main(["validate", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "Tiny: 2 zones, 40,000 residents (2023)" in out and out.strip().endswith("ok")


def test_validate_bad_data_exits_1_naming_file(folder, capsys):
    (folder / "tiny" / "births.csv").unlink()
    assert main(["validate", "tiny"]) == 1
    assert "births.csv: file not found" in capsys.readouterr().err


def test_misspelt_key_exits_1_with_suggestion(folder, capsys):
    (folder / "typo.toml").write_text(SCENARIO.replace("evaluation_years", "evaluaton_years"), encoding="utf-8")
    assert main(["validate", "typo.toml"]) == 1
    err = capsys.readouterr().err
    assert "key 'plan.evaluaton_years'" in err and "did you mean 'evaluation_years'" in err


def test_infeasible_plan_exits_2_with_cause(folder, capsys):
    (folder / "big.toml").write_text(SCENARIO.replace("primary = 1", "primary = 5"), encoding="utf-8")
    assert main(["run", "big.toml", "--out", "big", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "plan total of 5 new primary schools exceeds the 2 candidate sites" in err
    assert not (folder / "big").exists()
    assert not any(p.name.startswith(".big") for p in folder.iterdir())


def test_run_writes_tables_and_refuses_to_overwrite(folder, capsys):
    assert main(["run", "tiny.toml", "--out", "out", "--quiet"]) == 0
    for name in ("plan.csv", "assignment.csv", "zone_balance.csv", "summary.json", "scenario.json",
                 "population.csv", "components.csv", "school_age.csv", "demand.csv", "calibration.json"):
        assert (folder / "out" / name).is_file(), name
    plan = pd.read_csv(folder / "out" / "plan.csv")
    assert set(plan.columns) >= {"site_id", "level", "zone_id", "action", "size_classes", "seats",
                                 "open_year", "cost_cny"}
    assert (plan["level"] == "kindergarten").sum() == 1
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "optimal" and summary["schools_by_level"]["primary"]["new"] == 1
    # a second run into the same folder is refused without --force, and nothing changes
    before = (folder / "out" / "plan.csv").read_bytes()
    assert main(["run", "tiny.toml", "--out", "out", "--quiet"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (folder / "out" / "plan.csv").read_bytes() == before
    assert main(["run", "tiny.toml", "--out", "out", "--quiet", "--force"]) == 0


def test_project_writes_projection_only(folder):
    assert main(["project", "tiny.toml", "--out", "proj", "--quiet"]) == 0
    names = {p.name for p in (folder / "proj").iterdir()}
    assert {"population.csv", "components.csv", "school_age.csv", "demand.csv", "calibration.json"} <= names
    assert "plan.csv" not in names


def test_inputs_untouched_by_a_run(folder):
    before = {p.name: p.read_bytes() for p in (folder / "tiny").iterdir()}
    main(["run", "tiny.toml", "--out", "out", "--quiet"])
    assert {p.name: p.read_bytes() for p in (folder / "tiny").iterdir()} == before


def test_help_has_examples(capsys):
    for command in ("validate", "project", "run", "compare", "export"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "examples:" in capsys.readouterr().out


def test_compare_shows_dropped_and_delayed_sites(folder, capsys):
    tight = SCENARIO.replace("[outputs]", "[plan.budget_cny]\n2023 = 1.0e6\n2024 = 1.0e9\n2025 = 1.0e9\n\n[outputs]")
    (folder / "tight.toml").write_text(tight.replace('name = "tiny"', 'name = "tight"'), encoding="utf-8")
    assert main(["run", "tiny.toml", "--out", "a", "--quiet"]) == 0
    assert main(["run", "tight.toml", "--out", "b", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["compare", "a", "b", "--out", "cmp"]) == 0
    out = capsys.readouterr().out
    assert "tight vs tiny:" in out
    changes = pd.read_csv(folder / "cmp" / "site_changes.csv")
    plan_a = pd.read_csv(folder / "a" / "plan.csv")
    # nothing can open in 2023 under a 1e6 CNY budget: whatever opened then is delayed or dropped
    first = set(plan_a.loc[plan_a["open_year"] == 2023, "site_id"])
    assert first, "the reference plan should open something in 2023"
    moved = changes[changes["site_id"].isin(first)]
    assert len(moved) == len(first)  # every one of them is in the comparison (not an empty frame)
    assert moved["change"].isin(["delayed", "dropped"]).all()
    headlines = pd.read_csv(folder / "cmp" / "headlines.csv", index_col="figure")
    assert list(headlines.columns) == ["tiny", "tight"]
    for name in ("headlines.png", "site_changes.png"):
        assert (folder / "cmp" / name).stat().st_size > 10_000


def test_compare_needs_run_folders(folder, capsys):
    (folder / "empty").mkdir()
    assert main(["compare", "empty", "empty", "--out", "cmp"]) == 1
    assert "not a run folder" in capsys.readouterr().err


def test_compare_runs_that_planned_some_levels(folder, capsys):
    one = SCENARIO.replace("evaluation_years = [2025, 2030]", 'evaluation_years = [2025, 2030]\nlevels = ["kindergarten"]')
    (folder / "one.toml").write_text(one, encoding="utf-8")
    assert main(["run", "one.toml", "--out", "k1", "--quiet"]) == 0
    assert main(["run", "one.toml", "--out", "k2", "--quiet"]) == 0
    assert main(["compare", "k1", "k2", "--out", "cmp1"]) == 0
    assert (folder / "cmp1" / "headlines.png").is_file()


def test_default_output_folder_checked_before_the_work(folder, capsys, monkeypatch):
    """Without --out the folder is outputs/<scenario name>: refused (exit 1) before any projection
    when it is a non-empty folder without --force, or a file (the check of capacity.io.atomic)."""
    import capacity.pipeline

    def no_work(*args, **kwargs):
        raise AssertionError("the output folder must be checked before the long work")

    monkeypatch.setattr(capacity.pipeline, "project", no_work)
    from capacity.scenario import load_scenario

    out = folder / "outputs" / load_scenario(folder / "tiny.toml").name
    out.mkdir(parents=True)
    (out / "old.txt").write_text("old", encoding="utf-8")
    for command in ("run", "project"):
        assert main([command, "tiny.toml", "--quiet"]) == 1
        assert "already exists; pass --force" in capsys.readouterr().err
    shutil.rmtree(out)
    out.write_text("a file", encoding="utf-8")
    for command in ("run", "project"):
        assert main([command, "tiny.toml", "--quiet", "--force"]) == 1
        assert "is an existing file, not a folder" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "a file"


def test_usage_errors_exit_1_as_the_help_says(folder, capsys):
    """Usage errors exit 1 like any bad input (argparse's 2 is reserved for an infeasible
    plan or a solver failure), and ``capacity --help`` says so."""
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert ("Exit status: 0 ok; 1 bad input (data, scenario, or a usage error: an unknown option, "
            "a bad value on the command line); 2 only an infeasible plan or a solver failure.") in out
    assert main(["run", "tiny.toml", "--no-such-option"]) == 1             # unknown option
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
    assert main(["ensemble", "tiny.toml", "--draws", "many"]) == 1          # bad value
    assert "--draws" in capsys.readouterr().err
