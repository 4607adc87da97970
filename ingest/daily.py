"""Kind `daily`: the daily epidemic-prevention report (疫情防控日報), contract 1.2."""
from __future__ import annotations

import polars as pl

from . import parse
from .headers import COUNT_FIELDS
from .sheet import COUNT, FLAG, TEXT, FieldSpec, SheetContext
from .text import unit_key, unit_key_short

KIND = "daily"
TABLE = "daily_reports"
LABEL_FIELD = "unit"
COLUMNS = [
    "report_date", "unit_raw", "unit_code_raw", "unit_key", "unit_key_short", *COUNT_FIELDS,
    "zero_report", "reporter", "duty_leader", "submitted_at", "extra",
]


def specs(ctx: SheetContext) -> dict[str, FieldSpec]:
    year = ctx.default_year
    return {
        "report_date": FieldSpec(lambda c: parse.date(c, year), "a date"),
        "unit": TEXT,
        "unit_code": TEXT,
        **{name: COUNT for name in COUNT_FIELDS},
        "zero_report": FLAG,
        "reporter": TEXT,
        "duty_leader": TEXT,
        "submitted_at": FieldSpec(lambda c: parse.datetime(c, year), "a date and time"),
    }


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    sheet_date = ctx.sheet_date.isoformat() if ctx.sheet_date else None
    names = parsed["unit"].drop_nulls().unique().to_list()
    keys = {n: unit_key(n) for n in names}
    shorts = {n: unit_key_short(n) for n in names}
    no_date = ("no report date: the row has none, and neither the title nor the sheet name gives one")
    out = parsed.with_columns(
        report_date=pl.coalesce(pl.col("report_date"), pl.lit(sheet_date, pl.String)),
        unit_raw=pl.col("unit"),
        unit_code_raw=pl.col("unit_code"),
        unit_key=pl.col("unit").replace_strict(keys, default=None, return_dtype=pl.String),
        unit_key_short=pl.col("unit").replace_strict(shorts, default=None, return_dtype=pl.String),
        extra=pl.col("_extra"),
    )
    return out.with_columns(
        _reason=pl.coalesce(
            pl.col("_reason"),
            pl.when(pl.col("report_date").is_null()).then(pl.lit(no_date)),
            pl.when(pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null())
            .then(pl.lit("no unit: both the unit name and the unit code are blank")),
        )
    )
