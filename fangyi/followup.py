"""Follow-up of findings (跟進) and the towns' sign-off of their weeks (審核), kept in a database of
their own beside the workbench database: `workbench.marks.db` beside `workbench.db`. The site
writes it (the only thing the site writes); `fangyi check`, the bulletin and the notebooks read
it; the workbench database is never written here.

- A finding's identity across check runs is its key: check, unit, date and subject key
  (finding_key_sql). A mark made on one run's finding shows on the same finding in every later run;
  a marked finding that a later run no longer finds was resolved by the data (the mark is kept).
- Each mark keeps the SHA-256 of what the finding said when it was marked (message and
  evidence): when the finding says something else in a later run (a corrected report, another
  source row), the mark asks for a second look.
- Marks and sign-offs are append-only: triggers refuse UPDATE and DELETE; a correction is a new
  mark, and the latest mark of a finding is its state.
- A town signs off (審核通過) an ISO week of its units once the data cover the week and every
  error of its units that week is marked. The sign-off keeps what it approved: the newest report
  in force (report_id) and the week's finding keys; a later report or a new finding reopens it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

MARKS = {       # mark -> (Chinese, English)
    "confirmed": ("已核實", "confirmed"),
    "put_right": ("已整改", "put right"),
    "false_alarm": ("誤報", "false alarm"),
    "note": ("備註", "note"),
}
STATES = {      # a finding's follow-up state -> (Chinese, English)
    "open": ("待跟進", "open"),
    "confirmed": ("已核實", "confirmed"),
    "put_right": ("已整改", "put right"),
    "false_alarm": ("誤報", "false alarm"),
    "noted": ("有備註", "noted"),
    "resolved_by_data": ("數據已更正", "resolved by the data"),
}
WEEK_STATES = {
    "waiting": ("待上報", "waiting for units"),
    "ready": ("可審核", "ready"),
    "signed_off": ("已審核", "signed off"),
    "reopened": ("已重開", "reopened"),
}


def finding_key_sql(alias: str = "") -> str:
    """The identity of a finding across check runs, as SQL over a findings row (of `alias`)."""
    a = f"{alias}." if alias else ""
    return (f"{a}check_id || '|' || COALESCE({a}unit_code, '') || '|' || COALESCE({a}date, '') || '|' "
            f"|| COALESCE({a}subject_key, '')")

SCHEMA = """
CREATE TABLE IF NOT EXISTS marks (
    mark_id         INTEGER PRIMARY KEY,
    finding_key     TEXT NOT NULL,
    check_id        TEXT NOT NULL,
    unit_code       TEXT,
    date            TEXT,
    subject_key     TEXT,
    town_code       TEXT,
    mark            TEXT NOT NULL CHECK (mark IN ('confirmed', 'put_right', 'false_alarm', 'note')),
    put_right_on    TEXT CHECK (put_right_on IS NULL OR date(put_right_on) = put_right_on),
    note            TEXT,
    evidence_sha256 TEXT NOT NULL,      -- what the finding said when marked: message and evidence
    run_id          INTEGER NOT NULL,   -- the check run whose finding was marked
    account         TEXT NOT NULL,
    marked_at       TEXT NOT NULL,
    CHECK (mark <> 'put_right' OR put_right_on IS NOT NULL),
    CHECK (mark NOT IN ('false_alarm', 'note') OR length(trim(note)) > 0)
);
CREATE INDEX IF NOT EXISTS marks_finding ON marks(finding_key, mark_id);
CREATE TABLE IF NOT EXISTS sign_offs (
    sign_off_id     INTEGER PRIMARY KEY,
    town_code       TEXT NOT NULL,
    week            TEXT NOT NULL,
    reports_basis   INTEGER NOT NULL,   -- the newest report in force of the town's units that week
    findings_basis  TEXT NOT NULL,      -- JSON: the keys of the week's findings of the town
    run_id          INTEGER NOT NULL,
    account         TEXT NOT NULL,
    signed_at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_offs_town_week ON sign_offs(town_code, week, sign_off_id);
CREATE TRIGGER IF NOT EXISTS marks_no_update BEFORE UPDATE ON marks
BEGIN SELECT RAISE(ABORT, 'marks are append-only: a correction is a new mark'); END;
CREATE TRIGGER IF NOT EXISTS marks_no_delete BEFORE DELETE ON marks
BEGIN SELECT RAISE(ABORT, 'marks are append-only: a correction is a new mark'); END;
CREATE TRIGGER IF NOT EXISTS sign_offs_no_update BEFORE UPDATE ON sign_offs
BEGIN SELECT RAISE(ABORT, 'sign-offs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sign_offs_no_delete BEFORE DELETE ON sign_offs
BEGIN SELECT RAISE(ABORT, 'sign-offs are append-only'); END;
"""

NOTE_MAX_CHARS = 2000


class FollowUpError(ValueError):
    """A mark or sign-off that cannot be made: the reason, in Chinese and English."""


def marks_path(db_path: Path | str) -> Path:
    """The marks database of a workbench database: workbench.marks.db beside workbench.db."""
    p = Path(db_path)
    return p.with_name(f"{p.stem}.marks.db")


def connect_marks(path: Path | str, write: bool = False) -> sqlite3.Connection | None:
    """The marks database: made if missing when writing; read-only otherwise, None when missing."""
    path = Path(path)
    if not write:
        if not path.is_file():
            return None
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SCHEMA)
    return conn


def evidence_sha256(message: str | None, evidence: str | None) -> str:
    return hashlib.sha256(json.dumps([message, evidence], ensure_ascii=False).encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Reading the workbench (any connection to it: read-only, or the site's served snapshot)
# ---------------------------------------------------------------------------------------------

_WITH_TOWNS = f"""
SELECT f.finding_id, {finding_key_sql("f")} AS finding_key,
       f.run_id, f.check_id, f.severity, f.unit_code, f.date, f.subject_key, f.message, f.evidence,
       h.town_code, c.iso_week
FROM {{findings}} f
LEFT JOIN unit_hierarchy h ON h.unit_code = f.unit_code
LEFT JOIN calendar_days c ON c.day = substr(f.date, 1, 10)
"""
FINDINGS_WITH_TOWNS = _WITH_TOWNS.format(findings="findings")      # the latest run's


def historical(conn, finding_id: int) -> dict | None:
    """A finding of any run, by its id."""
    return _row(conn.execute(f"{_WITH_TOWNS.format(findings='findings_history')} WHERE f.finding_id = ?",
                             (finding_id,)).fetchone())


def finding_by_id(conn, finding_id: int) -> dict | None:
    """The finding of the latest run that a finding of any run (by its id) is: itself when of the
    latest run, else the latest run's finding with its key (None: the latest run no longer finds
    it). Looked up by index, not by reading the run's findings."""
    row = historical(conn, finding_id)
    run = latest_run(conn)
    if row is None or row["run_id"] == run:
        return row
    return in_run(conn, run, row)


def in_run(conn, run_id: int, keyed: dict) -> dict | None:
    """The finding of a run with the key of `keyed` (a finding or a mark: its check, unit, date
    and subject key), by the run's index; None when the run does not find it."""
    return _row(conn.execute(
        f"{_WITH_TOWNS.format(findings='findings_history')} WHERE f.run_id = ? AND f.unit_code IS ? "
        "AND f.check_id = ? AND f.date IS ? AND f.subject_key IS ? ORDER BY f.finding_id LIMIT 1",
        (run_id, keyed["unit_code"], keyed["check_id"], keyed["date"], keyed["subject_key"])).fetchone())


def _row(row) -> dict | None:
    if row is None:
        return None
    names = ["finding_id", "finding_key", "run_id", "check_id", "severity", "unit_code", "date", "subject_key",
             "message", "evidence", "town_code", "iso_week"]
    return dict(zip(names, row))


def latest_run(conn) -> int | None:
    return conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]


