"""Hostile files and busy databases at load time: any failure of one file is that file's FAILED
line and the run goes on; a full disk stops the run cleanly; writers wait for each other;
implausible dates and counts are rejected; the same rows in other bytes are not loaded twice;
a resubmission that changes nothing is not a new version."""
from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import table_counts
from fangyi import db
from fangyi.cli import cli
from fangyi.ingest import load

FANGYI = [sys.executable, "-m", "fangyi.cli"]
HEADER = "日期,單位,新增確診,新增疑似,密切接觸者,核酸檢測人數,是否零報告,報送時間"


def daily_csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding))
    return path


def good_rows(first_day: int = 11, days: int = 10, units=("柳岸社區", "東門社區")) -> list[str]:
    return [f"2021-01-{d:02d},{u},0,0,{d % 3},{100 + d},是,2021-01-{d + 1:02d} 08:30"
            for d in range(first_day, first_day + days) for u in units]


def run(*args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([*FANGYI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def units_db(tmp_path, demo_data) -> Path:
    out, _ = demo_data
    path = tmp_path / "w.db"
    result = CliRunner().invoke(cli, ["ingest", "--db", str(path), str(out / "units")])
    assert result.exit_code == 0, result.output
    return path


# 1. Per-file isolation ------------------------------------------------------------------------

def test_a_bad_file_between_two_good_ones(tmp_path, units_db, demo_data):
    """A real broken workbook (truncated) sorted between two good daily files: both load, the
    bad one is a FAILED line, the summary follows, exit 1, no traceback."""
    out, _ = demo_data
    folder = tmp_path / "in"
    folder.mkdir()
    daily_csv(folder / "a_日報.csv", good_rows(11, 5))
    whole = (out / "units" / "單位名錄.xlsx").read_bytes()
    (folder / "b_日報.xlsx").write_bytes(whole[: len(whole) // 2])
    daily_csv(folder / "c_日報.csv", good_rows(16, 5))
    result = run("ingest", "--db", units_db, folder)
    text = result.stdout + result.stderr
    assert result.returncode == 1 and "Traceback" not in text
    assert f"{folder / 'b_日報.xlsx'}: 讀入失敗 / FAILED:" in result.stderr
    assert "3 files: 20 rows loaded, 0 rejected, 1 files failed" in result.stdout
    conn = sqlite3.connect(units_db)
    assert conn.execute("SELECT count(*) FROM daily_reports").fetchone()[0] == 20
    assert conn.execute("SELECT status FROM source_files WHERE path LIKE '%b_日報.xlsx'").fetchall() == [("failed",)]
    conn.close()


class PanicException(BaseException):
    """What pyo3 raises when native code panics: a BaseException, not an Exception."""


@pytest.mark.parametrize("exc,why", [
    (PanicException("called `Option::unwrap()` on a `None` value"), "讀取程序崩潰，文件已損壞或格式特殊 / the file reader crashed on it"),
    (MemoryError(), "讀取時內存不足（文件是否遠大於其中的數據？） / ran out of memory while reading it"),
    (RecursionError("maximum recursion depth exceeded"), "嵌套太深，無法讀取 / nested too deeply"),
    (ValueError("odd value"), "讀入時發生意外錯誤，此文件沒有任何內容被讀入 / unexpected error while loading it (ValueError: odd value)"),
])
def test_any_exception_is_that_files_failure(tmp_path, units_db, monkeypatch, exc, why):
    folder = tmp_path / "in"
    folder.mkdir()
    first, bad, last = (daily_csv(folder / f"{n}.csv", good_rows(d, 3)) for n, d in (("a", 11), ("b", 14), ("c", 17)))
    real = load.read_sheets

    def read(path):
        if path.name == "b.csv":
            raise exc
        return real(path)
    monkeypatch.setattr(load, "read_sheets", read)
    before = table_counts(units_db)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(folder)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{bad}: 讀入失敗 / FAILED: {bad}: {why}" in result.output
    assert "3 files: 12 rows loaded, 0 rejected, 1 files failed" in result.output
    after = table_counts(units_db)
    assert after["daily_reports"] == before["daily_reports"] + 12
    assert after["source_files"] == before["source_files"] + 3


def test_a_failure_while_writing_rolls_back_that_file_only(tmp_path, units_db, monkeypatch):
    """A panic from inside the load, after rows were written: that file adds only its failed
    row; the files before and after load."""
    folder = tmp_path / "in"
    folder.mkdir()
    for n, d in (("a", 11), ("b", 14), ("c", 17)):
        daily_csv(folder / f"{n}.csv", good_rows(d, 3))
    real = load._FileLoader.write

    def write(self, *args):
        real(self, *args)
        if self.path.name == "b.csv":
            raise PanicException("index out of bounds")
    monkeypatch.setattr(load._FileLoader, "write", write)
    before = table_counts(units_db)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(folder)])
    assert result.exit_code == 1 and "crashed on it (index out of bounds)" in result.output
    after = table_counts(units_db)
    assert after["daily_reports"] == before["daily_reports"] + 12
    assert after["non_data_rows"] == before["non_data_rows"] + 2 and after["unit_names"] == before["unit_names"] + 4


def _three_files(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for n, d in (("a", 11), ("b", 14), ("c", 17)):
        daily_csv(folder / f"{n}.csv", good_rows(d, 3))
    return folder


def _duplicate_sheet_row(self, sheet: str, frame) -> None:
    """A constraint error from the loader's own cursor, parameters bound: what two sheets of one
    name did. The cursor keeps the failed statement's parameters, so a ROLLBACK on it failed
    too and every later file of the run failed ("cannot start a transaction within a
    transaction") without a record."""
    self.cursor.execute("INSERT INTO source_sheets (file_id, sheet, kind, header_row, header_rows, fields) "
                        "VALUES (?, ?, 'daily', 1, 1, '{}')", (self.report.file_id, sheet))


@pytest.mark.parametrize("where", ["constraint", "prepare", "write"])
def test_a_failure_in_the_middle_of_a_file_leaves_the_run_going(tmp_path, units_db, monkeypatch, where):
    """The 2nd of three files fails half-way through its load, whatever fails: a constraint
    error on the loader's cursor (parameters bound), an exception while a chunk is prepared (in
    the reading thread) or while it is written. Files 1 and 3 load; file 2 adds only its
    `failed` row, whose one-line error names the file, the sheet (none for a CSV) and the rows."""
    folder = _three_files(tmp_path)
    bad = folder / "b.csv"
    if where == "constraint":
        real_not_data = load._FileLoader.not_data

        def not_data(self, sheet, rows):
            real_not_data(self, sheet, rows)
            if self.path == bad:
                _duplicate_sheet_row(self, sheet, rows)
        monkeypatch.setattr(load._FileLoader, "not_data", not_data)
        why = "IntegrityError"
    elif where == "prepare":
        real_split = load.split

        def split(batch, *args):
            if ctx_path(args) == str(bad):
                raise ValueError("a bug in a parser")
            return real_split(batch, *args)

        def ctx_path(args):
            return args[2].path
        monkeypatch.setattr(load, "split", split)
        why = "ValueError: a bug in a parser"
    else:
        real_write = load._FileLoader._write

        def write(self, *args):
            real_write(self, *args)
            if self.path == bad:
                raise KeyError("a bug in the writer")
        monkeypatch.setattr(load._FileLoader, "_write", write)
        why = "KeyError: 'a bug in the writer'"
    before = table_counts(units_db)
    reports = load.ingest(units_db, [folder])
    assert [r.status for r in reports] == ["loaded", "failed", "loaded"], [r.error for r in reports]
    error = reports[1].error
    assert "\n" not in error and why in error
    if where == "constraint":      # the head rows were written, before any body row
        assert error.startswith(f"{bad}: 讀入時發生意外錯誤")
    else:
        assert error.startswith(f"{bad}，第 2–7 行 / rows 2–7: 讀入時發生意外錯誤")
    after = table_counts(units_db)
    assert after["daily_reports"] == before["daily_reports"] + 12
    assert after["source_files"] == before["source_files"] + 3
    assert after["non_data_rows"] == before["non_data_rows"] + 2         # the two good files' headers
    conn = sqlite3.connect(units_db)
    try:
        rows = conn.execute("SELECT path, status, error FROM source_files ORDER BY file_id DESC LIMIT 3").fetchall()
    finally:
        conn.close()
    assert [(Path(p).name, s) for p, s, _ in reversed(rows)] == [("a.csv", "loaded"), ("b.csv", "failed"),
                                                                ("c.csv", "loaded")]
    assert rows[1][2] == error


def test_a_failure_on_a_sheet_names_the_sheet(tmp_path, units_db, monkeypatch):
    """The failure of a workbook's 2nd sheet names it; the connection stays usable and the next
    file loads."""
    import hostile_files as hf

    book = hf.write_workbook(tmp_path / "a.xlsx", [("1月11日", hf.unit_day_rows("柳岸社区", 11)),
                                                  ("1月12日", hf.unit_day_rows("华林村", 12, rows=3))])
    after = daily_csv(tmp_path / "b.csv", good_rows(17, 3))
    real_not_data = load._FileLoader.not_data

    def not_data(self, sheet, rows):
        real_not_data(self, sheet, rows)
        if sheet == "1月12日" and "_role" in rows.columns and rows["_role"][0] == "header":
            _duplicate_sheet_row(self, "1月11日", rows)
    monkeypatch.setattr(load._FileLoader, "not_data", not_data)
    reports = load.ingest(units_db, [book, after])
    assert [r.status for r in reports] == ["failed", "loaded"]
    assert reports[0].error.startswith(f"{book}，工作表「1月12日」 / sheet '1月12日': 讀入時發生意外錯誤")
    assert "UNIQUE constraint failed: source_sheets" in reports[0].error


def test_the_connection_is_replaced_when_it_cannot_be_rolled_back(tmp_path, units_db, monkeypatch):
    """If even a fresh cursor cannot end the failed file's transaction, the run goes on with a
    new connection (closing the old one rolls back what it held)."""
    folder = _three_files(tmp_path)
    real_write = load._FileLoader._write
    real_roll_back = load._roll_back
    real_connect = db.bulk_connect
    calls = {"rollbacks": 0, "connections": 0}

    def write(self, *args):
        real_write(self, *args)
        if self.path.name == "b.csv":
            raise RuntimeError("boom")

    def roll_back(conn):
        calls["rollbacks"] += 1
        if calls["rollbacks"] <= 2:     # in ingest_file, then in the run's recovery
            raise RuntimeError("cannot roll back")
        real_roll_back(conn)

    def bulk_connect(path):
        calls["connections"] += 1
        return real_connect(path)
    monkeypatch.setattr(load._FileLoader, "_write", write)
    monkeypatch.setattr(load, "_roll_back", roll_back)
    monkeypatch.setattr(db, "bulk_connect", bulk_connect)
    before = table_counts(units_db)
    reports = load.ingest(units_db, [folder])
    assert [r.status for r in reports] == ["loaded", "failed", "loaded"], [r.error for r in reports]
    assert "RuntimeError: boom" in reports[1].error and "could not be recorded" not in reports[1].error
    assert calls["connections"] == 2
    after = table_counts(units_db)
    assert after["daily_reports"] == before["daily_reports"] + 12
    assert after["source_files"] == before["source_files"] + 3


def test_keyboard_interrupt_is_not_swallowed(tmp_path, units_db, monkeypatch):
    path = daily_csv(tmp_path / "a.csv", good_rows(11, 3))

    def read(path):
        raise KeyboardInterrupt
    monkeypatch.setattr(load, "read_sheets", read)
    with pytest.raises(KeyboardInterrupt):
        load.ingest(units_db, [path])


# 1b. A full disk ----------------------------------------------------------------------------

def _cap_pages(monkeypatch, extra_pages: int):
    """Make the database "full": the bulk connection may grow it by `extra_pages` pages only."""
    real = db.bulk_connect

    def capped(path):
        conn = real(path)
        cur = conn.cursor()
        cur.execute("PRAGMA page_count")
        pages = cur.fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages + extra_pages}")
        cur.close()
        return conn
    monkeypatch.setattr(db, "bulk_connect", capped)


def test_full_disk_stops_the_run_with_one_line_and_a_consistent_database(tmp_path, units_db, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    daily_csv(folder / "a.csv", good_rows(11, 2))
    big = [f"2021-01-{1 + i % 28:02d},社區{i},0,0,{i % 5},{i},否,2021-01-29 08:00" for i in range(20_000)]
    daily_csv(folder / "b.csv", big)
    daily_csv(folder / "c.csv", good_rows(20, 2))
    before = table_counts(units_db)
    _cap_pages(monkeypatch, 40)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(folder)])
    assert result.exit_code == 5                              # cannot write (README, exit status)
    assert "Traceback" not in result.output and "cannot rollback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "database or disk is full while loading" in errors[0] and "b.csv" in errors[0]
    assert "c.csv" not in result.output                       # the run stopped there
    conn = sqlite3.connect(units_db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    files = conn.execute("SELECT path, status FROM source_files WHERE path LIKE '%.csv'").fetchall()
    conn.close()
    assert files == [(str(folder / "a.csv"), "loaded")]
    after = table_counts(units_db)
    assert after["daily_reports"] == before["daily_reports"] + 4
    # once there is room again, the same command finishes the job
    monkeypatch.undo()
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(folder)])
    assert result.exit_code == 0, result.output
    assert table_counts(units_db)["daily_reports"] == before["daily_reports"] + 4 + 20_000 + 4


def test_enospc_while_writing_stops_the_run(tmp_path, units_db, monkeypatch):
    path = daily_csv(tmp_path / "a.csv", good_rows(11, 3))
    before = table_counts(units_db)

    def no_space(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(load.ContentHash, "add", no_space)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(path)])
    assert result.exit_code == 5 and "Traceback" not in result.output
    assert "Error: " in result.output and "database or disk is full while loading" in result.output
    assert table_counts(units_db) == before


