"""Checks of a plan against its targets (moved to :mod:`capacity.demand.targets`).

Kept so ``from capacity.report.targets import check_targets`` keeps working.
"""

from __future__ import annotations

from capacity.demand.targets import CHECKS, LABELS, RATIO_RULES, TargetInputs, check, check_targets, target_inputs

__all__ = ["CHECKS", "LABELS", "RATIO_RULES", "TargetInputs", "check", "check_targets", "target_inputs"]