def _latest_run_total(conn) -> tuple[int, int] | None:
    """(the latest finished run, how many findings it wrote)."""
    return conn.execute("SELECT run_id, COALESCE(errors, 0) + COALESCE(warnings, 0) + COALESCE(infos, 0) "
                        "FROM check_runs WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1").fetchone()


def _dicts(cur) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur]


# ---------------------------------------------------------------------------------------------
# Marks
# ---------------------------------------------------------------------------------------------

@dataclass
class Account:
    """Who is marking: the account's name, and the town it is for (None: the district's)."""
    name: str
    town_code: str | None = None

    def may_mark(self, town_code: str | None) -> bool:
        return self.town_code is None or self.town_code == town_code


def add_mark(marks: sqlite3.Connection, found: dict, mark: str, account: Account, note: str | None = None,
             put_right_on: str | None = None) -> int:
    """Append a mark to the finding `found` (as finding_by_id() gives it); its mark_id."""
    if mark not in MARKS:
        raise FollowUpError(f"沒有這種標記 / no such mark: {mark!r}; one of {', '.join(MARKS)}")
    if not account.may_mark(found["town_code"]):
        raise FollowUpError(f"賬號 {account.name} 只能跟進本街鎮的問題 / account {account.name} may only follow up "
                            f"the findings of its own town")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX_CHARS:
        raise FollowUpError(f"備註太長（最多 {NOTE_MAX_CHARS} 字） / the note is too long (at most {NOTE_MAX_CHARS} characters)")
    if mark in ("false_alarm", "note") and not note:
        raise FollowUpError("誤報和備註須寫明理由 / a false alarm or a note needs its reason written")
    if mark == "put_right":
        try:
            put_right_on = dt.date.fromisoformat((put_right_on or "").strip()).isoformat()
        except ValueError:
            raise FollowUpError(f"整改日期應為 2021-01-20 這樣的日期 / the date put right should be a date such as "
                                f"2021-01-20, not {put_right_on!r}") from None
    else:
        put_right_on = None
    cur = marks.execute(
        "INSERT INTO marks (finding_key, check_id, unit_code, date, subject_key, town_code, mark, put_right_on, note, "
        "evidence_sha256, run_id, account, marked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (found["finding_key"], found["check_id"], found["unit_code"], found["date"], found["subject_key"],
         found["town_code"], mark, put_right_on, note, evidence_sha256(found["message"], found["evidence"]),
         found["run_id"], account.name, _now()))
    return cur.lastrowid


