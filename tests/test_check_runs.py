"""`fangyi check`: runs, history by run_id, thresholds and exit codes on the demo and a clean copy."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from fangyi import demo
from fangyi.cli import cli
from fangyi.ingest.load import ingest


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    demo.generate(root / "data", clean=True)
    ingest(root / "workbench.db", [root / "data"])
    return root / "workbench.db"


def test_exit_1_on_demo_and_0_on_clean_copy(demo_db, clean_db, tmp_path):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    docs = tmp_path / "docs"
    result = CliRunner().invoke(cli, ["check", "--db", str(copy), "--fail-on", "error", "--docs", str(docs)])
    assert result.exit_code == 1, result.output
    assert "agrees with the findings" in result.output and (docs / "index.html").exists()
    clean = CliRunner().invoke(cli, ["check", "--db", str(clean_db), "--fail-on", "error", "--no-gx"])
    assert clean.exit_code == 0, clean.output
    assert "0 errors, 0 warnings" in clean.output


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("warning", 1), ("never", 0)])
def test_thresholds(demo_db, tmp_path, fail_on, code):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    result = CliRunner().invoke(cli, ["check", "--db", str(copy), "--no-gx", "--fail-on", fail_on])
    assert result.exit_code == code


def test_warning_threshold_without_errors(clean_db, tmp_path):
    """Only warnings: --fail-on error passes, --fail-on warning fails."""
    db_path = tmp_path / "w.db"
    shutil.copy(clean_db, db_path)
    late = tmp_path / "late.csv"
    late.write_text("日期,單位,新增確診,密接,報送時間\n2021-01-20,柳岸社區,0,0,2021-01-22 10:00\n", encoding="utf-8")
    ingest(db_path, [late])
    assert CliRunner().invoke(cli, ["check", "--db", str(db_path), "--no-gx"]).exit_code == 0
    assert CliRunner().invoke(cli, ["check", "--db", str(db_path), "--no-gx", "--fail-on", "warning"]).exit_code == 1


def test_each_run_replaces_findings_and_keeps_history(demo_db, tmp_path):
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    for _ in range(2):
        CliRunner().invoke(cli, ["check", "--db", str(copy), "--no-gx", "--fail-on", "never"])
    conn = sqlite3.connect(copy)
    runs = [r[0] for r in conn.execute("SELECT run_id FROM check_runs ORDER BY run_id")][-2:]
    assert len(runs) == 2 and runs[1] == runs[0] + 1
    assert [r[0] for r in conn.execute("SELECT DISTINCT run_id FROM findings")] == [runs[-1]]
    per_run = dict(conn.execute("SELECT run_id, count(*) FROM findings_history GROUP BY run_id"))
    assert per_run[runs[0]] == per_run[runs[1]] == conn.execute("SELECT count(*) FROM findings").fetchone()[0]
    data_files, sha = conn.execute("SELECT data_files, data_sha256 FROM check_runs WHERE run_id = ?", (runs[0],)).fetchone()
    assert data_files == conn.execute("SELECT count(*) FROM source_files").fetchone()[0] and len(sha) == 64


def test_missing_database(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no such database" in result.output


def test_check_does_not_import_gx_without_gx(demo_db, tmp_path):
    import subprocess
    import sys

    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    code = ("import sys; from fangyi.cli import cli; "
            "sys.argv=['fangyi','check','--db',sys.argv[1],'--no-gx','--fail-on','never']\n"
            "try: cli()\nexcept SystemExit: pass\n"
            "assert 'great_expectations' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(copy)], check=True, capture_output=True)
