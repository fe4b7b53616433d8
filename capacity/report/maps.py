"""Seat-balance maps per level (matplotlib, Agg, PNG at 200 dpi).

For each level one figure of panels: rows are the target year (first
evaluation year) and the horizon (last evaluation year); columns are
*before* (existing seats only: the zone's seats less the new seats ready by
that year) and *after* the plan. Zones are shaded by seat balance (seats −
pupils needing a seat [pupils]; red: deficit, blue: surplus) on one colour
scale for the whole figure, with their local names. Existing schools of the
level are grey dots; the plan's sites (after panels) are coloured by opening
year, triangles for new schools and squares for expansions. Exclave zones
(``kind == "exclave"``, e.g. Mohan) are drawn in an inset, so the main map
keeps the scale of the contiguous city. Every panel has a scale bar and a
north arrow (the metric CRS has grid north up).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from capacity import plotting as fonts
from capacity.plotting import add_north_arrow, add_scale_bar, fit_extent, nice_length, polygon_path  # noqa: F401

_extent = fit_extent  # old private name, kept until every caller imports capacity.plotting

YEAR_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def balance_frame(zone_balance, plan, level, year) -> pd.DataFrame:
    """``zone_id, demand, seats_after, seats_before, after, before`` for one level and year [pupils]."""
    b = zone_balance[(zone_balance["level"] == level) & (zone_balance["year"] == year)].copy()
    b["zone_id"] = b["zone_id"].astype(str)
    p = plan[(plan["level"] == level) & (plan["ready_year"] <= year)]
    new = p.groupby(p["zone_id"].astype(str))["seats"].sum()
    b["seats_after"] = b["seats"]
    b["seats_before"] = b["seats"] - b["zone_id"].map(new).fillna(0.0)
    b["after"] = b["seats_after"] - b["demand"]
    b["before"] = b["seats_before"] - b["demand"]
    return b[["zone_id", "demand", "seats_after", "seats_before", "after", "before"]].reset_index(drop=True)


def draw_zones(ax, zones, values, norm, cmap):
    """Zones filled by ``values`` (by zone_id; missing: light grey)."""
    from matplotlib.patches import PathPatch
    from matplotlib.collections import PatchCollection

    v = zones["zone_id"].astype(str).map(values).to_numpy(float)
    colours = [cmap(norm(x)) if np.isfinite(x) else "#eeeeee" for x in v]
    patches = [PathPatch(polygon_path(g)) for g in zones.geometry]
    ax.add_collection(PatchCollection(patches, facecolors=colours, edgecolors="#444444", linewidths=0.6,
                                      zorder=2))


def _panel(ax, zones, values, norm, cmap, schools, sites, colours, labels=True, name_col="name_local"):
    z = zones
    draw_zones(ax, zones, values, norm, cmap)
    if len(schools):
        ax.scatter(schools.geometry.x, schools.geometry.y, s=22, c="#777777", marker="o",
                   edgecolors="white", linewidths=0.3, zorder=5)
    if sites is not None and len(sites):
        for action, marker in (("new", "^"), ("expand", "s")):
            s = sites[sites["action"] == action]
            ax.scatter(s["x"], s["y"], s=34, c=s["open_year"].map(colours), marker=marker,
                       edgecolors="black", linewidths=0.5, zorder=6)
        shut = sites[sites["action"].isin(("close", "convert"))]
        if len(shut):  # closures and conversions in their own colour (issue 13)
            ax.scatter(shut["x"], shut["y"], s=40, c="#d62728", marker="X", edgecolors="white",
                       linewidths=0.5, zorder=7)
    if labels:
        for row in z.itertuples():
            pt = row.geometry.representative_point()
            ax.annotate(getattr(row, name_col), (pt.x, pt.y), xytext=(0, 7), textcoords="offset points",
                        ha="center", va="bottom", fontsize=7, zorder=4,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.6))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_aspect("equal")


def level_map(city, zone_balance, plan, level, years, title, path, lang=None) -> Path:
    """Draw and save one level's map (see the module docstring).

    Parameters
    ----------
    city : CityData
    zone_balance, plan : DataFrame
        ``zone_balance.csv`` and ``plan.csv``.
    level : str
    years : sequence of int
        Years of the rows (target year and horizon) [year].
    title : str
        Figure title (the scenario name and what the map shows).
    path : str or Path
        PNG file to write.
    lang : {"zh", "en"}, optional
        Language of the labels (:mod:`capacity.report.i18n`); zone names are the local
        names in ``zh``, the English names in ``en``. Default: English with Chinese beside.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.lines import Line2D

    path = Path(path) if isinstance(path, (str, os.PathLike)) else path  # or a binary file object
    zones = city.zones[["zone_id", "name_local", "name_en", "kind", "geometry"]].copy()
    zones["zone_id"] = zones["zone_id"].astype(str)
    exclave = zones["kind"] == "exclave"
    main = zones[~exclave] if (~exclave).any() else zones
    inset = zones[exclave] if (~exclave).any() else zones.iloc[0:0]
    schools = city.schools[city.schools["level"] == level]
    sites = plan[plan["level"] == level]
    build_years = sorted(set(plan["open_year"].astype(int))) or [years[0]]
    colours = {y: YEAR_COLOURS[i % len(YEAR_COLOURS)] for i, y in enumerate(build_years)}
    frames = {y: balance_frame(zone_balance, plan, level, y) for y in years}
    vals = np.concatenate([np.r_[f["before"].to_numpy(), f["after"].to_numpy()] for f in frames.values()])
    lim = float(np.nanmax(np.abs(vals))) if vals.size and np.isfinite(vals).any() else 1.0
    lim = max(lim, 1.0)
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
    cmap = plt.get_cmap("RdBu")
    text = map_labels(lang)
    name_col = "name_en" if lang == "en" else "name_local"
    with fonts.style():
        right = 0.45 if len(inset) else 0.0
        x0, y0, x1, y1 = main.total_bounds
        ratio = float(np.clip((y1 - y0) / max((x1 - x0) * (1 + right), 1.0), 0.45, 1.4))
        fig, axes = plt.subplots(len(years), 2, figsize=(11, len(years) * (5.4 * ratio + 0.4) + 1.6),
                                 squeeze=False, layout="constrained")
        for r, year in enumerate(years):
            f = frames[year].set_index("zone_id")
            for c, (col, label) in enumerate((("before", text["before"]), ("after", text["after"]))):
                ax = axes[r, c]
                shown = sites[sites["ready_year"] <= year] if col == "after" else None
                _panel(ax, main, f[col], norm, cmap, schools, shown, colours, name_col=name_col)
                _extent(ax, main, right=right)
                add_scale_bar(ax)
                add_north_arrow(ax)
                ax.set_title(f"{year}, {label}", fontsize=10)
                if len(inset):
                    ia = ax.inset_axes([0.69, 0.03, 0.29, 0.34])
                    _panel(ia, inset, f[col], norm, cmap,
                           schools[schools["zone_id"].astype(str).isin(inset["zone_id"])],
                           shown, colours, labels=False)
                    _extent(ia, inset, pad=0.15)
                    ia.set_title(text["inset"](inset), fontsize=6, pad=2)
                    for s in ia.spines.values():
                        s.set_edgecolor("#333333")
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        cbar = fig.colorbar(sm, ax=axes, orientation="horizontal", fraction=0.04, aspect=50, location="bottom")
        cbar.set_label(text["colourbar"], fontsize=9)
        handles = [Line2D([], [], marker="o", ls="", color="#777777", label=text["existing"])]
        handles += [Line2D([], [], marker="^", ls="", markerfacecolor=colours[y], markeredgecolor="black",
                           label=text["new"](y)) for y in build_years]
        if (sites["action"] == "expand").any():
            handles += [Line2D([], [], marker="s", ls="", markerfacecolor="white", markeredgecolor="black",
                               label=text["expansion"])]
        if sites["action"].isin(("close", "convert")).any():
            handles += [Line2D([], [], marker="X", ls="", markerfacecolor="#d62728", markeredgecolor="white",
                               label=text["closure"])]
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 5), fontsize=8,
                   frameon=False)
        fig.suptitle(title, fontsize=13, y=1.035)  # above the panel titles, kept by bbox_inches
        fig.savefig(path, dpi=200, bbox_inches="tight", pad_inches=0.15)
        plt.close(fig)
    return path


