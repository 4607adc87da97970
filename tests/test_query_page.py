"""The canned queries' HTML pages (fangyi.site.query_page): page after page they show exactly the
rows of the query's own JSON, in its order; the count says "at least" only when it stopped
counting; a page past the end shows the last page; cell text is escaped."""
from __future__ import annotations

import asyncio
import csv
import html
import io
import re
import sqlite3
from urllib.parse import urlencode

import pytest

from conftest import inspector_cookies, site
from fangyi.site import query_page

ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
NEXT = re.compile(r'<a href="([^"]+)">下一頁')
CODE = re.compile(r'<span class="fy-code" title="([^"]*)">[^<]*</span>')


def _params(path) -> dict[str, dict[str, str]]:
    """Realistic values on the demo: the day with the most missed units, the whole period, the
    unit with the most findings."""
    conn = sqlite3.connect(path)
    try:
        day = conn.execute("SELECT report_date FROM expected_report_status WHERE reported = 0 "
                           "GROUP BY report_date ORDER BY count(*) DESC, report_date LIMIT 1").fetchone()[0]
        start, end = conn.execute("SELECT min(day), max(day) FROM calendar_days").fetchone()
        unit = conn.execute("SELECT unit_code FROM findings WHERE unit_code IS NOT NULL "
                            "GROUP BY unit_code ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    return {"missed_on_day": {"date": day}, "late_reports": {"start_date": start, "end_date": end},
            "unit_report_history": {"unit_code": unit}, "unit_page": {"unit_code": unit},
            "latest_findings": {}}


def _text(value) -> str:
    return "" if value is None else str(value)


ADDED_LINKS = re.compile(r'<br><span class="fy-links">.*?</span>', re.S)    # beside a value (fangyi.site.links)
TAG = re.compile(r"<[^>]+>")


