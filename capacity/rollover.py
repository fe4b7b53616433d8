"""``capacity rollover RUN_DIR --out DATA_DIR``: the data folder of the next plan (issue 13).

A finished plan becomes the starting point of the next one:

* a new school of the plan becomes an existing school (``provenance`` ``planned``,
  ``open_year`` its opening year), on its site's point and land;
* an expansion adds its seats and classes to the school;
* a closed school leaves ``schools.gpkg``; a converted school leaves its level
  (its seats went to another use, e.g. nursery places, which is not a planned level);
* the sites the plan used leave ``candidate_sites.gpkg`` (and a new-school module that no
  remaining site can hold leaves ``standards.toml``: :func:`fit_modules`);
* the base year moves to the plan's last build year, and the next plan's demographic
  base is the run's own projection (:func:`projected_base`, ``provenance`` ``projected``,
  ``source_id`` ``rollover``): each zone's population in the new base year by single year
  of age and sex (``age_structure.csv``), the zone year-end totals and city births of the
  years between (``population.csv``, ``births.csv``). Zone totals alone are not enough: the
  next projection would re-guess the base's age structure from old shares and, with no
  births after its base year, fall back to a replacement-level TFR (before this, the
  follow-up's kindergarten pupils rose by half from 2026 to 2030 while the baseline's fell).
  The run's ``calibration.json`` is kept as ``rollover_calibration.json`` and ROLLOVER.md
  gives its fertility path (:func:`tfr_path`) for a scenario that keeps its assumptions.

A project whose seats are not ready by the new base year (a lag reaching past the
plan's end) is carried over: a new school keeps its ``open_year``, an expansion
gets ``added_seats`` / ``added_year`` (optional ``schools.gpkg`` columns read by
:func:`capacity.optimize.geo.carried_over`): it opens in its year and is not re-decided.

Every other file is copied unchanged. The folder is written whole or not at all
(:func:`capacity.io.atomic.output_folder`); the inputs are never modified.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.errors import DataError

__all__ = ["CarriedBase", "fit_modules", "projected_base", "rollover", "rollover_notes", "rollover_tables",
           "tfr_path"]


def fit_modules(standards_text: str, standards, sites) -> tuple[str, list]:
    """``standards.toml`` with each level's new-school modules cut to those some remaining site can hold.

    The plan may have used the largest parcels; a data folder whose largest module fits no
    parcel is not valid (``capacity validate``), and such a module could never be built anyway.

    Parameters
    ----------
    standards_text : str
        The data folder's ``standards.toml``.
    standards : Standards
        Its parsed form (class sizes, land per pupil).
    sites : DataFrame
        The remaining candidate sites (``level, land_m2``).

    Returns
    -------
    (text, dropped) : str, list of (level, classes)
    """
    import re

    keep, dropped = {}, []
    for level in standards:
        std = standards[level]
        land = sites.loc[sites["level"] == level, "land_m2"]
        if land.empty:
            continue
        ok = [m for m in std.modules if m * std.class_size * std.land_m2_per_pupil <= float(land.max())]
        if ok and len(ok) < len(std.modules):
            keep[level] = ok
            dropped += [(level, m) for m in std.modules if m not in ok]
    out, section = [], None
    for line in standards_text.splitlines():
        head = re.match(r"\s*\[levels\.([A-Za-z_]+)\]", line)
        if head:
            section = head.group(1)
        elif line.strip().startswith("["):
            section = None
        if section in keep and re.match(r"\s*modules\s*=", line):
            line = (f"modules = {keep[section]}   # cut by capacity rollover: larger modules fit no "
                    "remaining site")
        out.append(line)
    return "\n".join(out) + "\n", dropped


PROJECTED = {"provenance": "projected", "source_id": "rollover"}


@dataclass(frozen=True)
class CarriedBase:
    """The next plan's demographic base, taken from the run's own projection (see :func:`projected_base`).

    Attributes
    ----------
    population, age_structure, births : DataFrame
        The data folder's tables with the projected rows added (``provenance`` ``projected``,
        ``source_id`` ``rollover``).
    added : dict
        Rows added per table, the years they cover and the zones whose age structure was carried.
    """

    population: pd.DataFrame
    age_structure: pd.DataFrame
    births: pd.DataFrame
    added: dict


def _with_columns(rows: pd.DataFrame, like: pd.DataFrame, defaults: dict) -> pd.DataFrame:
    for col in like.columns:
        if col not in rows:
            rows[col] = defaults.get(col, np.nan)
    return rows[list(like.columns)]


def projected_base(population, age_structure, births, run_population, run_components, old_base: int,
                   new_base: int) -> CarriedBase:
    """Carry a run's projection into the next plan's data as its base (pure).

    The next projection starts in ``new_base`` from the population the run projected for that
    year, so its demand continues the run's instead of re-guessing an age structure from zone
    totals. Added, each labelled ``provenance`` ``projected`` (a projection, not a count):

    * ``population.csv``: each zone's year-end total for ``old_base`` + 1 … ``new_base``;
    * ``age_structure.csv``: each zone's population in ``new_base`` by single year of age and sex
      (``scope`` the zone, ``age_from`` = ``age_to``), which fixes the base population's every age;
    * ``births.csv``: the city's births in ``old_base`` + 1 … ``new_base``; the ``new_base`` births on
      the carried women give the next projection the fertility level the run used in its last year.

    A figure the data folder already has (a reported total, births or a zone's own age structure
    in that year) is kept and the projected one is not added.

    Parameters
    ----------
    population, age_structure, births : DataFrame
        The data folder's tables (``data/README.md``).
    run_population : DataFrame
        The run's ``population.csv``: ``zone_id, year, age, sex, persons`` [persons].
    run_components : DataFrame
        The run's ``components.csv``: ``zone_id, year, births, ...`` [persons / year].
    old_base, new_base : int
        The run's base year and the next plan's [year].

    Returns
    -------
    CarriedBase

    Raises
    ------
    DataError
        The run's projection does not reach ``new_base``.
    """
    years = list(range(old_base + 1, new_base + 1))
    run_population = run_population.assign(zone_id=run_population["zone_id"].astype(str))
    missing = sorted(set(years) - set(run_population["year"].astype(int)))
    if missing:
        raise DataError(f"the run's projection does not cover the year(s) {missing}", path="population.csv",
                        column="year")
    proj = run_population[run_population["year"].isin(years)]
    totals = proj.groupby(["zone_id", "year"], as_index=False)["persons"].sum()
    have = set(zip(population["zone_id"].astype(str), population["year"].astype(int), population["measure"]))
    totals = totals[[(z, int(y), "year_end") not in have for z, y in zip(totals["zone_id"], totals["year"])]]
    totals = totals.assign(measure="year_end", persons=totals["persons"].round(0), **PROJECTED)
    pop_out = pd.concat([population, _with_columns(totals, population, {})], ignore_index=True)

    base = proj[proj["year"] == new_base]
    own = set(age_structure.loc[age_structure["year"].astype(int) == new_base, "scope"].astype(str))
    base = base[~base["zone_id"].isin(own)]
    ages = pd.DataFrame({"scope": base["zone_id"].to_numpy(), "year": new_base,
                         "age_from": base["age"].astype(int).to_numpy(), "age_to": base["age"].astype(int).to_numpy(),
                         "sex": base["sex"].to_numpy(), "persons": base["persons"].round(3).to_numpy(), **PROJECTED})
    age_out = pd.concat([age_structure, _with_columns(ages, age_structure, {"measure": "year_end"})],
                        ignore_index=True)

    city = run_components[run_components["year"].isin(years)].groupby("year", as_index=False)["births"].sum()
    known = set(births.loc[births["scope"].astype(str) == "city", "year"].astype(int))
    city = city[~city["year"].astype(int).isin(known)]
    new_births = pd.DataFrame({"scope": "city", "year": city["year"].astype(int).to_numpy(),
                               "births": city["births"].round(0).to_numpy(), **PROJECTED})
    births_out = pd.concat([births, _with_columns(new_births, births, {})], ignore_index=True)
    if (births_out["births"] % 1 == 0).all():                  # keep whole counts whole in the CSV
        births_out["births"] = births_out["births"].astype("int64")
    added = {"population_rows": len(totals), "population_years": sorted(int(y) for y in totals["year"].unique()),
             "age_structure_zones": sorted(base["zone_id"].unique().tolist()), "age_structure_rows": len(ages),
             "births": {int(y): float(b) for y, b in zip(new_births["year"], new_births["births"])}}
    return CarriedBase(pop_out, age_out, births_out, added)


def rollover_tables(schools: pd.DataFrame, sites: pd.DataFrame, plan: pd.DataFrame, new_base: int):
    """The next plan's schools and candidate sites (pure; GeoDataFrames in, GeoDataFrames out).

    Parameters
    ----------
    schools, sites : GeoDataFrame
        The run's ``schools.gpkg`` and ``candidate_sites.gpkg`` (one CRS).
    plan : DataFrame
        The run's ``plan.csv`` (``site_id, level, action, size_classes, seats, ready_year``).
    new_base : int
        The next plan's base year [year].

    Returns
    -------
    (schools, sites, counts) : GeoDataFrame, GeoDataFrame, DataFrame
        ``counts``: per level, existing / new / closed / converted / next schools.

    Raises
    ------
    DataError
        A plan row names a school or site that is not in the data folder.
    """
    import geopandas as gpd

    schools = schools.copy()
    for col, default in (("open_year", np.nan), ("added_seats", np.nan), ("added_year", np.nan)):
        if col not in schools:
            schools[col] = default
    plan = plan.reset_index(drop=True)
    line = lambda mask: (np.flatnonzero(np.asarray(mask)) + 2).tolist()  # noqa: E731
    from capacity.plan_conversions import conversion_targets

    into = conversion_targets(plan)  # a school converted to another level: a new school on its own place
    new = plan[(plan["action"] == "new") & ~into]
    unknown = ~new["site_id"].astype(str).isin(sites["site_id"].astype(str))
    if unknown.any():
        raise DataError("new school on a site not in candidate_sites.gpkg", path="plan.csv", column="site_id",
                        rows=line(plan.index.isin(new.index[unknown])), row_label="line")
    other = plan[(plan["action"] != "new") | into]
    unknown = ~other["site_id"].astype(str).isin(schools["school_id"].astype(str))
    if unknown.any():
        raise DataError("expanded, closed or converted school not in schools.gpkg", path="plan.csv",
                        column="site_id", rows=line(plan.index.isin(other.index[unknown])), row_label="line")
    before = schools.groupby("level").size()
    idx = pd.Index(schools["school_id"].astype(str))
    # expansions: seats and classes add (a later opening is carried over)
    for r in plan[plan["action"] == "expand"].itertuples(index=False):
        i = idx.get_loc(str(r.site_id))
        if int(r.ready_year) <= new_base:
            schools.iloc[i, schools.columns.get_loc("seats")] += float(r.seats)
            schools.iloc[i, schools.columns.get_loc("classes")] += float(r.size_classes)
        else:
            schools.iloc[i, schools.columns.get_loc("added_seats")] = float(r.seats)
            schools.iloc[i, schools.columns.get_loc("added_year")] = int(r.ready_year)
    gone = plan.loc[plan["action"].isin(("close", "convert")), "site_id"].astype(str)
    kept = schools[~schools["school_id"].astype(str).isin(gone)]
    # new schools: the site's point, land and zone (a converted school's own, issue 13)
    shut = plan[plan["action"] == "convert"]
    old = schools[schools["school_id"].astype(str).isin(shut["site_id"].astype(str))]
    geom = sites.geometry.name
    places = pd.concat([sites.set_index(sites["site_id"].astype(str))[["land_m2", geom]],
                        pd.DataFrame({"land_m2": old["land_m2"].to_numpy(), geom: old.geometry.to_numpy()},
                                     index=old["school_id"].astype(str))])
    new = plan[plan["action"] == "new"]
    site = places.loc[new["site_id"].astype(str)]
    added = gpd.GeoDataFrame({
        "school_id": new["site_id"].astype(str).to_numpy(), "level": new["level"].to_numpy(),
        "zone_id": new["zone_id"].astype(str).to_numpy(),
        "name": [f"{n} (planned)" for n in (site["name"] if "name" in site else site.index)],
        "seats": new["seats"].to_numpy(float), "classes": new["size_classes"].to_numpy(float),
        "land_m2": site["land_m2"].to_numpy(float), "provenance": "planned",
        "open_year": new["ready_year"].to_numpy(float), "added_seats": np.nan, "added_year": np.nan,
    }, geometry=site.geometry.to_numpy(), crs=sites.crs)
    out = pd.concat([kept, added[[c for c in kept.columns if c in added.columns]]], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=kept.geometry.name, crs=schools.crs)
    for col in ("open_year", "added_seats", "added_year"):
        if out[col].isna().all():
            out = out.drop(columns=col)
    left = sites[~sites["site_id"].astype(str).isin(new["site_id"].astype(str))].reset_index(drop=True)
    count = lambda mask: plan[mask].groupby("level").size()  # noqa: E731
    counts = pd.DataFrame({"existing": before, "new": count(plan["action"] == "new"),
                           "closed": count(plan["action"] == "close"),
                           "converted": count(plan["action"] == "convert"),
                           "next": out.groupby("level").size()}).fillna(0).astype(int)
    counts.index.name = "level"
    return out, left, counts.reset_index()


def tfr_path(calibration: dict, years, fixed=None) -> dict:
    """The run's medium city TFR in ``years`` [births / woman].

    From its ``calibration.json``: the damped trend of :func:`capacity.demography.paths.medium_future`
    on the fitted TFRs, or the scenario's ``fixed`` TFR; empty when the calibration lacks the fit.
    """
    from capacity.demography.paths import damped_sum

    if fixed is not None:
        return {int(y): float(fixed) for y in years}
    method = calibration.get("method", {})
    fitted = {int(y): float(v) for y, v in method.get("city_tfr_fitted", {}).items()}
    last = calibration.get("city_tfr_future")
    if not fitted or last is None:
        return {}
    slope, damping = method.get("tfr_trend_slope_per_year", 0.0), method.get("tfr_trend_damping", 0.5)
    return {int(y): float(last * np.exp(slope * damping_sum)) for y, damping_sum in
            zip(years, damped_sum(damping, np.array(list(years)) - max(fitted)))}


def rollover_notes(run_dir, out_dir, src, scen, old_base, new_base, dropped, carried, calibration) -> str:
    """``ROLLOVER.md``: how the folder was made, and which of its figures are projections."""
    def rel(path):
        try:
            return Path(path).resolve().relative_to(Path.cwd()).as_posix()
        except ValueError:
            return Path(path).as_posix()

    lines = [f"# Rolled over from {Path(run_dir).resolve().name}", "",
             f"Made by `capacity rollover {rel(run_dir)} --out {rel(out_dir)}` from the data folder `{rel(src)}` "
             f"and the run's plan ({scen.get('name', '')}). Base year {old_base} → {new_base}.", "",
             "* New schools are existing schools with provenance `planned` and their `open_year`; expansions "
             "added their seats (one not ready by the base year is carried over as `added_seats` / "
             "`added_year`); closed and converted schools left; used sites left candidate_sites.gpkg. Counts "
             "per level: rollover_counts.csv."]
    if dropped:
        lines.append("* New-school modules no remaining site can hold were dropped from standards.toml: "
                     + ", ".join(f"{lv} {m} classes" for lv, m in dropped) + ".")
    if carried is not None:
        a = carried.added
        births = ", ".join(f"{y}: {b:,.0f}" for y, b in a["births"].items()) or "none (all reported)"
        lines += [
            f"* **Projected base (provenance `projected`, source_id `rollover`: the run's own projection, "
            f"not a count).** The next projection starts from the population the run projected for {new_base}:",
            f"  * population.csv: {a['population_rows']} zone year-end totals for "
            f"{', '.join(map(str, a['population_years'])) or '–'} (reported totals kept);",
            f"  * age_structure.csv: {a['age_structure_rows']} rows, the population of "
            f"{len(a['age_structure_zones'])} zones in {new_base} by single year of age and sex;",
            f"  * births.csv: the city's projected births ({births}); the {new_base} births on the carried "
            "women give the next projection the run's fertility level.",
            "  Replace them by reported figures when these are published (delete the `projected` rows of "
            "a year that has a reported figure).",
        ]
    if calibration:
        tfr = calibration.get("city_tfr_future")
        fitted = calibration.get("method", {}).get("city_tfr_fitted", {})
        lines += [f"* The run's calibration is kept as rollover_calibration.json (for reference; the next "
                  f"projection re-fits from the data above): city TFR fitted "
                  + ", ".join(f"{y}: {v:.3f}" for y, v in fitted.items())
                  + (f", carried forward {tfr:.3f}" if tfr is not None else "")
                  + "; zone migration rates under `reference_migration_rate`."]
        path = tfr_path(calibration, range(new_base + 1, new_base + 6), scen.get("projection", {}).get("tfr"))
        if path:
            lines.append(f"* To continue the run's fertility assumption, its medium city TFR path for "
                         f"{new_base + 1}–{new_base + 5} is " + ", ".join(f"{v:.3f}" for v in path.values())
                         + f" (mean {np.mean(list(path.values())):.3f}): the next projection has one fitted year, "
                         "too few for a trend, so a scenario that keeps the run's assumption sets "
                         "`[projection] tfr` to that mean (scenarios/followup_2026_2030.toml does).")
    lines += ["", "Re-make it after a new baseline run: `make rollover` (the commands above)."]
    return "\n".join(lines) + "\n"


def rollover(run_dir, out_dir, force: bool = False) -> pd.DataFrame:
    """Write the next plan's data folder from a run folder (see the module docstring).

    Parameters
    ----------
    run_dir : str or Path
        A ``capacity run`` output folder.
    out_dir : str or Path
        The new data folder (must not exist unless ``force``).

    Returns
    -------
    DataFrame
        Counts per level: existing, new, closed, converted, next (= existing + new − closed − converted).

    Raises
    ------
    DataError
        Not a run folder, its data folder is gone, or the plan names unknown schools or sites.
    """
    import json
    import tomllib

    import geopandas as gpd

    from capacity.io.atomic import output_folder
    from capacity.io.run import read_run

    run = read_run(run_dir)
    scen = run.scenario
    src = Path(scen["data"])
    if not src.is_dir():
        raise DataError("the run's data folder does not exist any more", path=src)
    new_base = int(max(scen["plan"]["build_years"]))
    schools = gpd.read_file(src / "schools.gpkg", layer="schools")
    sites = gpd.read_file(src / "candidate_sites.gpkg", layer="candidate_sites")
    out_schools, out_sites, counts = rollover_tables(schools, sites, run.plan, new_base)
    from capacity.data.standards import parse_standards

    std_text = (src / "standards.toml").read_text(encoding="utf-8-sig")
    std_text, dropped = fit_modules(std_text, parse_standards(tomllib.loads(std_text)), out_sites)
    meta_text = (src / "city.toml").read_text(encoding="utf-8-sig")

    old_base = int(tomllib.loads(meta_text)["base_year"])
    read = lambda name, **kw: pd.read_csv(src / name, keep_default_na=False, na_values=[""], **kw)  # noqa: E731
    population = read("population.csv", dtype={"zone_id": str, "source_id": str})
    age_structure = read("age_structure.csv", dtype={"scope": str, "source_id": str})
    births = read("births.csv", dtype={"scope": str, "source_id": str})
    carried = None
    if new_base > old_base:
        files = {n: Path(run_dir) / n for n in ("population.csv", "components.csv")}
        for f in files.values():
            if not f.is_file():
                raise DataError("the run has no projection to move the base year (capacity run writes it)", path=f)
        carried = projected_base(population, age_structure, births,
                                 pd.read_csv(files["population.csv"], dtype={"zone_id": str}),
                                 pd.read_csv(files["components.csv"], dtype={"zone_id": str}), old_base, new_base)
        population, age_structure, births = carried.population, carried.age_structure, carried.births
    with output_folder(out_dir, force=force) as tmp:
        for f in src.iterdir():
            if f.is_file() and f.name not in ("schools.gpkg", "candidate_sites.gpkg", "population.csv", "city.toml",
                                              "standards.toml", "age_structure.csv", "births.csv"):
                shutil.copy2(f, tmp / f.name)
        sources = tmp / "SOURCES.md"
        if carried is not None and sources.is_file() and "source_id `rollover`" not in sources.read_text("utf-8"):
            with open(sources, "a", encoding="utf-8") as fh:
                fh.write(f"\n## rollover (source_id `rollover`, provenance `projected` and `planned`)\n\n"
                         f"Written by `capacity rollover` from the run `{Path(run_dir).resolve().name}`: the run's own "
                         f"projection for {old_base + 1}–{new_base} (zone year-end totals, the {new_base} population "
                         "by zone, single age and sex, city births) and the schools its plan built. Confidence: "
                         "a model projection, not a count; see ROLLOVER.md.\n")
        out_schools.to_file(tmp / "schools.gpkg", layer="schools", driver="GPKG")
        out_sites.to_file(tmp / "candidate_sites.gpkg", layer="candidate_sites", driver="GPKG")
        population.to_csv(tmp / "population.csv", index=False)
        age_structure.to_csv(tmp / "age_structure.csv", index=False)
        births.to_csv(tmp / "births.csv", index=False)
        calibration = Path(run_dir) / "calibration.json"
        if calibration.is_file():
            shutil.copy2(calibration, tmp / "rollover_calibration.json")
        lines = meta_text.splitlines()
        text = "\n".join(f"base_year = {new_base}   # moved by capacity rollover from {old_base}"
                         if ln.strip().startswith("base_year") else ln for ln in lines) + "\n"
        (tmp / "city.toml").write_text(text, encoding="utf-8")
        (tmp / "standards.toml").write_text(std_text, encoding="utf-8")
        counts.to_csv(tmp / "rollover_counts.csv", index=False)
        calib = (json.loads(calibration.read_text(encoding="utf-8")) if calibration.is_file() else {})
        (tmp / "ROLLOVER.md").write_text(rollover_notes(run_dir, out_dir, src, scen, old_base, new_base, dropped,
                                                        carried, calib), encoding="utf-8")
    return counts
