"""Outputs written whole or not at all, with ordinary permissions (capacity.io.atomic)."""

import os
import stat

import pytest

from capacity.errors import UsageError
from capacity.io.atomic import OutputExistsError, check_output_target, output_folder


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_modes_of_files_the_user_writes(tmp_path, umask):
    old = os.umask(umask)
    try:
        with output_folder(tmp_path / "out") as tmp:
            (tmp / "plan.csv").write_text("a\n", encoding="utf-8")
            (tmp / "gis").mkdir()
            fd = os.open(tmp / "gis" / "private.json", os.O_CREAT | os.O_WRONLY, 0o600)  # like mkstemp
            os.close(fd)
    finally:
        os.umask(old)
    out = tmp_path / "out"
    assert _mode(out) == 0o777 & ~umask          # not mkdtemp's 0700
    assert _mode(out / "gis") == 0o777 & ~umask
    assert _mode(out / "plan.csv") == 0o666 & ~umask
    assert _mode(out / "gis" / "private.json") == 0o666 & ~umask
    if umask == 0o022:
        assert _mode(out) & stat.S_IRGRP and _mode(out / "plan.csv") & stat.S_IRGRP


def test_failure_leaves_nothing_not_even_created_parents(tmp_path):
    with pytest.raises(RuntimeError):
        with output_folder(tmp_path / "new" / "deeper" / "out") as tmp:
            (tmp / "half.csv").write_text("x", encoding="utf-8")
            raise RuntimeError("stage failed")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_output(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "plan.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with output_folder(tmp_path / "out", force=True) as tmp:
            (tmp / "plan.csv").write_text("new", encoding="utf-8")
            raise RuntimeError
    assert (tmp_path / "out" / "plan.csv").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_targets_that_cannot_become_an_output_folder(tmp_path, monkeypatch):
    (tmp_path / "file.csv").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="is an existing file, not a folder"):
        check_output_target(tmp_path / "file.csv", force=True)
    with pytest.raises(UsageError, match="file.csv is a file, so no folder can be made inside it"):
        check_output_target(tmp_path / "file.csv" / "out")
    data = tmp_path / "data"
    data.mkdir()
    (data / "city.toml").write_text('name = "x"\n', encoding="utf-8")
    with pytest.raises(OutputExistsError, match="pass --force"):
        check_output_target(data)
    with pytest.raises(UsageError, match="is a data folder"):
        check_output_target(data, force=True)
    monkeypatch.chdir(data)
    (tmp_path / "x").mkdir()
    with pytest.raises(UsageError, match="current folder"):
        check_output_target(tmp_path, force=True)
    check_output_target(tmp_path / "empty-or-new")


def test_a_data_folder_is_replaced_only_by_a_data_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "city.toml").write_text('name = "old"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="is a data folder"):
        with output_folder(data, force=True) as tmp:
            (tmp / "plan.csv").write_text("x", encoding="utf-8")  # a run's output
    assert (data / "city.toml").read_text(encoding="utf-8") == 'name = "old"\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    check_output_target(data, force=True, data_folder=True)
    with output_folder(data, force=True) as tmp:  # e.g. capacity rollover --force
        (tmp / "city.toml").write_text('name = "new"\n', encoding="utf-8")
    assert (data / "city.toml").read_text(encoding="utf-8") == 'name = "new"\n'
