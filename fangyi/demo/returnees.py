"""Returnee registers and tests (kinds returnees, returnee_tests) for the demo district, in the
two forms villages keep them, for the last two weeks of the period (2021-01-25 .. 2021-02-07):

- 雲峰鎮 (town 4): an XLSX register with one sheet per village and a merged title row, the tests
  as its columns (入戶核酸, 第7天核酸, 第14天核酸) holding a date and a result (1月27日 陰性);
- 龍興街道 (town 2): a GB18030 CSV register in simplified characters with a unit column (one
  community written by its registered alias), and the tests as rows of their own XLSX sheet,
  matched by identity number or, where it is left out, by phone.

Each unit-day's registrations are exactly the 返鄉人員登記 of the unit's daily report in force
(fangyi.demo.daily.Report), so returnee_count_mismatch finds only its one injected case. A
returnee arrives on the morning of the day registered, notified a day or more before, with a
certificate from the days before; each test is written on its day or one day late (which
counts), and tests whose day falls after the period are not written (not yet due).

Injected (not with --clean), one case per check: a notice ten hours before arrival, a
registration two days after arrival (dates only), no certificate and no test on arrival, a
missing day-7 test, a positive test with no disposal, a test of someone not in the register,
and one register row more than the report's count; plus an identity number Excel turned into
a number, typed again correctly on the next row (the mangled row is rejected)."""
from __future__ import annotations

import datetime as dt
import random

from .district import PERIOD_END, cn_date, name_maker, reporting_units, simp
from .files import OutFile, Sheet

START = dt.date(2021, 1, 25)
TOWN4_VILLAGES = ("東河村", "龍潭村", "楊柳村")
TOWN2_COMMUNITIES = ("龍泉社區", "興業社區")
ALIAS_WRITTEN = {"龍泉社區": "龍泉居委會"}          # the CSV writes this community by its registered alias
ORIGINS = ("廣東省深圳市寶安區", "廣東省廣州市天河區", "浙江省杭州市西湖區", "上海市浦東新區", "福建省廈門市思明區",
           "江蘇省蘇州市工業園區", "北京市朝陽區", "湖北省武漢市洪山區")
MEDIUM_ORIGIN = "河北省石家莊市藁城區"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
REGISTER_HEADER = ["姓名", "身份證號", "聯繫電話", "從何地返鄉", "風險等級", "報備時間", "返鄉時間", "登記時間",
                   "核酸陰性證明日期", "管理方式", "離開日期", "網格員", "入戶核酸", "第7天核酸", "第14天核酸"]
CSV_HEADER = ["社区(村)", "姓名", "身份证号", "联系电话", "从何地返乡", "风险等级", "报备时间", "返乡时间", "登记时间",
              "核酸阴性证明日期", "管理方式", "离开日期", "网格员"]
TEST_HEADER = ["社區(村)", "姓名", "身份證號", "聯繫電話", "採樣日期", "結果", "處置情況"]


def _id_number(serial: int, birth: dt.date) -> str:
    body = f"440199{birth:%Y%m%d}{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


class _People:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.name = name_maker(rng)
        self.serial = 100
        self.phones: set[str] = set()

    def person(self, unit, day: dt.date, medium: bool = False) -> dict:
        rng = self.rng
        self.serial += 1
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
        while True:
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                break
        arrived = dt.datetime.combine(day, dt.time(7, 0)) + dt.timedelta(minutes=rng.randrange(0, 6 * 60, 5))
        return {
            "unit": unit, "name": self.name(), "id": _id_number(self.serial, birth), "phone": phone,
            "origin": MEDIUM_ORIGIN if medium else rng.choice(ORIGINS), "risk": "中" if medium else rng.choice(["", "低", "低"]),
            "notified": arrived - dt.timedelta(days=rng.randint(1, 4), minutes=rng.randrange(0, 600, 5)),
            "arrived": arrived,
            "registered": arrived + dt.timedelta(minutes=rng.randrange(30, 5 * 60, 5)),
            "cert": day - dt.timedelta(days=rng.randint(1, 6)),
            "management": "居家隔離" if medium else "居家健康監測",
            "departed": None, "grid": None,
            # test days after arrival: medium risk 1, 7, 14; low risk 7, 14; one day late at times
            "tests": {n: day + dt.timedelta(days=n + (1 if rng.random() < 0.15 else 0))
                      for n in ((1, 7, 14) if medium else (7, 14))},
            "results": {}, "dates_only": False, "first_test": None,
        }


