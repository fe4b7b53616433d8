"""The HTML report (capacity.report.html): self-contained, in Chinese and English, and in a real
headless Chromium with the network off.

The browser part loads the report with every host unresolvable and a dead
proxy, and keeps the DevTools log of every request: it asserts there was no
request other than the page itself and ``data:`` URIs, none failed, no
console error, every image decodes, the map holds drawn zones and sites,
toggling a layer changes what is drawn, a popup opens on a site, the level
selector re-shades the zones, and Chinese glyphs are drawn by the embedded
font: a CJK string measured in it is ten ems wide for ten characters, and a
page without the embedded font (:func:`test_without_embedded_font_glyphs_fall_back`,
on a machine with no system CJK font) measures differently, so the check
can fail.
"""

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from capacity.testing.sample import sample_outputs

FAMILY = '"Capacity Sans CJK SC"'
SAMPLE = "昆明市五华区学位规划"  # ten CJK characters: ten ems in a CJK font


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return sample_outputs(tmp_path_factory.getbasetemp() / "report-html-sample", formats=("gpkg",))


@pytest.fixture(scope="module")
def pages(sample, tmp_path_factory):
    """``{lang: report.html}``: the sample run's report in both languages, through the public API."""
    from capacity.io import read_run
    from capacity.report import report

    run_dir, city, scenario = sample[:3]
    out = {"en": run_dir / "report.html"}  # the sample scenario sets no language: English
    folder = tmp_path_factory.mktemp("report-zh")
    rep = report(read_run(run_dir), city, scenario, lang="zh")
    assert rep.lang == "zh"
    out["zh"] = folder / "report.html"
    out["zh"].write_text(rep.html, encoding="utf-8")
    return out


def _outside_scripts(text):
    return re.sub(r"<script\b.*?</script>", "", text, flags=re.S)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_self_contained(pages, lang):
    text = pages[lang].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert "default-src 'none'" in csp and "img-src data:;" in csp and "font-src data:" in csp
    markup = _outside_scripts(text)
    refs = re.findall(r'(?:src|href)="([^"#][^"]*)"', markup)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs), refs[:3]
    assert "<link" not in markup and "@import" not in markup and "http://" not in markup
    assert "https://" not in markup
    assert not re.search(r"<script[^>]*\bsrc=", text)  # every script inline
    assert re.search(r"@font-face\{font-family:\"Capacity Sans CJK SC\".*?url\(data:font/woff2?;base64,", text)
    assert len(re.findall(r"<img ", text)) == 5  # four maps and the phasing chart
    assert 'id="capmap"' in text and 'id="capmap-data"' in text
    common = ("tiny-report", "丙镇", "public_share", "T15", "@media print")
    words = {"en": ("not met", "not assessable", "assumed, not assessed", "Synthetic layers", "relative gap"),
             "zh": ("未达成", "无法评估", "假设,未评估", "合成图层", "相对间隙", "对照规划目标")}
    for needle in (*common, *words[lang]):
        assert needle in text, needle
    other = words["zh" if lang == "en" else "en"]
    assert not any(f">{w}<" in markup for w in other[:3])  # status badges in one language


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


def network_log(browser, page: Path):
    """``(urls, failed)`` of the page's requests (the browser's own ``chrome:`` pages left out)."""
    events = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    sent = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
            if e["method"] == "Network.requestWillBeSent"}
    sent = {k: u for k, u in sent.items() if not u.startswith("chrome:")}
    failed = [(sent[e["params"]["requestId"]][:80], e["params"]["errorText"]) for e in events
              if e["method"] == "Network.loadingFailed" and e["params"]["requestId"] in sent]
    return list(sent.values()), failed


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

