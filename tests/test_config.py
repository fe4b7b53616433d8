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