def _in_force_counts(district, unit) -> dict[dt.date, int | None]:
    """The unit's 返鄉人員登記 per day in the reports in force (a correction wins); days without a
    report are left out."""
    out: dict[dt.date, int | None] = {}
    for rep in district.reports:
        if rep.unit is None or rep.unit.code != unit.code or rep.role not in ("normal", "correction"):
            continue
        if rep.day in out and rep.role != "correction":
            continue
        out[rep.day] = rep.counts.get("returnees_registered")
    return out


def _cell(day: dt.date, result: str = "陰性") -> str:
    return f"{cn_date(day, year=False)} {result}"


def write_returnees(rng: random.Random, units: list, district=None) -> tuple[list[OutFile], dict]:
    clean = district is None or district.clean
    by_name = {u.name: u for u in reporting_units(units)}
    people = _People(rng)
    registers: dict[str, list[dict]] = {}
    days = [START + dt.timedelta(days=i) for i in range((PERIOD_END - START).days + 1)]
    for name in TOWN4_VILLAGES + TOWN2_COMMUNITIES:
        unit = by_name[name]
        counts = _in_force_counts(district, unit) if district is not None else {}
        rows = []
        for day in days:
            n = counts.get(day)
            for _ in range(n or 0):
                rows.append(people.person(unit, day, medium=rng.random() < 0.06))
        registers[name] = rows
    # a returnee without a certificate tested on arriving: no finding (the rule met)
    first = [p for p in registers["龍潭村"] if p["risk"] != "中"][-1]
    first["cert"], first["first_test"] = None, first["arrived"].date()

    defects: dict[str, list] = {k: [] for k in (
        "returnee_late_notice", "returnee_late_registration", "returnee_no_certificate", "returnee_test_missed",
        "returnee_positive", "returnee_test_unmatched", "returnee_count_mismatch",
        "gathering_attendee_under_management")}
    mangled = None
    extra_test = None
    if not clean:
        low = lambda rows: [p for p in rows if p["risk"] != "中" and p["arrived"].date() <= dt.date(2021, 1, 29)]  # noqa: E731
        p = low(registers["東河村"])[0]
        p["notified"] = p["arrived"] - dt.timedelta(hours=10)
        p["case"] = "returnee_late_notice"
        p = low(registers["龍泉社區"])[1]
        p["arrived"] = p["arrived"] - dt.timedelta(days=2)
        p["dates_only"] = True
        p["notified"] = p["arrived"] - dt.timedelta(days=2)
        p["cert"] = p["arrived"].date() - dt.timedelta(days=2)
        p["tests"] = {n: p["arrived"].date() + dt.timedelta(days=n) for n in (7, 14)}
        p["case"] = "returnee_late_registration"
        p = low(registers["楊柳村"])[1]
        p["cert"] = None
        p["case"] = "returnee_no_certificate"
        p = low(registers["興業社區"])[0]
        del p["tests"][7]
        p["case"] = "returnee_test_missed"
        p = low(registers["興業社區"])[2]
        p["results"][7] = "陽性"
        p["case"] = "returnee_positive"
        # one register row more than the report's count that day
        unit = by_name["東河村"]
        day = next(d for d, n in sorted(_in_force_counts(district, unit).items())
                   if d >= dt.date(2021, 1, 27) and n is not None and n > 0)
        p = people.person(unit, day)
        registers["東河村"].append(p)
        registers["東河村"].sort(key=lambda q: q["registered"])
        p["case"] = "returnee_count_mismatch"
        defects["returnee_count_mismatch"].append({"unit_code": unit.code, "date": day.isoformat(), "name": None})
        mangled = low(registers["龍潭村"])[2]
        assert mangled is not first
        extra_test = ("興業社區", people.name(), "13912345678", dt.date(2021, 2, 2))
        # a guest of 吳春花's family dinner (the attendee list of the gatherings demo) returned to 龍潭村
        # less than 14 days before it: gathering_attendee_under_management
        from .gatherings import ATTENDEES, FAMILY_DINNER

        guest = next(a for a in ATTENDEES if a[0] == "陳麗")
        p = next(q for q in low(registers["龍潭村"]) + [q for q in registers["龍潭村"] if q["risk"] != "中"]
                 if FAMILY_DINNER - dt.timedelta(days=13) <= q["arrived"].date() < FAMILY_DINNER
                 and not q.get("case") and q is not first and q is not mangled)
        p["name"], p["id"], p["phone"] = guest[0], guest[1], guest[2].replace("+86 ", "")
        defects["gathering_attendee_under_management"].append(
            {"unit_code": by_name["馬頭村"].code, "date": FAMILY_DINNER.isoformat(), "name": guest[0]})

    files = [_town4_register(registers, defects, mangled), _town2_register(registers, defects, by_name)]
    files.append(_town2_tests(registers, defects, extra_test, by_name))
    for p in (q for rows in registers.values() for q in rows):
        case = p.get("case")
        if case in ("returnee_late_notice", "returnee_no_certificate", "returnee_test_missed",
                    "returnee_late_registration"):
            date = {"returnee_late_notice": p["arrived"].date(),
                    "returnee_late_registration": p["registered"].date(),
                    "returnee_no_certificate": p["registered"].date(),
                    "returnee_test_missed": p["arrived"].date() + dt.timedelta(days=7)}[case]
            defects[case].append({"unit_code": p["unit"].code, "date": date.isoformat(), "name": p["name"],
                                  **p["loc"]})
    for key in defects:
        defects[key].sort(key=lambda e: (e["unit_code"], e["date"]))
    section = {"defects": defects,
               "rejected": ([{**mangled["mangled_loc"], "column": "身份證號", "name": mangled["name"]}]
                            if mangled else []),
               "units": sorted(by_name[n].code for n in TOWN4_VILLAGES + TOWN2_COMMUNITIES),
               "returnees": sum(len(r) for r in registers.values())}
    return files, section


