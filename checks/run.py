"""Running the checks: one check_runs row, the derived state the checks and pages read, and the
run's findings in findings_history; the view `findings` then shows this run's."""
from __future__ import annotations

import datetime as dt
import hashlib
import functools
import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fangyi import db
from fangyi.db.dialect import render_with
from fangyi.ingest import kinds as registry
from fangyi.keys import name_key, place_key, place_key_short

from . import all_checks, at_or_above
from .resolve import resolve_units


class NoDataError(Exception):
    """The database holds nothing to check in the period: a CI gate must not pass on it."""


@dataclass
class RunResult:
    run_id: int
    counts: dict[str, int]                      # check_id -> findings
    by_severity: dict[str, int]
    period: tuple[str | None, str | None]
    gx_success: bool | None = None
    gx_counts: dict[str, int] = field(default_factory=dict)
    value_rules_ok: dict[str, bool] = field(default_factory=dict)

    def failed(self, fail_on: str) -> bool:
        if fail_on == "never":
            return False
        return any(n and at_or_above(sev, fail_on) for sev, n in self.by_severity.items())


def settings_rows(settings) -> dict[str, str | None]:
    """The settings the SQL views read (see reporting_period in db/schema.sql)."""
    return {
        "period_start": settings.period_start.isoformat() if settings.period_start else None,
        "period_end": settings.period_end.isoformat() if settings.period_end else None,
        "deadline_days_after": str(settings.deadline_days_after),
        "deadline_time": settings.deadline_time.strftime("%H:%M"),
        "silent_streak_min_days": str(settings.silent_streak_min_days),
        "allowance_rate_per_shift": str(settings.allowance_rate_per_shift),
        "chain_match_window_days": str(settings.chain_match_window_days),
        "retail_max_kg": str(settings.retail_max_kg),
        "gatherings_family_limit": str(settings.gathering_family_limit),
        "gatherings_limit": str(settings.gathering_limit),
        "gatherings_approval_exempt_types": json.dumps(settings.gathering_approval_exempt_types, ensure_ascii=False),
        "gatherings_banquet_types": json.dumps(settings.gathering_banquet_types, ensure_ascii=False),
        "gatherings_banquet_bans": json.dumps([{"start": a.isoformat(), "end": b.isoformat()}
                                               for a, b in settings.gathering_banquet_bans]),
        # [disinfection]: read by the shared expected-record calendar as <kind>.opening_hours and
        # <kind>.places (checks/_materialise/800_expected_subjects.sql, 810_expected_record_status.sql)
        "disinfection.opening_hours": "-".join(t.strftime("%H:%M") for t in settings.disinfection_opening_hours),
        "disinfection.places": json.dumps(settings.disinfection_places, ensure_ascii=False)
        if settings.disinfection_places else None,
        **returnee_rows(settings.returnees),
    }


def returnee_rows(r) -> dict[str, str]:
    """[returnees] as the checks read them (workbench_settings keys returnee_*): each number, and
    the schedules of tests owed by risk level as JSON lists of days."""
    return {
        "returnee_notice_hours": str(r.notice_hours),
        "returnee_registration_hours": str(r.registration_hours),
        "returnee_certificate_days": str(r.certificate_days),
        "returnee_first_test_hours": str(r.first_test_hours),
        "returnee_monitoring_days": str(r.monitoring_days),
        "returnee_test_days": json.dumps(r.test_days),
        "returnee_medium_high_risk_tests": str(r.medium_high_risk_tests),
        "returnee_test_late_tolerance_days": str(r.test_late_tolerance_days),
        "returnee_schedule_low": json.dumps(r.schedule("low")),
        "returnee_schedule_medium_high": json.dumps(r.schedule("high")),
    }


MATERIALISE = "_materialise"       # checks/_materialise/NNN_name.sql, run in name order


