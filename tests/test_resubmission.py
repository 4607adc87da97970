"""A corrected resubmission supersedes the earlier report in the current view; both stay."""
from __future__ import annotations

from conftest import file_id


def test_resubmission_history_and_current(demo_conn, demo_data):
    _, manifest = demo_data
    assert manifest["resubmissions"]
    for resub in manifest["resubmissions"]:
        versions = demo_conn.execute(
            "SELECT * FROM daily_report_versions WHERE unit_code = ? AND report_date = ? ORDER BY version_rank",
            (resub["unit_code"], resub["date"])).fetchall()
        assert len(versions) == len(resub["rows"]) == versions[0]["versions"]
        current_row = resub["rows"][resub["current"]]
        top = versions[0]
        assert top["version_rank"] == 1
        assert top["file_id"] == file_id(demo_conn, current_row["file"])
        assert top["row_number"] == current_row["row"]
        assert top["submitted_at"] == current_row["submitted_at"]
        # the earlier version is kept, with its own (different) values
        older = versions[1]
        assert older["submitted_at"] < top["submitted_at"]
        differs = [c for c in ("returnees_registered", "tests_done", "new_confirmed", "close_contacts",
                               "home_isolation") if older[c] != top[c]]
        assert differs
        current = demo_conn.execute(
            "SELECT report_id FROM daily_reports_current WHERE unit_code = ? AND report_date = ?",
            (resub["unit_code"], resub["date"])).fetchall()
        assert [r[0] for r in current] == [top["report_id"]]


def test_without_submitted_at_the_later_ingest_wins(tmp_path):
    """Same unit and day in two files with no 報送時間: the file ingested later is current."""
    import sqlite3

    from fangyi.checks.run import materialise
    from fangyi.ingest.load import ingest

    header = "日期,單位,新增確診,密接,核酸檢測人數\n"
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_text(header + "2021-01-20,柳岸社區,0,0,10\n", encoding="utf-8")
    second.write_text(header + "2021-01-20,柳岸社區,0,0,12\n", encoding="utf-8")
    db_path = tmp_path / "w.db"
    ingest(db_path, [first])
    ingest(db_path, [second])
    materialise(db_path)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT tests_done, version_rank FROM daily_report_versions ORDER BY version_rank").fetchall()
    assert rows == [(12, 1), (10, 2)]
