"""Languages of the outputs (capacity.report.i18n), the web font subset and the report's tables in zh/en."""

import base64
import html
import io
import re
import string
from pathlib import Path

import pandas as pd
import pytest

from capacity.report import i18n, webfont
from capacity.report.excel import write_schedule_xlsx
from capacity.report.html import provenance_table, render_report
from capacity.report.plan_targets import read_plan_targets

KUNMING = Path(__file__).resolve().parents[1] / "data" / "kunming"
PLAN_TARGETS = read_plan_targets(KUNMING)


def _fields(text):
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_catalogue_complete_and_consistent():
    for key, entry in i18n.PHRASES.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        assert _fields(entry["zh"]) == _fields(entry["en"]), key
        assert re.search(r"[\u4e00-\u9fff]", entry["zh"]) or not re.search("[A-Za-z]{4,}", entry["zh"]) \
            or key in ("title", "status_line", "sv_warn"), key
    for table in (i18n.LEVEL_NAMES, i18n.ACTION_NAMES, i18n.PROVENANCE_NAMES, i18n.COLUMN_NAMES,
                  i18n.STATUS_NAMES, i18n.SECTION_NAMES):
        assert all(set(v) == set(i18n.LANGUAGES) for v in table.values())


def test_lookup_and_errors():
    assert i18n.tr("sec_targets", "zh") == "对照规划目标"
    assert i18n.tr("h_unserved", "en", year=2025) == "unserved pupils 2025"
    assert i18n.level_name("primary", "zh") == "小学" and i18n.level_name("vocational", "zh") == "vocational"
    assert i18n.action_name("expand", "zh") == "扩建"
    assert i18n.status_name("feasible", "zh") == "可行(未证明最优)" and i18n.status_name("x", "zh") == "x"
    assert i18n.section_name("demand", "zh") == "学位需求" and i18n.section_name("demand", "en") == "demand"
    with pytest.raises(KeyError):
        i18n.tr("no_such_phrase", "en")
    with pytest.raises(ValueError, match="'fr'"):
        i18n.tr("sec_targets", "fr")


@pytest.mark.parametrize("value, lang, text", [
    (4_560_000_000, "zh", "45.6亿 (4,560,000,000)"),
    (123_456, "zh", "12.3万 (123,456)"),
    (10_000, "zh", "1万 (10,000)"),
    (9_999, "zh", "9,999"),
    (-25_000, "zh", "-2.5万 (-25,000)"),
    (150_000_000_000, "zh", "1,500亿 (150,000,000,000)"),
    (4_560_000_000, "en", "4,560,000,000"),
    (3.25, "en", "3.25"),
    (None, "zh", "—"),
    (float("nan"), "en", "—"),
    ("n/a", "zh", "n/a"),
])
def test_number(value, lang, text):
    assert i18n.number(value, lang) == text


def test_money_and_share():
    assert i18n.money(95_670_000, "zh") == "9,567万元 (95,670,000)"
    assert i18n.money(2_500, "zh") == "2,500 元"
    assert i18n.money(95_670_000, "en") == "95,670,000 CNY"
    assert i18n.share(0.125, "zh") == "12.5%" and i18n.share(None, "en") == "—"


def test_font_subset_holds_exactly_the_characters():
    from fontTools.ttLib import TTFont

    chars = webfont.page_characters("<p title='x'>昆明 学位 &amp; 五华</p><script>var a='磨憨'</script>", "甲")
    assert set(chars) == set("昆明 学位&五华甲")  # tags, attributes and scripts dropped; entities decoded
    font = TTFont(io.BytesIO(webfont.subset_font(chars)))
    cmap = set(font.getBestCmap())
    assert cmap == {ord(c) for c in chars if c != " "} | {ord(" ")} & cmap
    assert "磨" not in chars and ord("磨") not in cmap
    assert font.flavor in ("woff2", "woff")
    css = webfont.font_face_css("昆明")
    data = re.search(r"base64,([A-Za-z0-9+/=]+)", css).group(1)
    assert set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()) >= {ord("昆"), ord("明")}