def materialise_steps() -> list[tuple[str, str]]:
    """(name, SQL script) of each materialisation step: plain SQL that empties and refills a
    derived table defined in db/schema.sql (DELETE, then INSERT ... SELECT). Besides SQLite's
    own functions a step may call name_key(text), the normalised form of a person's name
    (ingest/text.py), which the ingest also stores beside the names it loads, and place_key(text)
    and place_key_short(text) (fangyi.keys), a place's matching forms. A step may loop over the
    registry's expected kinds ({% for k in expected_kinds %}, see kinds.expected_kinds). Date arithmetic
    is written as the macros of db/macros/<engine>.sql; the scripts come back rendered."""
    folder = resources.files(__package__).joinpath(MATERIALISE)
    if not folder.is_dir():
        return []
    context = {"expected_kinds": registry.expected_kinds()}
    return sorted((p.name[:-4], render_with(p.read_text(encoding="utf-8"), **context))
                  for p in folder.iterdir() if p.name.endswith(".sql"))


class Steps:
    """Times each step of a run (for check_runs.step_seconds) and shows progress on a terminal: a bar
    with the step in hand and the time left; nothing when output is not a terminal (CI)."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.times: list[tuple[str, float]] = []
        self.bar = tqdm(total=total, unit="step", leave=False, disable=not sys.stderr.isatty(),
                        bar_format="{desc}: {n}/{total} steps [{elapsed}<{remaining}]")

    @contextmanager
    def step(self, name: str):
        self.bar.set_description_str(f"check: {name}")
        started = time.perf_counter()
        yield
        self.times.append((name, round(time.perf_counter() - started, 3)))
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


def prepare(conn, settings, steps: Steps | None = None) -> None:
    """Write the derived state every check and page reads, inside the caller's transaction:
    the settings in force, the units that sheets name, resolved, then each materialisation step."""
    steps = steps or Steps(0)
    with steps.step("settings"):
        rows = settings_rows(settings)
        conn.execute("DELETE FROM workbench_settings")
        conn.executemany("INSERT INTO workbench_settings (key, value) VALUES (?, ?)",
                         [(k, v) for k, v in rows.items() if v is not None])
    with steps.step("resolve_units"):
        resolve_units(conn, settings.unit_aliases)
    # SQLite calls them once per row and argument; a district's sheets repeat a few names
    for sql_name, key in (("name_key", name_key), ("place_key", place_key), ("place_key_short", place_key_short)):
        conn.create_function(sql_name, 1, functools.lru_cache(maxsize=1 << 16)(key), deterministic=True)
    for name, script in materialise_steps():
        with steps.step(name):
            for statement in db.statements(script):
                conn.execute(statement)


def materialise(db_path: Path | str, settings=None) -> None:
    """Write the derived state alone, without running checks (as the start of every run does)."""
    from fangyi.settings import Settings

    conn = db.connect(db_path)
    try:
        registry.create_tables(conn)
        conn.execute("BEGIN IMMEDIATE")
        try:
            prepare(conn, settings or Settings())
            conn.execute("COMMIT")
        except BaseException:
            db.rollback(conn)
            raise
    finally:
        conn.close()


def data_tables(conn) -> list[str]:
    """The main tables of every registered kind of dated records (all but reference data such as
    the registry of units, which says who reports and is not itself checked)."""
    present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return sorted(k.table for k in registry.all_kinds().values() if not k.reference and k.table in present)


def has_records_to_check(conn, start: str | None, end: str | None) -> bool:
    """Whether the checks have any row to look at: a record expected of every unit on every day
    (a daily report) inside the reporting period, or any row of the other kinds of dated records
    (ledgers and rosters are checked whatever their dates). (An existence test: counting a
    province's reports would read them all.)"""
    kinds = {k.table: k for k in registry.all_kinds().values()}
    for table in data_tables(conn):
        kind = kinds[table]
        if not kind.expected_daily:
            found = conn.execute(f"SELECT EXISTS (SELECT 1 FROM [{table}])").fetchone()[0]
        elif start and end:
            found = conn.execute(f"SELECT EXISTS (SELECT 1 FROM [{table}] WHERE [{kind.dated_by}] BETWEEN ? AND ?)",
                                 (start, end)).fetchone()[0]
        else:
            found = False
        if found:
            return True
    return False


def _run_check(conn, run_id: int, check) -> tuple[int, dict[str, int]]:
    """Write the check's findings of the run: (how many, how many per severity)."""
    if not check.row_severities:
        n = conn.execute(
            "INSERT INTO findings_history (run_id, check_id, severity, unit_code, date, subject_key, "
            f"message, evidence) SELECT ?, ?, ?, unit_code, date, subject_key, message, evidence "
            f"FROM ({check.sql})", (run_id, check.id, check.severity)).rowcount
        return n, {check.severity: n}
    n = conn.execute(
        "INSERT INTO findings_history (run_id, check_id, severity, unit_code, date, subject_key, message, evidence) "
        f"SELECT ?, ?, CASE WHEN severity IN ({', '.join(repr(s) for s in check.row_severities)}) THEN severity "
        f"ELSE ? END, unit_code, date, subject_key, message, evidence FROM ({check.sql})",
        (run_id, check.id, check.severity)).rowcount
    rows = conn.execute("SELECT severity, count(*) FROM findings_history WHERE run_id = ? AND check_id = ? "
                        "GROUP BY severity", (run_id, check.id)).fetchall()
    return n, dict(rows)


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def run_checks(db_path: Path | str, settings, gx: bool = False, docs_dir: Path | None = None) -> RunResult:
    """Run every check on the database; with gx=True also run them as Great Expectations
    suites (writing Data Docs to docs_dir) and record whether GX agrees. Raises NoDataError
    when there is nothing to check: no daily report in the reporting period and no row in any
    other data kind's table (the registry of units alone is not enough).

    A run is complete or absent: it counts as finished (check_runs.finished_at, which every reader
    and the site go by) only once all of it is written, GX's result included; a run stopped before
    (a killed process) is removed, with its findings, by the next one."""
    conn = db.connect(db_path)
    try:
        registry.create_tables(conn)
        # the materialisation passes over every report: a large page cache and in-memory sorts
        conn.execute("PRAGMA cache_size = -262144")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("BEGIN IMMEDIATE")
        checks = all_checks()
        steps = Steps(2 + len(materialise_steps()) + len(checks))
        try:
            conn.execute("DELETE FROM findings_history WHERE run_id IN "
                         "(SELECT run_id FROM check_runs WHERE finished_at IS NULL)")
            conn.execute("DELETE FROM check_runs WHERE finished_at IS NULL")
            prepare(conn, settings, steps)
            start, end = conn.execute("SELECT start_date, end_date FROM reporting_period").fetchone()
            if not has_records_to_check(conn, start, end):
                daily = {k.table for k in registry.all_kinds().values() if k.expected_daily}
                others = ", ".join(t for t in data_tables(conn) if t not in daily)
                raise NoDataError(f"no daily reports in the reporting period ({start or '?'} to {end or '?'})"
                                  + (f" and no rows in {others}" if others else "")
                                  + ": nothing was checked; ingest the records first (or fix [period] in the settings)")
            files = conn.execute("SELECT sha256 FROM source_files WHERE status = 'loaded' ORDER BY file_id").fetchall()
            digest = hashlib.sha256("".join(s for (s,) in files).encode()).hexdigest()
            run_id = conn.execute(
                "INSERT INTO check_runs (started_at, data_files, data_sha256, period_start, period_end, settings) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (_now(), len(files), digest, start, end, json.dumps(settings_rows(settings)))).lastrowid
            counts: dict[str, int] = {}
            by_severity = {"error": 0, "warning": 0, "info": 0}
            for check in checks:
                with steps.step(check.id):
                    n, severities = _run_check(conn, run_id, check)
                counts[check.id] = n
                for severity, k in severities.items():
                    by_severity[severity] += k
            conn.execute(
                "UPDATE check_runs SET finished_at = ?, counts = ?, errors = ?, warnings = ?, infos = ?, "
                "step_seconds = ? WHERE run_id = ?",
                (None if gx else _now(), json.dumps(counts), by_severity["error"], by_severity["warning"],
                 by_severity["info"], json.dumps(dict(steps.times)), run_id))
            conn.execute("COMMIT")
        except BaseException:
            db.rollback(conn)
            raise
        finally:
            steps.close()
        result = RunResult(run_id, counts, by_severity, (start, end))
    finally:
        conn.close()
    if gx:
        from .gx import run_suites          # imported here: GX costs seconds to import

        started = time.perf_counter()
        outcome = run_suites(db_path, run_id, docs_dir)
        seconds = round(time.perf_counter() - started, 3)
        result.gx_success, result.gx_counts = outcome.success, outcome.check_counts
        result.value_rules_ok = outcome.value_rules
        conn = db.connect(db_path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE check_runs SET gx_success = ?, gx_counts = ?, finished_at = ?, "
                         "step_seconds = json_set(COALESCE(step_seconds, '{}'), '$.great_expectations', ?) "
                         "WHERE run_id = ?",
                         (int(outcome.success), json.dumps(outcome.check_counts), _now(), seconds, run_id))
            conn.execute("COMMIT")
        finally:
            conn.close()
    return result


@dataclass
class CheckRun:
    """A finished check run as check_runs records it: which data (files and their SHA-256) it
    checked, under which settings, and what it found."""
    run_id: int
    started_at: str
    finished_at: str
    data_files: int
    data_sha256: str
    period: tuple[str | None, str | None]
    settings: object                            # fangyi.settings.Settings, as the run used them
    counts: dict[str, int]
    gx_success: bool | None


def settings_from_rows(rows: dict[str, str | None]):
    """The Settings a run recorded (the inverse of settings_rows, for the settings it records)."""
    from fangyi.settings import Settings

    s = Settings()
    if rows.get("period_start"):
        s.period_start = dt.date.fromisoformat(rows["period_start"])
    if rows.get("period_end"):
        s.period_end = dt.date.fromisoformat(rows["period_end"])
    if rows.get("deadline_days_after") is not None:
        s.deadline_days_after = int(rows["deadline_days_after"])
    if rows.get("deadline_time"):
        s.deadline_time = dt.time.fromisoformat(rows["deadline_time"])
    if rows.get("silent_streak_min_days") is not None:
        s.silent_streak_min_days = int(rows["silent_streak_min_days"])
    if rows.get("allowance_rate_per_shift") is not None:
        s.allowance_rate_per_shift = int(float(rows["allowance_rate_per_shift"]))
    if rows.get("chain_match_window_days") is not None:
        s.chain_match_window_days = int(rows["chain_match_window_days"])
    if rows.get("retail_max_kg") is not None:
        s.retail_max_kg = float(rows["retail_max_kg"])
    for name in ("notice_hours", "registration_hours", "certificate_days", "first_test_hours", "monitoring_days",
                 "medium_high_risk_tests", "test_late_tolerance_days"):
        if rows.get(f"returnee_{name}") is not None:
            setattr(s.returnees, name, int(rows[f"returnee_{name}"]))
    if rows.get("returnee_test_days"):
        s.returnees.test_days = [int(d) for d in json.loads(rows["returnee_test_days"])]
    if rows.get("disinfection.opening_hours"):
        s.disinfection_opening_hours = tuple(dt.time.fromisoformat(t) for t in rows["disinfection.opening_hours"].split("-"))
    if rows.get("disinfection.places"):
        s.disinfection_places = json.loads(rows["disinfection.places"])
    return s


def latest_check_run(conn) -> CheckRun | None:
    """The latest finished check run of an open database (read-only is enough), or None."""
    row = conn.execute(
        "SELECT run_id, started_at, finished_at, data_files, data_sha256, period_start, period_end, settings, "
        "counts, gx_success FROM check_runs WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    run_id, started, finished, files, sha, start, end, settings, counts, gx_success = row
    return CheckRun(run_id, started, finished, files, sha, (start, end), settings_from_rows(json.loads(settings)),
                    json.loads(counts or "{}"), None if gx_success is None else bool(gx_success))
