"""School-age population, pupils and seats per zone, level and year.

For a level with age band [a, b], enrolment target e, seat share h and
standard module of k classes of c pupils:

    persons  = Σ_{age=a..b} population                    [children]
    pupils   = persons × e                                [pupils]
    seats_needed = ⌈pupils × h⌉                          [seats]
    deficit  = max(seats_needed − seats_existing, 0)      [seats]
    surplus  = max(seats_existing − seats_needed, 0)      [seats]
    schools_needed = ⌈deficit / (k × c)⌉                  [schools]

h is the general share for ``high`` (the layer holds general high
schools), the public share for ``kindergarten`` when only public places
are listed, otherwise 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.demand.params import DemandParams

_EPS = 1e-9


def level_bands(standards, params: DemandParams) -> dict:
    """Age band per level: parameter override, else the standards' ``ages``."""
    out = {}
    for level in params.levels:
        if level in params.bands:
            out[level] = tuple(params.bands[level])
        else:
            out[level] = tuple(standards[level].ages)
    return out


def school_age(population, bands) -> pd.DataFrame:
    """Children per zone, year and level.

    Parameters
    ----------
    population : DataFrame
        ``zone_id, year, age, sex, persons`` (extra key columns such as
        ``variant`` are kept).
    bands : mapping of str to (int, int)
        Age band per level [years].

    Returns
    -------
    DataFrame
        ``[extra keys,] zone_id, year, level, persons`` [children].
    """
    extra = [c for c in population.columns if c not in ("zone_id", "year", "age", "sex", "persons")]
    keys = extra + ["zone_id", "year"]
    parts = []
    for level, (lo, hi) in bands.items():
        sel = population[(population.age >= lo) & (population.age <= hi)]
        parts.append(sel.groupby(keys, as_index=False).persons.sum().assign(level=level))
    f = pd.concat(parts, ignore_index=True)
    return f[keys + ["level", "persons"]].sort_values(keys + ["level"], kind="stable").reset_index(drop=True)


def existing_seats(schools, levels) -> pd.DataFrame:
    """Seats of existing schools per zone and level [seats]."""
    s = pd.DataFrame(schools.drop(columns="geometry", errors="ignore"))
    s = s[s.level.isin(levels)]
    return s.groupby(["zone_id", "level"], as_index=False).seats.sum().rename(columns={"seats": "seats_existing"})


def seat_share(level, params: DemandParams) -> float:
    """Share of pupils the planned seats must cover (see module docstring)."""
    if level == "high":
        return params.general_share
    if level == "kindergarten" and params.kindergarten_public_only:
        return params.public_share
    return 1.0


def zone_demand(school_age_table, standards, params: DemandParams, schools) -> pd.DataFrame:
    """Pupils, seats and deficits per zone, level and year.

    Parameters
    ----------
    school_age_table : DataFrame
        ``zone_id, year, level, persons`` (from :func:`school_age`).
    standards : Standards
        Per-level standards (enrolment target, class size, modules).
    params : DemandParams
    schools : DataFrame
        Existing schools: ``zone_id, level, seats``.

    Returns
    -------
    DataFrame
        ``zone_id, year, level, pupils, seats_existing, seats_needed,
        deficit, persons, surplus, schools_needed``.
    """
    f = school_age_table.copy()
    target = {lv: params.enrolment_targets.get(lv, standards[lv].enrolment_target) for lv in params.levels}
    share = {lv: seat_share(lv, params) for lv in params.levels}
    module = {lv: params.module_classes.get(lv, min(standards[lv].modules)) * standards[lv].class_size
              for lv in params.levels}
    f["pupils"] = f.persons * f.level.map(target)
    f["seats_needed"] = np.ceil(f.pupils * f.level.map(share) - _EPS).clip(lower=0)
    seats = existing_seats(schools, params.levels)
    f = f.merge(seats, on=["zone_id", "level"], how="left")
    f["seats_existing"] = f.seats_existing.fillna(0.0)
    f["deficit"] = (f.seats_needed - f.seats_existing).clip(lower=0)
    f["surplus"] = (f.seats_existing - f.seats_needed).clip(lower=0)
    f["schools_needed"] = np.ceil(f.deficit / f.level.map(module) - _EPS).clip(lower=0).astype(int)
    cols = ["zone_id", "year", "level", "pupils", "seats_existing", "seats_needed", "deficit",
            "persons", "surplus", "schools_needed"]
    f = f[cols]
    f.attrs["units"] = {"pupils": "pupils", "seats_existing": "seats", "seats_needed": "seats",
                        "deficit": "seats", "persons": "children", "surplus": "seats",
                        "schools_needed": "standard-size schools"}
    return f
