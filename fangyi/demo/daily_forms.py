"""The four towns' daily report forms: how each town types the reports into its files
(layout, encoding, header texts, name, date and number forms) and where each row lands."""

from __future__ import annotations

import datetime as dt
import random

from openpyxl.utils import get_column_letter

from .daily import Report
from .district import (ALIAS_WRITER, COUNT_FIELDS, DAYS, TOWNS, UNKNOWN_CODE_TOWN3, UNKNOWN_NAMES, Unit, cn_date,
                       reporting_units, simp, week_label, weeks)
from .files import OutFile, Sheet

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

FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


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
    for week in weeks():
        out = OutFile(f"daily/{town_name}/{town_name}疫情防控日報_{week_label(week)}.xlsx", "daily", "xlsx")
        for day in week:
            sheet = Sheet(cn_date(day, year=False))
            ncol = len(TOWN1_HEADER_TOP)
            sheet.add("title", [f"{town_name}疫情防控日報表({cn_date(day)})"])
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
            cn_date(d), cn_date(d, year=False)][form]


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
    for week in weeks():
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
        out = OutFile(f"daily/{town_name}/{short}日报_更正_{cn_date(rep.day)}.csv", "daily", "gb18030")
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
    out = OutFile(f"daily/{town_name}/{town_name}疫情防控日报汇总_{cn_date(DAYS[0])}-{cn_date(DAYS[-1], year=False)}.csv",
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
    for week in weeks():
        out = OutFile(f"daily/{town_name}/{town_name}各村疫情防控日報_{week_label(week)}.xlsx", "daily", "xlsx")
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
                    "report_date": rep.day if rng.random() < 0.6 else cn_date(rep.day),
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
