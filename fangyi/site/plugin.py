"""fangyi's Datasette plugin (registered as the `datasette` entry point `fangyi`):

- SQL functions for canned queries that forgive: fangyi_date('2021/1/22') and
  fangyi_date('2021年1月22日') give '2021-01-22'; fangyi_month('2021年1月') gives '2021-01';
  fangyi_week('2021年第3周') gives '2021-W03'; fangyi_norm(name) is the unit-name matching form;
  fangyi_check_label(check_id) is a check's Chinese label.
- Output renderers: `.xlsx` (openpyxl) and `.csvbom` (CSV in UTF-8 with BOM, which Excel on
  Chinese Windows opens correctly), both with formula injection neutralised: a text cell from the
  data starting with = + - @ (or tab / carriage return) is written as text in XLSX and prefixed
  with an apostrophe in CSV.
- Template variables for the home page and for canned-query pages (what a parameter was read
  as, and why a result is empty)."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

from fangyi.site.opendata import CHECK_LABELS, SEVERITY_LABELS

INSPECTOR_ID = "inspector"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUM = r"(\d{1,4})"
DATE_PATTERNS = [
    re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?\s*$"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$"),
]


def fangyi_date(value):
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
            import datetime as dt
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                return None
    return None


def fangyi_month(value):
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$", text) or re.match(r"^(\d{4})(\d{2})$", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def fangyi_week(value):
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    m = re.match(r"^(\d{4})\s*[-年]?\s*(?:W|第)\s*(\d{1,2})\s*[周週]?$", text)
    if not m or not 1 <= int(m.group(2)) <= 53:
        d = fangyi_date(value)
        if d:
            import datetime as dt
            y, w, _ = dt.date.fromisoformat(d).isocalendar()
            return f"{y}-W{w:02d}"
        return None
    return f"{m.group(1)}-W{int(m.group(2)):02d}"


def fangyi_norm(value):
    if value is None:
        return None
    from fangyi.keys import norm

    return norm(value)


def fangyi_check_label(check_id):
    return CHECK_LABELS.get(check_id, check_id)


def fangyi_severity_label(severity):
    return SEVERITY_LABELS.get(severity, severity)


def fangyi_severity_rank(severity):
    return list(SEVERITY_LABELS).index(severity) if severity in SEVERITY_LABELS else 9


MMAP_BYTES = 1 << 34      # SQLite caps it at its build's maximum (2 GB for Python's)


@hookimpl
def prepare_connection(conn):
    # The served files are immutable: SQLite reads their pages from the OS cache through memory
    # mapping instead of copying every 16 KB page into each connection's own small cache, which
    # a request for another unit or day would otherwise do hundreds of times.
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    conn.create_function("fangyi_date", 1, fangyi_date, deterministic=True)
    conn.create_function("fangyi_month", 1, fangyi_month, deterministic=True)
    conn.create_function("fangyi_week", 1, fangyi_week, deterministic=True)
    conn.create_function("fangyi_norm", 1, fangyi_norm, deterministic=True)
    conn.create_function("fangyi_check_label", 1, fangyi_check_label, deterministic=True)
    conn.create_function("fangyi_severity_label", 1, fangyi_severity_label, deterministic=True)
    conn.create_function("fangyi_severity_rank", 1, fangyi_severity_rank, deterministic=True)


# ---------------------------------------------------------------------------------------------
# Excel: .xlsx and .csvbom
# ---------------------------------------------------------------------------------------------

def safe_text(value):
    """A cell value as CSV text that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


EXPORT_ROWS = 100_000


async def _all_rows(datasette, request, columns, rows, data):
    """Every row of a table result (following _next) or of a canned query (run again without
    Datasette's page limit when it cut the result short), at most EXPORT_ROWS; the rows of SQL
    typed by hand as given."""
    if query_rows := await _canned_query_rows(datasette, request, data):
        return query_rows
    rows = [list(r) if not isinstance(r, dict) else [r.get(c) for c in columns] for r in rows]
    next_token = data.get("next") if isinstance(data, dict) else None
    if not next_token or request is None:
        return rows
    cookies = {}
    if request.actor:
        cookies["ds_actor"] = datasette.sign({"a": request.actor}, "actor")
    path = request.path.rsplit(".", 1)[0] + ".json"
    args = [(k, v) for k in request.args.keys() for v in request.args.getlist(k)
            if k not in ("_next", "_size", "_shape", "_labels")]
    while next_token and len(rows) < 100_000:
        url = path + "?" + urlencode(args + [("_next", next_token), ("_size", "max"), ("_shape", "objects")])
        resp = await datasette.client.get(url, cookies=cookies)
        if resp.status_code != 200:
            break
        page = resp.json()
        rows.extend([r.get(c) for c in columns] for r in page.get("rows", []))
        next_token = page.get("next")
    return rows


