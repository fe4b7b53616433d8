"""The ``capacity`` command line: thin wiring of the pipeline's stages.

Exit status: 0 ok; 1 bad input (data or scenario); 2 solver failure or an
infeasible plan. Errors print one paragraph a planner can act on.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from capacity import __version__
from capacity.errors import CapacityError

EPILOG = {
    "validate": """\
examples:
  capacity validate data/kunming              check a data folder, print its summary
  capacity validate scenarios/baseline.toml   check a scenario and the data it names""",
    "project": """\
examples:
  capacity project scenarios/baseline.toml --out outputs/baseline-projection
  capacity project scenarios/low_fertility.toml --out outputs/lowfert --force""",
    "run": """\
examples:
  capacity run scenarios/baseline.toml --out outputs/baseline
  capacity run scenarios/tight_budget.toml --out outputs/tight --force --quiet""",
    "verify": """\
examples:
  capacity verify outputs/baseline     re-check a written plan from its files alone""",
    "compare": """\
examples:
  capacity compare outputs/baseline outputs/tight --out outputs/compare""",
    "ensemble": """\
examples:
  capacity ensemble scenarios/baseline.toml --draws 20 --out outputs/ensemble
  capacity ensemble scenarios/baseline.toml --draws 20 --plan outputs/baseline --time-limit 60
  capacity ensemble scenarios/baseline.toml --draws 8 --serial --seed 7 --out outputs/ens-serial
  capacity ensemble scenarios/baseline.toml --draws 50 --scheduler tcp://10.0.0.5:8786 --time-limit 120

Draws run on a local Dask cluster (one single-threaded worker per core) unless --serial or
--scheduler is given; the same --seed gives the same tables on each. Writes draws.csv,
draw_summary.csv, site_frequency.csv, ensemble.gpkg, fan_unserved.png,
map_site_frequency.png and summary.json (regret of the scenario's plan and of a robust
plan on the draws it was not fitted on). The scenario's plan is solved first with the
scenario's own limit and gap, or read from --plan (a `capacity run` folder); every
re-optimisation and the robust fit start from it.""",
    "export": """\
examples:
  capacity export outputs/baseline --format shp
  capacity export outputs/baseline --format geojson --out outputs/baseline-geojson""",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="capacity",
        description="School-place capacity planning: population projection, seats needed "
                    "per level, and where, when and how big new schools should be.",
        epilog="Run 'capacity COMMAND --help' for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"capacity {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG.get(name),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--quiet", "-q", action="store_true", help="print only errors and the final line")
        return p

    p = command("validate", "Check a data folder or a scenario file and print a summary.")
    p.add_argument("path", type=Path, help="a data folder (data/<city>) or a scenario (.toml)")

    for name, text in (("project", "Project population and seats needed per zone, level and year."),
                       ("run", "Run a scenario end to end: projection, demand, site-and-timing plan, outputs.")):
        p = command(name, text)
        p.add_argument("scenario", type=Path, help="scenario TOML file, e.g. scenarios/baseline.toml")
        p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario name>)")
        p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("verify", "Re-check a written plan from its output files: counts, land, budgets, "
                          "capacities, distances, zones, pupils conserved.")
    p.add_argument("run", type=Path, help="a run output folder")

    p = command("compare", "Compare the headline figures and chosen sites of several runs.")
    p.add_argument("runs", type=Path, nargs="+", help="run output folders (two or more)")
    p.add_argument("--out", type=Path, help="output folder for the comparison")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("ensemble", "Judge a scenario's plan against many demographic draws, re-optimise each draw, "
                            "and fit a plan robust to them (on Dask).")
    p.add_argument("scenario", type=Path, help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--draws", type=int, default=20, help="demographic draws N (default 20)")
    p.add_argument("--seed", type=int, help="seed of the draws (default: the scenario's projection.seed)")
    p.add_argument("--fit-draws", type=int, help="K: fit the robust plan on draws 0..K-1, judge it on the "
                                                 "rest (default min(5, N/2); 0: no robust plan)")
    p.add_argument("--robust", choices=("expected", "worst"), default="expected",
                   help="robust objective: expected value over the K draws, or the worst draw")
    p.add_argument("--time-limit", type=float, help="seconds per re-optimisation (the robust fit gets K times "
                                                    "that; default: the scenario's solver.time_limit_s)")
    p.add_argument("--gap", type=float, help="relative MIP gap per solve (default: the scenario's solver.mip_gap)")
    p.add_argument("--fan-years", choices=("all", "evaluation"), default="all",
                   help="years the fixed plans are evaluated in for the fan chart (default: every year "
                        "between the first and last evaluation year)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=int, help="workers of the local cluster (default: the cores)")
    p.add_argument("--plan", type=Path, metavar="RUN_DIR_OR_CSV",
                   help="judge this plan (a `capacity run` folder or its plan.csv) instead of solving the "
                        "scenario's plan again")
    p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario name>-ensemble)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("export", "Write a run's GIS layers in another format.")
    p.add_argument("run", type=Path, help="a run output folder")
    p.add_argument("--format", required=True, choices=("gpkg", "geojson", "shp"), help="GIS format")
    p.add_argument("--out", type=Path, help="output folder (default: RUN/gis-FORMAT)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")
    return parser


def _say_error(exc: CapacityError) -> None:
    kind = {1: "bad input", 2: "no feasible plan / solver failure"}.get(exc.exit_status, "error")
    text = textwrap.fill(str(exc), width=100, subsequent_indent="  ")
    print(f"capacity: {kind}: {text}", file=sys.stderr)


def main(argv=None) -> int:
    """Entry point of the ``capacity`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    from capacity import commands

    try:
        return getattr(commands, f"cmd_{args.command}")(args)
    except CapacityError as exc:
        _say_error(exc)
        return exc.exit_status
    except BrokenPipeError:  # output piped into e.g. `head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("capacity: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
