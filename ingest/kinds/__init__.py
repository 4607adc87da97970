"""The kind registry: the one source of truth for a kind of record the workbench reads.

A `Kind` declares, in one place:
- its fields: header synonyms, parser, zh/en labels, an example and the field's privacy class;
- how its header is recognised and which field labels a row (telling totals and repeated
  headers from data), how parsed rows are finished (derived columns, row rejections) and what
  they write: one source row may yield rows in several tables;
- its tables (`Table`): every column with its SQL type, zh/en label and privacy class. The
  DDL is generated from them (`ddl()`, `create_tables()`), so a kind needs no edit of
  db/schema.sql; the site's column headers, the downloads' headers and the docs read the labels;
  the open copy publishes a column only when its class is `open` (see PRIVACY);
- whether its rows are reference data (the registry of units) or dated records and by which
  column, and whether a record is expected of every unit on every day (daily reports, with their
  own tuned calendar table) or, for any other dated kind, of each unit or each listed place on
  every day and time slot (`Expected`: the shared expected-record calendar, which gives the kind
  its expected days without SQL of its own);
- optionally a suite folder of its own checks and a demo writer (kinds brought by a plug-in).

Header detection, the loader, `--kind`, the settings' `[headers.<kind>]`, `fangyi template`,
the GX value suites, the checks' record counts, the open copy and the site all read this registry.

Kinds are discovered, not listed: every module of this package registers its kind(s) on
import, and so does every module named by an entry point in the group `fangyi.kinds` (a
district's own kind, installed as a package). A test may also `register()` a kind directly.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from .. import parse


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
    def zone(self) -> str:
        """The time zone a date and time written with an offset is converted to ([time] zone)."""
        return self.options.zone if self.options else parse.DEFAULT_ZONE

    @property
    def text(self) -> str:
        """Title, sheet name and file name: where a sheet may name its town or unit."""
        return " ".join(t for t in (self.title, self.sheet, Path(self.path).stem) if t)


# A parser: frame with the distinct cell texts in "t" -> the same with "v" (value) and "bad"
# (a non-blank cell that could not be read). See parse.py.
Parser = Callable[[pl.DataFrame, SheetContext], pl.DataFrame]

PARSERS: dict[str, tuple[Parser, str]] = {
    "text": (lambda f, ctx: parse.text(f), "text"),
    "code": (lambda f, ctx: parse.code(f), "a code"),
    "count": (lambda f, ctx: parse.count(f), "a count"),
    "flag": (lambda f, ctx: parse.flag(f), "是/否"),
    "date": (lambda f, ctx: parse.date(f, ctx.default_year, ctx.zone), "a date"),
    "datetime": (lambda f, ctx: parse.datetime(f, ctx.default_year, ctx.zone), "a date and time"),
    "month": (lambda f, ctx: parse.month(f, ctx.default_year), "a month"),
    "number": (lambda f, ctx: parse.number(f), "a number"),
}
# What each parser reads, in Chinese, for rejection reasons (Chinese first, the English beside).
PARSER_ZH: dict[str, str] = {"text": "文本", "code": "編碼", "count": "個數", "flag": "是/否", "date": "日期",
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


# Privacy classes: what a column holds, and so what the open copy (for anonymous visitors) does
# with it. Private unless declared open: a column with no class is treated as PRIVATE.
OPEN = "open"               # published as it is (counts, dates, codes, registry names, businesses)
NAME = "name"               # a person's name: a pseudonym (人員001), or the column's `role` word
NAMES = "names"             # several names in one cell: each a pseudonym, joined by 、
PHONE = "phone"             # masked: 138****1234
ID_NUMBER = "id_number"     # an identity-card or passport number: dropped
ADDRESS = "address"         # dropped
FREE_TEXT = "free_text"     # text that may hold anything (remarks, unknown columns, raw rows): dropped
PRIVATE = "private"         # anything else not for the public: dropped
SHEET = "sheet"             # a sheet name (may name a person): its position, 工作表2
FILE = "file"               # a file path (may name a person): its number, 文件7.xlsx
UNIT_NAME = "unit_name"     # a unit as written: the registry's name of the unit it resolves to
PRIVACY = {
    OPEN: "公開 published as is",
    NAME: "人名：換成代號（人員001）或職務 a person's name: a pseudonym or a role",
    NAMES: "多個人名：逐個換成代號 several names: each a pseudonym",
    PHONE: "電話：遮蔽為 138****1234 a phone number: masked",
    ID_NUMBER: "證件號碼：不公開 an identity number: withheld",
    ADDRESS: "地址：不公開 an address: withheld",
    FREE_TEXT: "自由文本：不公開 free text: withheld",
    PRIVATE: "不公開 withheld",
    SHEET: "工作表名：只給位置 a sheet name: its position only",
    FILE: "文件路徑：只給編號 a file path: its number only",
    UNIT_NAME: "單位原文：換成名錄中的單位名稱，未能識別則不公開 a unit as written: the registry's name, withheld when unresolved",
}
PERSONAL = {NAME, NAMES, PHONE, ID_NUMBER, ADDRESS, FREE_TEXT}


@dataclass(frozen=True)
class Field:
    name: str
    synonyms: tuple[str, ...]      # header texts as forms write them; matched after normalisation
    parser: str = "text"           # a key of PARSERS
    zh: str = ""                   # 中文說明
    en: str = ""                   # English description
    example: str = ""              # an example cell, for `fangyi template`
    plausible: Plausible | None = None   # None: counts and numbers get DEFAULT_MAXIMUM, dates no window
    privacy: str = PRIVATE         # a class of PRIVACY; private unless declared open
    role: str | None = None        # for a NAME field: the word the open copy shows instead (填報人)
    values: tuple[str, ...] = ()   # the values the field may take once read (GX checks them), if a closed set

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


# SQL type of a column holding a field, by the field's parser.
SQL_TYPES = {"count": "INTEGER", "flag": "INTEGER", "number": "REAL"}


@dataclass(frozen=True)
class Column:
    """One column of a kind's table. Labels, privacy and type left empty are taken from the
    kind's field of the same name (a column holding a field as read)."""
    name: str
    type: str = ""                 # SQL type and constraints: "TEXT NOT NULL", "INTEGER"
    zh: str = ""
    en: str = ""
    privacy: str = ""              # a class of PRIVACY ("": the field's, else PRIVATE)
    role: str | None = None        # for a NAME column: the word shown instead of the name