async def _canned_query_rows(datasette, request, data) -> list[list] | None:
    if request is None or not isinstance(data, dict) or not data.get("truncated") or not data.get("query_name"):
        return None
    database = data.get("database")
    query = await datasette.get_canned_query(database, data["query_name"], request.actor)
    if not query:
        return None
    values = {n: request.args.get(n) or "" for n in query.get("params") or []}

    def fetch(conn):
        return [list(r) for r in conn.execute(query["sql"], values).fetchmany(EXPORT_ROWS)]
    return await datasette.get_database(database).execute_fn(fetch)


def _filename(table, query_name, database, ext):
    return f"{table or query_name or database}.{ext}"


async def render_xlsx(datasette, request, database, table, query_name, columns, rows, data):
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    all_rows = await _all_rows(datasette, request, columns, rows, data)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = (table or query_name or database or "data")[:31]
    ws.append(list(columns))
    for r, row in enumerate(all_rows, start=2):
        for c, value in enumerate(row, start=1):
            if isinstance(value, bytes):
                value = value.hex()
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"             # a string cell, never a formula
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{max(len(all_rows) + 1, 1)}"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    name = _filename(table, query_name, database, "xlsx")
    return Response(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{_quote(name)}"},
    )


async def render_csvbom(datasette, request, database, table, query_name, columns, rows, data):
    all_rows = await _all_rows(datasette, request, columns, rows, data)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in all_rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
    name = _filename(table, query_name, database, "csv")
    return Response(
        b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{_quote(name)}"},
    )


def _quote(name):
    from urllib.parse import quote

    return quote(name)


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": "xlsx", "render": render_xlsx, "can_render": lambda: True},
        {"extension": "csvbom", "render": render_csvbom, "can_render": lambda: True},
    ]


# ---------------------------------------------------------------------------------------------
# Template variables
# ---------------------------------------------------------------------------------------------

def site_names(datasette):
    """(full database name, open database name) as `fangyi serve` registered them."""
    return getattr(datasette, "_fangyi_names", (None, None))


def is_inspector(actor) -> bool:
    return bool(actor) and actor.get("id") == INSPECTOR_ID


HOME_MISSED = """
WITH day AS (
    -- the latest day with a missed report (a partial index) or a late one (the current reports
    -- by day, newest first, until one is expected, reported and not on time)
    SELECT max(d) AS d FROM (
        SELECT max(report_date) AS d FROM expected_report_status
        WHERE reported = 0 AND report_date <= date('now')
        UNION ALL
        SELECT * FROM (
            SELECT c.report_date FROM current_reports c
            JOIN calendar_days k ON k.day = c.report_date
            JOIN expected_report_status e
              ON e.unit_code = c.unit_code AND e.iso_week = k.iso_week AND e.report_date = c.report_date
            WHERE e.reported = 1 AND e.on_time = 0 AND c.report_date <= date('now')
            ORDER BY c.report_date DESC LIMIT 1)))
SELECT s.report_date AS report_date, s.unit_code AS unit_code, u.name AS unit_name, u.town_name AS town_name,
       '漏報' AS status, r.leaders AS duty_leader, r.phone AS duty_phone, s.reported AS reported
FROM day
JOIN expected_report_status s ON s.report_date = day.d AND s.reported = 0
LEFT JOIN units_in_force u ON u.unit_code = s.unit_code
LEFT JOIN roster_unit_days r ON r.unit_code = s.unit_code AND r.date = s.report_date
UNION ALL
SELECT s.report_date, s.unit_code, u.name, u.town_name, '遲報',
       r.leaders, r.phone, s.reported
FROM day
JOIN current_reports c ON c.report_date = day.d
JOIN calendar_days k ON k.day = c.report_date
JOIN expected_report_status s
  ON s.unit_code = c.unit_code AND s.iso_week = k.iso_week AND s.report_date = c.report_date
LEFT JOIN units_in_force u ON u.unit_code = s.unit_code
LEFT JOIN roster_unit_days r ON r.unit_code = s.unit_code AND r.date = s.report_date
WHERE s.reported = 1 AND s.on_time = 0
ORDER BY reported, town_name, unit_code
"""

