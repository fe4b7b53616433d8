"""Shared fixtures: the tiny city of :mod:`capacity.testing`, as a data folder and
as a workspace with a scenario next to it.

The tiny city is written once per session (writing GeoPackages takes a moment)
and copied for each test, so a test may break its copy freely.
"""

from __future__ import annotations

import shutil

import pytest

from capacity.testing import TINY_SCENARIO, write_tiny_city


@pytest.fixture(scope="session")
def tiny_city_template(tmp_path_factory):
    """The pristine tiny data folder (shared: never modify it; use ``tiny_city``)."""
    return write_tiny_city(tmp_path_factory.mktemp("template") / "tiny")


@pytest.fixture
def tiny_city(tmp_path, tiny_city_template):
    """A fresh copy of the tiny data folder, ``<tmp>/tiny``, for this test alone."""
    return shutil.copytree(tiny_city_template, tmp_path / "tiny")


@pytest.fixture
def tiny_workspace(tiny_city, monkeypatch):
    """A folder holding ``tiny/`` (the data) and ``tiny.toml`` (:data:`TINY_SCENARIO`);
    the current directory for the test, so command lines can use relative paths."""
    folder = tiny_city.parent
    (folder / "tiny.toml").write_text(TINY_SCENARIO, encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder
