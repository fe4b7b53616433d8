"""Checks of a data folder's tables against their :mod:`~capacity.data.schema`.

Every check raises :class:`~capacity.errors.DataError` naming the file, the
column, the offending rows (CSV line numbers or 1-based feature numbers) and
what was expected. The checks are pure: they never modify a table; the
coercions return new frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity.data.schema import BOOL, FLOAT, INT, STR, TableSpec
from capacity.errors import DataError

_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


def _where(spec: TableSpec, mask) -> tuple[list[int], str]:
    """Human row numbers of ``mask``: CSV lines (header is line 1) or features."""
    idx = np.flatnonzero(np.asarray(mask))
    if spec.layer is None:
        return [int(i) + 2 for i in idx], "line"
    return [int(i) + 1 for i in idx], "feature"


def _fail(spec, message, column=None, mask=None):
    rows, label = _where(spec, mask) if mask is not None else (None, "row")
    raise DataError(message, path=spec.file, column=column, rows=rows, row_label=label)


def coerce_columns(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Check the required columns exist and have the right kind; return typed copies.

    Parameters
    ----------
    frame : DataFrame
        The table as read (strings where the reader could not tell).
    spec : TableSpec
        The rules for this file.

    Returns
    -------
    DataFrame
        A new frame with ``str`` columns as Python strings, ``int`` columns as
        int64, ``float`` columns as float64 and ``bool`` columns as bool.

    Raises
    ------
    DataError
        A column is missing, a value cannot be read as its kind, is negative
        or non-finite where that is not allowed, or is not one of the choices.
    """
    check_header(frame.columns, spec)
    out = frame.copy()
    for col in spec.columns:
        values = out[col.name]
        if col.kind == STR:
            empty = values.isna() | (values.astype(str).str.strip() == "")
            if empty.any():
                _fail(spec, "empty value; expected text", col.name, empty)
            text = values.astype(str).str.strip()
            # integers written by spreadsheets as 530102.0 are still ids
            text = text.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
            out[col.name] = text.astype(object)
            if col.choices is not None:
                bad = ~text.isin(col.choices)
                if bad.any():
                    found = sorted(set(text[bad]))[:3]
                    _fail(spec, f"unexpected value(s) {found}; expected one of "
                                f"{', '.join(col.choices)}", col.name, bad)
        elif col.kind in (INT, FLOAT):
            number = pd.to_numeric(values, errors="coerce")
            unreadable = number.isna() & values.notna() & (values.astype(str).str.strip() != "")
            if unreadable.any():
                sample = values[unreadable].astype(str).iloc[0]
                _fail(spec, f"'{sample}' is not a number; expected "
                            f"{'a whole number' if col.kind == INT else 'a number'}",
                      col.name, unreadable)
            if number.isna().any() and not col.optional_values:
                _fail(spec, "empty value; expected a number", col.name, number.isna())
            number = number.astype(float)
            if not np.isfinite(number.fillna(0.0)).all():
                _fail(spec, "non-finite value (inf); expected a finite number",
                      col.name, ~np.isfinite(number.fillna(0.0)))
            if col.nonnegative and (number < 0).any():
                _fail(spec, "negative value; expected ≥ 0", col.name, number < 0)
            _check_range(number, col, spec)
            if col.kind == INT:
                frac = number.notna() & (number != np.round(number))
                if frac.any():
                    _fail(spec, "fractional value; expected a whole number", col.name, frac)
                out[col.name] = number.astype("Int64") if number.isna().any() else number.astype("int64")
            else:
                out[col.name] = number
        elif col.kind == BOOL:
            if values.dtype == bool:
                continue
            text = values.astype(str).str.strip().str.lower()
            bad = ~text.isin(_TRUE | _FALSE)
            if bad.any():
                _fail(spec, f"'{values[bad].iloc[0]}' is not true/false", col.name, bad)
            out[col.name] = text.isin(_TRUE)
    return out


def _check_range(number: pd.Series, col, spec: TableSpec) -> None:
    """Raise when a number lies outside the column's plausible range."""
    if col.low is None and col.high is None:
        return
    low = -np.inf if col.low is None else col.low
    high = np.inf if col.high is None else col.high
    out = number.notna() & ((number < low) | (number > high))
    if out.any():
        first = float(number[out].iloc[0])
        unit = f" {col.unit}" if col.unit else ""
        _fail(spec, f"{first:g} is outside the plausible range {low:g}–{high:g}{unit} "
                    "(see data/README.md); a slipped digit or a wrong unit?", col.name, out)


