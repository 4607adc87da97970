"""The units registry (kind units): one XLSX sheet with a merged title, the header and one
row per unit as typed, with mixed date cells and alias cells."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from .district import ALIAS_CELLS, DISTRICT_NAME, Unit
from .files import OutFile, Sheet

REGISTRY_HEADER = ["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報", "啟用日期", "停用日期", "別名"]


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
