"""Write a back-test to a folder (an edge: files and a chart only).

``write_backtest(result, out_dir, zone_names)`` writes

* ``backtest.csv`` — ``origin, scope, measure, year, reported, projected,
  low, high, error`` (see :mod:`capacity.demography.backtest`);
* ``backtest_summary.json`` — per origin and measure: MAE, mean error,
  coverage of the 80 % band, mean band width; the zones left out and why;
  the same by years ahead; the spread calibrated on these errors when asked;
* ``backtest.png`` — projected paths with their 80 % bands and the reported
  points, per zone and for the city's births, one colour per origin.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from capacity.demography.backtest import COLUMNS


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if np.isnan(o) else float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_backtest(result, out_dir, zone_names=None, extra_summary=None) -> dict:
    """Write the back-test's table, summary and chart into ``out_dir``.

    Parameters
    ----------
    result : BacktestResult
    out_dir : str or Path
        An existing (temporary) folder.
    zone_names : mapping of str to str, optional
        Chart titles per zone id (e.g. "呈贡区 Chenggong District").
    extra_summary : dict, optional
        Merged into the summary (e.g. the calibrated spread, the scenario).

    Returns
    -------
    dict
        File kind → path written.
    """
    out = Path(out_dir)
    paths = {"table": out / "backtest.csv", "summary": out / "backtest_summary.json",
             "chart": out / "backtest.png"}
    result.table[COLUMNS].to_csv(paths["table"], index=False)
    summary = dict(result.summary)
    summary.update(extra_summary or {})
    with open(paths["summary"], "w", encoding="utf-8") as fh:
        json.dump(summary, fh, ensure_ascii=False, indent=2, default=_json_default)
    plot_backtest(result, paths["chart"], zone_names=zone_names)
    return {k: str(v) for k, v in paths.items()}


def plot_backtest(result, path, zone_names=None, ncol=4):
    """Small multiples: one panel per zone with reports, city population and city births.

    Each origin's projected path is a line, its 80 % band a shaded area, the
    reported figures after it dots of the same colour.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from capacity.plotting import style

    names = dict(zone_names or {})
    names.setdefault("city", "city 全市")
    table, paths = result.table, result.paths
    panels = [("city", "births"), ("city", "population")]
    panels += [(z, "population") for z in sorted(table.loc[table.scope != "city", "scope"].unique())]
    origins = sorted(paths.origin.unique())
    with style():
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        nrow = int(np.ceil(len(panels) / ncol))
        fig, axes = plt.subplots(nrow, ncol, figsize=(4 * ncol, 2.8 * nrow), squeeze=False)
        for ax, (scope, measure) in zip(axes.flat, panels):
            for k, origin in enumerate(origins):
                c = colors[k % len(colors)]
                p = paths[(paths.origin == origin) & (paths.scope == scope) & (paths.measure == measure)]
                if p.empty:
                    continue
                ax.fill_between(p.year, p.low, p.high, color=c, alpha=0.18, lw=0)
                ax.plot(p.year, p.projected, color=c, lw=1.4, label=f"origin {origin}")
                r = table[(table.origin == origin) & (table.scope == scope) & (table.measure == measure)]
                ax.plot(r.year, r.reported, "o", color=c, ms=3.5, mec="black", mew=0.4)
            title = names.get(scope, str(scope))
            ax.set_title(f"{title}: {'births 出生' if measure == 'births' else 'population 常住人口'}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.ticklabel_format(axis="y", style="sci", scilimits=(3, 3))
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        axes.flat[0].legend(fontsize=7)
        fig.suptitle("Back-test: projections from each origin (lines, 80 % bands) against reported figures (dots)",
                     fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)


def backtest_command(args, inputs) -> int:
    """``capacity backtest``: run, write whole or not at all, print the headline.

    Parameters
    ----------
    args : argparse.Namespace
        ``scenario, origin, draws, calibrate_spread, out, force, quiet``.
    inputs : (Scenario, CityData)
        The loaded scenario and its data folder.

    Returns
    -------
    int
        Exit status 0 (errors are raised as :class:`~capacity.errors.CapacityError`).
    """
    import time

    from capacity.demography.backtest import BacktestTables, backtest_from_runs, horizon_of, prepare_origin
    from capacity.demography.spread import calibrate_spread
    from capacity.errors import DataError, ScenarioError
    from capacity.io.atomic import output_folder

    scenario, city = inputs
    if args.draws < 10:
        raise ScenarioError(f"--draws: need at least 10 draws for an 80 % band, got {args.draws}", key="--draws")
    t0 = time.perf_counter()
    tables = BacktestTables.from_city(city)
    horizon = horizon_of(tables)
    origins = sorted(set(args.origin))
    first = int(tables.population["year"].min())
    for o in origins:
        if o < first or o >= horizon:
            raise DataError(f"--origin {o}: must be from {first} (first population figure) to {horizon - 1} "
                            f"(the year before the last reported figure, {horizon})",
                            path=city.path / "population.csv", column="year")
    runs = [prepare_origin(tables, scenario.projection, o, horizon) for o in origins]
    result = backtest_from_runs(runs, scenario.projection, args.draws)
    extra = {"scenario": scenario.name, "data": str(scenario.data), "draws": args.draws,
             "seed": scenario.projection.seed,
             "spread": {k: getattr(scenario.projection, k) for k in ("tfr_sigma", "tfr_rho", "migration_sigma",
                                                                     "migration_rho", "migration_zone_factor")}}
    if args.calibrate_spread:
        extra["calibrated_spread"] = calibrate_spread(runs, scenario.projection, draws=args.draws)
    names = {str(z): f"{a} {b}" for z, a, b in zip(city.zones["zone_id"], city.zones["name_local"],
                                                    city.zones["name_en"])}
    out = Path(args.out) if args.out else Path("outputs") / f"{scenario.name}-backtest"
    with output_folder(out, force=args.force) as tmp:
        write_backtest(result, tmp, zone_names=names, extra_summary=extra)
    if not args.quiet:
        print(format_summary(result.summary, time.perf_counter() - t0))
        if args.calibrate_spread:
            print("calibrated spread: " + ", ".join(f"{k} = {v['value']:g} (coverage {v['coverage']:.0%} of {v['n']})"
                                                    for k, v in extra["calibrated_spread"].items()))
    print(f"wrote {out}")
    return 0


def format_summary(summary, seconds=None) -> str:
    """A few lines a planner reads: per origin and measure, MAE, bias, coverage, band."""
    lines = [f"back-test{f' in {seconds:.1f} s' if seconds is not None else ''}: error = projected / reported − 1; "
             "band = 80 % of the draws"]
    for origin, o in summary["origins"].items():
        left = ", ".join(r["zone_id"] for r in o["left_out"]) or "none"
        lines.append(f"origin {origin} (base {o['base_year']}, {o['zones_projected']} zones; left out: {left})")
        for measure, s in o["measures"].items():
            lines.append(f"  {measure:<16} n={s['n']:>3}  MAE {s['mae']:6.1%}  mean {s['mean_error']:+6.1%}  "
                         f"inside band {s['coverage']:5.0%}  band ±{s['mean_band_width']:.1%}")
    a = summary["all"]
    lines.append(f"all: n={a['n']}, MAE {a['mae']:.1%}, inside band {a['coverage']:.0%}")
    return "\n".join(lines)
