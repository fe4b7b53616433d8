"""The report's interactive map: Leaflet, inlined, with no background tiles (works offline).

:func:`map_data` (pure) turns a run's tables into one compact JSON-able
dict in WGS 84 (EPSG:4326, what Leaflet draws):

* ``zones`` — GeoJSON of the zones, simplified by ``tolerance_m`` in the
  city's metric CRS and rounded to ``digits`` decimals (5 decimals ≈ 1 m),
  with the zone's name in the report's language;
* ``balance`` — ``{level: {year: {zone_id: [seats, demand]}}}`` [pupils], so
  the page shades zones by seat balance for the level and year the reader picks;
* ``schools`` (existing), ``sites`` (the plan's new / expanded / closed /
  converted sites with their opening and ready years), ``alternatives`` (the
  shortlist) and ``units`` (demand units, optional) — points with the values
  their popup shows, already formatted for the language
  (:mod:`capacity.report.i18n`);
* ``fields`` — the popup labels of each point layer, ``text`` — the page's
  other phrases.

:func:`map_html` returns the HTML fragment: the map container, the vendored
Leaflet stylesheet and script (``vendor/leaflet``, BSD 2-Clause; image URLs
in the stylesheet replaced by ``data:`` URIs, its comments and the script's
source-map comment dropped, so nothing is requested), the data as a JSON script block and the
small script that draws it. Layers can be toggled (Leaflet's layers
control); a level and year selector re-shades the zones and filters the
points; every point has a popup. Background tiles are fetched only when a
tile URL is given (``[outputs] tile_url``); :func:`csp_sources` then adds its
origin to the page's Content-Security-Policy.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from capacity import ALL_LEVELS
from capacity.report import i18n

VENDOR = Path(__file__).with_name("vendor") / "leaflet"
WGS84 = "EPSG:4326"


def leaflet_assets() -> tuple[str, str]:
    """The vendored Leaflet ``(css, js)``, made self-contained (see the module docstring)."""
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match):
        data = base64.b64encode((VENDOR / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S*\s*$", "", js)
    return css, js


def _lonlat(x, y, crs) -> np.ndarray:
    """``[lat, lon]`` rows of metric coordinates ``x, y`` in ``crs`` [degrees]."""
    from pyproj import Transformer

    t = Transformer.from_crs(crs, WGS84, always_xy=True)
    lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
    return np.column_stack([lat, lon])


def _round_coords(obj, digits):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), digits) for v in obj[:2]]
        return [_round_coords(o, digits) for o in obj]
    return obj


def zone_features(zones, crs, lang, tolerance_m=30.0, digits=5) -> dict:
    """The zones as GeoJSON (EPSG:4326): simplified [m], rounded, named for ``lang``."""
    import shapely

    z = zones.to_crs(crs)
    geoms = shapely.simplify(z.geometry.to_numpy(), tolerance_m, preserve_topology=True)
    z = z.set_geometry(geoms).to_crs(WGS84)
    name_col = "name_local" if lang == "zh" else "name_en"
    feats = []
    for row, geom in zip(z.itertuples(index=False), z.geometry):
        gj = shapely.geometry.mapping(geom)
        feats.append({"type": "Feature",
                      "properties": {"zone_id": str(row.zone_id), "name": str(getattr(row, name_col)),
                                     "kind": str(getattr(row, "kind", ""))},
                      "geometry": {"type": gj["type"], "coordinates": _round_coords(gj["coordinates"], digits)}})
    return {"type": "FeatureCollection", "features": feats}


def _zone_col(frame) -> str:
    return "zone_id" if "zone_id" in frame.columns else "zone"


def balance_table(zone_balance) -> dict:
    """``{level: {year: {zone_id: [seats, demand]}}}`` [pupils] from ``zone_balance``."""
    zb = zone_balance
    zc = _zone_col(zb)
    out: dict = {}
    for (level, year), part in zb.groupby(["level", "year"], sort=True):
        out.setdefault(str(level), {})[str(int(year))] = {
            str(z): [round(float(s), 1), round(float(d), 1)]
            for z, s, d in zip(part[zc], part["seats"], part["demand"])}
    return out


def _points(frame, x, y, crs, digits):
    if not len(frame):
        return np.zeros((0, 2))
    return np.round(_lonlat(x, y, crs), digits)


def _int(v):
    return "—" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{int(v):,}"


def school_points(schools, zone_names, lang, digits=5) -> list:
    """Existing schools: ``{ll, lv, v}`` with popup values (name, level, seats, classes, zone)."""
    crs = schools.crs
    ll = _points(schools, schools.geometry.x, schools.geometry.y, crs, digits)
    out = []
    for (lat, lon), r in zip(ll, schools.itertuples(index=False)):
        out.append({"ll": [lat, lon], "lv": str(r.level),
                    "v": [str(r.name), i18n.level_name(r.level, lang), _int(r.seats),
                          _int(getattr(r, "classes", None)), zone_names.get(str(r.zone_id), str(r.zone_id))]})
    return out


def site_points(plan, shortlist, zone_names, crs, lang, digits=5, names=None) -> list:
    """The plan's sites: ``{ll, lv, a, o, y, v}``; popup values as in :func:`map_data`'s ``fields``."""
    names = names or {}
    zc = _zone_col(plan)
    ll = _points(plan, plan["x"], plan["y"], crs, digits)
    alts = {}
    if len(shortlist):
        s = shortlist.sort_values(["chosen_site_id", "distance_m"])
        for site, part in s.groupby("chosen_site_id", sort=False):
            alts[str(site)] = ", ".join(f"{a} ({d:,.0f} m)" for a, d in zip(part["alt_site_id"], part["distance_m"]))
    out = []
    for (lat, lon), r in zip(ll, plan.itertuples(index=False)):
        site = str(r.site_id)
        out.append({"ll": [lat, lon], "lv": str(r.level), "a": str(r.action), "o": int(r.open_year),
                    "y": int(r.ready_year),
                    "v": [names.get(site, site), i18n.level_name(r.level, lang), i18n.action_name(r.action, lang),
                          _int(r.size_classes), _int(r.seats), f"{int(r.open_year)} / {int(r.ready_year)}",
                          i18n.money(r.cost_cny, lang),
                          zone_names.get(str(getattr(r, zc)), str(getattr(r, zc))),
                          _int(getattr(r, "pupils", None)) if hasattr(r, "pupils") else "—",
                          alts.get(site, i18n.tr("wm_none", lang))]})
    return out


def alternative_points(shortlist, crs, lang, digits=5) -> list:
    """The shortlist's alternatives: ``{ll, lv, o, v}`` (alternative to, rank, distance, Δcost, score)."""
    if not len(shortlist):
        return []
    ll = _points(shortlist, shortlist["x"], shortlist["y"], crs, digits)
    return [{"ll": [lat, lon], "lv": str(r.level), "o": int(r.open_year),
             "v": [str(r.alt_site_id), i18n.tr("wm_alt_of", lang, site=r.chosen_site_id), _int(r.alt_rank),
                   f"{r.distance_m:,.0f} m", i18n.money(r.delta_cost_cny, lang), f"{r.score:,.2f}"]}
            for (lat, lon), r in zip(ll, shortlist.itertuples(index=False))]


