"""The ensemble's files: GIS layer, fan chart and site-frequency map (I/O edge).

* ``ensemble.gpkg`` layer ``site_frequency`` — points of candidate sites
  (and expanded schools) with level and frequency, in the city's metric CRS;
* ``fan_unserved.png`` — unserved pupils per level and year, quantile bands
  over draws of the scenario's plan (and the robust plan's median on the
  held-out draws);
* ``map_site_frequency.png`` — sites coloured by how often the draws'
  optimal plans choose them, one panel per level, with the bundled CJK font,
  a scale bar, a north arrow and an inset for exclaves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from capacity import LEVELS


def write_site_layer(freq: pd.DataFrame, crs, path) -> Path:
    """``site_frequency`` layer of a GeoPackage (CRS declared)."""
    import geopandas as gpd

    path = Path(path)
    g = gpd.GeoDataFrame(freq.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(freq["x"], freq["y"]),
                         crs=crs)
    g.to_file(path, layer="site_frequency", driver="GPKG", engine="pyogrio")
    return path


def fan_chart(quantiles: pd.DataFrame, title: str, path) -> Path:
    """Quantile bands of unserved pupils over draws, per level (see the module docstring)."""
    import matplotlib.pyplot as plt

    from capacity import plotting

    path = Path(path)
    levels = [lv for lv in LEVELS if lv in set(quantiles["level"])]
    qs = sorted(set(quantiles["quantile"]))
    pairs = [(qs[i], qs[-1 - i]) for i in range(len(qs) // 2)]
    mid = min(qs, key=lambda q: abs(q - 0.5))
    with plotting.style():
        fig, axes = plt.subplots(1, len(levels), figsize=(3.6 * len(levels) + 1, 3.8), squeeze=False,
                                 layout="constrained")
        for ax, level in zip(axes[0], levels):
            base = quantiles[(quantiles["plan"] == "baseline") & (quantiles["level"] == level)]
            wide = base.pivot(index="year", columns="quantile", values="unserved").sort_index()
            years = wide.index.to_numpy()
            for i, (lo, hi) in enumerate(pairs):
                ax.fill_between(years, wide[lo], wide[hi], color="#d95f02", alpha=0.18 + 0.17 * i, lw=0,
                                label=f"scenario plan 方案, {lo:.0%}–{hi:.0%}")
            ax.plot(years, wide[mid], color="#d95f02", lw=1.8, marker="o", ms=3,
                    label=f"scenario plan, median 中位数")
            rob = quantiles[(quantiles["plan"] == "robust") & (quantiles["level"] == level)]
            if len(rob):
                r = rob[rob["quantile"] == mid].sort_values("year")
                ax.plot(r["year"], r["unserved"], color="#1b9e77", lw=1.6, ls="--", marker="s", ms=3,
                        label="robust plan 稳健方案, median (held-out draws)")
            ax.set_title(level, fontsize=10)
            ax.set_xticks(years)
            ax.tick_params(axis="x", labelsize=7, rotation=45)
            ax.set_ylim(bottom=0)
            ax.grid(color="#dddddd", lw=0.6)
            ax.set_xlabel("year 年份", fontsize=8)
        axes[0][0].set_ylabel("unserved pupils 未入学 [pupils]", fontsize=8)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4), fontsize=7,
                   frameon=False)
        fig.suptitle(title, fontsize=11)
        fig.savefig(path, dpi=200)
        plt.close(fig)
    return path


def _zones_outline(ax, zones):
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    from capacity.plotting import polygon_path

    patches = [PathPatch(polygon_path(g)) for g in zones.geometry]
    ax.add_collection(PatchCollection(patches, facecolors="#f4f4f4", edgecolors="#777777", linewidths=0.5,
                                      zorder=1))


def _sites(ax, f, norm, cmap):
    f = f.sort_values("frequency")
    new = f[f["kind"] == "new"]
    ax.scatter(new["x"], new["y"], c=cmap(norm(new["frequency"].to_numpy())), s=8 + 40 * new["frequency"],
               marker="o", edgecolors="#333333", linewidths=0.2, zorder=3)
    exp = f[f["kind"] == "expand"]
    if len(exp):
        ax.scatter(exp["x"], exp["y"], c=cmap(norm(exp["frequency"].to_numpy())), s=8 + 40 * exp["frequency"],
                   marker="s", edgecolors="#333333", linewidths=0.2, zorder=3)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def frequency_map(city, freq: pd.DataFrame, n_draws: int, title: str, path) -> Path:
    """Sites coloured by the share of draws whose optimal plan chooses them, one panel per level."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    from capacity import plotting
    from capacity.plotting import add_north_arrow, add_scale_bar, fit_extent

    path = Path(path)
    zones = city.zones.copy()
    zones["zone_id"] = zones["zone_id"].astype(str)
    kind = zones["kind"] if "kind" in zones.columns else pd.Series("county", index=zones.index)
    exclave = (kind == "exclave").to_numpy()
    main = zones[~exclave] if (~exclave).any() else zones
    inset = zones[exclave] if (~exclave).any() else zones.iloc[0:0]
    levels = [lv for lv in LEVELS if lv in set(freq["level"])]
    norm, cmap = Normalize(0.0, 1.0), plt.get_cmap("viridis_r")
    with plotting.style():
        ncol = min(2, len(levels))
        nrow = int(np.ceil(len(levels) / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(5.6 * ncol, 5.2 * nrow + 0.8), squeeze=False,
                                 layout="constrained")
        for ax in axes.flat[len(levels):]:
            ax.set_axis_off()
        for ax, level in zip(axes.flat, levels):
            f = freq[freq["level"] == level]
            _zones_outline(ax, main)
            in_main = ~f["zone_id"].isin(inset["zone_id"])
            _sites(ax, f[in_main], norm, cmap)
            fit_extent(ax, main, right=0.45 if len(inset) else 0.0)
            add_scale_bar(ax)
            add_north_arrow(ax)
            ax.set_title(f"{level}: {int((f['draws_chosen'] > 0).sum())} of {len(f)} sites chosen in some draw",
                         fontsize=9)
            if len(inset):
                ia = ax.inset_axes([0.69, 0.03, 0.29, 0.34])
                _zones_outline(ia, inset)
                _sites(ia, f[~in_main], norm, cmap)
                fit_extent(ia, inset, pad=0.15)
                ia.set_title("inset: " + "、".join(inset.get("name_local", inset["zone_id"])), fontsize=6, pad=2)
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        cbar = fig.colorbar(sm, ax=axes, orientation="horizontal", fraction=0.04, aspect=50, location="bottom")
        cbar.set_label(f"share of {n_draws} draws whose optimal plan builds here 选址频率", fontsize=9)
        handles = [Line2D([], [], marker="o", ls="", markerfacecolor="#999999", markeredgecolor="#333333",
                          label="candidate site 候选地块 (new school)"),
                   Line2D([], [], marker="s", ls="", markerfacecolor="#999999", markeredgecolor="#333333",
                          label="existing school expanded 扩建")]
        fig.legend(handles=handles, loc="outside upper right", fontsize=7, frameon=False)
        fig.suptitle(title, fontsize=11)
        fig.savefig(path, dpi=200)
        plt.close(fig)
    return path
