"""What a planner takes away from a run: schedule, maps, GIS layers, shortlist and a report.

:func:`write_outputs` reads the run tables a pipeline run wrote and writes,
into the same folder:

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
``summary.json``         rewritten with the target checks under ``targets``
=======================  ===========================================================

Modules: :mod:`~capacity.report.runfolder` (reading the run, rewriting
``summary.json``), :mod:`~capacity.report.schedule`, :mod:`~capacity.report.targets`,
:mod:`~capacity.report.shortlist` and :mod:`~capacity.report.layers` (pure
tables), :mod:`~capacity.report.excel`, :mod:`~capacity.report.maps`,
:mod:`~capacity.report.charts`, :mod:`~capacity.report.gis` and
:mod:`~capacity.report.html` (writers), :mod:`~capacity.report.fonts` (the
bundled CJK font).
"""

from __future__ import annotations

from pathlib import Path

GIS_FOLDERS = {"gpkg": ".", "geojson": "geojson", "shp": "shp"}


def write_outputs(run_dir: Path, city, scenario, formats=("gpkg",)) -> list[Path]:
    """Write the planner's outputs of a run into its folder.

    Parameters
    ----------
    run_dir : Path
        A folder holding ``plan.csv``, ``assignment.csv``, ``zone_balance.csv``,
        ``summary.json`` and ``scenario.json`` (and optionally the projection tables).
    city : CityData
        The city the run planned (with the scenario's standards applied).
    scenario : Scenario
        The scenario run (its name, objective weights and assumptions).
    formats : sequence of str
        GIS formats: ``gpkg`` (``plan.gpkg``), ``geojson`` (``geojson/``), ``shp`` (``shp/``).

    Returns
    -------
    list of Path
        Every file written.
    """
    from capacity.report.charts import gantt_chart
    from capacity.report.excel import write_schedule_csv, write_schedule_xlsx
    from capacity.report.gis import write_layers
    from capacity.report.html import provenance_table, render_report, write_report
    from capacity.report.layers import run_layers
    from capacity.report.maps import write_maps
    from capacity.report.runfolder import add_to_summary, read_run
    from capacity.report.schedule import schedule_table, schedule_totals
    from capacity.report.shortlist import shortlist_table
    from capacity.report.targets import check_targets, target_inputs

    run_dir = Path(run_dir)
    tables = read_run(run_dir)
    name = scenario.name
    written = []

    schedule = schedule_table(tables.plan, city.zones)
    written.append(write_schedule_csv(schedule, run_dir / "schedule.csv"))
    written.append(write_schedule_xlsx(schedule, run_dir / "schedule.xlsx", title=name))
    zone_ids = list(city.zones["zone_id"].astype(str))
    gantt = gantt_chart(schedule, f"{name} — phasing: schools by opening year and zone 建设时序",
                        run_dir / "schedule_gantt.png", zone_order=zone_ids)
    maps = write_maps(city, tables.zone_balance, tables.plan, name, tables.years, run_dir)
    written += [gantt, *maps]

    obj = scenario.objective
    short = shortlist_table(tables.plan, tables.assignment, city, obj.cost_weight, obj.distance_weight)
    short.to_csv(run_dir / "shortlist.csv", index=False, encoding="utf-8-sig")
    written.append(run_dir / "shortlist.csv")

    layers = run_layers(city, tables.plan, tables.assignment, short, tables.years[0])
    for fmt in formats:
        written += write_layers(layers, run_dir / GIS_FOLDERS.get(fmt, fmt), fmt)

    targets = check_targets(target_inputs(tables, city))
    written.append(add_to_summary(run_dir, targets=targets))
    summary = read_run(run_dir).summary

    images = [(p, f"map of {p.stem[4:]}", f"{p.stem[4:]}: seat balance by zone, before and after the plan; "
               "sites by opening year; inset: exclave zones", "maps") for p in maps]
    images.append((gantt, "phasing chart", "Sites by opening year, grouped by zone", "schedule"))
    images += [(p, stem, stem.replace("_", " "), "projection") for stem, p in tables.images.items()]
    files = sorted({str(p.relative_to(run_dir)) for p in written} | {"report.html"}
                   | {p.name for p in run_dir.iterdir() if p.is_file()})
    city_name = " ".join(str(city.meta.get(k, "")) for k in ("name_local", "name")).strip()
    text = render_report(summary=summary, scenario=tables.scenario, city_name=city_name, images=images,
                         schedule=schedule, schedule_totals=schedule_totals(schedule), shortlist=short,
                         provenance=provenance_table(city), files=files)
    written.append(write_report(run_dir / "report.html", text))
    return written


def export_run(run_dir, out_dir, fmt):
    """See :func:`capacity.report.gis.export_run`."""
    from capacity.report.gis import export_run as _export

    return _export(Path(run_dir), Path(out_dir), fmt)
