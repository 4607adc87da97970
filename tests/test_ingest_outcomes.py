"""What an ingest does with a column that feeds several fields, a file whose every row is
rejected, a row filter on a column the sheet lacks, and names written with full-width forms:
nothing of it happens silently."""
from __future__ import annotations

import json
import sqlite3

import openpyxl
from click.testing import CliRunner

from fangyi.cli import cli
from fangyi.ingest.headers import SynonymTable, find_header

HEADER = ["單位", "日期", "新增確診", "新增疑似", "核酸檢測人數", "報送時間", "填報人"]


def daily_csv(path, rows, title="白雲街道疫情防控日報", header=HEADER):
    lines = [title, ",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(tmp_path, *args, settings: str | None = None):
    argv = []
    if settings is not None:
        (tmp_path / "fangyi.toml").write_text(settings, encoding="utf-8")
        argv = ["--settings", str(tmp_path / "fangyi.toml")]
    db_path = tmp_path / "w.db"
    result = CliRunner().invoke(cli, [*argv, "ingest", "--db", str(db_path), *map(str, args)])
    return result, db_path


def rows(db_path, sql, *params):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# A city-level crawl of daily figures, as a public export writes it (one timestamp for both the
# day reported on and the time sent).
CRAWL = ("provinceName,cityName,province_confirmedCount,city_confirmedCount,city_suspectedCount,"
         "city_curedCount,updateTime\n"
         "河南省,南陽,156,7,0,40,2020-02-17 19:22:29\n"
         "河南省,信陽,246,5,1,30,2020-02-17 19:22:29\n"
         "河南省,鄭州,157,2,0,41,2020-02-17 08:05:11\n"
         "湖北省,武漢,42752,1807,0,4131,2020-02-17 10:15:40\n")
CRAWL_SETTINGS = """
[headers.daily]
unit = ["cityName"]
parent = ["provinceName"]
new_confirmed = ["city_confirmedCount"]
new_suspected = ["city_suspectedCount"]
report_date = ["updateTime"]
submitted_at = ["updateTime"]
"""


def test_a_header_the_settings_name_for_two_fields_fills_both(tmp_path):
    crawl = tmp_path / "DXYArea.csv"
    crawl.write_text(CRAWL, encoding="utf-8")
    result, db_path = run(tmp_path, crawl, settings=CRAWL_SETTINGS)
    assert result.exit_code == 0, result.output
    assert "4 loaded, 0 rejected" in result.output and "warning" not in result.output
    got = rows(db_path, "SELECT unit_raw, report_date, submitted_at, new_confirmed FROM daily_reports "
                        "ORDER BY row_number")
    assert [tuple(r) for r in got] == [
        ("南陽", "2020-02-17", "2020-02-17T19:22:29", 7),
        ("信陽", "2020-02-17", "2020-02-17T19:22:29", 5),
        ("鄭州", "2020-02-17", "2020-02-17T08:05:11", 2),
        ("武漢", "2020-02-17", "2020-02-17T10:15:40", 1807)]
    fields = json.loads(rows(db_path, "SELECT fields FROM source_sheets")[0]["fields"])
    assert fields["report_date"] == "updateTime" and fields["submitted_at"] == "updateTime"
    assert fields["unit"] == "cityName" and fields["parent"] == "provinceName"
    assert rows(db_path, "SELECT warnings FROM source_files")[0]["warnings"] is None


def test_a_column_claimed_by_a_builtin_synonym_and_the_settings_feeds_both_with_a_warning(tmp_path):
    """The settings name 日期 for the time sent; 日期 is also report_date's built-in synonym: both
    are filled from it, and the file's summary and record say so."""
    reports = daily_csv(tmp_path / "日報.csv", [
        ["柳岸社區", "2021-01-18 08:40", "0", "0", "120", "", "王芳"],
        ["東門社區", "2021-01-18 09:15", "1", "0", "98", "", "李強"],
        ["華林村", "2021-01-18 08:55", "0", "0", "45", "", "陳紅"]],
        header=["單位", "日期", "新增確診", "新增疑似", "核酸檢測人數", "備用", "填報人"])
    result, db_path = run(tmp_path, reports, settings='[headers.daily]\nsubmitted_at = ["日期"]\n')
    assert result.exit_code == 0, result.output
    warning = ("列 日期 (B) 同時匹配 日期（report_date）、報送時間（submitted_at），這些字段都從此列讀取")
    assert warning in result.output
    assert "the column 日期 (B) matches 2 fields, report_date, submitted_at: all of them are filled from it" \
        in result.output
    got = rows(db_path, "SELECT unit_raw, report_date, submitted_at FROM daily_reports ORDER BY row_number")
    assert [tuple(r) for r in got] == [("柳岸社區", "2021-01-18", "2021-01-18T08:40:00"),
                                       ("東門社區", "2021-01-18", "2021-01-18T09:15:00"),
                                       ("華林村", "2021-01-18", "2021-01-18T08:55:00")]
    recorded = json.loads(rows(db_path, "SELECT warnings FROM source_files")[0]["warnings"])
    assert any(warning in w and "report_date, submitted_at" in w for w in recorded)
    fields = json.loads(rows(db_path, "SELECT kind, fields FROM source_sheets")[0]["fields"])
    assert fields["report_date"] == fields["submitted_at"] == "日期"


def test_a_double_claim_by_builtin_synonyms_alone():
    """Two fields of a kind sharing a built-in synonym (a plug-in's kind may): the column feeds
    both, the header says so, and the kind is recognised by the fields it feeds."""
    from fangyi.ingest import kinds as registry
    from fangyi.ingest.kinds import Column, Field, Kind, Table, register, unregister

    kind = Kind(name="test_shared", title="t", fields=(
        Field("site", ("點位",)), Field("opened", ("日期",), "date"), Field("checked", ("日期", "檢查日期"), "date"),
        Field("people", ("人數",), "count")),
        recognise=lambda fields: {"site", "opened", "checked"} <= fields, label_field="site",
        tables=(Table("test_shared_rows", key="id", columns=(Column("site"), Column("opened"), Column("checked"))),))
    register(kind)
    try:
        header = find_header([["點位", "日期", "人數"], ["東門", "2021-01-18", "3"]], SynonymTable(),
                             ["test_shared"])
        assert header is not None and header.kind == "test_shared"
        assert header.fields == {0: ("site",), 1: ("opened", "checked"), 2: ("people",)}
        assert header.shared == [(1, ("opened", "checked"))]
        assert header.column_of("opened") == header.column_of("checked") == 1
        # named for both in the settings: no warning
        named = SynonymTable({"test_shared": {"opened": ["日期"], "checked": ["日期"]}})
        header = find_header([["點位", "日期", "人數"]], named, ["test_shared"])
        assert header.fields[1] == ("opened", "checked") and header.shared == []
    finally:
        unregister("test_shared")
        assert "test_shared" not in registry.all_kinds()


def test_the_daily_kind_is_still_recognised_by_a_unit_and_two_counts():
    synonyms = SynonymTable({"daily": {"report_date": ["updateTime"], "submitted_at": ["updateTime"]}})
    header = find_header([["cityName", "updateTime", "新增確診"]], SynonymTable({"daily": {"unit": ["cityName"]}}),
                         ["daily"])
    assert header is None                       # one count only
    header = find_header([["單位", "updateTime", "新增確診", "新增疑似"]], synonyms, ["daily"])
    assert header.kind == "daily" and header.names == {"unit", "report_date", "submitted_at",
                                                        "new_confirmed", "new_suspected"}


def test_a_file_whose_every_row_is_rejected_fails_the_run_and_the_other_file_loads(tmp_path):
    bad = daily_csv(tmp_path / "西河鎮日報.csv", [
        ["柳岸社區", "#REF!", "0", "0", "120", "2021-01-19 08:30", "王芳"],
        ["東門社區", "#REF!", "1", "0", "98", "2021-01-19 08:40", "李強"],
        ["華林村", "#REF!", "0", "0", "45", "2021-01-19 08:50", "陳紅"],
        ["新村", "2021年13月1日", "0", "0", "45", "2021-01-19 08:51", "周敏"]])
    good = daily_csv(tmp_path / "柳塘鎮日報.csv", [
        ["柳塘社區", "2021-01-18", "0", "0", "60", "2021-01-19 08:30", "趙偉"],
        ["河口村", "2021-01-18", "0", "1", "33", "2021-01-19 08:45", "孫麗"]])
    header_only = daily_csv(tmp_path / "空表.csv", [])
    result, db_path = run(tmp_path, bad, good, header_only)
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith(str(bad)))
    assert "0 loaded, 4 rejected" in line
    assert "沒有一行被載入，全部被拒收 / NOTHING LOADED: every data row was rejected" in line
    assert "最常見 / most common: 日期 (B): 無法讀作日期 / cannot read it as a date (4 rows)" in line
    assert f"{good}: daily; 4 rows read: 2 loaded, 0 rejected" in result.output
    assert "1 files loaded nothing" in result.output
    # nothing lost: the rows stay recorded, the file's record says it loaded nothing
    files = {r["path"]: r for r in rows(db_path, "SELECT * FROM source_files")}
    assert files[str(bad)]["status"] == "loaded" and files[str(bad)]["rows_rejected"] == 4
    assert "NOTHING LOADED" in files[str(bad)]["warnings"]
    assert len(rows(db_path, "SELECT * FROM rejected_rows WHERE reason LIKE '%無法讀作日期%'")) == 4
    assert [r[0] for r in rows(db_path, "SELECT unit_raw FROM daily_reports ORDER BY row_number")] == ["柳塘社區", "河口村"]
    # a header and no data rows is not an error
    result = CliRunner().invoke(cli, ["ingest", "--db", str(tmp_path / "alone.db"), str(header_only)])
    assert result.exit_code == 0 and "NOTHING LOADED" not in result.output, result.output
    # the same file again: read once, and still said to have loaded nothing
    again = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(bad), str(good)])
    assert again.exit_code == 1, again.output
    line = next(ln for ln in again.output.splitlines() if ln.startswith(str(bad)))
    assert "already ingested" in line and "rejected all 4 rows" in line and "start over with a new database" in line
    assert next(ln for ln in again.output.splitlines() if ln.startswith(str(good))).endswith("nothing added")


