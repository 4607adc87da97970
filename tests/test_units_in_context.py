"""Units as real registries name them: province and city levels, names unique only within their
parent (resolved by a parent column or by the town the file names), a town-named village
resolving to the reporting unit, ambiguous names with their candidates, and row filters."""
from __future__ import annotations

import json
import sqlite3

import openpyxl
import pytest

from fangyi.checks.run import run_checks
from fangyi.ingest.load import ingest
from fangyi.settings import Settings

# A province registry as statistics offices publish it: 省 / 地級市 / 市轄區 / 街道 and 鎮 / 居委會 and 村.
PROVINCE = [
    ["440000000000", "廣東省", "省", "", "否"],
    ["440100000000", "廣州市", "地級市", "440000000000", "否"],
    ["440104000000", "越秀區", "市轄區", "440100000000", "否"],
    ["440104001000", "北京街道", "街道", "440104000000", "否"],
    ["440104001001", "盤福社區居委會", "居委會", "440104001000", ""],
    ["441800000000", "清遠市", "地級市", "440000000000", "否"],
    ["441821000000", "佛岡縣", "縣", "441800000000", "否"],
    ["441821100000", "石角鎮", "鎮", "441821000000", "否"],
    ["441821100201", "新村", "行政村", "441821100000", ""],
    ["441821101000", "水頭鎮", "鎮", "441821000000", "否"],
    ["441821101202", "新村", "行政村", "441821101000", ""],
    ["441821102000", "那龍鎮", "鎮", "441821000000", "否"],
    ["441821102203", "那龍村", "行政村", "441821102000", ""],
    ["441821102204", "東村", "行政村", "441821102000", ""],
]


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "廣東省單位名錄.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["統計用區劃代碼", "名稱", "級別", "上級區劃代碼", "是否日報"])
    for row in PROVINCE:
        sheet.append(row)
    book.save(path)
    return path


def _daily(path, header, rows, title=None):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _checked(tmp_path, *paths, settings=None):
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, list(paths), options=(settings or Settings()).ingest_options())
    assert all(r.status == "loaded" for r in reports), [r.error for r in reports]
    run_checks(db_path, settings or Settings())
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return reports, conn


def test_province_registry_loads_as_it_is(tmp_path, registry):
    reports, conn = _checked(tmp_path, registry, _daily(
        tmp_path / "d.xlsx", ["日期", "單位", "新增確診", "密接"], [["2021-01-20", "盤福社區", 0, 0]]))
    assert reports[0].rows_loaded == len(PROVINCE) and reports[0].rows_rejected == 0
    levels = dict(conn.execute("SELECT unit_code, level FROM units_current"))
    assert levels["440000000000"] == "province" and levels["440100000000"] == "city"
    assert levels["440104000000"] == "district" and levels["441821000000"] == "district"
    assert levels["441821100000"] == "town" and levels["441821100201"] == "community"
    daily = dict(conn.execute("SELECT unit_code, reports_daily FROM units_current"))
    assert daily["440104001001"] == 1 and daily["441821100201"] == 1 and daily["440100000000"] == 0
    town, district = conn.execute(
        "SELECT town_code, district_code FROM unit_hierarchy WHERE unit_code = '440104001001'").fetchone()
    assert (town, district) == ("440104001000", "440104000000")
    # 盤福社區 for 盤福社區居委會: a suffix of the registry name left out
    assert tuple(conn.execute("SELECT unit_code, matched_by FROM daily_reports_current").fetchone()) == (
        "440104001001", "short_name")


def test_extra_level_words_from_settings(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("單位編碼,單位名稱,層級,上級編碼\n440104001001,盤福,片區,440104001000\n", encoding="utf-8")
    reports = ingest(tmp_path / "a.db", [path])
    assert reports[0].rows_rejected == 1 and "[levels]" in reports[0].rejections[0][2]
    settings = Settings(levels={"片區": "community"})
    reports = ingest(tmp_path / "b.db", [path], options=settings.ingest_options())
    assert reports[0].rows_loaded == 1


def test_same_name_in_two_towns_resolved_by_a_town_column(tmp_path, registry):
    daily = _daily(tmp_path / "佛岡縣日報.xlsx", ["日期", "鄉鎮(街道)", "村名", "新增確診", "密接"], [
        ["2021-01-20", "石角鎮", "新村", 0, 0],
        ["2021-01-20", "水頭", "新村", 0, 1],          # the town without its 鎮
    ])
    _, conn = _checked(tmp_path, registry, daily)
    rows = conn.execute("SELECT parent_raw, unit_code, matched_by, narrowed_by FROM daily_reports_current "
                        "ORDER BY row_number").fetchall()
    assert [tuple(r) for r in rows] == [("石角鎮", "441821100201", "name", "parent"),
                                        ("水頭", "441821101202", "name", "parent")]
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id IN ('ambiguous_unit', 'unknown_unit')"
                        ).fetchone()[0] == 0


