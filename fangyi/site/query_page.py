"""The HTML page of every canned query, rendered by fangyi rather than by Datasette's query view.

Why: at province size a canned query asked with a new value every time (another day, another
unit) is answered by no cache, and Datasette's query page costs 0.2 ms of one core per row
(a render_cell hook and an async template step per cell): 40-110 ms for a day's missed units
or a unit's year, so 20 inspectors at once wait seconds. This page runs the same canned query
from metadata.yml on Datasette's connections (same SQL, same permissions, parameters read the
same way), PAGE_ROWS rows at a time (`_page=2`), and renders it with one small template and the
table body joined in Python: about 1-5 ms a page.

Only the HTML page of a canned query comes here (`/<db>/<query>` with no extension); its
`.json` and `.csv` (Datasette's: the first max_returned_rows rows) and `.xlsx` and `.csvbom`
(fangyi.site.exports': every row) stay where they were, and so do tables, views and SQL typed
by hand."""
from __future__ import annotations

import contextlib
import html
import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

from fangyi.site import cells, empty_answers, labels, masking
from fangyi.site.params import DATE_PARAMS, query_hints

PAGE_ROWS = 100
PROGRESS_OPS = 100_000  # about 8 ms of SQLite work between time-limit checks
LOOKAHEAD = 400       # rows read past the page: results up to this long are counted exactly
TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "fy_query_page.html"
_compiled = None


def route(datasette) -> list[tuple[str, object]]:
    """The route of the canned queries' pages: every canned query name in metadata.yml."""
    names = set()
    for meta in (datasette.metadata("databases") or {}).values():
        names.update((meta or {}).get("queries", {}) or {})
    if not names:
        return []
    alternatives = "|".join(sorted(re.escape(n) for n in names))
    return [(rf"^/(?P<database>[^/]+)/(?P<query>{alternatives})$", page)]


def _template():
    """The page's template, compiled once (not checked for changes on every request)."""
    global _compiled
    if _compiled is None:
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                 auto_reload=False)
        _compiled = env.get_template(TEMPLATE)
    return _compiled


def _cell(value, escape=html.escape) -> str:
    kind = type(value)
    if kind is str:
        return "<td>" + escape(value, False) + "</td>"
    if value is None:
        return '<td class="fy-null"></td>'
    if kind is int or kind is float:
        return '<td class="fy-num">' + str(value) + "</td>"
    if kind is bytes:
        return f"<td>&lt;{len(value)} bytes&gt;</td>"
    return "<td>" + escape(str(value), False) + "</td>"


