"""The projection's chart (an edge: a PNG only).

:func:`plot_school_age` draws ``school_age.png`` — school-age population per
level over time for the city and each zone, with the low–high variants (and
the outer quantiles of the draws, when present) as bands. The projection's
tables are written by :func:`capacity.io.run.write_projection_files`.
"""

from __future__ import annotations

import numpy as np


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
    from capacity import LEVELS

    levels = [lv for lv in demand.bands if lv in LEVELS]  # special education: a share of the same children
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
