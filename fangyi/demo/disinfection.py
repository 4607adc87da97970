"""Kind disinfection: the demo district's disinfection logs and its places to disinfect.

Three files under 消毒記錄/ (a folder that sorts after every other demo folder, so the other
files keep their file ids):
- 消毒點位名錄.xlsx (kind disinfection_places): a title row, then one row per place with its
  frequency: a community's compound (每日一次), a lobby closed on 2021-01-31, and a property
  manager's lift (每2小時, opened 2021-01-25);
- <community>小區消毒記錄表_2021年1月11日-2月7日.xlsx: the compound's daily log, with a merged title
  row, dates written 2021年1月11日, the place written without its suffix (桃源 for 桃源小區), the
  lobby's rows up to its closing, and a footer naming the supervisor;
- 物業電梯消毒記錄_2021年.csv (GBK, written as its superset GB18030: the same bytes for these
  characters): the lift's two-hourly log from its opening day, dates
  written 1月25日 (the year in the title), times as people write them (8:00, 10:05, 12時,
  下午2點, 16時10分, 18:00).
Injected (not with clean=True): the compound has no record on MISSING_DAY, and the lift none in
the 14:00-16:00 slot of MISSING_SLOT_DAY; `injected()` gives them for the manifest."""
from __future__ import annotations

import datetime as dt

from openpyxl.utils import get_column_letter

from .district import DAYS, PERIOD_END
from .files import OutFile, Sheet

FOLDER = "消毒記錄"
COMPOUND, COMPOUND_WRITTEN, LOBBY, LIFT = "桃源小區", "桃源", "社區服務中心大堂", "1號樓電梯"
LOBBY_CLOSED = dt.date(2021, 1, 31)
LIFT_OPENED = dt.date(2021, 1, 25)
MISSING_DAY = dt.date(2021, 1, 20)
MISSING_SLOT_DAY, MISSING_SLOT = dt.date(2021, 2, 2), ("14:00", "16:00")
# the lift's two-hourly times as the property manager writes them, one per slot of 08:00-20:00
LIFT_TIMES = ("8:00", "10:05", "12時", "下午2點", "16時10分", "18:00")
OPERATORS = ("歐陽春生", "皇甫秀英")
SUPERVISOR, LIFT_OPERATOR, LIFT_SUPERVISOR = "司馬秋月", "上官大勇", "諸葛小花"
AGENTS = ("84消毒液 1:100", "含氯消毒液 500mg/L")


def _units(units: list):
    """The community whose compound is logged (town 1) and the one the lift is in (town 3)."""
    daily = [u for u in units if u.reports_daily and u.level in ("社區", "村") and not u.closed
             and (u.opened is None or u.opened <= DAYS[0])]
    return next(u for u in daily if u.town == 1), next(u for u in daily if u.town == 3)


def injected(units: list, clean: bool = False) -> list[dict]:
    """The disinfection_missed cases the demo plants: a missing day and a missing 2-hour slot."""
    if clean:
        return []
    compound, lift = _units(units)
    return [{"unit_code": compound.code, "date": MISSING_DAY.isoformat(), "place": COMPOUND, "judged_by": "day",
             "slot_start": None},
            {"unit_code": lift.code, "date": MISSING_SLOT_DAY.isoformat(), "place": LIFT, "judged_by": "slot",
             "slot_start": MISSING_SLOT[0]}]


def write(rng, units: list, clean: bool = False) -> tuple[list[OutFile], dict]:
    """The places sheet and the two logs, and the manifest's section: the injected cases."""
    compound, lift = _units(units)
    files = [_places(compound, lift), _compound_log(rng, compound, clean), _lift_log(rng, lift, clean)]
    return files, {"defects": {"disinfection_missed": injected(units, clean)},
                   "places": [COMPOUND, LOBBY, LIFT], "lobby_closed_on": LOBBY_CLOSED.isoformat(),
                   "lift_opened_on": LIFT_OPENED.isoformat()}


def _places(compound, lift) -> OutFile:
    out = OutFile(f"{FOLDER}/消毒點位名錄.xlsx", "disinfection_places", "xlsx")
    sheet = Sheet("點位")
    header = ["序號", "所屬社區", "單位編碼", "消毒場所", "頻次", "啟用日期", "停用日期"]
    sheet.add("title", ["清河區疫情防控公共場所消毒點位名錄"])
    sheet.merges.append(f"A1:{get_column_letter(len(header))}1")
    sheet.add("header", header)
    sheet.add("data", [1, compound.name, compound.code, COMPOUND, "每日一次", None, None])
    sheet.add("data", [2, compound.name, compound.code, LOBBY, "每日一次", None, LOBBY_CLOSED])
    sheet.add("data", [3, lift.name, lift.code, LIFT, "每2小時", LIFT_OPENED, None])
    sheet.widths = {"B": 12, "D": 18}
    out.sheets.append(sheet)
    return out


def _compound_log(rng, compound, clean: bool) -> OutFile:
    out = OutFile(f"{FOLDER}/{compound.name}小區消毒記錄表_2021年1月11日-2月7日.xlsx", "disinfection", "xlsx")
    sheet = Sheet("消毒記錄")
    header = ["日期", "社區", "單位編碼", "消毒場所", "消毒時間", "消毒劑", "消毒人員", "監督人"]
    sheet.add("title", [f"{compound.name}疫情防控公共區域消毒記錄表（一日一消毒）"])
    sheet.merges.append(f"A1:{get_column_letter(len(header))}1")
    sheet.add("header", header)
    for day in DAYS:
        written = f"{day.year}年{day.month}月{day.day}日"
        if clean or day != MISSING_DAY:
            sheet.add("data", [written, compound.name, "", COMPOUND_WRITTEN, "", AGENTS[0], rng.choice(OPERATORS),
                               SUPERVISOR])
        if day <= LOBBY_CLOSED:
            sheet.add("data", [written, compound.name, "", LOBBY, f"{rng.choice((9, 10, 15))}:{rng.choice(('00', '30'))}",
                               AGENTS[0], rng.choice(OPERATORS), SUPERVISOR])
    sheet.add("footer", [f"填表人：{OPERATORS[0]}　審核人：{SUPERVISOR}"])
    sheet.widths = {"A": 16, "C": 18}
    out.sheets.append(sheet)
    return out


def _lift_log(rng, lift, clean: bool) -> OutFile:
    out = OutFile(f"{FOLDER}/物業電梯消毒記錄_2021年.csv", "disinfection", "gb18030")
    sheet = Sheet("")
    header = ["小區所屬社區", "單位編碼", "消毒點位", "日期", "時間", "消毒液", "消毒人", "檢查人"]
    sheet.add("title", ["錦繡物業疫情防控電梯消毒記錄（2021年，每2小時一次）"] + [""] * (len(header) - 1))
    sheet.add("header", header)
    day = LIFT_OPENED
    while day <= PERIOD_END:
        for time in LIFT_TIMES:
            if not clean and day == MISSING_SLOT_DAY and time == "下午2點":
                continue
            sheet.add("data", [lift.name, "", LIFT, f"{day.month}月{day.day}日", time, AGENTS[1], LIFT_OPERATOR,
                               LIFT_SUPERVISOR])
        day += dt.timedelta(days=1)
    out.sheets.append(sheet)
    return out
