"""Links between answers (a renderer of fangyi.site.cells, which registers `choose`; this module
imports nothing of it, so that the imports run one way): wherever a column holds a trace code,
a unit, a merchant, a returnee, a source file or a finding's evidence, its cell links to the
answer about it, on table, view and row pages and on the canned queries' pages alike:

- a trace code to its batch trace (canned query `batch_trace`): from 四證不全 (the query
  coldchain_missing_certificates, or a cert_missing finding) to where the batch went is one click;
- a unit code (also a town's or a parent's) to its unit page (`unit_page`);
- a merchant (its id, or its name beside the id) to its balances (`coldchain_merchant_balance`);
- a returnee's register row to the returnee's page (`returnee_detail`, inspector only: on the
  full database only);
- a file_id to its row of source_files, a canned query's source_file (its path) to the same;
- a finding's evidence (findings.evidence, JSON naming file_id, sheet, row) to the row it was
  found in (the table its check's header names, `-- evidence row:`, filtered to the file, sheet
  and row; the open copy's
  evidence names no sheet, so there the file and row), to its source file and to the balances
  of the merchants it names.

Which columns are which is said once, in the tables below; a link is offered only where its
target is served on that database (a canned query of metadata.yml; one marked inspector_only
is not on the open copy). A column is judged once (cells.for_column is cached); a cell costs an escape
and a quote."""
from __future__ import annotations

import functools
import html
import json
from urllib.parse import urlencode

# column -> (canned query, its parameter): the cell's own value is the parameter
VALUE_LINKS = {
    "trace_code": ("batch_trace", "trace_code"),
    "unit_code": ("unit_page", "unit_code"),
    "town_code": ("unit_page", "unit_code"),
    "parent_code": ("unit_page", "unit_code"),
    "merchant_id": ("coldchain_merchant_balance", "merchant_id"),
    "seller_id": ("coldchain_merchant_balance", "merchant_id"),
    "buyer_id": ("coldchain_merchant_balance", "merchant_id"),
    "buyer_merchant_id": ("coldchain_merchant_balance", "merchant_id"),
    "supplier_merchant_id": ("coldchain_merchant_balance", "merchant_id"),
    "from_id": ("coldchain_merchant_balance", "merchant_id"),      # coldchain_trace: a registered merchant
    "to_id": ("coldchain_merchant_balance", "merchant_id"),
    "returnee_id": ("returnee_detail", "returnee_id"),
}
# column -> (the column of the same row giving the parameter, canned query, its parameter): a
# merchant's name links to the balances of the merchant the row's id column names
NAME_LINKS = {
    "merchant_name": ("merchant_id", "coldchain_merchant_balance", "merchant_id"),
    "merchant": ("merchant_id", "coldchain_merchant_balance", "merchant_id"),
    "seller_name": ("seller_id", "coldchain_merchant_balance", "merchant_id"),
    "buyer_name": ("buyer_id", "coldchain_merchant_balance", "merchant_id"),
    "from_name": ("from_id", "coldchain_merchant_balance", "merchant_id"),
    "to_name": ("to_id", "coldchain_merchant_balance", "merchant_id"),
}
# (table, column) -> as NAME_LINKS, for a column named only `name`
TABLE_NAME_LINKS = {
    ("merchants", "name"): ("merchant_id", "coldchain_merchant_balance", "merchant_id"),
    ("returnees_current", "name"): ("returnee_id", "returnee_detail", "returnee_id"),
}
FILE_COLUMN = "file_id"                     # -> source_files/<file_id>
PATH_COLUMN = "source_file"                 # a canned query's path of the source file -> its row
SUBJECT_COLUMN = "subject_key"              # the findings of these checks have a trace code for subject
TRACE_SUBJECT_CHECKS = frozenset({"cert_missing", "nat_positive", "oversold", "sale_before_receipt",
                                  "sold_unknown_batch", "buyer_missing", "chain_break"})
