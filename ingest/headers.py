"""Header synonyms per kind, and finding the header in the first rows of a sheet.

A header is found by synonym, never by position: each cell is normalised (see text.norm)
and looked up in the kind's synonym table, first as written, then without bracketed remarks.
A two-row header with merged cells ("新增" over "確診") is read as parent + child text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .text import norm, strip_brackets

# field -> synonyms, as the contract writes them (traditional); matched after normalisation.
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "units": {
        "unit_code": ["單位編碼", "編碼", "區劃代碼", "統計用區劃代碼", "代碼"],
        "name": ["單位名稱", "名稱", "單位"],
        "level": ["層級", "級別"],
        "parent_code": ["上級編碼", "上級單位編碼", "上級代碼"],
        "reports_daily": ["是否日報", "是否報送"],
        "opened_on": ["啟用日期", "啟用時間", "成立日期"],
        "closed_on": ["停用日期", "停用時間", "撤銷日期"],
        "aliases": ["別名", "曾用名"],
    },
    "daily": {
        "report_date": ["日期", "填報日期", "報告日期", "統計日期", "報表日期"],
        "unit": ["單位", "報送單位", "社區(村)", "單位名稱", "社區", "村(社區)", "社區名稱", "村名"],
        "unit_code": ["單位編碼", "編碼", "區劃代碼"],
        "new_confirmed": ["新增確診", "新增確診病例", "新增確診人數"],
        "new_suspected": ["新增疑似", "新增疑似病例", "新增疑似人數"],
        "new_asymptomatic": ["新增無癥狀", "新增無癥狀感染者", "新增無症狀", "新增無症狀感染者"],
        "close_contacts": ["密切接觸者", "密接", "密接人數", "密切接觸者人數"],
        "returnees_registered": ["返鄉人員登記", "新增返鄉人員", "返鄉人員", "返鄉人員登記人數"],
        "home_isolation": ["居家隔離", "居家健康監測", "居家隔離人數"],
        "central_isolation": ["集中隔離", "集中隔離人數"],
        "fever_cases": ["發熱人員", "發熱病人", "發熱人數"],
        "tests_done": ["核酸檢測人數", "核酸檢測", "核酸檢測數"],
        "zero_report": ["是否零報告", "零報告"],
        "reporter": ["填報人", "填表人"],
        "duty_leader": ["帶班領導", "值班領導"],
        "submitted_at": ["報送時間", "上報時間", "填報時間"],
    },
}

# Which fields make a header recognisable as a kind.
COUNT_FIELDS = [
    "new_confirmed", "new_suspected", "new_asymptomatic", "close_contacts",
    "returnees_registered", "home_isolation", "central_isolation", "fever_cases", "tests_done",
]


def _is_kind(kind: str, fields: set[str]) -> bool:
    if kind == "units":
        return {"unit_code", "name"} <= fields and bool({"level", "parent_code"} & fields)
    if kind == "daily":
        has_unit = bool({"unit", "unit_code"} & fields)
        return has_unit and len(fields & set(COUNT_FIELDS + ["zero_report"])) >= 2
    return False


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
        for kind, fields in SYNONYMS.items():
            table: dict[str, str] = {}
            for name, words in fields.items():
                for word in [name, *words, *((extra or {}).get(kind, {}).get(name, []))]:
                    table.setdefault(norm(word), name)
            self.lookup[kind] = table
        for kind in (extra or {}):
            if kind not in self.lookup:
                raise ValueError(f"settings: unknown kind {kind!r} under [headers]")

    def field(self, kind: str, text: str | None) -> str | None:
        key = norm(text)
        if not key:
            return None
        table = self.lookup[kind]
        return table.get(key) or table.get(strip_brackets(key))


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
                if not _is_kind(kind, set(fields.values())):
                    continue
                if best is None or len(fields) > len(best.fields) or (
                        len(fields) == len(best.fields) and i < best.row_index):
                    best = Header(kind, i, height, [t[0] if t else "" for t in texts], fields)
    return best

def describe(kind: str) -> str:
    """The main headers of a kind, for error messages."""
    return ", ".join(words[0] for words in list(SYNONYMS[kind].values())[:5])