def marks_of(marks: sqlite3.Connection | None, key: str) -> list[dict]:
    """A finding's marks, oldest first."""
    if marks is None:
        return []
    return _dicts(marks.execute("SELECT * FROM marks WHERE finding_key = ? ORDER BY mark_id", (key,)))


def all_marks(marks: sqlite3.Connection) -> list[dict]:
    """Every mark, oldest first."""
    return _dicts(marks.execute("SELECT * FROM marks ORDER BY mark_id"))


def _gives_state(mark: dict, before: dict | None) -> bool:
    """Whether `mark` (later than `before`, the state-giving mark so far) gives its finding's
    state: any mark but a note does; a note only over no mark or another note."""
    return mark["mark"] != "note" or before is None or before["mark"] == "note"


def state_mark(history: list[dict]) -> dict | None:
    """The mark that gives a finding's state, of its marks oldest first."""
    out = None
    for m in history:
        if _gives_state(m, out):
            out = m
    return out


def state_of(mark: dict | None) -> str:
    """The follow-up state of a finding the latest run finds, from its state-giving mark."""
    if mark is None:
        return "open"
    return {"note": "noted"}.get(mark["mark"], mark["mark"])


def changed_since(mark: dict | None, message: str | None, evidence: str | None) -> bool:
    """Whether a marked finding says something else now than when it was marked (a second look)."""
    return mark is not None and mark["evidence_sha256"] != evidence_sha256(message, evidence)


def _latest_marks(marks: sqlite3.Connection | None) -> dict[str, dict]:
    """finding key -> its state-giving mark (state_mark)."""
    out: dict[str, dict] = {}
    for m in all_marks(marks) if marks is not None else ():
        if _gives_state(m, out.get(m["finding_key"])):
            out[m["finding_key"]] = m
    return out


@dataclass
class FollowUp:
    """Every finding of the latest run with its follow-up state, and the marked findings the run
    no longer finds."""
    findings: list[dict] = field(default_factory=list)     # finding row + state, mark, second_look
    resolved: list[dict] = field(default_factory=list)     # the latest mark of each

    def counts(self, town_code: str | None = ..., week: str | None = None) -> dict[str, int]:
        """State -> findings (resolved_by_data included), for a town and week when given."""
        out = {s: 0 for s in STATES}
        out["second_look"] = 0
        for f in self.findings:
            if (town_code is ... or f["town_code"] == town_code) and (week is None or f["iso_week"] == week):
                out[f["state"]] += 1
                out["second_look"] += bool(f["second_look"])
        for m in self.resolved:
            if (town_code is ... or m["town_code"] == town_code) and (week is None or m.get("iso_week") == week):
                out["resolved_by_data"] += 1
        return out


