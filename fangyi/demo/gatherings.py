"""Gatherings (kinds gatherings and gathering_attendees) for the demo district: the registers of
events the towns keep (聚集性活動報備登記表) and one event's attendee list.

- 雲峰鎮 sends an XLSX register with a merged title row giving the year, an event number column,
  dates written 1月16日 (the year from the title) or as date cells, one village by its alias
  (壩上村 for 石壩村) and a footer;
- 南湖街道 sends a GB18030 CSV in simplified characters with a title row, a 合计 row and a
  footer;
- 雲峰鎮 also sends the attendee list of one family dinner, naming its event by its number, with
  the date in the title.

One injected case of each gathering check: a wedding of 65 (gathering_over_limit), a 滿月酒
approved the day after it was held (gathering_not_in_advance), an opening ceremony without the
town's approval (gathering_unapproved), and a wedding inside the banquet ban that the manifest
gives (gathering_banned: no ban is set by default, so the demo is checked with
`[[gatherings.banquet_ban]]` = manifest["gatherings"]["banquet_ban"] to find it). Every other
event is within the rules: weddings and funerals reported days before, other events approved
before, family dinners of 10 or fewer, no banquet inside the ban. With clean=True the four
injected rows are written within the rules too.

The events and people are fixed (the random generator is not needed), so the files do not change
when other kinds' demos do. The files go under 活動報備/, which sorts after every other demo folder:
the other files keep their file ids."""

from __future__ import annotations

import datetime as dt
import random

from .files import OutFile, Sheet

BANQUET_BAN = {"start": "2021-02-01", "end": "2021-02-07"}    # the demo's [[gatherings.banquet_ban]]

TOWN4_FILE = "活動報備/雲峰鎮/雲峰鎮聚集性活動報備登記表_2021年1月11日-2月7日.xlsx"
TOWN3_FILE = "活動報備/南湖街道/南湖街道聚集性活动报备登记汇总_2021年1月.csv"
ATTENDEE_FILE = "活動報備/雲峰鎮/YF-2021-006馬頭村吳春花家庭聚餐參加人員名單.xlsx"

TOWN4_HEADER = ["序號", "活動編號", "村名", "活動類型", "舉辦日期", "舉辦地點", "組織人", "聯繫電話", "預計人數",
                "實際人數", "報備日期", "審批日期", "審批單位", "備註"]
TOWN3_HEADER = ["社区", "活动类型", "举办日期", "举办地点", "承办人", "联系电话", "预计人数", "实际人数", "报备日期",
                "审批日期", "审批单位"]
ATTENDEE_HEADER = ["序號", "活動編號", "姓名", "身份證號", "聯繫電話"]


def _d(month: int, day: int) -> dt.date:
    return dt.date(2021, month, day)


def _town4(clean: bool) -> list[dict]:
    """雲峰鎮's events: (number, village as written, unit name, type as written, date cell, place,
    organiser, phone, expected, actual, reported, approved, approver, remark, injected check)."""
    rows = [
        ("YF-2021-001", "東河村", "東河村", "婚禮", "1月16日", "東河村張家", "張建國", "13902001001", 45, 42,
         "1月12日", None, None, None, None),
        ("YF-2021-002", "壩上村", "石壩村", "喪事", _d(1, 19), "壩上村李家", "李老四", "13902001002", 30, 35,
         _d(1, 17), None, None, "按簡辦要求", None),
        ("YF-2021-003", "龍潭村", "龍潭村", "壽宴", "1月23日", "龍潭村文化室", "王德順", "13902001003", 40, 38,
         "1月19日", "1月20日", "雲峰鎮人民政府", None, None),
        ("YF-2021-004", "東河村", "東河村", "婚宴", "1月30日", "東河村陳家", "陳國強", "13902001004", 60,
         48 if clean else 65, "1月25日", None, None, None, None if clean else "gathering_over_limit"),
        ("YF-2021-005", "楊柳村", "楊柳村", "開業慶典", "2月2日", "楊柳村農貿店", "周志明", "13902001005", 30, 28,
         "1月31日", "2月1日" if clean else None, "雲峰鎮人民政府" if clean else "無", None,
         None if clean else "gathering_unapproved"),
        ("YF-2021-006", "馬頭村", "馬頭村", "家庭聚餐", FAMILY_DINNER, "馬頭村吳家", "吳春花", "13902001006", 8, 8,
         None, None, None, "家庭聚會，未超10人", None),
        ("YF-2021-007", "橋西村", "橋西村", "白事", "1月27日", "橋西村劉家", "劉大山", "13902001007", 30, 30,
         "1月25日", None, None, None, None),
        ("YF-2021-008", "石壩村", "石壩村", "滿月酒", "1月28日", "石壩村何家", "何小燕", "13902001008", 25, 22,
         "1月24日", "1月26日", "雲峰鎮人民政府", None, None),
    ]
    return [dict(zip(("no", "written", "unit", "type", "date", "place", "organiser", "phone", "expected", "actual",
                      "reported", "approved", "approver", "remark", "check"), r)) for r in rows]


