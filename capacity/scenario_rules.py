"""Tables that govern scenario files across versions: renamed keys and the
plausible range of every number.

Kept apart from :mod:`capacity.scenario` so that a rename or a range is one
line in one small file, and the reasons stay next to the values.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

# Keys renamed since scenario files were first published: ``{old: new}`` in
# dotted form (``[]``: every table of an array of tables). A file using an old
# name still loads, with a RenamedKeyWarning naming the file and both names.
# Add a line here whenever a key is renamed; remove it no sooner than two
# releases later.
RENAMED_KEYS: Mapping[str, str] = MappingProxyType({})

# Plausible range of every number a scenario sets (inclusive), with its unit.
# Outside it the value is a slip (a year of 20118, a share of 95), not an
# assumption, and is an error naming the key. ``.*``: each value of a table;
# ``[]``: each item of a list.
PLAUSIBLE = MappingProxyType({
    "projection.base_year": (1900, 2100, "year"),
    "projection.horizon": (1900, 2100, "year"),
    "projection.srb": (90, 130, "boys per 100 girls"),
    "projection.e0_gain": (-1, 1, "years / year"),
    "projection.fertility_mean_age": (15, 45, "years"),
    "projection.fertility_spread": (0.5, 20, "(Hadwiger H)"),
    "projection.tfr": (0, 10, "births / woman"),
    "projection.tfr_zone_factor.*": (0, 5, "× city TFR"),
    "projection.tfr_variant_delta": (0, 2, "births / woman"),
    "projection.migration_rate.*": (-0.5, 0.5, "net migrants / population / year"),
    "projection.migration_window": (0, 50, "years"),
    "projection.migration_decay_years": (0, 200, "years"),
    "projection.migration_variant_delta": (0, 0.2, "/ year"),
    "projection.variant_ramp_years": (0, 100, "years"),
    "projection.draws": (0, 1_000_000, "draws"),
    "projection.tfr_sigma": (0, 2, "log TFR"),
    "projection.tfr_rho": (-1, 1, ""),
    "projection.migration_sigma": (0, 0.5, "/ year"),
    "projection.migration_rho": (-1, 1, ""),
    "projection.tfr_trend_window": (1, 50, "years"),
    "projection.migration_long_run_rate": (-0.5, 0.5, "net migrants / population / year"),
    "projection.migration_prior_rate": (-0.5, 0.5, "net migrants / population / year"),
    "projection.migration_prior_weight": (0, 1000, "years of data"),
    "projection.migration_zone_factor": (0, 20, "× city s.d."),
    "demand.enrolment_targets.*": (0, 1.5, "share"),
    "demand.module_classes.*": (1, 200, "classes"),
    "demand.special_threshold": (0, 1e8, "persons"),
    "plan.build_years[]": (1900, 2100, "year"),
    "plan.evaluation_years[]": (1900, 2100, "year"),
    "plan.totals.*": (0, 100_000, "schools"),
    "plan.budget_cny.*": (0, 1e13, "CNY"),
    "plan.budget_factor": (0, 10, "×"),
    "plan.construction_lag_years": (0, 20, "years"),
    "plan.lag_years_by_level.*": (0, 10, "years"),
    "plan.conversion_cost_cny_per_seat.*": (0, 1e6, "CNY / seat"),
    "plan.operating_cost_cny_per_school.*": (0, 1e9, "CNY / year"),
    "plan.operating_cost_cny_per_pupil.*": (0, 1e6, "CNY / (pupil·year)"),
    "plan.max_closures_per_zone_year": (0, 1000, "schools"),
    "plan.lag_years_by_level.*": (0, 20, "years"),
    "plan.conversion_cost_cny_per_seat.*": (0, 1e6, "CNY / seat"),
    "plan.max_closures_per_zone_year": (0, 10_000, "schools"),
    "plan.operating_cost_cny_per_school.*": (0, 1e10, "CNY / year"),
    "plan.operating_cost_cny_per_pupil.*": (0, 1e7, "CNY / (pupil·year)"),
    "plan.level_conversion_cost_cny_per_seat.*": (0, 1e6, "CNY / seat"),
    "plan.nursery_places_per_1000_people": (0, 100, "places / 1,000 persons"),
    "plan.nursery_existing_places_per_1000_people": (0, 100, "places / 1,000 persons"),
    "plan.nursery_places_per_seat": (0, 5, "places / seat"),
    "plan.nursery_place_cost_cny": (0, 1e7, "CNY / place"),
    "plan.zone_rules[].min": (0, 10_000, "schools"),
    "plan.zone_rules[].max": (0, 10_000, "schools"),
    "objective.cost_discount_rate": (0, 1, "/ year"),
    "objective.lexicographic_tolerance": (0, 1, "share"),
    "solver.time_limit_s": (0, 1e7, "s"),
    "solver.threads": (0, 1024, "threads"),
    "solver.aggregate_tolerance_m": (0, 5000, "m"),
})
