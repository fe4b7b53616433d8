"""The plan's list of targets, read from the data folder (``plan_targets.csv``, optional).

A city's plan has targets the model plans for, targets it checks, and
targets it does not model at all. The report lists every one of them, so a
reader sees what was left out as well as what was met. The list is data,
not code: ``<data folder>/plan_targets.csv`` with the columns

==========  ==================================================================
column      what
==========  ==================================================================
id          the target's id, as the checks use it (``T1`` … ``T20`` for Kunming)
role        ``planned`` (a constraint or input of the plan), ``checked``
            (reported against the plan) or ``out_of_scope``
name_zh     the target in Chinese
name_en     the target in English
clause      optional: where the plan states it
source_id   optional: its source in the data folder's ``SOURCES.md``
==========  ==================================================================

Without the file the report lists the checks it made, each as ``checked``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from capacity.errors import DataError

FILE = "plan_targets.csv"
ROLES = ("planned", "checked", "out_of_scope")
REQUIRED = ("id", "role", "name_zh", "name_en")


def read_plan_targets(folder) -> tuple[dict, ...]:
    """The rows of ``folder/plan_targets.csv`` as dicts (empty when the file is absent).

    Raises
    ------
    DataError
        A required column is missing, an id is empty or repeated, or a role is unknown
        (naming the file, column and lines).
    """
    path = Path(folder) / FILE if folder is not None else None
    if path is None or not path.is_file():
        return ()
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot be read as a UTF-8 CSV table: {exc}", path=path) from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; expected {list(REQUIRED)} (and optionally clause, "
                        "source_id)", path=path)
    lines = frame.index.to_numpy() + 2  # the header is line 1
    ids = frame["id"].str.strip()
    empty = ids == ""
    if empty.any():
        raise DataError("a target without an id", path=path, column="id", rows=lines[empty.to_numpy()],
                        row_label="line")
    dup = ids.duplicated(keep=False)
    if dup.any():
        raise DataError(f"repeated target id(s) {sorted(set(ids[dup]))}", path=path, column="id",
                        rows=lines[dup.to_numpy()], row_label="line")
    bad = ~frame["role"].str.strip().isin(ROLES)
    if bad.any():
        raise DataError(f"role must be one of {list(ROLES)}; found {sorted(set(frame['role'][bad]))}",
                        path=path, column="role", rows=lines[bad.to_numpy()], row_label="line")
    return tuple({k: str(v).strip() for k, v in row.items()} for row in frame.to_dict("records"))
