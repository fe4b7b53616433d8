"""Scenario files: extends, strict validation, checks against the data (capacity.scenario)."""

import dataclasses
import warnings
from pathlib import Path

import pytest

from capacity.data import load_city
from capacity.errors import RenamedKeyWarning, ScenarioError
from capacity.scenario import apply_standards, check_against_city, load_scenario

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
def folder(tiny_city):
    """The tiny city (conftest) with ``base.toml`` next to it."""
    (tiny_city.parent / "base.toml").write_text(BASE, encoding="utf-8")
    return tiny_city.parent


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
    ("[standards.primary]\nclass_size = 0\n", "standards.primary.class_size", "greater than 0"),
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
    from capacity.data.files import read_toml

    data = path.parent / read_toml(path).get("data", "../data/kunming")
    if "data" in read_toml(path) and not data.is_dir():
        pytest.skip(f"{path.name} plans on {data.name}, a folder made by an earlier step (capacity rollover)")
    s = load_scenario(path)
    check_against_city(s, apply_standards(s, load_city(s.data)))


# ---- names the data does not have, years the projection does not reach
@pytest.mark.parametrize("snippet,key", [
    ("[projection.migration_rate]\nmohan = 0.04\n", "projection.migration_rate.mohan"),
    ("[projection.tfr_zone_factor]\n100003 = 1.2\n", "projection.tfr_zone_factor.100003"),
])
def test_zone_keys_must_be_zones_of_the_data(folder, snippet, key):
    s = load_scenario(write(folder, "z.toml", 'extends = "base.toml"\n' + snippet))
    with pytest.raises(ScenarioError, match=r"is not in .*zone_ids: 100001, 100002") as err:
        check_against_city(s, load_city(s.data))
    assert err.value.key == key


def test_known_zone_keys_pass(folder):
    s = load_scenario(write(folder, "z.toml", 'extends = "base.toml"\n[projection.migration_rate]\n100002 = 0.01\n'))
    check_against_city(s, load_city(s.data))
    assert s.projection.migration_rate["100002"] == 0.01


@pytest.mark.parametrize("snippet,key", [
    ("[demand.enrolment_targets]\nprimery = 0.9\n", "demand.enrolment_targets.primery"),
    ("[demand.bands]\nnursery = [0, 2]\n", "demand.bands.nursery"),
    ("[demand.module_classes]\nsenior = 24\n", "demand.module_classes.senior"),
    ("[demand]\nlevels = [\"primary\", \"college\"]\n", "demand.levels[1]"),
])
def test_demand_keys_must_be_levels(folder, snippet, key):
    with pytest.raises(ScenarioError, match="is not a level") as err:
        load_scenario(write(folder, "l.toml", 'extends = "base.toml"\n' + snippet))
    assert err.value.key == key


@pytest.mark.parametrize("snippet,key,match", [
    ("[plan]\nevaluation_years = [2025, 2041]\n", "plan.evaluation_years[1]", "2041 is past the projection's horizon 2040"),
    ("[projection]\nhorizon = 2024\n[plan]\nevaluation_years = [2024]\n", "plan.build_years[2]",
     "2025 is past the projection's horizon 2024"),
    ("[projection]\nbase_year = 2026\n", "plan.evaluation_years[0]", "before the projection's base year 2026"),
])
def test_plan_years_outside_the_projection(folder, snippet, key, match):
    with pytest.raises(ScenarioError, match=match) as err:
        load_scenario(write(folder, "y.toml", 'extends = "base.toml"\n' + snippet))
    assert err.value.key == key


def test_evaluation_year_at_the_horizon_is_fine(folder):
    s = load_scenario(write(folder, "h.toml", 'extends = "base.toml"\n[plan]\nevaluation_years = [2025, 2040]\n'))
    assert s.plan.evaluation_years[-1] == s.projection.horizon


@pytest.mark.parametrize("snippet,key", [
    ("[projection]\nhorizon = 20118\n", "projection.horizon"),
    ("[plan]\nbuild_years = [2023, 20124]\n", "plan.build_years[1]"),
    ("[projection.migration_rate]\n100001 = 2.5\n", "projection.migration_rate.100001"),
    ("[plan.budget_cny]\n2023 = 8.0e15\n", "plan.budget_cny.2023"),
    ("[solver]\nthreads = 100000\n", "solver.threads"),
    ("[objective]\ncost_discount_rate = 8\n", "objective.cost_discount_rate"),
    ("[[plan.zone_rules]]\nzone = \"100001\"\nlevel = \"primary\"\nmin = 50000\n", "plan.zone_rules[0].min"),
])
def test_values_outside_plausible_ranges(folder, snippet, key):
    with pytest.raises(ScenarioError, match="outside the plausible range") as err:
        load_scenario(write(folder, "r.toml", 'extends = "base.toml"\n' + snippet))
    assert err.value.key == key


