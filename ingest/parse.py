"""Column-wise parsers for hand-typed cells, as polars expressions.

Each parser takes a text column and returns (value, bad): `value` is the parsed column
(null where the cell is blank or unreadable) and `bad` is true where a non-blank cell could
not be read, so the row can be rejected with a reason. Blank always stays null: a blank
count means *not reported*, never zero.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import Callable

import polars as pl

# Cells that mean zero in a count column (after NFKC: full-width forms are already ASCII).
ZERO_WORDS = ["零", "无", "無", "-", "—", "–", "―", "/", "〇", "0人", "没有", "沒有"]
TRUE_WORDS = ["是", "√", "✓", "✔", "☑", "y", "yes", "true", "1", "对", "對", "是的"]
FALSE_WORDS = ["否", "×", "x", "✗", "✘", "n", "no", "false", "0", "不是"]
COUNT_UNITS = r"(人次|人|例|个|個|名|次|户|戶|份|份次)$"

EXCEL_EPOCH = pl.date(1899, 12, 30)


def clean(col: str | pl.Expr) -> pl.Expr:
    """Text as a person reads it: NFKC, trimmed, blank -> null."""
    expr = pl.col(col) if isinstance(col, str) else col
    expr = expr.str.normalize("NFKC").str.strip_chars()
    return pl.when(expr == "").then(None).otherwise(expr)


# Each parser takes a frame with the cell text in column "t" (one row per distinct value) and
# returns it with "v" (the value) and "bad" (non-blank but unreadable). The steps are separate
# with_columns calls on purpose: polars evaluates a nested expression once per use.

def count(f: pl.DataFrame) -> pl.DataFrame:
    f = f.with_columns(s=clean("t"))
    f = f.with_columns(n=pl.col("s").str.replace(COUNT_UNITS, "").str.strip_chars())
    f = f.with_columns(n=pl.when(pl.col("n").str.contains(r"^\d{1,3}(,\d{3})+$"))
                       .then(pl.col("n").str.replace_all(",", "")).otherwise(pl.col("n")))
    f = f.with_columns(v=pl.when(pl.col("s").is_in(ZERO_WORDS) | pl.col("n").is_in(ZERO_WORDS))
                       .then(pl.lit(0, pl.Int64))
                       .when(pl.col("n").str.contains(r"^\d+(\.0+)?$"))
                       .then(pl.col("n").str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)))
    return f.select("t", "v", bad=pl.col("s").is_not_null() & pl.col("v").is_null())


def flag(f: pl.DataFrame) -> pl.DataFrame:
    f = f.with_columns(s=clean("t").str.to_lowercase())
    f = f.with_columns(v=pl.when(pl.col("s").is_in(TRUE_WORDS)).then(pl.lit(1, pl.Int64))
                       .when(pl.col("s").is_in(FALSE_WORDS)).then(pl.lit(0, pl.Int64)))
    return f.select("t", "v", bad=pl.col("s").is_not_null() & pl.col("v").is_null())


def as_written(col: str | pl.Expr) -> pl.Expr:
    """Text as written: only trimmed of surrounding whitespace, blank -> null. Names (units,
    people, markets, ...) are stored so; what matches them is their key (fangyi.keys.norm)."""
    expr = pl.col(col) if isinstance(col, str) else col
    expr = expr.str.strip_chars()
    return pl.when(expr == "").then(None).otherwise(expr)


def text(f: pl.DataFrame) -> pl.DataFrame:
    """A text cell as written (see as_written): '南陽（含鄧州）' stays so, full-width brackets and all."""
    return f.select("t", v=as_written("t"), bad=pl.lit(False))


def code(f: pl.DataFrame) -> pl.DataFrame:
    """A code (a unit's or its parent's): in one written form, NFKC and trimmed, so that
    '４４０１００' and '440100' are one code."""
    return f.select("t", v=clean("t"), bad=pl.lit(False))


# A date, with an optional time after it, in the written forms: 2021-01-20, 2021/1/20,
# 2021.1.20, 2021年1月20日, 20210120, 1月20日 (year from context); time 8:30, 08:30:00, 8时30分,
# after a space or a T; seconds may carry a fraction (19:22:29.404, 19:22:29,404), which is
# truncated, not rounded (08:59:59.999 was before 09:00:00). An offset from UTC (Z, +08:00,
# +0800, +08, -05:00) may follow a time written ISO-like, after a T or with seconds (not
# "08:30-09:30", a range): the moment is then converted to the local time of `zone` ([time]
# zone). A value without an offset is local time already and is not converted.
_YMD = r"^(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})|(\d{4})(\d{2})(\d{2})|(\d{1,2})\s*[-/.月]\s*(\d{1,2}))\s*日?"
_HMS = (r"^\s*([T ]?)\s*(?:(\d{1,2})\s*[:时時点點]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:[.,](\d+))?)?\s*[分秒]?"
        r"(?:\s*([Zz]|[+-]\d{2}(?::?\d{2})?))?)?\s*$")
_OFFSET = r"^(?:([Zz])|([+-])(\d{2}):?(\d{2})?)$"
_SERIAL = r"^(\d{5})(\.\d+)?$"
DEFAULT_ZONE = "Asia/Shanghai"      # [time] zone: the local time a value with an offset is converted to
MAX_OFFSET_HOURS = 14               # every UTC offset in use lies within -12:00 .. +14:00


def _moment(f: pl.DataFrame, default_year: int | None, zone: str = DEFAULT_ZONE) -> pl.DataFrame:
    """Adds "day" (Date) and "secs" (seconds into the day, null if no time written), local time
    of `zone` for a value written with an offset."""
    f = f.with_columns(s=clean("t").str.replace_all(r"[(][^()]*[)]", "").str.strip_chars())
    f = f.with_columns(g=pl.col("s").str.extract_groups(_YMD),
                       rest=pl.col("s").str.replace(_YMD, ""),
                       serial=pl.col("s").str.extract_groups(_SERIAL))
    g = pl.col("g").struct.field
    year = pl.lit(None if default_year is None else str(default_year), pl.String)
    f = f.with_columns(
        y=pl.coalesce(g("1"), g("4"), pl.when(g("7").is_not_null()).then(year)),
        m=pl.coalesce(g("2"), g("5"), g("7")),
        d=pl.coalesce(g("3"), g("6"), g("8")),
        hms=pl.col("rest").str.extract_groups(_HMS),
        sd=pl.col("serial").struct.field("1").cast(pl.Int64, strict=False),
        sf=pl.concat_str([pl.lit("0"), pl.col("serial").struct.field("2")]).cast(pl.Float64, strict=False),
    )
    h = pl.col("hms").struct.field
    f = f.with_columns(
        day=pl.concat_str([pl.col("y"), pl.col("m").str.zfill(2), pl.col("d").str.zfill(2)], separator="-")
        .str.to_date("%Y-%m-%d", strict=False),
        hh=h("2").cast(pl.Int64), mi=h("3").cast(pl.Int64), ss=h("4").cast(pl.Int64).fill_null(0),
        iso_like=(h("1") == "T") | h("4").is_not_null(),
        off=h("6").str.extract_groups(_OFFSET),
        time_ok=pl.col("hms").struct.field("2").is_not_null() | pl.col("rest").str.contains(r"^\s*$"),
        serial_ok=pl.col("sd").is_between(20000, 80000),
    )
    o = pl.col("off").struct.field
    f = f.with_columns(
        oh=pl.when(o("1").is_not_null()).then(0).otherwise(o("3").cast(pl.Int64)),
        om=pl.when(o("1").is_not_null()).then(0).otherwise(o("4").cast(pl.Int64).fill_null(0)),
        sign=pl.when(o("2") == "-").then(-1).otherwise(1),
    )
    offset_ok = pl.col("oh").is_null() | (
        pl.col("iso_like") & pl.col("oh").is_between(0, MAX_OFFSET_HOURS) & pl.col("om").is_between(0, 59))
    f = f.with_columns(
        time_ok=pl.col("time_ok") & offset_ok & (pl.col("hh").is_null() | (
            pl.col("hh").is_between(0, 23) & pl.col("mi").is_between(0, 59) & pl.col("ss").is_between(0, 59))),
    )
    f = f.with_columns(
        day=pl.when(pl.col("serial_ok")).then(EXCEL_EPOCH + pl.duration(days=pl.col("sd")))
        .when(pl.col("time_ok")).then(pl.col("day")),
        secs=pl.when(pl.col("serial_ok")).then((pl.col("sf").fill_null(0.0) * 86400).round(0).cast(pl.Int64))
        .when(pl.col("time_ok") & pl.col("hh").is_not_null())
        .then(pl.col("hh") * 3600 + pl.col("mi") * 60 + pl.col("ss")),
    )
    shifted = pl.col("day").is_not_null() & pl.col("secs").is_not_null() & pl.col("oh").is_not_null()
    if not f.select(shifted.any()).item():
        return f
    # The moment in UTC (the time written less its offset), then the wall clock of `zone`.
    local = ((pl.col("day").cast(pl.Datetime("us"))
              + pl.duration(seconds=pl.col("secs") - pl.col("sign") * (pl.col("oh") * 3600 + pl.col("om") * 60)))
             .dt.replace_time_zone("UTC").dt.convert_time_zone(zone).dt.replace_time_zone(None))
    f = f.with_columns(local=pl.when(shifted).then(local))
    return f.with_columns(
        day=pl.when(shifted).then(pl.col("local").dt.date()).otherwise(pl.col("day")),
        secs=pl.when(shifted).then(pl.col("local").dt.hour().cast(pl.Int64) * 3600
                                   + pl.col("local").dt.minute().cast(pl.Int64) * 60
                                   + pl.col("local").dt.second().cast(pl.Int64)).otherwise(pl.col("secs")),
    )


# Cells already in the canonical ISO form (what a form's software or Excel's CSV writes) parse to
# themselves, or to their first characters (a date-time's date; a time's whole seconds); they
# are recognised cheaply and only the others go through _moment. Years from 1000: below that,
# strftime's padding is not the text's.
_ISO_DAY = r"^[1-9]\d{3}-\d{2}-\d{2}"
_ISO_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
_ISO_DATE = _ISO_DAY + rf"(?:[T ]{_ISO_TIME}(?::[0-5]\d(?:[.,]\d+)?)?)?$"
_ISO_STAMP = _ISO_DAY + rf"[T ]{_ISO_TIME}:[0-5]\d(?:[.,]\d+)?$"


def _canonical(f: pl.DataFrame, pattern: str) -> pl.Series:
    """Whether each "t" is an ISO date (date-time) that is a real calendar day."""
    day = pl.col("t").str.slice(0, 10)
    return f.select(ok=(pl.col("t").str.contains(pattern)
                        & (day.str.to_date("%Y-%m-%d", strict=False).dt.to_string("%Y-%m-%d") == day))
                    .fill_null(False))["ok"]


# Forms a whole column is often written in, besides ISO (2021年1月5日, 2021/1/6 8:30): a cell that
# is exactly such a form is read by one strptime, which gives what _moment would; the others
# (and a form's impossible days) go through _moment. Each: (pattern, strptime format).
_Y, _M, _D = r"[1-9]\d{3}", r"(?:1[0-2]|0?[1-9])", r"(?:3[01]|[12]\d|0?[1-9])"
_HM = r" (?:[01]?\d|2[0-3]):[0-5]\d"
_DATE_FORMS = ((rf"^{_Y}年{_M}月{_D}日$", "%Y年%m月%d日"), (rf"^{_Y}/{_M}/{_D}$", "%Y/%m/%d"))
_DATETIME_FORMS = ((rf"^{_Y}/{_M}/{_D}{_HM}$", "%Y/%m/%d %H:%M"), (rf"^{_Y}-{_M}-{_D}{_HM}$", "%Y-%m-%d %H:%M"),
                   (rf"^{_Y}年{_M}月{_D}日{_HM}$", "%Y年%m月%d日 %H:%M"))


def _written_forms(f: pl.DataFrame, forms, dtype, out: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cells read by one of `forms`, with "v" as ISO text in the `out` format; the rest). The
    forms are tried in turn on the cells no earlier form read: a column is mostly written in one."""
    done = []
    for pattern, fmt in forms:
        if not f.height:
            break
        f = f.with_columns(_v=pl.when(pl.col("t").str.contains(pattern))
                           .then(pl.col("t").str.strptime(dtype, fmt, strict=False)))
        read = f.filter(pl.col("_v").is_not_null())
        if read.height:
            done.append(read.select("t", v=pl.col("_v").dt.to_string(out), bad=pl.lit(False)))
            f = f.filter(pl.col("_v").is_null())
        f = f.drop("_v")
    if not done:
        return pl.DataFrame(schema={"t": pl.String, "v": pl.String, "bad": pl.Boolean}), f
    return (pl.concat(done) if len(done) > 1 else done[0]), f