def test_full_disk_during_a_check_run(checked_db_copy, monkeypatch):
    before = table_counts(checked_db_copy)
    real = db.connect

    def capped(path, readonly=False):
        conn = real(path, readonly)
        if not readonly:
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn
    monkeypatch.setattr(db, "connect", capped)
    result = CliRunner().invoke(cli, ["check", "--db", str(checked_db_copy), "--no-gx"])
    assert result.exit_code == 5, result.output
    assert "database or disk is full" in result.output and "cannot rollback" not in result.output
    assert not isinstance(result.exception, sqlite3.Error)
    assert table_counts(checked_db_copy) == before


# 2. Waiting writers -------------------------------------------------------------------------

INGEST_TABLES = ("source_files", "daily_reports", "rejected_rows", "non_data_rows", "unit_names", "duty_shifts",
                 "allowance_claims", "source_sheets")


def _content(path: Path) -> dict:
    """What a database holds, without ids and times: comparable between two runs."""
    conn = sqlite3.connect(path)
    try:
        out = {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in INGEST_TABLES}
        out["daily"] = sorted(conn.execute(
            "SELECT report_date, unit_raw, new_confirmed, close_contacts, tests_done, submitted_at, sheet, row_number "
            "FROM daily_reports").fetchall(), key=repr)
        out["files"] = sorted(conn.execute(
            "SELECT path, status, rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files").fetchall())
        return out
    finally:
        conn.close()


