"""Returnees under health management (kinds returnees and returnee_tests, suite returnees) on
files as villages keep them: a register with a merged title row and one sheet per village, tests
as columns of the register or as rows of their own sheet (the same findings either way), an
identity number Excel mangled, a short stay, a medium-risk returnee owing three tests, a test
matched by phone, tolerance and the end of the period, unmatched and positive tests, and the
daily report's count of registrations."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from fangyi.checks.run import run_checks
from fangyi.cli import cli
from fangyi.ingest.kinds.returnees import id_checksum_ok, mangled_id
from fangyi.ingest.load import ingest
from fangyi.settings import ReturneeSettings, Settings, SettingsError, load

CHECK_IDS = ("returnee_late_notice", "returnee_late_registration", "returnee_no_certificate",
             "returnee_test_missed", "returnee_positive", "returnee_count_mismatch", "returnee_test_unmatched")
PERIOD = Settings(period_start=dt.date(2021, 1, 18), period_end=dt.date(2021, 2, 7))

REGISTRY = [
    ("單位編碼", "單位名稱", "層級", "上級編碼"),
    ("450103000000", "清河區", "區", ""),
    ("450103100000", "雲峰鎮", "鎮", "450103000000"),
    ("450103100001", "柳岸村", "村", "450103100000"),
    ("450103100002", "石橋村", "村", "450103100000"),
]
LIUAN, SHIQIAO = "450103100001", "450103100002"


def person_id(seed: int) -> str:
    """A valid 18-character identity number (its check digit computed)."""
    body = f"4501031990{(seed % 12) + 1:02d}{(seed % 28) + 1:02d}{seed % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


# One register row per person: (village, name, id, phone, risk, notified, arrived, registered,
# certificate, departed, tests); tests: (register column, cell date text, result, disposal).
PEOPLE = [
    # all in order: no finding
    ("柳岸村", "張三", person_id(1), "13800000001", "", "2021-01-18 10:00", "2021-01-20 15:00", "2021-01-20 20:00",
     "2021-01-17", "", [("第7天核酸", "1月27日", "陰性", ""), ("第14天核酸", "2月3日", "陰性", "")]),
    # notified 14 hours before, registered 23 hours after (by time), certificate 10 days old and no
    # test at once; day-7 test two days late (missed), day-14 test one day late (counts)
    ("柳岸村", "李四", person_id(2), "13800000002", "低", "2021-01-19 20:00", "2021-01-20 10:00", "2021-01-21 09:00",
     "2021-01-10", "", [("第7天核酸", "1月29日", "陰性", ""), ("第14天核酸", "2月4日", "陰性", "")]),
    # dates only, registered the next day (in time); no identity number: its test sheet row is
    # matched by phone; no day-14 test (missed)
    ("柳岸村", "王五", "", "13800000003", "", "1月19日", "1月20日", "1月21日", "1月15日", "",
     [("第7天核酸", "1月27日", "陰性", "")]),
    # a short stay: left on day 10, owes only the day-7 test, and has none
    ("柳岸村", "趙六", person_id(4), "13800000004", "低", "1月18日", "1月20日", "1月20日", "1月19日", "2021-01-30", []),
    # medium risk: three tests, days 1, 7 and 14; the third is missing
    ("柳岸村", "孫七", person_id(5), "13800000005", "中", "2021-01-19 08:00", "2021-01-20 12:00", "2021-01-20 13:00",
     "無", "", [("入戶核酸", "1月21日", "陰性", ""), ("第7天核酸", "1月27日", "陰性", "")]),
    # arrived near the end of the period: day 7 (+1) falls after it, not yet missed; notified on
    # the day of arrival (dates only): late notice
    ("柳岸村", "吳九", person_id(7), "13800000007", "", "2月1日", "2月1日", "2月1日", "1月30日", "", []),
    # positive on day 7, disposal recorded (warning) or not (error)
    ("石橋村", "鄭十", person_id(8), "13800000008", "", "1月18日", "1月20日", "1月20日", "1月18日", "",
     [("第7天核酸", "1月27日", "陽性", "已轉運至定點醫院隔離治療"), ("第14天核酸", "2月3日", "陰性", "")]),
    ("石橋村", "錢八", person_id(9), "13800000009", "", "1月18日", "1月20日", "1月20日", "1月18日", "",
     [("第7天核酸", "1月26日", "陽性", ""), ("第14天核酸", "2月3日", "陰性", "")]),
]
MANGLED = ("柳岸村", "周八", 4.50103e17, "13800000006", "", "1月18日", "1月20日", "1月20日", "1月18日", "", [])
HEADER = ["姓名", "身份證號", "聯繫電話", "從何地返鄉", "風險等級", "報備時間", "返鄉時間", "登記時間", "核酸陰性證明日期",
          "管理方式", "離開日期", "網格員"]
TEST_COLUMNS = ["入戶核酸", "第7天核酸", "第14天核酸"]


def _registry(folder: Path) -> Path:
    path = folder / "單位名錄.csv"
    path.write_text("\n".join(",".join(r) for r in REGISTRY) + "\n", encoding="utf-8")
    return path


def _register(folder: Path, with_tests: bool, people=PEOPLE, mangled: bool = True) -> Path:
    """The register, a sheet per village with a merged title row; the tests as its columns
    (with_tests) or left out."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for village in ("柳岸村", "石橋村"):
        sheet = book.create_sheet(village)
        header = HEADER + (TEST_COLUMNS if with_tests else [])
        sheet.append([f"{village}返鄉人員健康管理臺賬（2021年1月）"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(header)
        rows = [p for p in people if p[0] == village] + ([MANGLED] if mangled and village == "柳岸村" else [])
        for unit, name, id_number, phone, risk, notified, arrived, registered, cert, departed, tests in rows:
            row = [name, id_number, phone, "廣東省深圳市", risk, notified, arrived, registered, cert,
                   "居家健康監測", departed, "網格員甲"]
            if with_tests:
                cells = {column: f"{day} {result}".strip() for column, day, result, _ in tests}
                row += [cells.get(c) for c in TEST_COLUMNS]
            sheet.append(row)
        sheet.append(["填表人：某某"])
    path = folder / "雲峰鎮返鄉人員健康管理臺賬.xlsx"
    book.save(path)
    return path


def _test_sheet(folder: Path, people=PEOPLE, extra=()) -> Path:
    """The tests as rows of their own sheet: by identity number, or by phone when there is none."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "核酸檢測"
    sheet.append(["雲峰鎮返鄉人員核酸檢測登記表"])
    sheet.append(["社區(村)", "姓名", "身份證號", "聯繫電話", "採樣日期", "結果", "處置情況"])
    for unit, name, id_number, phone, *_, tests in people:
        for column, day, result, disposal in tests:
            sheet.append([unit, name, id_number or None, phone if not id_number else None, f"2021年{day}", result,
                          disposal or None])
    for row in extra:
        sheet.append(list(row))
    path = folder / "雲峰鎮返鄉人員核酸檢測.xlsx"
    book.save(path)
    return path


def _daily(folder: Path, rows) -> Path:
    path = folder / "雲峰鎮日報.csv"
    lines = ["日期,單位,返鄉人員登記,新增確診"] + [f"{d},{u},{n},0" for d, u, n in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _build(tmp_path: Path, layout: str, extra_tests=(), daily=(), settings: Settings = PERIOD) -> Path:
    folder = tmp_path / layout
    folder.mkdir()
    files = [_registry(folder), _register(folder, with_tests=layout == "columns")]
    if layout == "rows":
        files.append(_test_sheet(folder, extra=extra_tests))
    elif extra_tests:
        files.append(_test_sheet(folder, people=[], extra=extra_tests))
    if daily:
        files.append(_daily(folder, daily))
    db_path = folder / "w.db"
    reports = ingest(db_path, files)
    assert all(r.status == "loaded" for r in reports), [r.error for r in reports]
    for r in reports:
        assert r.rows_read == r.rows_loaded + r.rows_rejected + r.rows_not_data
    run_checks(db_path, settings)
    return db_path


def _findings(db_path: Path, checks=CHECK_IDS) -> set[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return {tuple(r) for r in conn.execute(
            f"SELECT check_id, severity, unit_code, date, subject_key FROM findings "
            f"WHERE check_id IN ({','.join('?' * len(checks))})", checks)}
    finally:
        conn.close()


EXPECTED = {
    ("returnee_late_notice", "warning", LIUAN, "2021-01-20", "李四"),
    ("returnee_late_notice", "warning", LIUAN, "2021-02-01", "吳九"),
    ("returnee_late_registration", "warning", LIUAN, "2021-01-21", "李四"),
    ("returnee_no_certificate", "warning", LIUAN, "2021-01-21", "李四"),
    ("returnee_test_missed", "warning", LIUAN, "2021-01-27", "李四"),
    ("returnee_test_missed", "warning", LIUAN, "2021-02-03", "王五"),
    ("returnee_test_missed", "warning", LIUAN, "2021-01-27", "趙六"),
    ("returnee_test_missed", "warning", LIUAN, "2021-02-03", "孫七"),
    ("returnee_positive", "error", SHIQIAO, "2021-01-26", "錢八"),
}


@pytest.fixture(scope="module")
def by_rows(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("returnees"), "rows",
                  extra_tests=[("石橋村", "陌生人", None, "13900000000", "2021-01-25", "陰性", None)],
                  daily=[("2021-01-20", "柳岸村", 3), ("2021-01-21", "柳岸村", 5), ("2021-01-22", "柳岸村", 0),
                         ("2021-01-20", "石橋村", 2), ("2021-01-15", "柳岸村", 3)])


def test_excel_mangled_identity_number_rejected_naming_the_column(by_rows):
    assert mangled_id("4.50103E+17") and mangled_id("450103199001011234.0") and mangled_id("450103000000000000")
    assert not mangled_id(person_id(3)) and id_checksum_ok(person_id(3))
    conn = sqlite3.connect(by_rows)
    rejected = conn.execute("SELECT sheet, column_name, reason FROM rejected_rows WHERE kind = 'returnees'").fetchall()
    conn.close()
    assert len(rejected) == 1
    sheet, column, reason = rejected[0]
    assert (sheet, column) == ("柳岸村", "身份證號")
    assert "Excel" in reason and "科學記數法" in reason and "format the column as text" in reason


def test_findings_are_exactly_the_cases(by_rows):
    findings = _findings(by_rows)
    positive_with_disposal = ("returnee_positive", "warning", SHIQIAO, "2021-01-27", "鄭十")
    unmatched = ("returnee_test_unmatched", "warning", SHIQIAO, "2021-01-25", "陌生人")
    mismatch = ("returnee_count_mismatch", "warning", LIUAN, "2021-01-21", None)
    assert findings == EXPECTED | {positive_with_disposal, unmatched, mismatch}


def test_tests_as_columns_or_rows_give_the_same_findings(tmp_path, by_rows):
    columns = _build(tmp_path, "columns")
    found = _findings(columns)
    # the register's cells have no disposal column: 鄭十's positive is an error there
    assert found == EXPECTED | {("returnee_positive", "error", SHIQIAO, "2021-01-27", "鄭十")}
    rows = _findings(by_rows) - {f for f in _findings(by_rows) if f[0] in (
        "returnee_test_unmatched", "returnee_count_mismatch") or f[4] == "鄭十"}
    assert found - {f for f in found if f[4] == "鄭十"} == rows


def test_messages_say_which_rule_was_used(by_rows):
    conn = sqlite3.connect(by_rows)
    messages = dict(((c, s), m) for c, s, m in conn.execute(
        "SELECT check_id, subject_key, message FROM findings WHERE check_id LIKE 'returnee_%'"))
    conn.close()
    assert "按時間判斷" in messages[("returnee_late_notice", "李四")]
    assert "judged by date" in messages[("returnee_late_notice", "吳九")]
    assert "按時間判斷" in messages[("returnee_late_registration", "李四")]
    assert "2021-01-10" in messages[("returnee_no_certificate", "李四")]
    assert "2021-01-29" in messages[("returnee_test_missed", "李四")]        # the late test, named
    assert "第 14 天" in messages[("returnee_test_missed", "孫七")]


def test_matching_and_what_is_owed(by_rows):
    conn = sqlite3.connect(by_rows)
    matched = dict(conn.execute(
        "SELECT r.name, r.matched_by FROM returnee_test_results r WHERE r.source = 'tests' AND r.name IN ('王五', '張三')"))
    assert matched == {"王五": "phone", "張三": "id_number"}
    owed = conn.execute(
        "SELECT c.name, o.day_number, o.status FROM returnee_tests_owed o JOIN returnees_current c USING (returnee_id) "
        "WHERE c.name IN ('趙六', '孫七', '吳九', '李四') ORDER BY c.name, o.ordinal").fetchall()
    conn.close()
    assert owed == [("吳九", 7, "not_yet"), ("吳九", 14, "not_yet"),
                    ("孫七", 1, "done"), ("孫七", 7, "done"), ("孫七", 14, "missed"),
                    ("李四", 7, "missed"), ("李四", 14, "done"),
                    ("趙六", 7, "missed")]


def test_settings_change_the_rules(tmp_path):
    settings = Settings(period_start=PERIOD.period_start, period_end=PERIOD.period_end,
                        returnees=ReturneeSettings(test_late_tolerance_days=2, notice_hours=12))
    found = _findings(_build(tmp_path, "rows", settings=settings))
    assert ("returnee_test_missed", "warning", LIUAN, "2021-01-27", "李四") not in found   # two days late counts
    assert ("returnee_late_notice", "warning", LIUAN, "2021-01-20", "李四") not in found   # 14 hours is enough


def test_returnee_settings_validated(tmp_path):
    path = tmp_path / "fangyi.toml"
    path.write_text("[returnees]\ntest_days = [14, 7]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[returnees\] test_days"):
        load(path)
    path.write_text("[returnees]\nnotice_hours = \"24\"\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[returnees\] notice_hours"):
        load(path)
    path.write_text("[returnees]\nnotice_hour = 24\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting"):
        load(path)
    path.write_text("[returnees]\ntest_days = [5, 10]\nmedium_high_risk_tests = 4\n", encoding="utf-8")
    s = load(path).returnees
    assert s.schedule("low") == [5, 10] and s.schedule("high") == [1, 2, 5, 10]
    assert ReturneeSettings().schedule("medium") == [1, 7, 14]


def test_dates_in_test_cells(tmp_path):
    """A register cell holding a result alone meets the test of its column."""
    people = [("柳岸村", "張三", person_id(1), "13800000001", "", "1月18日", "1月20日", "1月20日", "1月17日", "",
               [("第7天核酸", "", "陰性", ""), ("第14天核酸", "2021-02-03", "", "")])]
    folder = tmp_path / "cells"
    folder.mkdir()
    files = [_registry(folder), _register(folder, with_tests=True, people=people, mangled=False)]
    ingest(folder / "w.db", files)
    run_checks(folder / "w.db", PERIOD)
    assert _findings(folder / "w.db") == set()
    conn = sqlite3.connect(folder / "w.db")
    assert conn.execute("SELECT column_name, planned, test_date, result FROM returnee_register_tests "
                        "ORDER BY register_test_id").fetchall() == [
        ("第7天核酸", "day:7", None, "negative"), ("第14天核酸", "day:14", "2021-02-03", None)]
    conn.close()


@pytest.mark.parametrize("kind", ["returnees", "returnee_tests"])
def test_template(tmp_path, kind):
    out = tmp_path / f"{kind}.xlsx"
    result = CliRunner().invoke(cli, ["template", kind, str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    headers = [c.value for row in book.worksheets[0].iter_rows(max_row=6) for c in row if c.value]
    assert "姓名" in headers and "身份證號" in headers


# ---------------------------------------------------------------------------------------------
# The demo district
# ---------------------------------------------------------------------------------------------

def test_demo_returnee_cases_found_exactly(checked_db, demo_data):
    _, manifest = demo_data
    d = manifest["defects"]
    for check_id in CHECK_IDS:
        expected = sorted((e["unit_code"], e["date"], e["name"]) for e in d[check_id])
        assert len(expected) == 1, check_id
        conn = sqlite3.connect(checked_db)
        found = sorted(conn.execute("SELECT unit_code, date, subject_key FROM findings WHERE check_id = ?",
                                    (check_id,)).fetchall())
        conn.close()
        assert found == expected, check_id
    conn = sqlite3.connect(checked_db)
    (severity,) = conn.execute("SELECT severity FROM findings WHERE check_id = 'returnee_positive'").fetchone()
    assert severity == "error"                            # no disposal recorded
    for case in d["returnee_late_notice"] + d["returnee_test_missed"]:
        (evidence,) = conn.execute(
            "SELECT evidence FROM findings f WHERE check_id IN ('returnee_late_notice', 'returnee_test_missed') "
            "AND subject_key = ?", (case["name"],)).fetchone()
        evidence = json.loads(evidence)
        (path,) = conn.execute("SELECT path FROM source_files WHERE file_id = ?", (evidence["file_id"],)).fetchone()
        assert Path(path).as_posix().endswith(case["file"]) and (evidence["sheet"], evidence["row"]) == (
            case["sheet"], case["row"])
    conn.close()


def test_demo_mangled_identity_number_rejected(demo_conn, demo_data):
    (expected,) = demo_data[1]["returnees"]["rejected"]
    rows = demo_conn.execute("SELECT s.path, r.sheet, r.row_number, r.column_name, r.reason FROM rejected_rows r "
                             "JOIN source_files s USING (file_id) WHERE r.kind = 'returnees'").fetchall()
    assert [(Path(p).as_posix().endswith(expected["file"]), s, n, c) for p, s, n, c, _ in rows] == [
        (True, expected["sheet"], expected["row"], "身份證號")]
    assert "Excel" in rows[0]["reason"]


def test_no_returnee_finding_on_the_clean_demo(clean_demo_db):
    assert _findings(clean_demo_db) == set()


def test_returnee_suite_documented_and_portable():
    from fangyi.checks import BY_ID, CHECKS

    assert {c.id: c.severity for c in CHECKS if c.suite == "returnees"} == {
        "returnee_late_notice": "warning", "returnee_late_registration": "warning",
        "returnee_no_certificate": "warning", "returnee_test_missed": "warning", "returnee_positive": "error",
        "returnee_count_mismatch": "warning", "returnee_test_unmatched": "warning"}
    root = Path(__file__).resolve().parent.parent
    for doc in ("README.md", "docs/contract.md"):
        text = (root / doc).read_text(encoding="utf-8")
        for check_id in CHECK_IDS:
            assert f"`{check_id}` | {BY_ID[check_id].severity}" in text, (doc, check_id)
        assert "[returnees] test_late_tolerance_days" in text
    toml = (root / "fangyi.toml").read_text(encoding="utf-8")
    assert "[returnees]" in toml and load(root / "fangyi.toml").returnees == ReturneeSettings()


@pytest.mark.parametrize("text, mangled", [
    ("4.50103E+17", True), ("450103199001011234.0", True),
    ("440199199011041024", True),          # a number cell of 15 digits, read back in full
    ("440199199406304028", False),          # a mistyped number (wrong check digit), not a double's
    ("440199199406304021", False),          # a valid one
])
def test_a_mistyped_identity_number_is_not_taken_for_one_excel_made(text, mangled):
    assert mangled_id(text) is mangled


def test_a_form_without_notice_or_certificate_columns_and_no_year_in_its_title(tmp_path):
    """A village's own form: no 報備時間 and no certificate column (so no finding about either: a
    form without the column has no blank), no year in its title, sheet or file name (a test cell
    written 2月1日 陰性 takes the year of the arrivals)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "柳岸村"
    sheet.append(["柳岸村返鄉人員登記表"])
    sheet.append(["序號", "姓名", "身份證號碼", "手機號碼", "從何地返回", "返回時間", "登記時間", "第7天核酸", "第14天核酸"])
    sheet.append([1, "莫大", person_id(31), "13877120009", "河北石家莊", "2021/1/25 18:00", "2021/1/26 9:00",
                  "2月1日 陰性", "2月8日 陰性"])
    sheet.append([2, "韋小寶", person_id(32), "13877120001", "廣東東莞", "2021-01-28", "2021-01-28",
                  "2月4日 陰性", "2月11日 陰性"])
    book.save(tmp_path / "返鄉人員登記表.xlsx")
    reports = ingest(tmp_path / "w.db", [_registry(tmp_path), tmp_path / "返鄉人員登記表.xlsx"])
    assert [r.rows_rejected for r in reports] == [0, 0], [r.rejections for r in reports]
    run_checks(tmp_path / "w.db", PERIOD)
    conn = sqlite3.connect(tmp_path / "w.db")
    tests = conn.execute("SELECT test_date FROM returnee_test_results ORDER BY test_date").fetchall()
    assert [t for (t,) in tests] == ["2021-02-01", "2021-02-04", "2021-02-08", "2021-02-11"]
    found = conn.execute("SELECT check_id, subject_key FROM findings WHERE check_id LIKE 'returnee%'").fetchall()
    assert found == [("returnee_late_registration", "莫大")]      # 15 hours after arriving