def _with_canonical(f: pl.DataFrame, pattern: str, width: int,
                    general: Callable[[pl.DataFrame], pl.DataFrame], forms=()) -> pl.DataFrame:
    """The canonical cells of `f` as their first `width` characters (a space after the date read
    as the T), cells exactly in one of `forms` by strptime, the others by `general`."""
    ok = _canonical(f, pattern)
    if forms and not ok.all():
        written, rest = _written_forms(f.filter(~ok), forms, pl.Date if width == 10 else pl.Datetime,
                                       "%Y-%m-%d" if width == 10 else "%Y-%m-%dT%H:%M:%S")
        if written.height:
            iso = _with_canonical(pl.concat([f.filter(ok), rest]), pattern, width, general)
            return pl.concat([iso, written]) if iso.height else written
    done = f.filter(ok)
    exact = done.select((pl.col("t").str.len_bytes() == width) & ~pl.col("t").str.contains(" ", literal=True))["t"]
    if exact.all():                     # the usual case: every canonical cell is its own value
        done = done.select("t", v="t", bad=pl.lit(False))
    else:
        value = pl.col("t").str.slice(0, width)
        if width > 10:
            value = pl.concat_str([value.str.slice(0, 10), pl.lit("T"), value.str.slice(11)])
        done = done.select("t", v=pl.when(exact).then(pl.col("t")).otherwise(value), bad=pl.lit(False))
    if done.height == f.height:
        return done
    rest = general(f.filter(~ok))
    return pl.concat([done, rest.select("t", pl.col("v").cast(pl.String), "bad")]) if done.height else rest


