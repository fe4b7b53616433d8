r"""A starting basis for a level's LP relaxation, assembled from its independent blocks.

A level's rows are local — one unit's demand (``demand_*``), one site's
options (``one_*``), one site's seats per year (``cap_*``), one arc's link to
its site's options (``link_*``), one zone's nursery places (``nursery_*``),
one conversion link (``convlink``) — except a few rows that span the whole
model: plan totals (``count*``), the budget, the lexicographic limits
(``lex_*``), the retiming and closure rules (``retime_*``, ``closezone_*``,
``nurseryneed_*``). Without those *coupling* rows the matrix falls apart into
many connected components (a district's schools and the units that can reach
them; at least one per copy of the city in ``benchmarks/scaling.py``), and
the LP without them is separable.

:func:`block_basis` solves that separable LP batch by batch — a batch is a
few whole components, one small LP each — and assembles the model's basis:
every column and local row takes its status from its batch's optimal basis,
every coupling row is basic (its slack in the basis). With ``m`` local rows
and ``k`` coupling rows the batches have ``m`` basic variables between them,
so the assembled basis has ``m + k`` = the number of rows. Its duals are the
batches' duals and 0 on the coupling rows, so every reduced cost is a batch's
optimal reduced cost: the basis is *dual feasible* for the whole LP and
primal infeasible at most in the coupling rows, which the dual simplex
method repairs from there (Dantzig–Wolfe's observation that block-angular LPs
are cheap apart from their linking rows; Dantzig & Wolfe 1960, *Oper. Res.*
8(1)). The dual simplex iterations of one big LP grow with the number of
blocks and so does the work per iteration; the batches keep both small.

Before assembling, the longest violated coupling row is *priced*
(``price=True``, :func:`_price_longest`): the batches are re-solved from
their bases with its columns' costs raised by a price ``μ`` per unit of the
row, ``μ`` searched on the row's activity until the row is tight (the
Lagrangian price of a plan total; Fisher 1981, *Manage. Sci.* 27(1)). The
basis of the priced batches is no longer dual feasible at zero coupling
duals, but it is close to the optimal one. Measured (2026-11-30, one HiGHS
thread, ``benchmarks/scaling.py`` problems, primary level): at 1x the
repair takes 7,260 dual simplex iterations unpriced and under 100 priced;
at 4x the LP from scratch takes 105 s (80,267 iterations), from the
unpriced basis 110 s (29,348 repair iterations: no gain), from the priced
basis 33 s (31 s for 22 batches and 9 pricing steps, 267 repair
iterations), the same objective.

:func:`block_basis` returns ``None`` when there is nothing to gain: a small
model, one component holding most of the columns, a batch without an
optimal basis (e.g. a column bounded only by a coupling row), or the time
limit reached. The caller then solves as without it.

Usage with a ``highspy.Highs`` ``h`` that holds the model::

    basis = block_basis(model, coef, lower, upper, opts, new_highs=_new_highs)
    if basis is not None:
        h.setBasis(highs_basis(*basis))
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

__all__ = ["LOCAL_PREFIXES", "BasisReport", "block_basis", "coupling_rows", "components", "highs_basis", "batches"]

LOCAL_PREFIXES = ("demand_", "one_", "cap_", "link_", "nursery_", "convlink")
"""Row-block name prefixes whose rows each touch one unit, site, arc, zone or link; any other block couples."""

MIN_COLUMNS = 300_000
"""No basis for models with fewer columns: they solve from scratch as fast or faster. Measured
2026-11-30 on the 1x synthetic Kunming levels (one thread, load about 1.5-2): primary (169k columns)
6.9 s from scratch vs 6.8 s from the priced basis, kindergarten (136k) 3.9 vs 6.5 s, middle (133k)
6.8 vs 10.3 s; at 4x (533k-1.3M columns) the basis pays 1.7-3.2x."""

MAX_SHARE = 0.8
"""No basis when one component holds more than this share of the columns (the batches would be the LP)."""

BATCH_COLUMNS = 30_000
"""Whole components are gathered into batches of at least about this many columns [columns]."""

LONG_ROW_SHARE = 0.05
"""A row of a local block with more entries than this share of the columns (and more than
:data:`LONG_ROW_MIN` entries) is treated as coupling: it is not local whatever its block's name."""

