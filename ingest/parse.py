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


def count(col: str) -> tuple[pl.Expr, pl.Expr]:
    text = clean(col)
    number = text.str.replace(COUNT_UNITS, "").str.strip_chars()
    number = pl.when(number.str.contains(r"^\d{1,3}(,\d{3})+$")).then(
        number.str.replace_all(",", "")).otherwise(number)
    integral = number.str.contains(r"^\d+(\.0+)?$")
    value = (
        pl.when(text.is_in(ZERO_WORDS) | number.is_in(ZERO_WORDS)).then(pl.lit(0, pl.Int64))
        .when(integral).then(number.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
        .otherwise(None)
    )
    return value, text.is_not_null() & value.is_null()


def flag(col: str) -> tuple[pl.Expr, pl.Expr]:
    text = clean(col).str.to_lowercase()
    value = (
        pl.when(text.is_in(TRUE_WORDS)).then(pl.lit(1, pl.Int64))
        .when(text.is_in(FALSE_WORDS)).then(pl.lit(0, pl.Int64))
        .otherwise(None)
    )
    return value, text.is_not_null() & value.is_null()


_FULL = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_COMPACT = r"^(\d{4})(\d{2})(\d{2})"
_YEARLESS = r"^(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
_SERIAL = r"^(\d{5})(\.\d+)?$"
_TIME = r"(\d{1,2})\s*[:时時点點]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?"


def _date_parts(text: pl.Expr, default_year: int | None) -> tuple[pl.Expr, pl.Expr]:
    """(iso date text or null, remainder after the date) for the written forms."""
    full = text.str.extract_groups(_FULL)
    compact = text.str.extract_groups(_COMPACT + r"(?:\D|$)")
    yearless = text.str.extract_groups(_YEARLESS)
    year = pl.coalesce(full.struct.field("1"), compact.struct.field("1"),
                       pl.when(yearless.struct.field("1").is_not_null())
                       .then(pl.lit(None if default_year is None else str(default_year), pl.String)))
    month = pl.coalesce(full.struct.field("2"), compact.struct.field("2"), yearless.struct.field("1"))
    day = pl.coalesce(full.struct.field("3"), compact.struct.field("3"), yearless.struct.field("2"))
    iso = pl.concat_str([year, month.str.zfill(2), day.str.zfill(2)], separator="-")
    rest = pl.when(full.struct.field("1").is_not_null() | compact.struct.field("1").is_not_null()).then(
        text.str.replace(_FULL, "").str.replace(_COMPACT, "")
    ).otherwise(text.str.replace(_YEARLESS, ""))
    return iso.str.to_date("%Y-%m-%d", strict=False), rest


def _serial(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Excel serial day number -> (date, seconds into the day)."""
    groups = text.str.extract_groups(_SERIAL)
    days = groups.struct.field("1").cast(pl.Int64, strict=False)
    days = pl.when(days.is_between(20000, 80000)).then(days)
    fraction = pl.concat_str([pl.lit("0"), groups.struct.field("2")]).cast(pl.Float64, strict=False)
    seconds = (fraction.fill_null(0.0) * 86400).round(0).cast(pl.Int64)
    return EXCEL_EPOCH + pl.duration(days=days), pl.when(days.is_not_null()).then(seconds)


def date(col: str, default_year: int | None = None) -> tuple[pl.Expr, pl.Expr]:
    """2021-01-20, 2021/1/20, 2021.1.20, 2021年1月20日, 20210120, Excel serials, 1月20日."""
    text = clean(col).str.replace_all(r"[(][^()]*[)]", "")     # '(星期三)'
    parsed, rest = _date_parts(text, default_year)
    serial, _ = _serial(text)
    # after a date only a time may follow (calamine writes date cells as 2021-01-20T00:00:00)
    trailing_ok = rest.str.contains(r"^\s*[T ]?\s*(" + _TIME + r"\s*[分秒]?)?\s*$") | rest.is_null()
    value = pl.coalesce(pl.when(trailing_ok).then(parsed), serial)
    return value.dt.to_string("%Y-%m-%d"), text.is_not_null() & value.is_null()


def datetime(col: str, default_year: int | None = None) -> tuple[pl.Expr, pl.Expr]:
    """A date in any form above, then an optional time (8:30, 08:30:00, 8时30分); or a serial
    with a fraction of a day. Written as 2021-01-21T08:30:00, or the date alone if no time."""
    text = clean(col)
    parsed, rest = _date_parts(text, default_year)
    time = rest.str.extract_groups(r"^\s*[T ]?\s*" + _TIME + r"\s*(?:分|秒)?\s*$")
    no_time = rest.str.contains(r"^\s*$") | rest.is_null()
    hh, mm, ss = (time.struct.field(k).cast(pl.Int64, strict=False) for k in ("1", "2", "3"))
    time_ok = hh.is_between(0, 23) & mm.is_between(0, 59) & ss.fill_null(0).is_between(0, 59)
    clock = pl.format("{}:{}:{}", hh.cast(pl.String).str.zfill(2), mm.cast(pl.String).str.zfill(2),
                      ss.fill_null(0).cast(pl.String).str.zfill(2))
    day = parsed.dt.to_string("%Y-%m-%d")
    from_text = (
        pl.when(parsed.is_not_null() & no_time).then(day)
        .when(parsed.is_not_null() & time_ok).then(pl.format("{}T{}", day, clock))
    )
    serial, seconds = _serial(text)
    from_serial = (serial.cast(pl.Datetime) + pl.duration(seconds=seconds)).dt.to_string("%Y-%m-%dT%H:%M:%S")
    value = pl.coalesce(from_text, from_serial)
    return value, text.is_not_null() & value.is_null()


def text(col: str) -> tuple[pl.Expr, pl.Expr]:
    return clean(col), pl.lit(False)


_TEXT_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_TEXT_YEARLESS = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TEXT_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def find_date(text: str | None, default_year: int | None = None) -> _dt.date | None:
    """The first date written in a free text such as a title row or a sheet name."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text)
    for pattern, year in ((_TEXT_FULL, None), (_TEXT_YEARLESS, default_year)):
        m = pattern.search(text)
        if not m:
            continue
        parts = [int(g) for g in m.groups()]
        y, mo, d = parts if year is None else [year, *parts]
        if y is None:
            return None
        try:
            return _dt.date(y, mo, d)
        except ValueError:
            return None
    return None


def find_year(text: str | None) -> int | None:
    m = _TEXT_YEAR.search(unicodedata.normalize("NFKC", text or ""))
    return int(m.group(1)) if m else None
