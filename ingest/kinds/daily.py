"""Kind `daily`: the daily epidemic-prevention report (疫情防控日報)."""
from __future__ import annotations

import polars as pl

from . import Column, EXTRA, FREE_TEXT, Field, Kind, NAME, OPEN, Plausible, SheetContext, Table, UNIT_NAME, register
from fangyi.keys import unit_key, unit_key_short

COUNTS = (
    Field("new_confirmed", ("新增確診", "新增確診病例", "新增確診人數"), "count",
          "新增確診病例數", "New confirmed cases", "0", privacy=OPEN),
    Field("new_suspected", ("新增疑似", "新增疑似病例", "新增疑似人數"), "count",
          "新增疑似病例數", "New suspected cases", "0", privacy=OPEN),
    Field("new_asymptomatic", ("新增無癥狀", "新增無癥狀感染者", "新增無症狀", "新增無症狀感染者"), "count",
          "新增無症狀感染者數", "New asymptomatic infections", "0", privacy=OPEN),
    Field("close_contacts", ("密切接觸者", "密接", "密接人數", "密切接觸者人數"), "count",
          "密切接觸者人數", "Close contacts", "0", privacy=OPEN),
    Field("returnees_registered", ("返鄉人員登記", "新增返鄉人員", "返鄉人員", "返鄉人員登記人數", "返鄉登記人數", "返鄉登記"), "count",
          "返鄉人員登記人數", "Returnees registered", "3", privacy=OPEN),
    Field("home_isolation", ("居家隔離", "居家健康監測", "居家隔離人數"), "count",
          "居家隔離或居家健康監測人數", "Home isolation or home health monitoring", "2", privacy=OPEN),
    Field("central_isolation", ("集中隔離", "集中隔離人數"), "count", "集中隔離人數", "Centralised isolation", "0", privacy=OPEN),
    Field("fever_cases", ("發熱人員", "發熱病人", "發熱人數"), "count", "發熱人員數", "Fever cases", "0", privacy=OPEN),
    Field("tests_done", ("核酸檢測人數", "核酸檢測", "核酸檢測數"), "count", "核酸檢測人數", "Nucleic-acid tests done",
          "120", Plausible(maximum=10_000_000), privacy=OPEN),
)
COUNT_FIELDS = [f.name for f in COUNTS]


def _unit_keys(units: pl.Series, ctx: SheetContext) -> pl.DataFrame:
    """unit, unit_key, unit_key_short for every unit name of the sheet so far: each name is
    normalised once per sheet, not once per chunk."""
    known = ctx.memo.get("unit_keys")
    names = units.drop_nulls().unique().to_frame("unit")
    if known is not None:
        names = names.join(known, on="unit", how="anti")
    if names.height or known is None:
        new = names.with_columns(
            unit_key=pl.Series([unit_key(n) for n in names["unit"]], dtype=pl.String),
            unit_key_short=pl.Series([unit_key_short(n) for n in names["unit"]], dtype=pl.String))
        known = new if known is None else pl.concat([known, new])
        ctx.memo["unit_keys"] = known
    return known


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    sheet_date = ctx.sheet_date.isoformat() if ctx.sheet_date else None
    keys = _unit_keys(parsed["unit"], ctx)
    no_date = ("沒有報告日期：這一行沒有，標題和工作表名也沒有 / "
               "no report date: the row has none, and neither the title nor the sheet name gives one")
    out = parsed.join(keys, on="unit", how="left", maintain_order="left").with_columns(
        report_date=pl.coalesce(pl.col("report_date"), pl.lit(sheet_date, pl.String)),
        unit_raw=pl.col("unit"),
        unit_code_raw=pl.col("unit_code"),
        parent_raw=pl.col("parent"),
        extra=pl.col("_extra"),
    )
    return out.with_columns(
        _reason=pl.coalesce(
            pl.col("_reason"),
            pl.when(pl.col("report_date").is_null()).then(pl.lit(no_date)),
            pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null())
            .then(pl.lit("沒有單位：單位名稱和單位編碼都是空的 / no unit: both the unit name and the unit code are blank")),
        )
    )


