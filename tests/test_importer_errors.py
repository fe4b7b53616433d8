"""Every spec or file mistake is an error naming the file, the key or column, and the rows."""

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from capacity.errors import DataError, ImportSpecError
from capacity.importer import import_folder

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bureau"
SHEET = "学校名册"


@pytest.fixture
def bureau(tmp_path):
    folder = tmp_path / "bureau"
    shutil.copytree(EXAMPLE, folder)
    return folder


def _spec(folder, old, new):
    path = folder / "import.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _register(folder, edit):
    """Edit the register's sheet: ``edit(ws, header)`` with ``header`` = {name: column index}."""
    book = openpyxl.load_workbook(folder / "register.xlsx")
    ws = book[SHEET]
    header = {c.value: c.column for c in ws[1]}
    edit(ws, header)
    book.save(folder / "register.xlsx")


def _fails(folder, tmp_path, kind, match):
    with pytest.raises(kind, match=match) as info:
        import_folder(folder / "import.toml", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return str(info.value)


def test_unknown_spec_key_names_it_and_suggests(bureau, tmp_path):
    _spec(bureau, "level_values = {", "level_value = {")
    msg = _fails(bureau, tmp_path, ImportSpecError, r"import.toml, key 'schools.level_value': unknown key")
    assert "did you mean 'level_values'" in msg


def test_missing_file_names_the_key(bureau, tmp_path):
    _spec(bureau, 'file = "register.xlsx"', 'file = "registr.xlsx"')
    _fails(bureau, tmp_path, ImportSpecError, r"key 'schools.file': file 'registr.xlsx' not found")


def test_mapped_column_missing_from_the_file(bureau, tmp_path):
    _spec(bureau, 'seats = "核定学位数"', 'seats = "核定学位"')
    msg = _fails(bureau, tmp_path, DataError,
                 r"register.xlsx \(sheet 学校名册\), column '核定学位': column '核定学位' "
                 r"\(spec schools.columns.seats\) not found")
    assert "did you mean '核定学位数'" in msg


def test_unmapped_level_value_lists_the_values_found(bureau, tmp_path):
    _spec(bureau, '"初中" = "middle", ', "")
    msg = _fails(bureau, tmp_path, DataError, r"register.xlsx \(sheet 学校名册\), column '学段', rows ")
    assert "level value(s) ['初中'] have no mapping in schools.level_values" in msg
    assert "values found in the file: ['初中', '小学', '幼儿园', '高中']" in msg


def test_unmapped_level_rows_are_the_excel_rows(bureau, tmp_path):
    import pandas as pd

    frame = pd.read_excel(EXAMPLE / "register.xlsx", sheet_name=SHEET)
    rows = (np.flatnonzero(frame["学段"] == "高中") + 2).tolist()
    _spec(bureau, ', "高中" = "high"', "")
    msg = _fails(bureau, tmp_path, DataError, "have no mapping")
    assert f"rows {rows[0]}, {rows[1]}:" in msg


def test_coordinate_outside_the_zones_names_the_row(bureau, tmp_path):
    _register(bureau, lambda ws, h: ws.cell(row=5, column=h["经度"], value=103.9))
    _fails(bureau, tmp_path, DataError, r"register.xlsx \(sheet 学校名册\), row 5: the point lies outside every zone")


def test_a_level_that_cannot_be_a_site(bureau, tmp_path):
    _spec(bureau, '"高中用地" = "high"', '"高中用地" = "special"')
    _fails(bureau, tmp_path, DataError, r"parcels.shp, column 'YT', feature 6: mapped to a level this layer cannot")


def test_not_a_level_in_level_values(bureau, tmp_path):
    _spec(bureau, '"小学" = "primary"', '"小学" = "primery"')
    _fails(bureau, tmp_path, ImportSpecError, r"key 'schools.level_values.小学': 'primery'.*did you mean 'primary'")


def test_school_mapped_to_two_levels_is_an_error(bureau, tmp_path):
    _spec(bureau, '"小学" = "primary"', '"小学" = ["primary", "middle"]')
    _fails(bureau, tmp_path, DataError, r"column '学段', rows .*an existing school has one level")


def test_non_numeric_seats_name_column_and_row(bureau, tmp_path):
    _register(bureau, lambda ws, h: ws.cell(row=4, column=h["核定学位数"], value="三百"))
    _fails(bureau, tmp_path, DataError, r"column '核定学位数', row 4: \['三百'\] is not a non-negative number")


def test_duplicate_ids(bureau, tmp_path):
    def dup(ws, h):
        ws.cell(row=3, column=h["学校标识码"], value=ws.cell(row=2, column=h["学校标识码"]).value)
    _register(bureau, dup)
    _fails(bureau, tmp_path, DataError, r"column '学校标识码', rows 2, 3: duplicate id")


def test_empty_id(bureau, tmp_path):
    def clear(ws, h):
        ws.cell(row=7, column=h["学校标识码"]).value = None
    _register(bureau, clear)
    _fails(bureau, tmp_path, DataError, r"column '学校标识码', row 7: empty value")


def test_missing_sheet_lists_the_sheets(bureau, tmp_path):
    _spec(bureau, 'sheet = "学校名册"', 'sheet = "Sheet1"')
    _fails(bureau, tmp_path, DataError, r"register.xlsx: sheet 'Sheet1' not found; the workbook has \['说明', '学校名册'\]")


def test_gbk_without_encoding_hints_at_it(bureau, tmp_path):
    text = (bureau / "import.toml").read_text(encoding="utf-8")
    head, tail = text.split("[candidate_sites]")
    (bureau / "import.toml").write_text(head + "[candidate_sites]" + tail.replace('encoding = "gbk"\n', "", 1),
                                        encoding="utf-8")
    _fails(bureau, tmp_path, DataError, r"parcels.shp, column 'YT'.*garbled: set encoding = \"gbk\"")


def test_swapped_coordinates(bureau, tmp_path):
    _spec(bureau, 'x = "经度"\ny = "纬度"', 'x = "纬度"\ny = "经度"')
    _fails(bureau, tmp_path, DataError, r"column '纬度', rows 2, 3, .*out of range \(x and y swapped\?\)")


def test_unknown_crs_names_the_key(bureau, tmp_path):
    _spec(bureau, 'crs = "GCJ-02"', 'crs = "AMap"')
    _fails(bureau, tmp_path, ImportSpecError, r"key 'schools.crs': 'AMap' is not a known coordinate system")


def test_table_without_coordinates(bureau, tmp_path):
    _spec(bureau, 'x = "经度"\ny = "纬度"\n', "")
    _fails(bureau, tmp_path, ImportSpecError, r"key 'schools.x': register.xlsx is a table: name its coordinate")


def test_raster_needs_cell_m(bureau, tmp_path):
    _spec(bureau, "cell_m = 500\n", "")
    _fails(bureau, tmp_path, ImportSpecError, r"key 'demand_units.cell_m': missing")


def test_missing_table_names_the_key(bureau, tmp_path):
    _spec(bureau, 'births = "births.csv"\n', "")
    _fails(bureau, tmp_path, ImportSpecError, r"key 'tables.births': missing")


def test_table_not_utf8(bureau, tmp_path):
    text = (bureau / "population.csv").read_text(encoding="utf-8").replace("synthetic", "synthetic") + "# 说明\n"
    (bureau / "population.csv").write_bytes(text.encode("gbk"))
    _fails(bureau, tmp_path, DataError, r"population.csv: not valid utf-8-sig text at line 4; set encoding")


def test_metric_crs_must_be_projected(bureau, tmp_path):
    _spec(bureau, 'metric_crs = "EPSG:4543"', 'metric_crs = "EPSG:4490"')
    _fails(bureau, tmp_path, ImportSpecError, r"key 'city.metric_crs': EPSG:4490 is not a projected CRS")


def test_imported_folder_that_fails_validation(bureau, tmp_path):
    text = (bureau / "population.csv").read_text(encoding="utf-8").replace("539902", "539999")
    (bureau / "population.csv").write_text(text, encoding="utf-8")
    _fails(bureau, tmp_path, DataError, r"population.csv.*the imported folder does not validate")


def test_command_line_exit_1_without_traceback_and_nothing_written(bureau, tmp_path, capsys):
    from capacity.cli import main

    _spec(bureau, '"初中" = "middle", ', "")
    code = main(["import", str(bureau / "import.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("capacity: bad input: ") and "Traceback" not in err
    assert "register.xlsx (sheet 学校名册), column '学段'" in err and "['初中']" in err
    assert not (tmp_path / "out").exists()


def test_command_line_force_never_replaces_a_bureau_data_folder(tmp_path, capsys):
    from capacity.cli import main
    from capacity.testing import write_tiny_city

    folder = write_tiny_city(tmp_path / "city")
    before = (folder / "city.toml").read_bytes()
    assert main(["import", str(EXAMPLE / "import.toml"), "--out", str(folder), "--force"]) == 1
    assert "data folder" in capsys.readouterr().err
    assert (folder / "city.toml").read_bytes() == before
