"""The report in a real headless Chromium with the network off: Chinese text, interactive map, offline.

The page is loaded with every host unresolvable and a dead proxy, and the
DevTools log of every request is kept: the test asserts there was no
request other than the page itself and ``data:`` URIs, none failed, no
console error, every image decodes, the map holds drawn zones and sites,
toggling a layer changes what is drawn, a popup opens on a site, and the
Chinese glyphs are drawn by the embedded font (a string measured with the
embedded font is as wide as with the bundled font file, and differs from
the width the same string gets with a font the page does not have, which
is what a fallback box or a system font would give).
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from capacity.report import webmap
from capacity.report.html import provenance_table, render_report
from capacity.testing.sample import sample_outputs

CITY = "昆明 Kunming"


def _browser_paths():
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("chromium and chromium-driver are not installed "
                    "(apt-get install -y chromium chromium-driver; .ci/run does this)")
    return chromium, driver


def open_offline(path: Path, profile: Path):
    """A headless Chromium with no network (hosts unresolvable, dead proxy) and request logging."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _browser_paths()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1600",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    browser.set_page_load_timeout(60)
    browser.execute_cdp_cmd("Network.enable", {})
    browser.get(path.as_uri())
    return browser


def network_events(browser):
    out = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"].startswith("Network."):
            out.append(msg)
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return sample_outputs(tmp_path_factory.getbasetemp() / "browser-sample", formats=("gpkg",))


def _page(run, lang, folder, embed_font=True):
    run_dir, city = run[0], run[1]
    short = pd.read_csv(run_dir / "shortlist.csv")
    zb = pd.read_csv(run_dir / "zone_balance.csv", dtype={"zone": str, "zone_id": str})
    plan = pd.read_csv(run_dir / "plan.csv", dtype={"zone": str, "zone_id": str, "site_id": str})
    sched = pd.read_csv(run_dir / "schedule.csv", dtype={"zone_id": str})
    totals = sched.groupby(["level", "year"], as_index=False)[["new", "expand", "seats", "cost_cny"]].sum()
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    scenario = json.loads((run_dir / "scenario.json").read_text(encoding="utf-8"))
    assignment = pd.read_csv(run_dir / "assignment.csv", dtype={"unit_id": str, "school_id": str})
    data = webmap.map_data(city=city, zone_balance=zb, plan=plan, shortlist=short, lang=lang,
                           assignment=assignment)
    images = [(p, p.stem, p.stem, "maps") for p in sorted(run_dir.glob("map_*.png"))]
    text = render_report(summary=summary, scenario=scenario, city_name=CITY, images=images, schedule=sched,
                         schedule_totals=totals, shortlist=short, provenance=provenance_table(city),
                         files=["report.html"], lang=lang, map_data=data, embed_font=embed_font)
    path = folder / f"report-{lang}{'' if embed_font else '-nofont'}.html"
    path.write_text(text, encoding="utf-8")
    return path


VISIBLE_SITE_JS = """
const box = document.getElementById('capmap').getBoundingClientRect();
for (const p of document.querySelectorAll('#capmap path.cap-site')) {
  const r = p.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
  if (x > box.left && x < box.right && y > box.top && y < box.bottom && document.elementFromPoint(x, y) === p)
    return p;
}
return null;
"""

