"""Population projection: a cohort-component model per zone.

Single years of age 0–100+ by sex, yearly steps from a base year to a
horizon, calibrated to reported births and zone totals, with low / medium /
high variants and seeded stochastic draws. See :func:`run_projection`.

How well the method forecasts is measured by a rolling-origin back-test
(:mod:`capacity.demography.backtest`, written by
:mod:`capacity.demography.backtest_io`), whose errors calibrate the spread of
the draws (:mod:`capacity.demography.spread`).
"""

from capacity.demography.params import ProjectionParams
from capacity.demography.run import ProjectionResult, project_tables, run_projection

__all__ = ["ProjectionParams", "ProjectionResult", "project_tables", "run_projection"]
