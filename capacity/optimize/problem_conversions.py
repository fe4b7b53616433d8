"""Array-level inputs of conversions with a value (issue 13): nursery credits and level links.

Kept apart from :mod:`capacity.optimize.problem` (which they extend: :class:`NurseryCredit` is
``Closures.nursery``, :class:`LevelConversion` an item of ``Problem.conversions``); the model
steps are in :mod:`capacity.optimize.closures`, the geography in :mod:`capacity.optimize.conversions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import ProblemError, _arr

__all__ = ["LevelConversion", "NurseryCredit"]


@dataclass(frozen=True)
class NurseryCredit:
    """The value of converting a level's schools to nursery places (托育), see :mod:`capacity.optimize.conversions`.

    Attributes
    ----------
    places : ndarray of float, shape (F,)
        Nursery places a conversion of each facility supplies [places].
    zone : ndarray of str, shape (G,)
        Zones with a need.
    need_places : ndarray of float, shape (G,)
        Unmet need for nursery places per zone [places]; the credit never exceeds it.
    cny_per_place : float
        Avoided cost of building one nursery place elsewhere [CNY/place].
    """

    places: np.ndarray
    zone: np.ndarray
    need_places: np.ndarray
    cny_per_place: float = 0.0

    def __post_init__(self):
        places = np.asarray(self.places, dtype=float)
        zone = np.asarray(self.zone).astype(str)
        need = np.asarray(self.need_places, dtype=float)
        if places.ndim != 1 or np.any(~np.isfinite(places)) or np.any(places < 0):
            raise ProblemError("nursery.places must be a finite, non-negative 1-D array")
        if need.shape != zone.shape or np.any(~np.isfinite(need)) or np.any(need < 0):
            raise ProblemError("nursery.need_places must be finite, >= 0 and match nursery.zone")
        if not np.isfinite(self.cny_per_place) or self.cny_per_place < 0:
            raise ProblemError("nursery.cny_per_place must be finite and >= 0")
        for name, a in (("places", places), ("zone", zone), ("need_places", need)):
            object.__setattr__(self, name, _arr(a))


@dataclass(frozen=True)
class LevelConversion:
    """Schools of one level that may become schools of another level (issue 13).

    Link *k*: existing school ``facility[k]`` of level ``source`` closes, and option
    ``option[k]`` of level ``target`` (a school of the target level on the same place,
    :mod:`capacity.optimize.conversions`) may be started only in or after its closure year.

    Attributes
    ----------
    source, target : str
        Level names.
    facility : ndarray of int, shape (K,)
        Facility positions in the source level (schools that may close).
    option : ndarray of int, shape (K,)
        Option positions in the target level.
    """

    source: str
    target: str
    facility: np.ndarray
    option: np.ndarray

    def __post_init__(self):
        f = np.asarray(self.facility, dtype=np.int64)
        o = np.asarray(self.option, dtype=np.int64)
        if f.shape != o.shape or f.ndim != 1:
            raise ProblemError("level conversion: facility and option must be 1-D of one length")
        if self.source == self.target:
            raise ProblemError(f"level conversion from {self.source} to itself")
        object.__setattr__(self, "facility", _arr(f))
        object.__setattr__(self, "option", _arr(o))