def _findings(path: Path) -> list:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT check_id, unit_code, date, subject_key FROM findings").fetchall(), key=repr)
    finally:
        conn.close()


def test_two_ingests_and_a_check_at_once(tmp_path, demo_data):
    """Separate processes on one database: all succeed (each waits for the write lock), and the
    result equals the same ingests run one after the other."""
    out, _ = demo_data
    base = [out / "units", out / "daily" / "南湖街道"]
    first = [out / "daily" / "東華街道", out / "daily" / "雲峰鎮"]
    second = [out / "daily" / "龍興街道", out / "duty"]
    together, apart = tmp_path / "together.db", tmp_path / "apart.db"
    for path in (together, apart):
        assert run("ingest", "--db", path, *base).returncode == 0
    procs = [subprocess.Popen([*FANGYI, "ingest", "--db", str(together), *map(str, files)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for files in (first, second)]
    procs.append(subprocess.Popen([*FANGYI, "check", "--db", str(together), "--no-gx", "--fail-on", "never"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, stdout, stderr in results:
        assert code == 0 and "Traceback" not in stderr and "locked" not in stdout + stderr, (stdout, stderr)
    for files in (first, second):
        assert run("ingest", "--db", apart, *files).returncode == 0
    assert _content(together) == _content(apart)
    for path in (together, apart):
        assert run("check", "--db", path, "--no-gx", "--fail-on", "never").returncode == 0
    assert _findings(together) == _findings(apart)


def test_the_bulk_connection_takes_the_write_lock_up_front(tmp_path, units_db):
    """While another process holds the write lock, the ingest waits for it (it does not fail
    with "database is locked"), then loads."""
    path = daily_csv(tmp_path / "a.csv", good_rows(11, 3))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(units_db)!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(3); c.execute('COMMIT')\n")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    result = run("ingest", "--db", units_db, path)
    holder.wait(timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 loaded" in result.stdout



def test_a_first_load_uses_a_rollback_journal_and_ends_in_wal(tmp_path, demo_data, monkeypatch):
    """A new database is loaded with a rollback journal (each page written once), and left in
    WAL mode with no journal; a database that already holds files is loaded in WAL mode. The
    indexes of a table empty when a file begins are made at the end of its transaction: the
    result is the same database, indexes included."""
    out, _ = demo_data
    modes = []
    first_load = db.first_load

    def spy(cursor):
        switched = first_load(cursor)
        cursor.execute("PRAGMA journal_mode")
        modes.append((switched, cursor.fetchone()[0]))
        return switched

    monkeypatch.setattr(db, "first_load", spy)
    path = tmp_path / "new.db"
    load.ingest(path, [out / "units", out / "daily" / "南湖街道"])
    load.ingest(path, [out / "daily" / "龍興街道"])
    assert modes == [(True, "delete"), (False, "wal")]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
        assert {"daily_reports_date_name", "units_code", "rejected_rows_file", "non_data_rows_file"} <= indexes
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM daily_reports WHERE report_date = '2021-01-20'"))
        assert "daily_reports_date" in plan
    finally:
        conn.close()
    assert not Path(f"{path}-journal").exists()


def test_a_failed_first_load_keeps_the_indexes(tmp_path, demo_data, monkeypatch):
    """The indexes dropped for a file's load come back with the rollback when the file fails."""
    out, _ = demo_data
    path = tmp_path / "new.db"
    real = load._FileLoader.restore_indexes

    def fail(self):
        if "daily_reports" in self.deferred:
            raise RuntimeError("boom")
        real(self)

    monkeypatch.setattr(load._FileLoader, "restore_indexes", fail)
    reports = load.ingest(path, [out / "units", out / "daily" / "南湖街道"])
    assert [r.status for r in reports][-1] == "failed"
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "daily_reports_date_name" in names
        assert conn.execute("SELECT count(*) FROM daily_reports").fetchone()[0] == 0
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()

# 3. Plausible values ------------------------------------------------------------------------

def _rejections(path: Path) -> dict[int, tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return {row: (column, reason) for row, column, reason in
                conn.execute("SELECT row_number, column_name, reason FROM rejected_rows")}
    finally:
        conn.close()


def test_implausible_dates_and_counts_are_rejected_and_do_not_stretch_the_period(tmp_path, units_db):
    rows = good_rows(11, 10)                         # 2021-01-11 .. 2021-01-20, rows 2..21
    rows += [
        "2201-01-20,柳岸社區,0,0,0,120,是,2021-01-21 08:30",       # row 22: a typo year
        "0000-01-01,東門社區,0,0,0,120,是,2021-01-21 08:30",       # row 23
        "9999-12-31,東門社區,0,0,0,120,是,2021-01-21 08:30",       # row 24
        "2021-01-19,柳岸社區,9223372036854775807,0,0,1,否,2021-01-20 08:30",  # row 25: int64 max
        "2021-01-19,東門社區,0,0,100001,1,否,2021-01-20 08:30",     # row 26: above 100,000 people
        "2021-01-19,華林村,0,0,0,10000001,否,2021-01-20 08:30",     # row 27: above 10,000,000 tests
        "2021-01-19,華林村,0,0,0,9999999,否,2021-01-20 08:30",      # row 28: plausible
        "2021-01-19,華林村,0,0,0,120,否,2201-01-20 08:30",          # row 29: sent in 2201
    ]
    path = daily_csv(tmp_path / "日報.csv", rows)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(path)])
    assert result.exit_code == 0, result.output
    rejected = _rejections(units_db)
    assert sorted(rejected) == [22, 23, 24, 25, 26, 27, 29]
    latest = rejected[22][1].split(" is after ")[1].split(",")[0]
    assert rejected[22] == ("日期 (A)", f"日期 (A): 2201-01-20 晚於最晚的合理日期 {latest}（今天 + [plausible] "
                                        f"latest_days_ahead = 1） / 2201-01-20 is after {latest}, the latest plausible "
                                        "date (today + [plausible] latest_days_ahead = 1)")
    assert rejected[23] == ("日期 (A)", "日期 (A): 0000-01-01 早於最早的合理日期 2019-12-01（[plausible] earliest） / "
                                        "0000-01-01 is before 2019-12-01, the earliest plausible date "
                                        "([plausible] earliest)")
    assert "9999-12-31 is after" in rejected[24][1]
    assert rejected[25] == ("新增確診 (C)", "新增確診 (C): 9223372036854775807 超過合理上限 100,000（[plausible.max] "
                                          "new_confirmed） / 9223372036854775807 is above the plausible maximum 100,000 "
                                          "([plausible.max] new_confirmed)")
    assert rejected[26][0] == "密切接觸者 (E)" and "100001 is above the plausible maximum 100,000" in rejected[26][1]
    assert rejected[27][0] == "核酸檢測人數 (F)" and "above the plausible maximum 10,000,000 ([plausible.max] tests_done)" \
        in rejected[27][1]
    assert rejected[29][0] == "報送時間 (H)" and "2201-01-20 is after" in rejected[29][1]
    result = CliRunner().invoke(cli, ["check", "--db", str(units_db), "--no-gx", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert "period 2021-01-11 to 2021-01-20" in result.output


def test_plausible_settings(tmp_path, units_db):
    settings = tmp_path / "fangyi.toml"
    settings.write_text('[period]\nstart = "2021-01-11"\nend = "2021-01-17"\n\n'
                        '[plausible]\nearliest = "2021-01-01"\n\n[plausible.max]\ntests_done = 1000000\n',
                        encoding="utf-8")
    rows = ["2021-01-12,柳岸社區,0,0,0,120,是,", "2021-01-18,柳岸社區,0,0,0,120,是,",
            "2021-01-13,柳岸社區,0,0,0,2000000,否,", "2021-01-13,東門社區,0,0,0,999999,否,"]
    path = daily_csv(tmp_path / "日報.csv", rows)
    result = CliRunner().invoke(cli, ["--settings", str(settings), "ingest", "--db", str(units_db), str(path)])
    assert result.exit_code == 0, result.output
    rejected = _rejections(units_db)
    assert rejected[3][1] == ("日期 (A): 2021-01-18 不在報告期 2021-01-11 至 2021-01-17 內（[period]） / "
                              "2021-01-18 is outside the reporting period 2021-01-11 to 2021-01-17 ([period])")
    assert rejected[4][1] == ("核酸檢測人數 (F): 2000000 超過合理上限 1,000,000（[plausible.max] tests_done） / "
                              "2000000 is above the plausible maximum 1,000,000 ([plausible.max] tests_done)")
    assert sorted(rejected) == [3, 4]
    settings.write_text('[plausible.max]\nnew_cases = 5\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--settings", str(settings), "ingest", "--db", str(units_db), str(path)])
    assert result.exit_code == 2 and "[plausible.max]: unknown setting(s) new_cases" in result.output


def test_a_date_from_the_sheet_name_is_judged_too(tmp_path, units_db):
    path = tmp_path / "日報.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2201年1月20日"
    ws.append(["單位", "新增確診", "密切接觸者", "是否零報告"])
    ws.append(["柳岸社區", 0, 0, "是"])
    wb.save(path)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(path)])
    # every row rejected: the run says so and fails (the row stays recorded)
    assert result.exit_code == 1 and "0 loaded, 1 rejected" in result.output
    assert "NOTHING LOADED" in result.output and "(1 rows)" in result.output
    [(column, reason)] = _rejections(units_db).values()
    assert reason.startswith("report_date（取自標題或工作表名 from the title or sheet name）: 2201-01-20 晚於最晚的合理日期 ")
    assert " / 2201-01-20 is after " in reason


# 4. Same content, other bytes ---------------------------------------------------------------

def test_same_rows_in_other_bytes_are_not_loaded_again(tmp_path, units_db):
    rows = good_rows(11, 7)
    utf8 = daily_csv(tmp_path / "日報.csv", rows)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(utf8)])
    assert result.exit_code == 0
    before = table_counts(units_db)
    gbk = daily_csv(tmp_path / "日報_GB18030.csv", rows, encoding="gb18030")
    lf = tmp_path / "日報_LF.csv"
    lf.write_bytes(utf8.read_bytes().replace(b"\r\n", b"\n"))
    xlsx = tmp_path / "日報.xlsx"
    wb = openpyxl.Workbook()
    for line in [HEADER, *rows]:
        wb.active.append([int(c) if c.isdigit() else c for c in line.split(",")])
    wb.save(xlsx)
    for other in (gbk, lf, xlsx):
        result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(other)])
        assert result.exit_code == 0, result.output
        assert f"{other}: same content as {utf8} (file " in result.output and "nothing added" in result.output
    assert table_counts(units_db) == before
    conn = sqlite3.connect(units_db)
    assert conn.execute("SELECT count(content_sha256) FROM source_files WHERE path = ?", (str(utf8),)).fetchone() == (1,)
    conn.close()
    # one value changed: new content, loaded
    changed = daily_csv(tmp_path / "日報_更正.csv", [rows[0].replace(",是,", ",否,"), *rows[1:]])
    result = CliRunner().invoke(cli, ["ingest", "--db", str(units_db), str(changed)])
    assert result.exit_code == 0 and "14 loaded" in result.output


def test_a_resubmission_that_changes_nothing_is_not_a_new_version(tmp_path, units_db):
    """柳岸社區 on 2021-01-12: sent on time (a), sent again identical and late (b), corrected
    (c), then sent again as at first (d). b repeats a: not a version; d differs from c: one."""
    files = {
        "a": ["2021-01-12,柳岸社區,0,0,1,112,否,2021-01-13 08:30", "2021-01-13,柳岸社區,0,0,1,113,否,2021-01-14 08:30"],
        "b": ["2021-01-12,柳岸社區,0,0,1,112,否,2021-01-13 15:00", "2021-01-14,柳岸社區,0,0,1,114,否,2021-01-15 08:30"],
    }
    for name, rows in files.items():
        assert load.ingest(units_db, [daily_csv(tmp_path / f"{name}.csv", rows)])[0].status == "loaded"
    from fangyi.checks.run import materialise
    materialise(units_db)
    conn = sqlite3.connect(units_db)
    conn.row_factory = sqlite3.Row
    versions = conn.execute("SELECT submitted_at, version_rank, versions, duplicate_of, report_id FROM "
                            "daily_report_versions WHERE report_date = '2021-01-12' ORDER BY submitted_at").fetchall()
    assert [(v["version_rank"], v["versions"]) for v in versions] == [(1, 1), (None, 1)]
    assert versions[1]["duplicate_of"] == versions[0]["report_id"]
    current = conn.execute("SELECT submitted_at, late FROM current_reports c JOIN daily_reports d USING (report_id) "
                           "WHERE c.report_date = '2021-01-12'").fetchone()
    assert tuple(current) == ("2021-01-13T08:30:00", 0)            # the on-time original stays in force
    conn.close()
    more = {"c": ["2021-01-12,柳岸社區,0,0,2,112,否,2021-01-13 16:00"],
            "d": ["2021-01-12,柳岸社區,0,0,1,112,否,2021-01-13 17:00"]}
    for name, rows in more.items():
        assert load.ingest(units_db, [daily_csv(tmp_path / f"{name}.csv", rows)])[0].status == "loaded"
    materialise(units_db)
    conn = sqlite3.connect(units_db)
    ranks = conn.execute("SELECT substr(submitted_at, 12, 5), version_rank, versions FROM daily_report_versions "
                         "WHERE report_date = '2021-01-12' ORDER BY submitted_at").fetchall()
    conn.close()
    assert ranks == [("08:30", 3, 3), ("15:00", None, 3), ("16:00", 2, 3), ("17:00", 1, 3)]


def test_a_demo_file_re_encoded_is_the_same_content(tmp_path, demo_data, demo_db_copy):
    """龍興街道's weekly GB18030 CSV, saved again as UTF-8 with a BOM and CRLF line ends."""
    out, _ = demo_data
    [original] = sorted((out / "daily" / "龍興街道").glob("*第3周.csv"))
    copy = tmp_path / original.name
    copy.write_bytes(original.read_bytes().decode("gb18030").replace("\r\n", "\n").replace("\n", "\r\n")
                     .encode("utf-8-sig"))
    assert copy.read_bytes() != original.read_bytes()
    before = table_counts(demo_db_copy)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(demo_db_copy), str(copy)])
    assert result.exit_code == 0, result.output
    assert f"same content as {original} (file " in result.output
    assert table_counts(demo_db_copy) == before


