"""The self-contained HTML report (one file: inline CSS, images as base64 data URIs).

Nothing is fetched from the network: a Content-Security-Policy in the page
allows only inline styles and ``data:`` images, so a browser shows it the
same on an air-gapped office PC. Every headline number shown comes from
``summary.json`` (including its ``targets``), so the report and the JSON
never disagree. :func:`render_report` is pure (text in, text out);
:func:`write_report` writes the file.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from capacity import LEVELS

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;
  margin:0 auto;max-width:1180px;padding:1.2em 2em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ccd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f0f2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.met{background:#d8f0d8;color:#135d13;font-weight:600}.notmet{background:#f8d7d7;color:#8a1111;font-weight:600}
.na{background:#eee;color:#555;font-weight:600}
.warn{background:#fff6d6;border-left:4px solid #e0b000;padding:.5em 1em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}.small{font-size:.85em;color:#555}
nav a{margin-right:1em}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def esc(x) -> str:
    return html.escape("" if x is None else str(x))


def fmt_number(v, unit="") -> str:
    """A number for people: shares as %, money in CNY with separators, None as —."""
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, str):
        return v
    if unit.startswith("share"):
        return f"{v:.1%}"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}"
    return f"{v:,.0f}"


def table(frame: pd.DataFrame, numeric=(), formats=None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, row):
            f = formats.get(col)
            text = f(v) if f else (fmt_number(v) if col in numeric else v)
            cls = ' class="num"' if col in numeric else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image(path: Path, alt: str, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def badge(met) -> str:
    if met is None:
        return '<td class="na">not assessable</td>'
    return '<td class="met">met</td>' if met else '<td class="notmet">not met</td>'


def targets_section(targets: list) -> str:
    rows = []
    for t in targets:
        rows.append(f"<tr><td>{esc(t['id'])}</td><td>{esc(t['target'])}</td>"
                    f"<td class=\"num\">{esc(fmt_number(t.get('value'), t.get('unit') or ''))}</td>"
                    f"{badge(t.get('met'))}<td class=\"small\">{esc(t.get('note'))}</td></tr>")
    return ("<table><thead><tr><th>#</th><th>target</th><th>value</th><th>status</th><th>how it was checked"
            "</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def headline_section(s: dict) -> str:
    by = s.get("schools_by_level", {})
    first = next(iter(next(iter(s.get("unserved_pupils", {}).values()), {})), None)
    rows = [{"level": lv, "new": v.get("new"), "expanded": v.get("expand"), "seats added": v.get("seats"),
             "plan total": v.get("target"),
             f"unserved pupils {first}": (s.get("unserved_pupils", {}).get(lv, {}) or {}).get(first),
             f"within walk standard {first}": (s.get("share_within_walk_standard", {}).get(lv, {}) or {}).get(first)}
            for lv, v in by.items()]
    walk = f"within walk standard {first}"
    frame = pd.DataFrame(rows)
    cost = s.get("cost_cny_total")
    out = [f"<p>Total construction cost <b>{fmt_number(cost)} CNY</b> "
           f"({fmt_number(cost / 1e9 if cost else None)} bn); by year: "
           + ", ".join(f"{y}: {fmt_number(v)} CNY (budget {fmt_number(s.get('budget_cny_by_year', {}).get(y))})"
                       for y, v in s.get("cost_cny_by_year", {}).items()) + ".</p>"]
    out.append(table(frame, numeric=[c for c in frame.columns if c != "level"],
                     formats={walk: lambda v: fmt_number(v, "share")}))
    return "".join(out)


def solver_section(s: dict) -> str:
    gap = s.get("gap")
    keys = [("status", s.get("status")), ("solver", s.get("solver")),
            ("objective", fmt_number(s.get("objective"))), ("best bound", fmt_number(s.get("best_bound"))),
            ("relative gap", "—" if gap is None else f"{gap:.3%}"),
            ("model build [s]", fmt_number(s.get("build_seconds"))),
            ("solve [s]", fmt_number(s.get("solve_seconds"))),
            ("variables", fmt_number(s.get("n_variables"))), ("constraints", fmt_number(s.get("n_constraints")))]
    parts = s.get("objective_parts") or {}
    keys += [(f"objective part: {k}", fmt_number(v)) for k, v in parts.items()]
    warn = ""
    if s.get("status") != "optimal":
        warn = (f'<p class="warn">The solver stopped with status <b>{esc(s.get("status"))}</b>: '
                "the plan is the best found, not proven optimal within the gap.</p>")
    return warn + table(pd.DataFrame(keys, columns=["", "value"]))


def _plain(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def assumptions_section(scenario: dict) -> str:
    out = [f"<p>{esc(scenario.get('description'))}</p>",
           f"<p class=\"small\">Scenario file {esc(scenario.get('path'))}; data folder {esc(scenario.get('data'))}"
           + (f"; extends {esc(', '.join(scenario.get('chain', [])[1:]))}" if len(scenario.get("chain", [])) > 1 else "")
           + ".</p>"]
    for section in ("plan", "demand", "projection", "objective", "solver", "standards"):
        values = scenario.get(section)
        if not values:
            continue
        rows = [(k, _plain(v)) for k, v in values.items()] if isinstance(values, dict) else [("", _plain(values))]
        out.append(f"<h3>{esc(section)}</h3>" + table(pd.DataFrame(rows, columns=["key", "value"])))
    return "".join(out)


def provenance_section(provenance: pd.DataFrame, synthetic_layers) -> str:
    warn = ""
    if synthetic_layers:
        warn = ('<p class="warn"><b>Synthetic layers:</b> ' + esc(", ".join(synthetic_layers))
                + " were made by seeded generators, not surveyed: sites and distances illustrate the "
                "method and must be replaced by real parcels and school locations before decisions.</p>")
    text = ("<p>Every figure in the data folder is <i>real</i> (stated in a published source), "
            "<i>estimated</i> (derived from real figures by a stated rule) or <i>synthetic</i> "
            "(made by a seeded generator); see the data folder's SOURCES.md.</p>")
    return text + warn + table(provenance, numeric=[c for c in provenance.columns if c not in ("table",)])


def render_report(*, summary: dict, scenario: dict, city_name: str, images: list, schedule: pd.DataFrame,
                  schedule_totals: pd.DataFrame, shortlist: pd.DataFrame, provenance: pd.DataFrame,
                  files: list) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    summary : dict
        ``summary.json`` with ``targets``.
    scenario : dict
        ``scenario.json``.
    city_name : str
    images : list of (Path, alt, caption, section)
        PNG files to embed; ``section`` is ``maps``, ``schedule`` or ``projection``.
    schedule, schedule_totals, shortlist, provenance : DataFrame
    files : list of str
        Names of the files the run folder holds.
    """
    def figs(section):
        return "".join(image(p, a, c) for p, a, c, s in images if s == section)

    name = summary.get("scenario") or scenario.get("name")
    sched = schedule[["year", "name_local", "name_en", "level", "new", "expand", "seats", "cost_cny"]]
    short_cols = ["chosen_site_id", "level", "zone_id", "alt_rank", "alt_site_id", "distance_m",
                  "delta_cost_cny", "delta_pupil_km", "pupils_beyond_reach", "score"]
    short = shortlist[short_cols] if len(shortlist) else pd.DataFrame(columns=short_cols)
    level_names = ", ".join(LEVELS)
    sections = [
        ("targets", "Against the plan's targets",
         "<p>Checked for the plan's target year (the first evaluation year).</p>"
         + targets_section(summary.get("targets", []))),
        ("headline", "Headline figures", headline_section(summary)),
        ("maps", "Maps: seat balance before and after the plan",
         f"<p>One map per level ({level_names}).</p>" + figs("maps")),
        ("schedule", "Phasing schedule",
         figs("schedule") + "<h3>Totals per level and year</h3>"
         + table(schedule_totals, numeric=["new", "expand", "schools", "seats", "cost_cny"])
         + "<h3>Per year, zone and level</h3>"
         + table(sched, numeric=["new", "expand", "seats", "cost_cny"])
         + '<p class="small">Also in schedule.csv and schedule.xlsx.</p>'),
        ("shortlist", "Site shortlist",
         "<p>For each chosen new site, up to three unused candidate sites of the same level within the "
         "level's urban maximum distance that hold the same module and are available by the opening "
         "year, ranked by the objective cost of the swap: cost_weight × Δcost [10⁶ CNY] + "
         "distance_weight × Δpupil-km for the pupils assigned to the chosen site.</p>"
         + table(short, numeric=["alt_rank", "distance_m", "delta_cost_cny", "delta_pupil_km",
                                 "pupils_beyond_reach", "score"])),
        ("projection", "Population projection", figs("projection") or "<p>No projection chart in this run folder.</p>"),
        ("solver", "Solver", solver_section(summary)),
        ("assumptions", "Assumptions of the scenario", assumptions_section(scenario)),
        ("provenance", "Where the data come from",
         provenance_section(provenance, summary.get("synthetic_layers", []))),
        ("files", "Files of this run", "<ul>" + "".join(f"<li>{esc(f)}</li>" for f in files) + "</ul>"
         + '<p class="small">Maps use Capacity Sans CJK SC, a subset of Noto Sans CJK SC '
           "(SIL Open Font License 1.1).</p>"),
    ]
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{esc(title)}</h2>{content}</section>'
                   for sid, title, content in sections)
    title = f"{city_name} — {name}: school-place plan"
    return ("<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{esc(title)}</h1><p class=\"small\">Solver status {esc(summary.get('status'))}, "
            f"gap {esc('—' if summary.get('gap') is None else format(summary['gap'], '.3%'))}.</p>"
            f"<nav>{nav}</nav>{body}</body></html>\n")


def provenance_table(city) -> pd.DataFrame:
    """Rows per data table, columns per provenance class (real, estimated, synthetic, assumption) [rows]."""
    groups = {"stated": "real", "stated-2nd": "real", "derived": "estimated", "estimate": "estimated",
              "synthetic": "synthetic", "assumption": "assumption"}
    rows = []
    for name in ("population", "age_structure", "births", "enrolment", "demand_units", "schools",
                 "candidate_sites"):
        frame = getattr(city, name, None)
        if frame is None or "provenance" not in frame.columns:
            continue
        counts = frame["provenance"].map(lambda p: groups.get(p, str(p))).value_counts()
        rows.append({"table": name, **{k: int(counts.get(k, 0)) for k in
                                       ("real", "estimated", "synthetic", "assumption")}})
    return pd.DataFrame(rows, columns=["table", "real", "estimated", "synthetic", "assumption"])


def write_report(path, text: str) -> Path:
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path
