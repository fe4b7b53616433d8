"""Reading the text files a planner edits: UTF-8 (with or without a byte-order
mark), and a clear error for anything else.

Planners edit CSV and TOML files in Excel, Notepad or WPS. On Chinese Windows
these save in GBK (GB 18030) by default, Excel's "CSV UTF-8" adds a byte-order
mark, and Notepad's "Unicode" is UTF-16. A byte-order mark says unambiguously
what the encoding is, so a marked file is decoded; an unmarked file must be
UTF-8, and one that is not gets a :class:`~capacity.errors.DataError` (or the
caller's error type) naming the file, the line and the likely encoding. Legacy
encodings are never guessed: GBK bytes can also decode as other code pages, and
a wrong guess would silently corrupt zone names.
"""

from __future__ import annotations

import codecs
import sys
from pathlib import Path
from typing import Callable

from capacity.errors import CapacityError, DataError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ErrorFactory = Callable[[str], CapacityError]

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY = ((b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?)"),
           (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook"),
           (b"SQLite format 3\x00", "a SQLite/GeoPackage file"))


def _data_error(path) -> ErrorFactory:
    return lambda message: DataError(message, path=path)


def decode(raw: bytes, error: ErrorFactory) -> str:
    """UTF-8 text of ``raw``; a byte-order mark (UTF-8 or UTF-16) is honoured and removed.

    Parameters
    ----------
    raw : bytes
        The file's content.
    error : callable
        ``error(message)`` returns the exception to raise (it knows the file).

    Raises
    ------
    CapacityError
        From ``error``: a binary file, or bytes that are not UTF-8 (with the
        line of the first bad byte and, when they read as GBK, that hint).
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise error(f"starts with a {codec.upper()} byte-order mark but is not valid {codec.upper()} "
                            f"(byte {exc.start}); save it as UTF-8") from None
    for magic, what in _BINARY:
        if raw.startswith(magic):
            raise error(f"is {what}, not a text file; save it as UTF-8 text (CSV or TOML)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        try:
            raw.decode("gb18030")
            hint = ("it looks like GBK/GB 18030, the default of Chinese Windows and Excel; "
                    "save it as UTF-8 (Excel: 'CSV UTF-8'; or iconv -f GBK -t UTF-8)")
        except UnicodeDecodeError:
            hint = "save it as UTF-8"
        raise error(f"line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); {hint}") from None
    if "\x00" in text:
        raise error("contains NUL bytes: a binary file, not UTF-8 text")
    return text


def read_text(path, error: ErrorFactory | None = None) -> str:
    """Read a planner-edited text file as UTF-8 (see :func:`decode`).

    Parameters
    ----------
    path : str or Path
        The file.
    error : callable, optional
        ``error(message)`` returns the exception to raise; default a
        :class:`DataError` naming ``path``.
    """
    path = Path(path)
    error = error or _data_error(path)
    if path.is_dir():
        raise error("is a folder; expected a file")
    if not path.is_file():
        raise error("file not found")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot be read: {exc.strerror}") from None
    return decode(raw, error)


def read_toml(path, error: ErrorFactory | None = None) -> dict:
    """Read a TOML file (UTF-8, byte-order mark allowed) into a dict.

    Raises
    ------
    CapacityError
        From ``error`` (default :class:`DataError`): missing, not UTF-8, or
        not valid TOML (with the line and column of the syntax error).
    """
    path = Path(path)
    error = error or _data_error(path)
    text = read_text(path, error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"not valid TOML: {exc}") from None