KIND = register(Kind(
    name="daily",
    title="疫情防控日報 daily epidemic-prevention report",
    fields=(
        Field("report_date", ("日期", "填報日期", "報告日期", "統計日期", "報表日期"), "date",
              "報告日期（也可寫在標題行或工作表名）", "Date reported on (or in the title row or sheet name)",
              "2021-01-20", Plausible(window=True, period=True), privacy=OPEN),
        Field("unit", ("單位", "報送單位", "社區(村)", "單位名稱", "社區", "村(社區)", "社區名稱", "村名"), "text",
              "報送單位名稱", "Reporting unit", "柳岸社區", privacy=FREE_TEXT),
        Field("unit_code", ("單位編碼", "編碼", "區劃代碼"), "code", "單位編碼（可選）", "Unit code (optional)",
              "440199001001", privacy=FREE_TEXT),
        Field("parent", ("所屬街道", "所屬鄉鎮", "所屬街鎮", "街道(鄉鎮)", "鄉鎮(街道)", "街鎮", "鎮街", "上級單位",
                         "所屬單位"), "text",
              "所屬街道/鄉鎮（同名單位按此區分）", "Parent town (tells apart units of the same name)", "東華街道", privacy=FREE_TEXT),
        *COUNTS,
        Field("zero_report", ("是否零報告", "零報告"), "flag", "是否零報告（是/否）", "Zero report (是/否)", "否", privacy=OPEN),
        Field("reporter", ("填報人", "填表人"), "text", "填報人", "Person who filled in the report", "王芳", privacy=NAME, role="填報人"),
        Field("duty_leader", ("帶班領導", "值班領導"), "text", "帶班領導", "Leader on duty", "李明", privacy=NAME, role="帶班領導"),
        Field("submitted_at", ("報送時間", "上報時間", "填報時間"), "datetime",
              "報送時間（日期和時間）", "When the report was sent (date and time)", "2021-01-21 08:30",
              Plausible(window=True), privacy=OPEN),
    ),
    recognise=lambda fields: bool({"unit", "unit_code"} & fields)
    and len(fields & {*COUNT_FIELDS, "zero_report"}) >= 2,
    label_field="unit",
    tables=(Table(
        "daily_reports", key="report_id", names_unit=True,
        zh="載入的全部疫情防控日報行，含被更正的舊版本",
        en="Every loaded daily epidemic-prevention report row, superseded versions included",
        columns=(
            Column("report_date", "TEXT NOT NULL", "報告日期（ISO 8601），取自日期列、標題行或工作表名",
                   "Date reported on (ISO 8601), from a date column, the title row or the sheet name"),
            Column("unit_raw", zh="報送單位（原文照錄）", en="The reporting unit as written", privacy=UNIT_NAME),
            Column("unit_code_raw", zh="單位編碼（原文照錄，表中有編碼列時）",
                   en="The unit code as written, if the sheet has a code column", privacy=FREE_TEXT),
            Column("parent_raw", zh="所屬街道/鄉鎮（原文照錄，表中有上級列時），同名單位據此區分",
                   en="The parent town as written, if the sheet has a parent column; tells apart units of the same name",
                   privacy=FREE_TEXT),
            Column("unit_key", zh="規範化後的單位名稱（全形轉半形、去空格、繁轉簡、小寫）",
                   en="Normalised unit name (full-width forms folded, spaces removed, simplified, lower case)",
                   privacy=FREE_TEXT),
            Column("unit_key_short", zh="去掉社區、村等後綴的規範化名稱",
                   en="The normalised name without its 社區/村/... suffix", privacy=FREE_TEXT),
            *(Column(f.name, zh=f"{f.zh}（空白為未填報，不是零）", en=f"{f.en} (blank means not reported, not zero)")
              for f in COUNTS),
            Column("zero_report", zh="是否零報告：1 是 / 0 否 / 空白為未填",
                   en="Zero report: 1 marked yes, 0 marked no, blank left unmarked"),
            Column("reporter"),
            Column("duty_leader", zh="帶班領導，應在當日值班表上",
                   en="Leader on duty named on the report; should be on that day's roster"),
            Column("submitted_at", zh="報送時間（ISO 8601 日期時間）；D 日報告應於 D+1 日 09:00 前報送",
                   en="When the report was sent (ISO 8601 date and time); the report for day D is due by D+1 09:00"),
            EXTRA,
        ),
        indexes=(("daily_reports_date_name", "report_date, name_id"),),
    ),),
    dated_by="report_date",
    expected_daily=True,
    suite="reporting",
    finish=finish,
    notes="每個單位每天一行；沒有病例也要報送，並在「是否零報告」填「是」（零報告）。空白表示未填報，不等於零。",
))