def date(f: pl.DataFrame, default_year: int | None = None, zone: str = DEFAULT_ZONE) -> pl.DataFrame:
    """The date of a cell, ISO text; a time after the date is allowed and dropped (after the
    conversion to `zone` of a time written with an offset)."""
    def general(f: pl.DataFrame) -> pl.DataFrame:
        f = _moment(f, default_year, zone)
        return f.select("t", v=pl.col("day").dt.to_string("%Y-%m-%d"),
                        bad=pl.col("s").is_not_null() & pl.col("day").is_null())
    return _with_canonical(f, _ISO_DATE, 10, general, _DATE_FORMS)


def datetime(f: pl.DataFrame, default_year: int | None = None, zone: str = DEFAULT_ZONE) -> pl.DataFrame:
    """2021-01-21T08:30:00 (whole seconds, local time of `zone`), or the date alone where no
    time is written."""
    def general(f: pl.DataFrame) -> pl.DataFrame:
        f = _moment(f, default_year, zone)
        stamp = (pl.col("day").cast(pl.Datetime) + pl.duration(seconds=pl.col("secs"))).dt.to_string(
            "%Y-%m-%dT%H:%M:%S")
        f = f.with_columns(v=pl.when(pl.col("secs").is_null()).then(pl.col("day").dt.to_string("%Y-%m-%d"))
                           .otherwise(stamp))
        return f.select("t", "v", bad=pl.col("s").is_not_null() & pl.col("v").is_null())
    return _with_canonical(f, _ISO_STAMP, 19, general, _DATETIME_FORMS)


