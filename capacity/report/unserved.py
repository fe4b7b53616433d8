"""The report's table of unserved pupils by cause (issue 13): lag, reach, capacity.

Reads ``summary.json``'s ``unserved_by_cause`` (:func:`capacity.optimize.unserved.cause_summary`)
and writes one HTML table per run, per level and checked year, in the report's language. A run
written before the split has no such key and gets no table.
"""

from __future__ import annotations

import pandas as pd

from capacity.report import i18n

__all__ = ["unserved_frame", "unserved_section"]

CAUSE_KEYS = ("lag", "reach", "capacity")


def unserved_frame(summary: dict, lang: str = "en") -> pd.DataFrame:
    """Per level and year: unserved pupils and their split by cause, headers in ``lang`` [pupils].

    Returns an empty frame when the summary has no ``unserved_by_cause``.
    """
    split = (summary.get("unserved_by_cause") or {}).get("by_level_and_year") or {}
    cols = [i18n.tr("h_level", lang), i18n.tr("h_year", lang), i18n.tr("h_cause_total", lang)] + [
        i18n.tr(f"h_cause_{c}", lang) for c in CAUSE_KEYS]
    rows = []
    for level, years in split.items():
        for year, parts in years.items():
            values = [float(parts.get(c, 0.0)) for c in CAUSE_KEYS]
            rows.append([i18n.level_name(level, lang), int(year), round(sum(values))] + [round(v) for v in values])
    return pd.DataFrame(rows, columns=cols)


def unserved_section(summary: dict, lang: str = "en") -> str:
    """The intro sentence and the table (HTML); ``""`` when the run has no split."""
    from capacity.report.html import esc, table

    frame = unserved_frame(summary, lang)
    if frame.empty:
        return ""
    first = (summary.get("unserved_by_cause") or {}).get("first_ready_year") or {}
    sep = "、" if lang == "zh" else ", "
    when = sep.join(i18n.tr("h_unserved_first", lang, level=i18n.level_name(lv, lang), year=y)
                    for lv, y in first.items() if y is not None) or i18n.tr("h_unserved_none", lang)
    intro = i18n.tr("h_unserved_intro", lang, first=esc(when))
    return f"<p>{intro}</p>" + table(frame, numeric=list(frame.columns[2:]), lang=lang, headers=False)