LONG_ROW_MIN = 1_000

FEASIBLE_TOLERANCE = 1.0e-9
"""A coupling row is violated when its activity is off its bounds by more than this (relative to the bound)."""

PRICE_TOLERANCE = 1.0e-2
"""The bisection on a coupling row's price stops at this relative width of its bracket."""

PRICE_GROWTH = 8.0
"""Factor by which the price grows until the activity crosses the row's bounds."""

MAX_PRICE_STEPS = 40
"""At most this many re-solves of the batches for the price."""


def coupling_rows(blocks, starts: np.ndarray, n_entries: int, n_cols: int) -> np.ndarray:
    """Which rows couple the model: rows of blocks not named local, and over-long rows.

    Parameters
    ----------
    blocks : sequence of RowBlock
        The model's row blocks in row order (``.name``, ``.rhs`` used).
    starts : ndarray, shape (n_rows,)
        Offset of each row's first entry (``Model.csr``, without the end pointer).
    n_entries : int
        Number of entries of the matrix.
    n_cols : int

    Returns
    -------
    ndarray of bool, shape (n_rows,)
    """
    local = np.concatenate([np.full(b.rhs.size, b.name.startswith(LOCAL_PREFIXES)) for b in blocks]) \
        if blocks else np.zeros(0, bool)
    length = np.diff(np.append(starts, n_entries))
    long_row = length > max(LONG_ROW_MIN, LONG_ROW_SHARE * n_cols)
    return ~local | long_row


def components(starts: np.ndarray, index: np.ndarray, coupling: np.ndarray, n_cols: int):
    """Connected components of the bipartite row/column graph of the local rows.

    Parameters
    ----------
    starts, index : ndarray
        CSR row offsets (without the end pointer) and column of each entry.
    coupling : ndarray of bool, shape (n_rows,)
        Rows left out of the graph (:func:`coupling_rows`).
    n_cols : int

    Returns
    -------
    (ndarray, ndarray)
        Component of every column (columns in no local row are their own
        component) and of every row (``-1`` for coupling rows).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n_rows = starts.size
    length = np.diff(np.append(starts, index.size))
    row_of = np.repeat(np.arange(n_rows), length)
    keep = ~coupling[row_of]
    n = n_cols + n_rows
    graph = sp.csr_matrix((np.ones(int(keep.sum()), np.int8), (n_cols + row_of[keep], index[keep])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    row_label = np.where(coupling, -1, label[n_cols:])
    return label[:n_cols], row_label


def batches(col_label: np.ndarray, row_label: np.ndarray, target: int = BATCH_COLUMNS):
    """Gather whole components into batches of about ``target`` columns.

    Components are taken in the order of their labels (connected_components
    numbers them in the order it meets them, so neighbours tend to share a
    batch); a component larger than ``target`` fills a batch of its own
    (with at most the tail of the batch before it).

    Returns
    -------
    (ndarray, ndarray)
        Batch of every column and of every row (``-1`` for coupling rows).
    """
    n_comp = int(max(col_label.max(initial=-1), row_label.max(initial=-1))) + 1
    size = np.bincount(col_label, minlength=n_comp)
    before = np.cumsum(size) - size
    batch_of = before // max(int(target), 1)
    _, batch_of = np.unique(batch_of, return_inverse=True)  # numbered 0..B-1
    return batch_of[col_label], np.where(row_label >= 0, batch_of[np.maximum(row_label, 0)], -1)


def _groups(batch: np.ndarray, n_batches: int):
    """Members of each batch, ascending, as a list of index arrays."""
    order = np.argsort(batch, kind="stable")
    bounds = np.searchsorted(batch[order], np.arange(n_batches + 1))
    return [order[bounds[b]:bounds[b + 1]] for b in range(n_batches)]


def _statuses(values) -> np.ndarray:
    return np.fromiter((int(v) for v in values), dtype=np.int8, count=len(values))


def _load_batch(h, sub, cost, lower, upper, row_lo, row_up) -> None:
    """One batch's LP (columns, costs, local rows) into the empty ``h``."""
    import highspy

    inf = highspy.kHighsInf
    n = cost.size
    h.addVars(n, lower, np.where(np.isinf(upper), inf, upper))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    if sub.shape[0]:
        h.addRows(sub.shape[0], np.where(np.isinf(row_lo), -inf, row_lo), np.where(np.isinf(row_up), inf, row_up),
                  sub.nnz, sub.indptr[:-1].astype(np.int32), sub.indices.astype(np.int32), sub.data)


