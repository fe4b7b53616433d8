"""The full Kunming baseline through the command line (slow: the four-level MILP at full size, 10+ minutes).

Checks what the README promises for `make run`: the plan's totals 165 / 156 / 49 / 10 (T1–T4),
Mohan's clause (T15) met, and `capacity verify` passing on the written folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from capacity.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"


@pytest.mark.slow
def test_kunming_baseline_meets_the_totals_and_verifies(tmp_path, capsys):
    out = tmp_path / "baseline"
    assert main(["run", str(BASELINE), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("optimal", "feasible")
    by = summary["schools_by_level"]
    assert by["kindergarten"]["new"] == 165
    assert by["primary"]["new"] == 156
    assert by["middle"]["new"] == 49
    assert by["high"]["new"] + by["high"]["expand"] == 10  # T4: new or expanded
    targets = {t["id"]: t for t in summary["targets"]}
    for tid in ("T1", "T2", "T3", "T4", "T15"):
        assert targets[tid]["met"] is True, targets[tid]
    plan = pd.read_csv(out / "plan.csv", dtype={"site_id": str, "zone_id": str})
    built = plan[plan["action"].isin(["new", "expand"])]
    assert (built.groupby("level").size().reindex(["kindergarten", "primary", "middle"]) >= [165, 156, 49]).all()
    assert (out / "report.html").is_file() and (out / "plan.gpkg").is_file()
    capsys.readouterr()
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "ok"
