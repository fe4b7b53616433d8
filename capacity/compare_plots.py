"""Charts for ``capacity compare``: headline bars and a map of changed sites."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from capacity import ALL_LEVELS

CHANGE_STYLE = {
    "same": dict(marker=".", color="#9e9e9e", s=8),
    "dropped": dict(marker="x", color="#c62828", s=40),
    "added": dict(marker="P", color="#2e7d32", s=40),
    "delayed": dict(marker=">", color="#ef6c00", s=36),
    "advanced": dict(marker="<", color="#1565c0", s=36),
    "resized": dict(marker="D", color="#6a1b9a", s=26),
}


def headline_chart(runs, path: Path) -> Path:
    """Bars per run: new schools per level, cost, and unserved pupils in the target year."""
    from capacity.plotting import style
    import matplotlib.pyplot as plt

    names = [r["name"] for r in runs]
    levels = [lv for lv in ALL_LEVELS if any(lv in r["summary"].get("schools_by_level", {}) for r in runs)]
    x = np.arange(len(levels))
    width = 0.8 / max(len(runs), 1)
    with style():
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for k, run in enumerate(runs):
            s = run["summary"]
            by_level = s.get("schools_by_level", {})
            new = [by_level[lv]["new"] + by_level[lv]["expand"] if lv in by_level else 0 for lv in levels]
            axes[0].bar(x + k * width, new, width, label=run["name"])
            year = min(next(iter(s["unserved_pupils"].values())), key=int)
            axes[2].bar(x + k * width, [s["unserved_pupils"].get(lv, {}).get(year, 0.0) for lv in levels], width)
        axes[1].bar(names, [r["summary"]["cost_cny_total"] / 1e9 for r in runs],
                    color=[f"C{k}" for k in range(len(runs))])
        for ax, title in zip(axes, ("new or expanded schools", "construction cost (bn CNY)",
                                    "unserved pupils, target year")):
            ax.set_title(title)
        for ax in (axes[0], axes[2]):
            ax.set_xticks(x + width * (len(runs) - 1) / 2, levels, rotation=15)
        axes[0].legend(fontsize=8)
        fig.suptitle("Comparison: " + " · ".join(names))
        fig.tight_layout()
        fig.savefig(path, dpi=200)
        plt.close(fig)
    return path


def _zones(runs, crs):
    """The reference run's zones (from its data folder), in the plan's CRS; None if unavailable."""
    import geopandas as gpd

    scenario = runs[0].get("scenario") or {}
    if not scenario.get("data"):
        return None
    data = Path(scenario["data"])
    if not (data / "zones.gpkg").is_file():
        return None
    zones = gpd.read_file(data / "zones.gpkg", layer="zones")
    return zones.to_crs(crs) if crs else zones


def change_map(changes, runs, path: Path, crs=None) -> Path:
    """Sites of the plans by change class, over the zones (one panel per compared run)."""
    from capacity.plotting import add_north_arrow, add_scale_bar, style
    import matplotlib.pyplot as plt

    zones = _zones(runs, crs)
    others = list(changes["run"].unique())
    with style():
        fig, axes = plt.subplots(1, len(others), figsize=(8 * len(others), 8), squeeze=False)
        for ax, name in zip(axes[0], others):
            ch = changes[changes["run"] == name]
            if zones is not None:
                main = zones[zones.get("kind", "county") != "exclave"] if "kind" in zones else zones
                main.boundary.plot(ax=ax, color="#616161", linewidth=0.5)
            for change, kw in CHANGE_STYLE.items():
                pts = ch[ch["change"] == change]
                if len(pts):
                    ax.scatter(pts["x"], pts["y"], label=f"{change} ({len(pts)})", zorder=3, **kw)
            if zones is not None and "kind" in zones:
                main_b = zones[zones["kind"] != "exclave"].total_bounds
                ax.set_xlim(main_b[0], main_b[2])
                ax.set_ylim(main_b[1], main_b[3])
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            add_scale_bar(ax)
            add_north_arrow(ax)
            ax.legend(loc="lower right", fontsize=8)
            ax.set_title(f"{name} vs {ch['reference'].iloc[0]}: sites that differ")
        fig.tight_layout()
        fig.savefig(path, dpi=200)
        plt.close(fig)
    return path