def test_every_plausible_range_names_a_real_key():
    """A range on a key that no longer exists would silently check nothing."""
    from capacity.scenario import _section_types
    from capacity.scenario_rules import PLAUSIBLE

    sections = _section_types()
    for dotted in PLAUSIBLE:
        section, name = dotted.split(".")[:2]
        name = name.split("[")[0]
        assert name in {f.name for f in dataclasses.fields(sections[section])}, dotted


# ---- files as saved by editors
def test_scenario_with_byte_order_mark_loads(folder):
    path = folder / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_scenario(path).name == "tiny-base"


def test_scenario_in_gbk_names_file_and_encoding(folder):
    path = folder / "gbk.toml"
    path.write_bytes(BASE.replace("tiny test scenario", "小城测试").encode("gbk"))
    with pytest.raises(ScenarioError, match=r"gbk\.toml: line 2: not UTF-8 text .*GBK"):
        load_scenario(path)


# ---- renamed keys: old scenario files keep working, with a warning naming file and key
RENAMES = {"plan.budget_scale": "plan.budget_factor", "plan.zone_rules[].zone_code": "plan.zone_rules[].zone",
           "solver.engine": "solver.name"}


def test_renamed_keys_are_accepted_with_a_warning(folder, monkeypatch):
    monkeypatch.setattr("capacity.scenario.RENAMED_KEYS", RENAMES)
    old = write(folder, "old.toml", 'extends = "base.toml"\n[plan]\nbudget_scale = 0.8\n'
                '[[plan.zone_rules]]\nzone_code = "100001"\nlevel = "primary"\nmin = 1\n'
                '[solver]\nengine = "cbc"\n')
    with pytest.warns(RenamedKeyWarning) as record:
        s = load_scenario(old)
    messages = [str(w.message) for w in record]
    assert any("old.toml: key 'plan.budget_scale' is now called 'plan.budget_factor'" in m for m in messages)
    assert any("key 'plan.zone_rules[0].zone_code' is now called 'plan.zone_rules[0].zone'" in m for m in messages)
    assert s.plan.budget_factor == 0.8 and s.solver.name == "cbc"
    assert s.plan.zone_rules[-1].zone == "100001"
    assert issubclass(RenamedKeyWarning, DeprecationWarning)


def test_renamed_key_in_an_extended_file_is_overridden_by_the_new_name(folder, monkeypatch):
    monkeypatch.setattr("capacity.scenario.RENAMED_KEYS", RENAMES)
    write(folder, "parent.toml", 'extends = "base.toml"\n[plan]\nbudget_scale = 0.8\n')
    child = write(folder, "child.toml", 'extends = "parent.toml"\n[plan]\nbudget_factor = 0.5\n')
    with pytest.warns(RenamedKeyWarning, match="parent.toml: key 'plan.budget_scale'"):
        s = load_scenario(child)
    assert s.plan.budget_factor == 0.5


def test_old_and_new_name_in_one_file_is_an_error(folder, monkeypatch):
    monkeypatch.setattr("capacity.scenario.RENAMED_KEYS", RENAMES)
    path = write(folder, "both.toml", 'extends = "base.toml"\n[plan]\nbudget_scale = 0.8\nbudget_factor = 0.5\n')
    with pytest.raises(ScenarioError, match="sets both 'plan.budget_scale'.*keep only 'plan.budget_factor'"):
        load_scenario(path)


