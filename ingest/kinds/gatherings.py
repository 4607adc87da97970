"""Kinds `gatherings` and `gathering_attendees`: the register of gatherings a village keeps
(聚集性活動報備登記表: weddings, funerals, birthday banquets and other events) and an event's
optional list of attendees (活動參加人員名單).

What is derived here is what one row says by itself:

- the type of the event in one of four words, 婚 / 喪 / 壽 / 其他, from the many ways it is
  written (婚禮, 結婚, 喜宴, 喪事, 白事, 葬禮, 壽宴, 生日, 滿月, 升學宴 ...); the type as written is
  kept. A family gathering (家庭聚會, 家庭聚餐, 家宴, 家庭聚餐 ...) is of type 其他 and marked
  `family` = 1: the plans only advise it to stay at 10 or fewer, and it is neither reported nor
  approved;
- an approving body written as 無, 未審批, -, / and their like is no approving body;
- the matching forms of the people named: the organiser's and each attendee's name
  (fangyi.keys.name_key), an identity number (NFKC, no spaces, upper case) and a phone (its
  digits, without a leading +86).

How an attendee row names its event: by the event number (活動編號) when the list has one, which
is the number the register gives the event; else by the unit, the event date (a 舉辦日期 column,
or the date in the list's title) and the organiser. A row that gives neither is rejected, with the
reason. Which event of the register a row names is worked out by `fangyi check`
(checks/_materialise/710_gathering_attendance.sql), since the register may come in a later file;
a row naming no event of the register stays loaded, with the reason beside it there.
"""
from __future__ import annotations

import re
import unicodedata

import polars as pl

from .roster import has_unit_column, unit_from_context
from . import (ADDRESS, Column, EXTRA, FREE_TEXT, Field, ID_NUMBER, Kind, NAME, OPEN, PHONE, Plausible,
               SheetContext, Table, UNIT_NAME, register)
from ..parse import ZERO_WORDS
from fangyi.keys import name_key, norm

TYPES = ("婚", "喪", "壽", "其他")
# Words that say which type an event is, matched inside the type as written (normalised: simplified,
# lower case), in this order: family gatherings first, then funerals (白喜事 is a funeral), weddings,
# birthdays; anything else is 其他.
FAMILY_WORDS = tuple(norm(w) for w in ("家庭聚會", "家庭聚餐", "家宴", "家庭聚餐", "親友聚餐", "家庭團聚", "家庭聚會(10人以下)"))
TYPE_WORDS = (
    ("喪", tuple(norm(w) for w in ("喪", "白事", "葬", "出殯", "白喜事", "追悼", "殯", "去世", "過世", "逝世", "病故",
                                    "辭世", "老人走"))),
    ("婚", tuple(norm(w) for w in ("婚", "嫁", "娶", "喜宴", "喜事", "紅事", "喜酒"))),
    ("壽", tuple(norm(w) for w in ("壽", "生日", "祝壽", "做壽"))),
    ("其他", tuple(norm(w) for w in ("其他", "其它"))),
)
# The four types as settings may write them (simplified or traditional).
TYPE_FORMS = {norm(t): t for t in TYPES}

NONE_WORDS = {norm(w) for w in (*ZERO_WORDS, "無", "暫無", "未審批", "未批", "未報批", "否", "×", "x", "空", "待審批",
                                 "審批中", "未批准", "不批准")}


def event_type(text: str | None) -> tuple[str | None, int | None]:
    """'婚禮' -> ('婚', 0); '家庭聚餐' -> ('其他', 1); '滿月酒' -> ('其他', 0); blank -> (None, None)."""
    key = norm(text)
    if not key:
        return None, None
    if any(w in key for w in FAMILY_WORDS):
        return "其他", 1
    for kind, words in TYPE_WORDS:
        if any(w in key for w in words):
            return kind, 0
    return "其他", 0


def id_key(text: str | None) -> str | None:
    """An identity number's matching form: NFKC, no spaces or dashes, upper case (x -> X)."""
    if text is None:
        return None
    key = re.sub(r"[\s\-]+", "", unicodedata.normalize("NFKC", str(text))).upper()
    return key if key and norm(key) not in NONE_WORDS else None


def phone_key(text: str | None) -> str | None:
    """A phone's matching form: its digits, without a leading 86 or 0086 of a mobile number."""
    if text is None:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(text)))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits or None


def _approver(text: str | None) -> str | None:
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip()
    return None if not s or norm(s) in NONE_WORDS else s


def _mapped(frame: pl.DataFrame, col: str, fn, dtype=pl.String) -> pl.Expr:
    values = frame[col].drop_nulls().unique().to_list()
    return pl.col(col).replace_strict({v: fn(v) for v in values}, default=None, return_dtype=dtype)