def unit_points(units, digits=4) -> list:
    """Demand units: ``[lat, lon, population]`` rows (no popup; 4 decimals ≈ 10 m)."""
    ll = _points(units, units.geometry.x, units.geometry.y, units.crs, digits)
    return [[lat, lon, round(float(p))] for (lat, lon), p in zip(ll, units["population"])]


def map_data(*, city, zone_balance, plan, shortlist, lang, assignment=None, units=True, tile_url=None,
             tolerance_m=30.0) -> dict:
    """Everything the interactive map draws, as JSON-able data (see the module docstring).

    Parameters
    ----------
    city : CityData
        Zones, schools and demand units (metric CRS).
    zone_balance, plan, shortlist : DataFrame
        The run's tables (``plan`` with ``x``, ``y`` in the city's metric CRS).
    assignment : DataFrame, optional
        The run's assignment: a site's popup then shows the pupils it serves in the first
        year of ``zone_balance`` [pupils].
    lang : {"zh", "en"}
    units : bool
        Include the demand units (a layer off by default).
    tile_url : str, optional
        A tile server URL template (``https://host/{z}/{x}/{y}.png``); none: no tiles.
    tolerance_m : float
        Zone outline simplification [m].
    """
    i18n.check_language(lang)
    crs = city.demand_units.crs
    name_col = "name_local" if lang == "zh" else "name_en"
    zone_names = dict(zip(city.zones["zone_id"].astype(str), city.zones[name_col].astype(str)))
    balance = balance_table(zone_balance)
    levels = [lv for lv in ALL_LEVELS if lv in balance] + sorted(set(balance) - set(ALL_LEVELS))
    years = sorted({int(y) for b in balance.values() for y in b})
    field_keys = {"school": ["wm_name", "wm_level", "wm_seats", "wm_classes", "wm_zone"],
                  "site": ["wm_name", "wm_level", "wm_action", "wm_classes", "wm_seats", "wm_open_year",
                           "wm_cost", "wm_zone", "wm_pupils", "wm_alternatives"],
                  "alt": ["wm_name", "wm_action", "wm_rank", "wm_distance", "wm_cost", "wm_score"]}
    fields = {k: [i18n.tr(p, lang) for p in keys] for k, keys in field_keys.items()}
    fields["site"][5] = f"{i18n.tr('wm_open_year', lang)} / {i18n.tr('wm_ready_year', lang)}"
    text = {k: i18n.tr(k, lang) for k in ("wm_level", "wm_year", "wm_zones", "wm_existing", "wm_plan",
                                            "wm_units", "wm_shortlist", "wm_tiles", "wm_balance", "wm_demand",
                                            "wm_seats", "wm_legend_deficit", "wm_legend_surplus")}
    text["levels"] = {lv: i18n.level_name(lv, lang) for lv in levels}
    text["actions"] = {a: i18n.action_name(a, lang) for a in i18n.ACTION_NAMES}
    if assignment is not None and "pupils" not in plan.columns and len(plan):
        a = assignment[assignment["year"] == years[0]] if years else assignment.iloc[0:0]
        served = a.groupby([a["school_id"].astype(str), "level"])["pupils"].sum()
        key = pd.MultiIndex.from_arrays([plan["site_id"].astype(str), plan["level"]])
        plan = plan.assign(pupils=served.reindex(key).fillna(0.0).to_numpy())
    data = {
        "lang": lang, "levels": levels, "years": years,
        "zones": zone_features(city.zones, crs, lang, tolerance_m=tolerance_m),
        "balance": balance,
        "schools": school_points(city.schools, zone_names, lang),
        "sites": site_points(plan, shortlist, zone_names, crs, lang),
        "alternatives": alternative_points(shortlist, crs, lang),
        "units": unit_points(city.demand_units) if units else [],
        "fields": fields, "text": text,
        "tiles": {"url": tile_url} if tile_url else None,
    }
    return data