def follow_up(conn, marks: sqlite3.Connection | None) -> FollowUp:
    """The latest run's findings (conn: the workbench) with their follow-up (marks: the marks
    database, None when there is none)."""
    latest = _latest_marks(marks)
    out = FollowUp()
    seen = set()
    for row in conn.execute(FINDINGS_WITH_TOWNS):
        f = _row(row)
        m = latest.get(f["finding_key"])
        f["state"] = state_of(m)
        f["mark"] = m
        f["second_look"] = changed_since(m, f["message"], f["evidence"])
        out.findings.append(f)
        seen.add(f["finding_key"])
    weeks = dict(conn.execute("SELECT day, iso_week FROM calendar_days")) if latest else {}
    for key, m in latest.items():
        if key not in seen:
            out.resolved.append(dict(m, iso_week=weeks.get((m["date"] or "")[:10])))
    return out


def quick_counts(conn, marks: sqlite3.Connection | None) -> dict | None:
    """Open and followed-up findings of the latest run without reading every finding: the run's
    total, less the marked ones it still finds (each looked up by its index). None: no marks."""
    latest = _latest_marks(marks)
    if not latest:
        return None
    run = _latest_run_total(conn)
    if run is None:
        return None
    out = {"total": run[1], "followed": 0, "confirmed": 0, "put_right": 0, "false_alarm": 0, "note": 0,
           "resolved": 0, "second_look": 0}
    for m in latest.values():
        present = in_run(conn, run[0], m)
        if present is None:
            out["resolved"] += 1
            continue
        out["followed"] += 1
        out[m["mark"]] += 1
        out["second_look"] += changed_since(m, present["message"], present["evidence"])
    out["open"] = out["total"] - out["followed"]
    return out


def summary_line(db_path: Path | str) -> str:
    """What `fangyi check` prints of the follow-up: open vs followed up (a marks database that
    cannot be read is said, and the check run stands)."""
    try:
        return _summary_line(db_path)
    except sqlite3.Error as exc:
        return f"跟進 follow-up: {marks_path(db_path).name} cannot be read ({exc}); the findings are as above"


def _summary_line(db_path: Path | str) -> str:
    from fangyi import db

    marks = connect_marks(marks_path(db_path))
    conn = db.connect(db_path, readonly=True)
    try:
        c = quick_counts(conn, marks)
        if c is None:
            run = _latest_run_total(conn)
            return f"跟進 follow-up: {run[1] if run else 0} open, 0 followed up (no marks yet)"
    finally:
        conn.close()
        if marks is not None:
            marks.close()
    return (f"跟進 follow-up: {c['open']} open, {c['followed']} followed up ({c['confirmed']} confirmed, "
            f"{c['put_right']} put right, {c['false_alarm']} false alarms, {c['note']} noted); "
            f"{c['resolved']} resolved by the data; {c['second_look']} to look at again (their data changed)")


# ---------------------------------------------------------------------------------------------
# The towns' sign-off of their weeks
# ---------------------------------------------------------------------------------------------

@dataclass
class Week:
    town_code: str
    town_name: str | None
    week: str
    state: str = "ready"
    why: str = ""                  # what the state rests on, in Chinese and English
    errors_open: int = 0
    reports_basis: int = 0         # filled in for a week signed off, or being signed off
    finding_keys: list[str] = field(default_factory=list)
    signed: dict | None = None     # the latest sign-off


def _reports_basis(conn, town_code: str, first: str, last: str) -> int:
    """The newest report in force (its report_id) of the town's units from first to last."""
    return conn.execute(
        "SELECT COALESCE(max(r.report_id), 0) FROM current_reports r "
        "JOIN unit_hierarchy h ON h.unit_code = r.unit_code "
        "WHERE r.report_date BETWEEN ? AND ? AND h.town_code = ?", (first, last, town_code)).fetchone()[0]


def _sign_offs(marks: sqlite3.Connection | None) -> dict[tuple[str, str], dict]:
    """(town, week) -> its latest sign-off."""
    if marks is None:
        return {}
    return {(s["town_code"], s["week"]): s for s in _dicts(marks.execute("SELECT * FROM sign_offs ORDER BY sign_off_id"))}