# The columns of a sheet that no field matched, as a JSON object {header: cell}: may hold anything.
EXTRA = Column("extra", "TEXT", "工作台不認識的其他列，JSON 對象", "JSON object of columns the workbench does not know",
               FREE_TEXT)
# Provenance every loaded row carries (after the columns of its table).
NAME_ID = Column("name_id", "INTEGER", "單位寫法編號（見 unit_names）", "Id of the way the row names its unit (see unit_names)", OPEN)
PROVENANCE = (
    Column("file_id", "INTEGER NOT NULL REFERENCES source_files(file_id)", "來源文件編號（見 source_files）",
           "Source file id (see source_files)", OPEN),
    Column("sheet", "TEXT NOT NULL", "來源工作表名稱（CSV 為空字符串）", 'Source sheet name ("" for a CSV)', SHEET),
    Column("row_number", "INTEGER NOT NULL", "在來源工作表中的行號，從 1 起算，含標題和表頭行",
           "Row number in the source sheet, counting from 1 and including title and header rows", OPEN),
)


@dataclass(frozen=True)
class Table:
    """A table a kind writes: an integer primary key, its columns, then (when it names a unit)
    name_id and the provenance columns; indexes as (name, "col, col")."""
    name: str
    key: str                                    # the INTEGER PRIMARY KEY column
    columns: tuple[Column, ...]
    names_unit: bool = False                    # rows name a unit: a name_id column (see unit_names)
    indexes: tuple[tuple[str, str], ...] = ()
    zh: str = ""                                # what the table holds
    en: str = ""

    @property
    def data_columns(self) -> tuple[str, ...]:
        """The columns a kind's rows fill (all but the key and the provenance)."""
        return tuple(c.name for c in self.columns)

    def all_columns(self) -> tuple[Column, ...]:
        key = Column(self.key, "INTEGER PRIMARY KEY", "編號（主鍵）", "Id (primary key)", OPEN)
        return (key, *self.columns, *((NAME_ID,) if self.names_unit else ()), *PROVENANCE)

    def ddl(self) -> list[str]:
        body = ",\n".join(f"    {c.name} {c.type}" for c in self.all_columns())
        out = [f"CREATE TABLE IF NOT EXISTS {self.name} (\n{body}\n)"]
        out += [f"CREATE INDEX IF NOT EXISTS {name} ON {self.name}({cols})" for name, cols in self.indexes]
        return out


