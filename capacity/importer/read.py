"""Read a bureau's file — Excel, CSV or any vector format GDAL reads — as it is.

Each reader returns the rows untouched plus what an error message needs to
point back into the file: the row numbers as the bureau sees them (Excel
row, CSV line, 1-based feature) and the file's name (with its sheet).
Encodings: a table or layer not in UTF-8 is read with the spec's
``encoding`` (e.g. ``"gbk"``); a shapefile's ``.cpg`` is honoured by GDAL.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.errors import DataError

EXCEL = (".xlsx", ".xlsm", ".xls")
CSV = (".csv", ".txt")
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


@dataclass(frozen=True)
class RawTable:
    """A file's rows as read.

    Attributes
    ----------
    frame : DataFrame or GeoDataFrame
        The rows (vector files: with geometry and CRS).
    rows : ndarray of int
        Each row's number in the file as the bureau sees it.
    row_label : str
        ``"row"`` (Excel), ``"line"`` (CSV) or ``"feature"`` (vector).
    where : str
        File name, with ``(sheet ...)`` / ``(layer ...)`` when relevant.
    path : Path
    part : str or None
        The sheet or layer read.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    row_label: str
    where: str
    path: Path
    part: str | None = None

    def fail(self, message, column=None, mask=None):
        """Raise a :class:`DataError` naming this file, ``column`` and the rows where ``mask``."""
        rows = None if mask is None else self.rows[np.asarray(mask, dtype=bool)]
        raise DataError(message, path=self.where, column=column, rows=rows, row_label=self.row_label)


def sha256(path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_parts(path: Path) -> list[Path]:
    """The files that make up ``path`` (a shapefile's .shp, .dbf, .shx, .prj, .cpg)."""
    if path.suffix.lower() != ".shp":
        return [path]
    return [p for p in (path.with_suffix(s) for s in SHAPEFILE_PARTS) if p.is_file()]


def read_excel(path: Path, sheet=None) -> RawTable:
    """Read one sheet (default the first) with its header in row 1."""
    try:
        book = pd.ExcelFile(path)
    except Exception as exc:  # openpyxl/xlrd raise many types
        raise DataError(f"cannot be read as an Excel workbook: {exc}", path=path.name) from None
    names = book.sheet_names
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise DataError(f"sheet {sheet!r} not found; the workbook has {names}", path=path.name)
    frame = pd.read_excel(book, sheet_name=sheet, dtype=object)
    frame.columns = [str(c).strip() for c in frame.columns]
    kept = frame.dropna(how="all").index.to_numpy()  # blank rows are skipped, numbers kept
    frame = frame.loc[kept].reset_index(drop=True)
    return RawTable(frame=frame, rows=kept + 2, row_label="row", where=f"{path.name} (sheet {sheet})",
                    path=path, part=sheet)


def read_csv(path: Path, encoding=None) -> RawTable:
    """Read a CSV file in ``encoding`` (default UTF-8, with or without BOM)."""
    raw = path.read_bytes()
    enc = encoding or "utf-8-sig"
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:
        hint = "" if encoding else "; set encoding = \"gbk\" (or the file's encoding) in the spec"
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"not valid {enc} text at line {line}{hint}", path=path.name) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot be read as CSV: {exc}", path=path.name) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(frame=frame, rows=np.arange(len(frame)) + 2, row_label="line", where=path.name, path=path)


def read_vector(path: Path, layer=None, encoding=None, crs=None) -> RawTable:
    """Read a vector layer (default the first) with its CRS, or ``crs`` when it declares none."""
    import geopandas as gpd
    import pyogrio

    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises several types
        raise DataError(f"cannot be read as a vector file: {exc}", path=path.name) from None
    if layer is not None and layer not in layers:
        raise DataError(f"layer {layer!r} not found; the file has {layers}", path=path.name)
    layer = layer or layers[0]
    kwargs = {"encoding": encoding} if encoding else {}
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)
    except Exception as exc:
        raise DataError(f"cannot be read (layer {layer!r}, encoding {encoding or 'auto'}): {exc}",
                        path=path.name) from None
    where = path.name if len(layers) == 1 else f"{path.name} (layer {layer})"
    if frame.crs is None:
        if crs is None:
            raise DataError("the layer declares no coordinate system (no .prj?); give it with crs = "
                            "\"EPSG:...\" in the spec", path=where)
    return RawTable(frame=frame, rows=np.arange(len(frame)) + 1, row_label="feature", where=where,
                    path=path, part=layer)


def read_source(path: Path, sheet=None, layer=None, encoding=None, crs=None) -> RawTable:
    """Read any supported file by its extension."""
    suffix = path.suffix.lower()
    if suffix in EXCEL:
        return read_excel(path, sheet)
    if suffix in CSV:
        return read_csv(path, encoding)
    return read_vector(path, layer, encoding, crs)