_UNIT = Field("unit", ("單位", "社區(村)", "村(社區)", "社區", "村", "村名", "村組", "村(居)", "所在村", "報備單位",
                       "所在社區(村)", "社區名稱", "村(社區)名稱"), "text",
              "社區或村（活動所在）", "Community or village where the event is held", "東河村", privacy=FREE_TEXT)
_UNIT_CODE = Field("unit_code", ("單位編碼", "區劃代碼"), "code", "單位編碼（可選）", "Unit code (optional)",
                   "440199004001", privacy=FREE_TEXT)
_PARENT = Field("parent", ("所屬鄉鎮", "所屬街道", "所屬街鎮", "鄉鎮(街道)", "街道(鄉鎮)", "街鎮", "鎮街", "鄉鎮"), "text",
                "所屬街道/鄉鎮（同名單位按此區分）", "Parent town (tells apart units of the same name)", "雲峰鎮",
                privacy=FREE_TEXT)
_EVENT_NO = Field("event_no", ("活動編號", "報備編號", "登記編號", "活動序號", "報備號"), "text",
                  "活動編號（登記表給每個活動的編號；名單按此對應活動）",
                  "Event number (the register's number of the event; an attendee list names its event by it)",
                  "YF-2021-003", privacy=OPEN)
_ORGANISER = Field("organiser", ("組織人", "承辦人", "主辦人", "組織者", "事主", "戶主", "主家", "負責人", "舉辦人",
                                 "組織人/承辦人", "事主姓名", "戶主姓名", "組織人姓名", "承辦人姓名", "主家姓名"), "text",
                   "組織人或承辦人", "Organiser (the family or person holding the event)", "張建國",
                   privacy=NAME, role="組織人")
_EVENT_DATE_SYNONYMS = ("舉辦日期", "活動日期", "舉辦時間", "活動時間", "辦酒日期", "宴席日期", "舉行日期", "辦理日期")

FIELDS = (
    _EVENT_NO,
    _UNIT,
    _UNIT_CODE,
    _PARENT,
    Field("event_type", ("活動類型", "類型", "活動類別", "宴席類型", "事由", "活動性質", "活動名稱", "活動內容", "宴請事由"),
          "text", "活動類型：婚、喪、壽、其他（婚禮、喪事、壽宴、滿月、家庭聚餐等寫法均可）",
          "Type of event: 婚 wedding, 喪 funeral, 壽 birthday, 其他 other (婚禮, 喪事, 壽宴, 滿月, 家庭聚餐 ... are read)",
          "婚禮", privacy=FREE_TEXT),
    Field("event_date", _EVENT_DATE_SYNONYMS + ("日期",), "date", "舉辦日期", "Date the event is held", "2021-02-08",
          Plausible(window=True), privacy=OPEN),
    Field("place", ("地點", "舉辦地點", "活動地點", "地址", "舉辦場所", "場所"), "text",
          "舉辦地點", "Place", "東河村張建國家", privacy=ADDRESS),
    _ORGANISER,
    Field("organiser_phone", ("聯繫電話", "聯系電話", "電話", "聯繫方式", "聯系方式", "手機號", "手機號碼",
                              "組織人電話", "承辦人電話"), "text",
          "組織人聯繫電話", "Organiser's phone", "13800138000", privacy=PHONE),
    Field("expected", ("預計人數", "預計參加人數", "擬參加人數", "預計規模", "計劃人數", "預計人數(人)"), "count",
          "預計參加人數", "Attendees expected", "40", Plausible(maximum=100_000), privacy=OPEN),
    Field("actual", ("實際人數", "實際參加人數", "參加人數", "實到人數", "實際人數(人)"), "count",
          "實際參加人數", "Attendees who came", "38", Plausible(maximum=100_000), privacy=OPEN),
    Field("reported_on", ("報備日期", "報備時間", "申報日期", "登記日期", "報告日期"), "date",
          "向村（居）委會報備的日期", "Date reported to the village committee", "2021-02-03",
          Plausible(window=True), privacy=OPEN),
    Field("approved_on", ("審批日期", "審批時間", "批准日期", "批准時間", "報批日期"), "date",
          "鄉鎮（街道）審批的日期（婚、喪以外的活動）", "Date the town approved it (events other than weddings and funerals)",
          "2021-02-04", Plausible(window=True), privacy=OPEN),
    # private: a form's 審批意見 may name whoever signed it (同意，王主任)
    Field("approved_by", ("審批單位", "審批部門", "批准單位", "審批機關", "審批人單位", "審批意見", "鎮審批意見",
                          "鄉鎮審批意見", "審批情況"), "text",
          "審批單位（或審批意見）", "Approving body (or the approval as written)", "雲峰鎮人民政府", privacy=FREE_TEXT),
    Field("remark", ("備註", "備注", "說明"), "text", "備註", "Remarks", "", privacy=FREE_TEXT),
)

