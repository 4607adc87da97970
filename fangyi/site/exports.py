"""Output renderers `.xlsx` (XlsxWriter) and `.csvbom` (CSV in UTF-8 with BOM, which Excel on
Chinese Windows opens correctly), registered by fangyi.site.plugin. Both carry every row of a
table (following _next) or of a canned query (run again without Datasette's page limit), at most
EXPORT_ROWS, and both neutralise formula injection: a text cell from the data starting with
= + - @ (or tab / carriage return) is written as text in XLSX and prefixed with an apostrophe in
CSV. Datasette's own plain `.csv` (tables, views, canned queries, SQL) does the same
(neutralise_datasette_csv, at the site's startup)."""
from __future__ import annotations

import csv
import io
import re
from urllib.parse import urlencode

from datasette.utils.asgi import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """A cell value as CSV text that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


EXPORT_ROWS = 100_000


class _FormulaSafeWriter:
    """A csv writer whose text cells are safe_text: what Datasette's .csv writes through."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([safe_text(v) for v in row])

    def writerows(self, rows):
        return self._writer.writerows([safe_text(v) for v in row] for row in rows)

    def __getattr__(self, name):
        return getattr(self._writer, name)


class _FormulaSafeCsv:
    """The csv module as Datasette's views see it (datasette.views.base.csv): the same, except
    that its writers neutralise formulas."""

    def __getattr__(self, name):
        return getattr(csv, name)

    @staticmethod
    def writer(*args, **kwargs):
        return _FormulaSafeWriter(csv.writer(*args, **kwargs))


def neutralise_datasette_csv() -> None:
    """Datasette's plain .csv (DataView.as_csv, the only user of the csv module in
    datasette.views.base) writes every cell as it is, `=cmd|' /C calc'!A0` included: from now on
    it writes text cells as the .csvbom export does. Idempotent; tests/test_site.py holds it to
    what a table's, a canned query's and a streamed .csv say."""
    from datasette.views import base

    if not isinstance(base.csv, _FormulaSafeCsv):
        base.csv = _FormulaSafeCsv()


async def _all_rows(datasette, request, columns, rows, data):
    """Every row of a table result (following _next) or of a canned query (run again without
    Datasette's page limit when it cut the result short), at most EXPORT_ROWS; the rows of SQL
    typed by hand as given.

    The pages after the first are the same table or view page as JSON, with the request's
    filters and sort (or the metadata's default sort, the same for every page), in the same
    total order (fangyi.site.paging), without counts or facets. A page that fails fails the
    download: it never ends early with some rows missing."""
    if query_rows := await _canned_query_rows(datasette, request, data):
        return query_rows
    rows = [list(r) if not isinstance(r, dict) else [r.get(c) for c in columns] for r in rows]
    next_token = data.get("next") if isinstance(data, dict) else None
    if not next_token or request is None:
        return rows
    from fangyi.site.login import SESSION_COOKIE

    # the pages after the first are asked for with the visitor's own session, if any
    cookies = {SESSION_COOKIE: request.cookies[SESSION_COOKIE]} if request.cookies.get(SESSION_COOKIE) else {}
    path = request.path.rsplit(".", 1)[0] + ".json"
    args = [(k, v) for k in request.args.keys() for v in request.args.getlist(k)
            if k not in ("_next", "_size", "_shape", "_labels", "_nocount", "_nofacet")]
    args += [("_nocount", "1"), ("_nofacet", "1")]
    while next_token and len(rows) < EXPORT_ROWS:
        url = path + "?" + urlencode(args + [("_next", next_token), ("_size", "max"), ("_shape", "objects")])
        resp = await datasette.client.get(url, cookies=cookies)
        if resp.status_code != 200:
            from datasette.views.base import DatasetteError

            raise DatasetteError(f"導出中斷，請重試 / the download stopped at row {len(rows)}: "
                                 f"{resp.status_code} {resp.text[:200]}", status=500)
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
    all_rows = await _all_rows(datasette, request, columns, rows, data)
    body = workbook(table or query_name or database or "data", headers(columns, table or query_name),
                    [[value.hex() if isinstance(value, bytes) else value for value in row] for row in all_rows],
                    widths(columns, table or query_name, all_rows))
    return xlsx_response(body, _filename(table, query_name, database, "xlsx"))


def workbook(sheet: str, header: list[str], rows: list[list], column_widths: list[float]) -> bytes:
    """An XLSX file of one sheet: the header row frozen and filtered, text kept as text."""
    import xlsxwriter

    buf = io.BytesIO()
    # text stays text: never a formula, a link or a number (strings_to_* off)
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": True})
    ws = wb.add_worksheet(_sheet_name(sheet))
    ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    ws.autofilter(0, 0, max(len(rows), 1), max(len(header), 1) - 1)
    ws.freeze_panes(1, 0)
    for i, width in enumerate(column_widths):
        ws.set_column(i, i, width)
    wb.close()
    return buf.getvalue()


def xlsx_response(body: bytes, name: str):
    return Response(
        body,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{_quote(name)}"},
    )


def _sheet_name(name: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "data"


async def render_csvbom(datasette, request, database, table, query_name, columns, rows, data):
    all_rows = await _all_rows(datasette, request, columns, rows, data)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(columns, table or query_name))
    for row in all_rows:
        writer.writerow(["" if v is None else safe_text(v) for v in row])
    name = _filename(table, query_name, database, "csv")
    return Response(
        b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{_quote(name)}"},
    )


def headers(columns, table: str | None) -> list[str]:
    """A download's header row: 中文（english_name） (fangyi.site.labels), so the sheet reads in
    Chinese and a column still says which stored column it is."""
    from fangyi.site.labels import column_header

    return [column_header(c, table) for c in columns]


def stored_name(header: str) -> str:
    """The stored column a download's header names: 值班日期（date） → date."""
    if header.endswith("）") and "（" in header:
        return header[header.rindex("（") + 1:-1]
    return header


def _width(value) -> int:
    """How many Latin characters wide a value is in a spreadsheet (a CJK character: two)."""
    from fangyi.site.labels import CJK

    text = "" if value is None else str(value)
    return len(text) + len(CJK.findall(text))


WIDTH_ROWS = 1000          # the rows looked at for a column's width
MAX_WIDTH = 60


def widths(columns, table: str | None, rows) -> list[float]:
    """The widths of a download's columns (widths_of its header row)."""
    return widths_of(headers(columns, table), rows)


def widths_of(header: list[str], rows) -> list[float]:
    """Each column as wide as its header or its widest value in the first WIDTH_ROWS rows
    (at most MAX_WIDTH), instead of Excel's 8.43 for all."""
    out = []
    for i, text in enumerate(header):
        widest = max([_width(text) * 0.9] + [_width(r[i]) for r in rows[:WIDTH_ROWS] if i < len(r)])
        out.append(min(MAX_WIDTH, max(6, widest + 2)))
    return out


def _quote(name):
    from urllib.parse import quote

    return quote(name)