HOME_RANKING = """
SELECT iso_week, rank, town_code, town_name, expected, actual, on_time,
       round(reporting_rate, 1) AS reporting_rate, round(on_time_rate, 1) AS on_time_rate
FROM town_weekly_ranking
WHERE iso_week = (SELECT max(iso_week) FROM town_weekly_ranking)
ORDER BY rank, town_code
"""

HOME_FINDINGS = """
SELECT f.severity, fangyi_severity_label(f.severity) AS severity_label, f.date, f.check_id,
       fangyi_check_label(f.check_id) AS check_label, f.unit_code, u.name AS unit_name, f.message
FROM findings f LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 WHEN 'info' THEN 2 ELSE 9 END,
         f.date DESC, f.check_id, f.unit_code
LIMIT 30
"""


async def _home(datasette, request):
    full, open_ = site_names(datasette)
    inspector = is_inspector(request.actor if request else None)
    db = full if (inspector and full) else open_
    if db is None:
        return {}
    out = {"fy_db": db, "fy_inspector": inspector, "fy_full": full, "fy_open": open_}
    if db not in datasette.databases:            # fangyi serve still building the open copy
        out["fy_building"] = "公開數據正在生成，請稍後刷新本頁。 — The open copy is being built; reload this page in a minute."
        return out
    try:
        database = datasette.get_database(db)
        out["fy_missed"] = [dict(r) for r in (await database.execute(HOME_MISSED)).rows]
        out["fy_ranking"] = [dict(r) for r in (await database.execute(HOME_RANKING)).rows]
        out["fy_findings"] = [dict(r) for r in (await database.execute(HOME_FINDINGS)).rows]
    except Exception as e:                       # a database without a check run yet
        out["fy_error"] = str(e)
    try:
        out["fy_latest"] = (await database.execute(
            "SELECT max(day) FROM calendar_days WHERE day <= date('now')")).rows[0][0]
    except Exception:
        out["fy_latest"] = None
    out["fy_day"] = out.get("fy_missed", [{}])[0].get("report_date") if out.get("fy_missed") else None
    queries = await datasette.get_canned_queries(db, request.actor if request else None)
    out["fy_queries"] = [(name, q.get("title") or name) for name, q in queries.items()]
    dashboards = datasette.plugin_config("datasette-dashboards") or {}
    out["fy_dashboards"] = [(slug, d.get("title") or slug) for slug, d in dashboards.items()]
    return out


DATE_PARAMS = {"date", "start_date", "end_date"}


async def query_hints(datasette, request, database, query) -> list[str]:
    """Why a canned query may show nothing: each of its parameters as read from the request."""
    hints = []
    db = datasette.get_database(database)
    for p in query.get("params", []):
        raw = request.args.get(p)
        if raw is None or not raw.strip():
            hints.append(f"參數 {p} 未填寫：請填寫後再查詢。")
            continue
        if p in DATE_PARAMS:
            iso = fangyi_date(raw)
            hints.append(f"日期 {p}「{raw}」無法識別，請寫成 2021-01-22、2021/1/22 或 2021年1月22日。"
                         if iso is None else f"日期 {p}「{raw}」按 {iso} 查詢。")
        elif p == "month":
            m = fangyi_month(raw)
            hints.append(f"月份「{raw}」無法識別，請寫成 2021-01 或 2021年1月。" if m is None
                         else f"月份「{raw}」按 {m} 查詢。")
        elif p == "iso_week":
            w = fangyi_week(raw)
            hints.append(f"周次「{raw}」無法識別，請寫成 2021-W03。" if w is None else f"周次「{raw}」按 {w} 查詢。")
        elif p == "unit_code":
            rows = (await db.execute(
                "SELECT unit_code, name FROM units_in_force WHERE unit_code = trim(:u) UNION ALL "
                "SELECT unit_code, name FROM units_in_force WHERE NOT EXISTS "
                "(SELECT 1 FROM units_in_force WHERE unit_code = trim(:u)) "
                "AND fangyi_norm(name) = fangyi_norm(:u) ORDER BY unit_code", {"u": raw})).rows
            if not rows:
                hints.append(f"單位「{raw}」在名錄中找不到：請輸入單位編碼或名稱。")
            else:
                hints.append("單位「%s」對應 %s。" % (raw, "、".join(f"{r[1]}（{r[0]}）" for r in rows)))
    return hints


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette, columns):
    async def inner():
        full, open_ = site_names(datasette)
        out = {"fy_full": full, "fy_open": open_,
               "fy_inspector": is_inspector(request.actor if request else None),
               "fy_check_labels": CHECK_LABELS}
        if view_name == "index":
            out.update(await _home(datasette, request))
        return out
    return inner


