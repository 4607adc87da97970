"""Kinds `disinfection` (消毒記錄) and `disinfection_places` (消毒點位名錄).

A disinfection log has a row per disinfection: unit, place (消毒場所/點位), date, time, agent
(消毒劑), operator (消毒人員) and supervisor (監督人). A residential compound is disinfected once a
day (一日一消毒); a property manager's lifts and public areas every two hours, logged with times
written as 8:00, 10:05, 12時, 下午2點 or inside the date cell (2021-01-20 08:00).

The places expected to have records, each with its frequency (daily | twice_daily | every_2h),
come from a places sheet (kind `disinfection_places`: unit, place, frequency, optional opened_on
and closed_on) and from the settings' [[disinfection.places]]. The kind is marked expected per
place (Kind.expected), so its expected place-days and slots come from the shared calendar
(checks/_materialise/800_expected_subjects.sql, 810_expected_record_status.sql); the check
disinfection_missed reads them. Operators and supervisors are personal: never open."""
from __future__ import annotations

import re
import unicodedata

import polars as pl

from .roster import has_unit_column, unit_from_context
from . import (FREQUENCIES, Column, EXTRA, Expected, FREE_TEXT, Field, Kind, NAME, OPEN, Plausible, SheetContext,
               Table, UNIT_NAME, register)
from fangyi.keys import norm, place_key, place_key_short

# 8:00, 8：05, 08:00:00, 8時, 12时30分, 8點半, 下午2點, 14h
_TIME = re.compile(r"^(上午|早上|早晨|中午|下午|晚上|傍晚|am|pm)?\s*(\d{1,2})\s*(?:[:：時时点點h.]\s*(半|\d{1,2})?\s*分?"
                   r"(?:\s*[:：]\s*\d{1,2}(?:\.\d+)?)?)\s*(am|pm)?$", re.I)
_PM = {"下午", "晚上", "傍晚", "pm"}


def time_of_day(text: str | None) -> str | None:
    """'8:00' -> '08:00', '10:05' -> '10:05', '12時' -> '12:00', '下午2點' -> '14:00', '8點半' ->
    '08:30', '08:00:00' -> '08:00'; None when blank, '' when unreadable."""
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip().lower().replace(" ", "")
    if not s:
        return None
    m = re.search(r"(\d{1,2}:\d{2})(?::\d{2}(?:\.\d+)?)?$", s)
    if m and re.match(r"^\d{4}-\d{2}-\d{2}[t ]?", s):        # a date and time in the time cell
        s = m.group(1)
    m = _TIME.match(s)
    if not m:
        return ""
    hour = int(m.group(2))
    minute = 30 if m.group(3) == "半" else int(m.group(3) or 0)
    if (m.group(1) in _PM or m.group(4) == "pm") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        return ""
    return f"{hour:02d}:{minute:02d}"


def _unit_fields(what: str) -> tuple[Field, ...]:
    return (
        Field("unit", ("社區", "單位", "社區(村)", "村(社區)", "單位名稱", "小區所屬社區", "所屬社區"), "text",
              f"{what}所在社區/村", "Community or village", "柳岸社區", privacy=FREE_TEXT),
        Field("unit_code", ("單位編碼", "編碼", "區劃代碼", "社區編碼"), "code", "單位編碼（可選）", "Unit code (optional)",
              "440199001001", privacy=FREE_TEXT),
    )


PLACE = Field("place", ("消毒場所", "消毒點位", "消毒地點", "場所", "點位", "消毒部位", "消毒區域"), "text",
              "消毒場所/點位", "Place disinfected", "桃源小區", privacy=OPEN)

FIELDS = (
    *_unit_fields("消毒場所"),
    PLACE,
    Field("date", ("日期", "消毒日期", "消毒時間日期"), "datetime", "消毒日期（可帶時間）",
          "Date disinfected (a time may follow)", "2021-01-20", Plausible(window=True), privacy=OPEN),
    Field("time", ("時間", "消毒時間", "時段", "消毒時段"), "text", "消毒時間（如 8:00、10:05、12時）",
          "Time of day (8:00, 10:05, 12時)", "8:00", privacy=OPEN),
    Field("agent", ("消毒劑", "消毒藥劑", "消毒液", "藥劑名稱", "消毒劑名稱", "消毒劑及濃度"), "text",
          "消毒劑", "Disinfectant used", "84消毒液 1:100", privacy=OPEN),
    Field("operator", ("消毒人員", "消毒人", "操作人", "實施人", "消殺人員", "執行人"), "text",
          "消毒人員", "Person who disinfected", "王芳", privacy=NAME, role="消毒人員"),
    Field("signed_by", ("監督人", "監督人簽字", "檢查人", "審核人", "負責人簽字", "簽字"), "text",
          "監督人", "Supervisor who signed", "李明", privacy=NAME, role="監督人"),
)


