"""The phasing chart: a Gantt-style chart of sites by opening year, grouped by zone (PNG).

One row per zone and level with at least one school in the plan; a bar per
opening year spans the build year to the year its seats are ready (the
construction lag), coloured by level and labelled with the number of
schools (new + expanded) and seats. Rows are grouped by zone, in the order
of the zones layer, with the zone's local and English names.
"""

from __future__ import annotations

import os
from pathlib import Path

from capacity import ALL_LEVELS
from capacity.report import fonts

LEVEL_COLOURS = {"kindergarten": "#66c2a5", "primary": "#fc8d62", "middle": "#8da0cb",
                 "high": "#e78ac3"}


def gantt_chart(schedule, title, path, zone_order=None, lang=None) -> Path:
    """Draw the phasing chart of ``schedule`` (:func:`capacity.report.schedule.schedule_table`).

    Parameters
    ----------
    schedule : DataFrame
    title : str
    path : str or Path
        PNG file to write (200 dpi).
    zone_order : sequence of str, optional
        Zone ids top to bottom (default: sorted ids).
    lang : {"zh", "en"}, optional
        Language of the labels (:mod:`capacity.report.i18n`; default English with both zone names).
    """
    from capacity.report import i18n

    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    path = Path(path) if isinstance(path, (str, os.PathLike)) else path  # or a binary file object
    order = {lv: i for i, lv in enumerate(ALL_LEVELS)}
    zone_order = list(zone_order) if zone_order is not None else sorted(set(schedule["zone_id"]))
    zone_order += sorted(set(schedule["zone_id"]) - set(zone_order))
    rows = (schedule[["zone_id", "name_local", "name_en", "level"]].drop_duplicates()
            .assign(z=lambda d: d["zone_id"].map({z: i for i, z in enumerate(zone_order)}),
                    lv=lambda d: d["level"].map(order))
            .sort_values(["z", "lv"]).reset_index(drop=True))
    pos = {(r.zone_id, r.level): i for i, r in enumerate(rows.itertuples())}
    years = sorted(set(schedule["year"].astype(int))) or [0]
    with fonts.style():
        fig, ax = plt.subplots(figsize=(10, 1.6 + 0.32 * max(len(rows), 1)), layout="constrained")
        for r in schedule.itertuples(index=False):
            y = pos[(r.zone_id, r.level)]
            start, end = int(r.year) - 0.45, int(r.ready_year) + 0.45
            ax.barh(y, end - start, left=start, height=0.7, color=LEVEL_COLOURS.get(r.level, "#bbbbbb"),
                    edgecolor="#333333", linewidth=0.4)
            ax.text((start + end) / 2, y, f"{int(r.schools)} · {r.seats:,.0f}", ha="center", va="center",
                    fontsize=7)
        if lang is None:
            labels = [f"{r.name_local} {r.name_en} · {r.level}" for r in rows.itertuples()]
        else:
            name = "name_local" if lang == "zh" else "name_en"
            labels = [f"{getattr(r, name)} · {i18n.level_name(r.level, lang)}" for r in rows.itertuples()]
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.invert_yaxis()
        last = max([years[-1]] + [int(v) for v in schedule.get("ready_year", [])])
        ax.set_xticks(range(years[0], last + 1))
        ax.set_xlim(years[0] - 0.6, last + 0.6)
        for i in range(1, len(rows)):
            if rows.loc[i, "zone_id"] != rows.loc[i - 1, "zone_id"]:
                ax.axhline(i - 0.5, color="#999999", lw=0.6)
        ax.grid(axis="x", color="#dddddd", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel(i18n.tr("gantt_xlabel", lang or "en"), fontsize=8)
        handles = [Patch(color=c, label=i18n.level_name(lv, lang) if lang else lv) for lv, c in LEVEL_COLOURS.items()
                   if lv in set(schedule["level"])]
        fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
        ax.set_title(title, fontsize=11)
        if not len(rows):
            ax.text(0.5, 0.5, i18n.tr("gantt_empty", lang or "en"), transform=ax.transAxes, ha="center")
        fig.savefig(path, dpi=200)
        plt.close(fig)
    return path