# ---------------------------------------------------------------------------------------------
# Response cache: both databases are immutable while served, so a page is the same every time it
# is asked for by the same visitor. The first request runs its queries; the same URL again, by
# the same actor (anonymous, or the inspector with the same CSRF cookie), is answered from
# memory, gzip-compressed (once, when it is first asked for again) for a client that accepts it. Only GET/HEAD 200 responses without
# Set-Cookie, below CACHE_ITEM_BYTES, of the home page and the database pages are kept; at most
# CACHE_BYTES in all, least recently used first out; an entry lives CACHE_TTL_S (the home page
# names today's date).
# ---------------------------------------------------------------------------------------------

CACHE_BYTES = 64 * 1024 * 1024
CACHE_ITEM_BYTES = 2 * 1024 * 1024
CACHE_TTL_S = 600


class ResponseCache:
    def __init__(self, app, datasette):
        from collections import OrderedDict

        self.app = app
        self.datasette = datasette
        self.entries: OrderedDict = OrderedDict()
        self.size = 0

    def _key(self, scope):
        from datasette.actor_auth_cookie import actor_from_request
        from datasette.utils.asgi import Request

        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return None
        if any(db.is_mutable for db in self.datasette.databases.values() if db.name != "_internal"):
            return None
        path = scope.get("path", "")
        first = path.strip("/").split("/", 1)[0].split(".", 1)[0]
        if path != "/" and first not in self.datasette.databases:
            return None
        query = scope.get("query_string", b"")
        if b"_trace=1" in query or b"_stream" in query:
            return None
        headers = dict(scope.get("headers") or [])
        if b"authorization" in headers:
            return None
        request = Request(scope, None)
        actor = actor_from_request(self.datasette, request)
        return (path, query, scope.get("method"), repr(sorted(actor.items())) if actor else "",
                request.cookies.get("ds_csrftoken", ""), tuple(self.datasette.databases))

    async def __call__(self, scope, receive, send):
        import time

        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        hit = self.entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_TTL_S:
            self.entries.move_to_end(key)
            _, start, body, gz = hit
            if gz is None:                                  # compressible, not compressed yet
                import gzip

                gz = gzip.compress(body, compresslevel=6, mtime=0)
                self.entries[key] = (hit[0], start, body, gz)
                self.size += len(gz)
            if gz and _accepts_gzip(scope):
                start, body = _gzipped(start, gz), gz
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        parts, start_msg = [], {}
        cacheable = True

        async def capture(message):
            nonlocal cacheable
            if message["type"] == "http.response.start":
                start_msg.update(message)
                if message.get("status") != 200 or any(k.lower() == b"set-cookie" for k, _ in message.get("headers", [])):
                    cacheable = False
            elif message["type"] == "http.response.body" and cacheable:
                parts.append(message.get("body", b""))
                if sum(map(len, parts)) > CACHE_ITEM_BYTES:
                    cacheable = False
                    parts.clear()
            await send(message)

        await self.app(scope, receive, capture)
        if cacheable and start_msg:
            body = b"".join(parts)
            gz = None if _compressible(start_msg, body) else b""      # compressed when asked again
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[2]) + len(old[3] or b"")
            self.entries[key] = (time.monotonic(), dict(start_msg), body, gz)
            self.size += len(body) + len(gz or b"")
            while self.size > CACHE_BYTES and self.entries:
                _, (_, _, dropped, dropped_gz) = self.entries.popitem(last=False)
                self.size -= len(dropped) + len(dropped_gz or b"")


COMPRESSIBLE = {b"text/html", b"application/json", b"text/csv", b"text/plain", b"application/javascript"}


def _compressible(start: dict, body: bytes) -> bool:
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    return (len(body) > 1024 and b"content-encoding" not in headers
            and headers.get(b"content-type", b"").split(b";")[0].strip() in COMPRESSIBLE)


def _accepts_gzip(scope) -> bool:
    for k, v in scope.get("headers") or []:
        if k.lower() == b"accept-encoding" and b"gzip" in v.lower():
            return True
    return False


def _gzipped(start: dict, gz: bytes) -> dict:
    """The response start of a cached page sent gzip-compressed."""
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"vary")]
    headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(gz)).encode()),
                (b"vary", b"Accept-Encoding, Cookie")]
    return dict(start, headers=headers)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        return ResponseCache(app, datasette)
    return wrap


@hookimpl
def register_routes(datasette):
    """Every canned query's HTML page, rendered lean (fangyi.site.query_page)."""
    from fangyi.site import query_page

    return query_page.route(datasette)