def _event_columns() -> tuple:
    """How a register row and an attendee row name their event's unit: as written, and normalised."""
    return (
        Column("event_no", zh="活動編號（原文照錄）", en="Event number as written"),
        Column("unit_raw", zh="社區或村（原文照錄）", en="The community or village as written", privacy=UNIT_NAME),
        Column("unit_code_raw", zh="單位編碼（原文照錄）", en="The unit code as written", privacy=FREE_TEXT),
        Column("parent_raw", zh="所屬街道/鄉鎮（原文照錄）", en="The parent town as written", privacy=FREE_TEXT),
        Column("unit_key", zh="規範化後的單位名稱", en="Normalised unit name", privacy=FREE_TEXT),
    )


GATHERINGS = Table(
    "gathering_events", key="gathering_id", names_unit=True,
    zh="聚集性活動報備登記：每個活動一行", en="Register of gatherings: one row per event",
    columns=(
        *_event_columns(),
        Column("event_type", "TEXT NOT NULL", "活動類型：婚、喪、壽、其他", "Type of event: 婚, 喪, 壽 or 其他", OPEN),
        Column("event_type_raw", zh="活動類型（原文照錄）", en="The type as written", privacy=FREE_TEXT),
        Column("family", "INTEGER NOT NULL", "1：家庭聚會（家庭聚餐、家宴等，類型為其他）",
               "1: a family gathering (家庭聚餐, 家宴 ...; type 其他)", OPEN),
        Column("event_date", "TEXT NOT NULL"),
        Column("place"),
        Column("organiser"),
        Column("organiser_key", zh="規範化後的組織人姓名", en="Normalised organiser's name", privacy=NAME, role="組織人"),
        Column("organiser_phone"),
        Column("expected"),
        Column("actual"),
        Column("reported_on"),
        Column("approved_on"),
        Column("approved_by", zh="審批單位；寫作 無、未審批、-、/ 時為空",
               en="Approving body; empty when blank or written as 無, 未審批, -, /"),
        Column("approved_by_raw", zh="審批單位（原文照錄）", en="The approving body as written", privacy=FREE_TEXT),
        Column("remark"),
        EXTRA,
    ),
    indexes=(("gathering_events_date", "event_date"), ("gathering_events_event_no", "event_no")),
)

ATTENDEE_FIELDS = (
    _EVENT_NO,
    _UNIT,
    _UNIT_CODE,
    _PARENT,
    Field("event_date", _EVENT_DATE_SYNONYMS, "date", "活動舉辦日期（也可寫在標題行）",
          "Date of the event (or in the title row)", "2021-02-08", Plausible(window=True), privacy=OPEN),
    _ORGANISER,
    Field("name", ("姓名", "參加人員", "參加人", "參加人姓名", "參加人員姓名", "人員姓名"), "text",
          "參加人姓名", "Attendee's name", "李秀英", privacy=NAME, role="參加人"),
    Field("id_number", ("身份證號", "身份證號碼", "證件號碼", "公民身份號碼", "身份證", "證件號"), "text",
          "身份證號", "Identity number", "440199196501011234", privacy=ID_NUMBER),
    Field("phone", ("聯繫電話", "聯系電話", "電話", "手機號", "手機號碼", "聯繫方式", "聯系方式"), "text",
          "聯繫電話", "Phone", "13900139000", privacy=PHONE),
)

ATTENDEES = Table(
    "gathering_attendees", key="attendee_id", names_unit=True,
    zh="活動參加人員名單：每人每個活動一行", en="Attendee lists: one row per person and event",
    columns=(
        *_event_columns(),
        Column("event_date", zh="活動舉辦日期：日期列，否則標題行中的日期", en="Date of the event: its column, else the title's date"),
        Column("organiser"),
        Column("organiser_key", zh="規範化後的組織人姓名", en="Normalised organiser's name", privacy=NAME, role="組織人"),
        Column("name", "TEXT NOT NULL"),
        Column("name_key", "TEXT NOT NULL", "規範化後的姓名（fangyi.keys.name_key）",
               "Normalised name (fangyi.keys.name_key)", NAME, "參加人"),
        Column("id_number"),
        Column("id_key", zh="身份證號的統一寫法（NFKC、去空格、大寫）",
               en="Identity number in one written form (NFKC, no spaces, upper case)", privacy=ID_NUMBER),
        Column("phone"),
        Column("phone_key", zh="電話的數字（去掉 +86）", en="The phone's digits (without +86)", privacy=PHONE),
        EXTRA,
    ),
    indexes=(("gathering_attendees_id", "id_key"), ("gathering_attendees_phone", "phone_key"),
             ("gathering_attendees_name", "name_key")),
)


