"""Every malformed input a planner can produce: exit 1, a message naming the file
and the key / column / row, no traceback, nothing written, inputs untouched.

One table, one test. Each case copies the tiny city (``tests/conftest.py``),
breaks one thing the way a planner would (Excel saving GBK, a slipped digit, a
percentage for a share, a misspelt zone, a wrong option), runs the ``capacity``
command line in-process and checks:

* the exit status is 1 (2 is for infeasible plans and solver failures only);
* stderr names the file and the key, column or row: each expected name must
  appear as a whole token (``line 3`` does not match ``line 30``; ``'year'`` is
  quoted so it does not match ``base_year``);
* stderr holds no Python traceback;
* ``--out`` was not created and no temporary folder is left beside it;
* every input file has the same bytes as before.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from capacity.cli import main

RUN = ["run", "tiny.toml", "--out", "out"]
VALIDATE = ["validate", "tiny"]


# ---------------------------------------------------------------- ways to break a copy
def replace(name, old, new):
    """Replace text ``old`` (which must be there) by ``new`` in file ``name``."""
    def edit(ws: Path):
        path = ws / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def append(name, text):
    def edit(ws: Path):
        with open(ws / name, "a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return edit


def prepend(name, text):
    def edit(ws: Path):
        path = ws / name
        path.write_text(text + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    return edit


def write(name, content: bytes | str):
    def edit(ws: Path):
        path = ws / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return edit


def recode(name, encoding, old=None, new=None):
    """Save ``name`` in another encoding (after an optional text replacement)."""
    def edit(ws: Path):
        path = ws / name
        text = path.read_text(encoding="utf-8")
        if old is not None:
            assert old in text
            text = text.replace(old, new, 1)
        path.write_bytes(text.encode(encoding))
    return edit


def cell(name, row, column, value):
    """Set one cell of a CSV table (row 0 is CSV line 2)."""
    def edit(ws: Path):
        path = ws / "tiny" / name
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[row, column] = value
        frame.to_csv(path, index=False)
    return edit


def header(name, old, new):
    """Rename a column in a CSV header."""
    def edit(ws: Path):
        path = ws / "tiny" / name
        lines = path.read_text(encoding="utf-8").split("\n")
        cols = lines[0].split(",")
        assert old in cols
        lines[0] = ",".join(new if c == old else c for c in cols)
        path.write_text("\n".join(lines), encoding="utf-8")
    return edit


def feature(name, row, column, value):
    """Set one attribute of a GeoPackage layer (row 0 is feature 1)."""
    def edit(ws: Path):
        path = ws / "tiny" / name
        layer = gpd.read_file(path, layer=name[:-5], engine="pyogrio")
        if column in layer.columns and layer[column].dtype != object and isinstance(value, str):
            layer[column] = layer[column].astype(object)
        layer.loc[row, column] = value
        path.unlink()
        layer.to_file(path, layer=name[:-5], driver="GPKG", engine="pyogrio")
    return edit


def rename_layer_column(name, old, new):
    def edit(ws: Path):
        path = ws / "tiny" / name
        layer = gpd.read_file(path, layer=name[:-5], engine="pyogrio").rename(columns={old: new})
        path.unlink()
        layer.to_file(path, layer=name[:-5], driver="GPKG", engine="pyogrio")
    return edit


def empty_layer(name):
    def edit(ws: Path):
        path = ws / "tiny" / name
        layer = gpd.read_file(path, layer=name[:-5], engine="pyogrio").iloc[:0]
        path.unlink()
        layer.to_file(path, layer=name[:-5], driver="GPKG", engine="pyogrio")
    return edit


def both(*edits):
    def edit(ws: Path):
        for e in edits:
            e(ws)
    return edit


def nothing(ws: Path):
    pass


def mkdir(name):
    return lambda ws: (ws / name).mkdir()


D = "tiny/"  # data folder inside the workspace
POP, BIRTHS, AGES, ENROL = "population.csv", "births.csv", "age_structure.csv", "enrolment.csv"
SCHOOLS, SITES, UNITS, ZONES = "schools.gpkg", "candidate_sites.gpkg", "demand_units.gpkg", "zones.gpkg"

# id, how to break the copy, command line, names the message must contain
CASES = [
    # ---- files a planner edits in Excel / Notepad: empty, wrong encoding, not text
    ("empty-csv", write(D + BIRTHS, b""), VALIDATE, ["births.csv", "empty"]),
    ("blank-csv", write(D + POP, "\n \n"), VALIDATE, ["population.csv", "empty"]),
    ("csv-in-gbk", recode(D + ENROL, "gbk", "synthetic,tiny\ncity", "synthetic,小城\ncity"), VALIDATE,
     ["enrolment.csv", "line 2", "UTF-8", "GBK"]),
    ("xlsx-saved-as-csv", write(D + AGES, b"PK\x03\x04\x14\x00\x06\x00binary"), VALIDATE,
     ["age_structure.csv", "Excel"]),
    ("csv-semicolons", lambda ws: (ws / D / BIRTHS).write_text(
        (ws / D / BIRTHS).read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8"), VALIDATE,
     ["births.csv", "';'"]),
    ("csv-ragged-row", append(D + POP, "100002,2024,year_end,10100,0.4,synthetic,tiny,extra,cells"), VALIDATE,
     ["population.csv", "line 5", "9 cells"]),
    ("city-toml-in-gbk", recode(D + "city.toml", "gbk"), VALIDATE, ["city.toml", "line 2", "UTF-8", "GBK"]),
    ("standards-in-gbk", recode(D + "standards.toml", "gbk", "invented values", "虚构"), VALIDATE,
     ["standards.toml", "UTF-8", "GBK"]),
    ("scenario-in-gbk", recode("tiny.toml", "gbk", 'name = "tiny"', 'name = "小城"'), RUN,
     ["tiny.toml", "line 1", "UTF-8", "GBK"]),
    ("scenario-utf16-damaged", write("tiny.toml", b"\xff\xfe" + b"n\x00a\x00\x00\xd8"), RUN,
     ["tiny.toml", "UTF-16"]),
    ("city-toml-syntax", append(D + "city.toml", "plan = [unclosed"), VALIDATE, ["city.toml", "not valid TOML"]),
    ("scenario-syntax", append("tiny.toml", "[solver]\ntime_limit_s = 60 s\n"), RUN,
     ["tiny.toml", "not valid TOML", "line 16"]),
    ("missing-file", lambda ws: (ws / D / ENROL).unlink(), VALIDATE, ["enrolment.csv", "file not found"]),
    ("file-is-a-folder", lambda ws: ((ws / D / BIRTHS).unlink(), (ws / D / BIRTHS).mkdir()), VALIDATE,
     ["births.csv", "is a folder"]),
    # ---- headers that differ by case, spaces or a letter
    ("header-case", header(POP, "persons", "Persons"), VALIDATE, ["population.csv", "persons", "'Persons'"]),
    ("header-trailing-space", header(BIRTHS, "births", "births "), VALIDATE, ["births.csv", "births", "'births '"]),
    ("header-words", header(POP, "zone_id", "Zone ID"), VALIDATE, ["population.csv", "zone_id", "'Zone ID'"]),
    ("header-typo", header(ENROL, "pupils", "pupil"), VALIDATE, ["enrolment.csv", "pupils", "'pupil'"]),
    ("header-repeated", header(BIRTHS, "source_id", "births"), VALIDATE, ["births.csv", "births", "repeats"]),
    ("layer-column-case", rename_layer_column(SCHOOLS, "seats", "Seats"), VALIDATE,
     ["schools.gpkg", "seats", "'Seats'"]),
    # ---- values outside any plausible range
    ("year-20118", cell(POP, 1, "year", "20118"), VALIDATE, ["population.csv", "column 'year'", "line 3", "20118"]),
    ("year-1800", cell(BIRTHS, 0, "year", "1800"), VALIDATE, ["births.csv", "column 'year'", "line 2"]),
    ("age-above-100", cell(AGES, 2, "age_to", "120"), VALIDATE, ["age_structure.csv", "column 'age_to'", "line 4"]),
    ("age-band-reversed", cell(AGES, 1, "age_from", "70"), VALIDATE,
     ["age_structure.csv", "column 'age_from'", "line 3"]),
    ("population-1e15", cell(POP, 0, "persons", "1e15"), VALIDATE,
     ["population.csv", "column 'persons'", "line 2"]),
    ("zone-without-residents", cell(POP, 1, "persons", "0"), VALIDATE,
     ["population.csv", "column 'persons'", "line 3", "100002"]),
    ("share-above-1", cell(POP, 1, "urban_share", "1.4"), VALIDATE,
     ["population.csv", "column 'urban_share'", "line 3"]),
    ("share-as-percent", cell(POP, 0, "urban_share", "90"), VALIDATE,
     ["population.csv", "column 'urban_share'", "line 2"]),
    ("births-1e9", cell(BIRTHS, 1, "births", "1e9"), VALIDATE, ["births.csv", "column 'births'", "line 3"]),
    ("pupils-1e12", cell(ENROL, 0, "pupils", "1e12"), VALIDATE, ["enrolment.csv", "column 'pupils'", "line 2"]),
    ("schools-negative", cell(ENROL, 1, "schools", "-2"), VALIDATE, ["enrolment.csv", "column 'schools'", "line 3"]),
    ("births-not-a-number", cell(BIRTHS, 0, "births", "3万"), VALIDATE,
     ["births.csv", "column 'births'", "line 2", "'3万'"]),
    ("seats-1e6", feature(SCHOOLS, 2, "seats", 1e6), VALIDATE, ["schools.gpkg", "column 'seats'", "feature 3"]),
    ("land-1e9", feature(SCHOOLS, 0, "land_m2", 1e9), VALIDATE, ["schools.gpkg", "column 'land_m2'", "feature 1"]),
    ("site-year-20251", feature(SITES, 4, "available_from", 20251), VALIDATE,
     ["candidate_sites.gpkg", "column 'available_from'", "feature 5"]),
    ("cost-factor-100", feature(SITES, 8, "cost_factor", 100.0), VALIDATE,
     ["candidate_sites.gpkg", "column 'cost_factor'", "feature 9"]),
    ("unit-population-1e15", feature(UNITS, 5, "population", 1e15), VALIDATE,
     ["demand_units.gpkg", "column 'population'", "feature 6"]),
    ("level-misspelt", feature(SCHOOLS, 1, "level", "kindergarden"), VALIDATE,
     ["schools.gpkg", "column 'level'", "feature 2"]),
    ("no-zones", empty_layer(ZONES), VALIDATE, ["zones.gpkg", "no features"]),
    ("base-year-20118", replace(D + "city.toml", "base_year = 2023", "base_year = 20118"), VALIDATE,
     ["city.toml", "'base_year'"]),
    ("metric-crs-missing", replace(D + "city.toml", 'metric_crs = "EPSG:4543"\n', ""), VALIDATE,
     ["city.toml", "'metric_crs'"]),
    ("city-key-case", replace(D + "city.toml", "base_year = 2023", "Base_Year = 2023"), VALIDATE,
     ["city.toml", "'base_year'", "'Base_Year'"]),
    ("metric-crs-degrees", replace(D + "city.toml", "EPSG:4543", "EPSG:4326"), VALIDATE,
     ["city.toml", "'metric_crs'", "geographic"]),
    ("class-size-450", replace(D + "standards.toml", "class_size = 45", "class_size = 450"), VALIDATE,
     ["standards.toml", "'levels.primary.class_size'"]),
    ("target-as-percent", replace(D + "standards.toml", "enrolment_target = 0.98", "enrolment_target = 98"),
     VALIDATE, ["standards.toml", "'levels.primary.enrolment_target'"]),
    ("walk-in-km", replace(D + "standards.toml", "walk_standard_m = 300", "walk_standard_m = 0.3"), VALIDATE,
     ["standards.toml", "'levels.kindergarten.walk_standard_m'"]),
    ("standards-level-misspelt", replace(D + "standards.toml", "[levels.middle]", "[levels.midle]"), VALIDATE,
     ["standards.toml", "'levels.midle'", "'middle'"]),
    ("standards-key-case", replace(D + "standards.toml", "floor_m2_per_pupil = 10\nwalk_standard_m = 2000",
                                   "Floor_m2_per_pupil = 10\nwalk_standard_m = 2000"), VALIDATE,
     ["standards.toml", "'levels.high.Floor_m2_per_pupil'", "'floor_m2_per_pupil'"]),
    ("class-size-by-age-outside-band", replace(D + "standards.toml", "5 = 35 }", "5 = 35, 6 = 40 }"), VALIDATE,
     ["standards.toml", "'levels.kindergarten.class_size_by_age.6'"]),
    # ---- scenario keys naming what the data lacks, years the projection does not reach
    ("migration-unknown-zone", append("tiny.toml", "[projection.migration_rate]\nmohan = 0.04\n"), RUN,
     ["tiny.toml", "'projection.migration_rate.mohan'"]),
    ("tfr-factor-unknown-zone", append("tiny.toml", "[projection.tfr_zone_factor]\n100003 = 1.1\n"), RUN,
     ["tiny.toml", "'projection.tfr_zone_factor.100003'"]),
    ("zone-rule-unknown-zone", append("tiny.toml", '[[plan.zone_rules]]\nzone = "10001"\nlevel = "primary"\nmin = 1\n'),
     RUN, ["tiny.toml", "'plan.zone_rules[0].zone'"]),
    ("zone-rule-unknown-level", append("tiny.toml", '[[plan.zone_rules]]\nzone = "100001"\nlevel = "secondary"\n'),
     RUN, ["tiny.toml", "'plan.zone_rules[0].level'"]),
    ("protected-unknown-school", replace("tiny.toml", "[plan]\n", '[plan]\nprotected_schools = ["p1", "p9"]\n'),
     RUN, ["tiny.toml", "'plan.protected_schools[1]'", "'p9'"]),
    ("anchor-unknown-level", append("tiny.toml", '[projection]\npupil_anchor_levels = ["primry"]\n'), RUN,
     ["tiny.toml", "'projection.pupil_anchor_levels[0]'", "'primary'"]),
    ("operating-cost-slip", append("tiny.toml", "[plan.operating_cost_cny_per_pupil]\nprimary = 1.2e9\n"), RUN,
     ["tiny.toml", "'plan.operating_cost_cny_per_pupil.primary'"]),
    ("lag-years-slip", append("tiny.toml", "[plan.lag_years_by_level]\nhigh = 30\n"), RUN,
     ["tiny.toml", "'plan.lag_years_by_level.high'"]),
    ("standards-unknown-level", append("tiny.toml", "[standards.kindergarden]\nclass_size = 30\n"), RUN,
     ["tiny.toml", "'standards.kindergarden'", "'kindergarten'"]),
    ("demand-target-unknown-level", append("tiny.toml", "[demand.enrolment_targets]\nprimery = 0.99\n"), RUN,
     ["tiny.toml", "'demand.enrolment_targets.primery'", "'primary'"]),
    ("demand-module-unknown-level", append("tiny.toml", "[demand.module_classes]\nsenior = 24\n"), RUN,
     ["tiny.toml", "'demand.module_classes.senior'"]),
    ("totals-unknown-level", replace("tiny.toml", "primary = 1", "primary = 1\nhigh_school = 1"), RUN,
     ["tiny.toml", "'plan.totals'", "high_school"]),
    ("standards-ages-overlap", append("tiny.toml", "[standards.primary]\nages = [5, 11]\n"), RUN,
     ["tiny.toml", "'standards.primary.ages'", "overlap"]),
    ("demand-bands-overlap", append("tiny.toml", "[demand.bands]\nkindergarten = [3, 7]\n"), RUN,
     ["tiny.toml", "'demand.bands.kindergarten'", "overlap"]),
    ("planned-level-without-demand", append("tiny.toml", '[demand]\nlevels = ["kindergarten", "primary"]\n'), RUN,
     ["tiny.toml", "'plan.levels[2]'", "'middle'"]),
    ("evaluation-past-horizon", replace("tiny.toml", "[2025, 2030]", "[2025, 2045]"), RUN,
     ["tiny.toml", "'plan.evaluation_years[1]'", "2045", "2040"]),
    ("build-year-past-horizon", both(replace("tiny.toml", "[2025, 2030]", "[2024]"),
                                     append("tiny.toml", "[projection]\nhorizon = 2024\n")), RUN,
     ["tiny.toml", "'plan.build_years[2]'", "2025"]),
    ("evaluation-before-projection", replace("tiny.toml", "[2025, 2030]", "[2025, 2030]\n[projection]\n"
                                             "base_year = 2026"), RUN, ["tiny.toml", "'plan.evaluation_years[0]'"]),
    ("budget-year-not-built", append("tiny.toml", "[plan.budget_cny]\n2026 = 1.0e9\n"), RUN,
     ["tiny.toml", "'plan.budget_cny'", "2026"]),
    ("zone-rule-year-not-built", append("tiny.toml", '[[plan.zone_rules]]\nzone = "100001"\nlevel = "primary"\n'
                                                     "year = 2030\n"), RUN, ["tiny.toml", "'plan.zone_rules'", "2030"]),
    # ---- scenario values outside any plausible range, wrong types and names
    ("horizon-20118", append("tiny.toml", "[projection]\nhorizon = 20118\n"), RUN, ["tiny.toml", "'projection.horizon'"]),
    ("build-year-20118", replace("tiny.toml", "[2023, 2024, 2025]", "[2023, 2024, 20118]"), RUN,
     ["tiny.toml", "'plan.build_years[2]'"]),
    ("migration-as-percent", append("tiny.toml", "[projection.migration_rate]\n100001 = 4\n"), RUN,
     ["tiny.toml", "'projection.migration_rate.100001'"]),
    ("tfr-15", append("tiny.toml", "[projection]\ntfr = 15\n"), RUN, ["tiny.toml", "'projection.tfr'"]),
    ("public-share-above-1", append("tiny.toml", "[demand]\npublic_share = 1.2\n"), RUN,
     ["tiny.toml", "'demand.public_share'"]),
    ("budget-1e20", append("tiny.toml", "[plan.budget_cny]\n2023 = 1e20\n"), RUN, ["tiny.toml", "'plan.budget_cny.2023'"]),
    ("misspelt-key", replace("tiny.toml", "evaluation_years", "evaluaton_years"), RUN,
     ["tiny.toml", "'plan.evaluaton_years'", "'evaluation_years'"]),
    ("scenario-key-case", replace("tiny.toml", "build_years", "Build_Years"), RUN,
     ["tiny.toml", "'plan.Build_Years'", "'build_years'"]),
    ("misspelt-section", append("tiny.toml", "[solvr]\nname = \"cbc\"\n"), RUN, ["tiny.toml", "'solvr'", "'solver'"]),
    ("wrong-type", append("tiny.toml", "[solver]\ntime_limit_s = \"long\"\n"), RUN,
     ["tiny.toml", "'solver.time_limit_s'"]),
    ("unknown-solver", append("tiny.toml", "[solver]\nname = \"gurobi\"\n"), RUN, ["tiny.toml", "'solver.name'"]),
    ("extends-missing", prepend("tiny.toml", 'extends = "base.toml"'), RUN, ["'extends'", "base.toml"]),
    ("data-folder-missing", replace("tiny.toml", 'data = "tiny"', 'data = "tiny2"'), RUN, ["tiny.toml", "'data'"]),
    # ---- command-line mistakes
    ("out-is-a-file", nothing, ["run", "tiny.toml", "--out", "tiny.toml"], ["--out", "tiny.toml"]),
    ("out-inside-a-file", nothing, ["run", "tiny.toml", "--out", "tiny.toml/run"], ["--out", "tiny.toml"]),
    ("force-onto-data-folder", nothing, ["run", "tiny.toml", "--out", "tiny", "--force"], ["--out", "tiny"]),
    ("unknown-format", nothing, ["export", "tiny", "--format", "dwg"], ["--format", "'dwg'"]),
    ("unknown-command", nothing, ["plan", "tiny.toml"], ["COMMAND", "'plan'"]),
    ("unknown-option", nothing, ["run", "tiny.toml", "--outt", "x"], ["--outt"]),
    ("missing-argument", nothing, ["run"], ["capacity run", "scenario"]),
    ("draws-not-a-number", nothing, ["ensemble", "tiny.toml", "--draws", "many"], ["--draws", "'many'"]),
    ("robust-unknown-choice", nothing, ["ensemble", "tiny.toml", "--robust", "best"], ["--robust", "'best'"]),
    ("draws-negative", nothing, ["ensemble", "tiny.toml", "--draws", "-3"], ["--draws", "'-3'"]),
    ("gap-above-1", nothing, ["ensemble", "tiny.toml", "--gap", "1.5"], ["--gap", "'1.5'"]),
    ("time-limit-zero", nothing, ["ensemble", "tiny.toml", "--time-limit", "0"], ["--time-limit", "'0'"]),
    ("workers-not-a-number", nothing, ["ensemble", "tiny.toml", "--workers", "two"], ["--workers", "'two'"]),
    ("origin-year-20118", nothing, ["backtest", "tiny.toml", "--origin", "20118"], ["--origin", "'20118'"]),
    ("report-non-run", nothing, ["report", "tiny"], ["tiny", "not a run folder"]),
    ("serial-and-scheduler", nothing, ["ensemble", "tiny.toml", "--serial", "--scheduler", "tcp://h:1"],
     ["--scheduler", "--serial"]),
    ("verify-data-folder", nothing, ["verify", "tiny"], ["tiny", "not a run folder"]),
    ("verify-missing-folder", nothing, ["verify", "runs/baseline"], ["runs/baseline", "no such run folder"]),
    ("verify-a-file", nothing, ["verify", "tiny.toml"], ["tiny.toml", "is a file"]),
    ("compare-non-run", mkdir("empty"), ["compare", "empty", "tiny", "--out", "out"], ["empty", "not a run folder"]),
    ("export-non-run", mkdir("empty"), ["export", "empty", "--format", "shp", "--out", "out"],
     ["empty", "not a run folder"]),
    ("run-a-folder", nothing, ["run", "tiny", "--out", "out"], ["tiny", "is a folder"]),
    ("run-missing-scenario", nothing, ["run", "scenarios/basline.toml", "--out", "out"],
     ["basline.toml", "not found"]),
    ("validate-missing", nothing, ["validate", "data/kunmimg"], ["kunmimg"]),
]


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def _names(text: str, token: str) -> bool:
    """``token`` appears in ``text`` as a whole (not inside a longer word or number)."""
    return re.search(r"(?<![\w.])" + re.escape(token) + r"(?![\w])", text) is not None


def test_enough_cases():
    assert len(CASES) >= 50
    assert len({c[0] for c in CASES}) == len(CASES), "case ids repeat"


@pytest.mark.parametrize("case_id,breaker,argv,names", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_exits_1_naming_where(tiny_workspace, capsys, case_id, breaker, argv, names):
    ws = tiny_workspace
    breaker(ws)
    before = _snapshot(ws)
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    text = " ".join(err.split())  # the message is wrapped at 100 columns
    assert status == 1, f"exit {status}; stderr: {err}"
    assert "Traceback" not in err and "Traceback" not in out
    assert text.startswith("capacity: bad input:"), err
    for token in names:
        assert _names(text, token), f"{token!r} not named in: {text}"
    assert _snapshot(ws) == before, "an input changed or something was written"
    assert not (ws / "out").exists()


def test_the_case_checker_rejects_accidental_matches():
    assert not _names("line 30: bad", "line 3")
    assert not _names("evaluation year 2025", "5")
    assert not _names("key 'base_year'", "year")
    assert _names("population.csv, column 'year', line 3: x", "line 3")