def _unit_columns() -> tuple[Column, ...]:
    return (
        Column("unit_raw", zh="社區/村（原文照錄）", en="The community or village as written", privacy=UNIT_NAME),
        Column("unit_code_raw", zh="單位編碼（原文照錄）", en="The unit code as written", privacy=FREE_TEXT),
        Column("place"),
        Column("place_key", zh="規範化後的場所名稱（全形轉半形、去空格、繁轉簡）",
               en="Normalised place name (full-width folded, spaces removed, simplified)", privacy=OPEN),
        Column("place_key_short", zh="去掉小區、電梯等後綴的規範化場所名稱：寫不寫後綴都能對上",
               en="The normalised place name without a suffix such as 小區 or 電梯: matched with or without it",
               privacy=OPEN),
    )


TABLE = Table(
    "disinfection_records", key="record_id", names_unit=True,
    zh="消毒記錄：每次消毒一行（場所、日期、時間、消毒劑、消毒人員、監督人）",
    en="Disinfection log: one row per disinfection (place, date, time, agent, operator, supervisor)",
    columns=(
        *_unit_columns(),
        Column("date", "TEXT NOT NULL", "消毒日期（ISO 8601）", "Date disinfected (ISO 8601)"),
        Column("time", zh="消毒時間（HH:MM）；空白為只記日期", en="Time of day (HH:MM); blank when only the date is logged"),
        Column("agent"),
        Column("operator"),
        Column("signed_by"),
        EXTRA,
    ),
    indexes=(("disinfection_records_date", "date, name_id"),),
)


def _keys(parsed: pl.DataFrame) -> pl.DataFrame:
    places = parsed["place"].drop_nulls().unique().to_list()
    return parsed.with_columns(
        place_key=pl.col("place").replace_strict({p: place_key(p) for p in places}, default=None,
                                                 return_dtype=pl.String),
        place_key_short=pl.col("place").replace_strict({p: place_key_short(p) for p in places}, default=None,
                                                       return_dtype=pl.String),
        unit_raw=pl.col("unit"),
        unit_code_raw=pl.col("unit_code"),
        extra=pl.col("_extra"),
    )


NO_UNIT = "沒有單位：社區名稱和單位編碼都是空的 / no unit: both the community and the unit code are blank"
NO_PLACE = "沒有消毒場所：場所/點位格是空的 / no place: the place cell is blank"


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    if not has_unit_column(parsed, ctx):
        # a community's own log has no unit column: its title, sheet or file name names it
        parsed = parsed.with_columns(unit=pl.lit(unit_from_context(ctx), pl.String))
    texts = parsed["time"].drop_nulls().unique().to_list()
    times = {t: time_of_day(t) for t in texts}
    out = _keys(parsed).with_columns(
        _time=pl.col("time").replace_strict(times, default=None, return_dtype=pl.String),
        _stamp=pl.col("date").str.slice(11, 5),
    ).with_columns(
        time=pl.when(pl.col("_time").is_not_null() & (pl.col("_time") != "")).then(pl.col("_time"))
        .when(pl.col("_time").is_null() & (pl.col("_stamp") != "")).then(pl.col("_stamp")),
        date=pl.col("date").str.slice(0, 10),
    )
    bad_time = pl.col("_time") == ""
    time_header = ctx.headers.get("time", "時間")
    return out.with_columns(
        _column=pl.coalesce(pl.col("_column"), pl.when(pl.col("_reason").is_null() & bad_time)
                            .then(pl.lit(time_header))),
        _reason=pl.coalesce(
            pl.col("_reason"),
            pl.when(pl.col("date").is_null()).then(pl.lit("沒有消毒日期 / no date of disinfection")),
            pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null()).then(pl.lit(NO_UNIT)),
            pl.when(pl.col("place_key").is_null()).then(pl.lit(NO_PLACE)),
            pl.when(bad_time).then(pl.format(
                "無法識別的時間 '{}'（{}）：應寫成 8:00、10:05 或 12時 / unreadable time in {}: expected 8:00, 10:05 "
                "or 12時", pl.col("_raw_time"), pl.lit(time_header), pl.lit(time_header))),
        ),
    ).drop("_time", "_stamp")


def _finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    return finish(parsed.with_columns(_raw_time=pl.col("time")), ctx).drop("_raw_time")


# The places sheet: which places are expected to have a record, how often, from and to when.
FREQUENCY_WORDS = {
    **dict.fromkeys(["daily", "每日", "每天", "每日一次", "每天一次", "一日一消毒", "一日一次", "1次/日", "1次/天"], "daily"),
    **dict.fromkeys(["twice_daily", "每日兩次", "每天兩次", "一日兩次", "2次/日", "2次/天", "早晚各一次"], "twice_daily"),
    **dict.fromkeys(["every_2h", "每2小時", "每兩小時", "兩小時一次", "2小時一次", "每2小時一次", "每兩小時一次"],
                    "every_2h"),
}
_FREQUENCY = {norm(k): v for k, v in FREQUENCY_WORDS.items()}

