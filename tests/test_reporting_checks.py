"""The reporting checks on the demo district: every injected defect is found with the right
check, unit and date, and nothing else is (no false positives)."""
from __future__ import annotations

import json
import sqlite3

import pytest

from conftest import findings_of
from fangyi.checks import BY_ID, CHECKS

REPORTING = tuple(c.id for c in CHECKS if c.suite == "reporting")     # roster and cold chain: their own tests
UNIT_DAY_CHECKS = ["missing_report", "late_report", "zero_report_contradiction", "blank_count"]


@pytest.mark.parametrize("check_id", UNIT_DAY_CHECKS)
def test_unit_day_defects_found_exactly(checked_db, demo_data, check_id):
    _, manifest = demo_data
    expected = {(d["unit_code"], d["date"]) for d in manifest["defects"][check_id]}
    assert expected, check_id
    found = [(f["unit_code"], f["date"]) for f in findings_of(checked_db, check_id)]
    assert len(found) == len(set(found))
    assert set(found) == expected


COLUMN_ZH = {"new_confirmed": "新增確診", "new_suspected": "新增疑似", "new_asymptomatic": "新增無症狀",
             "close_contacts": "密切接觸者", "returnees_registered": "返鄉人員登記", "home_isolation": "居家隔離",
             "central_isolation": "集中隔離", "fever_cases": "發熱人員", "tests_done": "核酸檢測人數"}


def test_contradiction_and_blank_name_the_columns(checked_db, demo_data):
    """Each column named in Chinese before the ' / ' and as its field name after it."""
    _, manifest = demo_data
    tag = {"zero_report_contradiction": "（零報告矛盾） / ", "blank_count": " 留空（空白不等於零） / "}
    for check_id in ("zero_report_contradiction", "blank_count"):
        by_key = {(f["unit_code"], f["date"]): f["message"] for f in findings_of(checked_db, check_id)}
        assert manifest["defects"][check_id], check_id
        for d in manifest["defects"][check_id]:
            assert d["columns"], d
            zh, en = by_key[(d["unit_code"], d["date"])].split(tag[check_id])
            for column in d["columns"]:
                assert COLUMN_ZH[column] in zh and column not in zh and column in en


def test_unknown_units_found_exactly(checked_db, demo_data):
    _, manifest = demo_data
    expected = {(u["raw_name"], u["date"]) for u in manifest["defects"]["unknown_unit"]}
    assert expected
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
    flagged = {(c, d) for c, d in conn.execute(
        f"SELECT unit_code, date FROM findings WHERE unit_code IS NOT NULL AND check_id IN {REPORTING}")}
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
    severities = dict(conn.execute(f"SELECT DISTINCT check_id, severity FROM findings "
                                   f"WHERE check_id IN ({','.join('?' * len(REPORTING))})", REPORTING))
    assert severities == {"missing_report": "error", "zero_report_contradiction": "error", "unknown_unit": "error",
                          "late_report": "warning", "blank_count": "warning", "silent_streak": "warning"}
    run_id, counts, errors = conn.execute("SELECT run_id, counts, errors FROM check_runs ORDER BY run_id DESC").fetchone()
    assert conn.execute("SELECT count(DISTINCT run_id) FROM findings").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == sum(json.loads(counts).values())
    assert errors == conn.execute("SELECT count(*) FROM findings WHERE severity = 'error'").fetchone()[0]


def _no_report(conn, unit_code: str, day: str) -> bool:
    """The unit-day is expected and no version of any report, resolved to the unit, names it."""
    expected = conn.execute("SELECT count(*) FROM expected_reports WHERE unit_code = ? AND report_date = ?",
                            (unit_code, day)).fetchone()[0]
    sent = conn.execute("SELECT count(*) FROM daily_reports_resolved WHERE unit_code = ? AND report_date = ?",
                        (unit_code, day)).fetchone()[0]
    return expected == 1 and sent == 0


def test_evidence_points_at_the_source_row_or_a_true_gap(checked_db):
    """A finding's file_id/sheet/row is the report in force for the finding's unit and date, and
    holds what the finding says; a finding without a source row is a unit-day with no report."""
    conn = sqlite3.connect(f"file:{checked_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    seen: dict[str, int] = {}
    for f in conn.execute(f"SELECT * FROM findings WHERE check_id IN ({','.join('?' * len(REPORTING))}) "
                          "ORDER BY finding_id", REPORTING).fetchall():
        check_id, unit, day = f["check_id"], f["unit_code"], f["date"]
        assert f["evidence"], check_id
        ev = json.loads(f["evidence"])
        where = (check_id, unit, day, f["subject_key"], ev)
        if {"file_id", "sheet", "row"} <= set(ev):
            rows = conn.execute(
                "SELECT d.*, r.unit_code, c.report_id IS NOT NULL AS in_force FROM daily_reports d "
                "JOIN daily_reports_resolved r USING (report_id) "
                "LEFT JOIN daily_reports_current c USING (report_id) "
                "WHERE d.file_id = ? AND d.sheet = ? AND d.row_number = ?",
                (ev["file_id"], ev["sheet"], ev["row"])).fetchall()
            assert len(rows) == 1, where
            src = rows[0]
            assert (src["unit_code"], src["report_date"]) == (unit, day), where
            assert src["in_force"], where
            if unit is None:
                assert src["unit_raw"] == f["subject_key"], where
            if check_id == "late_report":
                assert src["submitted_at"] == ev["submitted_at"] > ev["deadline"], where
            elif check_id == "zero_report_contradiction":
                assert src["zero_report"] == 1, where
                counts = dict(part.split("=") for part in ev["counts"].split(", "))
                assert counts and all(src[c] == int(n) > 0 for c, n in counts.items()), where
            elif check_id == "blank_count":
                columns = ev["columns"].split(", ")
                assert src["zero_report"] != 1 and all(src[c] is None for c in columns), where
            elif check_id == "unknown_unit":
                assert src["unit_code_raw"] == ev["unit_code_raw"], where
            else:
                pytest.fail(f"no test of the evidence of {check_id}")
        elif check_id == "missing_report":
            assert _no_report(conn, unit, day), where
            (town,) = conn.execute("SELECT parent_code FROM units_current WHERE unit_code = ?", (unit,)).fetchone()
            # whom to call: the leader on the unit's roster that day and the roster's phone (none without a roster)
            on_duty = conn.execute("SELECT leaders, phone FROM roster_unit_days WHERE unit_code = ? AND date = ?",
                                   (unit, day)).fetchone()
            assert ev == {"town_code": town, "duty_leader": on_duty[0] if on_duty else None,
                          "duty_phone": on_duty[1] if on_duty else None}, where
        elif check_id == "silent_streak":
            first, last = ev["first_day"], ev["last_day"]
            assert (day, f["subject_key"]) == (first, f"{first}..{last}"), where
            days = [d for (d,) in conn.execute(
                "SELECT report_date FROM expected_reports WHERE unit_code = ? AND report_date BETWEEN ? AND ? "
                "ORDER BY report_date", (unit, first, last))]
            assert len(days) == ev["days"] and days[0] == first and days[-1] == last, where
            assert all(_no_report(conn, unit, d) for d in days), where
        else:
            pytest.fail(f"{where}: the evidence names no source row and {check_id} is no calendar gap")
        seen[check_id] = seen.get(check_id, 0) + 1
    # the demo has findings of every check, but ambiguous_unit: it has no ambiguous name
    # (tests/test_units_in_context.py covers that check's evidence)
    assert set(seen) == set(REPORTING) - {"ambiguous_unit"}, seen
    assert set(REPORTING) < set(BY_ID)