# 5. Repeated sheet names, huge cells, many sheets --------------------------------------------

@pytest.mark.parametrize("builder", ["duplicate_sheets_xlsx", "duplicate_sheets_ods"])
def test_a_repeated_sheet_name_is_made_unique(tmp_path, units_db, builder):
    """Two sheets named 1月11日 (possible in files other tools write): the second is read as
    '1月11日 (2)', with its own rows (not the first sheet's again), everywhere the same name:
    source_files.sheets, source_sheets, every row's sheet; a warning says so."""
    import hostile_files as hf

    suffix = ".ods" if builder.endswith("ods") else ".xlsx"
    path = getattr(hf, builder)(tmp_path / f"日報{suffix}")
    reports = load.ingest(units_db, [path])
    assert [r.status for r in reports] == ["loaded"], reports[0].error
    names = ["1月11日", "1月12日", "1月11日 (2)"] if suffix == ".xlsx" else ["1月11日", "1月11日 (2)"]
    assert reports[0].sheets == names
    assert reports[0].warnings == ["工作表名「1月11日」重複，此表讀作「1月11日 (2)」 / another sheet of the file is "
                                   "named '1月11日' too: this one is read as '1月11日 (2)'"]
    conn = sqlite3.connect(units_db)
    try:
        file_id, sheets = conn.execute("SELECT file_id, sheets FROM source_files ORDER BY file_id DESC").fetchone()
        assert json.loads(sheets) == names
        assert [r[0] for r in conn.execute("SELECT sheet FROM source_sheets WHERE file_id = ? ORDER BY rowid",
                                           (file_id,))] == names
        rows = conn.execute("SELECT sheet, unit_raw FROM daily_reports WHERE file_id = ? ORDER BY rowid",
                            (file_id,)).fetchall()
        assert ("1月11日", "柳岸社区") in rows and ("1月11日 (2)", "东门社区") in rows and len(rows) == len(names)
        assert {r[0] for r in conn.execute("SELECT sheet FROM non_data_rows WHERE file_id = ?", (file_id,))} == set(names)
        assert {r[0] for r in conn.execute("SELECT sheet FROM unit_names WHERE file_id = ?", (file_id,))} == set(names)
    finally:
        conn.close()


