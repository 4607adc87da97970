"""The reporting checks on the demo district: every injected defect is found with the right
check, unit and date, and nothing else is (no false positives)."""
from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import findings_of

UNIT_DAY_CHECKS = ["missing_report", "late_report", "zero_report_contradiction", "blank_count"]


@pytest.mark.parametrize("check_id", UNIT_DAY_CHECKS)
def test_unit_day_defects_found_exactly(checked_db, demo_data, check_id):
    _, manifest = demo_data
    expected = {(d["unit_code"], d["date"]) for d in manifest["defects"][check_id]}
    assert expected, check_id
    found = [(f["unit_code"], f["date"]) for f in findings_of(checked_db, check_id)]
    assert len(found) == len(set(found))
    assert set(found) == expected


def test_contradiction_and_blank_name_the_columns(checked_db, demo_data):
    _, manifest = demo_data
    for check_id in ("zero_report_contradiction", "blank_count"):
        by_key = {(f["unit_code"], f["date"]): f["message"] for f in findings_of(checked_db, check_id)}
        for d in manifest["defects"][check_id]:
            for column in d["columns"]:
                assert column in by_key[(d["unit_code"], d["date"])]


def test_unknown_units_found_exactly(checked_db, demo_data):
    _, manifest = demo_data
    expected = {(u["raw_name"], u["date"]) for u in manifest["defects"]["unknown_unit"]}
    found = [(f["subject_key"], f["date"]) for f in findings_of(checked_db, "unknown_unit")]
    assert sorted(found) == sorted(expected)
    assert all(f["unit_code"] is None for f in findings_of(checked_db, "unknown_unit"))


def test_silent_streak_one_finding_per_streak(checked_db, demo_data):
    _, manifest = demo_data
    expected = [(s["unit_code"], s["start"], f"{s['start']}..{s['end']}") for s in manifest["defects"]["silent_streak"]]
    found = [(f["unit_code"], f["date"], f["subject_key"]) for f in findings_of(checked_db, "silent_streak")]
    assert found == expected


def test_resubmitted_aliased_closed_and_opened_units_are_clean(checked_db, demo_data):
    _, manifest = demo_data
    conn = sqlite3.connect(checked_db)
    flagged = {(c, d) for c, d in conn.execute("SELECT unit_code, date FROM findings WHERE unit_code IS NOT NULL")}
    flagged_units = {c for c, _ in flagged}
    for r in manifest["resubmissions"]:
        assert (r["unit_code"], r["date"]) not in flagged
    alias_days = set()
    for a in manifest["aliases"]:
        (day,) = conn.execute(
            "SELECT d.report_date FROM daily_reports d JOIN source_files s USING (file_id) "
            "WHERE s.path LIKE ? AND d.sheet = ? AND d.row_number = ?",
            ("%" + a["file"], a["sheet"], a["row"])).fetchone()
        alias_days.add((a["unit_code"], day))
    assert len(alias_days) > 20
    defect_days = {(d["unit_code"], d["date"]) for k in UNIT_DAY_CHECKS for d in manifest["defects"][k]}
    assert not (alias_days - defect_days) & flagged
    assert manifest["closed_unit"]["unit_code"] not in flagged_units
    assert manifest["opened_unit"]["unit_code"] not in flagged_units
    # the closed unit is not expected after closing, the new one not before opening
    closed, opened = manifest["closed_unit"], manifest["opened_unit"]
    assert conn.execute("SELECT count(*) FROM expected_reports WHERE unit_code = ? AND report_date > ?",
                        (closed["unit_code"], closed["closed_on"])).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM expected_reports WHERE unit_code = ? AND report_date < ?",
                        (opened["unit_code"], opened["opened_on"])).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM expected_reports WHERE unit_code = ? AND report_date = ?",
                        (opened["unit_code"], opened["opened_on"])).fetchone()[0] == 1


def test_severities_and_runs(checked_db):
    conn = sqlite3.connect(checked_db)
    severities = dict(conn.execute("SELECT DISTINCT check_id, severity FROM findings"))
    assert severities == {"missing_report": "error", "zero_report_contradiction": "error", "unknown_unit": "error",
                          "late_report": "warning", "blank_count": "warning", "silent_streak": "warning"}
    run_id, counts, errors = conn.execute("SELECT run_id, counts, errors FROM check_runs ORDER BY run_id DESC").fetchone()
    assert conn.execute("SELECT count(DISTINCT run_id) FROM findings").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == sum(json.loads(counts).values())
    assert errors == conn.execute("SELECT count(*) FROM findings WHERE severity = 'error'").fetchone()[0]


def test_every_finding_has_evidence_or_is_a_calendar_gap(checked_db):
    conn = sqlite3.connect(checked_db)
    for check_id, evidence in conn.execute("SELECT check_id, evidence FROM findings"):
        assert evidence, check_id
