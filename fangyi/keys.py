"""Matching forms of names, shared by the loader (headers, unit names), the checks (unit resolution,
person names) and the site (typed unit names): one small module that none of them owns.

One rule for all: Unicode NFKC (full-width digits, letters, brackets and spaces become
ASCII), all whitespace removed (including line breaks inside a cell), traditional
characters converted to simplified with OpenCC, lower case.
"""
from __future__ import annotations

import functools
import re
import unicodedata

import opencc

_T2S = opencc.OpenCC("t2s")
_SPACE = re.compile(r"\s+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")

# Suffixes a unit name may be written with or without (longest first).
UNIT_SUFFIXES = (
    "居民委员会", "村民委员会", "社区居委会", "街道办事处", "居委会", "村委会", "办事处",
    "社区", "街道", "村", "镇", "乡",
)


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


def short_name(key: str) -> str:
    """A normalised unit name without its administrative suffix: '柳岸社区' -> '柳岸'."""
    for suffix in UNIT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
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
