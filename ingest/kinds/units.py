"""Kind `units`: the registry of reporting units (單位名錄)."""
from __future__ import annotations

import json
import re

import polars as pl

from . import Column, EXTRA, Field, Kind, OPEN, SheetContext, Table, register
from fangyi.keys import norm

LEVELS = ("province", "city", "district", "town", "community")

# Level words as registries write them (normalised: simplified, no spaces) -> level.
LEVEL_WORDS = {
    **dict.fromkeys(["省", "省级", "自治区", "直辖市", "特别行政区", "province"], "province"),
    **dict.fromkeys(["市", "地级市", "市级", "地级", "地区", "自治州", "州", "盟", "city", "prefecture"], "city"),
    **dict.fromkeys(["区县", "县区", "区", "县", "县级", "县级市", "市辖区", "旗", "自治县", "自治旗", "林区",
                     "特区", "district", "county"], "district"),
    **dict.fromkeys(["街道乡镇", "乡镇街道", "街道", "镇", "乡", "乡镇", "民族乡", "苏木", "街道办", "街道办事处",
                     "乡级", "镇街", "town", "township", "street"], "town"),
    **dict.fromkeys(["社区村", "村社区", "社区", "村", "居委会", "村委会", "居民委员会", "村民委员会", "行政村",
                     "社区居委会", "嘎查", "村组", "网格", "项目部", "community", "village"], "community"),
}
ALIAS_SEPARATORS = r"[、;,/|；，／｜]"      # full-width forms too: cells are kept as written


def _aliases(text: str | None) -> str | None:
    if not text:
        return None
    parts = [p.strip() for p in re.split(ALIAS_SEPARATORS, text) if p.strip()]
    return json.dumps(parts, ensure_ascii=False) if parts else None


def level_of(text: str, extra: dict[str, str] | None = None) -> str | None:
    words = {**LEVEL_WORDS, **{norm(k): v for k, v in (extra or {}).items()}}
    return words.get(norm(text))