def _register_row(p: dict, written_tests: bool) -> list:
    dates_only = p["dates_only"]
    stamp = (lambda t: t.date()) if dates_only else (lambda t: t)
    row = [p["name"], p["id"], p["phone"], p["origin"], p["risk"], stamp(p["notified"]), stamp(p["arrived"]),
           stamp(p["registered"]), p["cert"] if p["cert"] else "無", p["management"], p["departed"], p["grid"]]
    if written_tests:
        cells = []
        first = p["tests"].get(1) or p["first_test"]
        cells.append(_cell(first) if first else None)
        for n in (7, 14):
            day = p["tests"].get(n)
            cells.append(_cell(day, p["results"].get(n, "陰性")) if day and day <= PERIOD_END else None)
        row += cells
    return row


def _town4_register(registers, defects, mangled) -> OutFile:
    path = "returnees/雲峰鎮/雲峰鎮各村返鄉人員健康管理臺賬_2021年1月25日-2月7日.xlsx"
    out = OutFile(path, "returnees", "xlsx")
    for village in TOWN4_VILLAGES:
        sheet = Sheet(village, date_format="yyyy/m/d", datetime_format="yyyy/m/d h:mm")
        sheet.add("title", [f"{village}返鄉人員健康管理臺賬（2021年1月25日-2月7日）"])
        sheet.merges.append(f"A1:{chr(ord('A') + len(REGISTER_HEADER) - 1)}1")
        sheet.add("header", REGISTER_HEADER)
        for p in registers[village]:
            p["grid"] = "網格員" + village[:2]
            if p is mangled:
                bad = _register_row(p, True)
                bad[1] = float(p["id"][:15] + "000")     # what Excel keeps of a number typed in a number cell
                row = sheet.add("rejected", bad)
                p["mangled_loc"] = {"file": path, "sheet": village, "row": row}
            row = sheet.add("data", _register_row(p, True))
            p["loc"] = {"file": path, "sheet": village, "row": row}
        sheet.add("blank", [])
        sheet.add("footer", ["填表人：", None, None, "審核人："])
        out.sheets.append(sheet)
    return out


