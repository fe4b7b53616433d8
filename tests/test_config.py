"""The strict TOML → dataclass converter (capacity.config)."""

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

import pytest

from capacity.config import build, did_you_mean, merge
from capacity.errors import ScenarioError


@dataclass(frozen=True)
class Inner:
    zone: str
    min: int = 0


@dataclass(frozen=True)
class Params:
    years: tuple[int, ...] = (2023,)
    rate: float = 1.0
    flag: bool = False
    label: str | None = None
    per_zone: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    rules: tuple[Inner, ...] = ()

    def __post_init__(self):
        if self.rate < 0:
            raise ValueError(f"rate: {self.rate} must be ≥ 0")


def test_defaults_and_types():
    p = build(Params, {"years": [2023, 2024], "rate": 2, "per_zone": {"a": 1},
                       "rules": [{"zone": "mohan", "min": 1}]}, "s.toml", "plan")
    assert p.years == (2023, 2024) and p.rate == 2.0 and isinstance(p.rate, float)
    assert p.per_zone["a"] == 1.0 and p.rules == (Inner("mohan", 1),)
    assert p.flag is False and p.label is None


def test_unknown_key_suggests_spelling():
    with pytest.raises(ScenarioError, match=r"s\.toml, key 'plan\.raet': unknown key \(did you mean 'rate'\?\)"):
        build(Params, {"raet": 1}, "s.toml", "plan")


@pytest.mark.parametrize("table,match", [
    ({"rate": "fast"}, r"key 'plan\.rate': expected a number, got 'fast'"),
    ({"flag": 1}, r"key 'plan\.flag': expected true or false"),
    ({"years": [2023, 20.5]}, r"key 'plan\.years\[1\]': expected a whole number"),
    ({"rules": [{"zone": "x", "mn": 1}]}, r"key 'plan\.rules\[0\]\.mn': unknown key \(did you mean 'min'\?\)"),
    ({"rate": -1}, r"key 'plan\.rate': -1\.0 must be ≥ 0"),
])
def test_wrong_values_name_the_key(table, match):
    with pytest.raises(ScenarioError, match=match):
        build(Params, table, "s.toml", "plan")


def test_merge_is_deep_and_does_not_modify_inputs():
    base = {"plan": {"totals": {"a": 1, "b": 2}, "mode": "exact"}, "name": "base"}
    over = {"plan": {"totals": {"b": 3}}, "name": "child"}
    merged = merge(base, over)
    assert merged == {"plan": {"totals": {"a": 1, "b": 3}, "mode": "exact"}, "name": "child"}
    assert base["plan"]["totals"]["b"] == 2


def test_did_you_mean_is_quiet_for_far_words():
    assert did_you_mean("zzzz", ["rate", "flag"]) == ""


def test_did_you_mean_prefers_a_name_differing_only_by_case_or_spaces():
    assert did_you_mean("Zone ID", ["zone_name", "zone_id"]) == " (did you mean 'zone_id'?)"
    assert did_you_mean("RATE", ["rate", "flag"]) == " (did you mean 'rate'?)"


def test_rename_keys_moves_old_names_and_warns():
    from capacity.config import rename_keys
    from capacity.errors import RenamedKeyWarning

    doc = {"plan": {"old": 1, "rules": [{"zn": "a"}, {"zone": "b"}]}, "keep": True}
    with pytest.warns(RenamedKeyWarning) as record:
        out = rename_keys(doc, {"plan.old": "plan.new", "plan.rules[].zn": "plan.rules[].zone"}, "s.toml")
    assert out == {"plan": {"new": 1, "rules": [{"zone": "a"}, {"zone": "b"}]}, "keep": True}
    assert doc["plan"]["old"] == 1 and doc["plan"]["rules"][0] == {"zn": "a"}  # input untouched
    assert [str(w.message).split(";")[0] for w in record] == [
        "s.toml: key 'plan.old' is now called 'plan.new'",
        "s.toml: key 'plan.rules[0].zn' is now called 'plan.rules[0].zone'"]


def test_rename_keys_across_tables_and_conflicts():
    from capacity.config import rename_keys

    with pytest.warns(DeprecationWarning):
        assert rename_keys({"solver": {"gap": 0.1}}, {"solver.gap": "limits.mip_gap"}) == \
            {"solver": {}, "limits": {"mip_gap": 0.1}}
    assert rename_keys({"a": 1}, {"b.c": "b.d"}) == {"a": 1}
    with pytest.raises(ScenarioError, match=r"s\.toml, key 'p\.old': sets both 'p\.old' .* and 'p\.new'"):
        rename_keys({"p": {"old": 1, "new": 2}}, {"p.old": "p.new"}, "s.toml")


def test_check_ranges_names_items_and_table_keys():
    from capacity.config import check_ranges

    p = build(Params, {"years": [2023, 20118], "per_zone": {"a": 0.5, "b": 7.0},
                       "rules": [{"zone": "x", "min": 3}]}, "s.toml", "plan")

    class Scen:
        plan = p

    with pytest.raises(ScenarioError, match=r"key 'plan\.years\[1\]': 20118 is outside the plausible range 1900–2100"):
        check_ranges(Scen, {"plan.years[]": (1900, 2100, "year")}, "s.toml")
    with pytest.raises(ScenarioError, match=r"key 'plan\.per_zone\.b': 7 is outside"):
        check_ranges(Scen, {"plan.per_zone.*": (0, 1, "share")}, "s.toml")
    with pytest.raises(ScenarioError, match=r"key 'plan\.rules\[0\]\.min'"):
        check_ranges(Scen, {"plan.rules[].min": (0, 2, "schools")}, "s.toml")
    check_ranges(Scen, {"plan.rate": (0, 1, ""), "plan.label": (0, 1, ""), "plan.rules[].min": (0, 3, "")})