def check_header(columns, spec: TableSpec) -> None:
    """Raise when a required column is missing, saying which column was meant.

    A header that differs from a required name only by case, spaces, hyphens
    or underscores (``'Zone ID'`` for ``zone_id``) is named with the exact
    spelling expected; so is a near-miss (``'persns'``). Duplicate headers are
    an error too.
    """
    from capacity.config import did_you_mean, normalise_name

    names = [str(c) for c in columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        _fail(spec, f"the header repeats column(s) {dup}; each column must appear once", dup[0])
    required = [c.name for c in spec.columns]
    missing = [n for n in required if n not in names]
    if not missing:
        return
    extra = [n for n in names if n not in required]
    for name in missing:
        close = [n for n in extra if normalise_name(n) == normalise_name(name)]
        if close:
            _fail(spec, f"missing column {name}: the header has {close[0]!r}, which differs only by "
                        f"case or spaces; name it exactly '{name}' (column names are case-sensitive)")
    hint = did_you_mean(missing[0], extra).replace("did you mean", "is it")
    _fail(spec, f"missing column(s) {', '.join(missing)}{hint}; "
                f"expected columns: {', '.join(required)}")


def check_rows(frame: pd.DataFrame, spec: TableSpec) -> None:
    """Raise when a row breaks an order rule of ``spec.ordered`` (``a ≤ b``)."""
    for a, b in spec.ordered:
        bad = frame[a] > frame[b]
        if bad.any():
            row = frame.loc[bad].iloc[0]
            _fail(spec, f"{a} {row[a]} is greater than {b} {row[b]}; expected {a} ≤ {b}", a, bad)


def check_unique(frame: pd.DataFrame, spec: TableSpec) -> None:
    """Raise when the key columns repeat."""
    key = [k for k in spec.key if k in frame.columns]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        first = frame.loc[dup, key].iloc[0].tolist()
        _fail(spec, f"duplicate {'/'.join(key)} {first}; each must be unique",
              "/".join(key), dup)


def check_zone_ids(frame: pd.DataFrame, spec: TableSpec, zone_ids) -> None:
    """Raise when ``spec.zone_column`` names a zone that ``zones.gpkg`` lacks."""
    if spec.zone_column is None:
        return
    known = set(zone_ids) | ({"city"} if spec.zone_scope else set())
    bad = ~frame[spec.zone_column].isin(known)
    if bad.any():
        unknown = sorted(set(frame.loc[bad, spec.zone_column]))[:3]
        _fail(spec, f"unknown zone id(s) {unknown}; expected a zone_id of zones.gpkg"
                    + (" or 'city'" if spec.zone_scope else ""), spec.zone_column, bad)


def check_geometry(layer, spec: TableSpec) -> None:
    """Raise on a missing or unsuitable CRS, or on empty, invalid or mistyped geometry."""
    if layer.crs is None:
        _fail(spec, "the layer has no CRS; declare one (e.g. EPSG:4543)")
    if spec.projected and not layer.crs.is_projected:
        _fail(spec, f"the layer's CRS {layer.crs.to_string()} is geographic (degrees); "
                    "distances need a projected CRS in metres, e.g. the city's metric_crs")
    if spec.projected:
        unit = layer.crs.axis_info[0].unit_name if layer.crs.axis_info else "metre"
        if unit not in ("metre", "meter"):
            _fail(spec, f"the layer's CRS is in {unit}; expected metres")
    geom = layer.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        _fail(spec, "empty geometry; every feature needs a geometry", "geometry", empty)
    invalid = ~geom.is_valid
    if invalid.any():
        _fail(spec, "invalid geometry (self-intersection or similar); repair it, "
                    "e.g. with shapely.make_valid", "geometry", invalid)
    types = geom.geom_type
    allowed = {"polygon": {"Polygon", "MultiPolygon"}, "point": {"Point"}}[spec.geometry]
    wrong = ~types.isin(allowed)
    if wrong.any():
        _fail(spec, f"geometry type {types[wrong].iloc[0]}; expected {spec.geometry}",
              "geometry", wrong)
