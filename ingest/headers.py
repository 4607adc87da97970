"""Finding the header in the first rows of a sheet, by the synonyms of the registered kinds.

A header is found by synonym, never by position: each cell is normalised (see text.norm)
and looked up in the kind's synonym table, first as written, then without bracketed remarks.
A two-row header with merged cells ("新增" over "確診") is read as parent + child text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import kinds as registry
from fangyi.keys import norm, strip_brackets

HEADER_SEARCH_ROWS = 20


@dataclass
class Header:
    kind: str
    row_index: int                 # 0-based index of the first header row in the sheet
    height: int                    # 1, or 2 for a parent/child header
    texts: list[str]               # per column: header text as written (joined), or "" if none
    fields: dict[int, str] = field(default_factory=dict)   # column index -> field

    @property
    def first_data_index(self) -> int:
        return self.row_index + self.height

    def column_of(self, name: str) -> int | None:
        for col, f in self.fields.items():
            if f == name:
                return col
        return None


class SynonymTable:
    """Normalised synonym lookup for every kind, with the user's extra synonyms."""

    def __init__(self, extra: dict[str, dict[str, list[str]]] | None = None):
        self.lookup: dict[str, dict[str, str]] = {}
        kinds = registry.all_kinds()
        for kind in (extra or {}):
            if kind not in kinds:
                raise ValueError(f"settings: unknown kind {kind!r} under [headers]")
        for name, kind in kinds.items():
            table: dict[str, str] = {}
            for f in kind.fields:
                for word in [f.name, *f.synonyms, *((extra or {}).get(name, {}).get(f.name, []))]:
                    table.setdefault(norm(word), f.name)
            self.lookup[name] = table
        # A cell's normalised forms, worked out once for every kind and every sheet: the
        # sheets of a workbook repeat their titles and headers (1,000 sheets, one form).
        self.keys: dict[str, tuple[str, str]] = {}

    def field(self, kind: str, text: str | None) -> str | None:
        if not text:
            return None
        keys = self.keys.get(text)
        if keys is None:
            if len(self.keys) >= 100_000:
                self.keys.clear()
            key = norm(text)
            keys = self.keys[text] = (key, strip_brackets(key))
        if not keys[0]:
            return None
        table = self.lookup[kind]
        return table.get(keys[0]) or table.get(keys[1])


def _cell(row: list, col: int) -> str:
    if col >= len(row) or row[col] is None:
        return ""
    return str(row[col]).strip()


def _match(kind: str, texts: list[list[str]], synonyms: SynonymTable) -> dict[int, str]:
    """texts: per column, candidate texts in order of preference. First match wins per field."""
    fields: dict[int, str] = {}
    taken: set[str] = set()
    for col, candidates in enumerate(texts):
        for text in candidates:
            name = synonyms.field(kind, text)
            if name and name not in taken:
                fields[col] = name
                taken.add(name)
                break
    return fields


def _two_row_texts(parent: list, child: list, width: int) -> list[list[str]]:
    out: list[list[str]] = []
    last_parent = ""
    for col in range(width):
        p, c = _cell(parent, col), _cell(child, col)
        if p:
            last_parent = p
        elif c:
            p = last_parent          # the parent cell was merged across this column
        else:
            last_parent = ""
        out.append([p + c, c, p] if c else [p])
    return out


def find_header(rows: list[list], synonyms: SynonymTable, kinds: list[str]) -> Header | None:
    """The best header among the first rows, for the given kinds, or None.

    Most matched fields wins, then the earliest row. A two-row reading counts only where it
    matches more fields than either of its rows alone: a title above a header is not a parent.
    """
    width = max((len(r) for r in rows[:HEADER_SEARCH_ROWS + 1]), default=0)
    last = min(len(rows), HEADER_SEARCH_ROWS)
    best: Header | None = None
    for kind in kinds:
        single = [_match(kind, [[_cell(rows[i], c)] for c in range(width)], synonyms) for i in range(last)]
        for i in range(last):
            options = [(1, [[_cell(rows[i], c)] for c in range(width)], single[i])]
            if i + 1 < last:
                texts = _two_row_texts(rows[i], rows[i + 1], width)
                fields = _match(kind, texts, synonyms)
                if len(fields) > max(len(single[i]), len(single[i + 1])):
                    options.append((2, texts, fields))
            for height, texts, fields in options:
                if not registry.get(kind).recognise(set(fields.values())):
                    continue
                if best is None or len(fields) > len(best.fields) or (
                        len(fields) == len(best.fields) and i < best.row_index):
                    best = Header(kind, i, height, [t[0] if t else "" for t in texts], fields)
    return best
