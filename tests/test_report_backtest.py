"""The projection's back-test in the report (capacity.report.backtest) and in summary.json.

The sample city (capacity.testing.sample) has population figures of its base
year 2023 only, so it cannot be back-tested: the section says so in one line.
Given a short history — zone 100001 (甲区 / A District) 2019–2023, zone
100002 (乙县 / B County) from 2021, city births 2019–2024 — the projection
with base year 2023 is back-tested from the origins 2020, 2021 and 2022, and
the report shows the same figures as ``backtest_summary_for``.
"""

import dataclasses
import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from capacity.report import i18n
from capacity.report.backtest import COLUMNS, backtest_frame, backtest_html, projection_backtest, signed_share

A, B, C = "100001", "100002", "100003"

BT = {"status": "ok", "base_year": 2023, "origins": [2020, 2021],
      "rows": [{"origin": 2021, "measure": "births", "n": 3, "mae": 0.0931, "mean_error": -0.0931,
                "coverage": 1.0, "mean_band_width": 0.2273},
               {"origin": 2020, "measure": "births", "n": 4, "mae": 0.162076, "mean_error": 0.162076,
                "coverage": 1.0, "mean_band_width": 0.252821},
               {"origin": 2020, "measure": "population", "n": 27, "mae": 0.016773, "mean_error": 0.006177,
                "coverage": 0.851852, "mean_band_width": 0.029541},
               {"origin": 2020, "measure": "city_population", "n": 4, "mae": 0.0, "mean_error": 0.0,
                "coverage": None, "mean_band_width": None}],
      "setup": {"2020": {"left_out": [{"zone_id": "530124", "name_local": "富民县", "name_en": "Fumin County"},
                                      {"zone_id": "mohan", "name_local": "磨憨", "name_en": "Mohan"}]},
                "2021": {"left_out": []}}}


# ---- formatting, with literal values ----------------------------------------------------

def test_signed_share():
    assert signed_share(0.006177, "en") == "+0.6%" and signed_share(-0.0931, "zh") == "−9.3%"
    assert signed_share(0.0, "en") == "±0.0%" and signed_share(None, "en") == "—"


