"""No traceback from any command (issue 18): every subcommand given a bad database, a bad
settings file or a place it cannot write ends in one line naming the file and what to do, with
the exit status the README documents; readers work where nothing can be written.

In process: click's CliRunner with catch_exceptions=False, so any exception a command lets out
fails the test. A sample runs as real subprocesses of the `fangyi` console script."""
from __future__ import annotations

import random
import shutil
import tempfile
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import read_only
from conftest import free_port
from fangyi import db
from fangyi.cli import (EXIT_BUG, EXIT_BUSY, EXIT_DATABASE, EXIT_FINDINGS, EXIT_NEWER, EXIT_USAGE, EXIT_WRITE,
                        cli)

FANGYI = read_only.FANGYI
WEEK, TRACE_CODE = "2021-W03", "QL2101120001"        # in the demo's period; the demo's example batch


def test_the_exit_statuses_are_distinct_and_documented():
    codes = [EXIT_FINDINGS, EXIT_USAGE, EXIT_DATABASE, EXIT_NEWER, EXIT_WRITE, EXIT_BUSY, EXIT_BUG]
    assert len(set(codes)) == len(codes) and (EXIT_FINDINGS, EXIT_USAGE) == (1, 2)
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Command line"):readme.index("## Checks")]
    for code in codes:
        assert f"| {code} |" in section, f"exit status {code} is not in the README's command-line section"


# Bad databases --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_dbs(tmp_path_factory, checked_db) -> dict[str, Path]:
    """One of each: random bytes, a copy cut in half, one from a newer schema, a folder, a path
    nothing can be created at, another program's SQLite database."""
    folder = tmp_path_factory.mktemp("bad_dbs")
    rng = random.Random(18)
    paths = {name: folder / f"{name}.db" for name in ("random", "truncated", "newer", "folder", "foreign")}
    paths["random"].write_bytes(bytes(rng.getrandbits(8) for _ in range(64 * 1024)))
    whole = checked_db.read_bytes()
    paths["truncated"].write_bytes(whole[: len(whole) // 2])
    shutil.copy(checked_db, paths["newer"])
    conn = sqlite3.connect(paths["newer"])
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    paths["folder"].mkdir()
    conn = sqlite3.connect(paths["foreign"])
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.close()
    paths["unopenable"] = Path("/proc/fangyi/x.db")       # no folder can be made there
    return paths


# exit status per database and command; demo refuses (1) to replace a file it did not make
DB_CASES = {
    "random": (EXIT_DATABASE, "is not a SQLite database"),
    "truncated": (EXIT_DATABASE, "is truncated"),
    "newer": (EXIT_NEWER, "made by a newer fangyi"),
    "folder": (EXIT_DATABASE, "is a folder"),
    "foreign": (EXIT_DATABASE, "not a fangyi database"),
    "unopenable": (EXIT_DATABASE, ""),
}
DEMO_REFUSES = {"random": "not a fangyi database", "truncated": "not a fangyi database",
                "newer": "not demo data", "foreign": "not a fangyi database"}
COMMANDS = ("ingest", "check", "serve", "bulletin", "trace", "report", "demo")


def command_line(command: str, db_path: Path, tmp_path: Path, units_csv: Path) -> list[str]:
    return {
        "ingest": ["ingest", "--db", str(db_path), str(units_csv)],
        "check": ["check", "--db", str(db_path), "--no-gx"],
        "serve": ["serve", "--db", str(db_path), "--port", str(free_port())],
        "bulletin": ["bulletin", "--db", str(db_path), "--week", WEEK],
        "trace": ["trace", TRACE_CODE, "--db", str(db_path)],
        "report": ["report", "--db", str(db_path), "--out", str(tmp_path / "report")],
        "demo": ["demo", "--db", str(db_path), "--out", str(tmp_path / "demo"), "--no-serve"],
    }[command]


@pytest.fixture
def units_csv(tmp_path) -> Path:
    path = tmp_path / "單位.csv"
    path.write_text("單位編碼,單位名稱,層級,上級編碼\n440104001001,盤福社區,社區,440104001000\n", encoding="utf-8")
    return path


@pytest.fixture
def never_serve_nor_run_notebooks(monkeypatch):
    """A bad input must stop a command before it serves or runs a notebook."""
    import fangyi.report
    import fangyi.site.serve

    def refuse(*args, **kwargs):
        raise AssertionError("the command went on to serve or to run a notebook")
    monkeypatch.setattr(fangyi.site.serve, "serve", refuse)
    monkeypatch.setattr(fangyi.report, "execute", refuse)


def _listing(folder: Path) -> list[str] | None:
    """The files of a folder but the -wal and -shm a read-only SQLite connection leaves (empty)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm"))) \
        if folder.is_dir() else None


def _read(path: Path) -> sqlite3.Connection:
    """A shared database opened without writing anything."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def one_line_error(result, code: int, *words: str) -> str:
    """The command ended with exit status `code` and one line `Error: ...` naming `words`, and
    nothing else on stderr; no traceback anywhere."""
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert result.exit_code == code, (result.exit_code, text)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize("case", DB_CASES)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_on_every_bad_database(command, case, bad_dbs, tmp_path, units_csv,
                                             never_serve_nor_run_notebooks):
    db_path = bad_dbs[case]
    before = _listing(db_path.parent)
    result = CliRunner().invoke(cli, command_line(command, db_path, tmp_path, units_csv), catch_exceptions=False)
    code, why = DB_CASES[case]
    if command == "demo" and case in DEMO_REFUSES:
        code, why = EXIT_FINDINGS, DEMO_REFUSES[case]
    one_line_error(result, code, str(db_path), why)
    assert _listing(db_path.parent) == before                            # nothing written beside them
    assert not (tmp_path / "report").exists() and not (tmp_path / "demo").exists()


def test_bulletin_on_a_newer_database_says_to_upgrade_not_to_migrate(bad_dbs):
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(bad_dbs["newer"]), "--week", WEEK],
                                catch_exceptions=False)
    line = one_line_error(result, EXIT_NEWER, "upgrade fangyi")
    assert "fangyi check" not in line and "migrate" not in line


