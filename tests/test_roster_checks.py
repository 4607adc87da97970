"""The roster checks: on the demo district every injected roster and claim defect is found with
the right check, unit, date or person, and nothing else is (the clean demo has no finding at
all); on small hand-made rosters, the rules behind each check."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import findings_of, workbench
from fangyi import db
from fangyi.checks import BY_ID, CHECKS
from fangyi.checks.run import materialise_steps, run_checks
from fangyi.ingest.load import ingest
from fangyi.settings import Settings

ROSTER = {"shift_uncovered": "error", "no_leader": "error", "allowance_overclaim": "error",
          "double_booked": "warning", "report_leader_off_roster": "warning"}


def test_roster_suite_and_severities():
    assert {c.id: c.severity for c in CHECKS if c.suite == "roster"} == ROSTER


def test_roster_sql_is_portable():
    """Every JOIN of the roster checks and their materialisation steps has its ON."""
    texts = {c.id: c.sql for c in CHECKS if c.suite == "roster"}
    texts.update({name: sql for name, sql in materialise_steps() if name.startswith("3")})
    assert len(texts) == 11          # with 350_missed_contacts, which reads the roster of the day
    for name, sql in texts.items():
        sql = re.sub(r"--[^\n]*", "", sql)
        for segment in re.split(r"\bJOIN\b", sql, flags=re.I)[1:]:
            head = re.split(r"\b(WHERE|GROUP|ORDER|UNION|SELECT)\b|\)\s*$", segment, flags=re.I)[0]
            assert re.search(r"\bON\b", head, re.I), (name, segment[:80])


# ---------------------------------------------------------------------------------------------
# The demo district
# ---------------------------------------------------------------------------------------------

def _found(path, check_id: str, *columns: str) -> list[tuple]:
    return [tuple(f[c] for c in columns) for f in findings_of(path, check_id)]


def test_roster_defects_found_exactly(checked_db, demo_data):
    _, manifest = demo_data
    d = manifest["defects"]
    assert all(d[k] for k in ROSTER), {k: d[k] for k in ROSTER}

    found = _found(checked_db, "shift_uncovered", "unit_code", "date", "subject_key")
    assert sorted(found) == sorted((e["unit_code"], e["date"], e["shift"]) for e in d["shift_uncovered"])
    assert {e["shift"] for e in d["shift_uncovered"]} == {"day", "night"}

    found = _found(checked_db, "no_leader", "unit_code", "date")
    assert sorted(found) == sorted((e["unit_code"], e["date"]) for e in d["no_leader"])

    found = _found(checked_db, "report_leader_off_roster", "unit_code", "date", "subject_key")
    assert sorted(found) == sorted((e["unit_code"], e["date"], e["duty_leader"]) for e in d["report_leader_off_roster"])

    found = [(f["subject_key"], f["unit_code"], f["date"], json.loads(f["evidence"])["other"]["unit_code"])
             for f in findings_of(checked_db, "double_booked")]
    assert sorted(found) == sorted((e["person"], e["unit_code"], e["date"], e["other_unit_code"])
                                   for e in d["double_booked"])
    assert all(e["unit_code"][:9] != e["other_unit_code"][:9] for e in d["double_booked"])     # across towns

    found = _found(checked_db, "allowance_overclaim", "unit_code", "date", "subject_key")
    assert sorted(found) == sorted((e["unit_code"], e["month"], e["person"]) for e in d["allowance_overclaim"])


def test_overclaim_message_states_claimed_and_supported(checked_db, demo_data):
    (expected,) = demo_data[1]["defects"]["allowance_overclaim"]
    (finding,) = findings_of(checked_db, "allowance_overclaim")
    c, s = expected["claimed"], expected["supported"]
    assert (f"claims {c['day_shifts']} day and {c['night_shifts']} night shifts, {c['amount']} yuan for 2021-01"
            in finding["message"])
    assert (f"the roster supports {s['day_shifts']} day and {s['night_shifts']} night shifts, {s['amount']} yuan "
            "at 200 a shift" in finding["message"])
    assert (f"的白班 {c['day_shifts']} 個、夜班 {c['night_shifts']} 個、{c['amount']} 元；值班表只支持白班 "
            f"{s['day_shifts']} 個、夜班 {s['night_shifts']} 個，按每班 200 元共 {s['amount']} 元（超額申領） / "
            in finding["message"])
    ev = json.loads(finding["evidence"])
    assert ev["claimed"] == {**c, "amount": float(c["amount"])}
    assert ev["supported"] == {**s, "amount": float(s["amount"])}
    assert ev["difference"] == c["amount"] - s["amount"] > 0


def test_no_roster_finding_on_the_clean_demo(clean_demo_db, clean_demo_data):
    _, manifest = clean_demo_data
    assert not any(manifest["defects"][k] for k in ROSTER)
    conn = sqlite3.connect(clean_demo_db)
    assert conn.execute("SELECT count(*) FROM duty_shifts").fetchone()[0] > 1500
    assert conn.execute("SELECT count(*) FROM allowance_claims").fetchone()[0] > 50
    for check_id in ROSTER:
        assert findings_of(clean_demo_db, check_id) == [], check_id
    # every claim is exactly what the roster supports, every report's leader is the rostered one
    assert conn.execute("SELECT count(*), sum(difference <> 0) FROM allowance_claims_reconciled").fetchone() == (84, 0)
    assert conn.execute("SELECT count(*) > 300, sum(on_roster = 0) FROM report_duty_leaders").fetchone() == (1, 0)


def _source_row(conn, table: str, ev: dict) -> list[sqlite3.Row]:
    return conn.execute(f"SELECT * FROM {table} WHERE file_id = ? AND sheet = ? AND row_number = ?",
                        (ev["file_id"], ev["sheet"], ev["row"])).fetchall()


def _path(conn, file_id: int) -> str:
    return Path(conn.execute("SELECT path FROM source_files WHERE file_id = ?", (file_id,)).fetchone()[0]).as_posix()


def test_roster_evidence_points_at_the_rows(checked_db, demo_data):
    """Each finding's file, sheet and row hold what it says, and are the manifest's rows."""
    _, manifest = demo_data
    d = manifest["defects"]
    conn = sqlite3.connect(f"file:{checked_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    for f in findings_of(checked_db, "shift_uncovered") + findings_of(checked_db, "no_leader"):
        ev = json.loads(f["evidence"])
        shift = f["subject_key"] or "leader"
        rows = _source_row(conn, "duty_shifts_current", ev)
        assert rows and all((r["unit_code"], r["date"]) == (f["unit_code"], f["date"]) for r in rows), dict(f)
        assert not [r for r in rows if r["shift"] == shift and r["person"]], dict(f)
        e = next(e for e in d[f["check_id"]] if (e["unit_code"], e["date"]) == (f["unit_code"], f["date"]))
        if e["row"] is not None:                     # the grid's blank cell
            assert (_path(conn, ev["file_id"]).endswith(e["file"]), ev["sheet"], ev["row"]) == (True, e["sheet"], e["row"])
            assert [r["person"] for r in rows if r["shift"] == shift] == [None]
        else:                                        # the long form has no row for the shift at all
            assert not [r for r in rows if r["shift"] == shift]
    for f in findings_of(checked_db, "double_booked"):
        ev = json.loads(f["evidence"])
        (e,) = d["double_booked"]
        first, second = _source_row(conn, "duty_shifts_current", ev), _source_row(conn, "duty_shifts_current", ev["other"])
        a = next(r for r in first if r["person"] == f["subject_key"])
        b = next(r for r in second if r["person"] == f["subject_key"])
        assert a["starts_at"] < b["ends_at"] and b["starts_at"] < a["ends_at"]
        for side, loc in zip((ev, ev["other"]), e["rows"]):
            assert _path(conn, side["file_id"]).endswith(loc["file"]) and (side["sheet"], side["row"]) == (
                loc["sheet"], loc["row"])
    off_roster = findings_of(checked_db, "report_leader_off_roster")
    assert len(off_roster) == len(d["report_leader_off_roster"]) == 2
    for f in off_roster:
        ev = json.loads(f["evidence"])
        (e,) = [e for e in d["report_leader_off_roster"] if (e["unit_code"], e["date"]) == (f["unit_code"], f["date"])]
        (report,) = _source_row(conn, "daily_reports", ev)
        assert report["duty_leader"] == f["subject_key"] == e["duty_leader"]
        assert _path(conn, ev["file_id"]).endswith(e["file"]) and ev["row"] == e["row"]
        if e["rostered_leader"] is None:        # the no_leader day: the roster has no leader to show
            assert ev["rostered_leaders"] is None and ev["roster"]["file_id"] is None
            assert "值班表上當日沒有帶班領導" in f["message"] and "the roster has no leader that day" in f["message"]
            assert (f["unit_code"], f["date"]) in {(n["unit_code"], n["date"]) for n in d["no_leader"]}
            continue
        roster = [r for r in _source_row(conn, "duty_shifts_current", ev["roster"]) if r["shift"] == "leader"]
        assert [r["person"] for r in roster] == [e["rostered_leader"]] == [ev["rostered_leaders"]]
        assert _path(conn, ev["roster"]["file_id"]).endswith(e["roster"]["file"]) and ev["roster"]["row"] == e["roster"]["row"]
    for f in findings_of(checked_db, "allowance_overclaim"):
        ev = json.loads(f["evidence"])
        (e,) = d["allowance_overclaim"]
        (claim,) = _source_row(conn, "allowance_claims", ev)
        assert (claim["person"], claim["month"], claim["night_shifts"]) == (e["person"], e["month"],
                                                                              e["claimed"]["night_shifts"])
        assert _path(conn, ev["file_id"]).endswith(e["file"]) and (ev["sheet"], ev["row"]) == (e["sheet"], e["row"])


def test_rosters_agree_with_the_daily_reports(checked_db, demo_data):
    """Every daily report of a rostered unit names the rostered leader, but the injected one."""
    _, manifest = demo_data
    conn = sqlite3.connect(checked_db)
    off = conn.execute("SELECT unit_code, report_date, duty_leader FROM report_duty_leaders "
                       "WHERE NOT on_roster ORDER BY report_date, unit_code").fetchall()
    assert off == sorted((e["unit_code"], e["date"], e["duty_leader"])
                         for e in manifest["defects"]["report_leader_off_roster"])
    checked, units = conn.execute("SELECT count(*), count(DISTINCT unit_code) FROM report_duty_leaders").fetchone()
    assert checked > 300 and units == len(manifest["roster"]["units"]) == 14


def test_missing_report_names_whom_to_call(checked_db, demo_data):
    """missing_report's evidence: the leader rostered that day and the roster's phone; the
    message and the count as before."""
    _, manifest = demo_data
    on_call = {(e["unit_code"], e["date"]): (e["leader"], e["phone"]) for e in manifest["roster"]["on_call"]}
    assert len(on_call) >= 2
    findings = findings_of(checked_db, "missing_report")
    assert len(findings) == len(manifest["defects"]["missing_report"])
    for f in findings:
        ev = json.loads(f["evidence"])
        assert (ev["duty_leader"], ev["duty_phone"]) == on_call.get((f["unit_code"], f["date"]), (None, None))
        assert f["message"].endswith(f" {f['date']} 未報送日報（漏報；沒有疫情也須報零報告） / {f['message'].split(' ')[0]} "
                                     f"sent no report for {f['date']} (a zero report is still due)"), f["message"]
    roster_units = set(manifest["roster"]["units"])
    assert {k for k in on_call} == {(m["unit_code"], m["date"]) for m in manifest["defects"]["missing_report"]
                                    if m["unit_code"] in roster_units}


def test_closed_unit_is_not_judged_after_closing(checked_db, demo_data):
    _, manifest = demo_data
    closed = manifest["closed_unit"]
    conn = sqlite3.connect(checked_db)
    last, = conn.execute("SELECT max(date) FROM roster_unit_days WHERE unit_code = ?", (closed["unit_code"],)).fetchone()
    assert last == closed["closed_on"]
    # its roster runs to the end of the period, with blank cells after it closed
    assert conn.execute("SELECT max(date) FROM duty_shifts_current WHERE unit_code = ?",
                        (closed["unit_code"],)).fetchone()[0] == manifest["period"]["end"]


# ---------------------------------------------------------------------------------------------
# Hand-made rosters: the rules
# ---------------------------------------------------------------------------------------------

REGISTRY = ("單位編碼,單位名稱,層級,上級編碼,停用日期\n"
            "440199000000,清河區,區,,\n"
            "440199001000,東華街道,街道,440199000000,\n"
            "440199001001,柳岸社區,社區,440199001000,\n"
            "440199001002,東門社區,社區,440199001000,\n"
            "440199001003,華林社區,社區,440199001000,2021-01-21\n")
DAILY = ("日期,單位,新增確診,密接,帶班領導\n"
         "2021-01-20,柳岸社區,0,0,李明\n"
         "2021-01-21,柳岸社區,0,0,周 立\n"
         "2021-01-22,柳岸社區,0,0,陳光\n")


def _checked(tmp_path, files: dict[str, str | bytes], settings: Settings | None = None) -> sqlite3.Connection:
    paths = []
    for name, text in {"units.csv": REGISTRY, "daily.csv": DAILY, **files}.items():
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        paths.append(path)
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, paths)
    assert all(r.status == "loaded" and not r.rows_rejected for r in reports), [(r.path, r.rejections) for r in reports]
    run_checks(db_path, settings or Settings())
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return conn


def _findings(conn, check_id: str) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM findings WHERE check_id = ? ORDER BY unit_code, date, subject_key",
                        (check_id,)).fetchall()


GRID_A = ("日期,帶班領導,白班(8:00-20:00),夜班(20:00-次日8:00),聯系電話\n"
          "2021-01-20,李明,王芳、張偉,趙強,13800000001\n"
          "2021-01-21,周立,王芳,趙強,13800000002\n"
          "2021-01-22,陳光,錢七,孫八,13800000003\n")


def test_a_complete_roster_has_no_finding(tmp_path):
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": GRID_A})
    for check_id in ROSTER:
        assert _findings(conn, check_id) == [], check_id
    days = conn.execute("SELECT date, leaders, phone FROM roster_unit_days ORDER BY date").fetchall()
    assert [tuple(r) for r in days] == [("2021-01-20", "李明", "13800000001"), ("2021-01-21", "周立", "13800000002"),
                                         ("2021-01-22", "陳光", "13800000003")]
    # 周 立 on the report and 周立 on the roster are one person
    assert tuple(conn.execute("SELECT duty_leader, on_roster FROM report_duty_leaders "
                              "WHERE report_date = '2021-01-21'").fetchone()) == ("周 立", 1)


def test_gaps_inside_the_roster_span_while_the_unit_is_open(tmp_path):
    grid_b = ("日期,帶班領導,白班,夜班\n"
              "2021-01-19,吳九,鄭和,褚清\n"
              "2021-01-20,,鄭和,\n"           # no leader, nobody at night
              "2021-01-23,吳九,鄭和,褚清\n")   # 21 and 22: no row at all
    closed = "日期,帶班領導,白班,夜班\n2021-01-20,馮安,衛東,蔣南\n2021-01-21,馮安,衛東,蔣南\n2021-01-22,,,\n"   # closed on the 21st
    conn = _checked(tmp_path, {"東門社區值班表.csv": grid_b, "華林社區值班表.csv": closed})
    gaps = [(f["date"], f["subject_key"]) for f in _findings(conn, "shift_uncovered")]
    assert gaps == [("2021-01-20", "night"), ("2021-01-21", "day"), ("2021-01-21", "night"), ("2021-01-22", "day"),
                    ("2021-01-22", "night")]
    assert [f["date"] for f in _findings(conn, "no_leader")] == ["2021-01-20", "2021-01-21", "2021-01-22"]
    assert {f["unit_code"] for f in _findings(conn, "shift_uncovered") + _findings(conn, "no_leader")} == {"440199001002"}
    by_day = {f["date"]: json.loads(f["evidence"]) for f in _findings(conn, "no_leader")}
    assert by_day["2021-01-20"]["row"] == 3 and by_day["2021-01-21"]["file_id"] is None
    assert _findings(conn, "no_leader")[1]["message"] == ("東門社區 2021-01-21 沒有帶班領導：值班表沒有這一天 / 東門社區 has no "
                                                          "leader on duty on 2021-01-21: the roster has no row for that day")


def test_double_booking_across_units_and_forms(tmp_path):
    long_b = ("單位,日期,班次,姓名\n"
              "東門社區,2021-01-20,夜班,赵强\n"          # 趙強 is on 柳岸社區's night too
              "東門社區,2021-01-20,帶班,吳九\n"
              "東門社區,2021-01-21,白班,周立\n"          # 柳岸社區's leader that day, at another unit
              "東門社區,2021-01-22,夜班(6:00-9:00),錢七\n")   # overlaps 錢七's day shift at 柳岸社區
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": GRID_A, "東門社區值班表.csv": long_b})
    pairs = [(f["subject_key"], f["unit_code"], f["date"], json.loads(f["evidence"])["other"]["unit_code"])
             for f in _findings(conn, "double_booked")]
    assert sorted(pairs) == [("周立", "440199001001", "2021-01-21", "440199001002"),
                             ("趙強", "440199001001", "2021-01-20", "440199001002"),
                             ("錢七", "440199001002", "2021-01-22", "440199001001")]
    message = next(f["message"] for f in _findings(conn, "double_booked") if f["subject_key"] == "趙強")
    assert message == ("趙強 排了時間重疊的兩個班：柳岸社區 夜班 2021-01-20 20:00 至 2021-01-21 08:00 和 東門社區 夜班 "
                       "2021-01-20 20:00 至 2021-01-21 08:00（重複排班） / "
                       "趙強 is rostered on overlapping shifts: 柳岸社區 night 2021-01-20 20:00 to 2021-01-21 08:00 "
                       "and 東門社區 night 2021-01-20 20:00 to 2021-01-21 08:00")


def test_not_double_booked(tmp_path):
    """Back-to-back shifts, the same shift listed twice, and a leader on a shift of their own unit."""
    grid = ("日期,帶班領導,白班,夜班\n"
            "2021-01-20,李明,李明、王芳、王芳,趙強\n"
            "2021-01-21,周立,趙強,王芳\n")
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": grid})
    assert _findings(conn, "double_booked") == []
    assert tuple(conn.execute("SELECT day_count, day_staff FROM roster_unit_days WHERE date = '2021-01-20'"
                              ).fetchone()) == (2, "李明、王芳")


def test_a_resent_roster_replaces_the_shifts_it_names(tmp_path):
    first = "日期,帶班領導,白班,夜班\n2021-01-20,李明,王芳,\n2021-01-21,周立,王芳,趙強\n"
    fix = "單位,日期,班次,姓名\n柳岸社區,2021-01-20,夜班,孫八\n柳岸社區,2021-01-21,白班,錢七\n"
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": first, "柳岸社區值班表更正.csv": fix})
    assert _findings(conn, "shift_uncovered") == []
    rows = conn.execute("SELECT date, shift, person FROM duty_shifts_current ORDER BY date, shift").fetchall()
    assert [tuple(r) for r in rows] == [("2021-01-20", "day", "王芳"), ("2021-01-20", "leader", "李明"),
                                        ("2021-01-20", "night", "孫八"), ("2021-01-21", "day", "錢七"),
                                        ("2021-01-21", "leader", "周立"), ("2021-01-21", "night", "趙強")]


def test_report_leader_off_roster_compares_normalised_names(tmp_path):
    grid = ("日期,帶班領導,白班,夜班\n"
            "2021-01-20,李明（主任）,王芳,趙強\n"         # 李明 on the report
            "2021-01-21,周立,王芳,趙強\n"                 # 周 立 on the report: the same
            "2021-01-22,,王芳,趙強\n")                    # no leader, while the report names 陳光
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": grid})
    assert [f["date"] for f in _findings(conn, "no_leader")] == ["2021-01-22"]
    (f,) = _findings(conn, "report_leader_off_roster")          # beside no_leader: the report names one
    assert (f["date"], f["subject_key"]) == ("2021-01-22", "陳光")
    assert f["message"] == ("柳岸社區 2021-01-22 的日報寫的帶班領導是 陳光，值班表上當日沒有帶班領導 / "
                            "柳岸社區's report for 2021-01-22 names 陳光 as the leader on duty; "
                            "the roster has no leader that day")
    (tmp_path / "x").mkdir()
    other = grid.replace("周立", "張偉").replace("2021-01-22,,", "2021-01-22,陳光,")
    conn = _checked(tmp_path / "x", {"柳岸社區值班表.csv": other})
    (f,) = _findings(conn, "report_leader_off_roster")
    assert (f["unit_code"], f["date"], f["subject_key"]) == ("440199001001", "2021-01-21", "周 立")
    assert f["message"] == ("柳岸社區 2021-01-21 的日報寫的帶班領導是 周 立，值班表上是 張偉 / "
                            "柳岸社區's report for 2021-01-21 names 周 立 as the leader on duty; the roster has 張偉")


CLAIMS = ("姓名,單位,月份,白班天數,夜班天數,申領金額\n"
          "王芳,柳岸社區,2021年1月,3,0,600\n"             # as rostered
          "趙強,柳岸社區,2021-01,0,3,600\n"               # one night more than rostered
          "錢七,,2021/1,1,0,\n"                            # no unit: every unit counts; no amount
          "孫八,柳岸社區,202101,0,1,250\n")                # the right shifts, more money


def test_allowance_overclaim(tmp_path):
    grid = ("日期,帶班領導,白班,夜班\n"
            "2021-01-20,李明,王芳,趙強\n"
            "2021-01-21,周立,王芳,趙強\n"
            "2021-01-22,陳光,王芳,孫八\n")
    other = "單位,日期,班次,姓名\n東門社區,2021-01-23,白班,錢七\n"
    conn = _checked(tmp_path, {"柳岸社區值班表.csv": grid, "東門社區值班表.csv": other, "claims.csv": CLAIMS})
    found = {f["subject_key"]: f for f in _findings(conn, "allowance_overclaim")}
    assert set(found) == {"趙強", "孫八"}
    assert found["趙強"]["message"] == ("趙強 申領 2021-01 在柳岸社區的白班 0 個、夜班 3 個、600 元；值班表只支持白班 0 個、"
                                        "夜班 2 個，按每班 200 元共 400 元（超額申領） / "
                                        "趙強 claims 0 day and 3 night shifts, 600 yuan for 2021-01 at 柳岸社區; "
                                        "the roster supports 0 day and 2 night shifts, 400 yuan at 200 a shift")
    assert (found["孫八"]["unit_code"], found["孫八"]["date"]) == ("440199001001", "2021-01")
    rows = conn.execute("SELECT person, supported_day_shifts, supported_night_shifts, difference "
                        "FROM allowance_claims_reconciled ORDER BY claim_id").fetchall()
    assert [tuple(r) for r in rows] == [("王芳", 3, 0, 0.0), ("趙強", 0, 2, 200.0), ("錢七", 1, 0, 0.0),
                                        ("孫八", 0, 1, 50.0)]
    # at a higher rate 孫八's 250 yuan is supported
    (tmp_path / "x").mkdir()
    conn = _checked(tmp_path / "x", {"柳岸社區值班表.csv": grid, "東門社區值班表.csv": other, "claims.csv": CLAIMS},
                    Settings(allowance_rate_per_shift=300))
    assert [f["subject_key"] for f in _findings(conn, "allowance_overclaim")] == ["趙強"]


def test_a_version_4_database_gains_the_roster_tables(tmp_path):
    path = tmp_path / "v4.db"
    new = {"duty_shifts", "duty_shifts_resolved", "duty_shifts_current", "roster_unit_days", "allowance_claims",
           "allowance_claims_resolved", "allowance_entitlement", "allowance_claims_reconciled", "report_duty_leaders"}
    conn = workbench(path)
    for name, kind in conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')").fetchall():
        if name in new:
            conn.execute(f"DROP {kind.upper()} [{name}]")
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO source_files VALUES (1, 'a.csv', 'abc', 'daily', '[\"\"]', 1, 1, 0, 0, '2021-01-01', "
                 "'loaded', NULL, NULL, NULL)")
    conn.close()
    conn = workbench(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert new <= names and conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("SELECT path FROM source_files").fetchall() == [("a.csv",)]
    conn.close()


@pytest.mark.parametrize("check_id", sorted(ROSTER))
def test_every_roster_check_is_documented(check_id):
    root = Path(__file__).resolve().parent.parent
    for doc in ("README.md", "docs/contract.md"):
        text = (root / doc).read_text(encoding="utf-8")
        assert f"`{check_id}` | {BY_ID[check_id].severity}" in text, (doc, check_id)