# Step 5 of docs/own-district.md: another system's export, mapped and filtered by the settings.
FOREIGN_SETTINGS = """
[headers.daily]
unit = ["villages"]
report_date = ["date"]
parent = ["province"]
new_confirmed = ["confirmed"]
new_suspected = ["suspected"]
tests_done = ["tested"]

[filter.daily]
"國家" = ["中國"]
"""


def test_a_filter_on_a_column_the_sheet_has_keeps_only_its_rows(tmp_path):
    export = tmp_path / "外來導出_2021-01.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "導出"
    ws.append(["國家", "province", "date", "villages", "confirmed", "suspected", "tested"])
    ws.append(["中國", "西河鎮", "2021-01-18", "新村", 0, 0, 112])
    ws.append(["中國", "柳塘鎮", "2021-01-18", "新村", 0, 0, 87])
    ws.append(["越南", "Lào Cai", "2021-01-18", "Bát Xát", 3, 0, 40])
    notes = wb.create_sheet("說明")         # not a data sheet: it has no 國家 column and fails nothing
    notes.append(["本表由外部系統導出"])
    wb.save(export)
    result, db_path = run(tmp_path, export, settings=FOREIGN_SETTINGS)
    assert result.exit_code == 0, result.output
    assert [tuple(r) for r in rows(db_path, "SELECT parent_raw, unit_raw FROM daily_reports ORDER BY row_number")] \
        == [("西河鎮", "新村"), ("柳塘鎮", "新村")]
    filtered = rows(db_path, "SELECT note FROM non_data_rows WHERE role = 'filtered'")
    assert [r["note"] for r in filtered] == ["filtered out by the settings: 國家 = 中國"]