PLACES_TABLE = Table(
    "disinfection_places", key="place_id", names_unit=True,
    zh="消毒點位名錄：應有消毒記錄的場所、頻次及啟用、停用日期",
    en="Places to disinfect: each place expected to have records, its frequency and opening and closing dates",
    columns=(
        *_unit_columns(),
        Column("frequency", "TEXT NOT NULL", "頻次：daily 每日一次 / twice_daily 每日兩次 / every_2h 開放時間內每 2 小時",
               "Frequency: daily, twice_daily, or every_2h within the opening hours", OPEN),
        Column("frequency_raw", zh="頻次（原文照錄）", en="The frequency as written", privacy=OPEN),
        Column("opened_on", "TEXT", "啟用日期（ISO 8601）；空白為一直啟用", "Opened on (ISO 8601); blank: always open",
               OPEN),
        Column("closed_on", "TEXT", "停用日期（ISO 8601）：之後不再應有記錄", "Closed on (ISO 8601): no record expected after it",
               OPEN),
        EXTRA,
    ),
)


def finish_places(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    words = {t: _FREQUENCY.get(norm(t)) for t in parsed["frequency"].drop_nulls().unique().to_list()}
    out = _keys(parsed).with_columns(
        frequency_raw=pl.col("frequency"),
        frequency=pl.coalesce(pl.col("frequency").replace_strict(words, default=None, return_dtype=pl.String),
                              pl.when(pl.col("frequency").is_null()).then(pl.lit("daily"))),
    )
    return out.with_columns(_reason=pl.coalesce(
        pl.col("_reason"),
        pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null()).then(pl.lit(NO_UNIT)),
        pl.when(pl.col("place_key").is_null()).then(pl.lit(NO_PLACE)),
        pl.when(pl.col("frequency").is_null()).then(pl.format(
            "無法識別的頻次 '{}'：應為 每日一次（daily）、每日兩次（twice_daily）或 每2小時（every_2h） / unknown "
            "frequency: expected daily, twice_daily or every_2h", pl.col("frequency_raw"))),
        pl.when(pl.col("closed_on").is_not_null() & pl.col("opened_on").is_not_null()
                & (pl.col("closed_on") < pl.col("opened_on"))).then(pl.lit(
                    "停用日期早於啟用日期 / closed_on is before opened_on")),
    ))


PLACES = register(Kind(
    name="disinfection_places",
    title="消毒點位名錄 places to disinfect",
    fields=(
        *_unit_fields("場所"),
        PLACE,
        Field("frequency", ("頻次", "消毒頻次", "消毒頻率"), "text",
              "頻次：每日一次 daily、每日兩次 twice_daily、每2小時 every_2h（空白為每日一次）",
              "Frequency: daily, twice_daily or every_2h (blank: daily)", "every_2h", privacy=OPEN,
              values=FREQUENCIES),
        Field("opened_on", ("啟用日期", "開始日期"), "date", "啟用日期（可選）", "Opened on (optional)", "",
              privacy=OPEN),
        Field("closed_on", ("停用日期", "關閉日期", "封閉日期"), "date", "停用日期（可選）",
              "Closed on (optional)", "", privacy=OPEN),
    ),
    recognise=lambda fields: {"place", "frequency"} <= fields and bool({"unit", "unit_code"} & fields),
    label_field="place",
    tables=(PLACES_TABLE,),
    suite="disinfection",
    finish=finish_places,
    notes="每個應消毒的場所一行：所在社區、場所名稱、頻次（每日一次、每日兩次或每2小時）；停用的場所填停用日期，之後不再要求記錄。",
))

KIND = register(Kind(
    name="disinfection",
    title="消毒記錄 disinfection log",
    fields=FIELDS,
    # a log names its unit, or (a community's own log, the unit in its title) has two more of its columns
    recognise=lambda fields: {"place", "date"} <= fields and (
        bool({"unit", "unit_code"} & fields) and bool({"agent", "operator", "signed_by"} & fields)
        or len({"time", "agent", "operator", "signed_by"} & fields) >= 2),
    label_field="place",
    tables=(TABLE,),
    dated_by="date",
    expected=Expected(per="place", places="disinfection_places", time="time"),
    suite="disinfection",
    finish=_finish,
    demo="fangyi.demo.disinfection:write",
    notes="每次消毒一行：社區、場所/點位、日期、時間、消毒劑、消毒人員和監督人。每2小時消毒的場所必須寫時間（如 8:00、10:05）；"
          "只寫日期時只能按日核對。",
))
