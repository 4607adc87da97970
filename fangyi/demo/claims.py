"""Duty-allowance claims (kind claims) for January 2021: every day and night staffer of the towns
that keep rosters claims the shifts the roster gives them that month at their unit, at 200 yuan a
shift (leaders claim nothing: the leader's whole-day duty is not an allowance shift). 東華街道
sends an XLSX form with the month written 2021年1月 and a 合計 row; 龍興街道 a GB18030 CSV with
the month written 2021-01. One planned over-claim: two night shifts more than the roster shows,
and the money for them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from .district import DAYS, TOWNS, Unit, simp
from .files import OutFile, Sheet
from .roster import Rosters

MONTH = "2021-01"
RATE = 200                   # yuan a shift, the settings' default
CLAIM_HEADER_TOWN1 = ["序號", "姓名", "單位", "月份", "白班天數", "夜班天數", "申領金額（元）", "審核人"]
CLAIM_HEADER_TOWN2 = ["姓名", "单位", "月份", "白班天数", "夜班天数", "申领金额", "审核人"]


@dataclass
class Claim:
    person: str
    unit: Unit
    day_shifts: int
    night_shifts: int
    amount: int
    supported: tuple[int, int] = (0, 0)        # what the roster shows: day, night
    loc: tuple | None = None


def build_claims(rng: random.Random, rosters: Rosters, clean: bool) -> list[Claim]:
    days = [d for d in DAYS if d.strftime("%Y-%m") == MONTH]
    claims = []
    for code, names in rosters.staff.items():
        unit = rosters.duties[(code, DAYS[0])].unit
        duties = [rosters.duties[(code, d)] for d in days]
        for name in names:
            day = sum(name in duty.day_staff for duty in duties)
            night = sum(name in duty.night_staff for duty in duties)
            if day + night:
                claims.append(Claim(name, unit, day, night, (day + night) * RATE, (day, night)))
    if not clean:
        over = rng.choice([c for c in claims if c.unit.town == 1])
        over.night_shifts += 2
        over.amount += 2 * RATE
    return claims


def write_claims_town1(claims: list[Claim], office: tuple) -> OutFile:
    _, _, town_name, _ = TOWNS[0]
    out = OutFile(f"duty/{town_name}/{town_name}疫情防控值班補助申領表_2021年1月.xlsx", "claims", "xlsx")
    sheet = Sheet("2021年1月")
    sheet.add("title", [f"{town_name}疫情防控值班補助申領表（2021年1月）"])
    sheet.merges.append(f"A1:{get_column_letter(len(CLAIM_HEADER_TOWN1))}1")
    sheet.add("header", CLAIM_HEADER_TOWN1)
    mine = [c for c in claims if c.unit.town == 1]
    for i, c in enumerate(mine, 1):
        c.loc = (out.path, sheet.name, sheet.add("data", [
            i, c.person, c.unit.name, "2021年1月", c.day_shifts, c.night_shifts, c.amount, office[1]]))
    sheet.add("total", ["合計", None, None, None, sum(c.day_shifts for c in mine), sum(c.night_shifts for c in mine),
                        sum(c.amount for c in mine)])
    sheet.add("footer", [f"填表人：{office[0]}"])
    sheet.widths = {"B": 10, "C": 12, "G": 14}
    out.sheets.append(sheet)
    return out


def write_claims_town2(claims: list[Claim], reviewer: str) -> OutFile:
    _, _, town_name, _ = TOWNS[1]
    out = OutFile(f"duty/{town_name}/{simp(town_name)}值班补助申领汇总_{MONTH}.csv", "claims", "gb18030")
    sheet = Sheet("")
    sheet.add("title", [f"{simp(town_name)}疫情防控值班补助申领汇总"] + [""] * (len(CLAIM_HEADER_TOWN2) - 1))
    sheet.add("header", CLAIM_HEADER_TOWN2)
    for c in (c for c in claims if c.unit.town == 2):
        c.loc = (out.path, "", sheet.add("data", [c.person, simp(c.unit.name), MONTH, c.day_shifts, c.night_shifts,
                                                  c.amount, reviewer]))
    out.sheets.append(sheet)
    return out


def claims_manifest(claims: list[Claim]) -> list[dict]:
    """The over-claims: claims asking for more than the roster shows."""
    out = []
    for c in claims:
        day, night = c.supported
        if c.day_shifts > day or c.night_shifts > night or c.amount > (day + night) * RATE:
            file, sheet, row = c.loc
            out.append({"person": c.person, "unit_code": c.unit.code, "month": MONTH,
                        "claimed": {"day_shifts": c.day_shifts, "night_shifts": c.night_shifts, "amount": c.amount},
                        "supported": {"day_shifts": day, "night_shifts": night, "amount": (day + night) * RATE},
                        "file": file, "sheet": sheet, "row": row})
    return out


def claims_entry(claims: list[Claim]) -> dict:
    return {"month": MONTH, "rate_per_shift": RATE, "claims": len(claims)}