def _town3(clean: bool) -> list[dict]:
    rows = [
        ("湖濱社區", "结婚", "2021/1/17", "湖滨社区活动中心", "赵志刚", "13703003001", 40, 38, "2021/1/14", None, None,
         None),
        ("學府社區", "满月酒", "2021/1/24", "学府社区张家", "孙丽华", "13703003002", 20, 18, "2021/1/20",
         "2021/1/22" if clean else "2021/1/25", "南湖街道办事处", None if clean else "gathering_not_in_advance"),
        ("園丁社區", "白事", "2021/1/20", "园丁社区何家", "何老汉", "13703003003", 35, 33, "2021/1/18", None, None, None),
        ("楓林社區", "寿宴", "2021/1/31", "枫林酒家", "钱老五", "13703003004", 30, 30, "2021/1/26", "2021/1/27",
         "南湖街道办事处", None),
        ("金沙社區", "婚礼", "2021/1/23" if clean else "2021/2/3", "金沙社区郑家", "郑美玲", "13703003005", 40, 36,
         "2021/1/20" if clean else "2021/1/30", None, None, None if clean else "gathering_banned"),
        ("曉陽社區", "升学宴", "2021/2/6", "晓阳饭店", "冯建", "13703003006", 30, 26, "2021/2/1", "2021/2/3",
         "南湖街道办事处", None),
    ]
    return [dict(zip(("unit", "type", "date", "place", "organiser", "phone", "expected", "actual", "reported",
                      "approved", "approver", "check"), r)) for r in rows]


FAMILY_DINNER = dt.date(2021, 2, 4)     # 吳春花's family dinner, the event whose attendee list is sent
ATTENDEES = [   # 吳春花's family dinner (YF-2021-006): name, identity number, phone
    ("吳春花", "440199196803154321", "13902001006"),
    ("馬德福", "44019919650722401X", ""),
    ("吳 小軍", "440199199211084012", "139 0200 1011"),
    ("吳小梅", "", "13902001012"),
    ("馬秀蘭", "440199194512034026", ""),
    ("吳天明", "440199201503214017", ""),
    ("陳麗", "440199199406304021", "+86 13902001013"),
    ("吳奶奶", "", "13902001014"),
]


def _simplified(name: str) -> str:
    from .district import simp

    return simp(name)


