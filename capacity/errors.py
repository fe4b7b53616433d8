"""Exception families raised for people, not for debuggers.

Each carries *what* was wrong and *where* (file, row, column, key), so the
command line can print one paragraph a planner can act on.
"""

from __future__ import annotations

import warnings


class CapacityError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_status = 1


class DataError(CapacityError):
    """A data folder is missing a file, a column, or holds an impossible value.

    Parameters
    ----------
    message : str
        What was expected and what was found.
    path : str, optional
        The file (or file and layer) the problem is in.
    column : str, optional
        The column concerned.
    rows : sequence of int, optional
        Where in the file the rule is broken (line numbers for CSV files,
        1-based feature numbers for vector layers); at most five are shown.
    row_label : str
        What ``rows`` counts: ``"line"`` or ``"feature"`` (default ``"row"``).
    """

    def __init__(self, message, path=None, column=None, rows=None, row_label="row"):
        self.path = None if path is None else str(path)
        self.column = column
        self.rows = None if rows is None else [int(r) for r in rows]
        self.row_label = row_label
        self.reason = message
        super().__init__(self._format())

    def _format(self):
        where = []
        if self.path:
            where.append(self.path)
        if self.column:
            where.append(f"column '{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:5])
            more = f" (+{len(self.rows) - 5} more)" if len(self.rows) > 5 else ""
            plural = "s" if len(self.rows) > 1 else ""
            where.append(f"{self.row_label}{plural} {shown}{more}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class ScenarioError(CapacityError):
    """A scenario file has an unknown key, a wrong type or an impossible value."""

    def __init__(self, message, path=None, key=None):
        self.path = None if path is None else str(path)
        self.key = key
        self.reason = message
        where = ", ".join(x for x in (self.path, f"key '{key}'" if key else None) if x)
        super().__init__(f"{where}: {message}" if where else message)


class UsageError(CapacityError):
    """A command-line mistake: an unknown option or choice, a missing argument,
    an output path that names a file. Exit status 1, like any bad input."""


class InfeasibleError(CapacityError):
    """The plan cannot be met: a pre-check or the solver proved it infeasible."""

    exit_status = 2


class SolverError(CapacityError):
    """The solver failed, or stopped without a usable solution."""

    exit_status = 2


class CapacityWarning(UserWarning):
    """Base class of the warnings this package gives a planner on purpose."""


class RenamedKeyWarning(CapacityWarning, DeprecationWarning):
    """An input file uses an old name of a key or column that still works.

    The command line prints it as one line on stderr naming the file and both
    names; it is a :class:`DeprecationWarning`, so test suites that turn those
    into errors see it. Python hides deprecation warnings raised inside a
    library by default; the filter below shows this package's warnings once
    per place, in notebooks and scripts too, since they are for planners.
    """


warnings.filterwarnings("default", category=CapacityWarning)


class ImportSpecError(ScenarioError):
    """An import spec (``capacity import SPEC.toml``) has an unknown key, a wrong type,
    or names a file that does not exist; the message names the spec file and the dotted key."""