def map_labels(lang=None) -> dict:
    """The maps' labels in ``lang`` (:mod:`capacity.report.i18n`); None: English with Chinese beside."""
    from capacity.report import i18n

    def both(key, **kw):
        return (i18n.tr(key, lang, **kw) if lang else
                f"{i18n.tr(key, 'en', **kw)} {i18n.tr(key, 'zh', **kw)}")

    def inset(frame):
        if lang == "en":
            names = ", ".join(frame["name_en"])
        else:
            names = "、".join(frame["name_local"]) + ("" if lang else " (" + ", ".join(frame["name_en"]) + ")")
        return i18n.tr("map_inset", lang or "en", names=names)

    return {"before": i18n.tr("map_before", lang or "en"), "after": i18n.tr("map_after", lang or "en"),
            "inset": inset, "colourbar": both("map_colourbar"), "existing": both("map_existing"),
            "new": lambda y: both("map_new_opens", year=y), "expansion": both("map_expansion"),
            "closure": both("map_closure")}


def map_title(scenario_name, level, years, lang=None) -> str:
    """A level map's title in ``lang`` (default English)."""
    from capacity.report import i18n

    lang = lang or "en"
    return i18n.tr("map_title", lang, scenario=scenario_name, level=i18n.level_name(level, lang),
                   years=i18n.tr("and", lang).join(map(str, years)))


def write_maps(city, zone_balance, plan, scenario_name, years, out_dir, levels=None) -> list[Path]:
    """``map_<level>.png`` for every level with demand (target year and horizon)."""
    from capacity import ALL_LEVELS

    levels = levels or [lv for lv in ALL_LEVELS if lv in set(zone_balance["level"])]
    years = [years[0]] + ([years[-1]] if years[-1] != years[0] else [])
    out = []
    for level in levels:
        title = f"{scenario_name} — {level}: seat balance by zone, {' and '.join(map(str, years))}"
        out.append(level_map(city, zone_balance, plan, level, years, title,
                             Path(out_dir) / f"map_{level}.png"))
    return out
