"""Independent verification of a written plan (capacity.verify): passes on a real run,
and each check fails when its property is broken in the files."""

import shutil

import pandas as pd
import pytest

from capacity.cli import main
from capacity.testing import TINY_SCENARIO, write_tiny_city
from capacity.verify import verify_run

SCENARIO = TINY_SCENARIO.replace("[outputs]", """[plan.budget_cny]
2023 = 2.0e8
2024 = 2.0e8
2025 = 2.0e8

[outputs]""")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("verify")
    write_tiny_city(root / "tiny")
    (root / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    assert main(["run", str(root / "tiny.toml"), "--out", str(root / "run"), "--quiet"]) == 0
    return root / "run"


def results(folder):
    return {c.name: c for c in verify_run(folder)}


def test_a_real_run_passes_every_check(run, capsys):
    checks = results(run)
    assert set(checks) == {"values", "counts", "opening", "land", "budget", "capacity", "distance", "zone", "closures",
                           "conversions", "service zone", "special", "conservation"}
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert main(["verify", str(run)]) == 0
    assert capsys.readouterr().out.strip().endswith("ok")


def tampered(run, tmp_path, name, edit):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    frame = pd.read_csv(copy / name, dtype={"site_id": str, "unit_id": str, "school_id": str, "zone_id": str})
    changed = edit(frame)  # an edit either changes the frame in place or returns a new one
    (frame if changed is None else changed).to_csv(copy / name, index=False)
    return copy


@pytest.mark.parametrize("name,edit,check", [
    ("plan.csv", lambda f: f.drop(index=f.index[f["level"] == "primary"][0]), "counts"),
    ("plan.csv", lambda f: f.__setitem__("open_year", 2022), "opening"),
    ("plan.csv", lambda f: f.__setitem__("size_classes", 40), "land"),
    ("plan.csv", lambda f: f.__setitem__("cost_cny", 9.0e8), "budget"),
    ("assignment.csv", lambda f: f.__setitem__("pupils", f["pupils"] * 50), "capacity"),
    ("assignment.csv", lambda f: f.__setitem__("distance_m", f["distance_m"] + 500), "distance"),
    ("assignment.csv", lambda f: f.drop(index=f.index[:3]), "conservation"),
])
def test_each_check_catches_its_defect(run, tmp_path, name, edit, check):
    checks = results(tampered(run, tmp_path, name, edit))
    assert not checks[check].ok, checks[check]


def test_zone_check_catches_a_crossing(run, tmp_path):
    def edit(f):
        primary = f.index[f["level"] == "primary"]
        f.loc[primary, "school_id"] = "p2"  # the school of zone 100002
    checks = results(tampered(run, tmp_path, "assignment.csv", edit))
    assert not checks["zone"].ok


def test_verify_exits_2_on_a_broken_plan(run, tmp_path, capsys):
    copy = tampered(run, tmp_path, "plan.csv", lambda f: f.__setitem__("cost_cny", 9.0e8))
    assert main(["verify", str(copy)]) == 2
    assert "verification failed: budget" in capsys.readouterr().out
