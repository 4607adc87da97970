"""A corrected registry supersedes the earlier one in units_current; both stay in units."""
from __future__ import annotations

import sqlite3

from fangyi.checks.run import materialise
from fangyi.ingest.load import ingest


def test_registry_versions(tmp_path):
    header = "單位編碼,單位名稱,層級,上級編碼,停用日期,別名\n"
    (tmp_path / "v1.csv").write_text(header + "440100001001,柳岸社區,社區,440100001000,,\n", encoding="utf-8")
    (tmp_path / "v2.csv").write_text(header + "440100001001,柳岸社區,社區,440100001000,2021/1/24,柳岸居委會\n",
                                     encoding="utf-8")
    (tmp_path / "d.csv").write_text("日期,單位,新增確診,密接\n2021-01-20,柳岸居委会,0,0\n", encoding="utf-8")
    ingest(tmp_path / "w.db", [tmp_path / "v1.csv", tmp_path / "d.csv"])
    materialise(tmp_path / "w.db")
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT unit_code, matched_by FROM daily_reports_current").fetchone() == (
        "440100001001", "short_name")
    conn.close()       # ingest writes through ADBC's own SQLite: never hold a connection across it in-process
    ingest(tmp_path / "w.db", [tmp_path / "v2.csv"])
    materialise(tmp_path / "w.db")
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT count(*) FROM units").fetchone()[0] == 2
    assert conn.execute("SELECT closed_on, aliases FROM units_current").fetchone() == ("2021-01-24", '["柳岸居委會"]')
    # the alias of the version in force resolves (simplified, as written on the report)
    assert conn.execute("SELECT unit_code, matched_by FROM daily_reports_current").fetchone() == (
        "440100001001", "alias")


def test_registry_rows_that_cannot_be_read(tmp_path):
    (tmp_path / "u.csv").write_text(
        "單位編碼,單位名稱,層級,上級編碼\n"
        "4.40100E+11,柳岸社區,社區,440100001000\n"      # Excel turned the code into a float
        "440100001002,,社區,440100001000\n"
        "440100001003,東門社區,小組,440100001000\n",
        encoding="utf-8")
    reports = ingest(tmp_path / "w.db", [tmp_path / "u.csv"])
    assert reports[0].rows_loaded == 0 and reports[0].rows_rejected == 3
    reasons = [r for _, _, r in reports[0].rejections]
    assert reasons[0].startswith("單位編碼 '4.40100E+11' 是科學記數法") and "scientific notation" in reasons[0]
    assert reasons[1] == "沒有單位名稱 / no unit name"
    assert reasons[2].startswith("無法識別的層級 '小組'：") and " / unknown level: expected " in reasons[2]
