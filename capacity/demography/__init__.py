"""Population projection: a cohort-component model per zone.

Single years of age 0–100+ by sex, yearly steps from a base year to a
horizon, calibrated to reported births and zone totals, with low / medium /
high variants and seeded stochastic draws. See :func:`run_projection`.
"""

from capacity.demography.params import ProjectionParams
from capacity.demography.run import ProjectionResult, project_tables, run_projection

__all__ = ["ProjectionParams", "ProjectionResult", "project_tables", "run_projection"]
