"""Finding the header in the first rows of a sheet, by the synonyms of the registered kinds.

A header is found by synonym, never by position: each cell is normalised (see text.norm)
and looked up in the kind's synonym table, first as written, then without bracketed remarks.
A two-row header with merged cells ("新增" over "確診") is read as parent + child text.

One column may feed several fields: a header the settings name for two fields
(`report_date = ["updateTime"]` and `submitted_at = ["updateTime"]` under [headers.daily]) fills
both from that column. When a header is claimed by several fields without the settings naming it
for every one of them (two built-in synonyms, or the settings for one field and a built-in
synonym for another), all of them are filled too (the column says all of them), and the header
carries a warning naming the column and the fields (`Header.warnings`), which the ingest prints
and records with the file.
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
    # column index -> the fields it feeds, usually one (see the module docstring)
    fields: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # columns claimed by several fields that the settings did not name for all of them:
    # (column index, the fields), for the warning
    shared: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    @property
    def first_data_index(self) -> int:
        return self.row_index + self.height

    @property
    def names(self) -> set[str]:
        """Every field the header maps."""
        return {f for fs in self.fields.values() for f in fs}

    def by_field(self) -> dict[str, int]:
        """field -> the column that feeds it, in column order."""
        return {f: col for col, fs in sorted(self.fields.items()) for f in fs}

    def column_of(self, name: str) -> int | None:
        for col, fs in self.fields.items():
            if name in fs:
                return col
        return None


class SynonymTable:
    """Normalised synonym lookup for every kind, with the user's extra synonyms."""

    def __init__(self, extra: dict[str, dict[str, list[str]]] | None = None):
        # kind -> normalised word -> the fields it names (in the kind's order of fields)
        self.lookup: dict[str, dict[str, tuple[str, ...]]] = {}
        # kind -> the normalised words that the settings name for all the fields they name: a
        # column so named feeds them all without a warning
        self.requested: dict[str, set[str]] = {}
        kinds = registry.all_kinds()
        for kind in (extra or {}):
            if kind not in kinds:
                raise ValueError(f"settings: unknown kind {kind!r} under [headers]")
        for name, kind in kinds.items():
            table: dict[str, list[str]] = {}
            by_settings: dict[str, set[str]] = {}
            for f in kind.fields:
                user = [norm(w) for w in (extra or {}).get(name, {}).get(f.name, [])]
                for key in [norm(f.name), *(norm(w) for w in f.synonyms), *user]:
                    if f.name not in table.setdefault(key, []):
                        table[key].append(f.name)
                for key in user:
                    by_settings.setdefault(key, set()).add(f.name)
            self.lookup[name] = {key: tuple(fs) for key, fs in table.items()}
            self.requested[name] = {key for key, fs in table.items()
                                    if len(fs) > 1 and by_settings.get(key, set()) >= set(fs)}
        # A cell's normalised forms, worked out once for every kind and every sheet: the
        # sheets of a workbook repeat their titles and headers (1,000 sheets, one form).
        self.keys: dict[str, tuple[str, str]] = {}
        self.any_kind: set[str] = {key for table in self.lookup.values() for key in table}

    def _keys(self, text: str) -> tuple[str, str]:
        keys = self.keys.get(text)
        if keys is None:
            if len(self.keys) >= 100_000:
                self.keys.clear()
            key = norm(text)
            keys = self.keys[text] = (key, strip_brackets(key))
        return keys

    def names_a_field(self, text: str | None) -> bool:
        """Whether a text names a field of any kind (then match() finds it for some kind)."""
        if not text:
            return False
        keys = self._keys(text)
        return bool(keys[0]) and (keys[0] in self.any_kind or keys[1] in self.any_kind)

    def field(self, kind: str, text: str | None) -> str | None:
        """The first field a header text names, or None."""
        match = self.match(kind, text)
        return match[0][0] if match else None

    def match(self, kind: str, text: str | None) -> tuple[tuple[str, ...], bool] | None:
        """(the fields a header text names, whether the settings asked for all of them), or None."""
        if not text:
            return None
        keys = self._keys(text)
        if not keys[0]:
            return None
        table = self.lookup[kind]
        key = keys[0] if keys[0] in table else keys[1]
        fields = table.get(key)
        if fields is None:
            return None
        return fields, len(fields) == 1 or key in self.requested[kind]


def _cell(row: list, col: int) -> str:
    if col >= len(row) or row[col] is None:
        return ""
    return str(row[col]).strip()


def _match(kind: str, texts: list[list[str]], synonyms: SynonymTable,
           ) -> tuple[dict[int, tuple[str, ...]], list[tuple[int, tuple[str, ...]]]]:
    """texts: per column, candidate texts in order of preference. First match wins per field;
    a column feeds every field its text names that no column before it feeds. Returns (column ->
    fields, the columns feeding several fields that the settings did not ask for)."""
    fields: dict[int, tuple[str, ...]] = {}
    shared: list[tuple[int, tuple[str, ...]]] = []
    taken: set[str] = set()
    for col, candidates in enumerate(texts):
        for text in candidates:
            match = synonyms.match(kind, text)
            if not match:
                continue
            names = tuple(n for n in match[0] if n not in taken)
            if names:
                fields[col] = names
                taken.update(names)
                if len(names) > 1 and not match[1]:
                    shared.append((col, names))
                break
    return fields, shared


def _count(fields: dict[int, tuple[str, ...]]) -> int:
    return sum(len(fs) for fs in fields.values())


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
    # Each row's texts, read once for all kinds; a reading none of whose texts names a field of
    # any kind (a data row, mostly) matches nothing and is not tried kind by kind.
    one_row = [[[_cell(rows[i], c)] for c in range(width)] for i in range(last)]
    two_rows = [_two_row_texts(rows[i], rows[i + 1], width) for i in range(last - 1)]

    def names_any(texts: list[list[str]]) -> bool:
        return any(synonyms.names_a_field(t) for candidates in texts for t in candidates)
    one_named = [names_any(t) for t in one_row]
    two_named = [names_any(t) for t in two_rows]
    nothing: tuple[dict, list] = ({}, [])
    for kind in kinds:
        single = [_match(kind, one_row[i], synonyms) if one_named[i] else nothing for i in range(last)]
        for i in range(last):
            options = [(1, one_row[i], *single[i])]
            if i + 1 < last:
                texts = two_rows[i]
                fields, shared = _match(kind, texts, synonyms) if two_named[i] else nothing
                if _count(fields) > max(_count(single[i][0]), _count(single[i + 1][0])):
                    options.append((2, texts, fields, shared))
            for height, texts, fields, shared in options:
                names = {f for fs in fields.values() for f in fs}
                if not registry.get(kind).recognise(names):
                    continue
                if best is None or len(names) > len(best.names) or (
                        len(names) == len(best.names) and i < best.row_index):
                    best = Header(kind, i, height, [t[0] if t else "" for t in texts], fields, shared)
    return best
