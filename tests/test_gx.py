"""Great Expectations runs the same checks: its unexpected rows agree with the findings."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from fangyi.checks import CHECKS
from fangyi.checks.run import run_checks
from fangyi.ingest.daily import COUNT_FIELDS
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
                                                      "values_coldchain_in", "values_coldchain_out", "registry"}
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
