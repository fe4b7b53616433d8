"""Loading and validation of data folders (capacity.data)."""

from pathlib import Path

import numpy as np
import pytest

from capacity.data import load_city, summarise
from capacity.errors import DataError
from capacity.testing import TINY_STANDARDS, tiny_frames, write_tiny_city

KUNMING = Path(__file__).resolve().parents[1] / "data" / "kunming"


def broken(tmp_path, edit=None, standards=None):
    frames = tiny_frames()
    if edit is not None:
        edit(frames)
    return write_tiny_city(tmp_path / "broken", frames, standards)


def test_tiny_city_loads_with_metric_layers(tiny_city):
    city = load_city(tiny_city)
    assert len(city.zones) == 2
    assert city.zones.crs.to_epsg() == 4543
    assert city.base_population().to_dict() == {"100001": 30000, "100002": 10000}
    assert city.standards["primary"].module_seats(12) == 540
    assert city.standards["kindergarten"].class_size_by_age[5] == 35
    assert city.demand_units["urban"].dtype == bool
    summary = summarise(city)
    assert summary["zones"] == 2 and summary["population"] == 40000
    seats = summary["schools"].set_index("level")["seats"]
    assert seats["kindergarten"] == 270 and seats["special"] == 60


def test_inputs_are_not_modified(tiny_city):
    before = {p.name: p.read_bytes() for p in tiny_city.iterdir()}
    load_city(tiny_city)
    assert {p.name: p.read_bytes() for p in tiny_city.iterdir()} == before


def test_missing_file(tmp_path, tiny_city):
    (tiny_city / "births.csv").unlink()
    with pytest.raises(DataError, match=r"births\.csv: file not found"):
        load_city(tiny_city)


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        load_city(tmp_path / "nowhere")


def test_missing_column(tmp_path):
    def edit(f):
        f["population.csv"] = f["population.csv"].drop(columns="persons")
    folder = broken(tmp_path, edit)
    with pytest.raises(DataError, match=r"population\.csv: missing column\(s\) persons") as err:
        load_city(folder)
    assert err.value.path == "population.csv"


def test_wrong_type_names_line(tmp_path):
    def edit(f):
        f["births.csv"]["births"] = f["births.csv"]["births"].astype(object)
        f["births.csv"].loc[1, "births"] = "many"
    with pytest.raises(DataError, match=r"births\.csv, column 'births', line 3: 'many' is not a number"):
        load_city(broken(tmp_path, edit))


@pytest.mark.parametrize("value,match", [(-5, "negative value"), (np.inf, "non-finite")])
def test_negative_or_non_finite_counts(tmp_path, value, match):
    def edit(f):
        f["population.csv"]["persons"] = f["population.csv"]["persons"].astype(float)
        f["population.csv"].loc[1, "persons"] = value
    with pytest.raises(DataError, match=match) as err:
        load_city(broken(tmp_path, edit))
    assert err.value.column == "persons" and err.value.rows == [3]


def test_negative_seats_in_layer_names_feature(tmp_path):
    def edit(f):
        f["schools.gpkg"].loc[2, "seats"] = -1
    with pytest.raises(DataError, match=r"schools\.gpkg, column 'seats', feature 3: negative"):
        load_city(broken(tmp_path, edit))


def test_duplicate_ids(tmp_path):
    def edit(f):
        f["candidate_sites.gpkg"].loc[1, "site_id"] = "ks1"
    with pytest.raises(DataError, match=r"features 1, 2: duplicate site_id \['ks1'\]"):
        load_city(broken(tmp_path, edit))


def test_unknown_zone_id(tmp_path):
    def edit(f):
        f["demand_units.gpkg"].loc[4, "zone_id"] = "999999"
    with pytest.raises(DataError, match=r"unknown zone id\(s\) \['999999'\]") as err:
        load_city(broken(tmp_path, edit))
    assert err.value.rows == [5] and err.value.path == "demand_units.gpkg"


def test_empty_geometry(tmp_path):
    from shapely.geometry import Point

    def edit(f):
        f["schools.gpkg"].loc[0, "geometry"] = Point()
    with pytest.raises(DataError, match="empty geometry"):
        load_city(broken(tmp_path, edit))


def test_invalid_geometry(tmp_path):
    from shapely.geometry import Polygon

    def edit(f):
        x, y = f["zones.gpkg"].geometry.iloc[1].bounds[:2]
        bowtie = Polygon([(x, y), (x + 100, y + 100), (x + 100, y), (x, y + 100)])
        f["zones.gpkg"].loc[1, "geometry"] = bowtie
    with pytest.raises(DataError, match=r"zones\.gpkg, column 'geometry', feature 2: invalid geometry"):
        load_city(broken(tmp_path, edit))


