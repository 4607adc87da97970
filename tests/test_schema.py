"""The schema: versioned with PRAGMA user_version, created or migrated once, never rewritten
by opening; readers open it read-only."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import workbench

from fangyi import db


def _versions(path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("PRAGMA schema_version").fetchone()[0],
                conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_opening_ten_times_changes_nothing(demo_db):
    before = _versions(demo_db)
    assert before[1] == db.SCHEMA_VERSION
    for _ in range(10):
        db.connect(demo_db).close()
        db.connect(demo_db, readonly=True).close()
    assert _versions(demo_db) == before


def test_readonly_writes_nothing(demo_db):
    conn = db.connect(demo_db, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("DELETE FROM workbench_settings")
    conn.close()


def test_a_first_release_database_is_migrated_once(tmp_path):
    """A database made before the schema had a version keeps its rows and gains what is new."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text(encoding="utf-8"))
    conn.execute("INSERT INTO source_files VALUES (1, 'a.csv', 'abc', 'daily', '[\"\"]', 2, 1, 1, 0, '2021-01-01')")
    conn.execute("INSERT INTO daily_reports (report_date, unit_raw, file_id, sheet, row_number) "
                 "VALUES ('2021-01-20', '柳岸社區', 1, '', 2)")
    conn.commit()
    conn.close()
    assert _versions(path)[1] == 0
    conn = db.connect(path)
    assert conn.execute("SELECT path, status, error FROM source_files").fetchall() == [("a.csv", "loaded", None)]
    assert conn.execute("SELECT unit_raw, parent_raw, name_id FROM daily_reports").fetchall() == [("柳岸社區", None, 1)]
    assert conn.execute("SELECT name_id, source_table, unit_raw FROM unit_names").fetchall() == [
        (1, "daily_reports", "柳岸社區")]
    assert "unit_keys" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    migrated = _versions(path)
    assert migrated[1] == db.SCHEMA_VERSION
    db.connect(path).close()
    assert _versions(path) == migrated


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}").close()
    with pytest.raises(db.DatabaseError, match="newer"):
        db.connect(path)


def test_calendar_iso_weeks_across_year_ends(tmp_path):
    import datetime as dt

    conn = workbench(tmp_path / "w.db")
    conn.executemany("INSERT INTO workbench_settings (key, value) VALUES (?, ?)",
                     [("period_start", "2020-12-20"), ("period_end", "2027-01-10")])
    rows = conn.execute("SELECT day, iso_week FROM calendar").fetchall()
    assert len(rows) == (dt.date(2027, 1, 10) - dt.date(2020, 12, 20)).days + 1
    for day, week in rows:
        year, number, _ = dt.date.fromisoformat(day).isocalendar()
        assert week == f"{year}-W{number:02d}", day


def test_a_version_3_database_gains_the_cold_chain_once(tmp_path):
    """Version 3 had no cold-chain tables: opening it as a writer adds them, keeps every row,
    and sets the current version; a reader refuses it until then."""
    path = tmp_path / "v3.db"
    conn = workbench(path)
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master WHERE name LIKE 'coldchain%' "
                                   "OR name = 'merchants' ORDER BY type = 'view' DESC").fetchall():
        if kind in ("view", "table"):
            conn.execute(f"DROP {kind.upper()} [{name}]")
    conn.execute("INSERT INTO source_files VALUES (1, 'a.csv', 'abc', 'daily', '[\"\"]', 2, 1, 1, 0, '2021-01-01', "
                 "'loaded', NULL, NULL, NULL)")
    conn.execute("INSERT INTO daily_reports (report_date, unit_raw, file_id, sheet, row_number) "
                 "VALUES ('2021-01-20', '柳岸社區', 1, '', 2)")
    conn.execute("PRAGMA user_version = 3")
    conn.close()
    with pytest.raises(db.DatabaseError, match="schema version 3"):
        db.connect(path, readonly=True)
    assert db.SCHEMA_VERSION > 3
    conn = workbench(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"coldchain_batches", "coldchain_sales", "coldchain_balances", "merchants", "coldchain_trace"} <= names
    assert conn.execute("SELECT unit_raw FROM daily_reports").fetchall() == [("柳岸社區",)]
    conn.close()
    migrated = _versions(path)
    assert migrated[1] == db.SCHEMA_VERSION
    db.connect(path).close()
    assert _versions(path) == migrated


