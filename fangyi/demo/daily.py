"""Daily reports (kind daily) as the units meant them: one Report per unit-day, with the
planned defects applied. How each town types them into its files is in daily_forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from dataclasses import dataclass

from .district import COUNT_FIELDS, PERIOD_START, UNKNOWN_NAMES, Plan, Unit, name_maker, reporting_units


@dataclass
class Report:
    """One report row as the unit meant it; the town writer decides how it is typed."""
    unit: Unit | None  # None for an unregistered unit
    day: dt.date
    counts: dict  # field -> int, or None for a blank cell
    zero: bool
    reporter: str
    leader: str
    submitted_at: dt.datetime
    role: str = "normal"  # normal | rejected | correction | unknown
    defect: tuple | None = None  # (check_id, columns) for late/contradiction/blank rows
    bad: tuple | None = None  # (field, raw value) for a rejected row
    bad_header: str = ""  # set by the writer: header text of the bad column
    raw_name: str = ""  # unknown rows: the name written
    written_name: str = ""  # set by the writer
    loc: tuple | None = None  # (file, sheet, row), set by the writer


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _on_time(rng: random.Random, day: dt.date) -> dt.datetime:
    """Between D 17:00 and D+1 08:59, mostly in the evening."""
    if rng.random() < 0.85:
        minutes = rng.randrange(0, 6 * 60)  # 17:00 .. 22:59
    else:
        minutes = 14 * 60 + rng.randrange(0, 2 * 60)  # 07:00 .. 08:59 next day
    return dt.datetime.combine(day, dt.time(17, 0)) + dt.timedelta(minutes=minutes)


def _counts(rng: random.Random, unit: Unit, day: dt.date) -> dict:
    progress = (day - PERIOD_START).days / 27  # Spring Festival returns build up
    if rng.random() < unit.quiet * (1 - 0.6 * progress):
        return {f: 0 for f in COUNT_FIELDS}
    c = {
        "new_confirmed": int(rng.random() < 0.002),
        "new_suspected": int(rng.random() < 0.012),
        "new_asymptomatic": int(rng.random() < 0.004),
    }
    case = any(c.values())
    c["close_contacts"] = rng.randint(2, 9) if case else (rng.randint(1, 3) if rng.random() < 0.03 else 0)
    c["returnees_registered"] = _poisson(rng, unit.size * (0.8 + 4.0 * progress))
    c["home_isolation"] = _poisson(rng, unit.size * (2.0 + 8.0 * progress))
    c["central_isolation"] = _poisson(rng, 0.3 * unit.size) + (1 if case else 0)
    c["fever_cases"] = _poisson(rng, 0.4)
    c["tests_done"] = _poisson(rng, unit.size * (8 + 30 * progress)) if rng.random() < 0.85 else 0
    return c


def _ensure_positive(counts: dict) -> None:
    if not any(v for v in counts.values() if v):
        counts["returnees_registered"], counts["tests_done"] = 2, 16


def _leader(unit: Unit, day: dt.date) -> str:
    # Leaders take the duty in turn.
    return unit.leaders[((day - PERIOD_START).days + int(unit.code[-3:])) % 3]


def build_reports(rng: random.Random, units: list[Unit], plan: Plan) -> list[Report]:
    missing = set(plan.missing)
    reports: list[Report] = []
    for unit in reporting_units(units):
        for day in unit.expected_days():
            key = (unit.code, day)
            if key in missing:
                continue
            counts = _counts(rng, unit, day)
            zero = not any(counts.values()) and rng.random() < 0.9
            rep = Report(unit, day, counts, zero, unit.reporter, _leader(unit, day), _on_time(rng, day))
            if key in plan.late:
                rep.submitted_at = plan.late[key]
                rep.defect = ("late_report", [])
            elif key in plan.contradiction:
                col = plan.contradiction[key]
                rep.counts = {f: 0 for f in COUNT_FIELDS}
                rep.counts[col] = rng.randint(1, 4)
                rep.zero = True
                rep.defect = ("zero_report_contradiction", [col])
            elif key in plan.blank:
                keep = next(f for f in ("returnees_registered", "home_isolation", "tests_done")
                            if f not in plan.blank[key])
                rep.counts[keep] = max(rep.counts[keep], 3)  # visibly a real, non-zero report
                for col in plan.blank[key]:
                    rep.counts[col] = None
                rep.zero = False
                rep.defect = ("blank_count", list(plan.blank[key]))
            elif key == plan.resubmission:
                _ensure_positive(rep.counts)
                rep.zero = False
                rep.submitted_at = dt.datetime.combine(day, dt.time(18, 0)) + dt.timedelta(minutes=rng.randrange(0, 120))
                fixed = dataclasses.replace(rep, counts=dict(rep.counts))
                fixed.role = "correction"
                fixed.counts["returnees_registered"] += rng.randint(2, 5)
                fixed.counts["tests_done"] += rng.randint(5, 20)
                # Corrected before the deadline, so the resubmission causes no finding.
                fixed.submitted_at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8, 0)) \
                    + dt.timedelta(minutes=rng.randrange(0, 50))
                reports.append(rep)
                reports.append(fixed)
                continue
            elif key in plan.rejected:
                # The unreadable row is typed first and retyped correctly right after it,
                # in the same file: the retyped row is the unit-day's report, so the
                # unit-day is neither missing nor anything else.
                rep.submitted_at = dt.datetime.combine(day, dt.time(18, 30)) + dt.timedelta(minutes=rng.randrange(0, 150))
                bad = dataclasses.replace(rep, counts=dict(rep.counts))
                bad.role = "rejected"
                bad.bad = plan.rejected[key]
                bad.submitted_at = rep.submitted_at - dt.timedelta(minutes=20)
                reports.append(bad)
            reports.append(rep)
    new_name = name_maker(rng)
    for town, day in plan.unknown:
        counts = _counts(rng, Unit("", "", "社區", None, town, None, quiet=0.0), day)
        _ensure_positive(counts)
        reports.append(Report(None, day, counts, False, new_name(), new_name(), _on_time(rng, day),
                              role="unknown", raw_name=UNKNOWN_NAMES[town]))
    return reports
