"""The one JSON writer (and reader) of run folders: UTF-8, readable Chinese, numpy-safe.

:func:`to_jsonable` turns numpy scalars and arrays into Python numbers and
lists and non-finite floats into ``null``; :func:`write_json` writes the
result with ``ensure_ascii=False`` and an indent of 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def to_jsonable(obj):
    """``obj`` with numpy scalars/arrays, tuples and non-finite floats made JSON-ready."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def json_text(obj) -> str:
    """``obj`` as indented UTF-8 JSON text (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(obj), ensure_ascii=False, indent=2, default=str)


def write_json(path, obj) -> Path:
    """Write ``obj`` as JSON to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(json_text(obj), encoding="utf-8")
    return path


def read_json(path):
    """Read a JSON file written by :func:`write_json`.

    Raises
    ------
    DataError
        The file is not valid UTF-8 JSON (the message names the file and line).
    """
    from capacity.errors import DataError

    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg} (column {exc.colno})", path=path, rows=[exc.lineno],
                        row_label="line") from None