def test_a_filter_on_a_column_the_sheet_lacks_fails_that_file(tmp_path):
    crawl = tmp_path / "DXYArea.csv"
    crawl.write_text(CRAWL, encoding="utf-8")
    mapped = daily_csv(tmp_path / "日報.csv", [["柳岸社區", "2021-01-18", "0", "0", "120", "", "王芳"]],
                       header=["国家", *HEADER])
    mapped.write_text(mapped.read_text(encoding="utf-8").replace("\n柳岸社區", "\n中國,柳岸社區"), encoding="utf-8")
    settings = CRAWL_SETTINGS + '\n[filter.daily]\n"國家" = ["中國"]\n'
    result, db_path = run(tmp_path, crawl, mapped, settings=settings)
    assert result.exit_code == 1, result.output
    error = (f"{crawl}: 設置 [filter.daily] 的篩選列「國家」不在此表中，此文件沒有讀入任何內容 "
             "（表中的列：provinceName, cityName, province_confirmedCount, city_confirmedCount, "
             "city_suspectedCount, city_curedCount, updateTime） / the [filter.daily] column '國家' of the "
             "settings is not in this sheet, so nothing of the file was loaded")
    assert "讀入失敗 / FAILED: " + error in result.output
    files = {r["path"]: r for r in rows(db_path, "SELECT * FROM source_files")}
    assert files[str(crawl)]["status"] == "failed" and error in files[str(crawl)]["error"]
    # the other file has the column (written 国家, simplified: matched as headers are) and loads
    assert files[str(mapped)]["status"] == "loaded" and files[str(mapped)]["rows_loaded"] == 1
    assert [r[0] for r in rows(db_path, "SELECT unit_raw FROM daily_reports")] == ["柳岸社區"]


def test_a_sheet_of_many_columns_lists_the_first_ten(tmp_path):
    wide = tmp_path / "wide.csv"
    extra = [f"備註{i}" for i in range(1, 9)]
    daily_csv(wide, [["柳岸社區", "2021-01-18", "0", "0", "120", "", "王芳", *[""] * 8]], header=[*HEADER, *extra])
    result, _ = run(tmp_path, wide, settings='[filter.daily]\ncountryName = ["中國"]\n')
    assert result.exit_code == 1
    assert ("單位, 日期, 新增確診, 新增疑似, 核酸檢測人數, 報送時間, 填報人, 備註1, 備註2, 備註3, … (15 columns)"
            in result.output), result.output


