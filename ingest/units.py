"""Kind `units`: the registry of reporting units (單位名錄), contract 1.1."""
from __future__ import annotations

import json
import re

import polars as pl

from .sheet import DATE, FLAG, TEXT, SheetContext
from .text import norm

KIND = "units"
TABLE = "units"
LABEL_FIELD = "name"
COLUMNS = ["unit_code", "name", "level", "parent_code", "reports_daily", "opened_on", "closed_on",
           "aliases", "extra"]

# normalised (simplified) level words -> level
LEVELS = {
    **dict.fromkeys(["区县", "区", "县", "县区", "市辖区", "旗", "district", "county"], "district"),
    **dict.fromkeys(["街道乡镇", "乡镇街道", "街道", "镇", "乡", "乡镇", "街道办", "街道办事处", "town",
                     "street"], "town"),
    **dict.fromkeys(["社区村", "村社区", "社区", "村", "居委会", "村委会", "村组", "网格", "项目部",
                     "community", "village"], "community"),
}
ALIAS_SEPARATORS = r"[、;,/|]"


def specs(ctx: SheetContext):
    return {"unit_code": TEXT, "name": TEXT, "level": TEXT, "parent_code": TEXT,
            "reports_daily": FLAG, "opened_on": DATE, "closed_on": DATE, "aliases": TEXT}


def _aliases(text: str | None) -> str | None:
    if not text:
        return None
    parts = [p.strip() for p in re.split(ALIAS_SEPARATORS, text) if p.strip()]
    return json.dumps(parts, ensure_ascii=False) if parts else None


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    levels = {t: LEVELS.get(norm(t)) for t in parsed["level"].drop_nulls().unique().to_list()}
    aliases = {t: _aliases(t) for t in parsed["aliases"].drop_nulls().unique().to_list()}
    out = parsed.with_columns(
        level_raw=pl.col("level"),
        level=pl.col("level").replace_strict(levels, default=None, return_dtype=pl.String),
        aliases=pl.col("aliases").replace_strict(aliases, default=None, return_dtype=pl.String),
        extra=pl.col("_extra"),
    ).with_columns(
        reports_daily=pl.coalesce("reports_daily", (pl.col("level") == "community").cast(pl.Int64)),
    )
    scientific = pl.col("unit_code").str.contains(r"^\d+(\.\d+)?[eE]\+?\d+$")
    return out.with_columns(
        _reason=pl.coalesce(
            pl.col("_reason"),
            pl.when(pl.col("unit_code").is_null()).then(pl.lit("no unit code")),
            pl.when(scientific).then(pl.format(
                "unit code '{}' is in scientific notation: Excel dropped its digits; "
                "format the column as text and export again", pl.col("unit_code"))),
            pl.when(pl.col("name").is_null()).then(pl.lit("no unit name")),
            pl.when(pl.col("level").is_null()).then(pl.format(
                "unknown level '{}': expected 區縣, 街道/鄉鎮 or 社區/村",
                pl.col("level_raw").fill_null(""))),
        )
    )
