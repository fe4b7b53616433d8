"""``capacity rollover RUN_DIR --out DATA_DIR``: the data folder of the next plan (issue 13).

A finished plan becomes the starting point of the next one:

* a new school of the plan becomes an existing school (``provenance`` ``planned``,
  ``open_year`` its opening year), on its site's point and land;
* an expansion adds its seats and classes to the school;
* a closed school leaves ``schools.gpkg``; a converted school leaves its level
  (its seats went to another use, e.g. nursery places, which is not a planned level);
* the sites the plan used leave ``candidate_sites.gpkg`` (and a new-school module that no
  remaining site can hold leaves ``standards.toml``: :func:`fit_modules`);
* the base year moves to the plan's last build year: ``population.csv`` gets the
  run's projected year-end population of each zone for the years after the old base
  year up to the new one (``provenance`` ``derived``, ``source_id`` ``rollover``),
  so the next projection starts there.

A project whose seats are not ready by the new base year (a lag reaching past the
plan's end) is carried over: a new school keeps its ``open_year``, an expansion
gets ``added_seats`` / ``added_year`` (optional ``schools.gpkg`` columns read by
:func:`capacity.optimize.geo.carried_over`): it opens in its year and is not re-decided.

Every other file is copied unchanged. The folder is written whole or not at all
(:func:`capacity.io.atomic.output_folder`); the inputs are never modified.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from capacity.errors import DataError

__all__ = ["fit_modules", "rollover", "rollover_tables"]


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
    new = plan[plan["action"] == "new"]
    unknown = ~new["site_id"].astype(str).isin(sites["site_id"].astype(str))
    if unknown.any():
        raise DataError("new school on a site not in candidate_sites.gpkg", path="plan.csv", column="site_id",
                        rows=line(plan.index.isin(new.index[unknown])), row_label="line")
    other = plan[plan["action"] != "new"]
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
    # new schools: the site's point, land and zone
    site = sites.set_index(sites["site_id"].astype(str)).loc[new["site_id"].astype(str)]
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
    population = pd.read_csv(src / "population.csv", dtype={"zone_id": str, "source_id": str}, keep_default_na=False,
                             na_values=[""])
    projected = Path(run_dir) / "population.csv"
    if new_base > old_base:
        if not projected.is_file():
            raise DataError("the run has no projected population to move the base year", path=projected)
        proj = pd.read_csv(projected, dtype={"zone_id": str})
        proj = proj[(proj["year"] > old_base) & (proj["year"] <= new_base)]
        rows = proj.groupby(["zone_id", "year"], as_index=False)["persons"].sum()
        rows = rows.assign(measure="year_end", persons=rows["persons"].round(0), urban_share=np.nan,
                           provenance="derived", source_id="rollover")
        have = set(zip(population["zone_id"], population["year"], population["measure"]))
        rows = rows[[(z, y, "year_end") not in have for z, y in zip(rows["zone_id"], rows["year"])]]
        population = pd.concat([population, rows[population.columns]], ignore_index=True)
    with output_folder(out_dir, force=force) as tmp:
        for f in src.iterdir():
            if f.is_file() and f.name not in ("schools.gpkg", "candidate_sites.gpkg", "population.csv", "city.toml",
                                              "standards.toml"):
                shutil.copy2(f, tmp / f.name)
        out_schools.to_file(tmp / "schools.gpkg", layer="schools", driver="GPKG")
        out_sites.to_file(tmp / "candidate_sites.gpkg", layer="candidate_sites", driver="GPKG")
        population.to_csv(tmp / "population.csv", index=False)
        lines = meta_text.splitlines()
        text = "\n".join(f"base_year = {new_base}   # moved by capacity rollover from {old_base}"
                         if ln.strip().startswith("base_year") else ln for ln in lines) + "\n"
        (tmp / "city.toml").write_text(text, encoding="utf-8")
        (tmp / "standards.toml").write_text(std_text, encoding="utf-8")
        counts.to_csv(tmp / "rollover_counts.csv", index=False)
        (tmp / "ROLLOVER.md").write_text(
            f"# Rolled over from {Path(run_dir).resolve().name}\n\n"
            f"Made by `capacity rollover {run_dir} --out {out_dir}` from the data folder {src} and the run's "
            f"plan ({scen.get('name', '')}). Base year {old_base} → {new_base}. New schools are existing "
            "schools with provenance `planned` and their `open_year`; expansions added their seats; closed and "
            "converted schools left; used sites left candidate_sites.gpkg; population.csv got the run's "
            f"projected year-end totals for {old_base + 1}–{new_base} (provenance `derived`, source_id "
            "`rollover`: a projection, not a count). Counts per level: rollover_counts.csv. "
            + ("New-school modules no remaining site can hold were dropped from standards.toml: "
               + ", ".join(f"{lv} {m} classes" for lv, m in dropped) + "." if dropped else "") + "\n",
            encoding="utf-8")
    return counts