def write_gatherings(rng: random.Random, units: list, clean: bool = False) -> list[OutFile]:
    """The three files; the first carries the manifest's section (`manifest`: the injected cases of
    each gathering check with file, sheet and row, and the ban period the demo assumes)."""
    code = {u.name: u.code for u in units}
    defects: dict[str, list[dict]] = {c: [] for c in ("gathering_over_limit", "gathering_not_in_advance",
                                                       "gathering_unapproved", "gathering_banned")}

    # 雲峰鎮: XLSX, merged title, event numbers, dates as text (the year from the title) and cells
    sheet = Sheet("活動報備", date_format="m月d日")
    sheet.add("title", ["雲峰鎮聚集性活動報備登記表（2021年1月11日—2月7日）"] + [None] * (len(TOWN4_HEADER) - 1))
    sheet.merges.append(f"A1:{chr(ord('A') + len(TOWN4_HEADER) - 1)}1")
    sheet.add("header", TOWN4_HEADER)
    for i, e in enumerate(_town4(clean), 1):
        row = sheet.add("data", [i, e["no"], e["written"], e["type"], e["date"], e["place"], e["organiser"], e["phone"],
                                 e["expected"], e["actual"], e["reported"], e["approved"], e["approver"], e["remark"]])
        if e["check"]:
            date = e["date"] if isinstance(e["date"], dt.date) else _d(*map(int, e["date"][:-1].split("月")))
            defects[e["check"]].append({"unit_code": code[e["unit"]], "date": date.isoformat(),
                                        "subject_key": e["organiser"], "file": TOWN4_FILE, "sheet": sheet.name,
                                        "row": row})
    sheet.add("footer", ["填表人：雲峰鎮疫情防控辦 黃曉", None, None, None, None, None, None, None, None, None,
                         "審核人：林志遠"])
    sheet.widths = {"D": 12, "E": 12, "F": 16}
    town4 = OutFile(TOWN4_FILE, "gatherings", "xlsx", [sheet])

    # 南湖街道: GB18030 CSV, simplified, a title row, a 合计 row and a footer
    sheet3 = Sheet("")
    sheet3.add("title", ["南湖街道聚集性活动报备登记汇总（2021年1月11日-2月7日）"] + [""] * (len(TOWN3_HEADER) - 1))
    sheet3.add("header", TOWN3_HEADER)
    events = _town3(clean)
    for e in events:
        row = sheet3.add("data", [_simplified(e["unit"]), e["type"], e["date"], e["place"], e["organiser"], e["phone"],
                                  e["expected"], e["actual"], e["reported"], e["approved"] or "", e["approver"] or ""])
        if e["check"]:
            y, m, d = map(int, e["date"].split("/"))
            defects[e["check"]].append({"unit_code": code[e["unit"]], "date": dt.date(y, m, d).isoformat(),
                                        "subject_key": e["organiser"], "file": TOWN3_FILE, "sheet": "", "row": row})
    sheet3.add("total", ["合计", "", "", "", "", "", sum(e["expected"] for e in events),
                         sum(e["actual"] for e in events), "", "", ""])
    sheet3.add("footer", ["填表人：南湖街道防控办 刘芳", "", "", "", "", "", "", "", "", "", ""])
    town3 = OutFile(TOWN3_FILE, "gatherings", "gb18030", [sheet3])

    # the attendee list of 吳春花's family dinner, by its event number, the date in the title
    sheet_a = Sheet("名單")
    sheet_a.add("title", ["馬頭村吳春花家庭聚餐參加人員名單（2021年2月4日）", None, None, None, None])
    sheet_a.merges.append("A1:E1")
    sheet_a.add("header", ATTENDEE_HEADER)
    for i, (name, id_number, phone) in enumerate(ATTENDEES, 1):
        sheet_a.add("data", [i, "YF-2021-006", name, id_number or None, phone or None])
    sheet_a.add("footer", ["填表人：馬頭村村委會 馬建軍", None, None, None, None])
    attendees = OutFile(ATTENDEE_FILE, "gathering_attendees", "xlsx", [sheet_a])

    for cases in defects.values():
        cases.sort(key=lambda e: (e["file"], e["sheet"], e["row"]))
    town4.manifest = {"gatherings": {                       # type: ignore[attr-defined]
        "defects": defects,
        "banquet_ban": BANQUET_BAN,
        "events": len(_town4(clean)) + len(events),
        "attendees": {"event_no": "YF-2021-006", "rows": len(ATTENDEES)},
    }}
    return [town4, town3, attendees]