COUNT_JS = "return document.querySelectorAll(arguments[0]).length"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_offline_in_chromium(pages, tmp_path, lang):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains

    page = pages[lang]
    browser = open_offline(page, tmp_path / "profile")
    try:
        assert browser.execute_script("return document.readyState") == "complete"
        assert browser.execute_script("return document.fonts.status") == "loaded"
        assert "tiny-report" in browser.title
        urls, failed = network_log(browser, page)
        assert page.as_uri() in urls
        assert all(u.startswith(("file:", "data:")) for u in urls), [u[:80] for u in urls]
        assert not failed, failed
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(images) == 5 and all(done and w > 0 and h > 0 for done, w, h in images), images

        # the map holds the three zones and the plan's kindergartens ready by the first year
        n_sites = browser.execute_script(COUNT_JS, "#capmap path.cap-site")
        assert browser.execute_script(COUNT_JS, "#capmap path.cap-zone") == 3 and n_sites >= 1
        labels = browser.execute_script(
            "return Array.from(document.querySelectorAll('#capmap .cap-label')).map(e => e.textContent)")
        assert ("丙镇" in labels) if lang == "zh" else ("C Town" in labels), labels
        # toggling the plan-sites layer off removes its markers; on brings them back
        names = browser.execute_script("return Array.from(document.querySelectorAll("
                                       "'.leaflet-control-layers-overlays label')).map(e => e.textContent.trim())")
        boxes = browser.find_elements("css selector", ".leaflet-control-layers-overlays input")
        plan_box = boxes[[i for i, n in enumerate(names) if n.startswith(("规划地块", "Plan sites"))][0]]
        plan_box.click()
        assert browser.execute_script(COUNT_JS, "#capmap path.cap-site") == 0
        plan_box.click()
        assert browser.execute_script(COUNT_JS, "#capmap path.cap-site") == n_sites
        # a popup on a site, with its level, action, cost and zone
        browser.execute_script("document.getElementById('capmap').scrollIntoView({block: 'center'})")
        site = browser.execute_script(VISIBLE_SITE_JS)
        assert site is not None, "no plan site inside the map's view"
        ActionChains(browser).move_to_element(site).click().perform()
        popup = browser.execute_script(
            "const p = document.querySelector('.leaflet-popup-content'); return p ? p.textContent : null")
        assert popup, "no popup opened on a site"
        for word in (("学段", "措施", "投资", "区县", "幼儿园") if lang == "zh"
                     else ("level", "action", "cost", "zone", "kindergarten")):
            assert word in popup.lower(), (word, popup)
        # the map's own text (labels, layer names, popup, selector) is in the embedded font
        families = browser.execute_script(
            "return ['.cap-label', '.leaflet-control-layers', '.leaflet-popup-content', '.cap-ctl']"
            ".map(s => getComputedStyle(document.querySelector(s)).fontFamily)")
        assert all(f.startswith(FAMILY) for f in families), families
        # the level selector re-shades the zones
        fills = ("return Array.from(document.querySelectorAll('#capmap path.cap-zone'))"
                 ".map(p => p.getAttribute('fill'))")
        before = browser.execute_script(fills)
        browser.execute_script("const s = document.querySelector('.cap-ctl select'); s.value = 'primary';"
                               "s.dispatchEvent(new Event('change'))")
        assert browser.execute_script(fills) != before

        # Chinese glyphs come from the embedded font: ten CJK characters, ten ems
        embedded = browser.execute_script(WIDTH_JS, SAMPLE, FAMILY)
        assert embedded == pytest.approx(10 * 40, rel=0.02), embedded
        assert browser.execute_script(f"return document.fonts.check('40px {FAMILY}', '昆明')")
        png = browser.get_screenshot_as_png()
    finally:
        browser.quit()
    shot = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert shot.shape[0] > 500 and shot.std() > 10  # not a blank page


def test_without_embedded_font_glyphs_fall_back(pages, tmp_path):
    """Control: the same page with its @font-face removed measures otherwise on this machine."""
    import subprocess

    if shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                  text=True).stdout.strip():
        pytest.skip("this machine has a system CJK font: without the embedded one the page still renders")
    text = pages["zh"].read_text(encoding="utf-8")
    stripped = re.sub(r"@font-face\{[^}]*\}", "", text, count=1)
    assert stripped != text
    page = tmp_path / "no-font.html"
    page.write_text(stripped, encoding="utf-8")
    browser = open_offline(page, tmp_path / "profile")
    try:
        width = browser.execute_script(WIDTH_JS, SAMPLE, FAMILY + ", sans-serif")
        faces = browser.execute_script("return document.fonts.size")
    finally:
        browser.quit()
    assert faces == 0
    assert width != pytest.approx(10 * 40, rel=0.02), width


def _copy_run(sample, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(sample[0], folder)
    return folder


def test_report_command_lang_en_and_pdf(sample, tmp_path, capsys):
    from openpyxl import load_workbook

    from capacity.cli import main
    from capacity.report.pdf import find_chromium

    if not find_chromium():
        pytest.skip("no Chromium installed (apt-get install chromium)")
    folder = _copy_run(sample, tmp_path)  # it has a report already: --lang/--pdf remake it
    city = Path(json.loads((folder / "scenario.json").read_text(encoding="utf-8"))["data"])
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "kunming" / "plan_targets.csv", city)
    (folder / "report.html").write_text("<!DOCTYPE html><html lang=\"zh-Hans\"></html>", encoding="utf-8")
    assert main(["report", str(folder), "--lang", "en", "--pdf", "--quiet"]) == 0
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "Against the plan" in text
    assert all(f"<tr><td>T{i}</td>" in text for i in range(1, 21)) and ">out of scope<" in text
    pdf = (folder / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 3
    assert (folder / "report.pdf").stat().st_mode & 0o044 == (folder / "report.html").stat().st_mode & 0o044
    assert b"CapacitySansCJKSC" in pdf  # the embedded font made it into the PDF
    heads = [c.value for c in next(load_workbook(folder / "schedule.xlsx", read_only=True)["summary"]
                                   .iter_rows(min_row=2, max_row=2))]
    assert "Seats" in heads and "学位" not in heads
    assert not list(folder.glob(".*tmp*")) and not list(folder.glob(".report.*"))


def test_report_pdf_without_chromium_is_a_clear_error(sample, tmp_path, monkeypatch, capsys):
    from capacity.cli import main

    folder = _copy_run(sample, tmp_path)
    before = (folder / "report.html").read_bytes()
    monkeypatch.setenv("CAPACITY_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert main(["report", str(folder), "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "Chromium" in err and "apt-get install chromium" in err and "Traceback" not in err
    assert (folder / "report.html").read_bytes() == before  # nothing remade, nothing written
    assert not (folder / "report.pdf").exists()