def test_table_formatting_by_hand():
    en = backtest_frame(BT, "en")
    assert list(en.columns) == list(COLUMNS)
    assert en.values.tolist() == [
        ["2020", "county population", "27", "1.7%", "+0.6%", "85.2%", "±3.0%", "Fumin County, Mohan"],
        ["2020", "city population", "4", "0.0%", "±0.0%", "—", "—", ""],
        ["2020", "city births", "4", "16.2%", "+16.2%", "100.0%", "±25.3%", ""],
        ["2021", "city births", "3", "9.3%", "−9.3%", "100.0%", "±22.7%", "none"],
    ]
    zh = backtest_frame(BT, "zh")
    assert zh.values.tolist()[0] == ["2020", "区县常住人口", "27", "1.7%", "+0.6%", "85.2%", "±3.0%", "富民县、磨憨"]
    assert zh["measure"].tolist()[1:] == ["全市常住人口", "全市出生人口", "全市出生人口"]
    assert zh["left_out"].tolist()[3] == "无"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_section_html(lang):
    page = backtest_html(BT, lang)
    assert page.startswith(f"<h3>{html.escape(i18n.tr('bt_heading', lang))}</h3>")
    assert i18n.tr("bt_intro", lang, origins=("、" if lang == "zh" else ", ").join(["2020", "2021"]),
                   year=2023) in page
    assert i18n.tr("bt_how_to_read", lang) in page
    heads = re.findall(r"<th>(.*?)</th>", page)
    assert heads == [html.escape(i18n.tr("bt_col_" + c, lang)) for c in COLUMNS]
    assert '<td class="num">+16.2%</td>' in page and '<td class="num">±3.0%</td>' in page
    assert len(re.findall(r"<tr>", page)) == 1 + len(BT["rows"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_line_without_a_backtest(lang):
    heading = f"<h3>{html.escape(i18n.tr('bt_heading', lang))}</h3>"
    assert backtest_html(None, lang) == heading + f'<p class="small">{i18n.tr("bt_not_computed", lang)}</p>'
    none = {"status": "no_history", "base_year": 2023, "rows": []}
    assert backtest_html(none, lang) == heading + f'<p class="small">{i18n.tr("bt_no_history", lang, year=2023)}</p>'
    failed = {"status": "failed", "base_year": 2023, "rows": [], "note": "origin 2022: nothing <reported>"}
    text = backtest_html(failed, lang)
    assert "origin 2022: nothing &lt;reported&gt;" in text and "<table" not in text


# ---- on the sample city ---------------------------------------------------------------

@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    from capacity.testing.sample import sample_plan

    return sample_plan(tmp_path_factory.mktemp("report-backtest"))


def with_history(city):
    """The sample city with a short history of population, births and age structure."""
    pop = [(A, y, p) for y, p in zip(range(2019, 2024), [28000, 28500, 29000, 29500, 30000])]
    pop += [(B, y, p) for y, p in zip(range(2021, 2024), [9700, 9850, 10000])]
    population = pd.DataFrame({"zone_id": [r[0] for r in pop], "year": [r[1] for r in pop],
                               "measure": "year_end", "persons": [r[2] for r in pop], "urban_share": np.nan,
                               "provenance": "stated", "source_id": "tiny"})
    exclave = city.population[city.population.zone_id == C]
    births = pd.DataFrame({"scope": "city", "year": list(range(2019, 2025)),
                           "births": [330, 320, 310, 300, 300, 310], "provenance": "stated", "source_id": "tiny"})
    ages = pd.concat([city.age_structure.assign(year=2020), city.age_structure], ignore_index=True)
    return dataclasses.replace(city, population=pd.concat([population, exclave], ignore_index=True),
                               births=births, age_structure=ages)


def _projection_section(page):
    return re.search(r'<section id="projection">(.*?)</section>', page, flags=re.S).group(1)


def test_sample_city_without_history_says_so(solved):
    from capacity.report import report

    run, city, scenario = solved
    lang = "zh"  # English: test_one_line_without_a_backtest (a report takes seconds: its maps)
    rep = report(run, city, scenario, lang=lang)
    bt = rep.summary["projection_backtest"]
    assert bt["status"] == "no_history" and bt["rows"] == [] and bt["base_year"] == 2023
    section = _projection_section(rep.html)
    assert html.escape(i18n.tr("bt_heading", lang)) in section
    assert i18n.tr("bt_no_history", lang, year=2023) in section and "<table" not in section


@pytest.fixture(scope="module")
def history_reports(solved):
    from capacity.report import report

    run, city, scenario = solved
    hist = with_history(city)
    return hist, scenario, {lang: report(run, hist, scenario, lang=lang) for lang in ("zh", "en")}


def test_backtest_figures_are_those_of_backtest_summary_for(history_reports):
    from capacity.demography.backtest import BacktestTables, backtest_summary_for

    city, scenario, reps = history_reports
    bt = reps["en"].summary["projection_backtest"]
    assert bt["status"] == "ok" and bt["origins"] == [2020, 2021, 2022] and bt["base_year"] == 2023
    expected = backtest_summary_for(BacktestTables.from_city(city), scenario.projection)
    got = pd.DataFrame(bt["rows"])
    assert got[["origin", "measure", "n"]].values.tolist() == expected[["origin", "measure", "n"]].values.tolist()
    for col in ("mae", "mean_error", "coverage", "mean_band_width"):
        assert np.allclose(got[col].astype(float), expected[col].astype(float)), col
    # 乙县 has no figure before 2021, 丙镇 none before 2023
    left = {o: [z["zone_id"] for z in s["left_out"]] for o, s in bt["setup"].items()}
    assert left == {"2020": [B, C], "2021": [C], "2022": [C]}
    assert bt["setup"]["2020"]["left_out"][0]["name_local"] == "乙县"
    assert reps["zh"].summary["projection_backtest"] == bt   # the language does not change the figures
    assert json.loads(json.dumps(bt)) == bt                  # JSON-ready


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_shows_the_backtest_in_the_projection_section(history_reports, lang):
    _, _, reps = history_reports
    rep = reps[lang]
    section = _projection_section(rep.html)
    assert f"<h3>{html.escape(i18n.tr('bt_heading', lang))}</h3>" in section
    assert i18n.tr("bt_how_to_read", lang) in section
    row = next(r for r in rep.summary["projection_backtest"]["rows"]
               if r["origin"] == 2020 and r["measure"] == "population")
    assert f'<td class="num">{i18n.share(row["mae"], lang)}</td>' in section
    assert f'<td>{html.escape(i18n.tr("bt_measure_births", lang))}</td>' in section
    assert ("乙县、丙镇" if lang == "zh" else "B County, C Town") in section
    other = "en" if lang == "zh" else "zh"
    assert html.escape(i18n.tr("bt_heading", other)) not in rep.html


def test_summary_json_holds_the_backtest(history_reports, tmp_path):
    from capacity.io import write_run

    _, _, reps = history_reports
    rep = reps["en"]
    write_run(rep, tmp_path / "run")
    written = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert written["projection_backtest"] == rep.summary["projection_backtest"]


def test_a_run_folder_read_back_is_not_back_tested_again(solved):
    from capacity.report import report

    run, city, scenario = solved
    rep = report(run, with_history(city), scenario.to_dict(), lang="en")   # scenario.json: no parameters
    assert "projection_backtest" not in rep.summary
    assert i18n.tr("bt_not_computed", "en") in _projection_section(rep.html)
    kept = dataclasses.replace(run, summary={**run.summary, "projection_backtest": BT})
    again = report(kept, city, scenario, lang="en")                           # held in the summary: kept
    assert again.summary["projection_backtest"] is BT
    assert '<td class="num">+16.2%</td>' in _projection_section(again.html)


def test_projection_backtest_of_data_that_cannot_be_tested(solved):
    run, city, scenario = solved
    hist = with_history(city)
    # births and populations end in 2023: an origin 2023 would have nothing after it, so a
    # later base year with only that origin is a clear 'failed', not an exception
    params = dataclasses.replace(scenario.projection, base_year=2025, horizon=2040)
    bt = projection_backtest(hist, params, origins=[2024])
    assert bt["status"] == "failed" and "2024" in bt["note"] and bt["rows"] == []
