"""Matching forms of names and of dates as people type them, shared by the loader (headers, unit
names), the checks (unit resolution, person names, the bulletin's week) and the site (typed unit
names, dates, months and weeks): one small module that none of them owns.

One rule for all: Unicode NFKC (full-width digits, letters, brackets and spaces become
ASCII), all whitespace removed (including line breaks inside a cell), traditional
characters converted to simplified with OpenCC, lower case.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")
_SPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")

# Level suffixes a unit name may be written with or without, at every level (simplified forms,
# longest first): 朝陽 for 朝陽區, 臨高 for 臨高縣, 延邊 for 延邊朝鮮族自治州, 河口 for 河口社區.
UNIT_SUFFIXES = (
    "特别行政区", "居民委员会", "村民委员会", "社区居委会", "街道办事处", "经济开发区", "经济技术开发区",
    "自治区", "自治州", "自治县", "自治旗", "管委会", "居委会", "村委会", "办事处", "开发区",
    "新区", "地区", "林区", "矿区", "特区", "街道", "社区",
    "省", "市", "区", "县", "旗", "盟", "州", "镇", "乡", "村",
)
UNIT_SUFFIXES = tuple(sorted(UNIT_SUFFIXES, key=len, reverse=True))
# The peoples named before 自治區/州/縣/旗 (廣西壯族自治區, 恩施土家族苗族自治州): not part of the short name.
_PEOPLES = ("壮 回 维吾尔 藏 蒙古 朝鲜 土家 苗 彝 布依 侗 瑶 白 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
            "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
            "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 满 各").split()
# 族 is often left out after a people of two characters or more (伊犁哈萨克自治州, 新疆维吾尔自治区).
_AUTONOMOUS = re.compile(r"^(.{2,}?)(?:(?:%s)族|(?:%s)族?)*自治(?:区|州|县|旗)$" % (
    "|".join(p for p in _PEOPLES if len(p) == 1),
    "|".join(sorted((p for p in _PEOPLES if len(p) > 1), key=len, reverse=True))))


@functools.lru_cache(maxsize=65536)
def norm(text: str | None) -> str:
    """The matching form of a header or a name: '新增確診\\n（人）' -> '新增确诊(人)'."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _SPACE.sub("", text)
    return _T2S.convert(text).lower()


def strip_brackets(key: str) -> str:
    """'核酸检测(人)' -> '核酸检测': unit remarks in brackets are not part of a header."""
    return _BRACKETED.sub("", key)


@functools.lru_cache(maxsize=65536)
def short_name(key: str) -> str:
    """A normalised unit name without its level suffix: '柳岸社区' -> '柳岸', '临高县' -> '临高',
    '延边朝鲜族自治州' -> '延边'. At least two characters stay ('沛县' keeps its 县)."""
    m = _AUTONOMOUS.match(key)
    if m:
        return m.group(1)
    for suffix in UNIT_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)]
    return key


def unit_key(raw: str | None) -> str | None:
    key = norm(raw)
    return key or None


def unit_key_short(raw: str | None) -> str | None:
    key = norm(raw)
    return short_name(key) if key else None


def name_key(raw: str | None) -> str | None:
    """The matching form of a person's name: normalised as above, without bracketed remarks:
    '王 芳（組長）' -> '王芳'. Rosters, claims and daily reports are compared by it."""
    key = strip_brackets(norm(raw)) if raw is not None else ""
    return key or None


# Dates, months and ISO weeks as people type them into a form (not cells of a sheet: those are
# read by ingest/parse.py with the sheet's context).
DATE_PATTERNS = [
    re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?\s*$"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$"),
]


def typed_date(value):
    """A date as people type it -> ISO 8601; None when it is not a date."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    for pattern in DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                return None
    return None


def typed_month(value):
    """A month as people type it (2021年1月, 2021-01, 202101) -> 'YYYY-MM'; None when it is not one."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", text) or re.match(r"^(\d{4})(\d{2})$", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def typed_week(value):
    """An ISO week as people type it (2021-W03, 2021年第3周, or any day of it) -> 'YYYY-Www'."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    m = re.match(r"^(\d{4})\s*[-年]?\s*(?:W|第)\s*(\d{1,2})\s*[周週]?$", text)
    if not m or not 1 <= int(m.group(2)) <= 53:
        d = typed_date(value)
        if d:
            y, w, _ = dt.date.fromisoformat(d).isocalendar()
            return f"{y}-W{w:02d}"
        return None
    return f"{m.group(1)}-W{int(m.group(2)):02d}"


# The words a place (消毒場所/點位) may be written with or without: 桃源小區 is 桃源, 1號樓電梯 is 1號樓.
PLACE_SUFFIXES = ("小区", "社区", "电梯间", "电梯", "轿厢", "楼道", "大堂", "大厅", "公共区域")


def place_key(raw: str | None) -> str | None:
    """The matching form of a place: normalised as a unit name ('桃源小區' -> '桃源小区')."""
    key = norm(raw)
    return key or None


def place_key_short(raw: str | None) -> str | None:
    """The matching form without a suffix of PLACE_SUFFIXES ('桃源小區' -> '桃源', '1號樓電梯' ->
    '1号楼'), keeping at least two characters; a place written with or without it matches."""
    key = norm(raw)
    for suffix in PLACE_SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 2:
            return key[: -len(suffix)]
    return key or None
