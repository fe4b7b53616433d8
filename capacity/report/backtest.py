"""How good is the projection? The rolling-origin back-test next to it in the report (pure).

:func:`projection_backtest` makes the back-test of the projection a run used
(:mod:`capacity.demography.backtest`: for each origin year before the
projection's base year, the projection made again from the data up to that
year only, with the scenario's method, and compared with every figure
reported later) and returns it JSON-ready; :func:`capacity.report.report`
stores it in the run's summary under ``projection_backtest``, so
``summary.json`` and ``report.html`` show the same figures.
:func:`backtest_frame` lays it out for a reader and :func:`backtest_html` is
the report's "How good is the projection?" sub-section; every phrase comes
from :mod:`capacity.report.i18n`.

The figures are those of
:func:`~capacity.demography.backtest.backtest_summary_for` (the same origins:
the three years before the base year that the population data reach; the
same :func:`~capacity.demography.backtest.summary_table`), kept together with
the zones each origin left out.

``projection_backtest`` of a summary::

    {"status": "ok" | "no_history" | "failed", "base_year": 2023, "origins": [2020, 2021, 2022],
     "draws": 500, "band": "...", "error": "projected / reported - 1",
     "rows": [{"origin", "measure", "n", "mae", "mean_error", "coverage", "mean_band_width"}, ...],
     "setup": {"2020": {"base_year", "zones_projected", "coverage",
                        "left_out": [{"zone_id", "name_local", "name_en", "reason"}]}},
     "note": "why there are no rows (status other than ok)"}

``measure`` is ``population`` (year-end residents per zone), ``city_population``
(the city total) or ``births`` (city births); ``mae``, ``mean_error``,
``coverage`` and ``mean_band_width`` are shares (``mean_band_width``: the
band's half-width over the projection, i.e. ± share).
"""

from __future__ import annotations

import html

import pandas as pd

from capacity.report import i18n

MEASURES = ("population", "city_population", "births")
"""Measures in the order the table shows them."""

COLUMNS = ("origin", "measure", "n", "mae", "mean_error", "coverage", "mean_band_width", "left_out")
"""Columns of :func:`backtest_frame` (before translation)."""

DRAWS = 500
"""Stochastic draws per origin for the 80 % band (as ``capacity backtest``)."""


def projection_backtest(city, params, origins=None, draws: int = DRAWS) -> dict:
    """The back-test of a projection, JSON-ready (see the module docstring).

    Parameters
    ----------
    city : CityData
        The run's city (population, age structures, births, enrolment, city totals).
    params : ProjectionParams
        The projection's parameters; origins are before its ``base_year``.
    origins : sequence of int, optional
        Default: the three years before ``params.base_year`` that the population data reach.
    draws : int
        Stochastic draws per origin for the 80 % band.

    Returns
    -------
    dict
        ``status`` ``ok`` with ``rows``; ``no_history`` when no origin before the
        base year has a population figure; ``failed`` with the reason when the
        data cannot be back-tested (e.g. nothing reported after the origins).
    """
    from capacity.demography.backtest import BAND, BacktestTables, run_backtest, summary_table
    from capacity.errors import DataError

    base = int(params.base_year)
    tables = BacktestTables.from_city(city)
    if origins is None:
        origins = [base - k for k in (3, 2, 1)]
    first = int(tables.population["year"].min()) if len(tables.population) else base
    origins = sorted(int(o) for o in origins if first <= int(o) < base)
    out = {"status": "ok", "base_year": base, "origins": origins, "draws": int(draws),
           "band": f"{BAND[0]:g}–{BAND[1]:g} quantiles of the draws (80 %)",
           "error": "projected / reported - 1", "rows": [], "setup": {}, "note": None}
    if not origins:
        return {**out, "status": "no_history",
                "note": f"no population figure before the base year {base} (first year {first})"}
    try:
        result = run_backtest(tables, params, origins, draws=draws)
    except DataError as err:
        return {**out, "status": "failed", "note": str(err)}
    rows = summary_table(result, base)
    names = city.zones.set_index(city.zones["zone_id"].astype(str))
    setup = {}
    for origin, o in result.summary["origins"].items():
        left = [{"zone_id": z["zone_id"], "name_local": _zone_name(names, z["zone_id"], "name_local"),
                 "name_en": _zone_name(names, z["zone_id"], "name_en"), "reason": z["reason"]}
                for z in o["left_out"]]
        setup[origin] = {"base_year": o["base_year"], "zones_projected": o["zones_projected"],
                         "coverage": o["coverage"], "left_out": left}
    return {**out, "rows": [_plain_row(r) for r in rows.to_dict("records")], "setup": setup}


