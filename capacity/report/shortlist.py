"""Site shortlist: for each chosen new site, the best alternative parcels near it (pure).

Rule
----
For a new school of ``c`` classes opening in year ``t`` on site ``j``, an
alternative is a candidate site ``k`` that

* is of the same level and is not used by the plan,
* holds the same module: ``land_m2(k) ≥ c × class_size × land_m2_per_pupil``,
* is available by the opening year: ``available_from(k) ≤ t``,
* lies within the level's urban maximum distance of ``j``
  (``max_distance_urban_m``, straight line in the metric CRS).

Alternatives are ranked by the objective cost of the swap (lower is better),
in the scenario's objective units:

.. math::

    \\Delta = \\gamma\\,\\frac{C_k - C_j}{10^6}
              + \\beta \\sum_{i,y} p_{ijy}\\,\\frac{d_{ik} - d_{ij}}{1000}

where ``C`` is the module's construction cost [CNY] (seats × floor m²/pupil ×
CNY/m² × the site's ``cost_factor``), ``p_ijy`` the pupils of unit ``i``
assigned to ``j`` in evaluation year ``y`` [pupils], ``d`` straight-line
distances [m], ``γ`` = ``objective.cost_weight`` [per 10⁶ CNY] and ``β`` =
``objective.distance_weight`` [per pupil·km]: the same terms the optimiser
weighs. The swap moves the chosen site's pupils as they are; pupils whose
unit would then be beyond the level's maximum distance are counted in
``pupils_beyond_reach`` (the swap would have to reassign them). The top
``top`` (default 3) alternatives per chosen site are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

COLUMNS = ["chosen_site_id", "level", "zone_id", "size_classes", "open_year", "alt_rank",
           "alt_site_id", "alt_zone_id", "distance_m", "land_m2", "available_from", "cost_cny",
           "delta_cost_cny", "delta_pupil_km", "pupils_beyond_reach", "score", "x", "y"]
UNITS = {"distance_m": "m", "land_m2": "m²", "cost_cny": "CNY", "delta_cost_cny": "CNY",
         "delta_pupil_km": "pupil·km", "pupils_beyond_reach": "pupils",
         "score": "objective units", "x": "m", "y": "m"}


def _xy(layer) -> np.ndarray:
    return np.column_stack([layer.geometry.x.to_numpy(), layer.geometry.y.to_numpy()])


def shortlist_table(plan, assignment, city, cost_weight=1.0, distance_weight=1.0, top=3) -> pd.DataFrame:
    """Top alternatives for each chosen new site.

    Parameters
    ----------
    plan : DataFrame
        ``plan.csv``.
    assignment : DataFrame
        ``assignment.csv`` (``unit_id, school_id, year, pupils``).
    city : CityData
        The city the plan was made for (its standards, sites and units).
    cost_weight : float
        Objective weight per 10⁶ CNY.
    distance_weight : float
        Objective weight per pupil·km.
    top : int
        Alternatives kept per chosen site.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, by chosen site then ``alt_rank`` (1 = best).
    """
    new = plan[plan["action"] == "new"]
    sites = city.candidate_sites
    used = set(plan["site_id"].astype(str))
    units = city.demand_units.set_index("unit_id")
    unit_xy = pd.DataFrame(_xy(units), index=units.index, columns=["x", "y"])
    rows = []
    for level, chosen in new.groupby("level", sort=False):
        std = city.standards[level]
        pool = sites[(sites["level"] == level) & ~sites["site_id"].astype(str).isin(used)].reset_index(drop=True)
        if pool.empty:
            continue
        pool_xy = _xy(pool)
        tree = cKDTree(pool_xy)
        limit = {True: std.max_distance_urban_m, False: std.max_distance_rural_m}
        for site in chosen.itertuples(index=False):
            near = tree.query_ball_point([site.x, site.y], std.max_distance_urban_m)
            cand = pool.iloc[near]
            cand = cand[(cand["land_m2"] >= std.module_land_m2(site.size_classes))
                        & (cand["available_from"] <= site.open_year)]
            if cand.empty:
                continue
            kxy = pool_xy[cand.index.to_numpy()]
            a = assignment[assignment["school_id"].astype(str) == str(site.site_id)]
            a = a[a["pupils"] > 0]
            uxy = unit_xy.loc[a["unit_id"]].to_numpy()
            d_now = np.hypot(uxy[:, 0] - site.x, uxy[:, 1] - site.y)
            d_alt = np.hypot(uxy[:, None, 0] - kxy[None, :, 0], uxy[:, None, 1] - kxy[None, :, 1])
            p = a["pupils"].to_numpy(float)
            d_pkm = (p[:, None] * (d_alt - d_now[:, None])).sum(axis=0) / 1000.0
            reach = units.loc[a["unit_id"], "urban"].map(limit).to_numpy(float)
            beyond = (p[:, None] * (d_alt > reach[:, None] + 1e-6)).sum(axis=0)
            cost = std.module_cost_cny(site.size_classes) * cand["cost_factor"].to_numpy(float)
            d_cost = cost - float(site.cost_cny)
            score = cost_weight * d_cost / 1e6 + distance_weight * d_pkm
            dist = np.hypot(kxy[:, 0] - site.x, kxy[:, 1] - site.y)
            order = np.lexsort((cand["site_id"].astype(str).to_numpy(), score))[:top]
            for rank, i in enumerate(order, start=1):
                c = cand.iloc[i]
                rows.append({
                    "chosen_site_id": str(site.site_id), "level": level, "zone_id": str(site.zone_id),
                    "size_classes": int(site.size_classes), "open_year": int(site.open_year),
                    "alt_rank": rank, "alt_site_id": str(c["site_id"]), "alt_zone_id": str(c["zone_id"]),
                    "distance_m": float(dist[i]), "land_m2": float(c["land_m2"]),
                    "available_from": int(c["available_from"]), "cost_cny": float(cost[i]),
                    "delta_cost_cny": float(d_cost[i]), "delta_pupil_km": float(d_pkm[i]),
                    "pupils_beyond_reach": float(beyond[i]), "score": float(score[i]),
                    "x": float(kxy[i, 0]), "y": float(kxy[i, 1])})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["units"] = UNITS
    return out
