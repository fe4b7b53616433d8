"""capacity.verify on tampered copies of the sample run: each branch seen failing, and at its edge.

The sample run (capacity.testing.sample) is small enough to read by hand:
kindergarten k1 has 180 seats and serves u1, u2, u3 with 60 pupils each in
2025 (exactly full); ks2 (land available from 2024) opens in 2025.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from capacity.cli import main
from capacity.testing.sample import write_sample_run
from capacity.verify import verify_run

DTYPES = {"site_id": str, "unit_id": str, "school_id": str, "zone_id": str}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    run_dir, city, _ = write_sample_run(tmp_path_factory.mktemp("verify-sample"))
    return run_dir, city


def tampered(sample, tmp_path, name, edit):
    """A copy of the sample run with ``edit(frame)`` applied to ``name`` (a CSV), written back."""
    run_dir, _ = sample
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    frame = pd.read_csv(copy / name, dtype=DTYPES)
    edit(frame)
    frame.to_csv(copy / name, index=False)
    return copy


def by_name(run):
    return {c.name: c for c in verify_run(run)}


def test_the_untampered_sample_passes_with_a_school_exactly_full(sample):
    run_dir, city = sample
    checks = by_name(run_dir)
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    a = pd.read_csv(run_dir / "assignment.csv", dtype=DTYPES)
    load = a[(a["school_id"] == "k1") & (a["year"] == 2025)]["pupils"].sum()
    seats = float(city.schools.set_index("school_id").loc["k1", "seats"])
    assert load == seats == 180.0  # capacity exactly at its limit passes


def test_one_pupil_over_capacity_fails(sample, tmp_path):
    def one_more(a):
        row = a.index[(a["unit_id"] == "u1") & (a["school_id"] == "k1") & (a["year"] == 2025)][0]
        a.loc[row, "pupils"] += 1.0

    checks = by_name(tampered(sample, tmp_path, "assignment.csv", one_more))
    assert not checks["capacity"].ok
    assert checks["capacity"].detail.startswith("1 school-years over capacity (worst 1.0 pupils)")
    assert checks["distance"].ok and checks["values"].ok


def test_a_pupil_beyond_the_maximum_distance_fails(sample, tmp_path):
    """u1 sent to the exclave's kindergarten site ks4, with distance_m recomputed so it stays consistent."""
    _, city = sample
    u = city.demand_units.set_index("unit_id").geometry["u1"]
    ks4 = city.candidate_sites.set_index("site_id").geometry["ks4"]
    far = float(np.hypot(u.x - ks4.x, u.y - ks4.y))
    assert far > city.standards["kindergarten"].max_distance_urban_m

    def send_far(a):
        row = a.index[(a["unit_id"] == "u1") & (a["level"] == "kindergarten") & (a["year"] == 2025)][0]
        a.loc[row, ["school_id", "distance_m"]] = ["ks4", far]

    checks = by_name(tampered(sample, tmp_path, "assignment.csv", send_far))
    assert not checks["distance"].ok
    assert checks["distance"].detail == "1 assignments beyond the maximum distance, 0 with a wrong distance_m"


def test_a_wrong_distance_is_caught_too(sample, tmp_path):
    def lie(a):
        a.loc[0, "distance_m"] = a.loc[0, "distance_m"] + 50.0

    checks = by_name(tampered(sample, tmp_path, "assignment.csv", lie))
    assert checks["distance"].detail == "0 assignments beyond the maximum distance, 1 with a wrong distance_m"


def test_an_opening_before_the_land_is_available_fails(sample, tmp_path):
    _, city = sample
    assert int(city.candidate_sites.set_index("site_id").loc["ks2", "available_from"]) == 2024

    def early(p):
        row = p.index[p["site_id"] == "ks2"][0]
        p.loc[row, ["open_year", "ready_year"]] = [2023, 2023]

    checks = by_name(tampered(sample, tmp_path, "plan.csv", early))
    assert not checks["opening"].ok
    assert checks["opening"].detail == "0 outside build years, 1 before their land is available, 0 on unknown sites"
    assert checks["values"].ok  # 2023 is a build year: the row's own values are fine


def test_tampered_values_name_file_column_and_line(sample, tmp_path, capsys):
    def tamper(p):
        p.loc[0, "seats"] = -90.0                                  # line 2: negative seats
        p.loc[p.index[p["site_id"] == "ps1"][0], "seats"] = 271.0  # 6 classes × 45 = 270
        p.loc[p.index[p["site_id"] == "ms1"][0], "open_year"] = 2027

    plan = pd.read_csv(sample[0] / "plan.csv", dtype=DTYPES)
    ps1 = int(plan.index[plan["site_id"] == "ps1"][0]) + 2
    ms1 = int(plan.index[plan["site_id"] == "ms1"][0]) + 2
    run = tampered(sample, tmp_path, "plan.csv", tamper)
    detail = by_name(run)["values"].detail
    plan_csv = str(run / "plan.csv")
    assert f"{plan_csv}, column 'seats', line 2: negative seats" in detail
    assert f"{plan_csv}, column 'seats', line {ps1}: seats differ from size_classes × the level's class size" in detail
    assert (f"{plan_csv}, column 'open_year', line {ms1}: opening year not one of the build years "
            "[2023, 2024, 2025]") in detail
    # through the command line: verification fails (exit 2) and says where
    capsys.readouterr()
    assert main(["verify", str(run)]) == 2
    out = capsys.readouterr().out
    assert "FAIL  values" in out and "line 2: negative seats" in out
    assert out.strip().splitlines()[-1].startswith("verification failed: values")


def test_a_value_that_is_not_a_number_is_bad_input(sample, tmp_path, capsys):
    def text(p):
        p["seats"] = p["seats"].astype(object)
        p.loc[1, "seats"] = "ninety"

    run = tampered(sample, tmp_path, "plan.csv", text)
    assert main(["verify", str(run)]) == 1
    err = capsys.readouterr().err
    assert "plan.csv" in err and "column 'seats'" in err and "line 3" in err and "expected a number" in err