def test_a_database_of_an_older_schema_is_for_a_writer_first(checked_db_copy):
    conn = sqlite3.connect(checked_db_copy)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION - 1}")
    conn.close()
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", WEEK],
                                catch_exceptions=False)
    one_line_error(result, EXIT_DATABASE, "run `fangyi check` on it once to migrate it")


# Bad settings ---------------------------------------------------------------------------------

BAD_SETTINGS = {
    "days_after_text": ('[deadline]\ndays_after = "abc"\n', "[deadline] days_after", "whole number"),
    "days_after_negative": ("[deadline]\ndays_after = -400\n", "[deadline] days_after", "0 to 365"),
    "rate_infinite": ("[allowance]\nrate_per_shift = 1e400\n", "[allowance] rate_per_shift", "0 to 100,000"),
    "not_a_date": ('[period]\nstart = "2021-02-30"\n', "[period] start", "a date such as 2021-01-20"),
    "list_for_a_number": ("[silent_streak]\nmin_days = [3]\n", "[silent_streak] min_days", "whole number"),
    "number_for_a_table": ("coldchain = 3\n", "coldchain", "a table [coldchain]"),
    "not_a_time": ('[deadline]\ntime = "25:00"\n', "[deadline] time", "HH:MM"),
    "words_not_text": ("[headers.daily]\nunit = [1, 2]\n", "[headers.daily] unit", "a list of names"),
    "not_toml": ("[deadline\ndays_after = 1\n", "not valid TOML", "line 1"),
    "not_utf8": ('[aliases]\n"440199001001" = ["柳岸居委"]\n'.encode("gbk"), "not UTF-8", "save it as UTF-8"),
}
READS_SETTINGS = ("ingest", "check", "serve", "demo")


@pytest.fixture(scope="module")
def settings_db(checked_db, tmp_path_factory) -> Path:
    """A good database for the commands given bad settings (which must stop before using it)."""
    path = tmp_path_factory.mktemp("settings_db") / "workbench.db"
    shutil.copy(checked_db, path)
    return path


@pytest.mark.parametrize("case", BAD_SETTINGS)
@pytest.mark.parametrize("command", READS_SETTINGS)
def test_every_command_that_reads_the_settings_on_bad_settings(command, case, settings_db, tmp_path, units_csv,
                                                               never_serve_nor_run_notebooks):
    text, *words = BAD_SETTINGS[case]
    path = tmp_path / "settings.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    size = settings_db.stat().st_size
    db_path = settings_db if command in ("check", "serve") else tmp_path / "new.db"
    argv = ["--settings", str(path), *command_line(command, db_path, tmp_path, units_csv)]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    one_line_error(result, EXIT_USAGE, str(path), *words)
    assert settings_db.stat().st_size == size and not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("command", (*COMMANDS, "template"))
