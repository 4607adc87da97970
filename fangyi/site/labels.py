"""The Chinese a page shows for what the database stores in English: a column's short label
(town_code → 所屬街道鄉鎮編碼), a code's label (day → 白班, receipt → 進貨) and the words of Datasette's
own pages (Apply → 套用).

Why here and from these sources: a column is described once, "中文 — English", by the kind
registry (a kind's tables, fangyi.ingest.kinds) or by metadata.yml (derived tables and views,
and a canned query's `columns:`); its label is the Chinese of that description up to the first
comma, colon or bracket, so a new kind is Chinese on every page without editing a template.
A closed set of codes is described in the same text as "code 中文 / code 中文" (班次：day 白班 /
night 夜班 / leader 帶班領導); those pairs are the value labels. Only the HTML pages use them:
the JSON and CSV, the downloads' rows and the URLs keep the stored names and values (the
downloads' headers read column_header, below).

English stays in reach without a switch: a column header shows the stored name in small type
under its label (on wide screens), a coded value keeps the stored code in its title (hover), and
the words of the pages are bilingual ("套用 / Apply") where a visitor might look for the English."""
from __future__ import annotations

import functools
import html
import re

from fangyi.site import cells

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CUT = re.compile(r"[；：，。（(:;,=]")
_PAIR = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s+([^/（）()；，]+)")

# Canned-query parameters that are no column of any table.
PARAMS = {"date": "日期", "iso_week": "ISO 周（如 2021-W05）", "trace_code": "追溯碼", "unit_code": "單位編碼",
          "returnee_id": "返鄉人員登記編號", "town": "街鎮", "merchant_id": "商戶編號", "month": "月份",
          "date_start": "開始日期", "date_end": "結束日期",
          "start_date": "開始日期", "end_date": "結束日期", "check_id": "檢查編號"}


# Columns Datasette adds to a page: the row's link (tables without a primary key), SQLite's rowid.
DATASETTE_COLUMNS = {"Link": "連結", "rowid": "行號"}


def has_cjk(text) -> bool:
    return bool(text) and bool(CJK.search(str(text)))


def short(description: str | None) -> str | None:
    """The Chinese label in a "中文 — English" description: its Chinese up to the first comma,
    colon or bracket; None when it has no Chinese."""
    if not description:
        return None
    zh = str(description).split(" — ", 1)[0]
    # the first piece with Chinese in it: "1：家庭聚會（...）" is 家庭聚會
    return next((p.strip() for p in _CUT.split(zh) if has_cjk(p)), None)


def value_pairs(description: str | None) -> dict[str, str]:
    """{code: 中文} from "... code 中文 / code 中文 ..." (or 、-separated) in a description's
    Chinese; at least two pairs, or nothing (a lone "daily_reports 等" is no code list)."""
    if not description:
        return {}
    zh = str(description).split(" — ", 1)[0]
    zh = zh.split("：", 1)[1] if "：" in zh else zh
    pairs = {}
    for part in re.split(r" / |、(?=[A-Za-z])|（|\(", zh):
        m = _PAIR.match(part)
        if m and has_cjk(m.group(2)):
            pairs.setdefault(m.group(1), m.group(2).strip())
    return pairs if len(pairs) >= 2 else {}


@functools.lru_cache(maxsize=1)
def descriptions() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """({table or canned query: {column: description}}, {column: its first description}) from
    the kind registry, metadata.yml (tables, views and canned queries' `columns:`) and the open
    copy's own tables."""
    import yaml

    from fangyi.ingest import kinds as registry
    from fangyi.site.serve import METADATA, METADATA_DB, OPEN_TABLES

    tables: dict[str, dict[str, str]] = {}
    for kind, table in registry.tables().values():
        tables[table.name] = {c.name: f"{c.zh or _field_zh(kind, c.name)} — {c.en}" for c in table.all_columns()}
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    ours = (meta.get("databases") or {}).get(METADATA_DB) or {}
    entries = {**(ours.get("tables") or {}), **OPEN_TABLES, **(ours.get("queries") or {})}
    for name, entry in entries.items():
        own = tables.setdefault(name, {})
        for source in (entry or {}).get("columns_from", []) or []:
            for column, text in tables.get(source, {}).items():
                own.setdefault(column, text)
        for column, text in ((entry or {}).get("columns") or {}).items():
            own[column] = str(text)
    by_column: dict[str, str] = {}
    for columns in tables.values():
        for column, text in columns.items():
            if short(text):
                by_column.setdefault(column, text)
    return tables, by_column