EVIDENCE_COLUMN = "evidence"                # a finding's evidence: its source row and file
# Where a finding's evidence row is, each check says in its SQL header (`-- evidence row:`,
# fangyi.checks): a check that says nothing links to its source file only.
# evidence keys naming a merchant: linked to its balances beside the source row
EVIDENCE_MERCHANTS = ("merchant_id", "seller_id", "buyer_id")


@functools.lru_cache(maxsize=1)
def _queries() -> tuple[frozenset[str], frozenset[str]]:
    """(every canned query of metadata.yml, those it serves on the full database only)."""
    import yaml

    from fangyi.site.serve import INSPECTOR_ONLY, METADATA, METADATA_DB

    meta = yaml.safe_load(METADATA.read_text(encoding="utf-8")) or {}
    queries = ((meta.get("databases") or {}).get(METADATA_DB) or {}).get("queries") or {}
    return frozenset(queries), frozenset(name for name, q in queries.items() if (q or {}).get(INSPECTOR_ONLY))


def is_open(base: str) -> bool:
    """Whether base (a database's path, "/workbench_open") is the open copy."""
    from fangyi.site.serve import OPEN_SUFFIX

    return base.rstrip("/").endswith(OPEN_SUFFIX)


def served(query: str, base: str) -> bool:
    """Whether the canned query is served on the database at base."""
    every, inspector_only = _queries()
    return query in every and not (is_open(base) and query in inspector_only)


def _get(row, key):
    """row[key], None when the row has no such column (a dict, Datasette's sqlite3.Row or its
    CustomRow, whose foreign keys are {"value", "label"})."""
    if row is None:
        return None
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def _text(value) -> str | None:
    if isinstance(value, dict):          # a foreign key Datasette expanded: its value
        value = value.get("value")
    if value is None or isinstance(value, bytes):
        return None
    text = str(value).strip()
    return text or None


def _a(href: str, shown, title: str) -> str:
    if isinstance(shown, dict):          # a foreign key Datasette expanded: its label
        shown = shown.get("label") or shown.get("value")
    return (f'<a href="{html.escape(href)}" title="{html.escape(title)}">'
            f"{html.escape(str(shown), False)}</a>")


def query_link(base: str, query: str, param: str, value: str, shown, title: str) -> str:
    return _a(f"{base}/{query}?{urlencode({param: value})}", shown, title)


TITLES = {"batch_trace": "批次追溯 / batch trace", "unit_page": "單位頁 / unit page",
          "coldchain_merchant_balance": "商戶批次結存 / merchant balances",
          "returnee_detail": "返鄉人員詳情 / returnee", "source_files": "來源文件 / source file",
          "source_row": "來源行 / source row"}


def _value_show(base: str, query: str, param: str):
    title = TITLES.get(query, query)

    def show(value, row):
        text = _text(value)
        return None if text is None else query_link(base, query, param, text, value, title)
    return show


def _name_show(base: str, id_column: str, query: str, param: str):
    title = TITLES.get(query, query)

    def show(value, row):
        key = _text(_get(row, id_column))
        if key is None or _text(value) is None:
            return None
        return query_link(base, query, param, key, value, title)
    return show


def _file_show(base: str):
    def show(value, row):
        text = _text(value)
        if text is None or not text.isdigit() or isinstance(value, dict):
            return None                  # Datasette links an expanded foreign key itself
        return _a(f"{base}/source_files/{text}", value, TITLES["source_files"])
    return show


def _path_show(base: str):
    def show(value, row):
        text = _text(value)
        if text is None:
            return None
        return _a(f"{base}/source_files?{urlencode({'path': text})}", value, TITLES["source_files"])
    return show


def _subject_show(base: str):
    """A cold-chain finding's subject_key is its trace code (or, without one, its batch number:
    then the evidence's trace_code, null, says there is no trace to link)."""
    trace = TRACE_SUBJECT_CHECKS
    title = TITLES["batch_trace"]

    def show(value, row):
        text = _text(value)
        if text is None or _get(row, "check_id") not in trace:
            return None
        evidence = evidence_of(_get(row, EVIDENCE_COLUMN))
        if evidence is not None and "trace_code" in evidence:
            text = _text(evidence["trace_code"])
            if text is None:
                return None
        return query_link(base, "batch_trace", "trace_code", text, value, title)
    return show