def test_geographic_crs_where_metres_needed(tmp_path):
    def edit(f):
        f["candidate_sites.gpkg"] = f["candidate_sites.gpkg"].to_crs("EPSG:4326")
    with pytest.raises(DataError, match="geographic .*projected CRS in metres"):
        load_city(broken(tmp_path, edit))


def test_missing_crs(tmp_path):
    def edit(f):
        f["schools.gpkg"] = f["schools.gpkg"].set_crs(None, allow_override=True)
    with pytest.raises(DataError, match="has no CRS"):
        load_city(broken(tmp_path, edit))


def test_zones_in_geographic_crs_are_reprojected(tmp_path):
    def edit(f):
        f["zones.gpkg"] = f["zones.gpkg"].to_crs("EPSG:4326")
    city = load_city(broken(tmp_path, edit))
    assert city.zones.crs.to_epsg() == 4543
    assert city.zones.area.iloc[0] == pytest.approx(16e6, rel=1e-3)


def test_class_size_zero(tmp_path):
    text = TINY_STANDARDS.replace("class_size = 45", "class_size = 0")
    with pytest.raises(DataError, match=r"levels\.primary\.class_size': 0 must be greater than 0"):
        load_city(broken(tmp_path, standards=text))


def test_module_larger_than_any_site(tmp_path):
    text = TINY_STANDARDS.replace("modules = [6, 12]\nexpansion_modules = [6]\nland_m2_per_pupil = 25",
                                  "modules = [6, 24]\nexpansion_modules = [6]\nland_m2_per_pupil = 25")
    with pytest.raises(DataError, match="24-class high school needs 30,000 m² .* largest high candidate site has 16,000 m²"):
        load_city(broken(tmp_path, standards=text))


def test_overlapping_age_bands(tmp_path):
    text = TINY_STANDARDS.replace("ages = [12, 14]", "ages = [11, 14]")
    with pytest.raises(DataError, match="overlap"):
        load_city(broken(tmp_path, standards=text))


def test_missing_base_year_population(tmp_path):
    def edit(f):
        f["population.csv"] = f["population.csv"].iloc[:1]
    with pytest.raises(DataError, match=r"no year_end population for base year 2023 for zone\(s\) \['100002'\]"):
        load_city(broken(tmp_path, edit))


@pytest.mark.skipif(not (KUNMING / "candidate_sites.gpkg").exists(), reason="Kunming data folder not built yet")
def test_kunming_loads_with_2023_county_totals():
    city = load_city(KUNMING)
    assert len(city.zones) == 15
    pop = city.base_population()
    counties = city.zones.loc[city.zones["kind"] == "county", "zone_id"]
    assert len(counties) == 14
    assert pop[counties].sum() == pytest.approx(8_680_000)
    assert pop["530114"] == pytest.approx(709_700)  # Chenggong, 70.97万 (2023 year-end)
    assert "mohan" in pop.index


# ---- files as planners save them: byte-order marks, GBK, empty files, headers
def test_byte_order_marks_are_accepted(tiny_city):
    """Excel's 'CSV UTF-8' and Notepad add a byte-order mark; the folder still loads."""
    for name in ("births.csv", "population.csv", "city.toml", "standards.toml"):
        path = tiny_city / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    city = load_city(tiny_city)
    assert list(city.births.columns[:3]) == ["scope", "year", "births"]
    assert city.meta["name"] == "Tiny" and city.base_population()["100001"] == 30000


def test_utf16_with_byte_order_mark_is_decoded(tiny_city):
    path = tiny_city / "births.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))  # BOM + UTF-16-LE
    assert load_city(tiny_city).births["births"].tolist() == [300, 310]


def test_gbk_csv_names_file_line_and_encoding(tiny_city):
    path = tiny_city / "enrolment.csv"
    text = path.read_text(encoding="utf-8").replace("city,2022,primary", "昆明,2022,primary")
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(DataError, match=r"line 3: not UTF-8 text .*GBK") as err:
        load_city(tiny_city)
    assert err.value.path == "enrolment.csv"


def test_empty_csv_names_the_columns_expected(tiny_city):
    (tiny_city / "births.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"births\.csv: the file is empty; .*scope,year,births"):
        load_city(tiny_city)


def test_header_only_csv_is_a_table_without_rows(tiny_city):
    path = tiny_city / "births.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert load_city(tiny_city).births.empty


@pytest.mark.parametrize("written,meant", [("Persons", "persons"), ("persons ", "persons"),
                                           ("Zone-ID", "zone_id"), ("URBAN SHARE", "urban_share")])
def test_header_differing_by_case_or_spaces_names_the_column_meant(tiny_city, written, meant):
    path = tiny_city / "population.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace(meant, written)
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError, match=f"missing column {meant}: the header has '{written}'"):
        load_city(tiny_city)