def test_command_line_prints_the_rename_on_stderr(folder, monkeypatch, capsys):
    from capacity.cli import main

    monkeypatch.setattr("capacity.scenario.RENAMED_KEYS", RENAMES)
    write(folder, "old.toml", 'extends = "base.toml"\n[solver]\nengine = "cbc"\n')
    monkeypatch.chdir(folder)
    assert main(["validate", "old.toml", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "capacity: warning: " in err and "old.toml: key 'solver.engine' is now called 'solver.name'" in err
    assert "Traceback" not in err and "DeprecationWarning" not in err


def test_current_files_use_no_renamed_key(folder):
    """The shipped scenarios and the tiny one use today's names (no deprecation warning)."""
    from capacity.config import rename_keys
    from capacity.data.files import read_toml
    from capacity.scenario_rules import RENAMED_KEYS

    with warnings.catch_warnings():
        warnings.simplefilter("error", RenamedKeyWarning)
        load_scenario(folder / "base.toml")
        for path in sorted(SCENARIOS.glob("*.toml")):
            rename_keys(read_toml(path), RENAMED_KEYS, path)


BASELINE_03AD4E2 = Path(__file__).parent / "data" / "baseline_03ad4e2.toml"


def test_baseline_of_commit_03ad4e2_runs_unchanged(tmp_path):
    """Issue 14: the baseline scenario file of commit 03ad4e2, byte for byte, still loads and
    checks against the Kunming data (renamed keys allowed, with a warning)."""
    kunming = SCENARIOS.parent / "data" / "kunming"
    if not (kunming / "candidate_sites.gpkg").exists():
        pytest.skip("Kunming data folder not built yet")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "kunming").symlink_to(kunming)
    path = tmp_path / "scenarios" / "baseline.toml"
    path.write_bytes(BASELINE_03AD4E2.read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RenamedKeyWarning)
        s = load_scenario(path)
    city = apply_standards(s, load_city(s.data))
    check_against_city(s, city)
    assert dict(s.plan.totals) == {"kindergarten": 165, "primary": 156, "middle": 49, "high": 10}
    assert s.plan.evaluation_years == (2025, 2030) and s.plan.construction_lag_years == 0


@pytest.mark.parametrize("snippet,key", [
    ("[standards.primary]\nages = [5, 11]\n", "standards.primary.ages"),
    ("[standards.kindergarten]\nages = [3, 6]\n", "standards.kindergarten.ages"),
    ("[demand.bands]\nkindergarten = [3, 7]\n", "demand.bands.kindergarten"),
    ("[demand.bands]\nhigh = [14, 17]\n", "demand.bands.high"),
])
def test_overlapping_age_bands_name_the_key_that_moved(folder, snippet, key):
    s = load_scenario(write(folder, "o.toml", 'extends = "base.toml"\n' + snippet))
    with pytest.raises(ScenarioError, match="overlap; a child belongs to one level") as err:
        apply_standards(s, load_city(s.data))
    assert err.value.key == key


def test_bands_of_levels_not_in_demand_may_overlap(folder):
    s = load_scenario(write(folder, "o.toml", 'extends = "base.toml"\n[demand]\nlevels = ["kindergarten", "primary"]\n'
                                              '[demand.bands]\nmiddle = [10, 14]\n[plan]\nlevels = ["primary"]\n'))
    apply_standards(s, load_city(s.data))


def test_planned_level_must_have_demand(folder):
    with pytest.raises(ScenarioError, match="'middle' is planned but demand.levels") as err:
        load_scenario(write(folder, "p.toml", 'extends = "base.toml"\n[demand]\nlevels = ["kindergarten", "primary"]\n'))
    assert err.value.key == "plan.levels[2]"


def test_standards_override_error_names_the_scenario_key(folder):
    s = load_scenario(write(folder, "m.toml", 'extends = "base.toml"\n[standards.primary]\nmodules = []\n'))
    with pytest.raises(ScenarioError, match=r"m\.toml, key 'standards\.primary\.modules': must list at least one size"):
        apply_standards(s, load_city(s.data))


# Numeric scenario keys without an entry in scenario_rules.PLAUSIBLE, and why.
BOUNDED_ELSEWHERE = {  # their dataclass states a closed range already
    "projection.e0_male": "20–100", "projection.e0_female": "20–100", "projection.tfr_trend_damping": "[0, 1)",
    "projection.migrant_male_share": "[0, 1]", "projection.quantiles": "(0, 1)", "demand.bands": "0–100",
    "demand.public_share": "[0, 1]", "demand.general_share": "[0, 1]", "objective.year_decay": "(0, 1]",
    "solver.mip_gap": "[0, 1)",
}
NO_PLAUSIBLE_RANGE = {  # any value ≥ 0 is a legitimate choice
    "projection.seed": "a seed", "projection.chunk_draws": "a memory knob",
    "objective.unserved_weight": "a relative weight", "objective.distance_weight": "a relative weight",
    "objective.cost_weight": "a relative weight",
}


def test_every_numeric_scenario_key_has_a_stated_range():
    """A new number in a scenario section needs a plausible range (scenario_rules.PLAUSIBLE) or a
    reason here; otherwise a slipped digit in it would pass unnoticed."""
    import typing

    from capacity.scenario import _section_types
    from capacity.scenario_rules import PLAUSIBLE

    ranged = {k.split("[")[0].replace(".*", "") for k in PLAUSIBLE}
    missing = []
    for section, cls in _section_types().items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            key = f"{section}.{f.name}"
            text = str(hints[f.name])
            if ("int" in text or "float" in text) and hints[f.name] is not bool and key not in ranged \
                    and key not in BOUNDED_ELSEWHERE and key not in NO_PLAUSIBLE_RANGE:
                missing.append(key)
    assert not missing, f"add a plausible range to capacity/scenario_rules.py for {missing}"


def test_year_weighting_is_checked(folder):
    s = load_scenario(write(folder, "y.toml", 'extends = "base.toml"\n[objective]\nyear_weighting = "calendar"\n'))
    assert s.objective.year_weighting == "calendar"
    with pytest.raises(ScenarioError, match="year_weighting.*'calender' is not 'decay' or 'calendar'"):
        load_scenario(write(folder, "z.toml", 'extends = "base.toml"\n[objective]\nyear_weighting = "calender"\n'))
