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


def _registry(path, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def registry(tmp_path):
    return _registry(tmp_path / "廣東省單位名錄.xlsx", ["統計用區劃代碼", "名稱", "級別", "上級區劃代碼", "是否日報"],
                     PROVINCE)


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


# A city-level registry as national exports need it: provinces and their cities, the same short
# name under two provinces, names written with and without their level suffix.
CITIES = [
    ["110000", "北京市", "省", "", "否"],
    ["110105", "朝陽區", "區", "110000", "是"],
    ["110106", "豐台區", "區", "110000", "是"],
    ["210000", "遼寧省", "省", "", "否"],
    ["211300", "朝陽", "市", "210000", "是"],
    ["460000", "海南省", "省", "", "否"],
    ["469024", "臨高縣", "縣", "460000", "是"],
    ["222400", "延邊朝鮮族自治州", "自治州", "220000", "是"],
]


@pytest.fixture
def cities(tmp_path):
    return _registry(tmp_path / "城市名錄.xlsx", ["代碼", "名稱", "級別", "上級代碼", "是否日報"], CITIES)


def _resolutions(conn):
    return {r["unit_raw"] + "@" + (r["parent_raw"] or ""): r for r in conn.execute(
        "SELECT unit_raw, parent_raw, unit_code, resolution, matched_by, narrowed_by, hint_zh, hint_en "
        "FROM daily_reports_resolved")}


def test_the_parent_column_narrows_strictly(tmp_path, cities):
    daily = _daily(tmp_path / "全國.xlsx", ["日期", "省份", "城市", "新增確診", "密接"], [
        ["2021-01-20", "北京市", "朝陽", 1, 0],        # Beijing's 朝陽區, written without 區
        ["2021-01-20", "遼寧省", "朝陽", 2, 0],        # Liaoning's 朝陽 (a city named without 市)
        ["2021-01-20", "遼寧", "朝陽市", 3, 0],        # ... with 市, and the province short
        ["2021-01-20", "北京", "豐台", 4, 0],
        ["2021-01-20", "海南省", "臨高", 5, 0],
        ["2021-01-20", "海南省", "豐台", 6, 0],        # 豐台 is Beijing's: not under 海南省
        ["2021-01-20", "北京市", "豐臺路", 7, 0],      # nothing of that name anywhere
        ["2021-01-20", "天津市", "朝陽", 8, 0],        # a parent the registry does not have
        ["2021-01-20", "", "延邊", 9, 0],              # no parent: the name alone
    ])
    settings = Settings(header_synonyms={"daily": {"unit": ["城市"], "parent": ["省份"]}})
    _, conn = _checked(tmp_path, cities, daily, settings=settings)
    got = _resolutions(conn)
    assert {k: v["unit_code"] for k, v in got.items()} == {
        "朝陽@北京市": "110105", "朝陽@遼寧省": "211300", "朝陽市@遼寧": "211300", "豐台@北京": "110106",
        "臨高@海南省": "469024", "豐台@海南省": None, "豐臺路@北京市": None, "朝陽@天津市": None,
        "延邊@": "222400"}
    assert got["朝陽@北京市"]["matched_by"] == "short_name" and got["朝陽@北京市"]["narrowed_by"] == "parent"
    # no report resolves outside its parent
    province = {"北京市": "110000", "北京": "110000", "遼寧省": "210000", "遼寧": "210000", "海南省": "460000"}
    for parent_raw, parent_code in conn.execute(
            "SELECT r.parent_raw, u.parent_code FROM daily_reports_resolved r "
            "JOIN units_current u ON u.unit_code = r.unit_code WHERE r.parent_raw IS NOT NULL"):
        assert province[parent_raw] == parent_code
    assert got["豐台@海南省"]["hint_zh"] == "「豐台」不在 海南省（上級列）之下；北京市 有 豐台區"
    assert got["豐台@海南省"]["hint_en"] == "豐台 is not under 海南省 (the parent column); 北京市 has 豐台區"
    assert "北京市 有 豐台區" in got["豐臺路@北京市"]["hint_zh"]          # the near name under the parent
    assert got["朝陽@天津市"]["hint_en"].startswith("the parent '天津市' matches no unit in the registry")
    assert "遼寧省 has 朝陽" in got["朝陽@天津市"]["hint_en"] and "北京市 has 朝陽區" in got["朝陽@天津市"]["hint_en"]
    messages = [r[0] for r in conn.execute("SELECT message FROM findings WHERE check_id = 'unknown_unit'")]
    assert len(messages) == 3
    assert any("「豐台」不在 海南省（上級列）之下；北京市 有 豐台區 / " in m for m in messages)


def test_the_town_a_file_names_narrows_strictly(tmp_path, registry):
    # 東村 is 那龍鎮's: in 石角鎮's file it is not guessed across towns
    wrong_town = _daily(tmp_path / "石角鎮日報.xlsx", ["日期", "村名", "新增確診", "密接"],
                        [["2021-01-20", "東村", 0, 0], ["2021-01-20", "新村", 0, 1]])
    # the village's own file: 那龍 in its name is the village's, not a mention of the town 那龍鎮
    own_file = _daily(tmp_path / "那龍村日報.xlsx", ["日期", "村名", "新增確診", "密接"],
                      [["2021-01-21", "東村", 0, 2]])
    _, conn = _checked(tmp_path, registry, wrong_town, own_file)
    rows = {(r[0], r[1]): r[2:] for r in conn.execute(
        "SELECT report_date, unit_raw, unit_code, resolution, narrowed_by, hint_zh FROM daily_reports_resolved")}
    assert rows[("2021-01-20", "新村")][:3] == ("441821100201", "resolved", "sheet")
    assert rows[("2021-01-20", "東村")][:2] == (None, "unknown")
    assert rows[("2021-01-20", "東村")][3] == "「東村」不在 石角鎮（表名、工作表名或文件名）之下；那龍鎮 有 東村"
    assert rows[("2021-01-21", "東村")][:2] == ("441821102204", "resolved")


def test_a_registry_code_written_twice_or_its_own_parent_is_rejected(tmp_path):
    """Registries assembled from two lists (cities, then districts) repeat the code of a city
    without districts (東莞市 441900 as a city and again as its own district): the later row
    would silently replace the city and make it its own parent."""
    path = tmp_path / "名錄.csv"
    path.write_text("區劃代碼,名稱,級別,上級區劃代碼,是否日報\n"
                    "440000,廣東省,省,,否\n441900,東莞市,地級市,440000,是\n"
                    "441900,東莞市,區縣,441900,否\n442000,中山市,地級市,442000,是\n", encoding="utf-8")
    reports = ingest(tmp_path / "w.db", [path])
    assert (reports[0].rows_loaded, reports[0].rows_rejected) == (2, 2)
    reasons = [r[2] for r in reports[0].rejections]
    assert reasons[0].startswith("單位編碼 '441900' 在本表第 3 行已出現") and "already on row 3" in reasons[0]
    assert "the parent code is the unit's own code" in reasons[1]
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT level, parent_code FROM units WHERE unit_code = '441900'").fetchall() == [
        ("city", "440000")]