def test_every_command_refuses_a_settings_file_that_is_not_there(command, settings_db, tmp_path, units_csv,
                                                                 never_serve_nor_run_notebooks, monkeypatch):
    argv = (["template", "daily", str(tmp_path / "form.xlsx")] if command == "template"
            else command_line(command, settings_db, tmp_path, units_csv))
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(cli, ["--settings", str(missing), *argv], catch_exceptions=False)
    one_line_error(result, EXIT_USAGE, str(missing), "settings file not found")
    result = CliRunner().invoke(cli, ["--settings", str(tmp_path), *argv], catch_exceptions=False)
    one_line_error(result, EXIT_USAGE, str(tmp_path), "is a folder")
    monkeypatch.setenv("FANGYI_SETTINGS", str(missing))
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    one_line_error(result, EXIT_USAGE, str(missing), "$FANGYI_SETTINGS")
    assert not (tmp_path / "form.xlsx").exists()


# The report's parameters ----------------------------------------------------------------------

@pytest.mark.parametrize("options,code,why", [
    (["--week", "2021-W99"], EXIT_USAGE, "not a week"),
    (["--week", "2021-W30"], EXIT_FINDINGS, "outside the reporting period"),
    (["--trace-code", "NO-SUCH-BATCH"], EXIT_FINDINGS, "no receipt or sale"),
    (["--unit-code", "440199999999"], EXIT_FINDINGS, "no unit of that code or name"),
    (["--unit-code", " "], EXIT_USAGE, "empty"),
])
def test_report_refuses_its_parameters_before_any_notebook(options, code, why, checked_db, tmp_path,
                                                           never_serve_nor_run_notebooks):
    result = CliRunner().invoke(cli, ["report", "--db", str(checked_db), "--out", str(tmp_path / "r"), *options],
                                catch_exceptions=False)
    one_line_error(result, code, why)
    assert not (tmp_path / "r").exists()


def test_report_reads_a_week_and_a_unit_as_people_write_them(checked_db):
    from fangyi.report import check_parameters

    conn = sqlite3.connect(checked_db)
    code, name = conn.execute("SELECT unit_code, name FROM units_current WHERE reports_daily = 1 "
                              "AND name IN (SELECT name FROM units_current GROUP BY name HAVING count(*) = 1) "
                              "LIMIT 1").fetchone()
    conn.close()
    params = check_parameters(checked_db, {"week": "2021年第3周", "trace_code": None, "unit_code": name})
    assert params == {"week": "2021-W03", "trace_code": None, "unit_code": code}


# Outputs that cannot be written ---------------------------------------------------------------

@pytest.mark.parametrize("command", ("bulletin", "trace", "template", "report", "check"))
def test_an_output_that_cannot_be_written_is_refused_before_any_work(command, checked_db, tmp_path,
                                                                     never_serve_nor_run_notebooks):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    missing = tmp_path / "no" / "such" / "folder" / "out.md"
    argv = {
        "bulletin": ["bulletin", "--db", str(checked_db), "--week", WEEK, "--out", str(missing)],
        "trace": ["trace", TRACE_CODE, "--db", str(checked_db), "--xlsx", str(missing)],
        "template": ["template", "daily", str(missing)],
        "report": ["report", "--db", str(checked_db), "--out", str(a_file / "report")],
        "check": ["check", "--db", str(checked_db), "--docs", str(a_file / "docs")],
    }[command]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    one_line_error(result, EXIT_WRITE)
    assert result.stdout == ""


# Read-only places -----------------------------------------------------------------------------

@pytest.fixture
def read_only_place(tmp_path):
    folder = read_only.place(tmp_path)
    yield folder
    read_only.release(folder, tmp_path)


def _ok(done, *words):
    text = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in text, text
    for word in words:
        assert word in done.stdout, (word, done.stdout)