# How often a subject of an expected kind must have a record (see Expected); slots within a day:
# daily: the whole day; twice_daily: one before noon and one from noon on; every_2h: each two
# hours of the kind's opening hours ([<kind>] opening_hours, default 08:00-20:00).
FREQUENCIES = ("daily", "twice_daily", "every_2h")
DEFAULT_OPENING_HOURS = "08:00-20:00"


@dataclass(frozen=True)
class Expected:
    """What makes records of a dated kind expected, for the shared expected-record calendar
    (checks/_materialise/800_expected_subjects.sql, 810_expected_record_status.sql): its
    subjects, each expected on every day of the reporting period inside its opened_on ..
    closed_on, in the slots of its frequency. No SQL of the kind's own is needed.

    per="unit": every unit of the registry marked to report daily (units_in_force.reports_daily),
    its records matched by the unit they name (name_id). per="place": every place listed for the
    kind, by the rows of its places kind (`places`: a reference kind whose table has unit (name_id),
    place, place_key, place_key_short, frequency, opened_on, closed_on) and by the settings'
    [[<kind>.places]]; its records matched by unit and place key (place_key / place_key_short
    columns of the main table). `time`: the main table's column holding the time of day (HH:MM),
    which slots are judged by; without it (or on a day with a record without a time) only the
    day is judged."""
    per: str = "unit"                   # unit | place
    places: str | None = None           # per place: the reference kind listing the places
    time: str | None = None             # the main table's time-of-day column (HH:MM), if any
    frequency: str = "daily"            # per unit: the frequency of every unit (a place has its own)


def keep_all(frame: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    return frame


@dataclass(frozen=True)
class Kind:
    name: str
    title: str                                  # e.g. "疫情防控日報 daily report"
    fields: tuple[Field, ...]
    recognise: Callable[[set[str]], bool]       # matched fields -> is this a header of the kind?
    label_field: str                            # the column that labels a row (合計, a repeated header)
    tables: tuple[Table, ...]                   # the first is the main table
    dated_by: str | None = None                 # the main table's date column; None: reference data
    expected_daily: bool = False                # a record is expected of every unit on every day
    # (the daily reports: their expected unit-days are the tuned table expected_report_status);
    # any other kind whose records are expected per unit or per place and day: see Expected
    expected: "Expected | None" = None
    finish: Callable[[pl.DataFrame, SheetContext], pl.DataFrame] = keep_all
    # good rows -> {table: frame with that table's columns and `_row`}; default: the main table
    write: Callable[[pl.DataFrame, SheetContext], dict[str, pl.DataFrame]] | None = None
    notes: str = ""                             # how to fill a form of this kind (template notes)
    suite: str = ""                             # the folder of checks/ whose checks read its tables
    checks: Path | None = None                  # a suite folder of the kind's own checks (a plug-in's)
    # the kind's demo writer: (random.Random, the demo district's units) -> [fangyi.demo.files.OutFile],
    # or "module:function" naming it (see fangyi.demo.kind_demos)
    demo: Callable | str | None = None

    def __post_init__(self):
        # a column holding a field takes its type, labels and privacy from the field
        fields = {f.name: f for f in self.fields}
        tables = []
        for t in self.tables:
            cols = []
            for c in t.columns:
                f = fields.get(c.name)
                cols.append(Column(
                    c.name, c.type or (SQL_TYPES.get(f.parser, "TEXT") if f else "TEXT"),
                    c.zh or (f.zh if f else ""), c.en or (f.en if f else ""),
                    c.privacy or (f.privacy if f else PRIVATE), c.role or (f.role if f else None)))
            tables.append(Table(t.name, t.key, tuple(cols), t.names_unit, t.indexes, t.zh, t.en))
        object.__setattr__(self, "tables", tuple(tables))

    @property
    def table(self) -> str:
        """The main table."""
        return self.tables[0].name

    @property
    def columns(self) -> tuple[str, ...]:
        """The main table's columns that rows fill."""
        return self.tables[0].data_columns

    @property
    def reference(self) -> bool:
        return self.dated_by is None

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
# The most characters a cell may hold ([limits] max_cell_chars): Excel's and WPS's own limit
# for a cell, so no form typed in a spreadsheet exceeds it; a longer cell (a generated file, a
# runaway quote, an attack) rejects its row instead of being parsed and stored.
MAX_CELL_CHARS = 32_767


@dataclass
class IngestOptions:
    """What settings change about reading: extra synonyms, level words, row filters, and what
    values are plausible (the date window, the reporting period, maxima of counts), and the local
    time zone of dates and times written with an offset from UTC."""
    header_synonyms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)              # extra level word -> level
    row_filters: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # kind -> column -> keep
    earliest: dt.date = EARLIEST_PLAUSIBLE      # [plausible] earliest
    latest_days_ahead: int = 1                  # [plausible] latest_days_ahead: not after today + this
    period_start: dt.date | None = None         # [period]: dates marked `period` stay inside it
    period_end: dt.date | None = None
    maxima: dict[str, int] = field(default_factory=dict)   # [plausible.max] field -> maximum
    max_cell_chars: int = MAX_CELL_CHARS        # [limits] max_cell_chars: a longer cell rejects its row
    zone: str = parse.DEFAULT_ZONE              # [time] zone: local time of a value written with an offset

    @property
    def latest(self) -> dt.date:
        return dt.date.today() + dt.timedelta(days=self.latest_days_ahead)

    def maximum(self, f: Field) -> int | None:
        return self.maxima.get(f.name, f.maximum) if f.maximum is not None else None


