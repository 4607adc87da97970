"""Great Expectations runs the same checks: its unexpected rows agree with the findings."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from fangyi.checks import CHECKS
from fangyi.checks.run import run_checks
from fangyi.ingest.kinds.daily import COUNT_FIELDS
from fangyi.settings import Settings


@pytest.fixture(scope="module")
def gx_run(demo_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("gx")
    shutil.copy(demo_db, root / "w.db")
    result = run_checks(root / "w.db", Settings(), gx=True, docs_dir=root / "docs")
    return root, result


def test_gx_agrees_with_findings(gx_run):
    root, result = gx_run
    conn = sqlite3.connect(root / "w.db")
    in_db = dict(conn.execute("SELECT check_id, count(*) FROM findings GROUP BY check_id"))
    assert result.gx_counts == {c.id: in_db.get(c.id, 0) for c in CHECKS}
    assert {c.suite for c in CHECKS} >= {"reporting", "roster", "coldchain"}
    assert sum(result.gx_counts.values()) > 0
    gx_success, gx_counts = conn.execute(
        "SELECT gx_success, gx_counts FROM check_runs WHERE run_id = ?", (result.run_id,)).fetchone()
    assert gx_success == 0 and json.loads(gx_counts) == result.gx_counts


def test_value_rules_hold_on_the_demo(gx_run):
    _, result = gx_run
    assert result.gx_success is False                       # the reporting suite finds the defects
    rules = result.value_rules_ok
    assert {rule.split(":")[0] for rule in rules} == {"values_daily", "values_units", "values_roster", "values_claims",
                                                      "values_coldchain_in", "values_coldchain_out", "values_gatherings",
                                                      "values_gathering_attendees", "registry",
                                                      "values_returnees", "values_returnee_tests",
                                                      "values_disinfection", "values_disinfection_places"}
    assert all(any(r.startswith("values_daily:") and r.endswith(f"({c})") for r in rules) for c in COUNT_FIELDS)
    assert any(r.startswith("values_units:") and r.endswith("(opened_on)") for r in rules)
    assert any(r.startswith("registry:") and r.endswith("(unit_code)") for r in rules)
    assert [rule for rule, ok in rules.items() if not ok] == []


def test_data_docs_written(gx_run):
    root, _ = gx_run
    index = root / "docs" / "index.html"
    assert index.exists()
    pages = "".join(p.read_text(encoding="utf-8") for p in (root / "docs").rglob("*.html"))
    assert "missing_report" in pages and "reporting" in pages


def test_data_docs_show_each_value_rule(gx_run):
    root, _ = gx_run
    page = next((root / "docs" / "validations" / "values_daily").rglob("*.html")).read_text(encoding="utf-8")
    assert all(c in page for c in COUNT_FIELDS) and "submitted_at" in page


def test_a_broken_value_fails_its_rule(clean_demo_db_copy, tmp_path):
    """Each value rule is its own expectation although one SQL pass judges them all: breaking
    three values fails exactly those three rules, and GX as a whole."""
    clean = run_checks(clean_demo_db_copy, Settings(), gx=True, docs_dir=tmp_path / "docs")
    assert clean.gx_success is True and all(clean.value_rules_ok.values())
    conn = sqlite3.connect(clean_demo_db_copy)
    with conn:
        first, second = [r for (r,) in conn.execute("SELECT report_id FROM daily_reports ORDER BY report_id LIMIT 2")]
        conn.execute("UPDATE daily_reports SET new_confirmed = -1, zero_report = 7 WHERE report_id = ?", (first,))
        conn.execute("UPDATE daily_reports SET submitted_at = '2021/01/05 08:00' WHERE report_id = ?", (second,))
    conn.close()
    broken = run_checks(clean_demo_db_copy, Settings(), gx=True, docs_dir=tmp_path / "docs")
    assert broken.gx_success is False
    assert sorted(rule for rule, ok in broken.value_rules_ok.items() if not ok) == [
        "values_daily: flag (zero_report)", "values_daily: iso_datetime (submitted_at)",
        "values_daily: non_negative (new_confirmed)"]
    assert broken.value_rules_ok.keys() == clean.value_rules_ok.keys()


def test_gx_counts_what_the_run_wrote(checked_db_copy, tmp_path):
    """GX reads the run's findings: one finding fewer in findings_history is one fewer in GX's
    count, which then disagrees with the run's (`fangyi check` fails on that)."""
    from fangyi.checks.gx import run_suites

    conn = sqlite3.connect(checked_db_copy)
    run_id = conn.execute("SELECT max(run_id) FROM check_runs").fetchone()[0]
    counts = json.loads(conn.execute("SELECT counts FROM check_runs WHERE run_id = ?", (run_id,)).fetchone()[0])
    with conn:
        conn.execute("DELETE FROM findings_history WHERE finding_id = (SELECT min(finding_id) FROM findings_history "
                      "WHERE run_id = ? AND check_id = 'missing_report')", (run_id,))
    conn.close()
    outcome = run_suites(checked_db_copy, run_id, tmp_path / "docs")
    assert outcome.check_counts["missing_report"] == counts["missing_report"] - 1
    assert {k: v for k, v in outcome.check_counts.items() if k != "missing_report"} == \
        {k: v for k, v in counts.items() if k != "missing_report"}
    assert outcome.success is False and outcome.docs_index.exists()


def test_one_pass_per_value_table(checked_db_copy, tmp_path):
    """All the value rules of a table are judged in one SQL statement, run once (not once per
    rule): what keeps GX within seconds on a province's millions of reports."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from fangyi.checks.gx import run_suites
    from fangyi.ingest import kinds

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        conn = sqlite3.connect(checked_db_copy)
        run_id = conn.execute("SELECT max(run_id) FROM check_runs").fetchone()[0]
        conn.close()
        outcome = run_suites(checked_db_copy, run_id, tmp_path / "docs")
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    passes = [s for s in statements if s.lstrip().startswith("WITH pass AS")]
    tables = sorted(k.table for k in kinds.all_kinds().values()
                    if any(r.startswith(f"values_{k.name}:") for r in outcome.value_rules))
    assert sorted(next(t for t in tables if f"FROM {t} " in s) for s in passes) == tables
    assert not any("REGEXP" in s for s in statements)