def _fmt(t, dates_only: bool) -> str:
    return t.strftime("%Y-%m-%d") if dates_only else t.strftime("%Y-%m-%d %H:%M")


def _town2_register(registers, defects, by_name) -> OutFile:
    path = "returnees/龍興街道/龙兴街道返乡人员登记台账_2021年1月25日-2月7日.csv"
    out = OutFile(path, "returnees", "gb18030")
    sheet = Sheet("")
    sheet.add("header", CSV_HEADER)
    rows = sorted((p for c in TOWN2_COMMUNITIES for p in registers[c]), key=lambda q: (q["registered"], q["id"]))
    for p in rows:
        name = p["unit"].name
        p["grid"] = "網格員" + name[:2]
        row = sheet.add("data", [simp(ALIAS_WRITTEN.get(name, name)), p["name"], p["id"], p["phone"],
                                 simp(p["origin"]), p["risk"], _fmt(p["notified"], p["dates_only"]),
                                 _fmt(p["arrived"], p["dates_only"]), _fmt(p["registered"], p["dates_only"]),
                                 p["cert"].isoformat() if p["cert"] else "无", simp(p["management"]), "",
                                 simp(p["grid"])])
        p["loc"] = {"file": path, "sheet": "", "row": row}
    out.sheets.append(sheet)
    return out


def _town2_tests(registers, defects, extra_test, by_name) -> OutFile:
    path = "returnees/龍興街道/龍興街道返鄉人員核酸檢測登記表_2021年1月25日-2月7日.xlsx"
    out = OutFile(path, "returnee_tests", "xlsx")
    sheet = Sheet("核酸檢測", date_format="yyyy/m/d")
    sheet.add("title", ["龍興街道返鄉人員核酸檢測登記表"])
    sheet.merges.append(f"A1:{chr(ord('A') + len(TEST_HEADER) - 1)}1")
    sheet.add("header", TEST_HEADER)
    tests = []
    for community in TOWN2_COMMUNITIES:
        for i, p in enumerate(registers[community]):
            for n, day in sorted(p["tests"].items()):
                if day <= PERIOD_END:
                    tests.append((day, p, n, i))
    tests.sort(key=lambda t: (t[0], t[1]["id"], t[2]))
    for day, p, n, i in tests:
        by_phone = i % 5 == 3                       # the identity number left out: matched by phone
        result = p["results"].get(n, "陰性")
        row = sheet.add("data", [p["unit"].name, p["name"], None if by_phone else p["id"], p["phone"], day, result,
                                 None])
        if result == "陽性":
            defects["returnee_positive"].append({"unit_code": p["unit"].code, "date": day.isoformat(),
                                                 "name": p["name"], "file": path, "sheet": sheet.name, "row": row})
    if extra_test:
        community, name, phone, day = extra_test
        row = sheet.add("data", [community, name, None, phone, day, "陰性", None])
        defects["returnee_test_unmatched"].append({"unit_code": by_name[community].code, "date": day.isoformat(),
                                                   "name": name, "file": path, "sheet": sheet.name, "row": row})
    sheet.add("footer", ["填表人：", None, None, "審核人："])
    out.sheets.append(sheet)
    return out