def test_same_name_resolved_by_the_town_the_file_names(tmp_path, registry):
    by_title = _daily(tmp_path / "日報1.xlsx", ["日期", "村名", "新增確診", "密接"],
                      [["2021-01-20", "新村", 0, 0]], title="石角鎮各村疫情防控日報（2021年1月20日）")
    by_name = _daily(tmp_path / "水頭鎮_2021年1月20日.xlsx", ["日期", "村名", "新增確診", "密接"],
                     [["2021-01-20", "新村", 0, 2]])
    _, conn = _checked(tmp_path, registry, by_title, by_name)
    rows = conn.execute("SELECT close_contacts, unit_code, narrowed_by FROM daily_reports_current "
                        "ORDER BY close_contacts").fetchall()
    assert [tuple(r) for r in rows] == [(0, "441821100201", "sheet"), (2, "441821101202", "sheet")]


def test_a_town_named_village_resolves_to_the_reporting_unit(tmp_path, registry):
    daily = _daily(tmp_path / "d.xlsx", ["日期", "單位", "新增確診", "密接"], [["2021-01-20", "那龍", 0, 0]])
    _, conn = _checked(tmp_path, registry, daily)
    assert tuple(conn.execute("SELECT unit_code, matched_by, narrowed_by FROM daily_reports_current").fetchone()) \
        == ("441821102203", "short_name", "reporting_unit")


def test_a_name_that_fits_several_units_is_ambiguous_with_its_candidates(tmp_path, registry):
    daily = _daily(tmp_path / "d.xlsx", ["日期", "單位", "新增確診", "密接"],
                   [["2021-01-20", "新村", 0, 0], ["2021-01-20", "不存在村", 0, 0]])
    _, conn = _checked(tmp_path, registry, daily)
    ambiguous = conn.execute("SELECT * FROM findings WHERE check_id = 'ambiguous_unit'").fetchall()
    assert len(ambiguous) == 1
    finding = ambiguous[0]
    assert finding["severity"] == "error" and finding["subject_key"] == "新村"
    assert "441821100201 新村" in finding["message"] and "441821101202 新村" in finding["message"]
    assert json.loads(finding["evidence"])["candidates"] == ["441821100201", "441821101202"]
    unknown = conn.execute("SELECT subject_key FROM findings WHERE check_id = 'unknown_unit'").fetchall()
    assert [r[0] for r in unknown] == ["不存在村"]


def test_row_filter_keeps_matching_rows_and_records_the_others(tmp_path):
    """A shared file with every country's rows: only 中國's are the district's."""
    (tmp_path / "u.csv").write_text("單位編碼,單位名稱,層級,上級編碼\n440104001001,盤福社區,社區,440104001000\n",
                                    encoding="utf-8")
    shared = tmp_path / "shared.csv"
    shared.write_text("國家,日期,單位,新增確診,密接\n中國,2021-01-20,盤福社區,0,0\n越南,2021-01-20,盤福社區,5,9\n"
                      "中国,2021-01-21,盤福社區,0,1\n", encoding="utf-8")
    settings = Settings(row_filters={"daily": {"國家": ["中國"]}})
    reports, conn = _checked(tmp_path, tmp_path / "u.csv", shared, settings=settings)
    report = reports[1]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_not_data) == (4, 2, 0, 2)
    assert [r[0] for r in conn.execute("SELECT close_contacts FROM daily_reports ORDER BY row_number")] == [0, 1]
    filtered = conn.execute("SELECT row_number, note FROM non_data_rows WHERE role = 'filtered'").fetchall()
    assert [tuple(r) for r in filtered] == [(3, "filtered out by the settings: 國家 = 中國")]
