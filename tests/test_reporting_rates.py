"""Rates views against hand-computed values: 3 units x 7 days across a month boundary, one unit
opened mid-week, known gaps and late reports."""
from __future__ import annotations

import sqlite3

import pytest

from fangyi.checks.run import run_checks
from fangyi.settings import Settings
from fangyi.ingest.load import ingest

REGISTRY = """單位編碼,單位名稱,層級,上級編碼,是否日報,啟用日期
440100000000,示範區,區縣,,否,
440100001000,一街道,街道,440100000000,否,
440100002000,二街道,街道,440100000000,否,
440100001001,甲社區,社區,440100001000,,
440100001002,乙社區,社區,440100001000,,2021-01-30
440100002001,丙村,村,440100002000,是,
"""
DAYS = ["2021-01-28", "2021-01-29", "2021-01-30", "2021-01-31", "2021-02-01", "2021-02-02", "2021-02-03"]
LATE = {("甲社區", "2021-02-01"), ("丙村", "2021-02-03")}
SENT = {
    "甲社區": DAYS,
    "乙社區": ["2021-01-29", "2021-01-30", "2021-01-31", "2021-02-02", "2021-02-03"],  # 1-29: before opening
    "丙村": DAYS[2:],
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("rates")
    (root / "units.csv").write_text(REGISTRY, encoding="utf-8")
    lines = ["日期,單位,新增確診,密接,報送時間"]
    for unit, days in SENT.items():
        for day in days:
            sent = "2021-" + ("02-02 10:00" if day == "2021-02-01" else "02-04 09:30") if (unit, day) in LATE \
                else f"{day} 20:00"
            lines.append(f"{day},{unit},0,0,{sent}")
    (root / "daily.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = root / "w.db"
    ingest(path, [root / "units.csv", root / "daily.csv"])
    run_checks(path, Settings())
    return path


def rate(conn, level, org, period_type, period):
    return conn.execute(
        "SELECT expected, actual, on_time, reporting_rate, on_time_rate FROM reporting_rates "
        "WHERE level = ? AND org_code = ? AND period_type = ? AND period = ?",
        (level, org, period_type, period)).fetchone()


@pytest.mark.parametrize("level,org,ptype,period,expected", [
    ("unit", "440100001001", "week", "2021-W04", (4, 4, 4)),
    ("unit", "440100001002", "week", "2021-W04", (2, 2, 2)),      # opened on Saturday 1-30
    ("unit", "440100002001", "week", "2021-W04", (4, 2, 2)),
    ("unit", "440100001001", "week", "2021-W05", (3, 3, 2)),      # 2-01 late
    ("unit", "440100001002", "week", "2021-W05", (3, 2, 2)),      # 2-01 missing
    ("unit", "440100002001", "week", "2021-W05", (3, 3, 2)),      # 2-03 late
    ("town", "440100001000", "week", "2021-W04", (6, 6, 6)),
    ("town", "440100001000", "week", "2021-W05", (6, 5, 4)),
    ("town", "440100002000", "week", "2021-W04", (4, 2, 2)),
    ("town", "440100002000", "week", "2021-W05", (3, 3, 2)),
    ("district", "440100000000", "week", "2021-W04", (10, 8, 8)),
    ("district", "440100000000", "week", "2021-W05", (9, 8, 6)),
    ("district", "440100000000", "day", "2021-01-31", (3, 3, 3)),  # month boundary: last day of January
    ("district", "440100000000", "day", "2021-02-01", (3, 2, 1)),
])
def test_rates(db_path, level, org, ptype, period, expected):
    conn = sqlite3.connect(db_path)
    e, a, o, r, t = rate(conn, level, org, ptype, period)
    assert (e, a, o) == expected
    assert r == pytest.approx(100 * a / e) and t == pytest.approx(100 * o / e)


def test_unit_days_are_the_expected_status(db_path):
    """A unit's day is its row in expected_report_status; rates start at the week."""
    conn = sqlite3.connect(db_path)
    status = "SELECT reported, on_time FROM expected_report_status WHERE unit_code = ? AND report_date = ?"
    assert conn.execute(status, ("440100001002", "2021-01-30")).fetchone() == (1, 1)
    assert conn.execute(status, ("440100001002", "2021-02-01")).fetchone() == (0, 0)
    assert conn.execute(status, ("440100001001", "2021-02-01")).fetchone() == (1, 0)       # late
    assert conn.execute("SELECT count(*) FROM reporting_rates WHERE level = 'unit' AND period_type = 'day'"
                        ).fetchone()[0] == 0


def test_not_expected_before_opening(db_path):
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM expected_report_status WHERE unit_code = '440100001002' "
                        "AND report_date = '2021-01-29'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM calendar").fetchone()[0] == 7


def test_weekly_ranking(db_path):
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT iso_week, town_code, rank FROM town_weekly_ranking ORDER BY iso_week, rank").fetchall()
    assert rows == [("2021-W04", "440100001000", 1), ("2021-W04", "440100002000", 2),
                    ("2021-W05", "440100002000", 1), ("2021-W05", "440100001000", 2)]


def test_findings_of_the_small_case(db_path):
    conn = sqlite3.connect(db_path)
    got = conn.execute("SELECT check_id, unit_code, date FROM findings ORDER BY check_id, unit_code, date").fetchall()
    assert got == [
        ("late_report", "440100001001", "2021-02-01"),
        ("late_report", "440100002001", "2021-02-03"),
        ("missing_report", "440100001002", "2021-02-01"),
        ("missing_report", "440100002001", "2021-01-28"),
        ("missing_report", "440100002001", "2021-01-29"),
    ]


def test_silent_streak_threshold_from_settings(db_path, tmp_path):
    import shutil

    copy = tmp_path / "w.db"
    shutil.copy(db_path, copy)
    run_checks(copy, Settings(silent_streak_min_days=2))
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT unit_code, subject_key FROM findings WHERE check_id = 'silent_streak'").fetchall() == [
        ("440100002001", "2021-01-28..2021-01-29")]


def test_date_only_submission_is_late_only_when_surely_late(tmp_path):
    (tmp_path / "units.csv").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "日期,單位,新增確診,密接,報送時間\n"
        "2021-01-28,甲社區,0,0,2021-01-29\n"      # the deadline's own day: unknown, not late
        "2021-01-29,甲社區,0,0,2021-01-31\n"      # two days later: surely late
        "2021-01-30,甲社區,0,0,\n",               # no time at all: unknown
        encoding="utf-8")
    ingest(tmp_path / "w.db", [tmp_path / "units.csv", tmp_path / "d.csv"])
    run_checks(tmp_path / "w.db", Settings())
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT report_date, late FROM report_timeliness ORDER BY report_date").fetchall() == [
        ("2021-01-28", None), ("2021-01-29", 1), ("2021-01-30", None)]
    assert conn.execute("SELECT date FROM findings WHERE check_id = 'late_report'").fetchall() == [("2021-01-29",)]


def test_deadline_from_settings(db_path, tmp_path):
    import datetime as dt
    import shutil

    copy = tmp_path / "w.db"
    shutil.copy(db_path, copy)
    run_checks(copy, Settings(deadline_days_after=2, deadline_time=dt.time(12, 0)))
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id = 'late_report'").fetchone()[0] == 0
    assert conn.execute("SELECT deadline FROM report_timeliness WHERE report_date = '2021-02-01' LIMIT 1").fetchone()[0] \
        == "2021-02-03T12:00:00"