def test_names_are_stored_as_written_and_still_resolve(tmp_path):
    registry = tmp_path / "單位名錄.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["河南省單位名錄"])
    ws.append(["單位編碼", "單位名稱", "層級", "上級編碼", "別名"])
    ws.append(["410000000000", "河南省", "省", "", None])
    ws.append(["411300000000", "南陽（含鄧州）", "市", "410000000000", "南陽市；宛城"])
    ws.append(["411500000000", "信陽市", "市", "410000000000", None])
    wb.save(registry)
    reports = daily_csv(tmp_path / "日報.csv", [
        ["南陽（含鄧州）", "2021-01-18", "0", "0", "1200", "2021-01-19 08:30", "王　芳"],
        ["信陽市", "2021-01-18", "0", "0", "900", "2021-01-19 08:40", "李強"],
        ["宛城", "2021-01-18", "0", "0", "300", "2021-01-19 08:40", "李強"]],
        title="河南省疫情防控日報")
    result, db_path = run(tmp_path, registry, reports)
    assert result.exit_code == 0, result.output
    assert [tuple(r) for r in rows(db_path, "SELECT name, aliases FROM units ORDER BY unit_code")] == [
        ("河南省", None), ("南陽（含鄧州）", '["南陽市", "宛城"]'), ("信陽市", None)]
    got = rows(db_path, "SELECT unit_raw, unit_key, reporter FROM daily_reports ORDER BY row_number")
    assert [tuple(r) for r in got] == [("南陽（含鄧州）", "南阳(含邓州)", "王　芳"), ("信陽市", "信阳市", "李強"),
                                       ("宛城", "宛城", "李強")]
    assert [r[0] for r in rows(db_path, "SELECT unit_raw FROM unit_names ORDER BY name_id")] == [
        "南陽（含鄧州）", "信陽市", "宛城"]
    check = CliRunner().invoke(cli, ["check", "--db", str(db_path), "--no-gx", "--fail-on", "never"])
    assert check.exit_code == 0, check.output
    resolved = rows(db_path, "SELECT unit_raw, unit_code, matched_by FROM daily_reports_resolved ORDER BY row_number")
    assert [tuple(r) for r in resolved] == [("南陽（含鄧州）", "411300000000", "name"),
                                            ("信陽市", "411500000000", "name"),
                                            ("宛城", "411300000000", "alias")]
    assert not rows(db_path, "SELECT * FROM findings WHERE check_id = 'unknown_unit'")


def test_a_warning_every_sheet_repeats_is_said_once_for_the_file(tmp_path):
    """A workbook of one sheet a day, each with the same doubly claimed column: one warning line
    naming the first sheet and how many more, not one line per sheet."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for day in range(11, 25):
        ws = book.create_sheet(f"1月{day}日")
        ws.append(["單位", "日期", "新增確診", "新增疑似", "核酸檢測人數", "填報人"])
        ws.append(["柳岸社區", f"2021-01-{day} 08:40", 0, 0, 120, "王芳"])
    path = tmp_path / "日報.xlsx"
    book.save(path)
    result, db_path = run(tmp_path, path, settings='[headers.daily]\nsubmitted_at = ["日期"]\n')
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "同時匹配" in line]
    assert len(lines) == 1, result.output
    assert "工作表「1月11日」列 日期 (B)" in lines[0] and "and 13 more sheets with the same column" in lines[0]
    assert len(rows(db_path, "SELECT * FROM daily_reports")) == 14


def test_a_workbook_of_unknown_headers_fails_once_naming_the_row_and_what_to_add(tmp_path):
    """Three day-sheets of another system's form, a title above the header: one failure for the
    file, naming the header row (below the title), the headers not known, the ones known and the
    [headers.daily] line to add for the unit column."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for day in (18, 19, 20):
        ws = book.create_sheet(f"1月{day}日")
        ws.append([f"外來系統導出 2021-01-{day}"])
        ws.append(["日期", "村居", "確診數", "疑似數"])
        ws.append([f"2021-01-{day}", "新村", 0, 0])
    path = tmp_path / "導出.xlsx"
    book.save(path)
    result, db_path = run(tmp_path, path)
    assert result.exit_code == 1
    [line] = [x for x in result.output.splitlines() if "導出.xlsx" in x]
    assert "工作表「1月18日」第 2 行（另有 2 個工作表相同）" in line and "and 2 more sheets alike" in line
    assert "not known: 村居, 確診數, 疑似數" in line and "known: 日期→report_date" in line
    assert 'add under [headers.daily] in fangyi.toml' in line and 'unit = ["…"]' in line
    [(status, error)] = [tuple(r) for r in rows(db_path, "SELECT status, error FROM source_files")]
    assert status == "failed" and "[headers.daily]" in error
