"""Each messy form of the contract, in a realistic file of its own."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import openpyxl
import pytest

from fangyi.checks.run import materialise
from fangyi.ingest.load import ingest

REGISTRY = [
    ["440100001000", "白雲街道", "街道", "440100000000", "否"],
    ["440100001001", "柳岸社區", "社區", "440100001000", None],
    ["440100001002", "東門社區", "社區", "440100001000", None],
    ["440100001003", "華林村", "村", "440100001000", "是"],
]


@pytest.fixture
def registry(tmp_path):
    path = tmp_path / "單位名錄.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["白雲街道報送單位名錄"])
    ws.merge_cells("A1:E1")
    ws.append(["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報"])
    for r in REGISTRY:
        ws.append(r)
    wb.save(path)
    return path


def load(tmp_path, *paths, **kw):
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, list(paths), **kw)
    materialise(db_path)
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return reports, conn


def current(conn):
    return conn.execute(
        "SELECT * FROM daily_reports_current ORDER BY report_date, unit_code").fetchall()


def test_registry_title_row_default_reports_daily(tmp_path, registry):
    reports, conn = load(tmp_path, registry)
    assert reports[0].rows_read == 6 and reports[0].rows_loaded == 4 and reports[0].rows_not_data == 2
    rows = {r["unit_code"]: r for r in conn.execute("SELECT * FROM units_current")}
    assert rows["440100001000"]["level"] == "town" and rows["440100001000"]["reports_daily"] == 0
    assert rows["440100001001"]["reports_daily"] == 1      # blank: yes for a community
    assert rows["440100001003"]["level"] == "community"


def test_xlsx_sheet_per_day_two_row_merged_header_title_total_footer(tmp_path, registry):
    """Date only in the title row and the (year-less) sheet name; 新增 merged over three children."""
    path = tmp_path / "白雲街道疫情防控日報.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for day in (20, 21):
        ws = wb.create_sheet(f"1月{day}日")
        ws.append([f"白雲街道疫情防控日報表(2021年1月{day}日)"])
        ws.merge_cells("A1:I1")
        ws.append(["單位", "新增", None, None, "密切\n接觸者", "核酸檢測", "是否零報告", "帶班領導", "報送時間"])
        ws.append([None, "確診", "疑似", "無癥狀", None, "人數", None, None, None])
        ws.merge_cells("A2:A3")
        ws.merge_cells("B2:D2")
        ws.merge_cells("E2:E3")
        ws.append(["柳岸社區", 0, 0, 0, 0, 120, "是", "王芳", dt.datetime(2021, 1, day, 18, 5)])
        ws.append(["東門社區", 1, 0, 0, 4, 80, "否", "李強", dt.datetime(2021, 1, day + 1, 8, 40)])
        ws.append(["合計", 1, 0, 0, 4, 200, None, None, None])
        ws.append([])
        ws.append(["填表人：陳明    審核人：趙麗"])
    wb.save(path)
    reports, conn = load(tmp_path, registry, path)
    r = reports[1]
    assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_not_data) == (16, 4, 0, 12)
    rows = current(conn)
    assert [(x["report_date"], x["unit_code"]) for x in rows] == [
        ("2021-01-20", "440100001001"), ("2021-01-20", "440100001002"),
        ("2021-01-21", "440100001001"), ("2021-01-21", "440100001002")]
    east = rows[1]
    assert (east["new_confirmed"], east["new_suspected"], east["new_asymptomatic"], east["close_contacts"],
            east["tests_done"], east["zero_report"], east["duty_leader"], east["submitted_at"]) == (
        1, 0, 0, 4, 80, 0, "李強", "2021-01-21T08:40:00")
    roles = [x[0] for x in conn.execute("SELECT role FROM non_data_rows WHERE sheet = '1月20日' ORDER BY row_number")]
    assert roles == ["title", "header", "header", "total", "blank", "footer"]


def test_gb18030_csv_simplified_synonyms_and_date_forms(tmp_path, registry):
    path = tmp_path / "白云街道日报_2021年第3周.csv"
    text = ("报送单位,填报日期,新增确诊病例,新增疑似病例,新增无症状感染者,密接,新增返乡人员,居家健康监测,"
            "集中隔离,发热病人,核酸检测人数,零报告,填报人,值班领导,上报时间\n"
            "柳岸,2021/1/18,0,零,无,-,3人,１２,—,/,56,否,张伟,王芳,2021/1/18 19:02\n"
            "东门社区,2021.1.19,0,0,0,0,0,0,0,0,0,是,刘洋,李强,2021/1/19 20:15\n"
            "华林村,20210120,0,0,0,0,2,5,0,0,30,否,赵敏,孙杰,2021/1/21 8:05\n"
            "柳岸社区,2021年1月21日,0,0,0,0,1,4,0,0,20,否,张伟,王芳,2021/1/21 18:30\n"
            "东门,1月22日,0,0,0,0,0,0,0,0,0,是,刘洋,李强,1月22日 21:00\n")
    path.write_bytes(text.encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    reports, conn = load(tmp_path, registry, path)
    assert reports[1].rows_loaded == 5 and reports[1].rows_rejected == 0
    rows = current(conn)
    assert [(x["report_date"], x["unit_code"]) for x in rows] == [
        ("2021-01-18", "440100001001"), ("2021-01-19", "440100001002"), ("2021-01-20", "440100001003"),
        ("2021-01-21", "440100001001"), ("2021-01-22", "440100001002")]
    first = rows[0]
    assert (first["new_suspected"], first["new_asymptomatic"], first["close_contacts"],
            first["returnees_registered"], first["home_isolation"], first["central_isolation"],
            first["fever_cases"], first["tests_done"]) == (0, 0, 0, 3, 12, 0, 0, 56)
    assert rows[4]["submitted_at"] == "2021-01-22T21:00:00"


def test_utf8_bom_csv_title_line_breaks_fullwidth_brackets_codes_serials(tmp_path, registry):
    path = tmp_path / "匯總.csv"
    text = ('白雲街道疫情防控日报汇总,,,,,\n'
            '" 單位\n編碼 "," 單位名稱 ","統計日期","新增確診\n（人）","密切接触者（人）","核酸檢測（人）"\n'
            '440100001001,柳岸社區,2021-01-20,0,2,100\n'
            '440100001002,錯誤的名字,44217,0,0,50\n'
            '440100001003,華林村,2021-02-30,0,0,10\n'
            '總計,,,0,2,160\n')
    path.write_text(text, encoding="utf-8-sig")
    reports, conn = load(tmp_path, registry, path)
    r = reports[1]
    assert (r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_not_data) == (6, 2, 1, 3)
    rows = current(conn)
    assert [(x["report_date"], x["unit_code"], x["close_contacts"], x["tests_done"]) for x in rows] == [
        ("2021-01-20", "440100001001", 2, 100), ("2021-01-21", "440100001002", 0, 50)]
    rejected = conn.execute("SELECT row_number, column_name, reason FROM rejected_rows").fetchone()
    assert rejected[0] == 5 and rejected[1] == "統計日期 (C)" and "2021-02-30" in rejected[2]


def test_xlsx_sheet_per_unit_with_date_cells_and_text_dates(tmp_path, registry):
    path = tmp_path / "各村日報.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("華林村")
    ws.append(["華林村疫情防控日報表"])
    ws.append(["日 期", "單位名稱", "新增 確診", "核酸檢測 人數", "零報告", "備用欄"])
    ws.append([dt.date(2021, 1, 20), "華林村", 0, 0, "√", "雨天"])
    ws.append(["2021年1月21日", "華林村", 0, 12, None, None])
    ws2 = wb.create_sheet("填表說明")
    ws2.append(["請於每日18時前報送"])
    wb.save(path)
    reports, conn = load(tmp_path, registry, path)
    r = reports[1]
    assert (r.rows_read, r.rows_loaded, r.rows_not_data) == (5, 2, 3)
    rows = current(conn)
    assert [(x["report_date"], x["zero_report"], x["tests_done"]) for x in rows] == [
        ("2021-01-20", 1, 0), ("2021-01-21", None, 12)]
    assert rows[0]["extra"] == '{"備用欄":"雨天"}'        # unknown columns are kept
    assert conn.execute("SELECT role FROM non_data_rows WHERE sheet = '填表說明'").fetchone()[0] == "unrecognised_sheet"


def test_utf16_tab_separated_unicode_text(tmp_path, registry):
    """Excel's 'Unicode text' export: UTF-16 with BOM, tab-separated."""
    path = tmp_path / "日報.txt"
    path.write_text("日期\t單位\t新增確診\t密接\n2021-01-20\t柳岸社區\t0\t1\n", encoding="utf-16")
    reports, conn = load(tmp_path, registry, path)
    assert reports[1].rows_loaded == 1
    assert current(conn)[0]["close_contacts"] == 1


