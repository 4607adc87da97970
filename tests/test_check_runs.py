"""`fangyi check`: runs, history by run_id, thresholds and exit codes on the demo and a clean copy."""
from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from fangyi.checks import BY_ID
from fangyi.cli import cli
from fangyi.ingest.load import ingest
from fangyi.checks.run import run_checks
from fangyi.settings import Settings


def test_exit_1_on_demo_and_0_on_clean_copy(demo_db_copy, clean_demo_db_copy, tmp_path):
    docs = tmp_path / "docs"
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_db_copy), "--fail-on", "error", "--docs", str(docs)])
    assert result.exit_code == 1, result.output
    assert "agrees with the findings" in result.output and (docs / "index.html").exists()
    clean = CliRunner().invoke(cli, ["check", "--db", str(clean_demo_db_copy), "--fail-on", "error", "--no-gx"])
    assert clean.exit_code == 0, clean.output
    assert "0 errors, 0 warnings" in clean.output


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("warning", 1), ("never", 0)])
def test_thresholds(demo_db_copy, demo_data, fail_on, code):
    result = CliRunner().invoke(cli, ["check", "--db", str(demo_db_copy), "--no-gx", "--fail-on", fail_on])
    assert result.exit_code == code, result.output
    # the exit code is the threshold's, not a crash's: the run finished and found the defects
    defects = demo_data[1]["defects"]            # one finding per injected defect, keyed by check id
    defects = {**defects, **demo_data[1]["coldchain"]["defects"]}
    # the gatherings' cases, but the banned banquet: no ban period is set by default
    defects.update({k: v for k, v in demo_data[1]["gatherings"]["defects"].items() if k != "gathering_banned"})
    errors = sum(len(v) for k, v in defects.items() if k in BY_ID and BY_ID[k].severity == "error")
    warnings = sum(len(v) for k, v in defects.items() if k in BY_ID and BY_ID[k].severity == "warning")
    assert f"{errors} errors, {warnings} warnings, 0 info" in result.output


def test_warning_threshold_without_errors(clean_demo_db_copy, tmp_path):
    """Only warnings: --fail-on error passes, --fail-on warning fails."""
    db_path = clean_demo_db_copy
    late = tmp_path / "late.csv"
    late.write_text("日期,單位,新增確診,密接,報送時間\n2021-01-20,柳岸社區,0,0,2021-01-22 10:00\n", encoding="utf-8")
    ingest(db_path, [late])
    for threshold, code in (([], 0), (["--fail-on", "warning"], 1)):      # the default is --fail-on error
        result = CliRunner().invoke(cli, ["check", "--db", str(db_path), "--no-gx", *threshold])
        assert result.exit_code == code, result.output
        assert "0 errors, 1 warnings, 0 info" in result.output


def test_each_run_replaces_findings_and_keeps_history(demo_db_copy):
    copy = demo_db_copy
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
    assert result.exit_code == 3 and "no such database" in result.output


def test_check_does_not_import_gx_without_gx(demo_db_copy):
    import subprocess
    import sys

    copy = demo_db_copy
    runs_before = sqlite3.connect(copy).execute("SELECT count(*) FROM check_runs").fetchone()[0]
    code = ("import sys; from fangyi.cli import cli; "
            "sys.argv=['fangyi','check','--db',sys.argv[1],'--no-gx','--fail-on','never']\n"
            "try: cli()\nexcept SystemExit: pass\n"
            "assert 'great_expectations' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(copy)], check=True, capture_output=True)
    # the check did run (a command that stopped early would not import GX either)
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT count(*) FROM check_runs").fetchone()[0] == runs_before + 1
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] > 0


def test_each_step_of_a_run_is_timed(demo_db_copy):
    from fangyi.checks import CHECKS
    from fangyi.checks.run import materialise_steps

    result = run_checks(demo_db_copy, Settings())
    conn = sqlite3.connect(demo_db_copy)
    steps = dict(conn.execute("SELECT step, seconds FROM check_run_steps WHERE run_id = ?", (result.run_id,)))
    in_run_row = json.loads(conn.execute("SELECT step_seconds FROM check_runs WHERE run_id = ?",
                                         (result.run_id,)).fetchone()[0])
    conn.close()
    expected = {"settings", "resolve_units", *(name for name, _ in materialise_steps()), *(c.id for c in CHECKS)}
    assert set(steps) == expected and all(s >= 0 for s in steps.values())
    # the run's own row carries the same times, in the order the steps ran
    assert in_run_row == steps and list(in_run_row)[:2] == ["settings", "resolve_units"]


def test_progress_only_on_a_terminal(demo_db_copy, capfd):
    """In CI (no terminal) a check run prints no progress bar."""
    run_checks(demo_db_copy, Settings())
    out, err = capfd.readouterr()
    assert "steps [" not in out + err


def test_a_run_stopped_before_its_end_is_absent(demo_db_copy, monkeypatch):
    """A run is finished only once all of it is written, GX's result included: a run stopped in
    Great Expectations (a killed process, an error) is not the latest run for any reader, and the
    next run removes it with its findings."""
    from fangyi.checks import gx

    conn = sqlite3.connect(demo_db_copy)
    before = conn.execute("SELECT max(run_id), count(*) FROM check_runs").fetchone()
    shown = conn.execute("SELECT count(*) FROM findings").fetchone()
    conn.close()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt("stopped during Great Expectations")
    monkeypatch.setattr(gx, "run_suites", stopped)
    with pytest.raises(KeyboardInterrupt):
        run_checks(demo_db_copy, Settings(), gx=True)
    conn = sqlite3.connect(demo_db_copy)
    (stopped_run, finished), = conn.execute("SELECT run_id, finished_at FROM check_runs ORDER BY run_id DESC LIMIT 1")
    assert stopped_run == before[0] + 1 and finished is None
    assert conn.execute("SELECT max(run_id) FROM findings").fetchone() == (before[0],)
    assert conn.execute("SELECT count(*) FROM findings").fetchone() == shown
    conn.close()
    monkeypatch.undo()
    result = run_checks(demo_db_copy, Settings())
    conn = sqlite3.connect(demo_db_copy)
    assert conn.execute("SELECT count(*) FROM check_runs WHERE finished_at IS NULL").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM check_runs").fetchone() == (before[1] + 1,)
    # the stopped run's findings are gone: those of its number are the new run's, once
    assert conn.execute("SELECT count(*) FROM findings_history WHERE run_id = ?", (result.run_id,)).fetchone() == (
        sum(result.counts.values()),)
    assert conn.execute("SELECT max(run_id) FROM findings").fetchone() == (result.run_id,)
    conn.close()