class _City:
    population = pd.DataFrame({"provenance": ["stated", "stated-2nd", "uncertain", "estimate"]})
    births = pd.DataFrame({"provenance": ["uncertain", "uncertain"]})
    schools = pd.DataFrame({"provenance": ["synthetic"] * 3, "seats_provenance": ["assumption", "derived", "x"]})


def test_provenance_table_keeps_every_label():
    t = provenance_table(_City()).set_index("table")
    assert t.loc["population", "real"] == 2 and t.loc["population", "uncertain"] == 1
    assert t.loc["population", "estimated"] == 1 and t.loc["births", "uncertain"] == 2
    assert t.loc["schools (seats_provenance)", "x"] == 1  # an unknown label gets its own column
    assert int(t.drop(columns=[]).sum().sum()) == 4 + 2 + 3 + 3


SUMMARY = {
    "scenario": "tiny", "status": "optimal", "gap": 0.0, "objective": 12.5, "cost_cny_total": 95_670_000.0,
    "cost_cny_by_year": {"2023": 23_850_000.0}, "budget_cny_by_year": {"2023": 1e8},
    "schools_by_level": {"primary": {"new": 1, "expand": 0, "seats": 270, "target": 1}},
    "unserved_pupils": {"primary": {"2025": 0.0}}, "share_within_walk_standard": {"primary": {"2025": 0.5}},
    "targets": [
        {"id": "T1", "target": "new kindergartens = 2", "value": 2, "met": True, "note": "2 planned", "unit": "schools"},
        {"id": "T5", "target": "kindergarten seats ≥ 99%", "value": 0.9, "met": False, "note": "", "unit": "share"},
        {"id": "T6", "target": "inclusive kindergarten seats ≥ 90%", "value": 0.94, "met": True,
         "note": "2025: assumption (no public/inclusive flag in the data): 90% of existing seats are public",
         "unit": "share"},
        {"id": "T14", "target": "first-class high school", "value": None, "met": None, "note": "no grades"},
        {"id": "T14-proxy", "target": "proxy", "value": 1.0, "met": True, "note": "", "unit": "share"},
    ],
}


def _render(lang):
    sched = pd.DataFrame({"year": [2023], "zone_id": ["1"], "name_local": ["甲区"], "name_en": ["A District"],
                          "level": ["primary"], "new": [1], "expand": [0], "schools": [1], "seats": [270.0],
                          "cost_cny": [12_960_000.0], "ready_year": [2023]})
    totals = sched.groupby(["level", "year"], as_index=False)[["new", "expand", "seats", "cost_cny"]].sum()
    return render_report(summary=SUMMARY, scenario={"name": "tiny", "description": "d"}, city_name="昆明 Kunming",
                         images=[], schedule=sched, schedule_totals=totals, shortlist=pd.DataFrame(),
                         provenance=provenance_table(_City()), files=["report.html"], lang=lang,
                         embed_font=False, plan_targets=PLAN_TARGETS)


def _target_rows(page):
    rows = re.findall(r"<tr><td>(T\d+[\w-]*)</td>(.*?)</tr>", page)
    return {tid: re.findall(r'<td(?: class="(\w+)")?>', body) and body for tid, body in rows}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_language_and_targets(lang):
    page = _render(lang)
    assert f'<html lang="{i18n.HTML_LANG[lang]}">' in page
    assert html.escape(i18n.tr("sec_targets", lang)) in page and i18n.tr("sec_provenance", lang) in page
    other = "en" if lang == "zh" else "zh"
    assert html.escape(i18n.tr("sec_targets", other)) not in page
    rows = _target_rows(page)
    assert [f"T{i}" for i in range(1, 21)] == [t for t in rows if "-" not in t]  # every target, in order
    assert "T14-proxy" in rows
    assert f'class="assumed">{i18n.tr("status_assumed", lang)}<' in rows["T6"]  # not "met"
    assert f'class="met">' not in rows["T6"]
    assert f'class="met">{i18n.tr("status_met", lang)}<' in rows["T1"]
    assert f'class="notmet">' in rows["T5"] and 'class="na">' in rows["T14"]
    for p in PLAN_TARGETS:
        assert i18n.tr("role_" + p["role"], lang) in rows[p["id"]], p["id"]
        assert html.escape(p["name_" + lang]) in rows[p["id"]]
    assert i18n.tr("status_out", lang) in rows["T11"] and 'class="out"' in rows["T11"]
    assert f'class="input">{i18n.tr("status_input", lang)}<' in rows["T20"]
    assert "uncertain" in page or "不确定" in page
    if lang == "zh":
        assert "9,567万元 (95,670,000)" in page and "小学" in page and "学位" in page
    else:
        assert "95,670,000 CNY" in page and "Seats" in page


