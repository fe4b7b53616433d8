"""The report's table of unserved pupils by cause (issue 13): lag, reach, capacity.

Reads ``summary.json``'s ``unserved_by_cause`` (:func:`capacity.optimize.unserved.cause_summary`)
as a table per level and checked year with its intro sentence, in the report's language
(:func:`capacity.report.html.headline_section` shows them). A run written before the split has
no such key and gets no table.
"""

from __future__ import annotations

import pandas as pd

from capacity.report import i18n

__all__ = ["unserved_frame", "unserved_intro"]

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


def unserved_intro(summary: dict, lang: str = "en") -> str:
    """The sentence above the table (HTML, fields escaped): the causes and each level's first year
    a new seat can count."""
    from html import escape

    first = (summary.get("unserved_by_cause") or {}).get("first_ready_year") or {}
    sep = "、" if lang == "zh" else ", "
    when = sep.join(i18n.tr("h_unserved_first", lang, level=i18n.level_name(lv, lang), year=y)
                    for lv, y in first.items() if y is not None) or i18n.tr("h_unserved_none", lang)
    return i18n.tr("h_unserved_intro", lang, first=escape(when))