def data_json(data: dict) -> str:
    """``data`` as JSON safe inside a ``<script>`` block (``</`` escaped), non-ASCII kept."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def csp_sources(tile_url=None) -> str:
    """Extra ``img-src`` origin for a tile server (empty without one)."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f" {parts.scheme}://{parts.netloc}"


CSS = """
#capmap{height:640px;border:1px solid #bbb;background:#f4f6f8}
#capmap.leaflet-container,#capmap .leaflet-container{font-family:inherit}
.cap-label{background:rgba(255,255,255,.75);border:0;box-shadow:none;padding:0 3px;font-size:11px;color:#222}
.cap-label:before{display:none}
.cap-ctl{background:#fff;padding:6px 8px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px}
.cap-ctl select{font:inherit;margin:0 .3em}
.cap-legend .ramp{display:inline-block;width:140px;height:10px;vertical-align:middle;
  background:linear-gradient(to right,#b2182b,#f7f7f7,#2166ac);margin:0 .4em}
.cap-popup td{padding:1px 6px 1px 0;border:0;vertical-align:top}.cap-popup th{text-align:left;border:0;padding:0 6px 0 0}
.cap-popup table{border:0;margin:0;font-size:12px}
@media print{#capmap{height:170mm;page-break-inside:avoid}.leaflet-control-zoom{display:none}}
"""