_TEXT_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_TEXT_YEARLESS = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TEXT_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def find_date(text: str | None, default_year: int | None = None) -> _dt.date | None:
    """The first date written in a free text such as a title row or a sheet name."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    m = _TEXT_FULL.search(text)
    if m:
        y, mo, d = map(int, m.groups())
    else:
        m = _TEXT_YEARLESS.search(text)
        if not m or default_year is None:
            return None
        y, (mo, d) = default_year, map(int, m.groups())
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def find_year(text: str | None) -> int | None:
    m = _TEXT_YEAR.search(unicodedata.normalize("NFKC", text or ""))
    return int(m.group(1)) if m else None


_MONTH = r"^(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:\s*[-/.]\s*\d{1,2}\s*日?)?|(\d{4})(\d{2})|(\d{1,2})\s*月)$"


def month(f: pl.DataFrame, default_year: int | None = None) -> pl.DataFrame:
    """A month as 2021-01, from 2021-01, 2021/1, 2021.1, 2021年1月, 202101, 1月 (year from
    context), or a full date (its month)."""
    f = f.with_columns(s=clean("t"))
    f = f.with_columns(g=pl.col("s").str.extract_groups(_MONTH))
    g = pl.col("g").struct.field
    year = pl.lit(None if default_year is None else str(default_year), pl.String)
    f = f.with_columns(y=pl.coalesce(g("1"), g("3"), pl.when(g("5").is_not_null()).then(year)),
                       m=pl.coalesce(g("2"), g("4"), g("5")).cast(pl.Int64, strict=False))
    f = f.with_columns(v=pl.when(pl.col("m").is_between(1, 12) & pl.col("y").is_not_null())
                       .then(pl.concat_str([pl.col("y"), pl.col("m").cast(pl.String).str.zfill(2)], separator="-")))
    return f.select("t", "v", bad=pl.col("s").is_not_null() & pl.col("v").is_null())


NUMBER_UNITS = r"(元|公斤|千克|kg|KG|Kg|箱|件|斤)$"


def number(f: pl.DataFrame) -> pl.DataFrame:
    """A non-negative decimal such as 12.5, 1,200.50, 200元; zero words are 0."""
    f = f.with_columns(s=clean("t"))
    f = f.with_columns(n=pl.col("s").str.replace(NUMBER_UNITS, "").str.strip_chars())
    f = f.with_columns(n=pl.when(pl.col("n").str.contains(r"^\d{1,3}(,\d{3})+(\.\d+)?$"))
                       .then(pl.col("n").str.replace_all(",", "")).otherwise(pl.col("n")))
    f = f.with_columns(v=pl.when(pl.col("s").is_in(ZERO_WORDS) | pl.col("n").is_in(ZERO_WORDS))
                       .then(pl.lit(0.0))
                       .when(pl.col("n").str.contains(r"^\d+(\.\d+)?$"))
                       .then(pl.col("n").cast(pl.Float64, strict=False)))
    return f.select("t", "v", bad=pl.col("s").is_not_null() & pl.col("v").is_null())