def _rows(page: str) -> list[list[str]]:
    """Each row's cells as the stored values they show: a code shown as its Chinese label
    (fangyi.site.labels) by the stored value in its title; a value shown as a link by its text;
    the links a renderer adds beside a value (fangyi.site.links) left out."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [[html.unescape(TAG.sub("", CODE.sub(r"\1", ADDED_LINKS.sub("", c)))) for c in CELL.findall(r)]
            for r in ROW.findall(body)]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(query_page, "PAGE_ROWS", 7)
    monkeypatch.setattr(query_page, "LOOKAHEAD", 5)


def _run(path, fn):
    """fn(ds, inspector cookies) on the site of path (its full database: no open copy)."""
    async def go():
        ds = site(path, open_copy=False)
        await ds.invoke_startup()
        return await fn(ds, inspector_cookies(ds))
    return asyncio.run(go())


def test_pages_show_the_query_rows_in_order(checked_db, monkeypatch):
    params = _params(checked_db)

    async def go(ds, inspector):
        for name, args in params.items():
            url = f"/workbench/{name}.json?" + urlencode({"_shape": "array", **args})
            expected = (await ds.client.get(url, cookies=inspector)).json()
            assert 2 <= len(expected) < 1000, (name, len(expected))          # several pages, none truncated
            size = max(1, len(expected) // 3)
            monkeypatch.setattr(query_page, "PAGE_ROWS", size)
            monkeypatch.setattr(query_page, "LOOKAHEAD", 1)
            header = list(expected[0])
            expected = [[_text(v) for v in row.values()] for row in expected]
            url, shown, pages = f"/workbench/{name}?" + urlencode(args), [], []
            while url:
                resp = await ds.client.get(html.unescape(url), cookies=inspector)
                assert resp.status_code == 200, (url, resp.text[:300])
                pages.append(resp.text)
                shown += _rows(resp.text)
                url = (NEXT.findall(resp.text) or [None])[0]
            assert shown == expected, name
            assert len(pages) == -(-len(expected) // size), name
            # page 1 reads one row past itself: "at least" when there are more; the last page knows
            if len(expected) > size + 1:
                assert f"{size + 1} 行以上" in pages[0], name
            assert f"共 {len(expected)} 行" in pages[-1], name
            assert re.findall(r'<th class="col-[^"]*" scope="col" title="([^"]*)">', pages[0]) == header, name

    _run(checked_db, go)


def test_short_result_is_counted_and_past_the_end_shows_the_last_page(checked_db, small_pages):
    conn = sqlite3.connect(checked_db)
    unit, day = conn.execute("SELECT unit_code, date FROM roster_unit_days ORDER BY date LIMIT 1").fetchone()
    conn.close()

    async def go(ds, inspector):
        args = {"unit_code": unit, "date": day}
        rows = (await ds.client.get("/workbench/on_duty.json?" + urlencode({"_shape": "array", **args}),
                                    cookies=inspector)).json()
        few = await ds.client.get("/workbench/on_duty?" + urlencode(args), cookies=inspector)
        assert 1 <= len(rows) <= 7 and f"共 {len(rows)} 行" in few.text and "下一頁" not in few.text
        assert len(_rows(few.text)) == len(rows)
        everything = (await ds.client.get("/workbench/latest_findings.json?_shape=array",
                                          cookies=inspector)).json()
        assert len(everything) > 3 * 7
        last = await ds.client.get("/workbench/latest_findings?_page=999", cookies=inspector)
        assert _rows(last.text) == [[_text(v) for v in r.values()] for r in everything[7 * ((len(everything) - 1) // 7):]]
        assert "上一頁" in last.text and "下一頁" not in last.text and f"共 {len(everything)} 行" in last.text
        odd = await ds.client.get("/workbench/latest_findings?_page=二", cookies=inspector)
        assert _rows(odd.text) == [[_text(v) for v in r.values()] for r in everything[:7]]
        none = await ds.client.get("/workbench/missed_on_day?date=1999-01-01", cookies=inspector)
        # an empty answer says what it means: here, a day outside the reporting period
        # (fangyi.site.empty_answers; tests/test_site_answers.py)
        assert none.status_code == 200 and "fy-empty" in none.text and "fy-count" not in none.text
        assert "1999-01-01 在報送期間" in none.text
        nothing = await ds.client.get("/workbench/on_duty?" + urlencode({"unit_code": unit, "date": "1999-01-01"}),
                                      cookies=inspector)
        assert "fy-empty" in nothing.text and "報送期間" in nothing.text

    _run(checked_db, go)


def test_cells_are_escaped():
    assert query_page.table_body([("<b>甲&乙</b>", None, 3, 1.5, b"\x00\x01")]) == (
        '<tr><td>&lt;b&gt;甲&amp;乙&lt;/b&gt;</td><td class="fy-null"></td><td class="fy-num">3</td>'
        '<td class="fy-num">1.5</td><td>&lt;2 bytes&gt;</td></tr>')


def test_downloads_carry_every_row_of_a_long_result(checked_db):
    """Datasette cuts a query's result at max_returned_rows; the page's Excel and CSV downloads
    do not."""
    async def go():
        ds = site(checked_db, open_copy=False, max_returned_rows=5)
        inspector = inspector_cookies(ds)
        everything = sqlite3.connect(checked_db).execute("SELECT count(*) FROM findings").fetchone()[0]
        assert everything > 5
        page = await ds.client.get("/workbench/latest_findings", cookies=inspector)
        assert f"共 {everything} 行" in page.text
        short = (await ds.client.get("/workbench/latest_findings.json?_shape=array", cookies=inspector)).json()
        assert len(short) == 5
        csv_text = (await ds.client.get("/workbench/latest_findings.csvbom",
                                        cookies=inspector)).content.decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(csv_text)))) == everything + 1
        from openpyxl import load_workbook
        xlsx = await ds.client.get("/workbench/latest_findings.xlsx", cookies=inspector)
        book = load_workbook(io.BytesIO(xlsx.content))
        assert book.active.max_row == everything + 1
    asyncio.run(go())


def test_a_failing_or_slow_query_is_said_not_thrown(checked_db):
    """A query SQLite refuses, or one stopped at the time limit, answers 400 with the reason on
    the page (as Datasette's query page does), never a traceback; only GET and HEAD are served."""
    queries = {
        "bad_json": {"title": "壞的", "sql": "SELECT json_extract(:doc, '$.a') AS a", "params": ["doc"]},
        "endless": {"title": "太慢", "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                          "WHERE x < 1000000000) SELECT count(*) AS n FROM c"},
    }

    async def go():
        ds = site(checked_db, open_copy=False, sql_time_limit_ms=200, queries=queries)
        inspector = inspector_cookies(ds)
        bad = await ds.client.get("/workbench/bad_json?doc={", cookies=inspector)
        assert bad.status_code == 400 and "查詢出錯" in bad.text and "malformed JSON" in bad.text
        assert "Traceback" not in bad.text and 'name="doc"' in bad.text
        slow = await ds.client.get("/workbench/endless", cookies=inspector)
        assert slow.status_code == 400 and "查詢超過 200 毫秒" in slow.text
        post = await ds.client.post("/workbench/missed_on_day", data={"date": "2021-01-22"})
        assert post.status_code == 405
    asyncio.run(go())
