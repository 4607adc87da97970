"""gathering_attendee_under_management: the attendee list of a gathering against the register of
returnees. A returnee inside their days of health management may not attend; a person is the
same by identity number, else phone, else name within the unit, never by a name across villages."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from fangyi.checks.run import run_checks
from fangyi.ingest.load import ingest
from fangyi.settings import Settings

CHECK = "gathering_attendee_under_management"
PERIOD = Settings(period_start=dt.date(2021, 1, 18), period_end=dt.date(2021, 2, 28))

REGISTRY = ("單位編碼,單位名稱,層級,上級編碼\n"
            "450103000000,清河區,區,\n450103100000,雲峰鎮,鎮,450103000000\n"
            "450103100001,柳岸村,村,450103100000\n450103100002,石橋村,村,450103100000\n")

# 社區(村), 姓名, 身份證號, 聯繫電話, 返鄉時間, 離開日期
RETURNEES = [
    ("柳岸村", "張偉", "450103199001011234", "13800000001", "2021-01-25", ""),     # by identity number
    ("柳岸村", "李娜", "", "13800000002", "2021-01-26", ""),                       # by phone (no id)
    ("柳岸村", "王芳", "", "", "2021-01-27", ""),                                   # by name within 柳岸村
    ("柳岸村", "劉洋", "450103199202022345", "13800000004", "2021-01-10", ""),     # monitoring over by 2021-01-24
    ("柳岸村", "陳靜", "450103199303033456", "13800000005", "2021-01-28", "2021-02-01"),  # left before the event
    ("石橋村", "楊帆", "", "", "2021-01-29", ""),                                   # a 楊帆 of another village
]
# the attendee list of one wedding in 柳岸村 on 2021-02-03: 姓名, 身份證號, 聯繫電話
ATTENDEES = [
    ("張偉", "450103199001011234", ""),
    ("李 娜", "", "138 0000 0002"),
    ("王芳", "", ""),
    ("劉洋", "450103199202022345", ""),
    ("陳靜", "450103199303033456", ""),
    ("楊帆", "", ""),                        # same name as 石橋村's returnee: not the same person
    ("張偉", "450103198801019999", ""),      # another 張偉: his identity number differs
]


def _files(folder: Path) -> list[Path]:
    (folder / "單位名錄.csv").write_text(REGISTRY, encoding="utf-8")
    register = ["柳岸村返鄉人員健康管理臺賬（2021年1月）",
                "社區(村),姓名,身份證號,聯繫電話,從何地返鄉,風險等級,報備時間,返鄉時間,登記時間,核酸陰性證明日期,離開日期"]
    register += [f"{v},{n},{i},{p},廣東省深圳市,低,{dt.date.fromisoformat(a) - dt.timedelta(days=2)},{a},{a},{a},{d}"
                 for v, n, i, p, a, d in RETURNEES]
    (folder / "返鄉人員登記.csv").write_text("\n".join(register) + "\n", encoding="utf-8")
    (folder / "活動報備登記表.csv").write_text(
        "雲峰鎮活動報備登記表（2021年2月）\n"
        "活動編號,社區,活動類型,舉辦日期,舉辦地點,組織人,聯繫電話,預計人數,實際人數,報備日期\n"
        "LA-01,柳岸村,婚禮,2021-02-03,柳岸村文化室,張大山,13900000001,30,28,2021-01-30\n", encoding="utf-8")
    rows = "\n".join(f"LA-01,{n},{i},{p}" for n, i, p in ATTENDEES)
    (folder / "LA-01參加人員名單.csv").write_text("活動編號,姓名,身份證號,聯繫電話\n" + rows + "\n", encoding="utf-8")
    return sorted(folder.glob("*.csv"))


def test_attendees_inside_their_management_are_found_and_no_one_else(tmp_path):
    reports = ingest(tmp_path / "w.db", _files(tmp_path))
    assert all(r.status == "loaded" and not r.rows_rejected for r in reports), [(r.path, r.rejections) for r in reports]
    run_checks(tmp_path / "w.db", PERIOD)
    conn = sqlite3.connect(tmp_path / "w.db")
    conn.row_factory = sqlite3.Row
    found = conn.execute("SELECT unit_code, date, subject_key, severity, message, evidence FROM findings "
                         "WHERE check_id = ? ORDER BY subject_key", (CHECK,)).fetchall()
    got = {(f["subject_key"], json.loads(f["evidence"])["matched_by"]) for f in found}
    assert got == {("張偉", "id_number"), ("李 娜", "phone"), ("王芳", "name")}
    assert {(f["unit_code"], f["date"], f["severity"]) for f in found} == {("450103100001", "2021-02-03", "error")}
    zhang = next(f for f in found if f["subject_key"] == "張偉")
    assert "2021-01-25 返鄉的人員，健康管理至 2021-02-08" in zhang["message"]
    assert "按身份證號核對" in zhang["message"] and "(matched by identity number)" in zhang["message"]
    register = json.loads(zhang["evidence"])["register"]
    (path,) = conn.execute("SELECT path FROM source_files WHERE file_id = ?", (register["file_id"],)).fetchone()
    assert path.endswith("返鄉人員登記.csv") and register["row"] == 3


def test_nothing_without_an_attendee_list(tmp_path):
    files = [p for p in _files(tmp_path) if "參加人員" not in p.name]
    ingest(tmp_path / "w.db", files)
    run_checks(tmp_path / "w.db", PERIOD)
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id = ?", (CHECK,)).fetchone()[0] == 0


def test_the_demo_case_is_found_exactly(checked_db, demo_data):
    _, manifest = demo_data
    (expected,) = manifest["defects"][CHECK]
    conn = sqlite3.connect(checked_db)
    found = conn.execute("SELECT unit_code, date, subject_key FROM findings WHERE check_id = ?", (CHECK,)).fetchall()
    assert found == [(expected["unit_code"], expected["date"], expected["name"])]
