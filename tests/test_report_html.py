"""The HTML report (capacity.report.html): self-contained, and rendered by a real headless Chromium."""

import io
import re
import shutil

import numpy as np
import pytest

from capacity.testing.sample import sample_outputs


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    run_dir = sample_outputs(tmp_path_factory.getbasetemp() / "report-sample")[0]
    return run_dir / "report.html"


def test_self_contained(report):
    text = report.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "Content-Security-Policy" in text
    srcs = re.findall(r'(?:src|href)="([^"#][^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<link" not in text and "<script" not in text and "@import" not in text
    assert len(re.findall(r"<img ", text)) == 5  # four maps and the phasing chart
    for needle in ("tiny-report", "丙镇", "not met", "not assessable", "Synthetic layers", "public_share",
                   "relative gap", "optimal"):
        assert needle in text, needle


def _browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("chromium and chromium-driver are not installed "
                    "(apt-get install -y chromium chromium-driver; .ci/run does this)")
    return webdriver, Service, chromium, driver


def test_renders_in_headless_chromium(report, tmp_path):
    from PIL import Image

    webdriver, Service, chromium, driver = _browser()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    try:
        browser.set_page_load_timeout(60)
        browser.get(report.as_uri())
        state = browser.execute_script("return document.readyState")
        assert state == "complete"
        assert "tiny-report" in browser.title
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
        assert len(images) == 5
        assert all(done and w > 0 and h > 0 for done, w, h in images), images
        errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        png = browser.get_screenshot_as_png()
    finally:
        browser.quit()
    shot = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    (tmp_path / "screenshot.png").write_bytes(png)
    assert shot.shape[0] > 500 and shot.std() > 10  # not a blank page