def evidence_of(value) -> dict | None:
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        out = json.loads(value)
    except ValueError:
        return None
    return out if isinstance(out, dict) else None


@functools.lru_cache(maxsize=1)
def _evidence_rows() -> dict[str, tuple]:
    """{check_id: its `-- evidence row:` declaration, as (table, key, value, prefix) entries}."""
    from fangyi.checks import all_checks

    return {c.id: c.evidence_rows for c in all_checks()}


def evidence_rows(check_id, evidence: dict) -> list[tuple[str, str, str, str | None]]:
    """(table, file_id, row, sheet) of each row the finding's evidence names, as its check
    declares them; sheet None when the evidence does not name it (the open copy's)."""
    out = []
    for table, key, value, prefix in _evidence_rows().get(check_id, ()):
        if key and str(evidence.get(key)) != value:
            continue
        file_id, row = _text(evidence.get(prefix + "file_id")), _text(evidence.get(prefix + "row"))
        if file_id and file_id.isdigit() and row:
            out.append((table, file_id, row, evidence.get(prefix + "sheet")))
    return out


def row_href(base: str, table: str, file_id, row_number, sheet=None) -> str:
    """The table page filtered to one source row (file, sheet when known, row number)."""
    args = {"file_id": file_id}
    if sheet:                           # "" (a CSV) or not named (the open copy): file and row
        args["sheet"] = sheet
    args["row_number"] = row_number
    return f"{base}/{table}?{urlencode(args)}"


def evidence_links(base: str, check_id, evidence: dict, open_copy: bool, balances: bool) -> list[str]:
    """The links of one finding's evidence: the merchants it names (balances: where the merchants'
    balances are served), its row(s) (as its check declares them), its source file."""
    out = []
    if balances:
        for merchant in dict.fromkeys(_text(evidence.get(k)) for k in EVIDENCE_MERCHANTS):
            if merchant:
                out.append(query_link(base, "coldchain_merchant_balance", "merchant_id", merchant,
                                      f"商戶結存 / balances {merchant}", TITLES["coldchain_merchant_balance"]))
    for table, fid, row, sheet in evidence_rows(check_id, evidence):
        out.append(_a(row_href(base, table, fid, row, None if open_copy else sheet),
                      f"來源行 / source row {row}", f"{TITLES['source_row']}: {table}"))
    file_id = _text(evidence.get("file_id"))
    if file_id is None or not file_id.isdigit():
        return out
    out.append(_a(f"{base}/source_files/{file_id}", f"來源文件 / source file {file_id}", TITLES["source_files"]))
    return out


def _evidence_show(base: str):
    open_copy, balances = is_open(base), served("coldchain_merchant_balance", base)

    def show(value, row):
        evidence = evidence_of(value)
        if evidence is None:
            return None
        links = evidence_links(base, _get(row, "check_id"), evidence, open_copy, balances)
        if not links:
            return None
        return (html.escape(value, False) + '<br><span class="fy-links">' + " · ".join(links) + "</span>")
    return show


def choose(column: str, table: str | None, base: str):
    """The link renderer of a column, or None."""
    if column in VALUE_LINKS:
        query, param = VALUE_LINKS[column]
        if table == query or not served(query, base):       # no page links to itself
            return None
        return _value_show(base, query, param)
    if column in NAME_LINKS:
        id_column, query, param = NAME_LINKS[column]
        if table == query or not served(query, base):
            return None
        return _name_show(base, id_column, query, param)
    if (table, column) in TABLE_NAME_LINKS:
        id_column, query, param = TABLE_NAME_LINKS[(table, column)]
        return _name_show(base, id_column, query, param) if served(query, base) else None
    if column == FILE_COLUMN and table != "source_files":
        return _file_show(base)
    if column == PATH_COLUMN:
        return _path_show(base)
    if column == SUBJECT_COLUMN and table != "batch_trace":
        return _subject_show(base)
    if column == EVIDENCE_COLUMN:
        return _evidence_show(base)
    return None
