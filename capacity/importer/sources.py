"""The generated ``SOURCES.md`` of an imported data folder: every input file, its hash, its rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from capacity.importer.read import file_parts, sha256

RULES = {
    ("schools", "classes"): "estimate: ceil(seats / class_size of the level), standards.toml",
    ("schools", "seats"): "estimate: classes × class_size of the level, standards.toml",
    ("schools", "land_m2"): "estimate: seats × land_m2_per_pupil of the level, standards.toml "
                            "(derived: the polygon's area where the school is a polygon)",
    ("candidate_sites", "land_m2"): "derived: area of the parcel polygon in the metric CRS",
    ("candidate_sites", "available_from"): "assumption: the base year (no column given)",
    ("candidate_sites", "cost_factor"): "assumption: 1.0 (no column given)",
    ("demand_units", "urban"): "estimate: population / cell area ≥ urban_density_per_km2 "
                               "(default 1,500 persons/km², Degree of Urbanisation urban-centre threshold)",
    ("zones", "kind"): "assumption: county unless given",
    ("zones", "name_en"): "assumption: the local name unless given",
    ("zones", "name_local"): "assumption: the zone id unless given",
    ("zones", "geometry_note"): "assumption: \"imported from <file>\" unless given",
}


@dataclass(frozen=True)
class SourceRecord:
    """One input file as recorded in ``SOURCES.md``."""

    role: str
    file: str
    part: str | None
    target: str
    rows: int
    sha256: str
    parts: tuple
    columns: dict
    derived: dict
    note: str | None = None
    extra: str | None = None
    crs: str | None = None

    @classmethod
    def of(cls, role, path: Path, part, target, rows, columns, derived, note=None, extra=None, crs=None):
        parts = tuple((p.name, sha256(p)) for p in file_parts(Path(path)))
        return cls(role=role, file=Path(path).name, part=part, target=target, rows=int(rows),
                   sha256=parts[0][1], parts=parts, columns=columns, derived=derived, note=note,
                   extra=extra, crs=crs)


def sources_markdown(spec, records, today: str) -> str:
    """The text of ``SOURCES.md``."""
    name = spec.city.get("name", "")
    out = [f"# Sources of the data folder {name}", "",
           f"Written by `capacity import {spec.path.name}` on {today} (UTC). Every row read from a bureau "
           "file has `provenance = imported`; a column that the file did not give is marked in a "
           "`<column>_provenance` column (`derived`, `estimate` or `assumption`) by the rule below. "
           "The contract is in data/README.md.", "",
           "| role | file | sheet / layer | written to | rows | SHA-256 |",
           "|---|---|---|---|---|---|"]
    for r in records:
        rows = "–" if r.target.endswith(".toml") else r.rows
        out.append(f"| {r.role} | `{r.file}` | {r.part or '–'} | `{r.target}` | {rows} | `{r.sha256}` |")
    out.append("")
    for r in records:
        out += [f"## {r.role}: `{r.file}`", "",
                f"- date of import: {today}",
                f"- sheet / layer: {r.part or '–'}" + (f"; coordinates: {r.crs}" if r.crs else ""),
                "- files: " + ", ".join(f"`{n}` (SHA-256 `{h}`)" for n, h in r.parts)]
        if r.columns:
            out.append("- columns: " + ", ".join(f"`{k}` ← `{v}`" for k, v in r.columns.items()))
        for col, label in r.derived.items():
            out.append(f"- `{col}` ({label}): " + RULES.get((r.role, col), f"{label} (spec `values`)"))
        if r.extra:
            out.append(f"- {r.extra}")
        if r.note:
            out.append(f"- note: {r.note}")
        out.append("")
    return "\n".join(out)
