r"""Build the school-location MILP in named steps, from index arrays (as arrays; PuLP on demand).

Formulation
-----------
Sets (per level :math:`\ell`): demand units :math:`i`, facilities :math:`f`
(existing schools and candidate sites), options :math:`o` (a size module on a
facility; a new school on a site, an expansion on an existing school),
build years :math:`b`, evaluation years :math:`t`, arcs :math:`(i,f)\in A`
within the service distance. :math:`K` is the set of allowed (option, build
year) pairs (land rule, earliest year), :math:`R(f,t)\subseteq K` the pairs of
facility :math:`f` whose seats count in year :math:`t`
(:math:`b + \text{lag} \le t`).

Variables

* :math:`y_{ob}\in\{0,1\}` — option *o* built in year *b* ("open-by-year");
* :math:`w_{ift}\in[0,1]` — share of unit *i*'s pupils of year *t* served by
  *f* (binary when single-sourced); pupils :math:`x_{ift}=d_{it}w_{ift}`;
* :math:`s_{it}\in[0,1]` — unserved share (binary when single-sourced;
  absent when the level does not allow unserved pupils).

Constraints

.. math::

    \sum_{f:(i,f)\in A} w_{ift} + s_{it} = 1 \quad \forall i,t: d_{it}>0
    \qquad\text{(demand)}

    \sum_{o\in f,\,b} y_{ob} \le 1 \quad \forall f \qquad\text{(one option per site)}

    \sum_i d_{it} w_{ift} - \sum_{(o,b)\in R(f,t)} q_o y_{ob} \le Q_f
    \quad \forall f,t \qquad\text{(capacity, aggregated)}

    w_{ift} - \sum_{(o,b)\in R(f,t)} y_{ob} \le 0 \quad \forall (i,f)\in A,t,\ f\ \text{new}
    \qquad\text{(strong linking)}

    L_r \le \sum_{(o,b)\in K_r} y_{ob} \le U_r \quad \forall r \qquad\text{(plan totals, zone/year rules)}

    \sum_{\ell}\sum_{o} c_o y_{ob} \le B_b \quad \forall b \qquad\text{(budget)}

Objective parts: unserved :math:`U=\sum_{it}\delta^{k(t)} d_{it}s_{it}`,
distance :math:`D=\sum_{ift}\omega_{it}\,\text{dist}_{if}\,w_{ift}` (with
:math:`\omega=d` pupil-distance unless a unit weight is given), cost
:math:`C=\sum_{ob}c_o y_{ob}`; weighted
:math:`\alpha U+\beta D+\gamma C`, or lexicographic. With calendar year
weighting (``Weights.calendar_years``) :math:`\delta^{k(t)}` becomes
:math:`r_t(1+\rho)^{-(t-b_0)}` — the calendar years :math:`r_t` column *t*
stands for, discounted at the cost rate :math:`\rho` — and the same factor
multiplies each year's distance (:meth:`Problem.year_weights`).

Closures, conversions, carried-over seats, operating costs and lagged spending
(a shrinking, phased system) are the steps of :mod:`capacity.optimize.closures`:
closure columns :math:`z_{fb}` take a school's seats :math:`S_{ft}` out of its
capacity row from year *b* on, share the one-decision row with its options,
obey a per-zone-and-year limit, and earn the operating cost saved; :math:`Q_f`
above is then :math:`S_{ft}`, the school's seats in year *t* (existing, or
carried over from the year the project opens); the budget row counts each
option's cost spread over its construction years.

Why this formulation: the *share* form with the disaggregated ("strong")
linking rows :math:`w_{ift}\le \text{open}_{ft}` gives the LP bound of the
classic strong p-median / facility-location formulation — much tighter than
the aggregated capacity row alone (whose LP lets every site open a sliver),
and it is the difference between a root-node solve and a long search on the
OR-Library p-median instances. The rows are one per arc and year, so they are
optional (``strong_linking=False``) for very large capacitated models; they are
always kept for uncapacitated sites, whose only link is this row. Modules use
open-by-year binaries with cumulative availability
:math:`\sum_{b+\text{lag}\le t} y_{ob}` so a school opens once and stays open,
and "at most one option per site" makes the module choice an SOS1-like row.

References
----------
Cornuéjols, Nemhauser & Wolsey (1990), *The uncapacitated facility location
problem*, in Discrete Location Theory; ReVelle & Swain (1970), *Central
facilities location*, Geographical Analysis 2(1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pulp

from .matrix import BINARY, CONTINUOUS, EQ, GE, LE, Model
from .closures import (add_closure_limits, add_conversion_links, add_nursery_credit, closure_capacity_entries,
                       closure_one_entries, define_close_variables, existing_running_cny, nursery_cost_parts,
                       operating_cost_parts, spending_entries)
from .prepare import PreparedLevel
from .problem import Problem

OBJECTIVE_PARTS = ("unserved", "distance", "cost")

# row senses and column categories for hooks (:meth:`Model.add_rows`, :meth:`Model.new_columns`)
__all__ = ["BINARY", "CONTINUOUS", "EQ", "GE", "LE", "OBJECTIVE_PARTS", "LevelColumns", "Model", "build_model",
           "set_objective", "weighted_objective"]


@dataclass
class LevelColumns:
    """Where one level's variables sit in the model's column list."""

    prepared: PreparedLevel
    open_start: int = 0
    assign_start: int = 0
    short_start: int = 0
    close_start: int = 0
    extra: dict = field(default_factory=dict)  # columns of optional steps (e.g. the nursery credit)

    @property
    def n_open(self) -> int:
        return self.prepared.open_option.size

    @property
    def n_assign(self) -> int:
        return self.prepared.assign_arc.size

    @property
    def n_short(self) -> int:
        return self.prepared.short_unit.size

    def open_cols(self) -> np.ndarray:
        return np.arange(self.open_start, self.open_start + self.n_open)

    def assign_cols(self) -> np.ndarray:
        return np.arange(self.assign_start, self.assign_start + self.n_assign)

    def short_cols(self) -> np.ndarray:
        return np.arange(self.short_start, self.short_start + self.n_short)

    @property
    def n_close(self) -> int:
        return self.prepared.close_facility.size

    def close_cols(self) -> np.ndarray:
        """Closure and conversion columns ``z[f, b]`` (:mod:`capacity.optimize.closures`)."""
        return np.arange(self.close_start, self.close_start + self.n_close)


# ---------------------------------------------------------------------------
# variables
# ---------------------------------------------------------------------------

def define_open_variables(model: Model, lc: LevelColumns, name: str) -> None:
    """Binary ``y[o, b]`` for every allowed (option, build year)."""
    lc.open_start = model.new_columns(f"y_{name}_", lc.n_open, pulp.LpBinary)


def define_assignment_variables(model: Model, lc: LevelColumns, name: str) -> None:
    """Share ``w[arc, t]`` in [0, 1]; binary when the level is single-sourced."""
    cat = pulp.LpBinary if lc.prepared.level.single_sourcing else pulp.LpContinuous
    lc.assign_start = model.new_columns(f"w_{name}_", lc.n_assign, cat)


def define_shortfall_variables(model: Model, lc: LevelColumns, name: str) -> None:
    """Unserved share ``s[i, t]`` in [0, 1] (binary when single-sourced)."""
    cat = pulp.LpBinary if lc.prepared.level.single_sourcing else pulp.LpContinuous
    lc.short_start = model.new_columns(f"s_{name}_", lc.n_short, cat)


# ---------------------------------------------------------------------------
# constraints
# ---------------------------------------------------------------------------

def add_demand(model: Model, lc: LevelColumns, name: str) -> None:
    """Every pupil of every unit and year is assigned or counted unserved (= 1)."""
    p = lc.prepared
    T = model.problem.years.size
    key = np.concatenate([p.arc_unit[p.assign_arc] * T + p.assign_year, p.short_unit * T + p.short_year])
    col = np.concatenate([lc.assign_cols(), lc.short_cols()])
    uniq, row = np.unique(key, return_inverse=True)
    model.add_rows(f"demand_{name}", row, col, np.ones(col.size), pulp.LpConstraintEQ, np.ones(uniq.size))


def add_one_option_per_site(model: Model, lc: LevelColumns, name: str) -> None:
    """At most one option (module, build year) per facility — or one closure or conversion."""
    p = lc.prepared
    close_fac, close_col = closure_one_entries(lc)
    fac = np.concatenate([p.level.options.facility[p.open_option], close_fac])
    cols = np.concatenate([lc.open_cols(), close_col])
    uniq, row, counts = np.unique(fac, return_inverse=True, return_counts=True)
    sel = counts[row] > 1
    if not sel.any():
        return
    uniq2, row2 = np.unique(row[sel], return_inverse=True)
    model.add_rows(f"one_{name}", row2, cols[sel], np.ones(sel.sum()),
                   pulp.LpConstraintLE, np.ones(uniq2.size))


def _available_pairs(model: Model, lc: LevelColumns):
    """(facility·T + year key, open column, seats) of every availability pair."""
    p = lc.prepared
    T = model.problem.years.size
    opt = p.open_option[p.avail_open]
    key = p.level.options.facility[opt] * T + p.avail_year
    return key, lc.open_start + p.avail_open, p.level.options.seats[opt]


def add_capacity(model: Model, lc: LevelColumns, name: str) -> None:
    """Pupils assigned to a facility ≤ its seats that year (existing and carried over, unless
    closed) + seats of options ready that year."""
    p = lc.prepared
    lv = p.level
    T = model.problem.years.size
    fac_a = p.arc_facility[p.assign_arc]
    cap_a = ~p.uncapacitated[fac_a]
    pupils = lv.units.demand[p.arc_unit[p.assign_arc], p.assign_year]
    key_a = fac_a * T + p.assign_year
    # skip rows that cannot bind: all pupils on the arcs fit into the seats, and the school cannot close
    load = np.bincount(key_a[cap_a], weights=pupils[cap_a], minlength=lv.facilities.n * T)
    existing = np.where(np.isinf(lv.facilities.seats)[:, None], np.inf, p.seats_ft).reshape(-1)
    binding = (load > existing + 1e-9) | np.repeat(p.closable, T)
    sel_a = cap_a & binding[key_a]
    key_o, col_o, seats_o = _available_pairs(model, lc)
    sel_o = binding[key_o] & np.isin(key_o, key_a[sel_a])
    key_z, col_z, seats_z = closure_capacity_entries(model, lc)
    sel_z = np.isin(key_z, key_a[sel_a]) & (seats_z > 0)
    key = np.concatenate([key_a[sel_a], key_o[sel_o], key_z[sel_z]])
    col = np.concatenate([lc.assign_cols()[sel_a], col_o[sel_o], col_z[sel_z]])
    coef = np.concatenate([pupils[sel_a], -seats_o[sel_o], seats_z[sel_z]])
    uniq, row = np.unique(key, return_inverse=True)
    model.add_rows(f"cap_{name}", row, col, coef, pulp.LpConstraintLE, existing[uniq])


def add_linking(model: Model, lc: LevelColumns, name: str, strong: bool = True) -> None:
    """Disaggregated rows ``w[i,f,t] ≤ Σ_{ready} y`` for arcs to new sites.

    Always added for uncapacitated sites (their only link); for capacitated
    sites only when ``strong`` (they tighten the LP bound).
    """
    p = lc.prepared
    lv = p.level
    T = model.problem.years.size
    fac_a = p.arc_facility[p.assign_arc]
    sel = ~lv.facilities.existing[fac_a]
    if not strong:
        sel &= p.uncapacitated[fac_a]
    rows_a = np.flatnonzero(sel)
    if rows_a.size == 0:
        return
    key_a = fac_a[rows_a] * T + p.assign_year[rows_a]
    key_o, col_o, _ = _available_pairs(model, lc)
    order = np.argsort(key_o, kind="stable")
    key_o, col_o = key_o[order], col_o[order]
    start = np.searchsorted(key_o, key_a, side="left")
    count = np.searchsorted(key_o, key_a, side="right") - start
    # ragged gather: for row r, open columns key_o[start[r] : start[r] + count[r]]
    n = int(count.sum())
    r_of = np.repeat(np.arange(rows_a.size), count)
    offs = np.arange(n) - np.repeat(np.cumsum(count) - count, count)
    pos = np.repeat(start, count) + offs
    row = np.concatenate([np.arange(rows_a.size), r_of])
    col = np.concatenate([lc.assign_start + rows_a, col_o[pos]])
    coef = np.concatenate([np.ones(rows_a.size), -np.ones(n)])
    model.add_rows(f"link_{name}", row, col, coef, pulp.LpConstraintLE, np.zeros(rows_a.size))


def add_count_rules(model: Model) -> None:
    """Plan totals and per-zone / per-year minimums and maximums."""
    rows, cols, lo, hi = [], [], [], []
    for r, rule in enumerate(model.problem.count_rules):
        lc = model.levels[rule.level]
        sel = rule_mask(model.problem, lc.prepared, rule)
        rows.append(np.full(sel.sum(), r))
        cols.append(lc.open_cols()[sel])
        lo.append(-np.inf if rule.minimum is None else rule.minimum)
        hi.append(np.inf if rule.maximum is None else rule.maximum)
    if not rows:
        return
    row, col = np.concatenate(rows), np.concatenate(cols)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    for which, sense, rhs in (
        (lo == hi, pulp.LpConstraintEQ, lo),
        ((lo != hi) & np.isfinite(lo), pulp.LpConstraintGE, lo),
        ((lo != hi) & np.isfinite(hi), pulp.LpConstraintLE, hi),
    ):
        idx = np.flatnonzero(which)
        if idx.size:
            remap = np.full(lo.size, -1)
            remap[idx] = np.arange(idx.size)
            keep = remap[row] >= 0
            model.add_rows(f"count{sense}", remap[row[keep]], col[keep], np.ones(keep.sum()), sense, rhs[idx])


def rule_mask(problem: Problem, p: PreparedLevel, rule) -> np.ndarray:
    """Open variables of ``p`` counted by ``rule``."""
    lv = p.level
    fac = lv.options.facility[p.open_option]
    sel = np.ones(p.open_option.size, dtype=bool)
    if rule.kind != "any":
        sel &= lv.facilities.existing[fac] == (rule.kind == "expand")
    sel &= ~lv.facilities.converted[fac]  # a conversion reuses a building: not a school built (issue 13)
    if rule.zone is not None:
        sel &= lv.facilities.zone[fac] == str(rule.zone)
    if rule.year is not None:
        sel &= problem.build_years[p.open_year] == int(rule.year)
    return sel


def add_budget(model: Model) -> None:
    """Spending of every level per build year ≤ that year's budget.

    Construction is spread over the construction years (build year to
    opening year − 1; all in the build year when the lag is 0 or 1),
    conversions cost in their year (:func:`capacity.optimize.closures.spending_entries`).
    """
    budget = model.problem.budget_cny
    finite = np.flatnonzero(np.isfinite(budget))
    remap = np.full(budget.size, -1)
    remap[finite] = np.arange(finite.size)
    parts = [spending_entries(model, lc, remap) for lc in model.levels.values()]
    row, col, coef = (np.concatenate([p[k] for p in parts]) for k in range(3))
    model.add_rows("budget", row, col, coef, pulp.LpConstraintLE, budget[finite])


# ---------------------------------------------------------------------------
# objective
# ---------------------------------------------------------------------------

def add_existing_running(model: Model) -> None:
    """With ``weights.existing_running``: one column fixed at 1 whose cost is the existing schools' running
    cost (:func:`~capacity.optimize.closures.existing_running_cny`), the objective's constant."""
    if not getattr(model.problem.weights, "existing_running", False):
        return
    constant = existing_running_cny(model.problem)
    if constant > 0:
        col = model.new_columns("running_existing_", 1, CONTINUOUS)
        model.fix_columns([col], [1.0])
        model.constant = (col, constant)


