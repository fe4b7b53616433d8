"""Checks of existing capacity against the plan's targets (moved to :mod:`capacity.demand.targets`).

Kept so ``from capacity.demand.checks import plan_checks`` keeps working.
"""

from __future__ import annotations

from capacity.demand.targets import COLUMNS, plan_checks

__all__ = ["COLUMNS", "plan_checks"]
