"""Results of a solve: frozen dataclasses of tidy DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from .model import Model
from .solvers import RunResult, relative_gap

EPS = 1e-6


#: One solver call of a solve; the same type as the solver registry's result.
StageReport = RunResult


@dataclass(frozen=True)
class SolveReport:
    """How the solve went.

    Attributes
    ----------
    status : str
        ``optimal`` (every solver call was, and the certified ``gap`` is no wider
        than theirs) or ``feasible`` (a solution, optimality not proven; e.g. the
        time limit, or level plans whose union the bound does not certify).
        Infeasible or solution-less runs raise instead.
    objective : float
        Objective of the last stage (the weighted sum, or in lexicographic
        mode the last part optimised) [objective units].
    objective_parts : mapping of str to float
        ``unserved`` [pupils, year-discounted], ``distance`` [pupil·m, or the
        instance's cost unit], ``cost`` [CNY] of the solution.
    best_bound : float
        Solver's best lower bound of the last stage [objective units].
    gap : float
        Relative gap of the last stage; the largest gap over stages in ``stages``.
    build_seconds : float
        Python time: building the PuLP model plus handing it to the solver [s].
    solve_seconds : float
        Time inside the solver, summed over stages [s].
    solver : str
    n_variables, n_constraints : int
    stages : tuple of StageReport
        Every solver call, in order (level by level with a budget round: both rounds).
    aggregation : mapping, optional
        How demand units were merged before the solve, per level, and the
        a-priori bound of the objective's change (:mod:`capacity.optimize.aggregate`);
        ``None`` without aggregation.
    """

    status: str
    objective: float
    objective_parts: Mapping[str, float]
    best_bound: float
    gap: float
    build_seconds: float
    solve_seconds: float
    solver: str
    n_variables: int
    n_constraints: int
    stages: tuple = ()
    aggregation: Mapping | None = None

    @classmethod
    def from_stages(cls, stages, objective: float, objective_parts, best_bound: float, *,
                    build_seconds: float, solver: str, n_variables: int, n_constraints: int,
                    gap: float | None = None, earlier=()) -> "SolveReport":
        """The report of a solve: status, gap and times from its solver calls (the one place they are computed).

        Parameters
        ----------
        stages : sequence of StageReport
            The solver calls whose solutions make up the result.
        objective, best_bound : float
            The result's objective (from its values) and a valid lower bound.
        objective_parts : mapping
        build_seconds : float
            Python time outside the solver calls; their transfer time is added [s].
        gap : float, optional
            A gap already certified (the largest stage gap of a lexicographic
            solve); default :func:`~capacity.optimize.solvers.relative_gap`
            of ``objective`` and ``best_bound``.
        earlier : sequence of StageReport
            Calls whose solutions were replaced (e.g. a first round): their
            time counts, their status does not.
        """
        calls = tuple(earlier) + tuple(stages)
        gap = relative_gap(objective, best_bound) if gap is None else float(gap)
        # optimal only when every call was and the certified gap is no wider than theirs: a union of
        # level plans re-solved under budget shares, judged against the budget-free bound, may not be
        proven = max((float(s.gap) for s in stages), default=0.0)
        status = "optimal" if all(s.status == "optimal" for s in stages) and gap <= proven + EPS else "feasible"
        return cls(status=status, objective=float(objective),
                   objective_parts={k: float(v) for k, v in dict(objective_parts).items()},
                   best_bound=float(best_bound), gap=gap,
                   build_seconds=build_seconds + sum(s.transfer_seconds for s in calls),
                   solve_seconds=sum(s.solve_seconds for s in calls), solver=solver,
                   n_variables=int(n_variables), n_constraints=int(n_constraints), stages=calls)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("status", "objective", "best_bound", "gap", "build_seconds",
                                           "solve_seconds", "solver", "n_variables", "n_constraints")}
        d["objective_parts"] = dict(self.objective_parts)
        if self.aggregation is not None:
            d["aggregation"] = dict(self.aggregation)
        return d


@dataclass(frozen=True)
class Solution:
    """A plan and how pupils are served.

    Attributes
    ----------
    opened : DataFrame
        One row per option built: ``level, facility, option, kind, label,
        seats, cost_cny, zone, open_year, ready_year`` (``open_year`` is the
        build (start) year, ``ready_year`` the year the seats first count).
        Closures and conversions are rows too: ``kind`` ``close`` or
        ``convert``, ``option`` −1, ``seats`` minus the seats that leave,
        ``cost_cny`` the conversion's cost, both years the closure year.
    assignments : DataFrame
        ``level, unit, facility, year, pupils, distance`` (pupils > 0 only).
    unserved : DataFrame
        ``level, unit, year, pupils`` (pupils > 0 only).
    report : SolveReport
    """

    opened: pd.DataFrame
    assignments: pd.DataFrame
    unserved: pd.DataFrame
    report: SolveReport


def extract(model: Model, values: np.ndarray, report: SolveReport) -> Solution:
    """Read the variable values into the tidy tables of a :class:`Solution`."""
    years, build = model.problem.years, model.problem.build_years
    opened, assigned, unserved = [], [], []
    for name, lc in model.levels.items():
        p = lc.prepared
        lv = p.level
        y = values[lc.open_cols()] > 0.5
        o = p.open_option[y]
        f = lv.options.facility[o]
        by = build[p.open_year[y]]
        opened.append(pd.DataFrame({
            "level": name, "facility": lv.facilities.ids[f], "option": o,
            "kind": np.where(lv.facilities.existing[f], "expand", "new"),
            "label": lv.options.label[o], "seats": lv.options.seats[o],
            "cost_cny": lv.options.cost_cny[o], "zone": lv.facilities.zone[f],
            "open_year": by, "ready_year": by + int(lv.lag_years)}))
        if lc.n_close:
            z = values[lc.close_cols()] > 0.5
            f = p.close_facility[z]
            kind = np.where(p.close_kind[z] == 1, "convert", "close")
            by = build[p.close_year[z]]
            conv_cost = (lv.closures.convert_cost_cny[f] if lv.closures is not None else np.zeros(f.size))
            opened.append(pd.DataFrame({
                "level": name, "facility": lv.facilities.ids[f], "option": -1, "kind": kind,
                "label": np.where(kind == "convert", f"to {lv.closures.convert_to}", "closed"),
                "seats": -p.seats_ft[f].max(axis=1), "cost_cny": np.where(kind == "convert", conv_cost, 0.0),
                "zone": lv.facilities.zone[f], "open_year": by, "ready_year": by}))
        w = values[lc.assign_cols()]
        a, t = p.assign_arc, p.assign_year
        pupils = lv.units.demand[p.arc_unit[a], t] * w
        k = pupils > EPS
        assigned.append(pd.DataFrame({
            "level": name, "unit": lv.units.ids[p.arc_unit[a][k]], "facility": lv.facilities.ids[p.arc_facility[a][k]],
            "year": years[t[k]], "pupils": pupils[k], "distance": p.arc_distance[a][k]}))
        s = values[lc.short_cols()] * lv.units.demand[p.short_unit, p.short_year]
        k = s > EPS
        unserved.append(pd.DataFrame({"level": name, "unit": lv.units.ids[p.short_unit[k]],
                                      "year": years[p.short_year[k]], "pupils": s[k]}))
    opened_df = pd.concat(opened, ignore_index=True)
    opened_df.attrs["units"] = {"seats": "pupils", "cost_cny": "CNY"}
    assign_df = pd.concat(assigned, ignore_index=True)
    assign_df.attrs["units"] = {"pupils": "pupils", "distance": "m (or instance cost unit)"}
    un_df = pd.concat(unserved, ignore_index=True)
    un_df.attrs["units"] = {"pupils": "pupils"}
    return Solution(opened_df, assign_df, un_df, report)
