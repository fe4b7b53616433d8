"""The ``[objective]`` section of a scenario file (:class:`ObjectiveParams`)."""

from __future__ import annotations

from dataclasses import dataclass

from capacity.config import did_you_mean


@dataclass(frozen=True)
class ObjectiveParams:
    """How the objective trades unserved pupils, distance and cost.

    Attributes
    ----------
    mode : str
        ``weighted`` (one solve with the weights below) or ``lexicographic``
        (unserved first, then distance, then cost; each stage keeps the
        previous optimum within ``lexicographic_tolerance``).
    unserved_weight : float
        Penalty per unserved pupil in the first evaluation year [per pupil].
    year_decay : float
        Each later evaluation year's unserved penalty is multiplied by this (< 1:
        earlier years weigh more).
    distance_weight : float
        Weight per pupil-kilometre [per pupil·km].
    cost_weight : float
        Weight per million CNY of construction [per 10⁶ CNY].
    cost_discount_rate : float
        Costs of later build years are discounted at this rate [1/year]:
        the plan then spends as late as budgets and targets allow, instead
        of choosing opening years arbitrarily when no budget binds.
    lexicographic_tolerance : float
        Relative slack on earlier stages in lexicographic mode.
    year_weighting : str
        How the evaluation years weigh unserved pupils and distance:
        ``"decay"`` (default) — year *k* of the checked years weighs
        ``year_decay ** k`` for unserved pupils and 1 for distance;
        ``"calendar"`` — each checked year stands for the calendar years up
        to the next one (2030 of 2026–2030, 2035 stands for 2030–2034) and is
        discounted at ``cost_discount_rate``, like running costs: with
        ``unserved_weight`` and ``distance_weight`` in million CNY per pupil
        and year and per pupil·km and year, the objective is then a present
        value in million CNY (``year_decay`` is not used).
    count_existing_running_costs : bool
        Count the running cost of the existing schools in the objective (a
        constant: the decisions do not change; the objective becomes the whole
        present cost of the system, and the relative gap is measured against
        it). Default false: only new schools' running costs and closures'
        savings count.
    """

    mode: str = "weighted"
    unserved_weight: float = 1000.0
    year_decay: float = 0.5
    distance_weight: float = 1.0
    cost_weight: float = 1.0
    cost_discount_rate: float = 0.0
    lexicographic_tolerance: float = 0.001
    year_weighting: str = "decay"
    count_existing_running_costs: bool = False

    def __post_init__(self):
        if self.mode not in ("weighted", "lexicographic"):
            raise ValueError(f"mode: {self.mode!r} is not 'weighted' or 'lexicographic'"
                             + did_you_mean(self.mode, ("weighted", "lexicographic")))
        for name in ("unserved_weight", "distance_weight", "cost_weight", "lexicographic_tolerance",
                     "cost_discount_rate"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be ≥ 0")
        if not 0 < self.year_decay <= 1:
            raise ValueError("year_decay: must be in (0, 1]")
        if self.year_weighting not in ("decay", "calendar"):
            raise ValueError(f"year_weighting: {self.year_weighting!r} is not 'decay' or 'calendar'"
                             + did_you_mean(self.year_weighting, ("decay", "calendar")))
