"""No silent outcomes: help loads nothing heavy, a check with nothing to check fails the gate,
the demo never replaces a database it did not make, failed files are visible on the site."""
from __future__ import annotations

import shutil
import subprocess
import sys

from click.testing import CliRunner

from conftest import inspector_cookies, site
from fangyi.cli import cli

HEAVY = ("polars", "opencc", "datasette", "great_expectations", "openpyxl", "pyarrow", "sqlite_utils")


def test_help_and_a_failing_command_import_nothing_heavy(tmp_path):
    code = ("import sys\nfrom fangyi.cli import cli\n"
            "for argv in (['--help'], ['check', '--help'], ['check', '--db', sys.argv[1]], ['ingest', '--help']):\n"
            "    try:\n        cli(argv)\n    except SystemExit:\n        pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "none.db")], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_check_with_no_reports_in_the_period_fails(tmp_path):
    units = tmp_path / "u.csv"
    units.write_text("單位編碼,單位名稱,層級,上級編碼\n440104001001,盤福社區,社區,440104001000\n", encoding="utf-8")
    db_path = str(tmp_path / "w.db")
    assert CliRunner().invoke(cli, ["ingest", "--db", db_path, str(units)]).exit_code == 0
    result = CliRunner().invoke(cli, ["check", "--db", db_path, "--no-gx"])
    assert result.exit_code == 1 and "no daily reports in the reporting period" in result.output


def test_demo_refuses_to_replace_a_database_it_did_not_make(tmp_path, demo_data):
    out, _ = demo_data
    db_path = tmp_path / "mine.db"
    other = tmp_path / "elsewhere"
    shutil.copytree(out / "units", other)
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(other)]).exit_code == 0
    size = db_path.stat().st_size
    result = CliRunner().invoke(cli, ["demo", "--db", str(db_path), "--out", str(tmp_path / "demo"), "--no-serve"])
    assert result.exit_code == 1 and "not demo data" in result.output
    assert db_path.stat().st_size == size and not (tmp_path / "demo").exists()
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(cli, ["demo", "--db", str(tmp_path / "junk.db"), "--out", str(tmp_path / "demo"),
                                      "--no-serve"])
    assert result.exit_code == 1 and "not a fangyi database" in result.output


def test_a_failed_file_is_visible_on_the_site(tmp_path):
    bad = tmp_path / "名單.csv"
    bad.write_text("姓名,性別\n張三,男\n", encoding="utf-8")
    db_path = tmp_path / "workbench.db"
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(bad)]).exit_code == 1
    ds = site(db_path, open_copy=False)
    import asyncio

    async def get():
        return await ds.client.get("/workbench/source_files.json?_shape=array&status=failed",
                                   cookies=inspector_cookies(ds))
    rows = asyncio.run(get()).json()
    assert len(rows) == 1 and rows[0]["path"] == str(bad) and "no sheet has a recognisable header" in rows[0]["error"]


def test_the_ingest_gives_polars_the_cores_its_own_threads_leave(monkeypatch):
    import os

    from fangyi import cli as cli_mod
    monkeypatch.delitem(sys.modules, "polars", raising=False)    # as in a fresh `fangyi ingest`
    for cores, threads in ((2, "1"), (1, "1"), (8, "6")):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        environ: dict[str, str] = {}
        cli_mod.polars_threads_for_ingest(environ)
        assert environ == {"POLARS_MAX_THREADS": threads}
    environ = {"POLARS_MAX_THREADS": "4"}                        # the user's own setting is kept
    cli_mod.polars_threads_for_ingest(environ)
    assert environ == {"POLARS_MAX_THREADS": "4"}
    monkeypatch.setitem(sys.modules, "polars", object())         # too late once polars is loaded
    environ = {}
    cli_mod.polars_threads_for_ingest(environ)
    assert environ == {}