@pytest.mark.parametrize("lang, header", [("zh", "学位"), ("en", "Seats"), (None, "Seats 学位")])
def test_schedule_workbook_headers(tmp_path, lang, header):
    from openpyxl import load_workbook

    sched = pd.DataFrame({"year": [2023], "zone_id": ["1"], "name_local": ["甲区"], "name_en": ["A"],
                          "level": ["primary"], "new": [1], "expand": [0], "schools": [1], "seats": [270.0],
                          "cost_cny": [1.0], "ready_year": [2023]})
    path = write_schedule_xlsx(sched, tmp_path / "s.xlsx", title="tiny", lang=lang)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["summary", "primary"]
    heads = [c.value for c in next(wb["primary"].iter_rows(min_row=2, max_row=2))]
    assert header in heads, heads
    note = wb["primary"]["A1"].value
    assert ("小学" in note) if lang == "zh" else ("primary" in note)


def test_target_status():
    from capacity.report.html import target_status

    assert target_status({"met": True, "basis": "assumption", "note": ""}, "checked") == "assumed"
    assert target_status({"met": True, "note": "2025: assumption (no public flag)"}, "checked") == "assumed"
    assert target_status({"met": True, "note": "flagged"}, "checked") == "met"
    assert target_status({"met": False}, "planned") == "not_met"
    assert target_status({"met": None}, "checked") == "na"
    assert target_status(None, "out_of_scope") == "out" and target_status(None, "checked") == "na"
    assert target_status(None, "planned") == "input"


