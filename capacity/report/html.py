"""The self-contained HTML report, in Chinese or English (one file, nothing fetched).

Everything the page needs is inside it: the CSS, the PNG charts as ``data:``
URIs, a subset of the bundled CJK font holding exactly the page's characters
(:mod:`capacity.report.webfont`), and the interactive map with its vendored
Leaflet script (:mod:`capacity.report.webmap`). A Content-Security-Policy
allows only inline styles and scripts and ``data:`` images and fonts (plus
a tile server's origin when the scenario names one), so a browser shows the
page the same on an air-gapped office PC, and a print stylesheet lays it out
on A4 (:mod:`capacity.report.pdf` prints it with headless Chromium).

Every phrase comes from :mod:`capacity.report.i18n` and every headline
number from ``summary`` (including its ``targets``), so the report and
``summary.json`` never disagree. :func:`render_report` is pure (text in,
text out); :func:`write_report` writes the file.

The targets table lists every target of the plan (the data folder's
``plan_targets.csv``, :mod:`capacity.report.plan_targets`) with how the model treats it —
*planned* (a constraint or input of the plan), *checked* (reported against
the plan) or *out of scope* — and a target whose value rests only on an
assumption (T6 without a public/inclusive flag in the data) is shown as
"assumed, not assessed", never "met".
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from capacity import LEVELS
from capacity.report import i18n
from capacity.report.backtest import backtest_html

CSS = """
body{font-family:"Capacity Sans CJK SC","Noto Sans CJK SC","Microsoft YaHei","PingFang SC",system-ui,sans-serif;
  margin:0 auto;max-width:1180px;padding:1.2em 2em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ccd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f0f2f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.met{background:#d8f0d8;color:#135d13;font-weight:600}.notmet{background:#f8d7d7;color:#8a1111;font-weight:600}
.na{background:#eee;color:#555;font-weight:600}.assumed{background:#fff1c9;color:#6b5000;font-weight:600}
.out{color:#777}.input{background:#e3ecf8;color:#1d3f73;font-weight:600}
.met,.notmet,.na,.assumed,.out,.input,td.role,table.targets th{white-space:nowrap}
.warn{background:#fff6d6;border-left:4px solid #e0b000;padding:.5em 1em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}.small{font-size:.85em;color:#555}
nav a{margin-right:1em}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{max-width:none;padding:0;font-size:10pt}nav,.noprint{display:none}
  h2{break-after:avoid;page-break-after:avoid}section{break-before:auto}
  #maps,#schedule,#shortlist{break-before:page;page-break-before:always}
  figure,tr,img{break-inside:avoid;page-break-inside:avoid}
  figure img{max-height:245mm;width:auto;max-width:100%}
  table{font-size:8.5pt}thead{display:table-header-group}
  .met,.notmet,.na,.assumed,.input,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""
CSP = ("default-src 'none'; img-src data:{tiles}; style-src 'unsafe-inline'; font-src data:; "
       "script-src 'unsafe-inline'")



def esc(x) -> str:
    return html.escape("" if x is None else str(x))


def fmt_number(v, unit="", lang="en") -> str:
    """A number for people: shares as %, others per :func:`capacity.report.i18n.number`."""
    if isinstance(v, str):
        return v
    if unit.startswith("share"):
        return i18n.share(v, lang)
    return i18n.number(v, lang)


def table(frame: pd.DataFrame, numeric=(), formats=None, lang="en", headers=True) -> str:
    """A DataFrame as an HTML table; column names translated by :func:`capacity.report.i18n.column_name`."""
    formats = formats or {}
    head = "".join(f"<th>{esc(i18n.column_name(c, lang) if headers else c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, row):
            f = formats.get(col)
            text = f(v) if f else (fmt_number(v, lang=lang) if col in numeric else v)
            cls = ' class="num"' if col in numeric else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def image(src, alt: str, caption: str) -> str:
    """A figure with a PNG (a path or the bytes) as a ``data:`` URI."""
    raw = src if isinstance(src, (bytes, bytearray)) else Path(src).read_bytes()
    data = base64.b64encode(raw).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def target_status(t: dict | None, role: str) -> str:
    """``met``, ``not_met``, ``na``, ``assumed``, ``input`` or ``out`` for one target check (None: not checked).

    A planned target without a check (e.g. the phasing years) is an input of the plan: ``input``.
    """
    if t is None:
        return {"out_of_scope": "out", "planned": "input"}.get(role, "na")
    if t.get("basis") == "assumption" or "assumption (no " in str(t.get("note", "")):  # note: older runs
        return "assumed"
    met = t.get("met")
    return "na" if met is None else ("met" if met else "not_met")


def target_note(t: dict | None, lang: str) -> str:
    """How a check was done, in ``lang``: its ``note_parts`` through the catalogue; a run
    written before the notes had parts shows its English ``note``."""
    if not t:
        return ""
    return i18n.target_note(t["note_parts"], lang) if t.get("note_parts") else (t.get("note") or "")


BADGES = {"met": ("met", "status_met"), "not_met": ("notmet", "status_not_met"), "na": ("na", "status_na"),
          "assumed": ("assumed", "status_assumed"), "out": ("out", "status_out"),
          "input": ("input", "status_input")}


def targets_section(targets: list, lang="en", plan_targets=()) -> str:
    """Every target of ``plan_targets`` (then any other check) with role, value and status.

    ``plan_targets`` are the rows of the data folder's ``plan_targets.csv``
    (:func:`capacity.report.plan_targets.read_plan_targets`): ``id``, ``role``,
    ``name_zh``, ``name_en``.
    """
    by_id: dict = {}
    for t in targets:
        by_id.setdefault(str(t["id"]).split("-")[0], []).append(t)
    listed = [(p["id"], p["role"], {"zh": p["name_zh"], "en": p["name_en"]}) for p in plan_targets]
    known = {tid for tid, _, _ in listed}
    rows = []
    extra = [(tid, "checked", None) for tid in by_id if tid not in known]
    for tid, role, name in (*listed, *extra):
        checks = by_id.get(tid) or [None]
        for t in checks:
            status = target_status(t, role)
            cls, key = BADGES[status]
            label = (t or {}).get("target") or (name or {}).get(lang, tid)
            if t is not None and name and t["id"] == tid:  # the plan's words, then what was checked
                label = (f"{name['zh']}({t.get('target')})" if lang == "zh"
                         else f"{name['en']} ({t.get('target')})")
            value = "—" if t is None else fmt_number(t.get("value"), t.get("unit") or "", lang)
            rows.append(f"<tr><td>{esc(t['id'] if t else tid)}</td><td>{esc(label)}</td>"
                        f"<td class=\"role\">{esc(i18n.tr('role_' + role, lang))}</td><td class=\"num\">{esc(value)}</td>"
                        f"<td class=\"{cls}\">{esc(i18n.tr(key, lang))}</td>"
                        f"<td class=\"small\">{esc(target_note(t, lang))}</td></tr>")
    head = "".join(f"<th>{esc(i18n.tr(k, lang))}</th>"
                   for k in ("col_id", "col_target", "col_role", "col_value", "col_status", "col_how"))
    return f"<table class=\"targets\"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def headline_section(s: dict, lang="en") -> str:
    by = s.get("schools_by_level", {})
    first = next(iter(next(iter(s.get("unserved_pupils", {}).values()), {})), None)
    unserved, walk = i18n.tr("h_unserved", lang, year=first), i18n.tr("h_walk", lang, year=first)
    rows = [{i18n.tr("h_level", lang): i18n.level_name(lv, lang), i18n.tr("h_new", lang): v.get("new"),
             i18n.tr("h_expanded", lang): v.get("expand"), i18n.tr("h_seats", lang): v.get("seats"),
             i18n.tr("h_plan_total", lang): v.get("target"),
             unserved: (s.get("unserved_pupils", {}).get(lv, {}) or {}).get(first),
             walk: (s.get("share_within_walk_standard", {}).get(lv, {}) or {}).get(first)}
            for lv, v in by.items()]
    frame = pd.DataFrame(rows, columns=[i18n.tr(k, lang) for k in ("h_level", "h_new", "h_expanded", "h_seats",
                                                                     "h_plan_total")] + [unserved, walk])
    budgets = s.get("budget_cny_by_year", {})
    by_year = ("、" if lang == "zh" else ", ").join(
        i18n.tr("headline_year_cost", lang, year=y, cost=esc(i18n.money(v, lang)),
                budget=esc(i18n.money(budgets.get(y), lang)))
        for y, v in s.get("cost_cny_by_year", {}).items())
    out = [f"<p>{i18n.tr('headline_cost', lang, cost=esc(i18n.money(s.get('cost_cny_total'), lang)), by_year=by_year)}</p>"]
    out.append(table(frame, numeric=list(frame.columns[1:]), formats={walk: lambda v: i18n.share(v, lang)},
                     lang=lang, headers=False))
    system = s.get("system_by_level_and_year")
    if system:  # issue 13: per level and year, seats, pupils, surplus and the schools that come and go
        keys = ("seats", "pupils", "surplus", "new", "expanded", "closed", "converted")
        rows = [{i18n.tr("h_level", lang): i18n.level_name(lv, lang), i18n.tr("h_year", lang): int(y),
                 **{i18n.tr(f"h_sys_{k}", lang): v.get(k) for k in keys}}
                for lv, years in system.items() for y, v in years.items()]
        frame = pd.DataFrame(rows)
        out.append(f"<p>{i18n.tr('h_system_intro', lang)}</p>")
        out.append(table(frame, numeric=list(frame.columns[2:]), lang=lang, headers=False))
    from capacity.report.unserved import unserved_frame, unserved_intro

    causes = unserved_frame(s, lang)  # issue 13: unserved pupils by cause (lag, reach, capacity)
    if not causes.empty:
        out.append(f"<p>{unserved_intro(s, lang)}</p>")
        out.append(table(causes, numeric=list(causes.columns[2:]), lang=lang, headers=False))
    return "".join(out)


def solver_section(s: dict, lang="en") -> str:
    gap = s.get("gap")
    keys = [("sv_status", i18n.status_name(s.get("status"), lang)), ("sv_solver", s.get("solver")),
            ("sv_objective", fmt_number(s.get("objective"), lang=lang)),
            ("sv_bound", fmt_number(s.get("best_bound"), lang=lang)),
            ("sv_gap", "—" if gap is None else f"{gap:.3%}"),
            ("sv_build", fmt_number(s.get("build_seconds"), lang=lang)),
            ("sv_solve", fmt_number(s.get("solve_seconds"), lang=lang)),
            ("sv_variables", fmt_number(s.get("n_variables"), lang=lang)),
            ("sv_constraints", fmt_number(s.get("n_constraints"), lang=lang))]
    rows = [(i18n.tr(k, lang), v) for k, v in keys]
    rows += [(i18n.tr("sv_part", lang, part=k), fmt_number(v, lang=lang))
             for k, v in (s.get("objective_parts") or {}).items()]
    warn = ""
    if s.get("status") != "optimal":
        warn = f'<p class="warn">{i18n.tr("sv_warn", lang, status=esc(s.get("status")))}</p>'
    return warn + table(pd.DataFrame(rows, columns=["key", "value"]), lang=lang)


def _plain(v) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def assumptions_section(scenario: dict, lang="en") -> str:
    chain = scenario.get("chain", [])
    extends = i18n.tr("extends", lang, chain=esc(", ".join(chain[1:]))) if len(chain) > 1 else ""
    out = [f"<p>{esc(scenario.get('description'))}</p>",
           '<p class="small">' + i18n.tr("scenario_file", lang, path=esc(scenario.get("path")),
                                         data=esc(scenario.get("data")), extends=extends) + "</p>"]
    for section in ("plan", "demand", "projection", "objective", "solver", "standards", "outputs"):
        values = scenario.get(section)
        if not values:
            continue
        rows = [(k, _plain(v)) for k, v in values.items()] if isinstance(values, dict) else [("", _plain(values))]
        name = i18n.section_name(section, lang)
        out.append(f"<h3>{esc(name if name == section else f'{name} [{section}]')}</h3>" + table(pd.DataFrame(rows, columns=["key", "value"]), lang=lang))
    return "".join(out)


def provenance_section(provenance: pd.DataFrame, synthetic_layers, lang="en") -> str:
    warn = ""
    if synthetic_layers:
        warn = f'<p class="warn">{i18n.tr("prov_synthetic", lang, layers=esc(", ".join(synthetic_layers)))}</p>'
    return (f"<p>{i18n.tr('prov_intro', lang)}</p>" + warn
            + table(provenance, numeric=[c for c in provenance.columns if c != "table"], lang=lang))


def _images(images, section):
    return "".join(image(p, a, c) for p, a, c, s in images if s == section)


def render_report(*, summary: dict, scenario: dict, city_name: str, images: list, schedule: pd.DataFrame,
                  schedule_totals: pd.DataFrame, shortlist: pd.DataFrame, provenance: pd.DataFrame,
                  files: list, lang: str = "en", map_data: dict | None = None, embed_font: bool = True,
                  plan_targets=()) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    summary : dict
        ``summary.json`` with ``targets``.
    scenario : dict
        ``scenario.json``.
    city_name : str
    images : list of (Path or bytes, alt, caption, section)
        PNG images to embed; ``section`` is ``maps``, ``schedule`` or ``projection``.
    schedule, schedule_totals, shortlist, provenance : DataFrame
    files : list of str
        Names of the files the run folder holds.
    lang : {"zh", "en"}
        The language of the page (:mod:`capacity.report.i18n`).
    map_data : dict, optional
        From :func:`capacity.report.webmap.map_data`: adds the interactive map.
    embed_font : bool
        Embed the subset of the bundled CJK font (default; off only to test the fallback).
    plan_targets : sequence of dict
        Every target of the plan (``plan_targets.csv`` of the data folder), listed in the
        targets table whether the model checks it or not.
    """
    from capacity.report import webfont, webmap

    i18n.check_language(lang)
    name = summary.get("scenario") or scenario.get("name")
    sched = schedule[["year", "name_local", "name_en", "level", "new", "expand", "seats", "cost_cny"]].copy()
    sched["level"] = sched["level"].map(lambda lv: i18n.level_name(lv, lang))
    totals = schedule_totals.copy()
    if "level" in totals:
        totals["level"] = totals["level"].map(lambda lv: i18n.level_name(lv, lang))
    short_cols = ["chosen_site_id", "level", "zone_id", "alt_rank", "alt_site_id", "distance_m",
                  "delta_cost_cny", "delta_pupil_km", "pupils_beyond_reach", "score"]
    short = shortlist[short_cols] if len(shortlist) else pd.DataFrame(columns=short_cols)
    level_names = ("、" if lang == "zh" else ", ").join(i18n.level_name(lv, lang) for lv in LEVELS)
    sections = [
        ("targets", i18n.tr("sec_targets", lang),
         f"<p>{i18n.tr('targets_intro', lang)}</p>" + targets_section(summary.get("targets", []), lang, plan_targets)),
        ("headline", i18n.tr("sec_headline", lang), headline_section(summary, lang)),
    ]
    if map_data is not None:
        sections.append(("webmap", i18n.tr("sec_webmap", lang),
                         f"<p class=\"small\">{i18n.tr('webmap_intro', lang)}</p>" + webmap.map_html(map_data)))
    sections += [
        ("maps", i18n.tr("sec_maps", lang),
         f"<p>{i18n.tr('maps_intro', lang, levels=level_names)}</p>" + _images(images, "maps")),
        ("schedule", i18n.tr("sec_schedule", lang),
         _images(images, "schedule") + f"<h3>{i18n.tr('sched_totals', lang)}</h3>"
         + table(totals, numeric=["new", "expand", "schools", "seats", "cost_cny"], lang=lang)
         + f"<h3>{i18n.tr('sched_rows', lang)}</h3>"
         + table(sched, numeric=["new", "expand", "seats", "cost_cny"], lang=lang)
         + f'<p class="small">{i18n.tr("sched_also", lang)}</p>'),
        ("shortlist", i18n.tr("sec_shortlist", lang),
         f"<p>{i18n.tr('shortlist_intro', lang)}</p>"
         + table(short, numeric=["alt_rank", "distance_m", "delta_cost_cny", "delta_pupil_km",
                                 "pupils_beyond_reach", "score"], lang=lang)),
        ("projection", i18n.tr("sec_projection", lang),
         (_images(images, "projection") or f"<p>{i18n.tr('no_projection', lang)}</p>")
         + backtest_html(summary.get("projection_backtest"), lang)),
        ("solver", i18n.tr("sec_solver", lang), solver_section(summary, lang)),
        ("assumptions", i18n.tr("sec_assumptions", lang), assumptions_section(scenario, lang)),
        ("provenance", i18n.tr("sec_provenance", lang),
         provenance_section(provenance, summary.get("synthetic_layers", []), lang)),
        ("files", i18n.tr("sec_files", lang), "<ul>" + "".join(f"<li>{esc(f)}</li>" for f in files) + "</ul>"
         + f'<p class="small">{i18n.tr("font_note", lang)}</p>'),
    ]
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{esc(title)}</h2>{content}</section>'
                   for sid, title, content in sections)
    title = i18n.tr("title", lang, city=city_name, scenario=name)
    gap = "—" if summary.get("gap") is None else format(summary["gap"], ".3%")
    status_line = i18n.tr("status_line", lang, status=i18n.status_name(summary.get("status"), lang), gap=gap)
    if summary.get("gap_without_constant") is not None:
        status_line += i18n.tr("gap_constant", lang, absolute=f"{summary['gap_absolute']:,.1f}",
                               rest=format(summary["gap_without_constant"], ".2%"))
    page = (f"<h1>{esc(title)}</h1><p class=\"small\">"
            f"{esc(status_line)}</p>"
            f"<p class=\"small noprint\">{esc(i18n.tr('print_hint', lang))}</p><nav>{nav}</nav>{body}")
    font = ""
    if embed_font:
        shown = webmap.data_json(map_data) if map_data is not None else ""
        font = webfont.font_face_css(webfont.page_characters(title, page, shown))
    tiles = webmap.csp_sources(((map_data or {}).get("tiles") or {}).get("url"))
    return ("<!DOCTYPE html>\n"
            f"<html lang=\"{i18n.HTML_LANG[lang]}\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP.format(tiles=tiles)}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{font}{CSS}</style></head><body>{page}</body></html>\n")


PROVENANCE_GROUPS = {"stated": "real", "stated-2nd": "real", "real": "real", "derived": "estimated",
                     "estimate": "estimated", "estimated": "estimated", "synthetic": "synthetic",
                     "assumption": "assumption", "uncertain": "uncertain"}
PROVENANCE_COLUMNS = ("real", "estimated", "synthetic", "assumption", "uncertain")


def provenance_table(city) -> pd.DataFrame:
    """Rows per data table (and per extra provenance column), columns per provenance label [rows].

    Labels ``stated``/``stated-2nd`` count as *real*, ``derived``/``estimate`` as *estimated*;
    ``synthetic``, ``assumption`` and ``uncertain`` as themselves; any other label gets its own
    column, so no row of the data goes uncounted.
    """
    rows, others = [], []
    for name in ("population", "age_structure", "births", "enrolment", "demand_units", "schools",
                 "candidate_sites"):
        frame = getattr(city, name, None)
        if frame is None:
            continue
        for col in [c for c in frame.columns if c == "provenance" or c.endswith("_provenance")]:
            counts = frame[col].fillna("missing").map(lambda p: PROVENANCE_GROUPS.get(p, str(p))).value_counts()
            others += [k for k in counts.index if k not in PROVENANCE_COLUMNS and k not in others]
            label = name if col == "provenance" else f"{name} ({col})"
            rows.append({"table": label, **{k: int(v) for k, v in counts.items()}})
    cols = ["table", *PROVENANCE_COLUMNS, *others]
    return pd.DataFrame(rows, columns=cols).fillna(0).astype({c: int for c in cols[1:]})


def write_report(path, text: str) -> Path:
    """Write the page (UTF-8) whole: a temporary file renamed into place."""
    import os

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
