"""Kind `claims`: duty-allowance claims (值班補助申領), one row per person, unit and month:
姓名, 單位, 月份, 白班天數, 夜班天數, 申領金額. The month may be written 2021年1月, 2021-01, 2021/1
or 202101, or given once in the title row or sheet name. A claim is checked against the
rosters at check time (allowance_overclaim)."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

from . import Column, EXTRA, FREE_TEXT, Field, Kind, NAME, OPEN, Plausible, SheetContext, Table, UNIT_NAME, register
from fangyi.keys import name_key

_MONTH_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})\s*[-/.年]\s*(\d{1,2})(?!\d)")


def month_in(text: str | None) -> str | None:
    """The first month written in a free text such as a title: '（2021年1月）' -> '2021-01'."""
    m = _MONTH_IN_TEXT.search(unicodedata.normalize("NFKC", text or ""))
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    return None


FIELDS = (
    Field("person", ("姓名", "申領人", "值班人員"), "text", "申領人姓名", "Person claiming", "王芳", privacy=NAME),
    Field("unit", ("單位", "值班單位", "所在單位", "單位名稱", "社區(村)", "村(社區)", "社區", "村名"), "text",
          "值班單位", "Unit where the shifts were worked", "柳岸社區", privacy=FREE_TEXT),
    Field("unit_code", ("單位編碼", "編碼", "區劃代碼"), "code", "單位編碼（可選）", "Unit code (optional)",
          "440199001001", privacy=FREE_TEXT),
    Field("month", ("月份", "申領月份", "值班月份", "所屬月份"), "month",
          "申領月份，如 2021年1月、2021-01（也可寫在標題行）",
          "Month claimed for, e.g. 2021年1月 or 2021-01 (or in the title row)", "2021年1月",
          Plausible(window=True), privacy=OPEN),
    Field("day_shifts", ("白班天數", "白班次數", "白班數", "白班(天)", "白班(次)", "白班天数"), "count",
          "申領的白班數", "Day shifts claimed", "10", privacy=OPEN),
    Field("night_shifts", ("夜班天數", "夜班次數", "夜班數", "夜班(天)", "夜班(次)"), "count",
          "申領的夜班數", "Night shifts claimed", "5", privacy=OPEN),
    Field("amount", ("申領金額", "金額", "補助金額", "申領金額(元)", "補助金額(元)"), "number",
          "申領金額（元）", "Amount claimed (yuan)", "3000", privacy=OPEN),
)
TABLE = Table(
    "allowance_claims", key="claim_id", names_unit=True,
    zh="值班補助申領：每人每單位每月一行", en="Duty-allowance claims: one row per person, unit and month",
    columns=(
        Column("person", "TEXT NOT NULL"),
        Column("person_key", "TEXT NOT NULL", "規範化後的姓名，與 duty_shifts.person_key 相同規則",
               "Normalised name, as duty_shifts.person_key", NAME),
        Column("unit_raw", zh="值班單位（原文照錄）", en="The unit as written", privacy=UNIT_NAME),
        Column("unit_code_raw", zh="單位編碼（原文照錄）", en="The unit code as written", privacy=FREE_TEXT),
        Column("month", "TEXT NOT NULL", "申領月份（YYYY-MM）", "Month claimed for (YYYY-MM)"),
        Column("day_shifts"),
        Column("night_shifts"),
        Column("amount"),
        EXTRA,
    ),
)
COLUMNS = TABLE.data_columns


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    sheet_month = month_in(ctx.title) or month_in(ctx.sheet) or month_in(Path(ctx.path).name)
    keys = {n: name_key(n) for n in parsed["person"].drop_nulls().unique().to_list()}
    out = parsed.with_columns(
        person_key=pl.col("person").replace_strict(keys, default=None, return_dtype=pl.String),
        unit_raw=pl.col("unit"),
        unit_code_raw=pl.col("unit_code"),
        month=pl.coalesce(pl.col("month"), pl.lit(sheet_month, pl.String)),
        extra=pl.col("_extra"),
    )
    nothing = pl.col("day_shifts").is_null() & pl.col("night_shifts").is_null() & pl.col("amount").is_null()
    return out.with_columns(_reason=pl.coalesce(
        pl.col("_reason"),
        pl.when(pl.col("person_key").is_null()).then(pl.lit("沒有人名：姓名格是空的 / no person: the 姓名 cell is blank")),
        pl.when(pl.col("month").is_null()).then(pl.lit(
            "沒有月份：這一行沒有，標題和工作表名也沒有 / "
            "no month: the row has none, and neither the title nor the sheet name gives one")),
        pl.when(nothing).then(pl.lit("沒有申領內容：班次數和金額都是空的 / "
                                     "nothing claimed: the shift counts and the amount are all blank")),
    ))


KIND = register(Kind(
    name="claims",
    title="值班補助申領 duty-allowance claims",
    fields=FIELDS,
    recognise=lambda fields: "person" in fields and (
        bool({"day_shifts", "night_shifts"} & fields) or {"month", "amount"} <= fields),
    label_field="person",
    tables=(TABLE,),
    dated_by="month",
    suite="roster",
    finish=finish,
    notes="每人每單位每月一行：姓名、單位、月份、白班天數、夜班天數和申領金額。補助只按值班表上的班次核定"
          "（默認每班 200 元）。",
))
