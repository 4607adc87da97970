"""Every table and view of the demo, in both databases (the full one as the logged-in inspector,
its open copy anonymously), holds each row exactly once however it is read: its JSON pages
followed by `next` (with the metadata's default sort, and sorted either way by a column whose
values repeat), Datasette's streamed CSV, and fangyi's `.xlsx` and `.csvbom` downloads (which
follow `_next` themselves). Each is compared, as a multiset of row keys, with the table read
directly from the file served: a table's primary key (or rowid), a view's `unique_key` from
metadata.yml. See fangyi/site/paging.py for why Datasette alone repeats and drops rows."""
from __future__ import annotations

import csv
import io
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from conftest import run_site
from fangyi.site import paging
from fangyi.site.exports import FORMULA_START, stored_name
from fangyi.site.serve import open_name

PAGES = 5                    # a walk reads about this many pages of every table and view


@pytest.fixture(scope="module")
def site_db(docs_db) -> Path:
    """The database the site serves (its open copy is cached beside it)."""
    return docs_db


def _text(value) -> str:
    """A key cell as every format writes it: NULL as the empty string, numbers as text."""
    return "" if value is None else str(value)


class Table:
    """A table or view of a served file: its key and its rows' keys read directly."""

    def __init__(self, conn: sqlite3.Connection, name: str, is_view: bool, metadata: dict):
        self.name = name
        self.is_view = is_view
        declared = metadata.get(paging.UNIQUE_KEY)
        self.in_key_order = metadata.get(paging.IN_KEY_ORDER) is True
        self.columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
        pks = [r[1] for r in sorted(conn.execute(f'PRAGMA table_info("{name}")'), key=lambda r: r[5]) if r[5]]
        if is_view:
            self.key = declared or self.columns
        else:
            self.key = pks or ["rowid"]
        select = ", ".join(f'"{c}"' if c != "rowid" else "rowid" for c in self.key)
        rows = conn.execute(f'SELECT {select} FROM "{name}"').fetchall()
        self.expected = Counter(tuple(_text(v) for v in r) for r in rows)
        self.count = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        self.size = max(2, self.count // PAGES + 1)
        # a column whose values repeat most (not the key itself): sorting by it needs the key
        # (rows beyond the first of each value, NULL counting as one value)
        repeats = {c: conn.execute(f'SELECT count(*) - count(DISTINCT "{c}") - (count(*) > count("{c}")) '
                                   f'FROM "{name}"').fetchone()[0]
                   for c in self.columns if [c] != self.key}
        self.repeating = max(repeats, key=repeats.get) if repeats and max(repeats.values()) > 0 else None

    def keys(self, rows: list[dict]) -> Counter:
        return Counter(tuple(_text(r.get(c)) for c in self.key) for r in rows)


def _tables(path: Path, metadata: dict) -> list[Table]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        objects = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
        return [Table(conn, name, kind == "view", metadata.get(name) or {}) for name, kind in objects]
    finally:
        conn.close()


def _problem(table: Table, how: str, got: Counter) -> str | None:
    if got == table.expected:
        return None
    twice = sorted(k for k, n in (got - table.expected).items())
    missing = sorted(k for k, n in (table.expected - got).items())
    return (f"{table.name} {how}: {sum(got.values())} rows for {table.count}; "
            f"{len(twice)} extra (e.g. {twice[:3]}), {len(missing)} missing (e.g. {missing[:3]})")


async def _walk(ds, url: str, cookies: dict) -> tuple[list[dict], str | None]:
    """Every row of a table page, following `next_url` from page to page."""
    rows: list[dict] = []
    pages = 0
    while url:
        resp = await ds.client.get(url, cookies=cookies)
        if resp.status_code != 200:
            return rows, f"{url}: {resp.status_code} {resp.text[:200]}"
        page = resp.json()
        rows += page["rows"]
        pages += 1
        if pages > 10_000:
            return rows, f"{url}: does not end"
        url = page.get("next_url")
        if url:
            url = "/" + url.split("/", 3)[3]      # http://localhost/db/table.json?... -> /db/...
    return rows, None


def _csv_rows(text: str, bom: bool) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if bom:       # .csvbom's header says 中文（stored_name）
        rows = [{stored_name(k): v for k, v in row.items()} for row in rows]
    if bom:       # .csvbom writes formula-like text with an apostrophe in front
        for row in rows:
            for k, v in row.items():
                if v and v.startswith("'") and v[1:].startswith(FORMULA_START):
                    row[k] = v[1:]
    return rows


def _xlsx_rows(body: bytes) -> list[dict]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(body), read_only=True).active
    values = list(ws.iter_rows(values_only=True))
    header = [stored_name(h) for h in values[0]]          # 中文（stored_name）
    return [dict(zip(header, row)) for row in values[1:]]