def table_body(rows, columns=(), query: str | None = None, base: str = "") -> str:
    """<tr>s of the rows; the only per-cell work of the page. A column a renderer of
    fangyi.site.cells claims is shown by it (chosen once per column)."""
    cell = _cell
    shows = [cells.for_column(c, query, base) for c in columns]
    if not any(shows):
        return "\n".join("<tr>" + "".join(map(cell, row)) + "</tr>" for row in rows)
    out = []
    for row in rows:
        mapping = dict(zip(columns, row))
        tds = []
        for value, fn in zip(row, shows):
            html_ = fn(value, mapping) if fn is not None else None
            tds.append(cell(value) if html_ is None else "<td>" + html_ + "</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return "\n".join(out)


@contextlib.contextmanager
def time_limit(conn, ms: int):
    """Datasette's SQL time limit, checked every PROGRESS_OPS SQLite instructions instead of every
    1,000: each check takes the GIL, and under 20 clients a query then waits for the thread
    rendering another page at every check."""
    deadline = time.perf_counter() + ms / 1000
    conn.set_progress_handler(lambda: time.perf_counter() >= deadline, PROGRESS_OPS)
    try:
        yield
    finally:
        conn.set_progress_handler(None, PROGRESS_OPS)


def _run(conn, sql: str, values: dict, number: int, limit_ms: int):
    """(columns, the rows of page `number`, how many rows there are, counted up to the page and
    LOOKAHEAD rows past it, the page number shown), in one SQL thread call: only the page's rows
    become Python objects, and the count is SQLite's, over the rows it sorted for the page
    anyway, stopping at its limit (a day's missed units or a unit's year is counted exactly, a
    year of late reports is "more than" without being read). A page past the end shows the last
    page. tests/test_query_page.py holds the rows and their order equal to the query's own."""
    inner = sql.strip().rstrip(";")

    def read(number):
        first, upto = (number - 1) * PAGE_ROWS, number * PAGE_ROWS
        # An ORDER BY in a FROM subquery is kept while the outer query has none; count(*) OVER ()
        # (no partition, no order) passes the rows on in that order.
        cursor = conn.execute(f"SELECT *, count(*) OVER () FROM (SELECT * FROM (\n{inner}\n) "
                              f"LIMIT {upto + LOOKAHEAD + 1}) LIMIT {PAGE_ROWS} OFFSET {first}", values)
        return [d[0] for d in cursor.description][:-1], cursor.fetchall()

    with time_limit(conn, limit_ms):
        columns, rows = read(number)
        if not rows and number > 1:
            count = conn.execute(f"SELECT count(*) FROM (\n{inner}\n)", values).fetchone()[0]
            number = max(1, -(-count // PAGE_ROWS))
            columns, rows = read(number)
    return columns, [row[:-1] for row in rows], rows[0][-1] if rows else 0, number


async def page(request, datasette):
    from datasette.utils import derive_named_parameters, tilde_decode
    from datasette.utils.asgi import Forbidden, NotFound, Response


    if request.method not in ("GET", "HEAD"):
        return Response.text("405 Method Not Allowed", status=405, headers={"Allow": "GET, HEAD"})
    database_route = tilde_decode(request.url_vars["database"])
    try:
        db = datasette.get_database(route=database_route)
    except KeyError:
        raise NotFound("Database not found")
    name = request.url_vars["query"]
    query = await datasette.get_canned_query(db.name, name, request.actor)
    if query is None:
        raise NotFound(f"{db.name} 沒有預設查詢 {name} / no canned query {name}")
    visible, private = await datasette.check_visibility(
        request.actor, permissions=[("view-query", (db.name, name)), ("view-database", db.name), "view-instance"])
    if not visible:
        raise Forbidden("You do not have permission to view this query")

    sql = query["sql"]
    names = query.get("params") or await derive_named_parameters(db, sql)
    names = [n for n in names if not n.startswith("_")]
    values = {n: request.args.get(n) or "" for n in names}
    try:
        number = max(1, int(request.args.get("_page") or 1))
    except ValueError:
        number = 1
    limit_ms = datasette.setting("sql_time_limit_ms")
    error = None
    try:
        columns, shown, count, number = await db.execute_fn(lambda conn: _run(conn, sql, values, number, limit_ms))
        if not await masking.shows_full_ids(db):
            shown = masking.mask_rows(shown)
        columns, shown, first_columns = labels.arrange(query, columns, shown)   # key columns first
    except sqlite3.DatabaseError as exc:                    # as Datasette's query page: said, status 400
        columns, shown, count, first_columns = [], [], 0, 0
        error = (f"查詢超過 {limit_ms} 毫秒，已停止：請縮小日期範圍後再查詢。 / The query took longer than "
                 f"{limit_ms} ms and was stopped." if "interrupted" in str(exc)
                 else f"查詢出錯 / The query failed: {exc}")
    more = count > number * PAGE_ROWS + LOOKAHEAD          # not all read: at least `count - 1`
    if more:
        count -= 1
    pages = max(1, -(-count // PAGE_ROWS))
    first = (number - 1) * PAGE_ROWS

    base = f"/{db.route}/{name}"
    args = urlencode(values)

    def link(ext: str = "", **extra) -> str:
        qs = "&".join(s for s in (args, urlencode(extra)) if s)
        return base + ext + (f"?{qs}" if qs else "")

    hints = await query_hints(datasette, request, db.name, query)
    empty = await empty_answers.explain(datasette, db, name, values) if not (shown or error) else []
    context = {
        "database": db.name, "database_url": f"/{db.route}", "name": name,
        "title": query.get("title") or name, "description": query.get("description"),
        "sql": None if query.get("hide_sql") else sql, "private": private,
        "params": [(n, values[n], n in DATE_PARAMS) for n in names],
        "columns": columns, "body": table_body(shown, columns, name, f"/{db.route}"), "count": count,
        "first": first + 1 if shown else 0, "last": first + len(shown),
        "page": number, "pages": pages, "more": more,
        "previous": link(_page=number - 1) if number > 1 else None,
        "next": link(_page=number + 1) if number < pages else None,
        "exports": [("Excel（.xlsx）", link(".xlsx")), ("CSV（Excel 中文版可直接打開）", link(".csvbom")),
                    ("JSON", link(".json")), ("CSV", link(".csv"))],
        "max_rows": datasette.setting("max_returned_rows"),
        "edit_sql": f"/{db.route}?" + urlencode({"sql": sql, **values}) if await datasette.permission_allowed(
            request.actor, "execute-sql", db.name, default=True) else None,
        "actor": (request.actor or {}).get("id"), "hints": hints, "error": error, "empty": empty,
        "app_css": datasette.urls.static("app.css"),
    }
    context.update(labels.query_page_vars(name, columns, names, first_columns))
    return Response.html(_template().render(**context), status=400 if error else 200)
