"""Scenario files: extends, strict validation, checks against the data (capacity.scenario)."""

from pathlib import Path

import pytest

from capacity.data import load_city
from capacity.errors import ScenarioError
from capacity.scenario import apply_standards, check_against_city, load_scenario
from capacity.testing import write_tiny_city

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

BASE = """\
name = "tiny-base"
description = "tiny test scenario"
data = "tiny"

[plan]
build_years = [2023, 2024, 2025]
evaluation_years = [2025, 2030]

[plan.totals]
kindergarten = 1
primary = 1

[plan.budget_cny]
2023 = 1.0e8

[[plan.zone_rules]]
zone = "100002"
level = "high"
action = "new"
min = 1
"""


@pytest.fixture
def folder(tmp_path):
    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "base.toml").write_text(BASE, encoding="utf-8")
    return tmp_path


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_base_scenario_reads_typed_values(folder):
    s = load_scenario(folder / "base.toml")
    assert s.name == "tiny-base" and s.data == (folder / "tiny").resolve()
    assert s.plan.totals["primary"] == 1 and s.plan.build_years == (2023, 2024, 2025)
    assert s.plan.zone_rules[0].zone == "100002" and s.plan.zone_rules[0].min == 1
    assert s.plan.budget_for(2023) == 1.0e8 and s.plan.budget_for(2024) is None
    assert s.solver.name == "highs"


def test_extends_merges_tables(folder):
    path = write(folder, "child.toml", 'extends = "base.toml"\nname = "child"\n'
                 "[plan]\nbudget_factor = 0.8\n[plan.totals]\nprimary = 2\n")
    s = load_scenario(path)
    assert s.name == "child"
    assert dict(s.plan.totals) == {"kindergarten": 1, "primary": 2}
    assert s.plan.budget_for(2023) == pytest.approx(0.8e8)
    assert [p.name for p in s.chain] == ["child.toml", "base.toml"]
    assert s.data == (folder / "tiny").resolve()


def test_misspelt_key_names_key_and_suggestion(folder):
    path = write(folder, "typo.toml", 'extends = "base.toml"\n[plan]\nbuild_yeras = [2024]\n')
    with pytest.raises(ScenarioError, match=r"typo\.toml, key 'plan\.build_yeras': unknown key "
                                            r"\(did you mean 'build_years'\?\)"):
        load_scenario(path)


def test_misspelt_section(folder):
    path = write(folder, "typo.toml", 'extends = "base.toml"\n[solvr]\nname = "cbc"\n')
    with pytest.raises(ScenarioError, match=r"key 'solvr': unknown key \(did you mean 'solver'\?\)"):
        load_scenario(path)


@pytest.mark.parametrize("snippet,key,match", [
    ("[plan.budget_cny]\n2024 = -5.0\n", "plan.budget_cny", "negative"),
    ("[standards.primary]\nclass_size = 0\n", "standards.primary", "greater than 0"),
    ("[plan.totals]\nkindergarden = 3\n", "plan.totals", "did you mean 'kindergarten'"),
    ("[solver]\nname = \"gurobi\"\n", "solver.name", "not one of"),
    ("[solver]\ntime_limit_s = \"long\"\n", "solver.time_limit_s", "expected a number"),
    ("[plan]\ntotals_mode = \"at_mots\"\n", "plan.totals_mode", "did you mean 'at_most'"),
])
def test_impossible_values(folder, snippet, key, match):
    path = write(folder, "bad.toml", 'extends = "base.toml"\n' + snippet)
    with pytest.raises(ScenarioError, match=match) as err:
        s = load_scenario(path)
        apply_standards(s, load_city(s.data))
    assert err.value.key == key


def test_unknown_zone_is_caught_against_the_data(folder):
    path = write(folder, "zone.toml", 'extends = "base.toml"\n[[plan.zone_rules]]\n'
                 'zone = "100003"\nlevel = "primary"\nmin = 1\n')
    s = load_scenario(path)
    with pytest.raises(ScenarioError, match=r"zone '100003' is not in .*did you mean '10000[12]'"):
        check_against_city(s, load_city(s.data))


def test_missing_data_folder(folder):
    path = write(folder, "nodata.toml", 'data = "elsewhere"\n')
    with pytest.raises(ScenarioError, match="data folder .* does not exist"):
        load_scenario(path)


def test_extends_cycle(folder):
    write(folder, "a.toml", 'extends = "b.toml"\n')
    write(folder, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(folder / "a.toml")


def test_standards_override_is_applied_to_a_new_city(folder):
    path = write(folder, "std.toml", 'extends = "base.toml"\n[standards.primary]\nclass_size = 40\n')
    s = load_scenario(path)
    city = load_city(s.data)
    changed = apply_standards(s, city)
    assert changed.standards["primary"].class_size == 40
    assert city.standards["primary"].class_size == 45


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    if not (SCENARIOS.parent / "data" / "kunming" / "candidate_sites.gpkg").exists():
        pytest.skip("Kunming data folder not built yet")
    s = load_scenario(path)
    check_against_city(s, apply_standards(s, load_city(s.data)))
