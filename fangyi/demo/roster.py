"""Duty rosters (kind roster) for the towns that keep them, as the units meant them, and the two
forms they are typed in: 東華街道's XLSX grid (a sheet per community, merged title, several names
in a cell, shift hours in the headers) and 龍興街道's long-form GB18030 CSV (one row per person
and shift).

The rosters agree with the daily reports: the leader on duty a report names is the leader the
roster has that day (daily._leader), except on the one unit-day planned otherwise. Defects are
planned on unit-days that carry no daily-report defect, each on its own unit-day: an uncovered
night, an uncovered day, a day without a leader, one person on two units' night shifts at once,
and a roster whose leader is not the one the daily report names. What was planned, and where it
landed, goes into the manifest (roster_defects)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from .daily import Report, _leader
from .district import (CLOSED_NAME, DAYS, OPENED_NAME, TOWNS, Plan, Unit, cn_date, name_maker, reporting_units,
                       simp)
from .files import OutFile, Sheet

ROSTER_TOWNS = (1, 2)            # 東華街道 (grid) and 龍興街道 (long form)
STAFF_PER_UNIT = 6
WEEKDAYS = "一二三四五六日"
LEADER_POSTS = ("社區書記", "社區主任", "社區副主任")
STAFF_POSTS = ("網格員", "社工", "志願者")

GRID_HEADER = ["日期", "星期", "帶班領導\n（審核人）", "白班\n(8:00-20:00)", "夜班(20:00-次日8:00)", "聯系電話"]
# One community of town 1 keeps other hours, written in its headers.
OWN_HOURS = ("鳳鳴社區", "白班\n(8:30-17:30)", "夜班(17:30-次日8:30)")
LONG_HEADER = ["單位編碼", "单位名称", "日期", "班次", "姓名", "职务", "联系电话"]
# One community of town 2 leaves its code blank (the name resolves it); another writes the
# night shift with its hours in the cell.
NO_CODE = "翠竹社區"
NIGHT_WITH_HOURS = "長樂社區"


@dataclass
class Duty:
    """One unit-day of a roster as the unit meant it."""
    unit: Unit
    day: dt.date
    leaders: list[str]
    day_staff: list[str]
    night_staff: list[str]
    loc: dict = field(default_factory=dict)        # shift, and (shift, name) -> (file, sheet, row), set by the writer


@dataclass
class Rosters:
    duties: dict                                   # (unit_code, day) -> Duty
    staff: dict                                    # unit_code -> [names]
    phones: dict                                   # name -> phone
    posts: dict                                    # name -> post
    planned: dict = field(default_factory=dict)    # defect -> details


def _index(day: dt.date) -> int:
    return (day - DAYS[0]).days


def _shift_staff(pool: list[str], day: dt.date) -> tuple[list[str], list[str]]:
    """Two on the day shift, one on the night, in turn: nobody works both shifts of a day or
    goes from a night straight into the next day shift."""
    i = _index(day)
    return [pool[i % 6], pool[(i + 1) % 6]], [pool[(i + 3) % 6]]


def _known_names(units: list[Unit], office: dict, reports: list[Report]) -> set[str]:
    names = {n for u in units for n in (*u.leaders, u.reporter)}
    names |= {n for pair in office.values() for n in pair}
    return names | {r.reporter for r in reports} | {r.leader for r in reports}


def build_rosters(rng: random.Random, units: list[Unit], office: dict, reports: list[Report], plan: Plan,
                  clean: bool) -> Rosters:
    known = _known_names(units, office, reports)
    make = name_maker(rng)

    def new_name() -> str:
        while True:
            name = make()
            if name not in known:
                known.add(name)
                return name

    phones: dict = {}

    def phone(name: str) -> str:
        while name not in phones:
            number = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
            if number not in phones.values():
                phones[name] = number
        return phones[name]

    rostered = [u for town in ROSTER_TOWNS for u in reporting_units(units, town)]
    duties, staff, posts = {}, {}, {}
    for unit in rostered:
        staff[unit.code] = [new_name() for _ in range(STAFF_PER_UNIT)]
        for i, name in enumerate(unit.leaders):
            phone(name)
            posts[name] = LEADER_POSTS[i]
        for name in staff[unit.code]:
            phone(name)
            posts[name] = rng.choice(STAFF_POSTS)
        for day in DAYS:
            if unit.closed and day > unit.closed:
                duties[(unit.code, day)] = Duty(unit, day, [], [], [])      # the form's rows left blank
                continue
            day_staff, night_staff = _shift_staff(staff[unit.code], day)
            duties[(unit.code, day)] = Duty(unit, day, [_leader(unit, day)], day_staff, night_staff)
    rosters = Rosters(duties, staff, phones, posts)
    if not clean:
        _plan_defects(rng, rosters, rostered, plan, reports)
    return rosters


def _plan_defects(rng: random.Random, rosters: Rosters, rostered: list[Unit], plan: Plan,
                  reports: list[Report]) -> None:
    """Each roster defect on its own unit-day, away from every daily-report defect."""
    busy = set(plan.missing) | set(plan.late) | set(plan.contradiction) | set(plan.blank) | set(plan.rejected)
    if plan.resubmission:
        busy.add(plan.resubmission)
    in_force = {(r.unit.code, r.day): r for r in reports if r.unit and r.role in ("normal", "correction")}
    used: set = set()

    def take(town: int, need_report: bool = False, day: dt.date | None = None, not_unit: str | None = None):
        choices = [(u.code, d) for u in rostered if u.town == town and u.name not in (CLOSED_NAME, OPENED_NAME)
                   and u.code != not_unit for d in DAYS if day is None or d == day]
        while True:
            key = rng.choice(choices)
            if key not in busy and key not in used and (not need_report or key in in_force):
                used.add(key)
                return key

    planned = rosters.planned
    key = take(1)
    rosters.duties[key].night_staff = []
    planned["uncovered_night"] = key
    key = take(2)
    rosters.duties[key].day_staff = []
    planned["uncovered_day"] = key
    key = take(1)
    rosters.duties[key].leaders = []
    planned["no_leader"] = key
    # One night-shift person of a town-1 community also put on a town-2 community's night.
    first = take(1)
    duty = rosters.duties[first]
    person = duty.night_staff[0]
    second = take(2, day=first[1])
    rosters.duties[second].night_staff = rosters.duties[second].night_staff + [person]
    planned["double_booked"] = (person, first, second)
    # A roster naming another of the unit's leaders than the one its daily report names.
    key = take(2, need_report=True)
    duty = rosters.duties[key]
    report_leader = in_force[key].leader
    others = [n for n in duty.unit.leaders if n != report_leader]
    duty.leaders = [rng.choice(others)]
    planned["leader_off_roster"] = (key, report_leader, duty.leaders[0])


def write_roster_town1(rosters: Rosters, units: list[Unit], office: tuple) -> OutFile:
    """東華街道: one XLSX, a sheet per community for the whole period, merged title row naming the
    community, 帶班領導 / 白班 / 夜班 cells (several names separated by line breaks or 、),
    shift hours in the headers, dates as Excel dates or as 1月11日, a footer."""
    _, _, town_name, _ = TOWNS[0]
    out = OutFile(f"duty/{town_name}/{town_name}各社區疫情防控值班表_{cn_date(DAYS[0])}-{cn_date(DAYS[-1], year=False)}.xlsx",
                  "roster", "xlsx")
    for n, unit in enumerate(reporting_units(units, 1)):
        sheet = Sheet(unit.name, date_format="m月d日")
        sheet.add("title", [f"{unit.name}疫情防控值班表（{cn_date(DAYS[0])}至{cn_date(DAYS[-1], year=False)}）"])
        sheet.merges.append(f"A1:{get_column_letter(len(GRID_HEADER))}1")
        header = list(GRID_HEADER)
        if unit.name == OWN_HOURS[0]:
            header[3:5] = OWN_HOURS[1:]
        sheet.add("header", header)
        separator = "\n" if n % 2 == 0 else "、"
        for day in DAYS:
            duty = rosters.duties[(unit.code, day)]
            leader_phone = rosters.phones[duty.leaders[0]] if duty.leaders else None
            row = sheet.add("data", [
                day if n % 3 != 1 else cn_date(day, year=False), f"星期{WEEKDAYS[day.weekday()]}",
                "、".join(duty.leaders) or None, separator.join(duty.day_staff) or None,
                "、".join(duty.night_staff) or None, leader_phone])
            duty.loc = dict.fromkeys(("leader", "day", "night"), (out.path, sheet.name, row))
            for shift, names in (("leader", duty.leaders), ("day", duty.day_staff), ("night", duty.night_staff)):
                duty.loc.update(dict.fromkeys(((shift, n) for n in names), (out.path, sheet.name, row)))
        sheet.add("blank", [])
        sheet.add("footer", [f"填表人：{office[0]}    審核人：{office[1]}"])
        sheet.widths = {"A": 11, "C": 12, "D": 16, "E": 18, "F": 14}
        out.sheets.append(sheet)
    return out


def write_roster_town2(rosters: Rosters, units: list[Unit]) -> OutFile:
    """龍興街道: the long form, one GB18030 CSV for the period, a row per person and shift
    (带班, 白班, 夜班), simplified names, a title line and a footer."""
    _, _, town_name, _ = TOWNS[1]
    out = OutFile(f"duty/{town_name}/{simp(town_name)}值班安排表_{cn_date(DAYS[0])}-{cn_date(DAYS[-1], year=False)}.csv",
                  "roster", "gb18030")
    sheet = Sheet("")
    sheet.add("title", [f"{simp(town_name)}疫情防控值班安排表"] + [""] * (len(LONG_HEADER) - 1))
    sheet.add("header", LONG_HEADER)
    mine = reporting_units(units, 2)
    for day in DAYS:
        for unit in mine:
            duty = rosters.duties[(unit.code, day)]
            code = "" if unit.name == NO_CODE else unit.code
            night = "夜班(20:00-次日8:00)" if unit.name == NIGHT_WITH_HOURS else "夜班"
            for shift, word, names in (("leader", "带班", duty.leaders), ("day", "白班", duty.day_staff),
                                       ("night", night, duty.night_staff)):
                for name in names:
                    row = sheet.add("data", [code, simp(unit.name), f"{day.year}/{day.month}/{day.day}", word, name,
                                             simp(rosters.posts[name]), rosters.phones[name]])
                    duty.loc.setdefault(shift, (out.path, "", row))
                    duty.loc[(shift, name)] = (out.path, "", row)
    sheet.add("footer", [f"填表人：{rosters.staff[mine[0].code][0]}"])
    out.sheets.append(sheet)
    return out


def _loc(loc) -> dict:
    file, sheet, row = loc
    return {"file": file, "sheet": sheet, "row": row}


def roster_manifest(rosters: Rosters, reports: list[Report], plan: Plan) -> tuple[dict, dict]:
    """(defects by check id, the manifest's `roster` entry)."""
    defects = {k: [] for k in ("shift_uncovered", "no_leader", "double_booked", "report_leader_off_roster")}
    p = rosters.planned
    if p:
        for name, shift in (("uncovered_night", "night"), ("uncovered_day", "day")):
            code, day = p[name]
            duty = rosters.duties[(code, day)]
            where = _loc(duty.loc[shift]) if shift in duty.loc else {"file": None, "sheet": None, "row": None}
            defects["shift_uncovered"].append({"unit_code": code, "date": day.isoformat(), "shift": shift, **where})
        code, day = p["no_leader"]
        defects["no_leader"].append({"unit_code": code, "date": day.isoformat(),
                                     **_loc(rosters.duties[(code, day)].loc["leader"])})
        # that day's report still names its usual leader, whom the roster does not have that day
        report = next((r for r in reports if r.unit and (r.unit.code, r.day) == (code, day) and r.role == "normal"),
                      None)
        if report is not None and report.leader:
            defects["report_leader_off_roster"].append({
                "unit_code": code, "date": day.isoformat(), "duty_leader": report.leader,
                "rostered_leader": None, **_loc(report.loc), "roster": None})
        person, first, second = p["double_booked"]
        defects["double_booked"].append({
            "person": person, "unit_code": first[0], "date": first[1].isoformat(), "other_unit_code": second[0],
            "rows": [_loc(rosters.duties[first].loc[("night", person)]),
                     _loc(rosters.duties[second].loc[("night", person)])]})
        (code, day), report_leader, roster_leader = p["leader_off_roster"]
        report = next(r for r in reports if r.unit and (r.unit.code, r.day) == (code, day) and r.role == "normal")
        defects["report_leader_off_roster"].append({
            "unit_code": code, "date": day.isoformat(), "duty_leader": report_leader,
            "rostered_leader": roster_leader, **_loc(report.loc),
            "roster": _loc(rosters.duties[(code, day)].loc["leader"])})
    on_call = []
    for code, day in plan.missing:
        duty = rosters.duties.get((code, day))
        if duty and duty.leaders:
            on_call.append({"unit_code": code, "date": day.isoformat(), "leader": duty.leaders[0],
                            "phone": rosters.phones[duty.leaders[0]]})
    entry = {
        "units": sorted(rosters.staff),
        "first_day": DAYS[0].isoformat(),
        "last_day": DAYS[-1].isoformat(),
        "on_call": sorted(on_call, key=lambda e: (e["date"], e["unit_code"])),
    }
    return defects, entry