def test_header_typo_suggests_the_column(tiny_city):
    path = tiny_city / "births.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("births,", "birhts,", 1), encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column\(s\) births \(is it 'birhts'\?\)"):
        load_city(tiny_city)


# ---- plausible ranges: every numeric column states one (schema.Column.low/high)
def test_every_numeric_column_has_a_plausible_range():
    from capacity.data import schema

    for spec in schema.TABLES + schema.LAYERS:
        for col in spec.columns:
            if col.kind in (schema.INT, schema.FLOAT):
                assert col.low is not None and col.high is not None and col.unit, (spec.file, col.name)


@pytest.mark.parametrize("file,column,row,value,line", [
    ("population.csv", "year", 1, 20118, 3),
    ("population.csv", "persons", 0, 1e15, 2),
    ("population.csv", "urban_share", 1, 1.01, 3),
    ("age_structure.csv", "age_to", 2, 101, 4),
    ("births.csv", "year", 0, 1899, 2),
])
def test_value_outside_plausible_range(tmp_path, file, column, row, value, line):
    def edit(f):
        f[file][column] = f[file][column].astype(float)
        f[file].loc[row, column] = value
    with pytest.raises(DataError, match="outside the plausible range") as err:
        load_city(broken(tmp_path, edit))
    assert (err.value.path, err.value.column, err.value.rows) == (file, column, [line])


def test_range_limits_are_inclusive(tmp_path):
    def edit(f):
        f["population.csv"]["urban_share"] = [1.0, 0.0]
        f["age_structure.csv"].loc[2, "age_to"] = 100
    city = load_city(broken(tmp_path, edit))
    assert city.population["urban_share"].tolist() == [1.0, 0.0]


def test_age_band_first_age_above_last(tmp_path):
    def edit(f):
        f["age_structure.csv"].loc[1, "age_from"] = 60
    with pytest.raises(DataError, match="age_from 60 is greater than age_to 59") as err:
        load_city(broken(tmp_path, edit))
    assert err.value.rows == [3]


@pytest.mark.parametrize("old,new,key", [
    ("class_size = 45", "class_size = 450", "levels.primary.class_size"),
    ("enrolment_target = 0.99", "enrolment_target = 99", "levels.kindergarten.enrolment_target"),
    ("walk_standard_m = 500", "walk_standard_m = 0.5", "levels.primary.walk_standard_m"),
    ("modules = [6, 12]\nexpansion_modules = [6]\nland_m2_per_pupil = 20\nfloor_m2_per_pupil = 8",
     "modules = [6, 1200]\nexpansion_modules = [6]\nland_m2_per_pupil = 20\nfloor_m2_per_pupil = 8",
     "levels.primary.modules"),
])
def test_standard_outside_plausible_range(tmp_path, old, new, key):
    assert old in TINY_STANDARDS
    with pytest.raises(DataError, match=f"key '{key}': .* (outside the plausible range|must be a share)"):
        load_city(broken(tmp_path, standards=TINY_STANDARDS.replace(old, new)))


def test_standards_level_typo_is_named_before_the_missing_level(tmp_path):
    text = TINY_STANDARDS.replace("[levels.middle]", "[levels.Middle]")
    with pytest.raises(DataError, match=r"key 'levels\.Middle': unknown level \(did you mean 'middle'\?\)"):
        load_city(broken(tmp_path, standards=text))


def test_city_toml_base_year_out_of_range(tiny_city):
    path = tiny_city / "city.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("2023", "20118"), encoding="utf-8")
    with pytest.raises(DataError, match=r"city\.toml: key 'base_year': 20118 is outside"):
        load_city(tiny_city)


def test_data_readme_states_every_plausible_range():
    """data/README.md's contract lists each column's range exactly as the schema checks it."""
    from capacity.data import schema

    def fmt(x):
        x = float(x)
        if x.is_integer() and abs(x) < 1e5:
            return f"{int(x)}"
        if x >= 1e5:
            exp = len(str(int(x))) - 1
            return f"{x / 10 ** exp:g}e{exp}"
        return f"{x:g}"

    readme = (KUNMING.parent / "README.md").read_text(encoding="utf-8")
    for spec in schema.TABLES + schema.LAYERS:
        for col in spec.columns:
            if col.low is not None:
                row = f"| `{spec.file}` | `{col.name}` | {fmt(col.low)} – {fmt(col.high)} | {col.unit} |"
                assert row in readme, row
    for key, (low, high, _) in schema.LEVEL_STANDARD_RANGES.items():
        line = next(x for x in readme.splitlines()
                    if x.startswith("| `") and f"`{key}`" in x.split("|")[1] and "plausible" not in x)
        assert line.rstrip().endswith(f"| {fmt(low)} – {fmt(high)} |"), line
