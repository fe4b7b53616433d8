"""Writing the phasing schedule as CSV and Excel (openpyxl).

``schedule.csv`` is UTF-8 with a byte-order mark, so Excel on Windows shows
the Chinese zone names (plain UTF-8 opens as mojibake there); every other
reader (pandas, QGIS, LibreOffice) ignores the mark. ``schedule.xlsx`` has a
``summary`` sheet (totals per level and year) and one sheet per level.
Sheet names and the cells stay machine-readable (level codes); the column
headers and the note above each table are in the report's language
(:mod:`capacity.report.i18n`), or bilingual when no language is given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capacity import ALL_LEVELS
from capacity.report import i18n
from capacity.report.schedule import schedule_totals

HEADERS = {
    "year": "Year 年份", "zone_id": "Zone ID 区划代码", "name_local": "Zone 区县",
    "name_en": "Zone (English)", "level": "Level 学段", "new": "New schools 新建",
    "expand": "Expanded schools 扩建", "schools": "Schools 学校数", "seats": "Seats 学位",
    "cost_cny": "Cost (CNY) 投资(元)", "ready_year": "Seats ready 投用年份",
    "close": "Closed schools 撤并", "convert": "Converted schools 转为他用",
}
"""Headers when no language is given: English and Chinese side by side."""
NUMBER_FORMATS = {"seats": "#,##0", "cost_cny": "#,##0"}


def headers(lang=None) -> dict:
    """Column headers for ``lang`` (``zh``/``en``), or the bilingual :data:`HEADERS` for None."""
    if lang is None:
        return HEADERS
    return {c: i18n.column_name(c, lang) for c in {*HEADERS, *i18n.COLUMN_NAMES}}


def write_schedule_csv(schedule: pd.DataFrame, path) -> Path:
    path = Path(path)
    schedule.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _sheet(wb, title: str, frame: pd.DataFrame, note: str, names: dict):
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([note])
    ws["A1"].font = Font(italic=True)
    ws.append([names.get(c, c) for c in frame.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in frame.itertuples(index=False):
        ws.append([v.item() if hasattr(v, "item") else v for v in row])
    for j, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(j)
        fmt = NUMBER_FORMATS.get(col)
        if fmt:
            for cell in ws[letter][2:]:
                cell.number_format = fmt
        width = max([len(str(names.get(col, col))) * 0.9]
                    + [len(str(v)) * (2 if any(ord(c) > 0x2E80 for c in str(v)) else 1) for v in frame[col]])
        ws.column_dimensions[letter].width = min(max(10, width + 2), 40)
    ws.freeze_panes = "A3"
    return ws


def write_schedule_xlsx(schedule: pd.DataFrame, path, title: str = "", lang: str | None = None) -> Path:
    """Write ``schedule.xlsx``: a ``summary`` sheet then one sheet per level.

    Parameters
    ----------
    schedule : DataFrame
        From :func:`capacity.report.schedule.schedule_table`.
    path : str or Path
    title : str
        A line shown above each sheet's table (e.g. the scenario name).
    lang : {"zh", "en"}, optional
        Language of the headers and notes (default: English and Chinese headers).
    """
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    names = headers(lang)
    what = i18n.tr("xlsx_summary", lang or "en")
    _sheet(wb, "summary", schedule_totals(schedule), f"{title} — {what}".strip(" —"), names)
    levels = [lv for lv in ALL_LEVELS if lv in set(schedule["level"])] or list(ALL_LEVELS)
    levels += [lv for lv in sorted(set(schedule["level"])) if lv not in levels]
    for level in levels:
        part = schedule[schedule["level"] == level].drop(columns="level")
        what = i18n.tr("xlsx_level", lang or "en", level=i18n.level_name(level, lang) if lang else level)
        _sheet(wb, level, part, f"{title} — {what}".strip(" —"), names)
    wb.save(path)
    return path
