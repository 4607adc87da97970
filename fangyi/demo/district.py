"""The invented district: its period, towns, communities and villages, their aliases and
people, the registry's units, and the plan of which unit-days carry which defect."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# Plain data: period, district, towns, units, names
# ---------------------------------------------------------------------------

PERIOD_START = dt.date(2021, 1, 11)  # Monday
PERIOD_END = dt.date(2021, 2, 7)  # Sunday
DAYS = [PERIOD_START + dt.timedelta(days=i) for i in range((PERIOD_END - PERIOD_START).days + 1)]

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

# The count columns of a daily report, in canonical order.
COUNT_FIELDS = [
    "new_confirmed", "new_suspected", "new_asymptomatic", "close_contacts",
    "returnees_registered", "home_isolation", "central_isolation", "fever_cases", "tests_done",
]


def simp(text: str) -> str:
    return text.translate(TRAD2SIMP)


def cn_date(d: dt.date, year: bool = True) -> str:
    return (f"{d.year}年" if year else "") + f"{d.month}月{d.day}日"


def week_label(days: list[dt.date]) -> str:
    return f"{cn_date(days[0])}-{cn_date(days[-1], year=False)}"


def weeks() -> list[list[dt.date]]:
    return [DAYS[i:i + 7] for i in range(0, len(DAYS), 7)]


# ---------------------------------------------------------------------------
# Units and people
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


def name_maker(rng: random.Random):
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
    new_name = name_maker(rng)
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
