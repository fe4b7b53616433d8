"""A short, printable summary of a loaded data folder."""

from __future__ import annotations

import unicodedata

from capacity import LEVELS
from capacity.data.model import CityData


def summarise(city: CityData) -> dict:
    """Headline counts of a data folder.

    Returns
    -------
    dict
        ``zones`` (count), ``population`` (base-year total [persons]),
        ``population_by_zone`` (DataFrame: zone_id, name_local, name_en, persons),
        ``schools`` (DataFrame: level, schools, seats), ``candidate_sites``
        (Series: sites per level), ``demand_units`` (count), ``synthetic``
        (layers whose features are synthetic).
    """
    pop = city.base_population().rename("persons")
    zones = city.zones[["zone_id", "name_local", "name_en"]].merge(
        pop, left_on="zone_id", right_index=True, how="left")
    order = list(LEVELS) + ["special"]
    schools = (city.schools.groupby("level")
               .agg(schools=("school_id", "size"), seats=("seats", "sum"))
               .reindex(order).dropna(how="all").reset_index())
    sites = city.candidate_sites.groupby("level").size().reindex(LEVELS).fillna(0).astype(int)
    synthetic = [name for name, layer in (("demand_units", city.demand_units),
                                          ("schools", city.schools),
                                          ("candidate_sites", city.candidate_sites))
                 if (layer["provenance"] == "synthetic").any()]
    return {
        "name": str(city.meta.get("name", city.path.name)),
        "base_year": city.base_year,
        "zones": len(city.zones),
        "population": float(pop.sum()),
        "population_by_zone": zones,
        "schools": schools,
        "candidate_sites": sites,
        "demand_units": len(city.demand_units),
        "synthetic": synthetic,
    }


def _width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut and padded to ``width`` terminal columns."""
    out = ""
    for ch in text:
        if _width(out + ch) > width:
            break
        out += ch
    return out + " " * (width - _width(out))


def format_summary(summary: dict) -> str:
    """Plain-text rendering of :func:`summarise` for the terminal."""
    lines = [f"{summary['name']}: {summary['zones']} zones, "
             f"{summary['population']:,.0f} residents ({summary['base_year']}), "
             f"{summary['demand_units']:,} demand units"]
    lines.append("")
    lines.append(f"  {'zone_id':<8} {_fit('zone', 36)} {'persons':>12}")
    for row in summary["population_by_zone"].itertuples():
        label = _fit(f"{row.name_local} {row.name_en}", 36)
        lines.append(f"  {row.zone_id:<8} {label} {row.persons:>12,.0f}")
    lines.append("")
    lines.append(f"  {'level':<13} {'schools':>8} {'seats':>10} {'candidate sites':>16}")
    sites = summary["candidate_sites"]
    for row in summary["schools"].itertuples():
        n_sites = sites.get(row.level, "-")
        lines.append(f"  {row.level:<13} {row.schools:>8,.0f} {row.seats:>10,.0f} {n_sites!s:>16}")
    if summary["synthetic"]:
        lines.append("")
        lines.append("  synthetic layers (generated, not surveyed): " + ", ".join(summary["synthetic"]))
    return "\n".join(lines)