def test_plan_targets_file(tmp_path):
    from capacity.errors import DataError

    assert [p["id"] for p in PLAN_TARGETS] == [f"T{i}" for i in range(1, 21)]
    assert {p["id"] for p in PLAN_TARGETS if p["role"] == "planned"} == {"T1", "T2", "T3", "T4", "T15", "T20"}
    assert read_plan_targets(tmp_path) == () and read_plan_targets(None) == ()
    (tmp_path / "plan_targets.csv").write_text("id,role,name_zh,name_en\nT1,planned,甲,a\nT2,maybe,乙,b\n"
                                               "T1,checked,丙,c\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"plan_targets.csv, column 'id', lines 2, 4: repeated target id"):
        read_plan_targets(tmp_path)
    (tmp_path / "plan_targets.csv").write_text("id,role,name_zh,name_en\nT1,planned,甲,a\nT2,maybe,乙,b\n",
                                               encoding="utf-8")
    with pytest.raises(DataError, match=r"column 'role', line 3: role must be one of"):
        read_plan_targets(tmp_path)
    (tmp_path / "plan_targets.csv").write_text("id,name_zh\nT1,甲\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"missing column\(s\) \['role', 'name_en'\]"):
        read_plan_targets(tmp_path)


def test_without_plan_targets_the_checks_are_listed():
    page = render_report(summary=SUMMARY, scenario={"name": "tiny"}, city_name="x", images=[],
                         schedule=pd.DataFrame(columns=["year", "name_local", "name_en", "level", "new", "expand",
                                                        "seats", "cost_cny"]),
                         schedule_totals=pd.DataFrame(), shortlist=pd.DataFrame(),
                         provenance=provenance_table(_City()), files=[], lang="en", embed_font=False)
    assert list(_target_rows(page)) == ["T1", "T5", "T6", "T14", "T14-proxy"]


def _checked_targets():
    """Every check of capacity.demand.targets on a two-county city with an exclave."""
    from capacity.demand.targets import TargetInputs, check_targets

    zones = pd.DataFrame({"zone_id": ["a", "b", "m"], "name_local": ["甲区", "乙县", "磨憨镇"],
                          "name_en": ["A", "B", "Mohan"], "kind": ["county", "county", "exclave"]})
    plan = pd.DataFrame([("k1", "kindergarten", "a", "new", 90, 2023, 2023, 1e6),
                         ("m1", "middle", "m", "expand", 200, 2024, 2024, 1e6)],
                        columns=["site_id", "level", "zone_id", "action", "seats", "open_year", "ready_year",
                                 "cost_cny"])
    seats = {("a", "kindergarten"): 100, ("b", "kindergarten"): 50, ("a", "high"): 300}
    balance = pd.DataFrame([{"zone_id": z, "level": lv, "year": 2025, "demand": 0.0, "seats": s,
                             "unserved": 0.0, "balance": 0.0} for (z, lv), s in seats.items()])
    persons = pd.DataFrame([{"zone_id": z, "year": 2025, "level": lv, "persons": 100.0}
                            for z in "ab" for lv in ("kindergarten", "high")])
    scenario = {"plan": {"evaluation_years": [2025], "totals": {"kindergarten": 2},
                         "zone_rules": [{"zone": "m", "level": "middle", "action": "expand", "min": 1, "max": 2},
                                        {"zone": "m", "level": "high", "action": "new", "min": 1}]},
                "demand": {"public_share": 0.9, "general_share": 0.5, "special_threshold": 200000}}
    schools = pd.DataFrame({"school_id": ["s1", "k0"], "level": ["special", "kindergarten"],
                            "zone_id": ["a", "b"], "seats": [60, 40]})
    inp = TargetInputs(plan=plan, zone_balance=balance, persons=persons, scenario=scenario, zones=zones,
                       base_population=pd.Series([300000.0, 250000.0, 20000.0], index=["a", "b", "m"]),
                       schools=schools, enrolment_target={"kindergarten": 0.99, "primary": 0.98,
                                                          "middle": 0.98, "high": 0.98})
    return check_targets(inp)


def test_target_note_phrases_are_in_the_catalogue():
    """The demand layer's English note phrases are the catalogue's English, key by key."""
    from capacity.demand.targets import NOTES_EN

    for key, text in NOTES_EN.items():
        assert i18n.PHRASES[key]["en"] == text, key


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_target_notes_in_the_report_language(lang):
    from capacity.report.html import targets_section

    targets = _checked_targets()
    assert all(t["note_parts"] for t in targets)
    notes = {t["id"]: i18n.target_note(t["note_parts"], lang) for t in targets}
    if lang == "en":  # the catalogue says what the English note in summary.json says
        for t in targets:
            expected = t["note"].replace(" middle ", " junior middle ").replace(" high ", " general high ")
            assert notes[t["id"]] == (expected if t["id"] == "T15" else t["note"]), t["id"]
    else:
        english = ("seats after the plan", "Below target", "Every zone", "planned", "lacking", "assumption",
                   "not assessable", "existing or planned", "zone rules", "special-education", "min ")
        for tid, text in notes.items():
            assert re.search(r"[\u4e00-\u9fff]", text), tid
            assert not any(e in text for e in english), (tid, text)
        assert notes["T1"] == "规划 1 所(新建 1 所,扩建 0 所)"
        assert notes["T5"].startswith("2025 年,规划后学位 ÷ 相应年龄段儿童数(人口预测);检查范围:每个区县及全市。")
        assert "未达标:乙县 (B) 50.0%。" in notes["T5"]
        assert "假设" in notes["T6"] and "90%" in notes["T6"]
        assert notes["T9"] == "人口超过 200,000 的 2 个区县中,1 个有特殊教育学校;缺少:乙县 (B)"
        assert notes["T15"] == ("磨憨镇 (Mohan):扩建初中 1 所(最少 1,最多 2);"
                                "磨憨镇 (Mohan):新建普通高中 0 所(最少 1)")
    page = targets_section(targets, lang, PLAN_TARGETS)
    cells = re.findall(r'<td class="small">(.*?)</td>', page)
    for t in targets:
        assert html.escape(notes[t["id"]]) in cells, t["id"]


def test_target_note_of_an_older_run_is_its_english_note():
    from capacity.report.html import target_note

    assert target_note({"id": "T1", "note": "2 planned"}, "zh") == "2 planned"
    assert target_note(None, "zh") == ""
