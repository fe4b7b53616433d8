"""The edges of the pipeline: run folders written and read in one place.

* :func:`write_run` / :func:`read_run` (:mod:`capacity.io.run`): a run folder
  written once from memory, and read back for ``verify``, ``compare``,
  ``export``, ``report``, ``ensemble --plan`` and notebooks;
* :mod:`capacity.io.schema`: the run tables' columns, dtypes and units;
* :mod:`capacity.io.jsonfile`: the one JSON writer;
* :mod:`capacity.io.atomic`: output folders written whole or not at all.
"""

from __future__ import annotations

__all__ = ["RunFolder", "read_run", "write_run"]


def __getattr__(name):  # lazy: capacity.io.schema and .jsonfile stay light to import
    if name in __all__:
        from capacity.io import run

        return getattr(run, name)
    raise AttributeError(f"module 'capacity.io' has no attribute {name!r}")