def define_objective_parts(model: Model) -> None:
    """Coefficient vectors of the unserved, distance and cost parts.

    The cost part is the present value of construction at
    ``weights.cost_discount_rate`` (nominal CNY when the rate is 0).
    """
    n = model.n_cols
    parts = {k: np.zeros(n) for k in OBJECTIVE_PARTS}
    problem = model.problem
    w = problem.weights
    cw = problem.column_weight
    uw, dy = problem.year_weights()
    for lc in model.levels.values():
        p = lc.prepared
        lv = p.level
        d = lv.units.demand
        parts["unserved"][lc.short_cols()] = uw[p.short_year] * d[p.short_unit, p.short_year]
        dw = d if lv.units.distance_weight is None else lv.units.distance_weight
        parts["distance"][lc.assign_cols()] = (dw[p.arc_unit[p.assign_arc], p.assign_year]
                                               * p.arc_distance[p.assign_arc] * dy[p.assign_year])
        if cw is not None:  # scenario weights of stacked columns (Problem.column_weight)
            parts["unserved"][lc.short_cols()] *= cw[p.short_year]
            parts["distance"][lc.assign_cols()] *= cw[p.assign_year]
        years_on = problem.build_years[p.open_year] - problem.build_years[0]
        present = (1.0 + w.cost_discount_rate) ** -years_on.astype(float)
        parts["cost"][lc.open_cols()] = lv.options.cost_cny[p.open_option] * present
        operating_cost_parts(model, lc, parts["cost"])
        nursery_cost_parts(model, lc, parts["cost"])
    if getattr(model, "constant", None) is not None:
        col, constant = model.constant
        parts["cost"][col] = constant
    model.parts = parts