async def _check(ds, db: str, tables: list[Table], cookies: dict) -> list[str]:
    problems = []
    for t in tables:
        base = f"/{db}/{quote(t.name)}"
        sorts = [{}]
        if t.repeating:
            sorts += [{"_sort_desc": t.repeating}, {"_sort": t.repeating}]
        for sort in sorts:
            how = " ".join(f"{k}={v}" for k, v in sort.items()) or "default sort"
            rows, error = await _walk(ds, f"{base}.json?" + urlencode(
                {**sort, "_size": t.size, "_shape": "objects", "_nofacet": 1}), cookies)
            problems.append(error or _problem(t, f"JSON pages of {t.size}, {how}", t.keys(rows)))
            if t.in_key_order and not sort:
                # read without an ORDER BY: SQLite's own order must be the unique key's
                keys = [tuple((r[c] is not None, r[c]) for c in t.key) for r in rows]
                if any(a >= b for a, b in zip(keys, keys[1:])):
                    problems.append(f"{t.name}: says {paging.IN_KEY_ORDER} but its rows are not in "
                                    f"{', '.join(t.key)} order")
            # the downloads (the two renderers follow _next the same way: one each)
            if sort.get("_sort"):
                continue
            args = urlencode({**sort, "_size": t.size})
            for fmt in (".csv", ".csvbom" if sort else ".xlsx"):
                url = f"{base}{fmt}?{args}" + ("&_stream=1" if fmt == ".csv" else "")
                resp = await ds.client.get(url, cookies=cookies)
                if resp.status_code != 200:
                    problems.append(f"{url}: {resp.status_code} {resp.text[:200]}")
                    continue
                if fmt == ".xlsx":
                    got = _xlsx_rows(resp.content)
                else:
                    got = _csv_rows(resp.content.decode("utf-8-sig"), bom=fmt == ".csvbom")
                problems.append(_problem(t, f"{fmt} download ({how}, first page {t.size})", t.keys(got)))
    return [p for p in problems if p]


@pytest.mark.parametrize("which", ["full", "open"])
def test_every_page_and_download_holds_each_row_once(site_db, which):
    async def go(ds, inspector):
        full, public = site_db.stem, open_name(site_db)
        db, cookies = (full, inspector) if which == "full" else (public, {})
        path = Path(ds.get_database(db).path)
        metadata = (ds.metadata("databases") or {}).get(db, {}).get("tables", {})
        tables = _tables(path, metadata)
        assert len(tables) >= 45 and any(t.is_view for t in tables)
        # the keys compared are keys: unique in the file served, every view with its own
        for t in tables:
            assert sum(t.expected.values()) == t.count and max(t.expected.values(), default=1) == 1, \
                (t.name, t.key, "not unique")
            if t.is_view:
                assert t.key != t.columns, f"{t.name}: no unique_key in metadata.yml"
        return await _check(ds, db, tables, cookies)

    problems = run_site(site_db, go)
    assert not problems, "\n".join(problems)