WIDTH_JS = """
const probe = document.createElement('span');
probe.textContent = arguments[0];
probe.style.cssText = 'position:absolute;left:0;top:0;font-size:40px;white-space:nowrap;font-family:' + arguments[1];
document.body.appendChild(probe);
const w = probe.getBoundingClientRect().width;
probe.remove();
return w;
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_offline_in_chromium(run, tmp_path, lang):
    path = _page(run, lang, tmp_path)
    browser = open_offline(path, tmp_path / "profile")
    try:
        assert browser.execute_script("return document.readyState") == "complete"
        assert browser.execute_script("return document.fonts.status") == "loaded"
        assert CITY in browser.title
        # every request: the page itself or data: URIs; none failed
        events = network_events(browser)
        sent = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
                if e["method"] == "Network.requestWillBeSent"}
        urls = [u for u in sent.values() if not u.startswith("chrome:")]  # the browser's own start page
        assert path.as_uri() in urls
        assert all(u.startswith(("file:", "data:")) for u in urls), [u[:80] for u in urls]
        failed = [(sent[e["params"]["requestId"]][:80], e["params"]["errorText"]) for e in events
                  if e["method"] == "Network.loadingFailed" and e["params"]["requestId"] in sent
                  and not sent[e["params"]["requestId"]].startswith("chrome:")]
        assert not failed, failed
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(images) >= 4 and all(done and w > 0 and h > 0 for done, w, h in images), images

        # the map: zones and the plan's sites drawn as SVG paths
        n_zones = browser.execute_script("return document.querySelectorAll('#capmap path.cap-zone').length")
        n_sites = browser.execute_script("return document.querySelectorAll('#capmap path.cap-site').length")
        assert n_zones == 3 and n_sites >= 1, (n_zones, n_sites)
        labels = browser.execute_script(
            "return Array.from(document.querySelectorAll('#capmap .cap-label')).map(e => e.textContent)")
        assert ("丙镇" in labels) if lang == "zh" else ("C Town" in labels), labels
        # toggling the plan-sites layer off removes its markers, on brings them back
        boxes = browser.find_elements("css selector", ".leaflet-control-layers-overlays input")
        names = browser.execute_script("return Array.from(document.querySelectorAll("
                                       "'.leaflet-control-layers-overlays label')).map(e => e.textContent.trim())")
        plan_box = boxes[[i for i, n in enumerate(names) if n.startswith(("规划地块", "Plan sites"))][0]]
        plan_box.click()
        assert browser.execute_script("return document.querySelectorAll('#capmap path.cap-site').length") == 0
        plan_box.click()
        assert browser.execute_script(
            "return document.querySelectorAll('#capmap path.cap-site').length") == n_sites
        # a popup on a site: its level, action, cost and alternatives
        browser.execute_script("document.getElementById('capmap').scrollIntoView({block: 'center'})")
        site = browser.execute_script(VISIBLE_SITE_JS)
        assert site is not None, "no plan site inside the map's view"
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(browser).move_to_element(site).click().perform()
        popup = browser.execute_script(
            "const p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : null")
        assert popup, "no popup opened on a site"
        for word in (("学段", "措施", "投资", "区县") if lang == "zh" else ("level", "action", "cost", "zone")):
            assert word in popup.lower(), (word, popup)
        # the map's own text (labels, layer names, popup, selector) is in the embedded font too
        families = browser.execute_script(
            "return ['.cap-label', '.leaflet-control-layers', '.leaflet-popup-content', '.cap-ctl']"
            ".map(s => getComputedStyle(document.querySelector(s)).fontFamily)")
        assert all(f.startswith('"Capacity Sans CJK SC"') for f in families), families
        # the level selector re-shades: a different level gives other fills
        fills = "return Array.from(document.querySelectorAll('#capmap path.cap-zone')).map(p => p.getAttribute('fill'))"
        before = browser.execute_script(fills)
        browser.execute_script("const s = document.querySelector('.cap-ctl select'); s.value = 'primary';"
                               "s.dispatchEvent(new Event('change'))")
        assert browser.execute_script(fills) != before

        browser.get_screenshot_as_file(str(path.with_suffix(".png")))
        # Chinese glyphs: drawn by the embedded font, not by a fallback
        sample = "昆明市五华区学位规划"
        embedded = browser.execute_script(WIDTH_JS, sample, '"Capacity Sans CJK SC"')
        missing = browser.execute_script(WIDTH_JS, sample, '"No Such Font 123", monospace')
        assert embedded == pytest.approx(10 * 40, rel=0.02)  # CJK glyphs are one em wide
        assert abs(embedded - missing) > 20, (embedded, missing)
        assert browser.execute_script("return document.fonts.check('40px \"Capacity Sans CJK SC\"', '昆明')")
    finally:
        browser.quit()


def test_fallback_is_detectable(run, tmp_path):
    """Without the embedded font the same probe differs: the check above can fail."""
    if shutil.which("fc-list"):
        import subprocess

        cjk = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip()
        if cjk:
            pytest.skip("this machine has a system CJK font, so a page without the embedded one still renders")
    path = _page(run, "zh", tmp_path, embed_font=False)
    browser = open_offline(path, tmp_path / "profile")
    try:
        width = browser.execute_script(WIDTH_JS, "昆明市五华区学位规划", '"Capacity Sans CJK SC", sans-serif')
        fonts = browser.execute_script("return document.fonts.size")
    finally:
        browser.quit()
    assert fonts == 0
    assert width != pytest.approx(10 * 40, rel=0.02)
