"""The built model as arrays — columns, rows in coordinate form — with PuLP made only on demand.

:class:`Model` is what the builder steps of :mod:`capacity.optimize.model`
fill and what an ``extra_constraints`` hook receives. Columns are bound and
category arrays, rows are blocks of ``(row, col, coef)`` coordinates with a
sense and right-hand sides; :meth:`Model.csr` hands them to HiGHS as one
compressed-row matrix (:func:`capacity.optimize.solvers.run_highs_arrays`),
without a PuLP object per column or row.

The PuLP problem (:attr:`Model.prob`, :attr:`Model.columns`) is the
canonical form for CBC, for writing MPS/LP files and for hooks written
against PuLP (``model.prob += ...``, the ``var`` column of
:meth:`Model.open_variables`): the first access builds it from the arrays,
and from then on every new column and row goes to both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pulp

from .problem import Problem

LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
CONTINUOUS, BINARY, INTEGER = pulp.LpContinuous, pulp.LpBinary, pulp.LpInteger


def _probe_fast_expression() -> bool:
    """True when PuLP's LpAffineExpression can be filled without its constructor.

    ``LpAffineExpression.__init__`` spends most of its time on name handling
    and type dispatch; creating the dict subclass with ``__new__`` and filling
    it directly halves the row-building time (measured on PuLP 3.3: 100k rows
    of 3 terms, 4.3 s vs 9.0 s with ``LpAffineExpression(zip(...))``, 9.3 s
    with ``lpSum``, 7.5 s with ``lpDot`` on a loaded 2-core machine). The
    probe checks the result behaves like a constructed one and falls back to
    the public constructor otherwise (e.g. a future PuLP).
    """
    try:
        x = pulp.LpVariable("probe", 0, 1, _skip_v4_deprecation=True)
        e = pulp.LpAffineExpression.__new__(pulp.LpAffineExpression)
        dict.update(e, ((x, 2.0),))
        e.constant = 0.0
        e._LpAffineExpression__name = None
        c = pulp.LpConstraint(e, pulp.LpConstraintLE, "probe", 1.0)
        return c.name == "probe" and e.name is None and c.getUb() == 1.0 and dict(c.items()) == {x: 2.0}
    except Exception:  # pragma: no cover - depends on PuLP internals
        return False


_FAST_EXPRESSION = _probe_fast_expression()


def expression(pairs) -> pulp.LpAffineExpression:
    """An LpAffineExpression of ``(variable, coefficient)`` pairs (fast path when available)."""
    if _FAST_EXPRESSION:
        e = pulp.LpAffineExpression.__new__(pulp.LpAffineExpression)
        dict.update(e, pairs)
        e.constant = 0.0
        e._LpAffineExpression__name = None
        return e
    return pulp.LpAffineExpression(pairs)


@dataclass
class RowBlock:
    """Rows added by one :meth:`Model.add_rows` call, sorted by row (CSR order)."""

    name: str
    first: int            # number of the block's first row in the model
    bounds: np.ndarray    # (R + 1,) offsets of each row's entries
    col: np.ndarray
    coef: np.ndarray
    sense: int
    rhs: np.ndarray


@dataclass
class Model:
    """A built model: arrays of its columns and rows, the index arrays behind them, PuLP on demand.

    Attributes
    ----------
    problem : Problem
    levels : dict of str to LevelColumns
        Where each level's columns sit (see :mod:`capacity.optimize.model`).
    parts : dict of str to ndarray
        Objective part coefficient per column (``unserved``, ``distance``, ``cost``).
    n_rows, n_cols : int
    lower, upper : ndarray
        Column bounds (``upper`` may be ``inf``).
    integer : ndarray of bool
        Integer (binary) columns.
    start : ndarray or None
        MIP start per column (``nan``: no value), see :meth:`set_start`.
    constant : tuple of (int, float) or None
        The column fixed at 1 that carries the objective's constant, and the constant
        (``weights.existing_running``, :func:`capacity.optimize.model.add_existing_running`).
    prob : pulp.LpProblem
        The PuLP form (built on first access).
    columns : list of pulp.LpVariable
        Its variables, by column number (builds the PuLP form).
    """

    problem: Problem
    levels: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)
    n_rows: int = 0
    n_cols: int = 0
    blocks: list = field(default_factory=list)
    start: Optional[np.ndarray] = None
    constant: Optional[tuple] = None
    _lower: list = field(default_factory=list)
    _upper: list = field(default_factory=list)
    _integer: list = field(default_factory=list)
    _names: list = field(default_factory=list)
    _prob: Optional[pulp.LpProblem] = None
    _vars: list = field(default_factory=list)
    _col_array: Optional[np.ndarray] = None

    # -- columns -----------------------------------------------------------
    def new_columns(self, prefix: str, n: int, cat: str, up: Optional[float] = 1.0) -> int:
        """Append ``n`` columns in [0, up] (``None``: no upper bound) of category ``cat``; return the first."""
        first = self.n_cols
        self._lower.append(np.zeros(n))
        self._upper.append(np.full(n, np.inf if up is None else float(up)))
        self._integer.append(np.full(n, cat in (BINARY, INTEGER)))
        self._names.append((prefix, first, n))
        self._consolidate()
        self.n_cols += n
        if self._prob is not None:
            self._make_vars(prefix, first, n)
        return first

    def _consolidate(self):
        if len(self._lower) > 1:
            self._lower = [np.concatenate(self._lower)]
            self._upper = [np.concatenate(self._upper)]
            self._integer = [np.concatenate(self._integer)]

    @property
    def lower(self) -> np.ndarray:
        self._consolidate()
        return self._lower[0] if self._lower else np.zeros(0)

    @property
    def upper(self) -> np.ndarray:
        self._consolidate()
        return self._upper[0] if self._upper else np.zeros(0)

    @property
    def integer(self) -> np.ndarray:
        self._consolidate()
        return self._integer[0] if self._integer else np.zeros(0, bool)

    def fix_columns(self, cols, values) -> None:
        """Fix columns ``cols`` to ``values`` (bounds equal, continuous): an LP in those columns."""
        cols = np.asarray(cols, dtype=np.int64)
        values = np.asarray(values, dtype=float)
        self.lower[cols] = values
        self.upper[cols] = values
        self.integer[cols] = False
        if self._prob is not None:
            for c, v in zip(cols.tolist(), values.tolist()):
                var = self._vars[c]
                var.cat = pulp.LpContinuous
                var.lowBound = var.upBound = v

    def set_start(self, cols, values) -> None:
        """Give columns ``cols`` the MIP-start ``values`` (others keep theirs, or none)."""
        if self.start is None or self.start.size != self.n_cols:
            old = self.start
            self.start = np.full(self.n_cols, np.nan)
            if old is not None:
                self.start[: old.size] = old
        cols = np.asarray(cols, dtype=np.int64)
        self.start[cols] = values
        if self._prob is not None:
            for c, v in zip(cols.tolist(), np.asarray(values, dtype=float).tolist()):
                self._vars[c].setInitialValue(v)

    # -- rows ---------------------------------------------------------------
    def add_rows(self, name: str, row, col, coef, sense: int, rhs) -> int:
        """Add rows given in coordinate form; return how many were added.

        Parameters
        ----------
        name : str
            Prefix of the constraint names.
        row, col, coef : array_like, shape (N,)
            Entry *k* puts ``coef[k] · column col[k]`` in row ``row[k]``
            (rows numbered 0..R-1, one (row, col) pair at most once).
        sense : int
            :data:`LE`, :data:`GE` or :data:`EQ`.
        rhs : array_like, shape (R,)
        """
        rhs = np.asarray(rhs, dtype=float).reshape(-1)
        n_rows = rhs.size
        if n_rows == 0:
            return 0
        row = np.asarray(row, dtype=np.int64)
        order = np.argsort(row, kind="stable")
        bounds = np.searchsorted(row[order], np.arange(n_rows + 1))
        block = RowBlock(name, self.n_rows, bounds, np.asarray(col, dtype=np.int64)[order],
                         np.asarray(coef, dtype=float)[order], int(sense), rhs)
        self.blocks.append(block)
        self.n_rows += n_rows
        if self._prob is not None:
            self._make_rows(block)
        return n_rows

    def csr(self):
        """Rows as one CSR matrix: ``(lower, upper, starts, index, value)`` (``inf`` for no bound)."""
        lower, upper, starts, index, value = [], [], [], [], []
        offset = 0
        for b in self.blocks:
            lower.append(np.where(b.sense == LE, -np.inf, b.rhs))
            upper.append(np.where(b.sense == GE, np.inf, b.rhs))
            starts.append(b.bounds[:-1] + offset)
            index.append(b.col)
            value.append(b.coef)
            offset += b.col.size
        if not self.blocks:
            z = np.zeros(0)
            return z, z, np.zeros(0, np.int64), np.zeros(0, np.int64), z
        return (np.concatenate(lower), np.concatenate(upper), np.concatenate(starts),
                np.concatenate(index), np.concatenate(value))

    # -- the PuLP form ------------------------------------------------------
    def _make_vars(self, prefix, first, n):
        lo, up, integer = self.lower, self.upper, self.integer
        add = self._prob.add_variable
        for k in range(n):
            c = first + k
            self._vars.append(add(f"{prefix}{k}", lo[c], None if np.isinf(up[c]) else up[c],
                                  INTEGER if integer[c] else CONTINUOUS))
        self._col_array = None

    def _make_rows(self, b: RowBlock):
        vars_ = self.col_array[b.col].tolist()
        coefs = b.coef.tolist()
        bounds = b.bounds.tolist()
        rhs = b.rhs.tolist()
        add = self._prob.addConstraint
        for r in range(b.rhs.size):
            s, e = bounds[r], bounds[r + 1]
            add(pulp.LpConstraint(expression(zip(vars_[s:e], coefs[s:e])), b.sense, f"{b.name}_{b.first + r}",
                                  rhs[r]))

    @property
    def materialised(self) -> bool:
        """Whether the PuLP form exists (a hook or CBC asked for it)."""
        return self._prob is not None

    @property
    def prob(self) -> pulp.LpProblem:
        if self._prob is None:
            self._prob = pulp.LpProblem("capacity", pulp.LpMinimize)
            for prefix, first, n in self._names:
                self._make_vars(prefix, first, n)
            for b in self.blocks:
                self._make_rows(b)
            if self.start is not None:
                for c in np.flatnonzero(~np.isnan(self.start)).tolist():
                    self._vars[c].setInitialValue(float(self.start[c]))
        return self._prob

    @prob.setter
    def prob(self, value: pulp.LpProblem) -> None:
        # ``model.prob += constraint`` in a hook: PuLP returns the same problem
        if value is not self.prob:
            raise ValueError("model.prob cannot be replaced; add rows to it (model.prob += ...) or use add_rows")

    @property
    def columns(self) -> list:
        self.prob  # noqa: B018 - builds the PuLP form
        return self._vars

    @property
    def col_array(self) -> np.ndarray:
        if self._col_array is None or self._col_array.size != len(self._vars):
            arr = np.empty(len(self._vars), dtype=object)
            arr[:] = self._vars
            self._col_array = arr
        return self._col_array

    # -- views for hooks and results --------------------------------------
    def open_variables(self, level: str, pulp_vars: bool = True):
        """DataFrame of the open variables of ``level``: option, facility, build_year, col, var.

        ``col`` is the column number (for :meth:`add_rows`); ``var`` the PuLP
        variable, only with ``pulp_vars`` (it builds the PuLP form, and the
        solve then goes through PuLP).
        """
        import pandas as pd

        lc = self.levels[level]
        p = lc.prepared
        cols = lc.open_cols()
        out = pd.DataFrame({
            "option": p.open_option,
            "facility": p.level.options.facility[p.open_option],
            "build_year": self.problem.build_years[p.open_year],
            "col": cols,
        })
        if pulp_vars:
            self.prob  # noqa: B018 - builds the PuLP form
            out["var"] = self.col_array[cols]
        return out

    def expression(self, coef: np.ndarray) -> pulp.LpAffineExpression:
        """Linear expression ``Σ coef[c] · column c`` over the non-zero entries (builds the PuLP form)."""
        nz = np.flatnonzero(coef)
        self.prob  # noqa: B018
        return expression(zip(self.col_array[nz].tolist(), coef[nz].tolist()))