def _unit_columns(parsed: pl.DataFrame) -> dict:
    return dict(unit_raw=pl.col("unit"), unit_code_raw=pl.col("unit_code"), parent_raw=pl.col("parent"),
                unit_key=_mapped(parsed, "unit", lambda v: norm(v) or None),
                organiser_key=_mapped(parsed, "organiser", name_key), extra=pl.col("_extra"))


NO_UNIT = "沒有單位：社區（村）和單位編碼都是空的 / no unit: both the community (village) and the unit code are blank"


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    if not has_unit_column(parsed, ctx):
        # a village's own register has no unit column: its title, sheet or file name names it
        parsed = parsed.with_columns(unit=pl.lit(unit_from_context(ctx), pl.String))
    types = {v: event_type(v) for v in parsed["event_type"].drop_nulls().unique().to_list()}
    out = parsed.with_columns(
        **_unit_columns(parsed),
        event_type_raw=pl.col("event_type"),
        event_type=pl.col("event_type").replace_strict({k: v[0] for k, v in types.items()}, default=None,
                                                       return_dtype=pl.String),
        family=pl.col("event_type").replace_strict({k: v[1] for k, v in types.items()}, default=None,
                                                   return_dtype=pl.Int64),
        approved_by_raw=pl.col("approved_by"),
        approved_by=_mapped(parsed, "approved_by", _approver),
    )
    return out.with_columns(_reason=pl.coalesce(
        pl.col("_reason"),
        pl.when(pl.col("event_type").is_null()).then(pl.lit(
            "沒有活動類型：活動類型格是空的（婚、喪、壽或其他） / no type of event: the 活動類型 cell is blank "
            "(婚, 喪, 壽 or 其他)")),
        pl.when(pl.col("event_date").is_null()).then(pl.lit("沒有舉辦日期 / no date of the event (舉辦日期)")),
        pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null()).then(pl.lit(NO_UNIT)),
    ))


def finish_attendees(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    sheet_date = ctx.sheet_date.isoformat() if ctx.sheet_date else None
    out = parsed.with_columns(
        **_unit_columns(parsed),
        event_date=pl.coalesce(pl.col("event_date"), pl.lit(sheet_date, pl.String)),
        name_key=_mapped(parsed, "name", name_key),
        id_key=_mapped(parsed, "id_number", id_key),
        phone_key=_mapped(parsed, "phone", phone_key),
    )
    named_by_date = (pl.col("unit_raw").is_not_null() | pl.col("unit_code_raw").is_not_null()) \
        & pl.col("event_date").is_not_null() & pl.col("organiser_key").is_not_null()
    return out.with_columns(_reason=pl.coalesce(
        pl.col("_reason"),
        pl.when(pl.col("name_key").is_null()).then(pl.lit("沒有人名：姓名格是空的 / no person: the 姓名 cell is blank")),
        pl.when(pl.col("event_no").is_null() & ~named_by_date).then(pl.lit(
            "不知道是哪個活動：沒有活動編號，也沒有單位、舉辦日期（或標題中的日期）和組織人 / "
            "which event is unknown: no event number (活動編號), and not all of the unit, the event date "
            "(舉辦日期, or a date in the title) and the organiser (組織人)")),
    ))


KIND = register(Kind(
    name="gatherings",
    title="聚集性活動報備登記 register of gatherings",
    fields=FIELDS,
    recognise=lambda fields: {"event_type", "event_date"} <= fields
    and bool({"expected", "actual", "reported_on", "approved_on"} & fields),
    label_field="unit",
    tables=(GATHERINGS,),
    dated_by="event_date",
    suite="gatherings",
    finish=finish,
    demo="fangyi.demo.gatherings:write_gatherings",
    notes="每個活動一行：婚、喪（含婚禮、喪事等）提前向村（居）委會報備，填報備日期；其他活動提前報鄉鎮（街道）審批，"
          "填審批日期和審批單位。家庭聚會建議不超過 10 人，其他活動不超過 50 人。預計人數和實際人數分開填寫。",
))

ATTENDEE_KIND = register(Kind(
    name="gathering_attendees",
    title="活動參加人員名單 attendee lists of gatherings",
    fields=ATTENDEE_FIELDS,
    recognise=lambda fields: "name" in fields and bool({"id_number", "phone"} & fields)
    and bool({"event_no", "event_date", "organiser"} & fields),
    label_field="name",
    tables=(ATTENDEES,),
    dated_by="event_date",
    suite="gatherings",
    finish=finish_attendees,
    notes="每位參加人一行：姓名，以及身份證號或聯繫電話。寫明是哪個活動：填登記表上的活動編號；沒有編號時填單位、"
          "舉辦日期（或寫在標題中）和組織人。",
))