def town_weeks(conn, marks: sqlite3.Connection | None, weeks: list[str] | str | None = None,
               town_code: str | None = None) -> list[Week]:
    """Where each town's weeks stand (conn: the workbench; marks: the marks database or None):
    every week of the reporting period, or the weeks given; every town, or the one given. The
    findings of those weeks are read once; a report's newness is asked only of the weeks signed
    off."""
    if isinstance(weeks, str):
        weeks = [weeks]
    days = {w: (first, last) for w, first, last in conn.execute(
        "SELECT iso_week, min(day), max(day) FROM calendar_days GROUP BY iso_week ORDER BY iso_week")}
    if weeks is not None:
        days = {w: days[w] for w in weeks if w in days}
    towns = conn.execute("SELECT unit_code, name FROM unit_hierarchy WHERE level = 'town' "
                         + ("AND unit_code = ? " if town_code else "") + "ORDER BY unit_code",
                         (town_code,) if town_code else ()).fetchall()
    if not days or not towns:
        return []
    data_end = conn.execute("SELECT max(report_date) FROM current_reports").fetchone()[0]
    latest, signed = _latest_marks(marks), _sign_offs(marks)
    keys: dict[tuple[str, str], set] = {}
    unmarked: dict[tuple[str, str], int] = {}
    first, last = min(d[0] for d in days.values()), max(d[1] for d in days.values())
    for town, week, key, severity in conn.execute(
            f"SELECT h.town_code, c.iso_week, {finding_key_sql('f')}, f.severity FROM findings f "
            "JOIN unit_hierarchy h ON h.unit_code = f.unit_code JOIN calendar_days c ON c.day = substr(f.date, 1, 10) "
            "WHERE f.date >= ? AND f.date < ? || 'z'", (first, last)):
        keys.setdefault((town, week), set()).add(key)
        if severity == "error" and key not in latest:
            unmarked[(town, week)] = unmarked.get((town, week), 0) + 1
    out = []
    for code, name in towns:
        for week, (start, end) in days.items():
            w = Week(code, name, week, finding_keys=sorted(keys.get((code, week), ())),
                     errors_open=unmarked.get((code, week), 0), signed=signed.get((code, week)))
            if w.signed is not None:
                w.reports_basis = _reports_basis(conn, code, start, end)
                new_keys = set(w.finding_keys) - set(json.loads(w.signed["findings_basis"]))
                if w.reports_basis > w.signed["reports_basis"]:
                    w.state, w.why = "reopened", "審核後收到新的報告 / a report came in after the sign-off"
                elif new_keys:
                    w.state, w.why = "reopened", (f"審核後出現新的問題 {len(new_keys)} 個 / {len(new_keys)} new "
                                                  "findings after the sign-off")
                else:
                    w.state, w.why = "signed_off", f"{w.signed['account']} {w.signed['signed_at']}"
            elif data_end is None or data_end < end:
                w.state, w.why = "waiting", f"數據只到 {data_end}，本周到 {end} / the data end on {data_end}, the week on {end}"
            elif w.errors_open:
                w.state, w.why = "waiting", (f"還有 {w.errors_open} 個錯誤未跟進 / {w.errors_open} errors not "
                                             "followed up yet")
            else:
                w.why = "本周的錯誤都已跟進 / every error of the week is followed up"
            out.append(w)
    return out


def week_state(conn, marks: sqlite3.Connection | None, town_code: str, week: str) -> Week:
    """Where a town's week stands (conn: the workbench; marks: the marks database or None)."""
    found = town_weeks(conn, marks, week, town_code)
    if not found:
        return Week(town_code, None, week, "waiting", "本周不在報送期內 / the week is outside the reporting period")
    return found[0]


def sign_off(conn, marks: sqlite3.Connection, town_code: str, week: str, account: Account) -> int:
    """Sign off a town's week (conn: the workbench; marks: the marks database, writable)."""
    if account.town_code != town_code:
        raise FollowUpError(f"賬號 {account.name} 不能審核這個街鎮 / account {account.name} cannot sign off town "
                            f"{town_code}: only an account of that town can")
    w = week_state(conn, marks, town_code, week)
    if w.state == "reopened" and w.errors_open:      # signed again once its new errors are marked
        raise FollowUpError(f"{week} 不能審核：還有 {w.errors_open} 個錯誤未跟進 / cannot sign off {week}: "
                            f"{w.errors_open} errors not followed up yet")
    if w.state not in ("ready", "reopened"):
        raise FollowUpError(f"{week} 不能審核：{WEEK_STATES[w.state][0]} / cannot sign off {week}: "
                            f"{WEEK_STATES[w.state][1]} ({w.why})")
    first, last = conn.execute("SELECT min(day), max(day) FROM calendar_days WHERE iso_week = ?", (week,)).fetchone()
    cur = marks.execute(
        "INSERT INTO sign_offs (town_code, week, reports_basis, findings_basis, run_id, account, signed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (town_code, week, _reports_basis(conn, town_code, first, last),
         json.dumps(w.finding_keys, ensure_ascii=False), latest_run(conn) or 0, account.name, _now()))
    return cur.lastrowid
