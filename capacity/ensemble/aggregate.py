"""The ensemble's tables from the tasks' outcomes (pure).

* ``draws`` — per draw, plan (``baseline``, ``robust``, ``optimum``), level
  and year: demand, unserved pupils, seats, use of new schools, surplus
  seats; with the level's cost, objective and regret over the scenario's
  evaluation years repeated on each of its rows;
* ``draw_summary`` — per draw and plan, all levels: unserved pupils, cost,
  objective, regret (and its upper bound against the optimum's best bound);
* ``site_frequency`` — per candidate site (and expanded school): in how
  many draws' optimal plans it is built on (closures and conversions are
  not counted as choosing a site);
* ``unserved_quantiles`` — quantiles over draws of unserved pupils per
  plan, level and year (the fan chart).

Regret of a plan on a draw = the plan's objective on the draw − the best
objective known for the draw, same weights (:mod:`capacity.ensemble.evaluate`).
The best known is the draw's re-optimised plan, which starts from the
scenario's plan and so is normally at least as good as it; should a fixed
plan still score better on the draw (a re-optimisation stopped on its time
limit in a budget split where the start did not fit), that plan is the
reference instead (column ``reference``), so the regret of every plan is
≥ 0 over all levels. Per level it can be negative (levels trade budget).
``regret_upper`` (against the re-optimisation's best bound) is an upper
bound of the true regret.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity import LEVELS

PLANS = ("baseline", "robust", "optimum")


def _order(df, cols):
    key = {"plan": {p: i for i, p in enumerate(PLANS)}, "level": {lv: i for i, lv in enumerate(LEVELS)}}
    return df.sort_values(cols, key=lambda s: s.map(key[s.name]) if s.name in key else s,
                          kind="stable").reset_index(drop=True)


REL_TOL = 1e-9  # a fixed plan replaces the re-optimised one as reference only when better by more [share]


def reference_plans(objectives: pd.DataFrame) -> pd.Series:
    """Per draw, the plan with the best objective over all levels (``optimum`` unless beaten).

    Parameters
    ----------
    objectives : DataFrame
        ``draw, plan, level, objective`` rows of every plan.

    Returns
    -------
    Series
        Plan name indexed by draw.
    """
    tot = objectives.groupby(["draw", "plan"])["objective"].sum().unstack("plan")
    ref = pd.Series("optimum", index=tot.index, dtype=object)
    fixed = [p for p in tot.columns if p != "optimum"]
    if "optimum" not in tot.columns or not fixed:
        return ref
    best_fixed = tot[fixed].idxmin(axis=1)
    margin = REL_TOL * tot["optimum"].abs().clip(lower=1.0)
    beaten = tot[fixed].min(axis=1) < tot["optimum"] - margin
    ref[beaten] = best_fixed[beaten]
    return ref


def _reference_objective(obj: pd.DataFrame) -> pd.Series:
    ref = reference_plans(obj)
    return obj[obj["plan"].to_numpy() == obj["draw"].map(ref).to_numpy()].set_index(["draw", "level"])["objective"]


def draws_table(outcomes, fit_draws: int) -> pd.DataFrame:
    """Tidy per draw × plan × level × year table (see the module docstring)."""
    fig = pd.concat([o.figures for o in outcomes], ignore_index=True)
    obj = pd.concat([o.objectives for o in outcomes], ignore_index=True)
    best = _reference_objective(obj)
    obj["regret"] = obj["objective"] - best.reindex(pd.MultiIndex.from_frame(obj[["draw", "level"]])).to_numpy()
    out = fig.merge(obj[["draw", "plan", "level", "cost_cny", "objective", "regret"]],
                    on=["draw", "plan", "level"], how="left")
    out.insert(1, "fit", out["draw"] < fit_draws)
    cols = ["draw", "fit", "plan", "level", "year", "objective_year", "demand", "unserved", "seats",
            "new_seats", "new_pupils", "new_utilisation", "surplus_seats", "cost_cny", "objective", "regret"]
    out = _order(out[cols], ["draw", "plan", "level", "year"])
    out.attrs["units"] = {"demand": "pupils", "unserved": "pupils", "seats": "seats", "new_seats": "seats",
                          "new_pupils": "pupils", "new_utilisation": "share", "surplus_seats": "seats",
                          "cost_cny": "CNY", "objective": "objective units", "regret": "objective units"}
    return out


def draw_summary(outcomes, fit_draws: int) -> pd.DataFrame:
    """Per draw and plan, all levels (see the module docstring)."""
    obj = pd.concat([o.objectives for o in outcomes], ignore_index=True)
    fig = pd.concat([o.figures for o in outcomes], ignore_index=True)
    fig = fig[fig["objective_year"]]
    rep = pd.concat([o.reports for o in outcomes], ignore_index=True)
    g = obj.groupby(["draw", "plan"])[["unserved_weighted", "distance", "cost_cny", "objective"]].sum()
    g["unserved"] = fig.groupby(["draw", "plan"])["unserved"].sum().reindex(g.index)
    g = g.reset_index()
    ref = reference_plans(obj)
    best = g.set_index(["draw", "plan"])["objective"]
    rep_opt = rep[rep["plan"] == "optimum"].set_index("draw")
    g["reference"] = g["draw"].map(ref)
    g["regret"] = g["objective"] - best.reindex(pd.MultiIndex.from_frame(g[["draw", "reference"]])).to_numpy()
    g["regret_upper"] = g["objective"] - g["draw"].map(rep_opt["best_bound"])
    g = g.merge(rep[["draw", "plan", "status", "gap"]], on=["draw", "plan"], how="left")
    g.insert(1, "fit", g["draw"] < fit_draws)
    cols = ["draw", "fit", "plan", "unserved", "unserved_weighted", "distance", "cost_cny", "objective",
            "regret", "regret_upper", "reference", "status", "gap"]
    return _order(g[cols], ["draw", "plan"])


def site_frequency(opened: pd.DataFrame, n_draws: int, indexes: dict, plans: dict) -> pd.DataFrame:
    """How often each candidate site (and each expanded school) is chosen over the draws.

    Parameters
    ----------
    opened : DataFrame
        The draws' optimal plans: ``Solution.opened`` rows with ``draw``.
    n_draws : int
    indexes : dict of str to LevelIndex
        From :func:`capacity.optimize.problem_from_scenario` (ids, zones, x, y).
    plans : dict of str to DataFrame
        Fixed plans (``baseline``, ``robust``) flagged as ``in_<name>``.

    Returns
    -------
    DataFrame
        ``site_id, level, zone_id, kind, draws_chosen, frequency, mean_open_year,
        in_<plan>..., x, y`` (x, y in the metric CRS [m]); every candidate site,
        and the existing schools expanded in some plan.
    """
    builds = lambda df: df[~df["kind"].isin(("close", "convert"))] if "kind" in df else df  # noqa: E731
    opened, plans = builds(opened), {name: builds(p) for name, p in plans.items()}  # closures are not choices of a site
    parts = []
    for level, idx in indexes.items():
        op = opened[opened["level"] == level]
        chosen = op.groupby("facility").agg(draws_chosen=("draw", "nunique"), mean_open_year=("open_year", "mean"))
        flagged = {name: set(p.loc[p["level"] == level, "facility"]) for name, p in plans.items()}
        ever = set(chosen.index).union(*flagged.values()) if flagged else set(chosen.index)
        keep = ~idx.facility_existing | np.isin(idx.facility_ids, list(ever))
        f = pd.DataFrame({"site_id": idx.facility_ids[keep], "level": level,
                          "zone_id": idx.facility_zone[keep].astype(str),
                          "kind": np.where(idx.facility_existing[keep], "expand", "new"),
                          "x": idx.facility_xy[keep, 0], "y": idx.facility_xy[keep, 1]})
        f["draws_chosen"] = f["site_id"].map(chosen["draws_chosen"]).fillna(0).astype(int)
        f["frequency"] = f["draws_chosen"] / n_draws
        f["mean_open_year"] = f["site_id"].map(chosen["mean_open_year"])
        for name, ids in flagged.items():
            f[f"in_{name}"] = f["site_id"].isin(ids)
        parts.append(f)
    out = pd.concat(parts, ignore_index=True)
    cols = ["site_id", "level", "zone_id", "kind", "draws_chosen", "frequency", "mean_open_year"]
    cols += [c for c in out.columns if c.startswith("in_")] + ["x", "y"]
    out = out[cols]
    order = {lv: i for i, lv in enumerate(LEVELS)}
    out = out.sort_values(["level", "frequency", "site_id"], ascending=[True, False, True],
                          key=lambda s: s.map(order) if s.name == "level" else s, kind="stable")
    out.attrs["units"] = {"frequency": "share of draws", "x": "m", "y": "m"}
    return out.reset_index(drop=True)


def unserved_quantiles(draws: pd.DataFrame, quantiles) -> pd.DataFrame:
    """``plan, level, year, quantile, unserved`` over draws [pupils] (fixed plans: held-out draws for ``robust``)."""
    d = draws[(draws["plan"] != "robust") | ~draws["fit"]]
    q = (d.groupby(["plan", "level", "year"])["unserved"].quantile(list(quantiles))
         .rename("unserved").reset_index().rename(columns={"level_3": "quantile"}))
    return _order(q, ["plan", "level", "year", "quantile"])


def regret_summary(summary: pd.DataFrame, held_out) -> dict:
    """Mean, median and 90th percentile of regret per plan; ``held_out`` draws for the comparison."""
    out = {}
    for scope, sel in (("all_draws", summary), ("held_out", summary[summary["draw"].isin(list(held_out))])):
        out[scope] = {}
        for plan, g in sel[sel["plan"] != "optimum"].groupby("plan"):
            r = g["regret"].to_numpy(float)
            out[scope][plan] = {"draws": int(r.size), "mean": float(np.mean(r)), "median": float(np.median(r)),
                                "p90": float(np.quantile(r, 0.9)), "max": float(np.max(r)),
                                "mean_upper": float(g["regret_upper"].mean()),
                                "mean_unserved": float(g["unserved"].mean()),
                                "mean_cost_cny": float(g["cost_cny"].mean())}
    return out
