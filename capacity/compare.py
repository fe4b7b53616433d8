"""Compare runs: headline figures side by side, and which sites differ.

The first run is the reference. For every other run, each school of either
plan is classed as ``same``, ``dropped`` (in the reference, not in the
other), ``added``, ``delayed`` or ``advanced`` (opening later / earlier),
or ``resized`` (same site and year, another size).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capacity import ALL_LEVELS

HEADLINES = (
    ("status", "status", None),
    ("gap", "gap", "{:.2%}"),
    ("cost_cny_total", "cost (bn CNY)", "bn"),
)


def read_run(folder: Path) -> dict:
    """A run folder's name, summary and plan (:func:`capacity.io.read_run`); a :class:`DataError` if it is not one."""
    from capacity.io import read_run as read

    run = read(folder)
    return {"name": run.name, "folder": Path(folder), "summary": run.summary, "plan": run.plan,
            "scenario": run.scenario}


def headline_table(runs: list[dict]) -> pd.DataFrame:
    """One row per headline figure, one column per run."""
    rows = {}
    for run in runs:
        s = run["summary"]
        col = {"status": s.get("status"), "gap": s.get("gap"),
               "cost (bn CNY)": (s.get("cost_cny_total") or 0.0) / 1e9}
        levels = [lv for lv in ALL_LEVELS if lv in s.get("schools_by_level", {})]
        for level in levels:
            t = s.get("schools_by_level", {}).get(level, {})
            col[f"{level}: new"] = t.get("new")
            col[f"{level}: expanded"] = t.get("expand")
            col[f"{level}: closed"] = t.get("close", 0)
            col[f"{level}: converted"] = t.get("convert", 0)
            col[f"{level}: converted in"] = (s.get("conversions") or {}).get("by_level", {}).get(
                level, {}).get("converted_in", 0)  # schools of the level made from another level's (issue 13)
            col[f"{level}: new seats"] = t.get("seats")
        col["nursery places credited"] = (s.get("conversions") or {}).get("nursery", {}).get("credited_places", 0.0)
        first_year = min(next(iter(s.get("unserved_pupils", {"": {"0": 0}}).values())), key=int)
        for level in levels:
            col[f"{level}: unserved {first_year}"] = s.get("unserved_pupils", {}).get(level, {}).get(first_year)
        for level in levels:
            share = s.get("share_within_walk_standard", {}).get(level, {}).get(first_year)
            col[f"{level}: within walk standard {first_year}"] = share
        rows[run["name"]] = col
    return pd.DataFrame(rows)


def site_changes(reference: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """How each school of two plans differs: ``site_id, level, zone_id, action, change,
    open_year_ref, open_year_other, size_ref, size_other, x, y``."""
    key = ["site_id", "level", "action"]
    cols = key + ["zone_id", "open_year", "size_classes", "x", "y"]
    m = reference[cols].merge(other[cols], on=key, how="outer", suffixes=("_ref", "_other"), indicator=True)
    change = pd.Series("same", index=m.index)
    change[m["_merge"] == "left_only"] = "dropped"
    change[m["_merge"] == "right_only"] = "added"
    both = m["_merge"] == "both"
    change[both & (m["open_year_other"] > m["open_year_ref"])] = "delayed"
    change[both & (m["open_year_other"] < m["open_year_ref"])] = "advanced"
    change[both & (m["open_year_other"] == m["open_year_ref"])
           & (m["size_classes_other"] != m["size_classes_ref"])] = "resized"
    return pd.DataFrame({
        "site_id": m["site_id"], "level": m["level"], "zone_id": m["zone_id_ref"].fillna(m["zone_id_other"]),
        "action": m["action"], "change": change,
        "open_year_ref": m["open_year_ref"], "open_year_other": m["open_year_other"],
        "size_ref": m["size_classes_ref"], "size_other": m["size_classes_other"],
        "x": m["x_ref"].fillna(m["x_other"]), "y": m["y_ref"].fillna(m["y_other"])})


def _format_table(table: pd.DataFrame) -> str:
    def fmt(v, row):
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return "-"
        if isinstance(v, float):
            if "within" in row or row == "gap":
                return f"{v:.1%}"
            return f"{v:,.2f}" if row.startswith("cost") else f"{v:,.0f}"
        return str(v)
    width = max(len(str(i)) for i in table.index) + 2
    cols = [max(12, len(str(c)) + 2) for c in table.columns]
    lines = [" " * width + "".join(f"{c:>{w}}" for c, w in zip(table.columns, cols))]
    for row, values in table.iterrows():
        lines.append(f"{row:<{width}}" + "".join(f"{fmt(v, row):>{w}}" for v, w in zip(values, cols)))
    return "\n".join(lines)


def compare_runs(folders, out: Path) -> str:
    """Compare run folders; write ``headlines.csv``, ``site_changes.csv``, a chart and a map.

    Returns
    -------
    str
        The text shown in the terminal: the headline table and, per other
        run, the count of dropped / added / delayed / advanced / resized sites.
    """
    from capacity.compare_plots import change_map, headline_chart

    runs = [read_run(f) for f in folders]
    table = headline_table(runs)
    table.to_csv(out / "headlines.csv", index_label="figure")
    text = [_format_table(table), ""]
    changes = []
    for other in runs[1:]:
        ch = site_changes(runs[0]["plan"], other["plan"]).assign(reference=runs[0]["name"], run=other["name"])
        changes.append(ch)
        counts = ch["change"].value_counts()
        text.append(f"{other['name']} vs {runs[0]['name']}: "
                    + ", ".join(f"{counts.get(k, 0)} {k}" for k in
                                ("dropped", "added", "delayed", "advanced", "resized", "same")))
        moved = ch[ch["change"].isin(["dropped", "delayed", "added", "advanced", "resized"])]
        for row in moved.head(15).itertuples():
            years = f"{row.open_year_ref:.0f}" if pd.notna(row.open_year_ref) else "-"
            years += f" → {row.open_year_other:.0f}" if pd.notna(row.open_year_other) else " → -"
            text.append(f"  {row.change:<9} {row.level:<13} {row.site_id:<16} zone {row.zone_id:<8} {years}")
        if len(moved) > 15:
            text.append(f"  … {len(moved) - 15} more in site_changes.csv")
    all_changes = pd.concat(changes, ignore_index=True)
    all_changes.to_csv(out / "site_changes.csv", index=False)
    headline_chart(runs, out / "headlines.png")
    data = runs[0]["summary"]
    crs = data.get("metric_crs")
    change_map(all_changes, runs, out / "site_changes.png", crs)
    return "\n".join(text)
