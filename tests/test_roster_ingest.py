"""Duty rosters and allowance claims as units send them: the grid form (a sheet per unit, merged
title rows, several names in a cell, hours in the headers), the long form (GB18030 CSV), claims
with months written every way; rows conserved, re-ingest adds nothing, bad rows rejected with a
reason naming the cell."""
from __future__ import annotations

import datetime as dt
import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import table_counts
from fangyi.cli import cli
from fangyi.ingest import kinds
from fangyi.ingest.kinds import SheetContext
from fangyi.ingest.load import ingest
from fangyi.ingest.kinds.roster import hours, shift_of, unit_from_context


def _conserved(report) -> None:
    assert report.status == "loaded", report.error
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_not_data


def _loaded_rows(conn, table: str, file_id: int) -> int:
    """Source rows behind a table's rows (a roster row yields one row per person and shift)."""
    return conn.execute(f"SELECT count(*) FROM (SELECT DISTINCT sheet, row_number FROM {table} WHERE file_id = ?)",
                        (file_id,)).fetchone()[0]


def grid_workbook(path):
    """Two communities, a sheet each: merged two-line title naming the unit, shift hours in the
    headers (one sheet with its own hours), several names per cell with line breaks, 、 , and /."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "柳岸社區"
    sheet.append(["柳岸社區疫情防控值班表"])
    sheet.append(["（2021年1月20日至1月22日）"])
    sheet.merge_cells("A1:F1")
    sheet.merge_cells("A2:F2")
    sheet.append(["日期", "星期", "帶班領導", "白班\n(8:00-20:00)", "夜班(20:00-次日8:00)", "聯系電話"])
    sheet.append(["1月20日", "星期三", "李明", "王芳\n張偉", "趙強", "13800000001"])
    sheet.append([dt.datetime(2021, 1, 21), "星期四", "周立", "王芳、張偉, 孫麗", None, "13800000002"])
    sheet.append(["2021/1/22", "星期五", None, "錢七/吳九", "孫八 ", 13800000003])
    sheet.append([])
    sheet.append(["填表人：何某    審核人：林某"])
    other = book.create_sheet("Sheet2")
    other.append(["東華街道東門社區疫情防控值班表（2021年1月）"])
    other.merge_cells("A1:F1")
    other.append(["日期", "星期", "帶班領導", "白班（8:30-17:30）", "夜班（17:30—次日8:30）", "聯系電話"])
    other.append(["1月20日", "星期三", "陳光", "鄭和\r\n馮安", "褚清", "13900000001"])
    book.save(path)
    return path


def test_grid_with_merged_titles_multi_name_cells_and_header_hours(tmp_path):
    path = grid_workbook(tmp_path / "東華街道值班表.xlsx")
    [report] = ingest(tmp_path / "w.db", [path])
    _conserved(report)
    assert report.kinds == ["roster"] and report.rows_rejected == 0
    # 柳岸社區: 2 titles + header + 3 rows + blank + footer; Sheet2: title + header + 1 row
    assert (report.rows_read, report.rows_loaded, report.rows_not_data) == (11, 4, 7)
    conn = sqlite3.connect(tmp_path / "w.db")
    assert _loaded_rows(conn, "duty_shifts", report.file_id) == report.rows_loaded
    rows = conn.execute("SELECT sheet, row_number, unit_raw, date, shift, person, phone, starts_at, ends_at "
                        "FROM duty_shifts ORDER BY shift_id").fetchall()
    assert rows == [
        ("柳岸社區", 4, "柳岸社區", "2021-01-20", "leader", "李明", "13800000001", "2021-01-20T08:00:00", "2021-01-21T08:00:00"),
        ("柳岸社區", 4, "柳岸社區", "2021-01-20", "day", "王芳", "13800000001", "2021-01-20T08:00:00", "2021-01-20T20:00:00"),
        ("柳岸社區", 4, "柳岸社區", "2021-01-20", "day", "張偉", "13800000001", "2021-01-20T08:00:00", "2021-01-20T20:00:00"),
        ("柳岸社區", 4, "柳岸社區", "2021-01-20", "night", "趙強", "13800000001", "2021-01-20T20:00:00", "2021-01-21T08:00:00"),
        ("柳岸社區", 5, "柳岸社區", "2021-01-21", "leader", "周立", "13800000002", "2021-01-21T08:00:00", "2021-01-22T08:00:00"),
        ("柳岸社區", 5, "柳岸社區", "2021-01-21", "day", "王芳", "13800000002", "2021-01-21T08:00:00", "2021-01-21T20:00:00"),
        ("柳岸社區", 5, "柳岸社區", "2021-01-21", "day", "張偉", "13800000002", "2021-01-21T08:00:00", "2021-01-21T20:00:00"),
        ("柳岸社區", 5, "柳岸社區", "2021-01-21", "day", "孫麗", "13800000002", "2021-01-21T08:00:00", "2021-01-21T20:00:00"),
        # the blank night cell: the roster says nobody is on that shift
        ("柳岸社區", 5, "柳岸社區", "2021-01-21", "night", None, "13800000002", "2021-01-21T20:00:00", "2021-01-22T08:00:00"),
        ("柳岸社區", 6, "柳岸社區", "2021-01-22", "leader", None, "13800000003", "2021-01-22T08:00:00", "2021-01-23T08:00:00"),
        ("柳岸社區", 6, "柳岸社區", "2021-01-22", "day", "錢七", "13800000003", "2021-01-22T08:00:00", "2021-01-22T20:00:00"),
        ("柳岸社區", 6, "柳岸社區", "2021-01-22", "day", "吳九", "13800000003", "2021-01-22T08:00:00", "2021-01-22T20:00:00"),
        ("柳岸社區", 6, "柳岸社區", "2021-01-22", "night", "孫八", "13800000003", "2021-01-22T20:00:00", "2021-01-23T08:00:00"),
        # a sheet named Sheet2: the unit from the title, without its town; the hours from its headers
        ("Sheet2", 3, "東門社區", "2021-01-20", "leader", "陳光", "13900000001", "2021-01-20T08:30:00", "2021-01-21T08:30:00"),
        ("Sheet2", 3, "東門社區", "2021-01-20", "day", "鄭和", "13900000001", "2021-01-20T08:30:00", "2021-01-20T17:30:00"),
        ("Sheet2", 3, "東門社區", "2021-01-20", "day", "馮安", "13900000001", "2021-01-20T08:30:00", "2021-01-20T17:30:00"),
        ("Sheet2", 3, "東門社區", "2021-01-20", "night", "褚清", "13900000001", "2021-01-20T17:30:00", "2021-01-21T08:30:00"),
    ]
    keys = dict(conn.execute("SELECT person, person_key FROM duty_shifts WHERE person IS NOT NULL"))
    assert keys["張偉"] == "张伟" and keys["孫八"] == "孙八"
    roles = dict(conn.execute("SELECT role, count(*) FROM non_data_rows GROUP BY role"))
    assert roles == {"title": 3, "header": 2, "blank": 1, "footer": 1}
    fields = conn.execute("SELECT fields FROM source_sheets WHERE sheet = '柳岸社區'").fetchone()[0]
    assert '"day_staff": "白班 (8:00-20:00)"' in fields


def test_grid_with_a_unit_column_and_a_unit_code(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("單位,單位編碼,日期,帶班領導,白班,夜班\n"
                    "柳岸社區,,2021-01-20,李明,王芳,趙強\n"
                    ",440199001002,2021-01-20,陳光,鄭和,褚清\n"
                    ",,2021-01-20,某某,某甲,某乙\n", encoding="utf-8")
    [report] = ingest(tmp_path / "w.db", [path])
    _conserved(report)
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert report.rejections == [("", 4, "沒有單位：單位格是空的 / no unit: the unit cell is blank")]
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT DISTINCT unit_raw, unit_code_raw FROM duty_shifts ORDER BY row_number").fetchall() == [
        ("柳岸社區", None), (None, "440199001002")]


def long_form_csv(path):
    """The long form as a town office's Excel on Windows saves it: GB18030, simplified and
    traditional words mixed, hours in a 班次 cell, a blank name, an unreadable shift."""
    rows = [
        "龙兴街道疫情防控值班安排表,,,,,",
        "单位,日期,班次,姓名,职务,电话",
        "龙泉社区,2021/1/20,带班,孟世文,社区书记,13700000001",
        "龙泉社区,2021/1/20,白班,王 芳,网格员,13700000002",
        "龙泉社区,2021/1/20,白班,张伟（组长）,社工,13700000003",
        "龍泉社區,2021年1月20日,夜班(18:00-次日9:00),赵强,网格员,13700000004",
        "龙泉社区,2021/1/21,夜班,,,",
        "龙泉社区,2021/1/21,中班,钱七,网格员,13700000005",
        "龙泉社区,2021/1/21,,孙八,网格员,13700000006",
        "填表人：何某,,,,,",
    ]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    return path


def test_long_form_gb18030_csv(tmp_path):
    path = long_form_csv(tmp_path / "龙兴街道值班安排表.csv")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    [report] = ingest(tmp_path / "w.db", [path])
    _conserved(report)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_not_data) == (10, 5, 2, 3)
    assert report.rejections == [
        ("", 8, "班次: '中班' 不是班次，請寫 白班、夜班 或 帶班 / is not a shift: write 白班, 夜班 or 帶班"),
        ("", 9, "姓名 '孙八' 沒有班次：請寫明是 白班、夜班 還是 帶班 / has no 班次: say whether it is 白班, 夜班 or 帶班"),
    ]
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT column_name FROM rejected_rows ORDER BY row_number").fetchall() == [("班次",), ("班次",)]
    rows = conn.execute("SELECT row_number, unit_raw, date, shift, person, person_key, post, phone, starts_at, ends_at "
                        "FROM duty_shifts ORDER BY shift_id").fetchall()
    assert rows == [
        (3, "龙泉社区", "2021-01-20", "leader", "孟世文", "孟世文", "社区书记", "13700000001",
         "2021-01-20T08:00:00", "2021-01-21T08:00:00"),
        (4, "龙泉社区", "2021-01-20", "day", "王 芳", "王芳", "网格员", "13700000002",
         "2021-01-20T08:00:00", "2021-01-20T20:00:00"),
        (5, "龙泉社区", "2021-01-20", "day", "张伟（组长）", "张伟", "社工", "13700000003",   # as written
         "2021-01-20T08:00:00", "2021-01-20T20:00:00"),
        (6, "龍泉社區", "2021-01-20", "night", "赵强", "赵强", "网格员", "13700000004",
         "2021-01-20T18:00:00", "2021-01-21T09:00:00"),
        (7, "龙泉社区", "2021-01-21", "night", None, None, None, None, "2021-01-21T20:00:00", "2021-01-22T08:00:00"),
    ]
    assert _loaded_rows(conn, "duty_shifts", report.file_id) == report.rows_loaded


def test_claims_months_in_every_form(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2021年1月"
    sheet.append(["東華街道疫情防控值班補助申領表（2021年1月）"])
    sheet.merge_cells("A1:H1")
    sheet.append(["序號", "姓名", "單位", "月份", "白班天數", "夜班天數", "申領金額（元）", "審核人"])
    sheet.append([1, "王芳", "柳岸社區", "2021年1月", 10, 2, 2400, "林某"])
    sheet.append([2, "趙強", "柳岸社區", "2021/1", 3, "5次", "1,600元", "林某"])
    sheet.append([3, "孫八", "柳岸社區", "202101", "若干", 1, 200, "林某"])
    sheet.append([4, "錢七", "柳岸社區", None, 1, None, None, "林某"])      # the month from the title
    sheet.append([5, "吳九", "柳岸社區", "2021年1月", None, None, None, "林某"])
    sheet.append(["合計", None, None, None, 14, 8, 4200])
    book.save(tmp_path / "claims.xlsx")
    (tmp_path / "claims.csv").write_bytes(
        "姓名,单位,月份,白班天数,夜班天数,申领金额\r\n张伟,龙泉社区,2021-01,4,0,800\r\n".encode("gb18030"))
    reports = ingest(tmp_path / "w.db", [tmp_path / "claims.xlsx", tmp_path / "claims.csv"])
    for report in reports:
        _conserved(report)
        assert report.kinds == ["claims"]
    xlsx, csv_ = reports
    assert (xlsx.rows_read, xlsx.rows_loaded, xlsx.rows_rejected, xlsx.rows_not_data) == (8, 3, 2, 3)
    assert xlsx.rejections == [("2021年1月", 5, "白班天數 (E): '若干' 無法讀作個數 / cannot read it as a count"),
                               ("2021年1月", 7, "沒有申領內容：班次數和金額都是空的 / "
                                               "nothing claimed: the shift counts and the amount are all blank")]
    conn = sqlite3.connect(tmp_path / "w.db")
    rows = conn.execute("SELECT person, person_key, unit_raw, month, day_shifts, night_shifts, amount, json(extra) "
                        "FROM allowance_claims ORDER BY claim_id").fetchall()
    assert rows == [
        ("王芳", "王芳", "柳岸社區", "2021-01", 10, 2, 2400.0, '{"序號":"1","審核人":"林某"}'),
        ("趙強", "赵强", "柳岸社區", "2021-01", 3, 5, 1600.0, '{"序號":"2","審核人":"林某"}'),
        ("錢七", "钱七", "柳岸社區", "2021-01", 1, None, None, '{"序號":"4","審核人":"林某"}'),
        ("张伟", "张伟", "龙泉社区", "2021-01", 4, 0, 800.0, None),
    ]
    assert conn.execute("SELECT role FROM non_data_rows WHERE row_number = 8").fetchone() == ("total",)


@pytest.mark.parametrize("name", ["roster", "claims"])
def test_reingest_adds_nothing(tmp_path, name):
    files = ([grid_workbook(tmp_path / "grid.xlsx"), long_form_csv(tmp_path / "long.csv")] if name == "roster"
             else [tmp_path / "c.csv"])
    if name == "claims":
        files[0].write_text("姓名,單位,月份,白班天數,夜班天數,申領金額\n王芳,柳岸社區,2021年1月,10,2,2400\n",
                            encoding="utf-8")
    db_path = tmp_path / "w.db"
    first = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), *map(str, files)])
    assert first.exit_code == 0, first.output
    before = table_counts(db_path)
    assert before[kinds.get(name).table] > 0
    again = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), *map(str, files)])
    assert again.exit_code == 0 and again.output.count("already ingested") == len(files), again.output
    assert table_counts(db_path) == before


def test_hours_in_headers_and_cells():
    assert hours("白班\n(8:00-20:00)") == (480, 1200, False)
    assert hours("夜班(20:00-次日8:00)") == (1200, 480, True)
    assert hours("夜班（20:00—次日08:00）") == (1200, 480, True)
    assert hours("夜班(18:30-8:30)") == (1110, 510, True)            # ends before it starts: next day
    assert hours("帶班領導(8時-次日8時)") == (480, 480, True)
    assert hours("白班") is None and hours(None) is None
    assert shift_of("带班") == ("leader", None) and shift_of("白班") == ("day", None)
    assert shift_of("夜班(20:00-次日8:00)") == ("night", (1200, 480, True))
    assert shift_of("中班") is None


@pytest.mark.parametrize("sheet,title,path,unit", [
    ("柳岸社區", "柳岸社區疫情防控值班表（2021年1月11日至2月7日）", "x.xlsx", "柳岸社區"),
    ("Sheet1", "東華街道華林社區疫情防控值班表（2021年1月）", "a.xlsx", "華林社區"),
    ("華林", "華林社區值班表", "a.xlsx", "華林社區"),
    ("1月", "", "東門社區值班表2021.xlsx", "東門社區"),
    ("新鎮村", "", "c.xlsx", "新鎮村"),
    ("錦園", "2021年1月值班表", "c.xlsx", "錦園"),
    ("Sheet1", "", "b.xlsx", None),
])
def test_unit_of_a_per_unit_sheet(sheet, title, path, unit):
    assert unit_from_context(SheetContext(path, sheet, title, None, None)) == unit


def test_a_sheet_naming_no_unit_is_rejected_row_by_row(tmp_path):
    path = tmp_path / "值班表.csv"
    path.write_text("日期,白班,夜班\n2021-01-20,王芳,趙強\n", encoding="utf-8")
    [report] = ingest(tmp_path / "w.db", [path])
    _conserved(report)
    assert report.rows_rejected == 1 and "no unit" in report.rejections[0][2]


@pytest.mark.parametrize("kind", ["roster", "claims"])
def test_template_round_trip(tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    result = CliRunner().invoke(cli, ["template", kind, str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    book["填報"].append([f.example for f in kinds.get(kind).fields])
    book.save(tmp_path / "filled.xlsx")
    [report] = ingest(tmp_path / "w.db", [tmp_path / "filled.xlsx"])
    assert report.kinds == [kind] and (report.rows_loaded, report.rows_rejected) == (1, 0), report.rejections
    _conserved(report)