class KindError(ValueError):
    """A kind that cannot be registered, or a plug-in whose kinds cannot be loaded."""


KINDS: dict[str, Kind] = {}
ENTRY_POINTS = "fangyi.kinds"       # a plug-in's modules, each registering its kind(s) on import


def register(kind: Kind) -> Kind:
    unknown = [f.parser for f in kind.fields if f.parser not in PARSERS]
    if unknown:
        raise KindError(f"kind {kind.name}: unknown parser(s) {unknown}")
    bad = [f"{f.name}: {f.privacy}" for f in kind.fields if f.privacy not in PRIVACY]
    bad += [f"{t.name}.{c.name}: {c.privacy}" for t in kind.tables for c in t.columns if c.privacy not in PRIVACY]
    if bad:
        raise KindError(f"kind {kind.name}: unknown privacy class(es) {bad}; known: {', '.join(PRIVACY)}")
    if kind.dated_by is not None and kind.dated_by not in kind.columns:
        raise KindError(f"kind {kind.name}: dated_by {kind.dated_by!r} is not a column of {kind.table}")
    if kind.expected is not None:
        e = kind.expected
        if kind.dated_by is None or not kind.tables[0].names_unit or e.per not in ("unit", "place") or e.frequency not in FREQUENCIES \
                or (e.per == "place") != bool(e.places) or (e.time is not None and e.time not in kind.columns):
            raise KindError(f"kind {kind.name}: expected needs dated records naming their unit, per 'unit' or 'place' (a place "
                            f"kind for 'place'), a frequency of {', '.join(FREQUENCIES)} and a time column "
                            f"of {kind.table} if any: {e}")
    taken = {t.name: k.name for k in KINDS.values() if k.name != kind.name for t in k.tables}
    clash = [t.name for t in kind.tables if t.name in taken]
    if clash:
        raise KindError(f"kind {kind.name}: table(s) {clash} already belong to kind(s) "
                        f"{sorted({taken[t] for t in clash})}")
    KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    KINDS.pop(name, None)


def get(name: str) -> Kind:
    _discover()
    try:
        return KINDS[name]
    except KeyError:
        raise KindError(f"unknown kind {name!r}; known: {', '.join(KINDS)}") from None


def all_kinds() -> dict[str, Kind]:
    _discover()
    return KINDS


def tables() -> dict[str, tuple[Kind, Table]]:
    """{table name: (kind, table)} of every registered kind."""
    return {t.name: (k, t) for k in all_kinds().values() for t in k.tables}