def test_unique_sheet_names():
    from fangyi.ingest.read import unique_names

    assert unique_names(["1月11日", "1月11日", "1月12日", "1月11日"]) == ["1月11日", "1月11日 (2)", "1月12日", "1月11日 (3)"]
    # a name the file already has is not taken
    assert unique_names(["A", "A", "A (2)"]) == ["A", "A (3)", "A (2)"]
    assert unique_names(["A", "B"]) == ["A", "B"]


def _cap_settings(tmp_path: Path, cap: int) -> Path:
    path = tmp_path / "fangyi.toml"
    path.write_text(f"[limits]\nmax_cell_chars = {cap}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cell_over_the_cap_rejects_its_row_and_is_kept_short(tmp_path, units_db, suffix):
    """A cell of more characters than [limits] max_cell_chars rejects its row, naming the
    column, and is stored as its first 200 characters and its length; the cell at the cap
    loads. (A cap of 1,000 here stands for the default 32,767.)"""
    import hostile_files as hf

    if suffix == ".csv":
        path = hf.huge_cell_csv(tmp_path / "日報.csv", chars=1001, rows=5, at=3)
        with open(path, "a", encoding="utf-8") as f:
            f.write("2021-01-09,东门社区,0,0," + "y" * 1000 + "\n")            # row 7: at the cap
        row, sheet, loaded = 3, "", 5
    else:
        path = hf.huge_cell_xlsx(tmp_path / "日報.xlsx", chars=1001)
        row, sheet, loaded = 2, "日报", 1
    before = table_counts(units_db)
    result = CliRunner().invoke(cli, ["--settings", str(_cap_settings(tmp_path, 1000)), "ingest", "--db",
                                      str(units_db), str(path)])
    assert result.exit_code == 0, result.output
    assert f"{loaded} loaded, 1 rejected" in result.output
    conn = sqlite3.connect(units_db)
    try:
        [(got_sheet, number, column, raw, reason)] = conn.execute(
            "SELECT sheet, row_number, column_name, raw, reason FROM rejected_rows").fetchall()
    finally:
        conn.close()
    assert (got_sheet, number, column) == (sheet, row, "备注 (E)")
    assert reason == ("备注 (E): 單元格有 1,001 個字符，超過上限 1,000（[limits] max_cell_chars） / "
                      "the cell holds 1,001 characters, more than the 1,000 allowed ([limits] max_cell_chars)")
    cells = json.loads(raw)
    assert cells["备注"] == "x" * 200 + "…(1,001 characters)" and cells["单位"] in ("华林村", "柳岸社区")
    assert table_counts(units_db)["daily_reports"] == before["daily_reports"] + loaded


def test_a_50_mb_cell_is_neither_parsed_nor_stored(tmp_path, units_db):
    """A 50 MB cell (the default cap, 32,767 characters): the row is rejected, the database
    grows by next to nothing, and the other rows load."""
    import hostile_files as hf

    path = hf.huge_cell_csv(tmp_path / "日報.csv", chars=50 << 20, rows=20, at=12)
    size = units_db.stat().st_size
    reports = load.ingest(units_db, [path])
    assert (reports[0].status, reports[0].rows_loaded, reports[0].rows_rejected) == ("loaded", 19, 1)
    [(sheet, row, reason)] = reports[0].rejections
    assert row == 12 and reason == (
        "备注 (E): 單元格有 52,428,800 個字符，超過上限 32,767（[limits] max_cell_chars） / "
        "the cell holds 52,428,800 characters, more than the 32,767 allowed ([limits] max_cell_chars)")
    conn = sqlite3.connect(units_db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert conn.execute("SELECT max(length(raw)) FROM rejected_rows").fetchone()[0] < 400
    finally:
        conn.close()
    assert units_db.stat().st_size - size < 2 << 20


def test_a_huge_cell_in_a_title_row_is_kept_short(tmp_path, units_db):
    """Above the header a cell over the cap stays a title row (not data), kept short, and the
    sheet's context (source_sheets) holds only its start."""
    path = tmp_path / "日報.csv"
    path.write_text("說明" + "長" * 1500 + "\n" + HEADER + "\n" + "\n".join(good_rows(11, 2)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--settings", str(_cap_settings(tmp_path, 1000)), "ingest", "--db",
                                      str(units_db), str(path)])
    assert result.exit_code == 0 and "4 loaded, 0 rejected" in result.output, result.output
    conn = sqlite3.connect(units_db)
    try:
        file_id = conn.execute("SELECT max(file_id) FROM source_files").fetchone()[0]
        [(raw,)] = conn.execute("SELECT raw FROM non_data_rows WHERE role = 'title' AND file_id = ?", (file_id,)).fetchall()
        [(context,)] = conn.execute("SELECT context FROM source_sheets WHERE file_id = ?", (file_id,)).fetchall()
    finally:
        conn.close()
    assert json.loads(raw) == ["說明" + "長" * 198 + "…(1,502 characters)"]
    assert context.startswith("說明" + "長" * 198 + "…(1,502 characters)")


def test_max_cell_chars_setting(tmp_path):
    from fangyi import settings
    from fangyi.ingest.kinds import MAX_CELL_CHARS, IngestOptions

    assert settings.Settings().max_cell_chars == MAX_CELL_CHARS == IngestOptions().max_cell_chars == 32_767
    assert settings.load(_cap_settings(tmp_path, 5000)).ingest_options().max_cell_chars == 5000
    for bad, message in (("0", "max_cell_chars: 0 is out of range; expected a whole number of at least 1"),
                         ("-3", "is out of range"), ('"many"', "is not a whole number"),
                         ("1.5", "is not a whole number"), ("true", "true is not a whole number"), ("[1]", "not a whole")):
        (tmp_path / "fangyi.toml").write_text(f"[limits]\nmax_cell_chars = {bad}\n", encoding="utf-8")
        with pytest.raises(settings.SettingsError, match=message):
            settings.load(tmp_path / "fangyi.toml")
    (tmp_path / "fangyi.toml").write_text("[limits]\nmax_cells = 5\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=r"\[limits\]: unknown setting\(s\) max_cells"):
        settings.load(tmp_path / "fangyi.toml")
    (tmp_path / "fangyi.toml").write_text("limits = 5\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=r"limits is 5; expected a table \[limits\]"):
        settings.load(tmp_path / "fangyi.toml")


def test_a_workbook_of_1000_sheets_loads_every_sheet(tmp_path, units_db):
    """1,000 small sheets: every one loaded, each announced to the progress bar as sheet i of
    1,000 (the bar shows it on a terminal only)."""
    import hostile_files as hf

    path = hf.many_sheets_xlsx(tmp_path / "日報.xlsx", sheets=1000)
    announced = []
    conn = db.bulk_connect(units_db)
    try:
        report = load.ingest_file(conn, path, load.SynonymTable(), on_sheet=lambda *a: announced.append(a))
    finally:
        conn.close()
    names = [f"第{i}張" for i in range(1, 1001)]
    assert report.status == "loaded" and report.sheets == names
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_not_data) == (2000, 1000, 0, 1000)
    assert announced == [(i, 1000, name) for i, name in enumerate(names)]
    conn = sqlite3.connect(units_db)
    try:
        assert conn.execute("SELECT count(DISTINCT sheet) FROM daily_reports WHERE file_id = ?",
                            (report.file_id,)).fetchone()[0] == 1000
        assert conn.execute("SELECT count(*) FROM source_sheets WHERE file_id = ?", (report.file_id,)).fetchone()[0] == 1000
    finally:
        conn.close()


def test_the_bar_shows_which_sheet_of_how_many():
    class Bar:
        def __init__(self):
            self.descriptions, self.updates = [], []

        def set_description_str(self, text, refresh=True):
            self.descriptions.append(text)

        def update(self, n):
            self.updates.append(n)

    bar, path = Bar(), Path(__file__)
    file_bar = load._FileBar(bar, path)
    for i in range(4):
        file_bar.sheet(i, 4, f"第{i + 1}張")
    file_bar.done()
    assert bar.descriptions == [f"ingest: {path.name}"] + [f"ingest: {path.name}: sheet {i}/4 第{i}張" for i in range(1, 5)]
    assert sum(bar.updates) == path.stat().st_size
    one = Bar()
    single = load._FileBar(one, path)
    single.sheet(0, 1, "")
    single.done()
    assert one.descriptions == [f"ingest: {path.name}"] and one.updates == [path.stat().st_size]