def test_step_times_of_old_runs_move_into_check_runs(tmp_path):
    """Schema 10 keeps each step's time once, in check_runs.step_seconds (check_run_steps is a
    view of it): the times of runs written into the old table are moved there, in their order."""
    path = tmp_path / "v9.db"
    db.connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP VIEW check_run_steps")
    conn.execute("CREATE TABLE check_run_steps (run_id INTEGER NOT NULL REFERENCES check_runs(run_id), "
                 "step TEXT NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (run_id, step))")
    run = "INSERT INTO check_runs (run_id, started_at, data_files, data_sha256, settings, step_seconds) VALUES (?, '2021-02-01', 1, 'x', '{}', ?)"
    conn.execute(run, (1, None))
    conn.execute(run, (2, '{"settings": 0.5, "missing_report": 1.25}'))
    conn.executemany("INSERT INTO check_run_steps VALUES (?, ?, ?)",
                     [(1, "settings", 0.1), (1, "resolve_units", 2.0), (1, "great_expectations", 7.5),
                      (2, "settings", 0.5), (2, "missing_report", 1.25)])
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()
    conn = db.connect(path)
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'check_run_steps'").fetchone() == ("view",)
    assert conn.execute("SELECT run_id, step, seconds FROM check_run_steps").fetchall() == [
        (1, "settings", 0.1), (1, "resolve_units", 2.0), (1, "great_expectations", 7.5),
        (2, "settings", 0.5), (2, "missing_report", 1.25)]
    conn.close()


RATES = ("SELECT level, org_code, org_name, period_type, period, expected, actual, on_time, reporting_rate, "
         "on_time_rate FROM reporting_rates ORDER BY level, period_type, period, org_code")


def test_the_tables_of_every_unit_day_and_week_become_views_and_keep_their_rows(checked_db_copy):
    """Schemas 16 and 17: expected_report_status and reporting_rates, tables with a row per
    expected unit-day and per unit-week up to 15, are views; the unit-days missing, late or of
    unknown lateness move to report_exceptions, the towns' and districts' rates to
    area_reporting_rates and each unit-week's exceptions to unit_week_exceptions, so that the
    pages show them before the next check run; every unit-day and every rate reads as it did."""
    conn = sqlite3.connect(checked_db_copy)
    rows = conn.execute("SELECT unit_code, report_date, iso_week, report_id, reported, on_time "
                        "FROM expected_report_status ORDER BY 1, 2").fetchall()
    assert {r[5] for r in rows} == {0, 1} and {r[4] for r in rows} == {0, 1}
    rates = conn.execute(RATES).fetchall()
    assert {r[0] for r in rates} == {"unit", "town", "district"}
    assert any(r[0] == "unit" and r[6] < r[5] for r in rates)         # a unit-week with a missed day
    conn.execute("CREATE TABLE old_rates AS " + RATES)
    conn.execute("DROP VIEW reporting_rates")
    conn.execute("ALTER TABLE old_rates RENAME TO reporting_rates")
    conn.execute("DROP TABLE area_reporting_rates")
    conn.execute("DROP TABLE unit_week_exceptions")
    conn.execute("DROP VIEW expected_report_status")
    conn.execute("DROP TABLE report_exceptions")
    conn.execute("CREATE TABLE expected_report_status (unit_code TEXT NOT NULL, report_date TEXT NOT NULL, "
                 "iso_week TEXT NOT NULL, report_id INTEGER, reported INTEGER NOT NULL, on_time INTEGER NOT NULL, "
                 "PRIMARY KEY (unit_code, iso_week, report_date)) WITHOUT ROWID")
    conn.executemany("INSERT INTO expected_report_status VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.execute("PRAGMA user_version = 15")
    conn.commit()
    conn.close()
    conn = db.connect(checked_db_copy)
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'expected_report_status'").fetchone() == ("view",)
    assert conn.execute("SELECT unit_code, report_date, iso_week, report_id, reported, on_time "
                        "FROM expected_report_status ORDER BY 1, 2").fetchall() == rows
    exceptions = conn.execute("SELECT unit_code, report_date, iso_week, report_id, reported "
                              "FROM report_exceptions ORDER BY 1, 2").fetchall()
    assert exceptions == [r[:5] for r in rows if r[5] == 0]
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'reporting_rates'").fetchone() == ("view",)
    assert conn.execute(RATES).fetchall() == rates
    conn.close()


def test_every_expected_unit_day_is_read_in_key_order_without_a_sort(checked_db):
    """expected_report_status is a view over every unit-day (5 million in a province): a page of
    it in its unique key's order (report_date, unit_code), and one unit's or one day's rows, are
    read from the indexes in that order; SQLite sorts none of them."""
    conn = sqlite3.connect(f"file:{checked_db}?mode=ro", uri=True)
    try:
        for where in ("", "WHERE unit_code = '440100001001'", "WHERE report_date = '2021-01-05'"):
            plan = " / ".join(r[3] for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM expected_report_status {where} "
                "ORDER BY report_date, unit_code LIMIT 101"))
            assert "TEMP B-TREE" not in plan and "AUTOMATIC" not in plan, (where, plan)
        rows = conn.execute("SELECT report_date, unit_code FROM expected_report_status LIMIT 5000").fetchall()
        assert rows == sorted(rows) and len(rows) > 500
    finally:
        conn.close()
