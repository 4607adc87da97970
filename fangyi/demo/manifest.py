"""manifest.json: what is in the files, exactly: the units, every file's row accounting,
every injected defect with its file, sheet and row, the resubmission, and every row that
names its unit by a variant or an alias."""

from __future__ import annotations

from .daily import Report
from .district import CLOSED_NAME, OPENED_NAME, PERIOD_END, PERIOD_START, Plan, Unit
from .files import OutFile, file_entry


def _loc(rep: Report) -> dict:
    file, sheet, row = rep.loc
    return {"file": file, "sheet": sheet, "row": row}


def build_manifest(seed: int, units: list[Unit], plan: Plan, reports: list[Report],
                   files: list[OutFile]) -> dict:
    by_loc = lambda e: (e["file"], e["sheet"], e["row"])  # noqa: E731
    defects = {k: [] for k in ("missing_report", "silent_streak", "late_report",
                               "zero_report_contradiction", "blank_count", "unknown_unit", "rejected")}
    defects["missing_report"] = [{"unit_code": c, "date": d.isoformat()} for c, d in plan.missing]
    if plan.streak:
        code, start, end = plan.streak
        defects["silent_streak"] = [{"unit_code": code, "start": start.isoformat(), "end": end.isoformat(),
                                     "days": (end - start).days + 1}]
    aliases, resubmissions = [], {}
    for rep in reports:
        if rep.role == "unknown":
            defects["unknown_unit"].append({"raw_name": rep.raw_name, "date": rep.day.isoformat(), **_loc(rep)})
        elif rep.role == "rejected":
            defects["rejected"].append({**_loc(rep), "column": rep.bad_header, "value": str(rep.bad[1])})
            continue  # a rejected row is nothing else, not even an alias row
        if rep.defect:
            check, cols = rep.defect
            entry = {"unit_code": rep.unit.code, "date": rep.day.isoformat(), **_loc(rep)}
            if check == "late_report":
                entry["submitted_at"] = rep.submitted_at.isoformat()
            else:
                entry["columns"] = cols
            defects[check].append(entry)
        if rep.unit and (rep.unit.code, rep.day) == plan.resubmission:
            resubmissions.setdefault((rep.unit.code, rep.day), []).append(rep)
        if rep.unit and rep.written_name != rep.unit.name:
            aliases.append({"raw_name": rep.written_name, "unit_code": rep.unit.code, **_loc(rep)})
    for key in ("late_report", "zero_report_contradiction", "blank_count", "unknown_unit", "rejected"):
        defects[key].sort(key=by_loc)
    resub_list = []
    for (code, day), reps in resubmissions.items():
        reps.sort(key=lambda r: r.submitted_at)
        resub_list.append({
            "unit_code": code, "date": day.isoformat(),
            "rows": [{**_loc(r), "submitted_at": r.submitted_at.isoformat()} for r in reps],
            "current": next(i for i, r in enumerate(reps) if r.role == "correction"),
        })
    closed = next(u for u in units if u.name == CLOSED_NAME)
    opened = next(u for u in units if u.name == OPENED_NAME)
    return {
        "seed": seed,
        "period": {"start": PERIOD_START.isoformat(), "end": PERIOD_END.isoformat()},
        "units": [{
            "unit_code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent,
            "reports_daily": u.reports_daily,
            "opened_on": u.opened.isoformat() if u.opened else None,
            "closed_on": u.closed.isoformat() if u.closed else None,
            "aliases": u.aliases, "leaders": u.leaders,
        } for u in units],
        "files": sorted((file_entry(f) for f in files), key=lambda e: e["path"]),
        "defects": defects,
        "resubmissions": resub_list,
        "aliases": sorted(aliases, key=by_loc),
        "closed_unit": {"unit_code": closed.code, "closed_on": closed.closed.isoformat()},
        "opened_unit": {"unit_code": opened.code, "opened_on": opened.opened.isoformat()},
    }


def add_kind_manifests(manifest: dict, units: list[Unit], clean: bool) -> None:
    """The injected cases of the kinds whose demo modules write their own files (Kind.demo)."""
    from . import disinfection

    manifest["defects"]["disinfection_missed"] = disinfection.injected(units, clean)
    manifest["disinfection"] = {"places": [disinfection.COMPOUND, disinfection.LOBBY, disinfection.LIFT],
                                "lobby_closed_on": disinfection.LOBBY_CLOSED.isoformat(),
                                "lift_opened_on": disinfection.LIFT_OPENED.isoformat()}