def _one_line(done, code, *words):
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_readers_work_where_nothing_can_be_written(checked_db, read_only_place, tmp_path, units_csv):
    """A checked database left in WAL mode, copied to a read-only folder (0555, the file 0444,
    and really read-only: see tests/read_only.py): bulletin, trace, the notebooks' connection,
    db.connect(readonly=True) and report.check_parameters read it; the writers say in a line
    that they cannot write."""
    path = read_only_place / "workbench.db"
    shutil.copy(checked_db, path)
    assert _read(checked_db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    read_only.seal(read_only_place)
    before = sorted(p.name for p in read_only_place.iterdir())

    done = read_only.run(read_only_place, ["fangyi", "bulletin", "--db", str(path), "--week", WEEK], tmp_path)
    _ok(done, f"Weekly bulletin {WEEK}", "## 街鎮排名")
    done = read_only.run(read_only_place, ["fangyi", "trace", TRACE_CODE, "--db", str(path)], tmp_path)
    _ok(done, f"追溯碼 {TRACE_CODE}", "Totals:")
    code = ("from fangyi import db, notebook, report\n"
            "conn = notebook.connect()\n"
            "print(conn.execute('SELECT count(*) FROM findings').fetchone()[0])\n"
            "print(db.connect(notebook.database_path(), readonly=True).execute("
            "'SELECT count(*) FROM check_runs').fetchone()[0])\n"
            "print(report.check_parameters(notebook.database_path(), {'week': '2021年第3周'})['week'])\n")
    done = read_only.run(read_only_place, [sys.executable, "-c", code], tmp_path, env={"FANGYI_DB": str(path)})
    findings, runs = _read(checked_db).execute(
        "SELECT (SELECT count(*) FROM findings), (SELECT count(*) FROM check_runs)").fetchone()
    _ok(done, f"{findings}\n{runs}\n{WEEK}\n")

    for argv in (["fangyi", "ingest", "--db", str(path), str(units_csv)],
                 ["fangyi", "check", "--db", str(path), "--no-gx"],
                 ["fangyi", "ingest", "--db", str(read_only_place / "new.db"), str(units_csv)],
                 ["fangyi", "demo", "--db", str(read_only_place / "demo.db"), "--out", str(tmp_path / "demo"),
                  "--no-serve"]):
        done = read_only.run(read_only_place, argv, tmp_path)
        _one_line(done, EXIT_WRITE, "cannot be written", "read-only")
    done = read_only.run(read_only_place, ["fangyi", "bulletin", "--db", str(path), "--week", WEEK,
                                           "--out", str(read_only_place / "b.md")], tmp_path)
    _one_line(done, EXIT_WRITE, "b.md", "read-only")
    assert sorted(p.name for p in read_only_place.iterdir()) == before       # no -wal, -shm or output left
    assert not (tmp_path / "demo").exists()


def _killed(path: Path, script: str) -> None:
    """Run a writer on `path` and kill -9 it in the middle of `script`."""
    code = ("import os, sqlite3\n"
            f"conn = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            f"{script}\n"
            "os.kill(os.getpid(), 9)\n")
    assert subprocess.run([sys.executable, "-c", code]).returncode == -9


def test_a_wal_with_changes_in_a_read_only_place_is_said_in_a_line(checked_db, read_only_place, tmp_path):
    """Changes in a -wal that no -shm indexes cannot be read without writing one: said, not
    skipped (an immutable read would miss them)."""
    path = read_only_place / "workbench.db"
    shutil.copy(checked_db, path)
    _killed(path, "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
                  "conn.execute(\"INSERT INTO workbench_settings (key, value) VALUES ('unmerged', 'x')\")")
    Path(f"{path}-shm").unlink()
    assert Path(f"{path}-wal").stat().st_size > 32
    read_only.seal(read_only_place)
    for argv in (["fangyi", "bulletin", "--db", str(path), "--week", WEEK],
                 ["fangyi", "trace", TRACE_CODE, "--db", str(path)]):
        done = read_only.run(read_only_place, argv, tmp_path)
        _one_line(done, EXIT_DATABASE, "changes not yet merged", "workbench.db-wal")


def test_after_a_killed_first_load_readers_say_a_writer_must_roll_it_back(checked_db_copy, tmp_path):
    """A first load writes with a rollback journal; killed, it leaves a hot journal that only a
    writer may roll back. Readers say so in a line; the next writer rolls it back."""
    _killed(checked_db_copy, "conn.execute('PRAGMA journal_mode = DELETE')\n"
                             "conn.execute('PRAGMA cache_size = 5')\n"
                             "conn.execute('BEGIN IMMEDIATE')\n"
                             "conn.execute(\"UPDATE daily_reports SET unit_raw = unit_raw || 'x'\")")
    assert Path(f"{checked_db_copy}-journal").stat().st_size > 0
    for argv in (["bulletin", "--db", str(checked_db_copy), "--week", WEEK],
                 ["trace", TRACE_CODE, "--db", str(checked_db_copy)]):
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        one_line_error(result, EXIT_DATABASE, "interrupted write", "checked.db-journal", "fangyi check")
    with pytest.raises(db.NeedsWriter):
        db.connect(checked_db_copy, readonly=True)
    db.connect(checked_db_copy).close()                # a writer rolls the journal back
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", WEEK],
                                catch_exceptions=False)
    assert result.exit_code == 0 and f"Weekly bulletin {WEEK}" in result.output
    conn = db.connect(checked_db_copy, readonly=True)
    assert not conn.execute("SELECT count(*) FROM daily_reports WHERE unit_raw LIKE '%x'").fetchone()[0]
    conn.close()