def _field_zh(kind, name: str) -> str:
    """A column left unlabelled takes its field's label (fangyi.ingest.kinds.Column)."""
    return next((f.zh for f in kind.fields if f.name == name), "")


@functools.lru_cache(maxsize=8192)
def column_label(column: str, table: str | None = None) -> str | None:
    """The short Chinese label of a column (of this table or canned query if it describes it,
    else of any table); None when none is known. A column named in Chinese is its own label."""
    if has_cjk(column):
        return column
    if column in DATASETTE_COLUMNS:
        return DATASETTE_COLUMNS[column]
    tables, by_column = descriptions()
    own = tables.get(table or "", {}).get(column)
    return short(own) or short(by_column.get(column))


def column_header(column: str, table: str | None = None) -> str:
    """A download's header: 中文（english_name）, or the name alone."""
    label = column_label(column, table)
    return f"{label}（{column}）" if label and label != column else column


def param_label(name: str, query: str | None = None) -> str:
    """A canned query's parameter as its form shows it."""
    return PARAMS.get(name) or column_label(name, query) or name


@functools.lru_cache(maxsize=8192)
def value_labels(column: str, table: str | None = None) -> dict[str, str]:
    """{stored value: 中文} of a column: its table's description of it, else every table's."""
    tables, _ = descriptions()
    own = tables.get(table or "", {}).get(column)
    known = {"kind": kind_titles, "check_id": _check_labels}.get(column)
    if own is not None and value_pairs(own):
        return {**known(), **value_pairs(own)} if known else value_pairs(own)
    merged: dict[str, str] = dict(known()) if known else {}
    for columns in tables.values():
        for code, label in value_pairs(columns.get(column)).items():
            merged.setdefault(code, label)
    return merged


@functools.lru_cache(maxsize=1)
def kind_titles() -> dict[str, str]:
    """{kind: its Chinese title} from the kind registry (疫情防控日報 for daily): a `kind`
    column's values, a new kind's included."""
    from fangyi.ingest import kinds as registry

    out = {}
    for name, kind in registry.all_kinds().items():
        m = re.match(r"[^\sA-Za-z]+", kind.title or "")
        if m and has_cjk(m.group(0)):
            out[name] = m.group(0)
    return out


def _check_labels() -> dict[str, str]:
    """{check id: its Chinese label} (the checks' `-- label:` headers)."""
    from fangyi.site.opendata import check_labels

    return dict(check_labels())


@cells.renderer
def coded_value(column: str, table: str | None, base: str):
    """A code of a closed set (shift day, movement receipt, level community ...) shown as its
    Chinese label, the stored value in its title."""
    labels = value_labels(column, table)
    if not labels:
        return None

    def show(value, row):
        if not isinstance(value, str):
            return None
        codes = [c.strip() for c in value.split(",")]        # a list, "leader, night"
        if not all(c in labels for c in codes):
            return None
        shown = "、".join(labels[c] for c in codes)
        return f'<span class="fy-code" title="{html.escape(value)}">{html.escape(shown)}</span>'
    return show


def refresh() -> None:
    """Forget what was read (a kind registered since, as a test does)."""
    for fn in (descriptions, column_label, value_labels, kind_titles, _table_descriptions, table_label):
        fn.cache_clear()
    cells.for_column.cache_clear()


# The words of Datasette's own pages (table, row, database, query, dashboards), in Chinese.
UI = {
    "=": "=", "!=": "≠", "contains": "包含", "does not contain": "不包含", "ends with": "結尾是",
    "starts with": "開頭是", "exact": "等於", "not": "不等於", "glob": "通配匹配", "like": "LIKE 匹配",
    "in": "在列表中", "not in": "不在列表中", "arraycontains": "數組包含", "arraynotcontains": "數組不包含",
    "date": "日期是", "is null": "為空", "is not null": "不為空", "is blank": "為空白", "is not blank": "不為空白",
    ">": ">", ">=": "≥", "<": "<", "<=": "≤",
}


def ui(text: str) -> str:
    return UI.get(str(text).strip(), text)


@functools.lru_cache(maxsize=1)
def _table_descriptions() -> dict[str, str]:
    import yaml

    from fangyi.ingest import kinds as registry
    from fangyi.site.serve import METADATA, METADATA_DB, OPEN_TABLES

    out = {t.name: f"{t.zh} — {t.en}" for _, t in registry.tables().values() if t.zh}
    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    ours = (meta.get("databases") or {}).get(METADATA_DB) or {}
    for name, entry in {**(ours.get("tables") or {}), **OPEN_TABLES}.items():
        if (entry or {}).get("description"):
            out.setdefault(name, str(entry["description"]))
    for name, entry in (ours.get("queries") or {}).items():
        if (entry or {}).get("title"):
            out.setdefault(name, str(entry["title"]))
    return out