def weighted_objective(model: Model) -> np.ndarray:
    """``unserved·α + distance·β + cost·γ`` coefficient vector."""
    w = model.problem.weights
    return w.unserved * model.parts["unserved"] + w.distance * model.parts["distance"] + w.cost * model.parts["cost"]


def set_objective(model: Model, coef: np.ndarray) -> None:
    """Set the PuLP form's objective to ``Σ coef · columns`` (builds the PuLP form)."""
    model.prob.setObjective(model.expression(coef))


# ---------------------------------------------------------------------------
# orchestration
# ---------------------------------------------------------------------------

def build_model(problem: Problem, prepared: list, strong_linking: bool = True,
                extra_constraints: Optional[Callable[[Model], None]] = None) -> Model:
    """Build the MILP of ``problem`` (see the module docstring for the formulation).

    Parameters
    ----------
    problem : Problem
    prepared : list of PreparedLevel
        From :func:`capacity.optimize.prepare.prepare`.
    strong_linking : bool
        Add the disaggregated linking rows for capacitated new sites too.
    extra_constraints : callable, optional
        Hook ``f(model)`` called after the built-in rows and the objective
        parts: add rows with :meth:`Model.add_rows` (or ``model.prob``), and
        columns with :meth:`Model.new_columns` (their objective parts are 0).
        In a level-by-level solve it is called once per level model, whose
        ``model.levels`` holds that level only.

    Returns
    -------
    Model
        With the objective unset; see :func:`weighted_objective`.
    """
    model = Model(problem=problem)
    for p in prepared:
        model.levels[p.level.name] = LevelColumns(p)
    for i, lc in enumerate(model.levels.values()):
        define_open_variables(model, lc, str(i))
        define_assignment_variables(model, lc, str(i))
        define_shortfall_variables(model, lc, str(i))
        define_close_variables(model, lc, str(i))
    for i, lc in enumerate(model.levels.values()):
        add_demand(model, lc, str(i))
        add_one_option_per_site(model, lc, str(i))
        add_capacity(model, lc, str(i))
        add_linking(model, lc, str(i), strong=strong_linking)
        closures = lc.prepared.level.closures
        add_closure_limits(model, lc, str(i), None if closures is None else closures.max_per_zone_year)
        add_nursery_credit(model, lc, str(i))
    add_conversion_links(model)
    add_count_rules(model)
    add_budget(model)
    add_existing_running(model)
    define_objective_parts(model)
    if extra_constraints is not None:
        extra_constraints(model)
        # columns a hook added have no part in the built-in objective
        n = model.n_cols
        model.parts = {k: np.pad(v, (0, n - v.size)) for k, v in model.parts.items()}
    return model