# The console script ---------------------------------------------------------------------------

def test_a_sample_as_the_console_script(bad_dbs, checked_db, tmp_path, units_csv):
    """As users run it: one line on stderr, nothing on stdout, the exit status, no traceback."""
    settings = tmp_path / "bad.toml"
    settings.write_text('[deadline]\ndays_after = "abc"\n', encoding="utf-8")
    cases = [
        (["bulletin", "--db", str(bad_dbs["random"]), "--week", WEEK], EXIT_DATABASE, "not a SQLite database"),
        (["check", "--db", str(bad_dbs["newer"]), "--no-gx"], EXIT_NEWER, "upgrade fangyi"),
        (["serve", "--db", str(bad_dbs["truncated"]), "--port", str(free_port())], EXIT_DATABASE, "truncated"),
        (["ingest", "--db", str(bad_dbs["folder"]), str(units_csv)], EXIT_DATABASE, "is a folder"),
        (["trace", TRACE_CODE, "--db", str(bad_dbs["unopenable"])], EXIT_DATABASE, "no such database"),
        (["--settings", str(settings), "ingest", "--db", str(tmp_path / "w.db"), str(units_csv)], EXIT_USAGE,
         "[deadline] days_after"),
        (["--settings", str(tmp_path / "missing.toml"), "report", "--db", str(checked_db)], EXIT_USAGE,
         "settings file not found"),
        (["report", "--db", str(checked_db), "--week", "2021-W99", "--out", str(tmp_path / "r")], EXIT_USAGE,
         "not a week"),
    ]
    for argv, code, why in cases:
        done = subprocess.run([FANGYI, *argv], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert done.stdout == "", (argv, done.stdout)
        _one_line(done, code, why)


def test_the_console_script_says_an_unforeseen_error_in_a_line(monkeypatch, capsys):
    import fangyi.cli

    def boom(*args, **kwargs):
        raise RuntimeError("something\nunforeseen")
    monkeypatch.setattr("fangyi.checks.bulletin.weekly_bulletin", boom)
    monkeypatch.setattr(sys, "argv", ["fangyi", "bulletin", "--db", __file__, "--week", WEEK])
    with pytest.raises(SystemExit) as stopped:
        fangyi.cli.main()
    err = capsys.readouterr().err
    assert stopped.value.code == EXIT_BUG and err.count("\n") == 1
    assert err.startswith("Error: unexpected RuntimeError: something unforeseen; this is a bug in fangyi")


def test_serve_where_nothing_can_be_written(checked_db, read_only_place, tmp_path):
    """`fangyi serve` on a checked database in a read-only folder: it reads it as immutable, makes
    the run's snapshot and open copy in a temporary folder of its own, serves both, and on SIGTERM
    removes that folder; the read-only folder is left as it was."""
    import json
    import os
    import signal
    import time
    import urllib.error
    import urllib.request

    from conftest import free_port

    path = read_only_place / "workbench.db"
    shutil.copy(checked_db, path)
    read_only.seal(read_only_place)
    before = sorted(p.name for p in read_only_place.iterdir())
    temp = Path(tempfile.mkdtemp(prefix="fangyi-serve-tmp-", dir="/tmp"))
    temp.chmod(0o777)                          # also for the user nobody (read_only's setpriv)
    port = free_port()
    proc = read_only.start(read_only_place, ["fangyi", "serve", "--db", str(path), "--port", str(port)], tmp_path,
                           env={"TMPDIR": str(temp)})

    def get(url):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{url}", timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, b""
        except OSError:
            return None, b""

    try:
        deadline = time.monotonic() + 60
        while get("/workbench_open.json")[0] != 200:
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "not served within 60 s"
            time.sleep(0.3)
        status, body = get("/workbench_open/findings.json?_shape=objects&check_id=missing_report")
        assert status == 200 and json.loads(body)["rows"]
        assert get("/")[0] == 200
        assert any(temp.iterdir())                 # the run's files: in its temporary folder
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(30)
    output = proc.stdout.read().decode()
    assert code == 128 + signal.SIGTERM and "Traceback" not in output, output
    assert list(temp.iterdir()) == []
    temp.rmdir()
    assert sorted(p.name for p in read_only_place.iterdir()) == before
