"""The ``capacity`` command line: thin wiring of the pipeline's stages.

Exit status: 0 ok; 1 bad input (data, scenario, or a usage error: an unknown
option, a bad value on the command line); 2 only an infeasible plan or a solver
failure. Errors print one
paragraph a planner can act on, naming the file and key, column or row.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from pathlib import Path

from capacity import __version__
from capacity.errors import CapacityError, CapacityWarning, DataError, UsageError

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
plan on the draws it was not fitted on). The scenario's plan is solved first (its levels in
parallel on this machine), or read from --plan (a `capacity run` folder: judge the plan
`capacity run` made at the scenario's own gap); every re-optimisation starts from it.
The robust plan is the best, on draws 0..K-1, of the scenario's plan and those draws'
re-optimised plans (assignment LPs; no extra MILP). A fixed plan's closures and
conversions hold on every draw. Defaults are chosen so that --draws 6 on Kunming's
four levels finishes in about 15 minutes on 2 cores (benchmarks/README.md, "Ensemble").""",
    "sweep": """\
examples:
  capacity sweep scenarios/baseline.toml scenarios/tight_budget.toml --out outputs/sweep
  capacity sweep scenarios/*.toml --out outputs/sweep --workers 2 --no-report
  capacity sweep a.toml b.toml --out outputs/ab --scheduler tcp://10.0.0.5:8786
  capacity sweep a.toml b.toml --out outputs/ab-serial --serial --force

Every scenario file is checked first (a bad file, or two files with one scenario name, stop
the sweep before anything runs). Scenarios, and each scenario's level solves, run as Dask tasks
on a local cluster (one single-threaded worker per core) unless --serial or --scheduler is
given; serial and Dask give the same plans. Writes OUT/<scenario name>/ exactly as
'capacity run' would (each folder whole or not at all) and OUT/sweep.csv, OUT/sweep.xlsx:
one row per scenario (status, gap, objective, new/expanded/closed/converted schools per
level, cost, unserved pupils in the target year, targets met). Exit 2 when a scenario had
no feasible plan (the others are still written).""",
    "report": """\
examples:
  capacity report outputs/baseline            report of a run made with outputs.report = false
  capacity report outputs/baseline --force --format gpkg --format shp
  capacity report outputs/baseline --lang en --pdf    the report in English, and report.pdf""",
    "backtest": """\
examples:
  capacity backtest scenarios/baseline.toml --origin 2020 --origin 2021 --origin 2022 --out outputs/backtest
  capacity backtest scenarios/baseline.toml --origin 2020 --calibrate-spread --out outputs/bt --force

For each origin, the scenario's projection is made from the data up to that year only and compared
with every figure reported after it. Writes backtest.csv, backtest_summary.json and backtest.png.""",
    "import": """\
examples:
  capacity import examples/bureau/import.toml --out data/example
  capacity import bureau/import.toml --out data/mycity --force     replace an earlier import

The spec maps a bureau's files (Excel register, shapefiles in GBK, a population GeoTIFF, roads;
WGS84, CGCS2000, Gauss-Kruger, GCJ-02 or BD-09) onto a data folder; its keys are in
data/README.md. The folder is validated before it is written; SOURCES.md names every file
with its SHA-256.""",
    "export": """\
examples:
  capacity export outputs/baseline --format shp
  capacity export outputs/baseline --format geojson --out outputs/baseline-geojson""",
}


def _whole(low: int, high: int | None = None, what: str = "a whole number"):
    """An argparse type: a whole number in [low, high], with a message naming the rule."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value < low or (high is not None and value > high):
            rule = f"≥ {low}" if high is None else f"between {low} and {high}"
            raise argparse.ArgumentTypeError(f"{text!r} must be {rule}")
        return value
    return parse


def _real(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False):
    """An argparse type: a finite number in the given (half-)open or closed range."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        ok = ((value > low if low_open else value >= low)
              and (high is None or (value < high if high_open else value <= high)))
        if not ok:
            left, right = "(" if low_open else "[", ")" if high_open or high is None else "]"
            raise argparse.ArgumentTypeError(f"{text!r} must be in {left}{low:g}, "
                                             f"{'∞' if high is None else f'{high:g}'}{right}")
        return value
    return parse


