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