def _run_batch(h, deadline):
    """Solve (or re-solve from its basis) one batch: (col statuses, row statuses, iterations, x), or why not."""
    if deadline is not None:
        left = deadline - time.perf_counter()
        if left <= 0:
            return "time limit reached"
        h.setOptionValue("time_limit", float(left))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return f"a batch LP ended {status!r}"
    basis = h.getBasis()
    if not basis.valid:
        return "a batch LP has no valid basis"
    x = np.asarray(h.getSolution().col_value, dtype=float)
    return _statuses(basis.col_status), _statuses(basis.row_status), int(h.getInfo().simplex_iteration_count), x


@dataclasses.dataclass
class BasisReport:
    """What :func:`block_basis` did (for logs and benchmarks).

    Attributes
    ----------
    components, batches, coupling_rows : int
    largest_share : float
        Columns of the largest component / all columns.
    iterations : int
        Simplex iterations of the batch LPs together (pricing re-solves included).
    pricing_steps : int
        Re-solves of the batches while pricing a coupling row.
    priced_rows : int
        Coupling rows priced (0 or 1).
    price : float
        The price added to the priced row's columns' costs [objective units per unit of the row].
    trace : list of (float, float)
        (price, the row's activity) of every pricing step.
    price_note : str
        Why the pricing stopped early (a re-solve failed; the price before is kept), or "".
    seconds : float
        Wall time of the whole call [s].
    reason : str
        Why no basis was made ("" when one was).
    """

    components: int = 0
    batches: int = 0
    coupling_rows: int = 0
    largest_share: float = 0.0
    iterations: int = 0
    pricing_steps: int = 0
    priced_rows: int = 0
    price: float = 0.0
    seconds: float = 0.0
    trace: list = dataclasses.field(default_factory=list)
    price_note: str = ""
    reason: str = ""