def _zone_name(names, zone_id, column):
    if zone_id in names.index and column in names.columns:
        return str(names.at[zone_id, column])
    return str(zone_id)


def _plain_row(row: dict) -> dict:
    """A summary row with plain ints and floats (None for a missing value)."""
    out = {"origin": int(row["origin"]), "measure": str(row["measure"]), "n": int(row["n"])}
    for k in ("mae", "mean_error", "coverage", "mean_band_width"):
        v = row.get(k)
        out[k] = None if v is None or pd.isna(v) else float(v)
    return out


def signed_share(v, lang: str) -> str:
    """A signed share with one decimal (``+1.2%``, ``−0.4%``); ``None`` as ``—``."""
    if v is None or pd.isna(v):
        return "—"
    text = i18n.share(abs(v), lang)
    return ("+" if v > 0 else "−" if v < 0 else "±") + text


def backtest_frame(bt: dict, lang: str = "en") -> pd.DataFrame:
    """The back-test as a table for a reader: one row per origin and measure, formatted.

    Parameters
    ----------
    bt : dict
        ``projection_backtest`` of a summary (:func:`projection_backtest`).
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame
        :data:`COLUMNS` (untranslated names), every cell a string: shares as
        percentages, the mean error signed, the band width as ``±``; the
        zones an origin left out on its first row.
    """
    i18n.check_language(lang)
    order = {m: i for i, m in enumerate(MEASURES)}
    rows = sorted(bt.get("rows") or [], key=lambda r: (r["origin"], order.get(r["measure"], len(order))))
    sep = "、" if lang == "zh" else ", "
    out, seen = [], set()
    for r in rows:
        origin = str(r["origin"])
        left = ((bt.get("setup") or {}).get(origin) or {}).get("left_out") or []
        names = sep.join(z.get("name_local" if lang == "zh" else "name_en") or z["zone_id"] for z in left)
        first = origin not in seen
        seen.add(origin)
        key = f"bt_measure_{r['measure']}"
        out.append({"origin": origin, "measure": i18n.tr(key, lang) if key in i18n.PHRASES else r["measure"],
                    "n": str(int(r["n"])), "mae": i18n.share(r.get("mae"), lang),
                    "mean_error": signed_share(r.get("mean_error"), lang),
                    "coverage": i18n.share(r.get("coverage"), lang),
                    "mean_band_width": "—" if r.get("mean_band_width") is None
                    else "±" + i18n.share(r["mean_band_width"], lang),
                    "left_out": (names or i18n.tr("bt_none_left_out", lang)) if first else ""})
    return pd.DataFrame(out, columns=list(COLUMNS))


def backtest_html(bt: dict | None, lang: str = "en") -> str:
    """The report's "How good is the projection?" sub-section.

    A heading, a sentence on what the figures mean and the table; one line
    instead when the run has no back-test (``bt`` None: a run made before the
    report held it) or the data lack the history it needs.
    """
    head = f"<h3>{html.escape(i18n.tr('bt_heading', lang))}</h3>"
    if not bt:
        return head + f'<p class="small">{i18n.tr("bt_not_computed", lang)}</p>'
    if bt.get("status") == "no_history" or (bt.get("status") == "ok" and not bt.get("rows")):
        return head + f'<p class="small">{i18n.tr("bt_no_history", lang, year=int(bt["base_year"]))}</p>'
    if bt.get("status") != "ok":
        return head + (f'<p class="small">'
                       f'{i18n.tr("bt_failed", lang, reason=html.escape(str(bt.get("note"))))}</p>')
    frame = backtest_frame(bt, lang)
    cells = "".join(f"<th>{html.escape(i18n.tr('bt_col_' + c, lang))}</th>" for c in frame.columns)
    num = ' class="num"'
    body = "".join("<tr>" + "".join(
        f'<td{"" if c in ("measure", "left_out") else num}>{html.escape(str(v))}</td>'
        for c, v in zip(frame.columns, row)) + "</tr>" for row in frame.itertuples(index=False))
    origins = ("、" if lang == "zh" else ", ").join(str(o) for o in bt.get("origins") or [])
    intro = i18n.tr("bt_intro", lang, origins=origins, year=int(bt["base_year"]))
    return (head + f"<p>{intro}</p><p class=\"small\">{i18n.tr('bt_how_to_read', lang)}</p>"
            f'<table class="backtest"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>')
