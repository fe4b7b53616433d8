"""Write a projection and its seat demand to a folder (an edge: files only).

``write_projection(result, demand, out_dir)`` writes

* ``population.csv`` — zone_id, year, age, sex, persons;
* ``components.csv`` — zone_id, year, population_start, births, deaths,
  net_migration, population_end;
* ``school_age.csv`` — zone_id, year, level, persons;
* ``demand.csv`` — zone_id, year, level, pupils, seats_existing,
  seats_needed, deficit (then persons, surplus, schools_needed);
* ``plan_checks.csv`` and ``school_age_bands.csv``;
* ``calibration.json`` — the fit;
* ``school_age.png`` — school-age population per level over time for the
  city and each zone, with the low–high variants (and the outer quantiles
  of the draws, when present) as bands.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return None if np.isnan(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_projection(result, demand, out_dir, zone_names=None) -> dict:
    """Write the projection's tables, fit and chart to ``out_dir``.

    Parameters
    ----------
    result : ProjectionResult
    demand : DemandResult
    out_dir : str or Path
        Created if missing.
    zone_names : mapping of str to str, optional
        Chart titles per zone id (e.g. "呈贡区 Chenggong District").

    Returns
    -------
    dict
        File kind → path written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "population": out / "population.csv",
        "components": out / "components.csv",
        "school_age": out / "school_age.csv",
        "demand": out / "demand.csv",
        "plan_checks": out / "plan_checks.csv",
        "school_age_bands": out / "school_age_bands.csv",
        "calibration": out / "calibration.json",
        "chart": out / "school_age.png",
    }
    result.population.to_csv(paths["population"], index=False)
    result.components.to_csv(paths["components"], index=False)
    demand.school_age[["zone_id", "year", "level", "persons"]].to_csv(paths["school_age"], index=False)
    demand.demand.to_csv(paths["demand"], index=False)
    demand.checks.to_csv(paths["plan_checks"], index=False)
    demand.school_age_band.to_csv(paths["school_age_bands"], index=False)
    with open(paths["calibration"], "w", encoding="utf-8") as fh:
        json.dump(result.calibration, fh, ensure_ascii=False, indent=2, default=_json_default)
    plot_school_age(demand, paths["chart"], zone_names=zone_names)
    return {k: str(v) for k, v in paths.items()}


def plot_school_age(demand, path, max_zones=16, zone_names=None):
    """Small multiples of school-age population per level (city first).

    Lines are the chosen variant; the light band spans low–high variants,
    the darker one the outer quantiles of the stochastic draws if any.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from capacity.plotting import style

    with style():
        _plot_school_age(demand, path, max_zones, dict(zone_names or {}), plt, MaxNLocator)


def _plot_school_age(demand, path, max_zones, zone_names, plt, MaxNLocator):
    band = demand.school_age_band
    zones = ["city"] + sorted(z for z in band.zone_id.unique() if z != "city")[: max_zones - 1]
    levels = list(demand.bands)
    ncol = 4
    nrow = int(np.ceil(len(zones) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 3 * nrow), squeeze=False)
    colors = dict(zip(levels, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    main = demand.school_age
    main_city = main.groupby(["year", "level"], as_index=False).persons.sum().assign(zone_id="city")
    qs = sorted(b for b in band.band.unique() if b.startswith("q"))
    for ax, zone in zip(axes.flat, zones):
        b = band[band.zone_id == zone]
        m = main_city if zone == "city" else main[main.zone_id == zone]
        for level in levels:
            bl = b[b.level == level].pivot_table(index="year", columns="band", values="persons")
            if {"low", "high"} <= set(bl.columns):
                ax.fill_between(bl.index, bl["low"], bl["high"], color=colors[level], alpha=0.15, lw=0)
            if len(qs) >= 2 and {qs[0], qs[-1]} <= set(bl.columns):
                ax.fill_between(bl.index, bl[qs[0]], bl[qs[-1]], color=colors[level], alpha=0.3, lw=0)
            ml = m[m.level == level].sort_values("year")
            ax.plot(ml.year, ml.persons / 1, color=colors[level], lw=1.5, label=level)
        ax.set_title(zone_names.get(zone, "city" if zone == "city" else str(zone)), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.ticklabel_format(axis="y", style="sci", scilimits=(3, 3))
    for ax in list(axes.flat)[len(zones):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("School-age population per level [children]; bands: low–high variants"
                 + (f", draws {qs[0]}–{qs[-1]}" if len(qs) >= 2 else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