def ddl() -> list[str]:
    """CREATE statements of every registered kind's tables and indexes."""
    return [stmt for _, t in tables().values() for stmt in t.ddl()]


# The shared expected-record calendar's derived tables (see Expected), filled by `fangyi check`
# (checks/_materialise/800_expected_subjects.sql, 810_expected_record_status.sql) for every kind
# marked expected; created with the kinds' tables, so they exist whichever kinds are registered.
EXPECTED_DDL = """
CREATE TABLE IF NOT EXISTS expected_subjects (
    kind            TEXT NOT NULL,
    subject_key     TEXT NOT NULL,        -- per unit: the unit code, per place: unit code ':' place_key_short
    unit_code       TEXT,
    place           TEXT,                 -- per place: as listed
    place_key       TEXT,
    place_key_short TEXT,
    frequency       TEXT NOT NULL,        -- daily | twice_daily | every_2h
    opened_on       TEXT,
    closed_on       TEXT,
    source          TEXT NOT NULL,        -- units | settings | sheet
    file_id         INTEGER,              -- a place from a sheet: where it is listed
    sheet           TEXT,
    row_number      INTEGER,
    PRIMARY KEY (kind, subject_key)
);
CREATE TABLE IF NOT EXISTS expected_record_status (
    kind          TEXT NOT NULL,
    subject_key   TEXT NOT NULL,
    unit_code     TEXT,
    day           TEXT NOT NULL,
    slot          INTEGER NOT NULL,       -- 0, 1, ... in the day
    slot_start    TEXT NOT NULL,          -- HH:MM
    slot_end      TEXT NOT NULL,          -- HH:MM (24:00: end of the day)
    frequency     TEXT NOT NULL,
    records       INTEGER NOT NULL,       -- the subject's records in the slot (daily: of the day, timed or not)
    record_id     INTEGER,                -- the first of them
    day_records   INTEGER NOT NULL,       -- the subject's records of the day
    day_untimed   INTEGER NOT NULL,       -- ... of them without a time
    subject_timed INTEGER NOT NULL,       -- 1: some record of the subject has a time
    PRIMARY KEY (kind, subject_key, day, slot)
) WITHOUT ROWID;
"""


def create_tables(conn) -> None:
    """Create the tables (and indexes) of every registered kind that the database lacks, and the
    expected-record calendar's tables (EXPECTED_DDL). Called by the writers (ingest, check) after
    db.connect(); existing tables are left as they are."""
    for stmt in ddl():
        conn.execute(stmt)
    for stmt in EXPECTED_DDL.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def values_of(field_name: str) -> tuple[str, ...]:
    """The closed set of values that fields of this name declare (e.g. the unit levels)."""
    return tuple(dict.fromkeys(v for k in all_kinds().values() for f in k.fields if f.name == field_name
                               for v in f.values))


_discovered = False
_discovering = False


def _discover() -> None:
    """Import every module of this package and every `fangyi.kinds` entry point, once."""
    global _discovered, _discovering
    if _discovered or _discovering:
        return
    _discovering = True
    try:
        import importlib
        import pkgutil
        from importlib.metadata import entry_points

        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        for ep in entry_points(group=ENTRY_POINTS):
            try:
                ep.load()
            except Exception as exc:        # a plug-in's own error: named, not a traceback
                raise KindError(f"the kind plug-in {ep.name!r} ({ep.value}, entry point group {ENTRY_POINTS}) "
                                f"cannot be loaded: {type(exc).__name__}: {exc}") from exc
        _discovered = True
    finally:
        _discovering = False


def expected_kinds() -> list[dict]:
    """The kinds whose records are expected per unit or place and day (Kind.expected), as the
    shared calendar's templates read them (checks/_materialise/8xx): one dict per kind, in name
    order, naming its table and columns."""
    out = []
    for kind in sorted(all_kinds().values(), key=lambda k: k.name):
        e = kind.expected
        if e is None:
            continue
        out.append({"name": kind.name, "table": kind.table, "date": kind.dated_by, "time": e.time,
                    "per": e.per, "frequency": e.frequency,
                    "places": get(e.places).table if e.places else None,
                    "names_unit": kind.tables[0].names_unit})
    return out