SCRIPT = r"""
(function () {
  var D = JSON.parse(document.getElementById('capmap-data').textContent);
  var T = D.text;
  var map = L.map('capmap', {zoomSnap: 0.25, attributionControl: !!D.tiles});
  var svg = L.svg({padding: 0.5});
  var level = D.levels[0], year = D.years[0];
  function colour(v, lim) {
    var t = Math.max(-1, Math.min(1, v / lim)), a = [247, 247, 247];
    var b = t < 0 ? [178, 24, 43] : [33, 102, 172], s = Math.abs(t);
    return 'rgb(' + a.map(function (c, i) { return Math.round(c + (b[i] - c) * s); }).join(',') + ')';
  }
  function limit() {
    var lim = 1, by = D.balance[level] || {};
    Object.keys(by).forEach(function (y) { Object.keys(by[y]).forEach(function (z) {
      lim = Math.max(lim, Math.abs(by[y][z][0] - by[y][z][1])); }); });
    return lim;
  }
  function cell(z) { return ((D.balance[level] || {})[String(year)] || {})[z]; }
  function table(rows) {
    var t = document.createElement('table');
    rows.forEach(function (r) {
      var tr = t.insertRow(), th = document.createElement('th'), td = tr.insertCell();
      th.textContent = r[0]; tr.insertBefore(th, td); td.textContent = r[1];
    });
    var div = document.createElement('div'); div.className = 'cap-popup'; div.appendChild(t); return div;
  }
  function fmt(v) { return Math.round(v).toLocaleString('en'); }
  var lim = limit();
  var zones = L.geoJSON(D.zones, {
    renderer: svg,
    style: function (f) {
      var c = cell(f.properties.zone_id);
      return {color: '#444', weight: 1, fillOpacity: 0.75, className: 'cap-zone',
              fillColor: c ? colour(c[0] - c[1], lim) : '#e6e6e6'};
    },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.name, {permanent: true, direction: 'center', className: 'cap-label'});
      l.bindPopup(function () {
        var c = cell(f.properties.zone_id) || [NaN, NaN];
        return table([[T.wm_zones, f.properties.name], [T.wm_level, T.levels[level] || level], [T.wm_year, year],
                      [T.wm_seats, fmt(c[0])], [T.wm_demand, fmt(c[1])], [T.wm_balance, fmt(c[0] - c[1])]]);
      });
    }
  });
  var schools = L.layerGroup(), sites = L.layerGroup(), alts = L.layerGroup();
  var units = L.layerGroup();
  var yearColours = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d'];
  var openYears = Array.from(new Set(D.sites.map(function (s) { return s.o; }))).sort();
  function popup(fields, values) {
    return table(fields.map(function (f, i) { return [f, values[i]]; }));
  }
  function draw() {
    lim = limit();
    zones.setStyle(function (f) {
      var c = cell(f.properties.zone_id);
      return {fillColor: c ? colour(c[0] - c[1], lim) : '#e6e6e6'};
    });
    [schools, sites, alts].forEach(function (g) { g.clearLayers(); });
    D.schools.forEach(function (s) {
      if (s.lv !== level) return;
      L.circleMarker(s.ll, {renderer: svg, radius: 3, color: '#fff', weight: 0.6, fillColor: '#666',
                            fillOpacity: 0.9, className: 'cap-school'})
        .bindPopup(popup(D.fields.school, s.v)).addTo(schools);
    });
    D.sites.forEach(function (s) {
      if (s.lv !== level || s.y > year) return;
      var c = yearColours[openYears.indexOf(s.o) % yearColours.length];
      var closed = s.a === 'close' || s.a === 'merge';
      L.circleMarker(s.ll, {renderer: svg, radius: s.a === 'new' ? 7 : 6, color: closed ? c : '#000',
                            weight: closed ? 3 : 1.2, fillColor: closed ? '#fff' : c, fillOpacity: 0.95,
                            dashArray: s.a === 'expand' ? '3 2' : (s.a === 'convert' ? '1 2' : null),
                            className: 'cap-site cap-' + s.a})
        .bindPopup(popup(D.fields.site, s.v)).addTo(sites);
    });
    D.alternatives.forEach(function (s) {
      if (s.lv !== level || s.o > year) return;
      L.circleMarker(s.ll, {renderer: svg, radius: 5, color: '#333', weight: 1, dashArray: '2 2',
                            fillColor: '#fff', fillOpacity: 0.6, className: 'cap-alt'})
        .bindPopup(popup(D.fields.alt, s.v)).addTo(alts);
    });
    legendYears();
  }
  if (D.units.length) {
    var canvas = L.canvas();
    var pmax = Math.max.apply(null, D.units.map(function (u) { return u[2]; }).concat([1]));
    D.units.forEach(function (u) {
      L.circleMarker([u[0], u[1]], {renderer: canvas, radius: 1 + 4 * Math.sqrt(u[2] / pmax), stroke: false,
                                     fillColor: '#7b3294', fillOpacity: 0.5, interactive: false}).addTo(units);
    });
  }
  var overlays = {};
  overlays[T.wm_zones] = zones; overlays[T.wm_existing] = schools; overlays[T.wm_plan] = sites;
  overlays[T.wm_shortlist] = alts;
  if (D.units.length) overlays[T.wm_units] = units;
  var base = {};
  if (D.tiles) {
    var tiles = L.tileLayer(D.tiles.url, {maxZoom: 19});
    overlays[T.wm_tiles] = tiles;
  }
  [zones, schools, sites, alts].forEach(function (g) { g.addTo(map); });
  L.control.layers(base, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var Ctl = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'cap-ctl');
    function select(label, values, names, value, on) {
      var span = document.createElement('label'); span.textContent = label;
      var s = document.createElement('select');
      values.forEach(function (v) { var o = document.createElement('option'); o.value = v;
        o.textContent = names[v] || v; if (String(v) === String(value)) o.selected = true; s.appendChild(o); });
      s.addEventListener('change', function () { on(s.value); draw(); });
      span.appendChild(s); div.appendChild(span);
    }
    select(T.wm_level, D.levels, T.levels, level, function (v) { level = v; });
    select(T.wm_year, D.years, {}, year, function (v) { year = +v; });
    L.DomEvent.disableClickPropagation(div);
    return div;
  }});
  new Ctl().addTo(map);
  var legend = L.control({position: 'bottomright'});
  var yearsDiv;
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'cap-ctl cap-legend');
    div.appendChild(document.createTextNode(T.wm_balance + ': ' + T.wm_legend_deficit));
    var ramp = document.createElement('span'); ramp.className = 'ramp'; div.appendChild(ramp);
    div.appendChild(document.createTextNode(T.wm_legend_surplus));
    yearsDiv = document.createElement('div'); div.appendChild(yearsDiv);
    var acts = document.createElement('div'), styles = {new: 'solid 1px #000;background:#999',
      expand: 'dashed 1px #000;background:#999', close: 'solid 3px #999;background:#fff',
      merge: 'solid 3px #999;background:#fff', convert: 'dotted 1px #000;background:#999'};
    Object.keys(styles).forEach(function (a) {
      if (!D.sites.some(function (s) { return s.a === a; })) return;
      var sw = document.createElement('span');
      sw.style.cssText = 'display:inline-block;width:9px;height:9px;border-radius:6px;margin:0 3px 0 8px;' +
        'border:' + styles[a];
      acts.appendChild(sw); acts.appendChild(document.createTextNode(T.actions[a] || a));
    });
    div.appendChild(acts);
    return div;
  };
  function legendYears() {
    if (!yearsDiv) return;
    yearsDiv.textContent = '';
    openYears.forEach(function (y, i) {
      var sw = document.createElement('span');
      sw.style.cssText = 'display:inline-block;width:10px;height:10px;border-radius:5px;margin:0 3px 0 8px;' +
        'border:1px solid #000;background:' + yearColours[i % yearColours.length];
      yearsDiv.appendChild(sw); yearsDiv.appendChild(document.createTextNode(String(y)));
    });
  }
  legend.addTo(map);
  var main = D.zones.features.filter(function (f) { return f.properties.kind !== 'exclave'; });
  map.fitBounds(L.geoJSON({type: 'FeatureCollection', features: main.length ? main : D.zones.features})
                .getBounds(), {padding: [10, 10]});
  draw();
  window.capacityMap = {map: map, layers: {zones: zones, schools: schools, sites: sites, alternatives: alts,
                                           units: units}};
})();
"""


def map_html(data: dict) -> str:
    """The map as an HTML fragment (container, Leaflet, data, script); see the module docstring."""
    css, js = leaflet_assets()
    return (f"<style>{css}{CSS}</style><div id=\"capmap\" role=\"application\"></div>"
            f"<script>{js}</script>"
            f"<script type=\"application/json\" id=\"capmap-data\">{data_json(data)}</script>"
            f"<script>{SCRIPT}</script>")