def block_basis(model, coef: np.ndarray, lower: np.ndarray, upper: np.ndarray, opts, report=None, *,
                new_highs, target: int = BATCH_COLUMNS, min_columns: int = MIN_COLUMNS, max_share: float = MAX_SHARE,
                price: bool = True):
    """A dual-feasible starting basis for the LP relaxation of ``model``, batch by batch.

    Parameters
    ----------
    model : capacity.optimize.matrix.Model
        Its ``blocks`` (names) and ``csr()`` are read.
    coef : ndarray, shape (n_cols,)
        Objective coefficient per column.
    lower, upper : ndarray, shape (n_cols,)
        Column bounds of the LP (``upper`` may be ``inf``).
    opts : SolverOptions
        HiGHS options for the batch LPs (without their log); its
        ``time_limit`` [s] bounds the whole call.
    report : BasisReport, optional
        Filled with what was done.
    new_highs : callable
        ``new_highs(opts) -> highspy.Highs``, configured by ``opts`` — the
        caller's factory (:func:`capacity.optimize.highs._new_highs`; passed
        in so that this module does not import the module that calls it).
    target : int
        Columns per batch (:data:`BATCH_COLUMNS`).
    min_columns : int
        No basis for models with fewer columns (:data:`MIN_COLUMNS`).
    max_share : float
        No basis when one component holds more than this share of the columns (:data:`MAX_SHARE`).
    price : bool
        Price the longest violated coupling row before assembling (:func:`_price_longest`).

    Returns
    -------
    (ndarray, ndarray) or None
        HiGHS basis status (``HighsBasisStatus`` values, int8) of every column
        and every row — for :func:`highs_basis` — or ``None`` when there is
        nothing to gain (see the module docstring).
    """
    import scipy.sparse as sp

    t0 = time.perf_counter()
    report = BasisReport() if report is None else report
    n_cols = int(model.n_cols)

    def give_up(reason):
        report.reason, report.seconds = reason, time.perf_counter() - t0
        return None

    if n_cols < min_columns or n_cols == 0:
        return give_up(f"small model ({n_cols} columns)")
    row_lo, row_up, starts, index, value = model.csr()
    coupling = coupling_rows(model.blocks, starts, index.size, n_cols)
    col_label, row_label = components(starts, index, coupling, n_cols)
    size = np.bincount(col_label)
    report.components = int(np.count_nonzero(size))
    report.coupling_rows = int(coupling.sum())
    report.largest_share = float(size.max() / n_cols)
    if report.largest_share > max_share:
        return give_up(f"one component holds {report.largest_share:.0%} of the columns")
    col_batch, row_batch = batches(col_label, row_label, target)
    n_batches = int(col_batch.max()) + 1
    report.batches = n_batches
    # renumber columns within their batch; the local rows' entries all lie in their row's batch
    col_groups = _groups(col_batch, n_batches)
    row_groups = _groups(row_batch[row_batch >= 0], n_batches)
    local_rows = np.flatnonzero(row_batch >= 0)
    row_groups = [local_rows[g] for g in row_groups]
    pos = np.empty(n_cols, np.int64)
    for cols in col_groups:
        pos[cols] = np.arange(cols.size)
    matrix = sp.csr_matrix((value, index, np.append(starts, index.size)), shape=(starts.size, n_cols))
    cost = np.asarray(coef, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    deadline = None if opts.time_limit is None else t0 + float(opts.time_limit)
    solvers = []
    for cols, rows in zip(col_groups, row_groups):
        sub = matrix[rows]
        sub = sp.csr_matrix((sub.data, pos[sub.indices], sub.indptr), shape=(rows.size, cols.size))
        h = new_highs(dataclasses.replace(opts, msg=False, time_limit=None))
        _load_batch(h, sub, cost[cols], lower[cols], upper[cols], row_lo[rows], row_up[rows])
        solvers.append(h)
    state = _State(n_cols, starts.size)
    reason = state.solve(solvers, col_groups, row_groups, range(n_batches), deadline)
    if reason:
        return give_up(reason)
    if price:
        reason = _price_longest(state, solvers, col_groups, row_groups, col_batch, cost, matrix, coupling,
                                (row_lo, row_up), deadline, report)
        if reason:
            return give_up(reason)
    report.iterations = state.iterations
    del solvers
    report.seconds = time.perf_counter() - t0
    return state.col_status, state.row_status


class _State:
    """The assembled statuses and column values of the batches' latest solves."""

    def __init__(self, n_cols: int, n_rows: int):
        self.col_status = np.empty(n_cols, np.int8)
        self.row_status = np.full(n_rows, 1, np.int8)  # kBasic: the coupling rows' slacks
        self.x = np.zeros(n_cols)
        self.iterations = 0

    def solve(self, solvers, col_groups, row_groups, which, deadline) -> str:
        """(Re-)solve the batches ``which``; "" or why not."""
        for b in which:
            got = _run_batch(solvers[b], deadline)
            if isinstance(got, str):
                return got
            self.col_status[col_groups[b]], self.row_status[row_groups[b]], iterations, self.x[col_groups[b]] = got
            self.iterations += iterations
        return ""


def _price_longest(state, solvers, col_groups, row_groups, col_batch, cost, matrix, coupling, bounds,
                   deadline, report) -> str:
    """Price the longest violated coupling row; "" or why the batches failed.

    The batches are re-solved (from their bases) with costs ``c + μ a_r``;
    the row's activity ``a_r · x(μ)`` does not increase with ``μ`` (it is
    the slope of the concave parametric optimum), so a search finds the
    price at which the row is tight: a first guess (the median of the row's
    columns' ``|c / a|``), growing or shrinking by :data:`PRICE_GROWTH` until
    the activity crosses the row's bound, a geometric bisection while the
    bracket spans more than a factor 2, then regula falsi on the activity
    (Illinois variant), until the bracket is :data:`PRICE_TOLERANCE` of the
    price wide. The dual simplex method repairs the basis of the nearly
    right price in a few iterations instead of thousands.
    """
    lo, up = bounds
    rows = np.flatnonzero(coupling)
    activity = matrix[rows] @ state.x
    scale = np.maximum(1.0, np.maximum(np.abs(np.where(np.isfinite(lo[rows]), lo[rows], 0)),
                                       np.abs(np.where(np.isfinite(up[rows]), up[rows], 0))))
    excess = np.maximum(activity - up[rows], lo[rows] - activity) / scale
    if not rows.size or excess.max() <= FEASIBLE_TOLERANCE:
        return ""
    length = np.diff(matrix.indptr)[rows]
    r = rows[np.argmax(np.where(excess > FEASIBLE_TOLERANCE, length, -1))]
    entry = slice(matrix.indptr[r], matrix.indptr[r + 1])
    cols, coef = matrix.indices[entry], matrix.data[entry]
    lo_r, up_r = lo[r], up[r]
    scale_r = scale[np.searchsorted(rows, r)]
    sign = 1.0 if coef @ state.x[cols] > up_r else -1.0  # μ > 0 lowers the activity
    which = np.unique(col_batch[cols])
    per_batch = []
    for b in which:
        mine = col_batch[cols] == b
        per_batch.append((b, np.searchsorted(col_groups[b], cols[mine]).astype(np.int32), cols[mine], coef[mine]))

    def evaluate(mu):
        saved[:] = [state.col_status.copy(), state.row_status.copy()]
        for b, at, c, a in per_batch:
            solvers[b].changeColsCost(at.size, at, cost[c] + mu * a)
        reason = state.solve(solvers, col_groups, row_groups, which, deadline)
        report.pricing_steps += 1
        report.trace.append((float(mu), float(coef @ state.x[cols])))
        return reason, coef @ state.x[cols]

    saved = []  # the statuses before the latest step
    target = up_r if sign > 0 else lo_r  # the bound the activity moves to
    inside, outside = (0.0, coef @ state.x[cols] - target), None  # (price, activity - target) short of / past
    mu = sign * max(float(np.median(np.abs(cost[cols] / coef))), 1e-9)  # a first guess of the price's scale
    side = 0  # which end moved last: +1 inside, -1 outside (Illinois)
    while report.pricing_steps < MAX_PRICE_STEPS:
        reason, act = evaluate(mu)
        if reason:  # keep the statuses of the step before (the batches' bases of one price)
            state.col_status, state.row_status = saved
            report.price_note = reason
            mu = report.trace[-2][0] if len(report.trace) > 1 else 0.0
            break
        if abs(act - target) <= FEASIBLE_TOLERANCE * scale_r:  # tight: the price is right
            break
        crossed = (act < target) if sign > 0 else (act > target)  # past the bound: the price is too high
        if crossed:
            outside, moved = (mu, act - target), -1
        else:
            inside, moved = (mu, act - target), 1
        if outside is None or inside[0] == 0:  # not bracketed by two prices yet: grow or shrink
            mu = mu * PRICE_GROWTH if outside is None else mu / PRICE_GROWTH
            continue
        if abs(outside[0] - inside[0]) <= PRICE_TOLERANCE * abs(outside[0]):
            break
        if outside[0] / inside[0] > 2:  # wide: bisect geometrically
            mu = sign * np.sqrt(inside[0] * outside[0])
            side = 0
            continue
        # narrow: regula falsi on the activity; an end kept twice counts half (Illinois), kept inside the bracket
        g_in, g_out = inside[1], outside[1]
        if side == moved == 1:
            g_out /= 2
        elif side == moved == -1:
            g_in /= 2
        side = moved
        t = min(max(g_in / (g_in - g_out), 0.1), 0.9)
        mu = inside[0] + t * (outside[0] - inside[0])
    report.priced_rows, report.price = 1, float(mu)
    return ""


def highs_basis(col_status: np.ndarray, row_status: np.ndarray):
    """A valid ``highspy.HighsBasis`` of the given statuses (for ``Highs.setBasis``)."""
    import highspy

    members = list(highspy.HighsBasisStatus.__members__.values())
    by_value = [None] * (max(int(m) for m in members) + 1)
    for m in members:
        by_value[int(m)] = m
    basis = highspy.HighsBasis()
    basis.col_status = [by_value[v] for v in col_status.tolist()]
    basis.row_status = [by_value[v] for v in row_status.tolist()]
    basis.valid = True
    return basis
