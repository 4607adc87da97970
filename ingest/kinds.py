"""The kind registry: every kind of sheet the workbench reads is declared here once.

A `Kind` says which fields a sheet of it has (with header synonyms, parser and a bilingual
description), how its header is recognised, which field labels a row (for telling totals and
repeated headers from data), how parsed rows are finished (derived columns, row rejections) and
what they write: one source row may yield rows in several tables, and the row accounting still
counts source rows. Header detection, the loader, `--kind`, the settings' `[headers.<kind>]`,
`fangyi template`, the GX value suites and the site's column descriptions all read this registry.

The built-in kinds register themselves from their own modules (units.py, daily.py, ...); a new
kind is one more declaration and a `register()` call, with no change to the loader.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from . import parse


@dataclass
class SheetContext:
    """What a sheet says about its rows outside the rows themselves."""
    path: str
    sheet: str
    title: str                     # the rows above the header, joined
    sheet_date: dt.date | None     # a date in the title or the sheet name
    default_year: int | None       # a year in the title, sheet name or file name
    options: "IngestOptions | None" = None
    headers: dict[str, str] = field(default_factory=dict)   # field -> its header text as written
    # what a kind works out once per sheet and reuses for its later chunks (e.g. unit keys)
    memo: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """Title, sheet name and file name: where a sheet may name its town or unit."""
        return " ".join(t for t in (self.title, self.sheet, Path(self.path).stem) if t)


# A parser: frame with the distinct cell texts in "t" -> the same with "v" (value) and "bad"
# (a non-blank cell that could not be read). See parse.py.
Parser = Callable[[pl.DataFrame, SheetContext], pl.DataFrame]

PARSERS: dict[str, tuple[Parser, str]] = {
    "text": (lambda f, ctx: parse.text(f), "text"),
    "count": (lambda f, ctx: parse.count(f), "a count"),
    "flag": (lambda f, ctx: parse.flag(f), "是/否"),
    "date": (lambda f, ctx: parse.date(f, ctx.default_year), "a date"),
    "datetime": (lambda f, ctx: parse.datetime(f, ctx.default_year), "a date and time"),
    "month": (lambda f, ctx: parse.month(f, ctx.default_year), "a month"),
    "number": (lambda f, ctx: parse.number(f), "a number"),
}
# What each parser reads, in Chinese, for rejection reasons (Chinese first, the English beside).
PARSER_ZH: dict[str, str] = {"text": "文本", "count": "個數", "flag": "是/否", "date": "日期",
                             "datetime": "日期和時間", "month": "月份", "number": "數值"}


# Default plausible maxima by parser: a count of people, an amount or a quantity.
DEFAULT_MAXIMUM = {"count": 100_000, "number": 100_000_000}


@dataclass(frozen=True)
class Plausible:
    """What value of a field is believable; a row holding anything else is rejected, naming the
    cell and the rule. Dates (date, datetime, month parsers): `window` keeps them within the
    settings' [plausible] earliest .. today + latest_days_ahead, and `period` also within
    [period] when it is set. Counts and numbers: at most `maximum` (default by parser, see
    DEFAULT_MAXIMUM; the settings' [plausible.max] <field> overrides it)."""
    window: bool = False
    period: bool = False
    maximum: int | None = None


@dataclass(frozen=True)
class Field:
    name: str
    synonyms: tuple[str, ...]      # header texts as forms write them; matched after normalisation
    parser: str = "text"           # a key of PARSERS
    zh: str = ""                   # 中文說明
    en: str = ""                   # English description
    example: str = ""              # an example cell, for `fangyi template`
    plausible: Plausible | None = None   # None: counts and numbers get DEFAULT_MAXIMUM, dates no window

    @property
    def what(self) -> str:
        return PARSERS[self.parser][1]

    @property
    def what_zh(self) -> str:
        return PARSER_ZH.get(self.parser, self.parser)

    @property
    def maximum(self) -> int | None:
        """The plausible maximum of a count or number field (before the settings' override)."""
        if self.parser not in DEFAULT_MAXIMUM:
            return None
        if self.plausible is not None and self.plausible.maximum is not None:
            return self.plausible.maximum
        return DEFAULT_MAXIMUM[self.parser]


def keep_all(frame: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    return frame


@dataclass(frozen=True)
class Kind:
    name: str
    title: str                                  # e.g. "疫情防控日報 daily report"
    table: str                                  # the main table it writes
    fields: tuple[Field, ...]
    recognise: Callable[[set[str]], bool]       # matched fields -> is this a header of the kind?
    label_field: str                            # the column that labels a row (合計, a repeated header)
    columns: tuple[str, ...]                    # the main table's columns, besides provenance
    finish: Callable[[pl.DataFrame, SheetContext], pl.DataFrame] = keep_all
    # good rows -> {table: frame with that table's columns and `_row`}; default: the main table
    write: Callable[[pl.DataFrame, SheetContext], dict[str, pl.DataFrame]] | None = None
    notes: str = ""                             # how to fill a form of this kind (template notes)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def outputs(self, good: pl.DataFrame, ctx: SheetContext) -> dict[str, pl.DataFrame]:
        if self.write is not None:
            return self.write(good, ctx)
        return {self.table: good.select(*self.columns, "_row")}

    def describe(self) -> str:
        """The main headers, for error messages."""
        return ", ".join(f.synonyms[0] for f in self.fields[:5])


EARLIEST_PLAUSIBLE = dt.date(2019, 12, 1)


@dataclass
class IngestOptions:
    """What settings change about reading: extra synonyms, level words, row filters, and what
    values are plausible (the date window, the reporting period, maxima of counts)."""
    header_synonyms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)              # extra level word -> level
    row_filters: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # kind -> column -> keep
    earliest: dt.date = EARLIEST_PLAUSIBLE      # [plausible] earliest
    latest_days_ahead: int = 1                  # [plausible] latest_days_ahead: not after today + this
    period_start: dt.date | None = None         # [period]: dates marked `period` stay inside it
    period_end: dt.date | None = None
    maxima: dict[str, int] = field(default_factory=dict)   # [plausible.max] field -> maximum

    @property
    def latest(self) -> dt.date:
        return dt.date.today() + dt.timedelta(days=self.latest_days_ahead)

    def maximum(self, f: Field) -> int | None:
        return self.maxima.get(f.name, f.maximum) if f.maximum is not None else None


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    unknown = [f.parser for f in kind.fields if f.parser not in PARSERS]
    if unknown:
        raise ValueError(f"kind {kind.name}: unknown parser(s) {unknown}")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def get(name: str) -> Kind:
    _load_builtin()
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; known: {', '.join(KINDS)}") from None


def all_kinds() -> dict[str, Kind]:
    _load_builtin()
    return KINDS


def _load_builtin() -> None:
    from . import claims, coldchain, daily, roster, units  # noqa: F401  (each registers its kind on import)
