"""Every table and view page of the site in a total order, so that Datasette's `_next` pages,
its CSV stream and the `.xlsx` / `.csvbom` downloads (which follow `_next`, fangyi.site.exports)
hold each row exactly once.

Why: Datasette 0.65 pages a table by keyset. A sorted table's later pages are asked for with
`_next=<sort value>,<primary key>` and read `order by <sort> desc, <primary key>`, "after this
value and key"; but its first page is read with `order by <sort> desc` alone. When the first
page's ties come in another order than by primary key (the reports sorted by report_date walk
the index on (report_date, name_id) backwards: a day's reports by name_id, descending), the
token points into the middle of the day: the rows of that day after it in key order that the
first page already showed come again, and those before it that it did not show are never shown
(the demo's reports: 733 rows for 718). A view has no primary key and is paged by offset,
sorted by its column alone, or not sorted at all: it is only stable while SQLite happens to
produce its ties in the same order for every page.

So the one query of a table or view page (Datasette's table view, for every format: HTML, JSON,
CSV, `_stream`, and fangyi's renderers) gets a unique key at the end of its ORDER BY:

- a table: its primary key (or rowid), ascending, as Datasette's own later pages have it;
- a view: the columns metadata.yml names as its `unique_key` (else every column: identical rows
  are interchangeable), after the sort asked for; a view page without a sort is ordered by them,
  unless the view's definition ends in its own ORDER BY (which must then end in a unique key, as
  findings_by_severity's does) or metadata.yml says `read_in_key_order: true`: SQLite reads the
  view in its unique_key's order already (tests/test_pagination.py checks that), and an ORDER BY
  would sort the whole view for every page (daily_reports_current: 1.3 s a page at province
  scale, against 2 ms).

How: `PageMarker` (the plugin's asgi_wrapper) notes which table or view a request's path names
(`/<database>/<table>[.<format>]`, Datasette's table route), and the served databases
(fangyi.site.serve.ServedDatabase) pass every query they run to `page_sql`, which changes only
the page query of that table or view: the one Datasette runs truncated, of the exact shape
`select ... from <table> [where ...] [order by ...] limit N [offset K]`. Canned queries, SQL
typed by hand and every other query pass unchanged."""
from __future__ import annotations

import contextvars
import re
import weakref

UNIQUE_KEY = "unique_key"           # the metadata.yml option of a view: its unique columns
IN_KEY_ORDER = "read_in_key_order"  # ... and that SQLite reads it in their order without an ORDER BY

# (database route, table) of the table or view page being answered, else None
_PAGE: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("fangyi_page", default=None)
_TABLE_ROUTE = re.compile(r"^/(?P<database>[^/.]+)/(?P<table>[^/.]+)(?:\.\w+)?$")
_IDENT = r'(?:\[[^\]]*\]|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*)'
_ORDER = re.compile(rf"order by ({_IDENT}(?: desc)?(?:, {_IDENT}(?: desc)?)*)$")
_LIMIT = re.compile(r" limit \d+(?: offset \d+)?$")
# a view's own ORDER BY: the last one in its definition, with no parenthesis after it
_OWN_ORDER = re.compile(r"\border\s+by\b[^()]*$", re.IGNORECASE)
_KEYS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # database -> {table: key}


class PageMarker:
    """ASGI middleware: while a request for a table or view page is answered, `page_sql` knows
    which table or view it is."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        m = _TABLE_ROUTE.match(scope.get("path", "")) if scope.get("type") == "http" else None
        if m is None or m["database"] == "-":
            return await self.app(scope, receive, send)
        from datasette.utils import tilde_decode

        token = _PAGE.set((tilde_decode(m["database"]), tilde_decode(m["table"])))
        try:
            return await self.app(scope, receive, send)
        finally:
            _PAGE.reset(token)


async def page_sql(db, sql: str, truncate: bool) -> str:
    """sql, run by db: when it is the page query of the table or view page being answered, with
    the table's unique key at the end of its ORDER BY; any other sql unchanged."""
    page = _PAGE.get()
    if page is None or not truncate or not isinstance(sql, str) or page[0] != db.route:
        return sql
    return await total_order(db, page[1], sql)


async def total_order(db, table: str, sql: str) -> str:
    """sql, a query of a page of `table`, with the table's unique key at the end of its ORDER BY;
    sql of another shape unchanged."""
    from datasette.utils import escape_sqlite

    limit = _LIMIT.search(sql)
    if not sql.startswith("select ") or limit is None:
        return sql
    head, tail = sql[:limit.start()], sql[limit.start():]
    if f" from {escape_sqlite(table)} " not in head + " ":
        return sql
    found = await order_key(db, table)
    if found is None:
        return sql
    key, ordered = found
    keys = ", ".join(escape_sqlite(c) for c in key)
    order = _ORDER.search(head)
    if order:
        terms = order.group(1)
        if terms == keys or terms.endswith(", " + keys):
            return sql
        return f"{head}, {keys}{tail}"
    if ordered:
        return sql
    return f"{head.rstrip()} order by {keys}{tail}"


async def order_key(db, table: str) -> tuple[list[str], bool] | None:
    """(the columns that order `table` totally, whether the view is in a total order without an
    ORDER BY), or None when it is neither a table nor a view of db. Kept per database while it
    is immutable."""
    cache = _KEYS.setdefault(db, {})
    if table in cache:
        return cache[table]
    definition = await db.get_view_definition(table)
    if definition:
        columns = await db.table_columns(table)
        metadata = db.ds.table_metadata(db.name, table)
        declared = metadata.get(UNIQUE_KEY) or []
        if isinstance(declared, str):
            declared = [declared]
        key = list(declared) if declared and set(declared) <= set(columns) else columns
        ordered = bool(_OWN_ORDER.search(definition.strip().rstrip(";")))
        found = (key, ordered or (key == declared and metadata.get(IN_KEY_ORDER) is True))
    elif await db.table_exists(table):
        found = (await db.primary_keys(table) or ["rowid"], False)
    else:
        found = None
    if not db.is_mutable:
        cache[table] = found
    return found
