"""Parameters of seat demand, as one frozen dataclass.

A scenario's ``[demand]`` table maps onto :class:`DemandParams` by field
name (see :mod:`capacity.config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from capacity import LEVELS


def _empty():
    return MappingProxyType({})


@dataclass(frozen=True)
class DemandParams:
    """Assumptions turning school-age population into seats.

    Attributes
    ----------
    levels : tuple of str
        Levels to plan, youngest first.
    bands : mapping of str to (int, int)
        Age band per level, first and last age inclusive [years];
        default: the standards' ``ages``.
    enrolment_targets : mapping of str to float
        Seats per child of the band [share]; default: the standards'
        ``enrolment_target`` (plan targets T5, T7, T10).
    public_share : float
        Public or inclusive (普惠) share of kindergarten places [share]
        (plan target T6, 0.9).
    kindergarten_public_only : bool
        True when the schools layer lists only public/inclusive
        kindergartens: kindergarten seats needed are then pupils ×
        ``public_share``; False (default) compares all places.
    general_share : float
        General (普通) share of high-school-stage pupils [share]; the rest
        is vocational. Kunming 2022: 142,581 of 283,923 ≈ 0.502. High-school
        seats needed are pupils × this share (the schools layer holds
        general high schools).
    module_classes : mapping of str to int
        Classes of a standard-size new school per level [classes];
        default: the smallest of the standards' ``modules``.
    special_threshold : float
        Population above which a county must have a special-education
        school [persons] (plan target T9).
    """

    levels: tuple[str, ...] = LEVELS
    bands: Mapping[str, tuple[int, int]] = field(default_factory=_empty)
    enrolment_targets: Mapping[str, float] = field(default_factory=_empty)
    public_share: float = 0.9
    kindergarten_public_only: bool = False
    general_share: float = 142_581 / 283_923
    module_classes: Mapping[str, int] = field(default_factory=_empty)
    special_threshold: float = 200_000.0

    def __post_init__(self):
        for name in ("public_share", "general_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name}: must be a share between 0 and 1")
        for level, (lo, hi) in self.bands.items():
            if not 0 <= lo <= hi <= 100:
                raise ValueError(f"bands: {level} must be [first, last] ages with 0 ≤ first ≤ last ≤ 100")
        for level, v in self.enrolment_targets.items():
            if not 0 <= v <= 2:
                raise ValueError(f"enrolment_targets: {level} must be between 0 and 2")
        for level, v in self.module_classes.items():
            if v < 1:
                raise ValueError(f"module_classes: {level} must be ≥ 1 class")
        for name in ("bands", "enrolment_targets", "module_classes"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