@functools.lru_cache(maxsize=1024)
def table_label(name: str) -> str:
    """A table's, view's or canned query's short Chinese name (單位名錄), or the name itself."""
    return short(_table_descriptions().get(name)) or name


def database_label(name: str, full: str | None, open_: str | None) -> str:
    if name == full:
        return "工作台（完整數據）"
    if name == open_:
        return "公開數據"
    return name


DATE_COLUMN = re.compile(r"(^|_)(date|day|at|on|due|deadline|period|week|month|time|start|end)$")


def is_date_column(column: str) -> bool:
    """A column holding dates or times, shown on one line (white-space: nowrap)."""
    return bool(DATE_COLUMN.search(column))


def value(column, stored, table=None):
    """A stored value as a page shows it (a facet's value): its Chinese label, else itself."""
    if isinstance(stored, str):
        return value_labels(column, table).get(stored, stored)
    return stored


def describe(filters, sort, sort_desc, search, table) -> str:
    """A table page's filters, search and sort in Chinese (Datasette's human_description_en)."""
    names = {key: display for key, display, _ in filters.lookups()}
    bits = [f"{col(c, table)} {ui(names.get(lookup, lookup))} {value(c, v, table)}".strip()
            for c, lookup, v in filters.selections()]
    if search:
        bits.append(f"搜索「{search}」")
    if sort or sort_desc:
        bits.append(f"按{col(sort or sort_desc, table)}{'降序' if sort_desc else '升序'}排列")
    return "；".join(bits)


def col(column, table=None) -> str:
    return column_label(column, table) or column


def css_string(text: str) -> str:
    """Text as a CSS string's content (a td:before label)."""
    return "".join(ch if ch.isalnum() or ch in " _-（）、" else f"\\{ord(ch):x} " for ch in str(text))


TEMPLATE_VARS = {"fy_col": col, "fy_ui": ui, "fy_has_cjk": has_cjk, "fy_table_label": table_label,
                 "fy_is_date": is_date_column, "fy_value": value, "fy_describe": describe,
                 "fy_param": param_label, "fy_database_label": database_label}
"""The template variables of every Datasette page (fangyi.site.plugin.extra_template_vars)."""


def arrange(query: dict, columns: list, rows: list) -> tuple[list, list, int]:
    """A canned query's page shows its `key_columns:` (metadata.yml, an option of this project)
    first and the rest behind 更多列: (columns, rows, how many columns are shown at first). The
    query's SQL, its .json and .csv keep their own order."""
    keys = [c for c in query.get("key_columns") or [] if c in columns]
    if not keys:
        return list(columns), rows, len(columns)
    order = [columns.index(c) for c in keys] + [i for i, c in enumerate(columns) if c not in keys]
    return [columns[i] for i in order], [tuple(r[i] for i in order) for r in rows], len(keys)


def query_page_vars(query_name: str, columns: list, params: list, shown: int) -> dict:
    """What fy_query_page.html shows in Chinese: the parameters' and columns' labels, and the
    per-column CSS (a phone's card labels, dates on one line, the columns behind 更多列)."""
    css = []
    for i, c in enumerate(columns, start=1):
        css.append(f'.rows-and-columns td:nth-of-type({i}):before {{ content: "{css_string(col(c, query_name))}"; }}')
    nowrap = [f".rows-and-columns td:nth-of-type({i})" for i, c in enumerate(columns, start=1) if is_date_column(c)]
    more = ""
    if shown < len(columns):
        more = (f"details.fy-more:not([open]) ~ .table-wrapper td:nth-of-type(n+{shown + 1}), "
                f"details.fy-more:not([open]) ~ .table-wrapper th:nth-of-type(n+{shown + 1}) {{ display: none; }}")
    return {
        "param_labels": {p: param_label(p, query_name) for p in params},
        "column_labels": [col(c, query_name) for c in columns],
        "date_columns": [is_date_column(c) for c in columns],
        "shown_columns": shown,
        "column_css": ("@media only screen and (max-width: 576px) {\n" + "\n".join(css) + "\n}\n"
                       + (", ".join(nowrap) + " { white-space: nowrap; }\n" if nowrap else "") + more),
    }