YEAR = _whole(1900, 2100, "a year")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 1 like any bad input (argparse
    exits 2, which this command reserves for an infeasible plan or a solver
    failure). Sub-command parsers inherit it."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message}; see '{self.prog} --help'")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="capacity",
        description="School-place capacity planning: population projection, seats needed "
                    "per level, and where, when and how big new schools should be.",
        epilog="Run 'capacity COMMAND --help' for a command's options and examples.\n\n"
               "Exit status: 0 ok; 1 bad input (data, scenario, or a usage error: an unknown\n"
               "option, a bad value on the command line); 2 only an infeasible plan or a\n"
               "solver failure.",
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
        if name == "run":
            p.add_argument("--lang", choices=("zh", "en"),
                           help="language of the report, workbook headers and map labels "
                                "(default: the scenario's outputs.language)")

    p = command("import", "Make a data folder from a bureau's own files, as an import spec maps them.")
    p.add_argument("spec", type=Path, help="import spec (TOML), e.g. examples/bureau/import.toml")
    p.add_argument("--out", type=Path, required=True, help="the data folder to write, e.g. data/<city>")
    p.add_argument("--force", action="store_true",
                   help="replace the folder if an earlier 'capacity import' wrote it")

    p = command("verify", "Re-check a written plan from its output files: counts, land, budgets, "
                          "capacities, distances, zones, pupils conserved.")
    p.add_argument("run", type=Path, help="a run output folder")

    p = command("rollover", "Make the next plan's data folder from a run: its new schools become existing "
                            "(provenance planned), expansions add seats, closures leave, used sites leave, "
                            "the base year moves to the plan's end.")
    p.add_argument("run", type=Path, help="a run output folder")
    p.add_argument("--out", type=Path, required=True, help="the data folder to write, e.g. data/kunming_2026")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("compare", "Compare the headline figures and chosen sites of several runs.")
    p.add_argument("runs", type=Path, nargs="+", help="run output folders (two or more)")
    p.add_argument("--out", type=Path, help="output folder for the comparison")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("ensemble", "Judge a scenario's plan against many demographic draws, re-optimise each draw, "
                            "and fit a plan robust to them (on Dask).")
    p.add_argument("scenario", type=Path, help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--draws", type=_whole(1), default=20, help="demographic draws N (default 20)")
    p.add_argument("--seed", type=_whole(0), help="seed of the draws (default: the scenario's projection.seed)")
    p.add_argument("--fit-draws", type=_whole(0), help="K: fit the robust plan on draws 0..K-1, judge it on the "
                                                 "rest (default min(5, N/2); 0: no robust plan)")
    p.add_argument("--robust", choices=("expected", "worst"), default="expected",
                   help="robust objective: expected value over the K draws, or the worst draw")
    p.add_argument("--time-limit", type=_real(0, low_open=True),
                   help="seconds per level solve of a re-optimisation (default: 720 s / (draws x levels), "
                        "between 10 and 300 s: 30 s for 6 draws of 4 levels); the scenario's own plan gets "
                        "4 times that (at most its solver.time_limit_s)")
    p.add_argument("--gap", type=_real(0, 1, high_open=True),
                   help="relative MIP gap per solve (default 2 %%; the scenario's own plan: the larger of this "
                        "and its solver.mip_gap)")
    p.add_argument("--fan-years", choices=("all", "evaluation"), default="all",
                   help="years the fixed plans are evaluated in for the fan chart (default: every year "
                        "between the first and last evaluation year)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=_whole(1), help="workers of the local cluster (default: the cores)")
    p.add_argument("--plan", type=Path, metavar="RUN_DIR_OR_CSV",
                   help="judge this plan (a `capacity run` folder or its plan.csv) instead of solving the "
                        "scenario's plan again")
    p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario name>-ensemble)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("sweep", "Run many scenarios side by side, as Dask tasks: a run folder each and a "
                         "table of their headline figures.")
    p.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO", help="scenario TOML files")
    p.add_argument("--out", type=Path, required=True, help="the sweep's folder: OUT/<scenario name>/, OUT/sweep.csv")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process, no Dask")
    where.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=_whole(1), help="workers of the local cluster (default: the cores)")
    p.add_argument("--report", action=argparse.BooleanOptionalAction, default=None,
                   help="make each run's report (default: each scenario's outputs.report)")
    p.add_argument("--force", action="store_true", help="replace the sweep's folder and run folders if they exist")

    p = command("backtest", "Rolling-origin back-test of the projection: project from the data up to each "
                            "origin year, compare with what was reported later.")
    p.add_argument("scenario", type=Path, help="scenario TOML file, e.g. scenarios/baseline.toml")
    p.add_argument("--origin", type=YEAR, action="append", required=True, metavar="YEAR",
                   help="last year of data used (repeat for several origins)")
    p.add_argument("--draws", type=_whole(1), default=500, help="stochastic draws per origin for the 80 %% band (default 500)")
    p.add_argument("--calibrate-spread", action="store_true",
                   help="also find the draws' spread (tfr_sigma, migration_sigma, migration_zone_factor) whose "
                        "80 %% bands cover 80 %% of these figures, and record it in the summary")
    p.add_argument("--out", type=Path, help="output folder (default: outputs/<scenario name>-backtest)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("export", "Write a run's GIS layers in another format.")
    p.add_argument("run", type=Path, help="a run output folder")
    p.add_argument("--format", required=True, choices=("gpkg", "geojson", "shp"), help="GIS format")
    p.add_argument("--out", type=Path, help="output folder (default: RUN/gis-FORMAT)")
    p.add_argument("--force", action="store_true", help="replace the output folder if it exists")

    p = command("report", "Make the report of a run folder (schedule, maps, GIS layers, report.html) "
                          "and write it into that folder.")
    p.add_argument("run", type=Path, help="a run output folder")
    p.add_argument("--format", action="append", choices=("gpkg", "geojson", "shp"),
                   help="GIS format (repeatable; default: the scenario's outputs.formats)")
    p.add_argument("--force", action="store_true", help="make the report again when the folder has one")
    p.add_argument("--lang", choices=("zh", "en"),
                   help="language of the report, workbook headers and map labels (default: the scenario's "
                        "outputs.language); remakes the report")
    p.add_argument("--pdf", action="store_true",
                   help="also print report.pdf with headless Chromium (must be installed); remakes the report")
    return parser


def _say_error(exc: CapacityError) -> None:
    kind = {1: "bad input", 2: "no feasible plan / solver failure"}.get(exc.exit_status, "error")
    text = textwrap.fill(str(exc), width=100, subsequent_indent="  ")
    print(f"capacity: {kind}: {text}", file=sys.stderr)


# What makes a folder the output of ``capacity run`` (for verify, compare, export).
RUN_MARKERS = ("summary.json", "plan.csv")


def _check_paths(args) -> None:
    """Check the paths a command was given before any work: an explicit ``--out``
    that cannot become an output folder, and run folders that are not runs."""
    # import and rollover write data folders and check their own --out
    if getattr(args, "out", None) is not None and args.command not in ("import", "rollover"):
        from capacity.io.atomic import check_output_target

        check_output_target(args.out, getattr(args, "force", False))
    _check_run_folders(args)


def _check_run_folders(args) -> None:
    """Raise :class:`DataError` when a command that reads run folders is given
    something else: a missing path, a file, or a folder without a run's files."""
    one_run = ("verify", "export", "report", "rollover")
    folders = ([args.run] if args.command in one_run else
               list(args.runs) if args.command == "compare" else [])
    for folder in map(Path, folders):
        if not folder.exists():
            raise DataError("no such run folder", path=folder)
        if not folder.is_dir():
            raise DataError("is a file; expected a run folder written by 'capacity run'", path=folder)
        lacking = [name for name in RUN_MARKERS if not (folder / name).is_file()]
        if lacking:
            raise DataError(f"not a run folder: it lacks {', '.join(lacking)} "
                            "(give a folder written by 'capacity run')", path=folder)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings of this package as one line a planner reads; others as Python shows them."""
    if issubclass(category, CapacityWarning):
        print(f"capacity: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv=None) -> int:
    """Entry point of the ``capacity`` console script; returns the exit status."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", CapacityWarning)
        warnings.showwarning = _show_warning
        return _main(argv)


def _main(argv) -> int:
    try:
        args = _parser().parse_args(argv)
        _check_paths(args)
        if args.command == "sweep":
            from capacity.sweep import cmd_sweep

            return cmd_sweep(args)
        from capacity import commands

        return getattr(commands, f"cmd_{args.command}")(args)
    except CapacityError as exc:
        _say_error(exc)
        return exc.exit_status
    except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        # a path the user gave cannot be read or written; name it, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"capacity: bad input: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("capacity: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