def finish(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    extra = ctx.options.levels if ctx.options else {}
    levels = {t: level_of(t, extra) for t in parsed["level"].drop_nulls().unique().to_list()}
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
    # one row per unit in a sheet: a code met again (in this chunk or an earlier one) is a
    # second, conflicting row, rejected naming the first; never a silent replacement
    seen: dict[str, int] = ctx.memo.setdefault("unit_codes", {})
    first = []
    for code, row in zip(out["unit_code"].to_list(), out["_row"].to_list()):
        if code is None:
            first.append(None)
            continue
        known = seen.setdefault(code, row)
        first.append(known if known != row else None)
    out = out.with_columns(_first=pl.Series(first, dtype=pl.Int64))
    return out.with_columns(
        _reason=pl.coalesce(
            pl.col("_reason"),
            pl.when(pl.col("unit_code").is_null()).then(pl.lit("沒有單位編碼 / no unit code")),
            pl.when(scientific).then(pl.format(
                "單位編碼 '{}' 是科學記數法：Excel 已丟掉其中的數字；請把這一列設為文本後重新導出 / "
                "the unit code is in scientific notation: Excel dropped its digits; "
                "format the column as text and export again", pl.col("unit_code"))),
            pl.when(pl.col("_first").is_not_null()).then(pl.format(
                "單位編碼 '{}' 在本表第 {} 行已出現：一個單位只寫一行 / the unit code is already on row {} of this "
                "sheet: one row per unit", pl.col("unit_code"), pl.col("_first"), pl.col("_first"))),
            pl.when(pl.col("unit_code") == pl.col("parent_code")).then(pl.format(
                "上級編碼 '{}' 就是本單位的編碼 / the parent code is the unit's own code", pl.col("parent_code"))),
            pl.when(pl.col("name").is_null()).then(pl.lit("沒有單位名稱 / no unit name")),
            pl.when(pl.col("level").is_null()).then(pl.format(
                "無法識別的層級 '{}'：應為 省、市、區/縣、街道/鄉鎮 或 社區/村（其他寫法可在設置的 [levels] 下添加） / "
                "unknown level: expected 省, 市, 區/縣, 街道/鄉鎮 or 社區/村 "
                "(other words can be added under [levels] in the settings)",
                pl.col("level_raw").fill_null(""))),
        )
    ).drop("_first")


KIND = register(Kind(
    name="units",
    title="單位名錄 registry of reporting units",
    fields=(
        Field("unit_code", ("單位編碼", "編碼", "區劃代碼", "統計用區劃代碼", "代碼", "行政區劃代碼"), "code",
              "單位編碼（文本，保留前導零）", "Unit code (text, leading zeros kept)", "440199001001", privacy=OPEN),
        Field("name", ("單位名稱", "名稱", "單位"), "text", "單位名稱", "Unit name", "柳岸社區", privacy=OPEN),
        Field("level", ("層級", "級別", "行政級別", "類型"), "text",
              "層級：省、市、區/縣、街道/鄉鎮、社區/村", "Level: province, city, district, town, community",
              "社區", privacy=OPEN, values=LEVELS),
        Field("parent_code", ("上級編碼", "上級單位編碼", "上級代碼", "上級區劃代碼"), "code",
              "上級單位編碼", "Code of the parent unit", "440199001000", privacy=OPEN),
        Field("reports_daily", ("是否日報", "是否報送"), "flag",
              "是否每日報送（空白：社區/村為是）", "Reports daily (blank: yes for communities)", "是", privacy=OPEN),
        Field("opened_on", ("啟用日期", "啟用時間", "成立日期"), "date",
              "啟用日期，此前不應報", "Opened on: no report is expected before", "2021-01-01", privacy=OPEN),
        Field("closed_on", ("停用日期", "停用時間", "撤銷日期"), "date",
              "停用日期，此後不應報", "Closed on: no report is expected after", "", privacy=OPEN),
        Field("aliases", ("別名", "曾用名"), "text",
              "別名，以、；，或 / 分隔", "Aliases, separated by 、 ; , or /", "柳岸居委會、老街社區", privacy=OPEN),
    ),
    recognise=lambda fields: {"unit_code", "name"} <= fields and bool({"level", "parent_code"} & fields),
    label_field="name",
    tables=(Table(
        "units", key="unit_row_id",
        zh="單位名錄的全部歷史版本，每次載入一行，從不覆蓋",
        en="Every loaded version of the unit registry, one row per load, never overwritten",
        columns=(
            Column("unit_code", "TEXT NOT NULL", "單位編碼（12 位統計區劃代碼樣式，文本）",
                   "Unit code (12-digit statistical area code style, text)"),
            Column("name", "TEXT NOT NULL", "單位名稱", "Registered name of the unit"),
            Column("level", "TEXT NOT NULL", "層級：province 省 / city 市 / district 區縣 / town 街道鄉鎮 / community 社區村",
                   "Level: province / city / district / town (street or township) / community (community or village)"),
            Column("parent_code", zh="上級單位編碼", en="Code of the parent unit"),
            Column("reports_daily", "INTEGER NOT NULL", "是否須每日報送：1 是 / 0 否（社區默認為是）",
                   "Whether the unit must report daily: 1 yes / 0 no (communities default to yes)"),
            Column("opened_on", zh="啟用日期（ISO 8601）；此前不應有報告",
                   en="Date the unit opened (ISO 8601); no report is expected before it"),
            Column("closed_on", zh="停用日期（ISO 8601）；此後不應有報告",
                   en="Date the unit closed (ISO 8601); no report is expected after it"),
            Column("aliases", zh="別名，JSON 列表", en="Other names of the unit, as a JSON list"),
            EXTRA,
        ),
        indexes=(("units_code", "unit_code"),),
    ),),
    suite="reporting",
    finish=finish,
    notes="每個單位一行；上級編碼把社區/村掛到街道/鄉鎮，街道/鄉鎮掛到區/縣。",
))