def test_ragged_csv_rows_are_not_lost(tmp_path, registry):
    path = tmp_path / "ragged.csv"
    path.write_text("日期,單位,新增確診,密接\n2021-01-20,柳岸社區,0,1\n2021-01-21,柳岸社區,0,2,多出來的\n"
                    "2021-01-22,柳岸社區,若干,2,,還有\n", encoding="utf-8")
    reports, conn = load(tmp_path, registry, path)
    assert reports[1].rows_loaded == 2 and reports[1].rows_rejected == 1
    assert '"多出來的"' in current(conn)[1]["extra"]
    assert '"還有"' in conn.execute("SELECT raw FROM rejected_rows").fetchone()[0]


def test_headers_without_new_are_kept_not_guessed(tmp_path, registry):
    """返乡登记人数 is the returnees column; 无症状感染者 (without 新增: maybe a running total) and
    发热门诊 (fever-clinic visits, not fever cases) are not read as a day's counts: they stay in
    `extra` with their values, so no zero report is contradicted by a total."""
    path = tmp_path / "东门社区日报.csv"
    text = ("填报日期,社区名称,新增确诊,新增疑似,无症状感染者,密切接触者,返乡登记人数,居家隔离,集中隔离,发热门诊,"
            "核酸检测,是否零报告,填报人,带班领导,报送时间\n"
            "2021/1/20,东门社区,0,0,2,0,3,1,0,4,120,否,刘洋,李强,2021-01-20 17:30\n")
    path.write_bytes(text.encode("gbk"))
    reports, conn = load(tmp_path, registry, path)
    assert reports[1].rows_loaded == 1
    row = current(conn)[0]
    assert (row["returnees_registered"], row["home_isolation"], row["new_asymptomatic"], row["fever_cases"]) == (3, 1, None, None)
    assert json.loads(row["extra"]) == {"无症状感染者": "2", "发热门诊": "4"}