def test_the_issue_daily_reports_and_current_reports(site_db):
    """The issue's case: the open copy's daily_reports.xlsx (sorted by report_date descending,
    100 rows a page then 1,000) gave 733 rows for 718."""
    public = open_name(site_db)
    conn = sqlite3.connect(f"file:{site_db}?mode=ro", uri=True)
    try:
        reports = sorted(r for (r,) in conn.execute("SELECT report_id FROM daily_reports"))
        current = sorted(r for (r,) in conn.execute("SELECT report_id FROM current_reports"))
    finally:
        conn.close()

    async def go(ds, inspector):
        out = {}
        for name in ("daily_reports", "current_reports"):
            xlsx = await ds.client.get(f"/{public}/{name}.xlsx")
            bom = await ds.client.get(f"/{public}/{name}.csvbom")
            out[name] = ([r["report_id"] for r in _xlsx_rows(xlsx.content)],
                         [int(r["report_id"]) for r in _csv_rows(bom.content.decode("utf-8-sig"), True)])
        return out

    out = run_site(site_db, go)
    for name, expected in (("daily_reports", reports), ("current_reports", current)):
        xlsx, bom = out[name]
        assert sorted(xlsx) == expected and sorted(bom) == expected, name
        assert xlsx == bom, name                   # the same rows in the same order


def test_page_queries_end_in_a_unique_key(site_db):
    """The query each page runs (Datasette's trace): the key after the sort; a view read in its
    key's order, or by its own ORDER BY, as it is; a canned query and SQL typed by hand as given."""
    full, public = site_db.stem, open_name(site_db)
    pages = {
        f"/{full}/daily_reports.json?_size=3": "order by report_date desc, report_id limit 4",
        f"/{public}/current_reports.json?_size=3&_sort=late": "order by late, report_date, unit_group limit 4",
        f"/{full}/non_data_rows.json?_size=3&_sort_desc=role": "order by role desc, rowid limit 4",
        f"/{full}/daily_reports_resolved.json?_size=3&_next=6": "order by report_date desc, report_id limit 4 offset 6",
        f"/{full}/findings.json?_size=3&check_id=missing_report": "order by date, check_id, finding_id limit 4",
        f"/{full}/coldchain_trace.json?_size=3&_sort_desc=merchant_id":
            "order by merchant_id desc, movement, record_id limit 4",
        f"/{full}/daily_reports_current.json?_size=3": "from daily_reports_current  limit 4",
        f"/{public}/findings_by_severity.json?_size=3": "from findings_by_severity  limit 4",
        f"/{full}.json?sql=select+report_id+from+daily_reports+order+by+report_date+limit+3":
            "select report_id from daily_reports order by report_date limit 3",
    }

    async def go(ds, inspector):
        out = {}
        for url in pages:
            resp = await ds.client.get(url + "&_trace=1", cookies=inspector if f"/{full}" in url else {})
            assert resp.status_code == 200, (url, resp.text[:300])
            sqls = [t["sql"] for t in resp.json()["_trace"]["traces"] if t.get("sql", "").startswith("select ")
                    and " limit " in t["sql"] and "sqlite_master" not in t["sql"] and "count(" not in t["sql"]]
            out[url] = sqls
        # a canned query runs its own SQL, as metadata.yml has it
        canned = await ds.client.get(f"/{full}/missed_on_day.json?date=2021-01-22&_trace=1", cookies=inspector)
        query = (await ds.get_canned_query(full, "missed_on_day", {"id": "inspector"}))["sql"].strip()
        out["canned"] = [t["sql"] for t in canned.json()["_trace"]["traces"] if t.get("sql", "").strip() == query]
        return out

    got = run_site(site_db, go, trace_debug=True)
    for url, tail in pages.items():
        assert len(got[url]) == 1 and got[url][0].endswith(tail), (url, got[url])
    assert len(got["canned"]) == 1
