"""Demo district generator.

Writes the input files of an invented district (清河區, four towns, 27 communities and
villages) for the period 2021-01-11 .. 2021-02-07, in the messy forms the towns really
send, with known defects injected, plus ``manifest.json`` describing exactly what is in
the files: every file's row accounting, every injected defect with its file, sheet and
row, the resubmission, and every row that names its unit by a variant or an alias.

Everything is driven by ``random.Random(seed)``, and the XLSX files are written with
fixed document properties and fixed zip timestamps, so two runs with the same seed give
byte-identical files.

Layout written under ``out_dir``::

    units/單位名錄.xlsx                                       registry (kind units)
    daily/東華街道/東華街道疫情防控日報_2021年1月11日-1月17日.xlsx   town 1: sheet per day
    daily/龍興街道/龙兴街道日报_2021年第2周.csv                  town 2: GB18030, weekly
    daily/龍興街道/龙兴街道日报_更正_2021年1月D日.csv            town 2: correction
    daily/南湖街道/南湖街道疫情防控日报汇总_2021年1月11日-2月7日.csv  town 3: UTF-8 BOM
    daily/雲峰鎮/雲峰鎮各村疫情防控日報_2021年1月11日-1月17日.xlsx    town 4: sheet per village
    manifest.json

Usage: ``python -m fangyi.demo OUT_DIR [--seed N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import csv
import datetime as dt
import io
import json
import math
import pathlib
import random
import re
import zipfile
from dataclasses import dataclass, field

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

# ---------------------------------------------------------------------------
# Plain data: period, district, towns, units, names
# ---------------------------------------------------------------------------

PERIOD_START = dt.date(2021, 1, 11)  # Monday
PERIOD_END = dt.date(2021, 2, 7)  # Sunday
DAYS = [PERIOD_START + dt.timedelta(days=i) for i in range((PERIOD_END - PERIOD_START).days + 1)]

# Fixed time used for workbook properties and zip entries (determinism).
FIXED_STAMP = dt.datetime(2021, 2, 8, 9, 0, 0)

DISTRICT_CODE, DISTRICT_NAME = "440199000000", "清河區"

# (town number, code, registered name, level)
TOWNS = [
    (1, "440199001000", "東華街道", "街道"),
    (2, "440199002000", "龍興街道", "街道"),
    (3, "440199003000", "南湖街道", "街道"),
    (4, "440199004000", "雲峰鎮", "鎮"),
]

# Communities / villages per town, in registry order; code = town prefix + 001, 002, ...
COMMUNITIES = {
    1: ["柳岸社區", "東門社區", "華林社區", "錦園社區", "新橋社區", "鳳鳴社區", "青石社區"],
    2: ["龍泉社區", "興業社區", "桂花社區", "灣頭社區", "長樂社區", "翠竹社區", "雙塘社區"],
    3: ["湖濱社區", "學府社區", "楓林社區", "金沙社區", "園丁社區", "曉陽社區"],
    4: ["東河村", "石壩村", "龍潭村", "楊柳村", "馬頭村", "橋西村", "新豐村"],
}

# Registry 別名 cells, written as typed (mixed separators 、 ; , /).
ALIAS_CELLS = {
    "柳岸社區": "柳岸居委會、老街社區",
    "龍泉社區": "龍泉居委會;泉水社區/龍泉小區",
    "學府社區": "學府居委會,大學城社區",
    "石壩村": "壩上村、石壩村委會/石壩行政村",
}
ALIAS_SPLIT = re.compile(r"[、;；,，/]")

# The one community closed mid-period (real Excel date cell in the registry) and the one
# village opened mid-period (text date in the registry).
CLOSED_NAME, CLOSED_ON = "青石社區", dt.date(2021, 1, 24)
OPENED_NAME, OPENED_ON = "新豐村", dt.date(2021, 1, 27)
OPENED_CELL_TEXT = "2021/1/27"

# Communities whose 是否日報 cell is left blank (blank means 是 for communities).
DAILY_CELL_BLANK = {"錦園社區", "桂花社區", "金沙社區"}

# The village of town 4 that writes its registered alias instead of its name.
ALIAS_WRITER = ("石壩村", "壩上村")

# Unregistered units that turn up in the reports (unknown_unit), per town.
UNKNOWN_NAMES = {1: "白沙社區", 2: "桃源社区", 3: "映月社區"}
UNKNOWN_CODE_TOWN3 = "440199003009"  # not in the registry either

# Person names are built from characters that are identical in traditional and simplified
# script, so a name reads the same in every file.
SURNAMES = "王李周徐朱胡郭何林高梁宋唐曹彭曾田董潘袁蔡杜程魏丁任沈姚姜崔汪金石廖夏方白孟熊秦邱江尹薛段雷侯史陶黎毛郝邵武戴莫孔向"
GIVEN = "建平明志文玉春秀英芳敏海永金立光德成宇俊慧娟霞燕萍波勇雪梅琴冬晨晶婷欣佳思安福和清泉新生民世中正善美月元亮昌益友仁秋丹"

# Traditional -> simplified for the characters used in unit, town and alias names.
TRAD2SIMP = str.maketrans({
    "區": "区", "東": "东", "華": "华", "園": "园", "灣": "湾", "興": "兴", "龍": "龙",
    "錦": "锦", "橋": "桥", "鳳": "凤", "鳴": "鸣", "長": "长", "樂": "乐", "雙": "双",
    "頭": "头", "濱": "滨", "學": "学", "楓": "枫", "曉": "晓", "壩": "坝", "楊": "杨",
    "馬": "马", "豐": "丰", "雲": "云", "鎮": "镇", "會": "会", "門": "门", "陽": "阳",
    "鄉": "乡", "臺": "台", "達": "达", "業": "业",
})

COUNT_FIELDS = [
    "new_confirmed", "new_suspected", "new_asymptomatic", "close_contacts",
    "returnees_registered", "home_isolation", "central_isolation", "fever_cases", "tests_done",
]

# Header texts per town form (the ingest matches them by synonym after normalisation).
TOWN1_HEADER_TOP = ["單位", "新增", None, None, "密切接觸者", "返鄉人員登記", "居家隔離", "集中隔離",
                    "發熱人員", "核酸檢測", "是否零報告", "填報人", "帶班領導", "報送時間"]
TOWN1_HEADER_SUB = [None, "確診", "疑似", "無癥狀", None, None, None, None, None, "人數",
                    None, None, None, None]
TOWN1_VERTICAL = ["A", "E", "F", "G", "H", "I", "K", "L", "M", "N"]  # merged rows 2-3

TOWN2_COLUMNS = [  # (field, header) in file order
    ("report_date", "填报日期"), ("unit", "报送单位"), ("zero_report", "零报告"),
    ("new_confirmed", "新增确诊病例"), ("new_suspected", "新增疑似病例"),
    ("new_asymptomatic", "新增无症状感染者"), ("close_contacts", "密接"),
    ("fever_cases", "发热病人"), ("returnees_registered", "新增返乡人员"),
    ("home_isolation", "居家健康监测"), ("central_isolation", "集中隔离"),
    ("tests_done", "核酸检测人数"), ("reporter", "填报人"), ("duty_leader", "值班领导"),
    ("submitted_at", "上报时间"),
]

TOWN3_COLUMNS = [
    ("unit_code", "單位\n編碼"), ("unit", " 單位名稱 "), ("report_date", " 統計日期 "),
    ("new_confirmed", "新增確診\n（人）"), ("new_suspected", "新增疑似\n（人）"),
    ("new_asymptomatic", "新增無癥狀\n感染者（人）"), ("close_contacts", "密切接触者\n（人）"),
    ("returnees_registered", "返乡人员登记\n（人）"), ("home_isolation", " 居家隔離（人） "),
    ("central_isolation", "集中隔離（人）"), ("fever_cases", "發熱人員\n（人）"),
    ("tests_done", "核酸檢測（人）"), ("zero_report", "是否零報告"), ("reporter", "填报人"),
    ("duty_leader", " 帶班領導 "), ("submitted_at", "報送時間"),
]

TOWN4_COLUMNS = [
    ("unit", "單位名稱"), ("report_date", "日 期"), ("new_confirmed", "新增 確診"),
    ("new_suspected", "新增 疑似"), ("new_asymptomatic", "新增 無癥狀"),
    ("close_contacts", "密切 接觸者"), ("returnees_registered", "返鄉人員 登記"),
    ("home_isolation", "居家 隔離"), ("central_isolation", "集中 隔離"),
    ("fever_cases", "發熱 人員"), ("tests_done", "核酸檢測 人數"), ("zero_report", "零報告"),
    ("reporter", "填報人"), ("duty_leader", "帶班領導"), ("submitted_at", "報送時間"),
]

REGISTRY_HEADER = ["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報", "啟用日期", "停用日期", "別名"]


def simp(text: str) -> str:
    return text.translate(TRAD2SIMP)


# ---------------------------------------------------------------------------
# Model: units, reports, output files
# ---------------------------------------------------------------------------

@dataclass
class Unit:
    code: str
    name: str
    level: str
    parent: str | None
    town: int  # 1..4, 0 for the district
    daily_cell: str | None  # 是 / 否 / None (blank)
    opened_cell: object = None  # date, text or None, as written in the registry
    closed_cell: object = None
    opened: dt.date | None = None
    closed: dt.date | None = None
    aliases: list[str] = field(default_factory=list)
    leaders: list[str] = field(default_factory=list)
    reporter: str = ""
    size: float = 1.0  # scales the counts
    quiet: float = 0.1  # chance of an all-zero day

    @property
    def reports_daily(self) -> bool:
        if self.daily_cell is None:
            return self.level in ("社區", "村")
        return self.daily_cell == "是"

    def expected_days(self) -> list[dt.date]:
        if not self.reports_daily:
            return []
        return [d for d in DAYS
                if (self.opened is None or d >= self.opened) and (self.closed is None or d <= self.closed)]


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


@dataclass
class Sheet:
    name: str
    rows: list = field(default_factory=list)
    kinds: list = field(default_factory=list)  # title|header|data|rejected|total|footer|blank
    merges: list = field(default_factory=list)
    widths: dict = field(default_factory=dict)
    date_format: str = "yyyy/m/d"
    datetime_format: str = "yyyy/m/d h:mm"

    def add(self, kind: str, values) -> int:
        self.rows.append(list(values))
        self.kinds.append(kind)
        return len(self.rows)  # 1-based physical row / record number


@dataclass
class OutFile:
    path: str  # relative to out_dir, forward slashes
    kind: str  # units | daily
    encoding: str  # xlsx | gb18030 | utf-8-sig
    sheets: list[Sheet] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Units and people
# ---------------------------------------------------------------------------

def _name_maker(rng: random.Random):
    used: set[str] = set()

    def make() -> str:
        while True:
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
            name = rng.choice(SURNAMES) + given
            if name not in used and len(set(given)) == len(given):
                used.add(name)
                return name
    return make


def build_units(rng: random.Random) -> tuple[list[Unit], dict]:
    """The registry in order: district, towns, then communities/villages per town."""
    new_name = _name_maker(rng)
    units = [Unit(DISTRICT_CODE, DISTRICT_NAME, "區縣", None, 0, "否")]
    for number, code, name, level in TOWNS:
        units.append(Unit(code, name, level, DISTRICT_CODE, number, "否"))
    for number, town_code, _, level in TOWNS:
        child_level = "村" if level == "鎮" else "社區"
        for i, name in enumerate(COMMUNITIES[number], 1):
            unit = Unit(town_code[:9] + f"{i:03d}", name, child_level, town_code, number,
                        None if name in DAILY_CELL_BLANK else "是")
            # Most units carry a start date from the first wave, typed either way.
            r = rng.random()
            if r < 0.3:
                unit.opened, unit.opened_cell = dt.date(2020, 2, 3), dt.date(2020, 2, 3)
            elif r < 0.6:
                unit.opened, unit.opened_cell = dt.date(2020, 2, 3), "2020/2/3"
            if name == OPENED_NAME:
                unit.opened, unit.opened_cell = OPENED_ON, OPENED_CELL_TEXT
            if name == CLOSED_NAME:
                unit.closed, unit.closed_cell = CLOSED_ON, CLOSED_ON
            if name in ALIAS_CELLS:
                unit.aliases = [a.strip() for a in ALIAS_SPLIT.split(ALIAS_CELLS[name]) if a.strip()]
            unit.leaders = [new_name() for _ in range(3)]
            unit.reporter = new_name()
            unit.size = rng.uniform(0.6, 1.6)
            unit.quiet = rng.uniform(0.15, 0.35) if child_level == "村" else rng.uniform(0.04, 0.18)
            units.append(unit)
    # Town office staff for the footers of town 1 and nothing else.
    staff = {number: (new_name(), new_name()) for number, *_ in TOWNS}
    return units, staff


def reporting_units(units: list[Unit], town: int | None = None) -> list[Unit]:
    return [u for u in units if u.level in ("社區", "村") and (town is None or u.town == town)]


# ---------------------------------------------------------------------------
# Defect plan
# ---------------------------------------------------------------------------

@dataclass
class Plan:
    missing: list = field(default_factory=list)  # (code, day)
    streak: tuple | None = None  # (code, start, end)
    late: dict = field(default_factory=dict)  # (code, day) -> submitted_at
    contradiction: dict = field(default_factory=dict)  # (code, day) -> field
    blank: dict = field(default_factory=dict)  # (code, day) -> [fields]
    resubmission: tuple | None = None  # (code, day)
    rejected: dict = field(default_factory=dict)  # (code, day) -> (field, raw value)
    unknown: list = field(default_factory=list)  # (town, day)


def plan_defects(rng: random.Random, units: list[Unit]) -> Plan:
    """Choose which unit-days carry which defect. Every defect gets its own unit-day, and
    missing days are kept at least three days apart from any other missing day of the
    same unit so only the planned streak is a streak. The closed and the newly opened
    units stay clean so their boundaries are the only thing they exercise."""
    plan = Plan()
    used: set = set()  # unit-days already carrying something
    eligible = {
        town: [(u.code, d) for u in reporting_units(units, town)
               if u.name not in (CLOSED_NAME, OPENED_NAME) for d in u.expected_days()]
        for town in (1, 2, 3, 4)
    }

    def take(town: int, days_clear: int = 0):
        while True:
            code, day = rng.choice(eligible[town])
            around = [(code, day + dt.timedelta(days=k)) for k in range(-days_clear, days_clear + 1)]
            if all(key not in used for key in around):
                used.update(around)
                return code, day

    # A unit silent four days in a row, in town 3 or 4.
    town = rng.choice([3, 4])
    while True:
        code, start = rng.choice(eligible[town])
        if dt.date(2021, 1, 13) <= start <= dt.date(2021, 2, 1):
            break
    streak = [start + dt.timedelta(days=k) for k in range(4)]
    plan.streak = (code, streak[0], streak[-1])
    plan.missing += [(code, d) for d in streak]
    used.update((code, start + dt.timedelta(days=k)) for k in range(-3, 7))
    # Two single missing days per town.
    for town in (1, 1, 2, 2, 3, 3, 4, 4):
        plan.missing.append(take(town, days_clear=3))
    plan.missing.sort()

    for town in (1, 2, 3, 4, 2, 4):
        key = take(town)
        minutes = rng.randrange(25, 32 * 60, 5)  # 09:25 next day .. the day after
        plan.late[key] = dt.datetime.combine(key[1], dt.time(9, 0)) + dt.timedelta(days=1, minutes=minutes)
    for town in (1, 3, 4, 2):
        plan.contradiction[take(town)] = rng.choice(
            ["returnees_registered", "home_isolation", "fever_cases", "tests_done"])
    for town, n in ((1, 1), (2, 1), (2, 2), (3, 1)):
        plan.blank[take(town)] = sorted(rng.sample(COUNT_FIELDS[3:], n), key=COUNT_FIELDS.index)
    plan.resubmission = take(2)
    # Rejected rows: one unreadable row per form; its unit-day also gets a valid row.
    plan.rejected[take(2)] = ("returnees_registered", "若干")
    plan.rejected[take(3)] = ("report_date", "2021-02-30")
    plan.rejected[take(4)] = ("home_isolation", 3.5)
    plan.unknown = [(town, rng.choice(DAYS)) for town in (1, 2, 3)]
    return plan


# ---------------------------------------------------------------------------
# Report contents
# ---------------------------------------------------------------------------

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
    new_name = _name_maker(rng)
    for town, day in plan.unknown:
        counts = _counts(rng, Unit("", "", "社區", None, town, None, quiet=0.0), day)
        _ensure_positive(counts)
        reports.append(Report(None, day, counts, False, new_name(), new_name(), _on_time(rng, day),
                              role="unknown", raw_name=UNKNOWN_NAMES[town]))
    return reports


# ---------------------------------------------------------------------------
# Writers: registry and one per town form
# ---------------------------------------------------------------------------

def _cn_date(d: dt.date, year: bool = True) -> str:
    return (f"{d.year}年" if year else "") + f"{d.month}月{d.day}日"


def _week_label(days: list[dt.date]) -> str:
    return f"{_cn_date(days[0])}-{_cn_date(days[-1], year=False)}"


def _weeks() -> list[list[dt.date]]:
    return [DAYS[i:i + 7] for i in range(0, len(DAYS), 7)]


def write_registry(units: list[Unit]) -> OutFile:
    sheet = Sheet("單位名錄", date_format="yyyy-mm-dd")
    sheet.add("title", [f"{DISTRICT_NAME}疫情防控報送單位名錄"])
    sheet.merges.append(f"A1:{get_column_letter(len(REGISTRY_HEADER))}1")
    sheet.add("header", REGISTRY_HEADER)
    for u in units:
        sheet.add("data", [u.code, u.name, u.level, u.parent, u.daily_cell, u.opened_cell,
                           u.closed_cell, ALIAS_CELLS.get(u.name)])
    sheet.widths = {"A": 16, "B": 14, "H": 34}
    return OutFile("units/單位名錄.xlsx", "units", "xlsx", [sheet])


def _town_reports(reports: list[Report], town: int) -> list[Report]:
    order = {"rejected": 0, "normal": 1, "correction": 1, "unknown": 2}
    rows = [r for r in reports if (r.unit.town if r.unit else _unknown_town(r)) == town]
    return sorted(rows, key=lambda r: (r.day, r.unit.code if r.unit else "~", order[r.role]))


def _unknown_town(rep: Report) -> int:
    return next(t for t, name in UNKNOWN_NAMES.items() if name == rep.raw_name)


def _row_values(rep: Report, columns: list, values: dict) -> list:
    """The row in file column order; on a rejected row the bad value replaces its field."""
    row = []
    for fld, header in columns:
        if rep.bad and rep.bad[0] == fld:
            rep.bad_header = header.strip()
            row.append(rep.bad[1])
        else:
            row.append(values[fld])
    return row


def write_town1(reports: list[Report], staff: tuple) -> list[OutFile]:
    """東華街道: weekly XLSX, one sheet per day, two-row merged header, date only in the
    title and the sheet name, a 合計 row, a blank row and a footer."""
    _, _, town_name, _ = TOWNS[0]
    mine = _town_reports(reports, 1)
    files = []
    for week in _weeks():
        out = OutFile(f"daily/{town_name}/{town_name}疫情防控日報_{_week_label(week)}.xlsx", "daily", "xlsx")
        for day in week:
            sheet = Sheet(_cn_date(day, year=False))
            ncol = len(TOWN1_HEADER_TOP)
            sheet.add("title", [f"{town_name}疫情防控日報表({_cn_date(day)})"])
            sheet.add("header", TOWN1_HEADER_TOP)
            sheet.add("header", TOWN1_HEADER_SUB)
            last = get_column_letter(ncol)
            sheet.merges += [f"A1:{last}1", "B2:D2"] + [f"{c}2:{c}3" for c in TOWN1_VERTICAL]
            totals = [0] * 9
            for rep in (r for r in mine if r.day == day):
                rep.written_name = rep.unit.name if rep.unit else rep.raw_name
                counts = [rep.counts[f] for f in COUNT_FIELDS]
                totals = [t + (v or 0) for t, v in zip(totals, counts)]
                row = sheet.add("data", [rep.written_name, *counts, "是" if rep.zero else "否",
                                         rep.reporter, rep.leader, rep.submitted_at])
                rep.loc = (out.path, sheet.name, row)
            sheet.add("total", ["合計", *totals])
            sheet.add("blank", [])
            sheet.add("footer", [f"填表人：{staff[0]}    審核人：{staff[1]}"])
            sheet.widths = {"A": 12, "K": 11, "N": 17}
            out.sheets.append(sheet)
        files.append(out)
    return files


def _town2_name(rng: random.Random, unit: Unit) -> str:
    """Registered name, simplified, without 社區, with a stray space, or (for units with
    registered aliases) a simplified alias."""
    r = rng.random()
    name = simp(unit.name)
    if unit.aliases and r < 0.2:
        return simp(rng.choice(unit.aliases))
    if r < 0.30:
        return unit.name
    if r < 0.60:
        return name
    if r < 0.78:
        return (name if rng.random() < 0.6 else unit.name)[:-2]
    pos = rng.randint(1, len(name) - 1)
    return name[:pos] + (" " if rng.random() < 0.5 else "\u3000") + name[pos:]


def _town2_date(rng: random.Random, d: dt.date) -> str:
    form = rng.choices(range(5), weights=[30, 15, 15, 25, 15])[0]
    return [f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}", d.strftime("%Y%m%d"),
            _cn_date(d), _cn_date(d, year=False)][form]


FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def _town2_count(rng: random.Random, v) -> str:
    if v is None:
        return ""
    if v == 0:
        return rng.choices(["0", "零", "无", "-", "—", "/"], weights=[50, 10, 10, 12, 8, 10])[0]
    r = rng.random()
    if r < 0.7:
        return str(v)
    return str(v).translate(FULL_WIDTH_DIGITS) if r < 0.85 else f"{v}人"


def _town2_row(rng: random.Random, rep: Report) -> list[str]:
    if rep.role == "rejected" or rep.unit is None:
        rep.written_name = rep.unit.name if rep.unit else rep.raw_name
    else:
        rep.written_name = _town2_name(rng, rep.unit)
    t = rep.submitted_at
    values = {
        "report_date": _town2_date(rng, rep.day),
        "unit": rep.written_name,
        "zero_report": "是" if rep.zero else "否",
        "reporter": rep.reporter,
        "duty_leader": rep.leader,
        "submitted_at": f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}",
    }
    for f in COUNT_FIELDS:
        values[f] = _town2_count(rng, rep.counts[f])
    return _row_values(rep, TOWN2_COLUMNS, values)


def write_town2(reports: list[Report], rng: random.Random) -> list[OutFile]:
    """龍興街道: weekly CSV in GB18030, simplified synonyms, mixed date and number forms,
    unit names in variant forms; a separate correction file for the resubmission."""
    _, _, town_name, _ = TOWNS[1]
    short = simp(town_name)
    mine = _town_reports(reports, 2)
    header = [h for _, h in TOWN2_COLUMNS]
    files = []
    for week in _weeks():
        iso_week = week[0].isocalendar().week
        out = OutFile(f"daily/{town_name}/{short}日报_{week[0].year}年第{iso_week}周.csv", "daily", "gb18030")
        sheet = Sheet("")
        sheet.add("header", header)
        for rep in (r for r in mine if r.day in week and r.role != "correction"):
            row = sheet.add("rejected" if rep.role == "rejected" else "data", _town2_row(rng, rep))
            rep.loc = (out.path, "", row)
        out.sheets.append(sheet)
        files.append(out)
    for rep in (r for r in mine if r.role == "correction"):
        out = OutFile(f"daily/{town_name}/{short}日报_更正_{_cn_date(rep.day)}.csv", "daily", "gb18030")
        sheet = Sheet("")
        sheet.add("header", header)
        rep.loc = (out.path, "", sheet.add("data", _town2_row(rng, rep)))
        out.sheets.append(sheet)
        files.append(out)
    return files


def write_town3(reports: list[Report], rng: random.Random) -> list[OutFile]:
    """南湖街道: one UTF-8-with-BOM CSV for the whole period, a title line, a header with
    spaces, full-width brackets and line breaks in cells, a code column, ISO dates and
    some Excel serial numbers as text."""
    _, _, town_name, _ = TOWNS[2]
    out = OutFile(f"daily/{town_name}/{town_name}疫情防控日报汇总_{_cn_date(DAYS[0])}-{_cn_date(DAYS[-1], year=False)}.csv",
                  "daily", "utf-8-sig")
    sheet = Sheet("")
    ncol = len(TOWN3_COLUMNS)
    sheet.add("title", [f"{town_name}疫情防控日报汇总"] + [""] * (ncol - 1))
    sheet.add("header", [h for _, h in TOWN3_COLUMNS])
    for rep in _town_reports(reports, 3):
        rep.written_name = rep.unit.name if rep.unit else rep.raw_name
        serial = (rep.day - dt.date(1899, 12, 30)).days
        values = {
            "unit_code": rep.unit.code if rep.unit else UNKNOWN_CODE_TOWN3,
            "unit": rep.written_name,
            "report_date": str(serial) if rng.random() < 0.15 else rep.day.isoformat(),
            "zero_report": "是" if rep.zero else "否",
            "reporter": rep.reporter,
            "duty_leader": rep.leader,
            "submitted_at": rep.submitted_at.strftime("%Y-%m-%d %H:%M"),
        }
        for f in COUNT_FIELDS:
            values[f] = "" if rep.counts[f] is None else str(rep.counts[f])
        row = sheet.add("rejected" if rep.role == "rejected" else "data",
                        _row_values(rep, TOWN3_COLUMNS, values))
        rep.loc = (out.path, "", row)
    out.sheets.append(sheet)
    return [out]


def write_town4(reports: list[Report], units: list[Unit], rng: random.Random) -> list[OutFile]:
    """雲峰鎮: weekly XLSX with one sheet per village, title row, header with spaces in the
    cells, dates as Excel dates or as text, 零報告 as √ or blank."""
    _, _, town_name, _ = TOWNS[3]
    mine = _town_reports(reports, 4)
    files = []
    for week in _weeks():
        out = OutFile(f"daily/{town_name}/{town_name}各村疫情防控日報_{_week_label(week)}.xlsx", "daily", "xlsx")
        for village in reporting_units(units, 4):
            rows = [r for r in mine if r.unit is village and r.day in week]
            if not rows:
                continue  # not open yet that week
            sheet = Sheet(village.name, date_format='yyyy"年"m"月"d"日"')
            sheet.add("title", [f"{village.name}疫情防控日報表"])
            sheet.merges.append(f"A1:{get_column_letter(len(TOWN4_COLUMNS))}1")
            sheet.add("header", [h for _, h in TOWN4_COLUMNS])
            for rep in rows:
                rep.written_name = ALIAS_WRITER[1] if village.name == ALIAS_WRITER[0] else village.name
                values = {
                    "unit": rep.written_name,
                    "report_date": rep.day if rng.random() < 0.6 else _cn_date(rep.day),
                    "zero_report": "√" if rep.zero else None,
                    "reporter": rep.reporter,
                    "duty_leader": rep.leader,
                    "submitted_at": rep.submitted_at,
                }
                values.update(rep.counts)
                row = sheet.add("rejected" if rep.role == "rejected" else "data",
                                _row_values(rep, TOWN4_COLUMNS, values))
                rep.loc = (out.path, sheet.name, row)
            sheet.widths = {"A": 12, "B": 16, "O": 17}
            out.sheets.append(sheet)
        files.append(out)
    return files


# ---------------------------------------------------------------------------
# Saving (deterministic) and the manifest
# ---------------------------------------------------------------------------

def _save_xlsx(out: OutFile, path: pathlib.Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in out.sheets:
        ws = wb.create_sheet(sh.name)
        for r, values in enumerate(sh.rows, 1):
            for c, v in enumerate(values, 1):
                if v is None or v == "":
                    continue  # leave the cell absent: blank, and no stray max_row
                cell = ws.cell(row=r, column=c, value=v)
                if isinstance(v, dt.datetime):
                    cell.number_format = sh.datetime_format
                elif isinstance(v, dt.date):
                    cell.number_format = sh.date_format
        for ref in sh.merges:
            ws.merge_cells(ref)
        for col, width in sh.widths.items():
            ws.column_dimensions[col].width = width
    wb.properties.creator = "清河區疫情防控指揮部辦公室"
    wb.properties.last_modified_by = None
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()  # save_workbook() would stamp "modified" with now()
    # Re-pack with fixed entry timestamps.
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(fixed.getvalue())


def _save_csv(out: OutFile, path: pathlib.Path) -> None:
    (sheet,) = out.sheets
    with open(path, "w", encoding=out.encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")  # what Excel on Windows writes
        for values in sheet.rows:
            writer.writerow(["" if v is None else v for v in values])


def _file_entry(out: OutFile) -> dict:
    kinds = [k for sh in out.sheets for k in sh.kinds]
    data = sum(k in ("data", "rejected") for k in kinds)
    return {
        "path": out.path,
        "kind": out.kind,
        "encoding": out.encoding,
        "sheets": [sh.name for sh in out.sheets],
        "rows_read": len(kinds),
        "data_rows": data,
        "not_data_rows": len(kinds) - data,
        "rejected_rows": kinds.count("rejected"),
    }


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
        "files": sorted((_file_entry(f) for f in files), key=lambda e: e["path"]),
        "defects": defects,
        "resubmissions": resub_list,
        "aliases": sorted(aliases, key=by_loc),
        "closed_unit": {"unit_code": closed.code, "closed_on": closed.closed.isoformat()},
        "opened_unit": {"unit_code": opened.code, "opened_on": opened.opened.isoformat()},
    }


def generate(out_dir: pathlib.Path, seed: int = 20210111, clean: bool = False) -> dict:
    """Write the demo district's input files and manifest.json under out_dir.

    clean=True writes the same district with no injected defect (no missing, late,
    contradictory, blank, unknown-unit or unreadable rows, no resubmission): a drop on which
    the checks must find nothing."""
    out_dir = pathlib.Path(out_dir)
    units, staff = build_units(random.Random(seed))
    plan = Plan() if clean else plan_defects(random.Random(seed + 1), units)
    reports = build_reports(random.Random(seed + 2), units, plan)
    files = [write_registry(units)]
    files += write_town1(reports, staff[1])
    files += write_town2(reports, random.Random(seed + 3))
    files += write_town3(reports, random.Random(seed + 4))
    files += write_town4(reports, units, random.Random(seed + 5))
    for out in files:
        path = out_dir / out.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if out.encoding == "xlsx":
            _save_xlsx(out, path)
        else:
            _save_csv(out, path)
    manifest = build_manifest(seed, units, plan, reports, files)
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the 清河區 demo input files and manifest.json.")
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=20210111)
    parser.add_argument("--clean", action="store_true", help="no injected defects")
    args = parser.parse_args(argv)
    manifest = generate(args.out_dir, args.seed, clean=args.clean)
    for f in manifest["files"]:
        print(f"{f['path']}: {f['rows_read']} rows ({f['data_rows']} data, "
              f"{f['not_data_rows']} not data, {f['rejected_rows']} rejected)")
    print({k: len(v) for k, v in manifest["defects"].items()})


if __name__ == "__main__":
    main()
