"""What a planner takes away from a run: schedule, maps, GIS layers, shortlist and a report.

:func:`report` takes a solved run in memory (:class:`capacity.pipeline.PlanRun`)
and returns a :class:`ReportRun`: its tables, GIS layers, figures (PNG bytes)
and the HTML page; nothing is read or written here. :func:`capacity.io.write_run`
writes it into a run folder:

=======================  ===========================================================
file                     what
=======================  ===========================================================
``schedule.csv``         schools, seats and cost per build year × zone × level
``schedule.xlsx``        the same: a ``summary`` sheet and one sheet per level
``schedule_gantt.png``   sites by opening year, grouped by zone
``map_<level>.png``      seat balance by zone, target year and horizon, before/after
``shortlist.csv``        top-3 alternative sites per chosen new site
``plan.gpkg``            layers zones, demand_units, existing_schools, candidate_sites,
                         chosen_sites, assignments, shortlist (``gpkg`` format)
``geojson/``, ``shp/``   the same layers when those formats are asked for
``report.html``          one self-contained page: targets, maps, schedule, assumptions
=======================  ===========================================================

The target checks are not made here: they are in the run's summary
(:mod:`capacity.demand.targets`, computed once by :func:`capacity.pipeline.plan`).
The projection's back-test (:mod:`capacity.report.backtest`, a few seconds on a
city) is made here when the scenario is given as a :class:`~capacity.scenario.Scenario`
and added to the summary under ``projection_backtest``.

Modules: :mod:`~capacity.report.schedule`, :mod:`~capacity.report.shortlist` and
:mod:`~capacity.report.layers` (pure tables), :mod:`~capacity.report.excel`,
:mod:`~capacity.report.maps`, :mod:`~capacity.report.charts`,
:mod:`~capacity.report.gis` and :mod:`~capacity.report.html` (renderers and
writers); the CJK font and map helpers are in :mod:`capacity.plotting`.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

GIS_FOLDERS = {"gpkg": ".", "geojson": "geojson", "shp": "shp"}
"""Where each GIS format goes in the run folder."""

GIS_FILES = {"gpkg": lambda layer: ["plan.gpkg"],
             "geojson": lambda layer: [f"geojson/{layer}.geojson"],
             "shp": lambda layer: [f"shp/{layer}{e}" for e in (".shp", ".shx", ".dbf", ".prj", ".cpg")]}
"""The files a GIS format makes per layer (names relative to the run folder)."""


@dataclass(frozen=True)
class ReportRun:
    """A run with its report, in memory (see :func:`report`).

    Attributes
    ----------
    run : PlanRun
        The solved run the report is of.
    schedule, schedule_totals : DataFrame
        :func:`~capacity.report.schedule.schedule_table` and its totals.
    shortlist : DataFrame
        :func:`~capacity.report.shortlist.shortlist_table`.
    layers : mapping of str to GeoDataFrame
        :func:`~capacity.report.layers.run_layers`, in the city's metric CRS.
    formats : tuple of str
        GIS formats to write (``gpkg``, ``geojson``, ``shp``).
    figures : mapping of str to bytes
        PNG files by name (``map_<level>.png``, ``schedule_gantt.png``, ``school_age.png``).
    html : str
        ``report.html``.
    title : str
        The workbook title (the scenario's name).
    lang : str
        Language of the page, the workbook headers and the map labels (``zh`` or ``en``).
    """

    run: object
    schedule: pd.DataFrame
    schedule_totals: pd.DataFrame
    shortlist: pd.DataFrame
    layers: Mapping[str, object]
    formats: tuple
    figures: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    html: str = ""
    title: str = ""
    lang: str = "en"

    @property
    def summary(self) -> dict:
        return self.run.summary

    def describe(self) -> str:
        return self.run.describe()


def _png(draw, *args) -> bytes:
    buf = io.BytesIO()
    draw(*args, buf)
    return buf.getvalue()


def report_files(formats, layers, figures) -> list[str]:
    """The names (relative to the run folder) of every file the report adds."""
    names = {"schedule.csv", "schedule.xlsx", "shortlist.csv", "report.html", *figures}
    for fmt in formats:
        for layer in layers:
            names.update(GIS_FILES[fmt](layer))
        if fmt == "shp":
            names.add("shp/shp_field_names.csv")
    return sorted(names)


def report(run, city, scenario, formats=None, lang=None) -> ReportRun:
    """The planner's outputs of a solved run, in memory.

    Parameters
    ----------
    run : PlanRun
        From :func:`capacity.pipeline.plan` (or :func:`capacity.io.read_run` with the projection tables).
    city : CityData
        The city the run planned (with the scenario's standards applied).
    scenario : Scenario or dict
        The scenario run (``scenario.json`` as a dict is enough): its name and objective weights.
    formats : sequence of str, optional
        GIS formats (default: the scenario's ``outputs.formats``, else ``gpkg``).
    lang : {"zh", "en"}, optional
        Language of the report (default: the scenario's ``outputs.language``, else ``en``).

    Returns
    -------
    ReportRun
    """
    from capacity.io.schema import PROJECTION_FILES, RUN_FILES
    from capacity.report.charts import gantt_chart
    from capacity.report.html import provenance_table, render_report
    from capacity.report.layers import run_layers
    from capacity.report.maps import level_map
    from capacity.report.schedule import schedule_table, schedule_totals
    from capacity.report.shortlist import shortlist_table

    scen = scenario if isinstance(scenario, dict) else scenario.to_dict()
    if formats is None:
        formats = tuple((scen.get("outputs") or {}).get("formats") or ("gpkg",))
    unknown = [f for f in formats if f not in GIS_FILES]
    if unknown:
        from capacity.errors import ScenarioError

        raise ScenarioError(f"unknown GIS format(s) {unknown}; expected some of {list(GIS_FILES)}",
                            key="outputs.formats")
    from capacity.report import i18n, webmap
    from capacity.report.maps import map_title
    from capacity.report.plan_targets import read_plan_targets

    outputs = scen.get("outputs") or {}
    lang = lang or outputs.get("language") or "en"
    if lang not in i18n.LANGUAGES:
        from capacity.errors import ScenarioError

        raise ScenarioError(f"language {lang!r} is not one of {list(i18n.LANGUAGES)}", key="outputs.language")
    name = scen["name"]
    years = run.years
    schedule = schedule_table(run.plan, city.zones)
    totals = schedule_totals(schedule)
    zone_ids = list(city.zones["zone_id"].astype(str))
    figures = {}
    figures["schedule_gantt.png"] = _png(
        lambda buf: gantt_chart(schedule, i18n.tr("gantt_title", lang, scenario=name), buf,
                                zone_order=zone_ids, lang=lang))
    map_years = [years[0]] + ([years[-1]] if years[-1] != years[0] else [])
    from capacity import ALL_LEVELS

    maps = []
    for level in [lv for lv in ALL_LEVELS if lv in set(run.zone_balance["level"])]:
        title = map_title(name, level, map_years, lang)
        figures[f"map_{level}.png"] = _png(
            lambda buf: level_map(city, run.zone_balance, run.plan, level, map_years, title, buf, lang=lang))
        maps.append(level)
    if run.projection is not None:
        projection_chart = projection_png(run.projection)
    else:  # a run folder read back: its chart as read
        projection_chart = (getattr(run, "images", None) or {}).get("school_age.png")
    if projection_chart is not None:
        figures["school_age.png"] = projection_chart

    obj = scen.get("objective") or {}
    short = shortlist_table(run.plan, run.assignment, city, obj.get("cost_weight", 1.0),
                            obj.get("distance_weight", 1.0))
    layers = run_layers(city, run.plan, run.assignment, short, years[0])

    images = [(figures[f"map_{lv}.png"], i18n.tr("map_alt", lang, level=i18n.level_name(lv, lang)),
               i18n.tr("map_caption", lang, level=i18n.level_name(lv, lang)), "maps") for lv in maps]
    images.append((figures["schedule_gantt.png"], i18n.tr("gantt_alt", lang), i18n.tr("gantt_caption", lang),
                   "schedule"))
    if projection_chart is not None:
        images.append((projection_chart, "school_age", "school age", "projection"))
    held = set(RUN_FILES) | (set(PROJECTION_FILES) if run.projection is not None else set())
    folder = getattr(run, "folder", None)
    if folder is not None:  # a run folder read back: the files it has
        held = {p.name for p in Path(folder).iterdir() if p.is_file()}
    files = sorted(set(report_files(formats, layers, figures)) | held)
    summary = run.summary
    if "targets" not in summary:  # a folder written before the summary held its targets
        from capacity.demand.targets import check_targets, target_inputs

        persons = getattr(run, "school_age", None)
        summary = {**summary, "targets": check_targets(
            target_inputs(run.plan, run.zone_balance, persons, scen, city))}
        run = dataclasses.replace(run, summary=summary)
    params = getattr(scenario, "projection", None)
    if "projection_backtest" not in summary and params is not None:  # a run folder's dict: not recomputed
        from capacity.report.backtest import projection_backtest

        summary = {**summary, "projection_backtest": projection_backtest(city, params)}
        run = dataclasses.replace(run, summary=summary)
    city_name = " ".join(str(city.meta.get(k, "")) for k in ("name_local", "name")).strip()
    map_data = webmap.map_data(city=city, zone_balance=run.zone_balance, plan=run.plan, shortlist=short,
                               lang=lang, assignment=run.assignment, tile_url=outputs.get("tile_url") or None)
    text = render_report(summary=summary, scenario=scen, city_name=city_name, images=images,
                         schedule=schedule, schedule_totals=totals, shortlist=short,
                         provenance=provenance_table(city), files=files, lang=lang, map_data=map_data,
                         plan_targets=read_plan_targets(getattr(city, "path", None)))
    return ReportRun(run=run, schedule=schedule, schedule_totals=totals, shortlist=short,
                     layers=MappingProxyType(dict(layers)), formats=tuple(formats),
                     figures=MappingProxyType(figures), html=text, title=name, lang=lang)


def projection_png(projection) -> bytes | None:
    """The projection's ``school_age.png`` as PNG bytes (None without the projection)."""
    if projection is None or getattr(projection, "demand", None) is None:
        return None
    from capacity.demography.outputs import plot_school_age

    buf = io.BytesIO()
    plot_school_age(projection.demand, buf, zone_names=projection.zone_names)
    return buf.getvalue()
