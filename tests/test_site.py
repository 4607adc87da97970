"""The inspector site (`fangyi serve`), in process: anonymous visitors see the open copy only,
and no page of any kind shows them a person's name or phone; the inspector sees everything;
Excel exports; parameters that forgive; the Chinese home page."""
from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from conftest import inspector_cookies, run_site, site, visible_text
from fangyi.site.exports import stored_name
from fangyi.site.serve import gx_docs, open_name

FORMATS = ("", ".json", ".csv", ".xlsx", ".csvbom")


@pytest.fixture(scope="module")
def site_db(docs_db) -> Path:
    """The demo checked with Great Expectations, its Data Docs beside it (the open copy is
    cached beside the database served)."""
    return docs_db


def _objects(db_path: Path) -> dict[str, list]:
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _personal(db_path: Path) -> tuple[set[str], set[str]]:
    """Person names and phone numbers (and identity numbers) of the demo, read from the full
    database."""
    conn = sqlite3.connect(db_path)
    names: set[str] = set()
    phones: set[str] = set()
    try:
        for sql in ("SELECT reporter FROM daily_reports", "SELECT duty_leader FROM daily_reports",
                    "SELECT person FROM duty_shifts", "SELECT person FROM allowance_claims",
                    "SELECT buyer FROM coldchain_sales s WHERE buyer_merchant_id IS NULL AND NOT EXISTS "
                    "(SELECT 1 FROM merchants m WHERE m.name = s.buyer)"):
            names |= {r[0].strip() for r in conn.execute(sql) if r[0] and len(r[0].strip()) >= 2}
        # returnees, their tests, gatherings and their attendees: names, phones, identity numbers
        for sql in ("SELECT name FROM returnees", "SELECT name FROM returnee_tests", "SELECT organiser FROM "
                    "gathering_events", "SELECT name FROM gathering_attendees", "SELECT grid_worker FROM returnees"):
            names |= {r[0].strip() for r in conn.execute(sql) if r[0] and len(r[0].strip()) >= 2}
        for sql in ("SELECT phone FROM returnees", "SELECT phone FROM returnee_tests", "SELECT phone FROM "
                    "gathering_attendees", "SELECT id_number FROM returnees", "SELECT id_number FROM returnee_tests",
                    "SELECT id_number FROM gathering_attendees"):
            phones |= {r[0].strip() for r in conn.execute(sql) if r[0]}
        for sql in ("SELECT phone FROM duty_shifts", "SELECT phone FROM roster_unit_days",
                    "SELECT buyer_phone FROM coldchain_sales s WHERE buyer_merchant_id IS NULL AND NOT EXISTS "
                    "(SELECT 1 FROM merchants m WHERE m.name = s.buyer)"):
            phones |= {r[0].strip() for r in conn.execute(sql) if r[0]}
    finally:
        conn.close()
    return names, phones


def _params(db_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(db_path)
    try:
        unit = conn.execute("SELECT unit_code FROM findings WHERE check_id = 'missing_report' LIMIT 1").fetchone()[0]
        code = conn.execute("SELECT trace_code FROM coldchain_batches WHERE trace_code IS NOT NULL LIMIT 1").fetchone()[0]
        merchant = conn.execute("SELECT merchant_id FROM merchants LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    return {"date": "2021-01-22", "start_date": "2021-01-11", "end_date": "2021-02-07", "unit_code": unit,
            "iso_week": "2021-W03", "month": "2021-01", "trace_code": code, "merchant_id": merchant,
            "returnee_id": "1"}


def _queries(ds, db: str) -> dict:
    return ds.metadata("queries", database=db) or {}


def _query_url(db: str, name: str, query: dict, params: dict, fmt: str = "") -> str:
    args = {p: params[p] for p in query.get("params", [])}
    return f"/{db}/{name}{fmt}" + ("?" + urlencode(args) if args else "")


def test_anonymous_sees_only_the_open_database(site_db):
    full, public = site_db.stem, open_name(site_db)
    objects = _objects(site_db)
    params = _params(site_db)

    async def go(ds, inspector):
        problems = []

        async def expect(url, status, cookies=None):
            resp = await ds.client.get(url, cookies=cookies or {})
            if resp.status_code != status:
                problems.append(f"{url} {'inspector' if cookies else 'anonymous'}: {resp.status_code} != {status}")

        for name in objects:
            for fmt in FORMATS:
                url = f"/{full}/{quote(name)}{fmt}?_size=2"
                await expect(url, 403)
                await expect(url, 200, inspector)
                await expect(f"/{public}/{quote(name)}{fmt}?_size=2", 200)
        await expect(f"/{full}/duty_shifts/1", 403)
        await expect(f"/{full}/duty_shifts/1", 200, inspector)
        await expect(f"/{full}/duty_shifts.json?_facet=person", 403)
        for name, query in _queries(ds, full).items():
            for fmt in ("", ".json", ".csv", ".xlsx"):
                await expect(_query_url(full, name, query, params, fmt), 403)
                await expect(_query_url(full, name, query, params, fmt), 200, inspector)
                # a query naming people (metadata.yml's inspector_only) is not on the open copy
                await expect(_query_url(public, name, query, params, fmt), 200 if name in _queries(ds, public)
                             else 404)
        for url in (f"/{full}", f"/{full}.json", f"/{full}?sql=select+person+from+duty_shifts",
                    f"/{full}.json?sql=select+person+from+duty_shifts", f"/{full}.csv?sql=select+1",
                    f"/{full}.db"):
            await expect(url, 403)
        await expect(f"/{full}", 200, inspector)
        await expect(f"/{public}", 200)
        await expect(f"/{public}.json", 200)
        await expect(f"/{full}.json?sql=select+1", 200, inspector)
        # SQL typed by hand on the open copy: the inspector's (tests/test_surface.py)
        await expect(f"/{public}.json?sql=select+1", 403)
        await expect(f"/{public}.json?sql=select+1", 200, inspector)
        await expect("/-/dashboards/reporting", 200)
        assert not problems, "\n".join(problems[:40])
        assert len(_queries(ds, full)) >= 16 and set(_queries(ds, full)) - set(_queries(ds, public)) == {
            "returnee_tests_due", "gathering_breaches_week", "returnee_detail", "on_duty_tonight"}
        assert set(_queries(ds, public)) < set(_queries(ds, full))

    run_site(site_db, go)


def test_database_pages_list_the_tables_with_counts_made_before_serving(site_db):
    """Both database pages list the tables, not the views, each with its row count from the
    inspect data (counted once per state of the data by fangyi.site.opendata), and serving them
    counts nothing."""
    full, public = site_db.stem, open_name(site_db)
    conn = sqlite3.connect(f"file:{site_db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%'")]
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
        truth = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        (latest,) = conn.execute("SELECT count(*) FROM findings").fetchone()
    finally:
        conn.close()
    assert views and truth and 0 < latest < truth["findings_history"]

    async def go(ds, inspector):
        return {db: (await ds.client.get(f"/{db}.json?_trace=1", cookies=cookies)).json()
                for db, cookies in ((full, inspector), (public, {}))}

    pages = run_site(site_db, go, trace_debug=True)
    for db, page in pages.items():
        listed = {t["name"]: t["count"] for t in page["tables"]}
        assert not set(listed) & views, db
        assert views <= {v["name"] for v in page["views"]}, db
        # the open copy has the same rows, but only the latest run's findings
        want = truth if db == full else dict(truth, findings_history=latest)
        assert {t: listed.get(t) for t in truth} == want, db
        if db == full:
            assert set(listed) == set(truth)
        sql = [t.get("sql") or "" for t in page["_trace"]["traces"]]
        assert sql and not [s for s in sql if "count(" in s.lower()], (db, sql)


def test_no_anonymous_page_shows_a_name_or_a_phone(site_db):
    """Every anonymous page of every kind, every row (CSV streamed), the open database file
    itself and the dashboards: no demo name or phone number (masked forms are allowed); the
    inspector does see them. SQL typed by hand on the open copy is refused to anonymous visitors,
    and what it reads there, asked by the inspector, holds none either."""
    full, public = site_db.stem, open_name(site_db)
    names, phones = _personal(site_db)
    assert len(names) > 50 and len(phones) > 20
    objects = _objects(site_db)
    params = _params(site_db)
    person_columns = {"person", "person_key", "reporter", "duty_leader", "buyer", "buyer_phone", "phone",
                      "leaders", "day_staff", "night_staff", "rostered_leaders", "contact", "extra", "raw", "message", "evidence"}

    async def go(ds, inspector):
        urls = ["/", "/-/metadata.json", "/-/databases.json", f"/{public}", f"/{public}.json",
                f"/{public}.db", "/-/dashboards", "/-/dashboards/reporting"]
        sql_urls = []          # SQL typed by hand on the open copy: 403 to anonymous, read as the inspector
        # every page of the Data Docs the site serves anonymously (validation results included)
        docs = gx_docs(site_db)
        pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.html"))
        assert len(pages) > 10 and any(p.startswith("validations/") for p in pages)
        urls += [f"/data-docs/{quote(p)}" for p in pages]
        for page in pages[:3]:
            assert (await ds.client.get(f"/data-docs/{quote(page)}")).status_code == 200, page
        for name, columns in objects.items():
            t = quote(name)
            urls += [f"/{public}/{t}", f"/{public}/{t}.json?_size=max", f"/{public}/{t}.csv?_stream=1&_size=max",
                     f"/{public}/{t}.xlsx?_size=max", f"/{public}/{t}.csvbom?_size=max",
                     f"/{full}/{t}", f"/{full}/{t}.json", f"/{full}/{t}.csv?_stream=1"]
            for column in person_columns & set(columns):
                urls.append(f"/{public}/{t}.json?_facet={column}&_size=0")
                urls.append(f"/{public}/{t}?_facet={column}")
                sql_urls.append(f"/{public}.json?sql=" + quote(f'select "{column}" from "{name}"') + "&_size=max")
            urls.append(f"/{public}/{t}/1")
        for name, query in _queries(ds, public).items():
            for fmt in ("", ".json", ".csv", ".xlsx", ".csvbom"):
                urls += [_query_url(public, name, query, params, fmt), _query_url(full, name, query, params, fmt)]
        for sql in ("select person, phone from duty_shifts", "select reporter, duty_leader from daily_reports",
                    "select buyer, buyer_phone from coldchain_sales", "select * from allowance_claims"):
            urls += [f"/{full}.json?sql={quote(sql)}", f"/{full}?sql={quote(sql)}"]
            sql_urls.append(f"/{public}.json?sql={quote(sql)}")
        charts = []            # the dashboards' own SQL: everyone's
        dashboards = ds.plugin_config("datasette-dashboards") or {}
        for slug, dash in dashboards.items():
            for chart in dash.get("charts", {}).values():
                sql = chart["query"].replace("[[", "").replace("]]", "")
                args = {"date_start": "2021-01-11", "date_end": "2021-02-07", "town": "東華街道"}
                charts.append(f"/{chart['db']}.json?" + urlencode({"sql": sql, **args}))
        leaks, seen, refused = [], 0, []
        for url, cookies in [(u, {}) for u in urls + charts] + [(u, inspector) for u in sql_urls]:
            resp = await ds.client.get(url, follow_redirects=True, cookies=cookies)
            text = visible_text(url, resp.status_code, resp.content)
            seen += resp.status_code == 200
            for value in names | phones:
                if value in text:
                    leaks.append(f"{url}: {value}")
        for url in sql_urls:
            status = (await ds.client.get(url)).status_code
            if status != 403:
                refused.append(f"{url}: {status}")
        for url in charts:
            if (await ds.client.get(url)).status_code != 200:
                refused.append(f"{url}: not 200")
        assert seen > 300
        assert not leaks, "\n".join(leaks[:40])
        assert not refused, "\n".join(refused[:40])

        # the inspector reads them
        resp = await ds.client.get(f"/{full}/duty_shifts.csv?_stream=1", cookies=inspector)
        assert resp.status_code == 200
        assert sum(n in resp.text for n in names) > 20 and sum(p in resp.text for p in phones) > 10

    run_site(site_db, go)


def test_excel_exports_neutralise_formulas(checked_db, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    crafted = '=HYPERLINK("http://example.invalid/x","點擊")'
    conn = sqlite3.connect(path)
    with conn:
        run = conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]
        conn.execute("INSERT INTO findings_history (run_id, check_id, severity, unit_code, date, subject_key, "
                     "message, evidence) VALUES (?, 'silent_streak', 'warning', NULL, '2021-01-22', '-1+1', ?, NULL)",
                     (run, crafted))
    conn.close()

    async def go(ds, inspector):
        out = {}
        for db in (path.stem, open_name(path)):
            xlsx = await ds.client.get(f"/{db}/findings.xlsx?_size=max", cookies=inspector)
            bom = await ds.client.get(f"/{db}/findings.csvbom?_size=max", cookies=inspector)
            out[db] = (xlsx, bom)
        return out

    for db, (xlsx, bom) in run_site(path, go).items():
        assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"], db
        wb = load_workbook(io.BytesIO(xlsx.content))
        ws = wb.active
        header = [c.value for c in ws[1]]
        assert {"檢查編號（check_id）", "發現說明（message）", "嚴重程度（severity）"} <= set(header), header
        header = [stored_name(h) for h in header]                 # 中文（stored_name）: the stored names
        cells = [c for row in ws.iter_rows(min_row=2) for c in row]
        crafted_cells = [c for c in cells if c.value == crafted]
        assert crafted_cells and all(c.data_type == "s" for c in crafted_cells), db
        assert all(c.data_type != "f" for c in cells)
        assert ws.max_row - 1 == sum(1 for _ in csv.reader(io.StringIO(bom.content.decode("utf-8-sig")))) - 1

        assert bom.status_code == 200 and bom.content.startswith(b"\xef\xbb\xbf"), db
        rows = list(csv.reader(io.StringIO(bom.content.decode("utf-8-sig"))))
        messages = [r[header.index("message")] for r in rows[1:]]
        assert "'" + crafted in messages and crafted not in messages
        assert "'-1+1" in [r[header.index("subject_key")] for r in rows[1:]]


def test_parameters_forgive(site_db):
    public = open_name(site_db)
    conn = sqlite3.connect(site_db)
    code, name = conn.execute("SELECT f.unit_code, u.name FROM findings f JOIN units_current u USING (unit_code) "
                              "WHERE f.check_id = 'missing_report' LIMIT 1").fetchone()
    conn.close()

    async def go(ds, inspector):
        async def rows(db, query, cookies=None, **params):
            resp = await ds.client.get(f"/{db}/{query}.json?" + urlencode({"_shape": "array", **params}),
                                       cookies=cookies or {})
            assert resp.status_code == 200, resp.text[:300]
            return resp.json()

        iso = await rows(public, "missed_on_day", date="2021-01-22")
        assert iso
        assert await rows(public, "missed_on_day", date="2021/1/22") == iso
        assert await rows(public, "missed_on_day", date="2021年1月22日") == iso
        assert await rows(site_db.stem, "missed_on_day", inspector, date="2021/1/22") != []
        by_code = await rows(public, "unit_report_history", unit_code=code)
        assert by_code and await rows(public, "unit_report_history", unit_code=name) == by_code
        assert await rows(public, "allowance_reconciliation", month="2021年1月") == \
            await rows(public, "allowance_reconciliation", month="2021-01")
        assert await rows(public, "weekly_ranking", iso_week="2021年第3周") == \
            await rows(public, "weekly_ranking", iso_week="2021-W03")

        empty = await ds.client.get(f"/{public}/missed_on_day?date=")
        assert "參數 date 未填寫" in empty.text and "查無結果" in empty.text
        bad = await ds.client.get(f"/{public}/missed_on_day?date=明天")
        assert "無法識別" in bad.text
        nowhere = await ds.client.get(f"/{public}/unit_page?unit_code=沒有這個單位")
        assert "在名錄中找不到" in nowhere.text
        page = await ds.client.get(f"/{public}/missed_on_day?date=2021/1/22")
        assert 'type = "date"' in page.text or "type=\"date\"" in page.text or "fy-date-picker" in page.text
        unit = await rows(public, "unit_page", unit_code=name)
        assert {r["section"] for r in unit} >= {"名錄", "報送", "發現"}

    run_site(site_db, go)


def test_home_page_in_chinese(site_db):
    full, public = site_db.stem, open_name(site_db)
    conn = sqlite3.connect(site_db)
    day = conn.execute("SELECT max(report_date) FROM expected_report_status WHERE reported = 0 OR on_time = 0").fetchone()[0]
    missed = conn.execute("SELECT s.unit_code, r.leaders, r.phone FROM expected_report_status s "
                          "LEFT JOIN roster_unit_days r ON r.unit_code = s.unit_code AND r.date = s.report_date "
                          "WHERE s.report_date = ? AND (s.reported = 0 OR s.on_time = 0)", (day,)).fetchall()
    conn.close()

    async def go(ds, inspector):
        return (await ds.client.get("/")).text, (await ds.client.get("/", cookies=inspector)).text

    anonymous, inspector = run_site(site_db, go)
    for page in (anonymous, inspector):
        assert "漏報和遲報的單位" in page and "本周街鎮排名" in page and "最新檢查發現" in page
        assert day in page
        for code, _, _ in missed:
            assert f"unit_page?unit_code={code}" in page
        assert "/-/dashboards/reporting" in page
        assert "latest_findings" in page and "missed_on_day" in page
    for _, leader, phone in missed:
        if leader:
            assert leader in inspector and leader not in anonymous
        if phone:
            assert phone in inspector and phone not in anonymous
    assert f"/{public}/" in anonymous and f"/{full}/" in inspector


def test_open_copy_is_built_once_and_may_join_later(checked_db, tmp_path):
    """`fangyi serve` (Site.start(wait=S)) answers before the run's files are ready (the database
    served as it is meanwhile), and switches to the run's snapshot and open copy when they are
    built; a second start on the same run reuses them and the row counts (fangyi.site.published)."""
    from fangyi.site.serve import Site

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    public = open_name(path)
    served = Site(path).start(wait=0)
    first = served.ds

    async def get(ds, url, cookies=None):
        return (await ds.client.get(url, cookies=cookies or {})).status_code

    if served.published.current is None:      # not ready yet: the database as it is, inspector only
        assert public not in first.databases and Path(first.databases[path.stem].path) == path
        assert asyncio.run(get(first, f"/{path.stem}/units", inspector_cookies(first))) == 200
    for _ in range(1200):
        if served.published.current is not None:
            break
        time.sleep(0.1)
    ds = served.ds
    assert asyncio.run(get(ds, f"/{public}/units")) == 200 and asyncio.run(get(ds, f"/{public}")) == 200
    open_path, snapshot = Path(ds.databases[public].path), Path(ds.databases[path.stem].path)
    run = sqlite3.connect(path).execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]
    assert (snapshot.name, open_path.name) == (f"run-{run}.db", f"run-{run}.open.db")
    assert snapshot.parent == open_path.parent == tmp_path / "workbench.served"
    built = open_path.stat().st_mtime_ns
    for _ in range(600):           # the views are counted too, after the switch, while the site answers
        if "daily_reports_current" in ds.inspect_data[public]["tables"]:
            break
        time.sleep(0.1)
    assert ds.inspect_data[public]["tables"]["daily_reports_current"]["count"] > 0
    assert (snapshot.parent / f"run-{run}.inspect.json").exists()
    again = Site(path).start(wait=0)
    assert again.published.current is not None and Path(again.ds.databases[public].path) == open_path
    assert open_path.stat().st_mtime_ns == built


def test_the_inspector_stays_logged_in_when_the_site_switches_runs(checked_db, tmp_path):
    """`fangyi serve` replaces its Datasette when a run's files are ready (and at every new check
    run): a session opened before the switch is still the inspector after it."""
    from fangyi.site.published import latest_run
    from fangyi.site.serve import Site

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    served = Site(path)
    served.ds = first = served.datasette(None)      # what Site.start serves while preparing
    cookies = inspector_cookies(first)
    served.switch(served.published.prepare(*latest_run(path)))
    assert served.ds is not first

    async def go():
        home = await served.ds.client.get("/", cookies=cookies)
        sql = await served.ds.client.get(f"/{open_name(path)}.json?sql=select+1", cookies=cookies)
        return home, sql

    home, sql = asyncio.run(go())
    assert "已登錄為督查員" in home.text and sql.status_code == 200


def test_home_page_while_the_run_is_prepared(checked_db, tmp_path):
    """While `fangyi serve` prepares the run (the database served as it is, no open copy yet),
    an anonymous visitor's home page says the open data are being built, and never that nobody
    missed a report; the inspector's shows the latest day's misses."""
    from fangyi.site.home import BUILDING
    from fangyi.site.serve import Site

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    ds = Site(path).datasette(None)              # what Site.start serves until the run is ready
    assert open_name(path) not in ds.databases

    async def go():
        anonymous = await ds.client.get("/")
        inspector = await ds.client.get("/", cookies=inspector_cookies(ds))
        return anonymous, inspector

    anonymous, inspector = asyncio.run(go())
    assert anonymous.status_code == 200 and inspector.status_code == 200
    assert BUILDING.split("，")[0] in anonymous.text and "沒有漏報或遲報" not in anonymous.text
    assert "fy-missed-row" not in anonymous.text and "fy-missed-row" in inspector.text


def test_home_page_counts_returnees_gatherings_and_disinfection(site_db):
    """The home page's sections: counts per unit of the returnees owing a test on the latest day
    and overdue, the latest week's gathering breaches, places not disinfected; links to the
    queries (those naming people for the inspector only); no name, phone or identity number for
    anonymous visitors, who cannot open the inspector's queries."""
    full, public = site_db.stem, open_name(site_db)
    conn = sqlite3.connect(site_db)
    latest, week = conn.execute("SELECT day, iso_week FROM calendar_days WHERE day = "
                                "(SELECT max(day) FROM calendar_days WHERE day <= date('now'))").fetchone()
    owing = conn.execute("SELECT count(DISTINCT o.returnee_id) FROM returnee_tests_owed o WHERE o.due_date <= ?1 "
                         "AND o.latest_date >= ?1 AND (o.test_date IS NULL OR substr(o.test_date, 1, 10) >= ?1)",
                         (latest,)).fetchone()[0]
    overdue = conn.execute("SELECT count(*) FROM returnee_tests_owed WHERE status = 'missed'").fetchone()[0]
    breaches = conn.execute("SELECT count(*) FROM findings f JOIN calendar_days k ON k.day = f.date "
                            "WHERE substr(f.check_id, 1, 10) = 'gathering_' AND k.iso_week = ?", (week,)).fetchone()[0]
    day, places = conn.execute("SELECT date, count(*) FROM findings WHERE check_id = 'disinfection_missed' AND date = "
                               "(SELECT max(date) FROM findings WHERE check_id = 'disinfection_missed' AND date <= ?)",
                               (latest,)).fetchone()
    missed_unit = conn.execute("SELECT c.unit_code FROM returnee_tests_owed o JOIN returnees_current c "
                               "USING (returnee_id) WHERE o.status = 'missed'").fetchone()[0]
    conn.close()
    names, phones = _personal(site_db)
    assert owing and overdue and breaches and places

    async def go(ds, inspector):
        pages = {who: (await ds.client.get("/", cookies=cookies)).text
                 for who, cookies in (("anonymous", {}), ("inspector", inspector))}
        refused = [(await ds.client.get(f"/{public}/{name}")).status_code
                   for name in ("returnee_tests_due", "gathering_breaches_week", "returnee_detail")]
        refused += [(await ds.client.get(f"/{full}/returnee_tests_due?date={latest}")).status_code]
        return pages, refused

    pages, refused = run_site(site_db, go)
    assert refused == [404, 404, 404, 403]
    for who, page in pages.items():
        db = full if who == "inspector" else public
        text = visible_text("/", 200, page.encode())
        assert f"{latest} 應做核酸檢測 {owing} 人；漏檢或遲檢 {overdue} 人次" in text
        assert f"{week} 聚集活動違規 {breaches} 起" in text
        assert f"{day} 漏消毒 {places} 處（時段）" in text
        assert f"/{db}/unit_page?unit_code={missed_unit}" in page
        assert f"/{db}/returnees_overdue" in page and f"/{db}/disinfection_missed_on_day?date={day}" in page
        inspector_links = (f"/{db}/returnee_tests_due?date={latest}", f"/{db}/gathering_breaches_week?iso_week={week}")
        assert all((link in page) == (who == "inspector") for link in inspector_links), who
    leaks = [v for v in names | phones if v in visible_text("/", 200, pages["anonymous"].encode())]
    assert leaks == []


def numbers_of(db_path: Path, returnee_ids: list[int]) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [conn.execute("SELECT id_number FROM returnees WHERE returnee_id = ?", (i,)).fetchone()[0]
                for i in returnee_ids]
    finally:
        conn.close()


def test_identity_numbers_masked_but_on_the_returnee_page(site_db):
    """Identity numbers masked (4501**********1234) for the inspector too, on every table, view
    and row page, facet and download of the tables holding them, and in the canned queries;
    in full on a returnee's own page; sorting by them is refused (its pages would be walked by
    the masked values); SQL typed by hand shows them masked however it reads them; a facet's
    link finds its rows; the full database's file is not downloadable, not even by the
    inspector."""
    from fangyi.site.masking import mask_id

    full = site_db.stem
    conn = sqlite3.connect(site_db)
    numbers = {r[0] for sql in ("SELECT id_number FROM returnees", "SELECT id_key FROM returnees",
                                "SELECT id_number FROM returnee_tests", "SELECT id_number FROM gathering_attendees",
                                "SELECT id_key FROM gathering_attendance")
               for r in conn.execute(sql) if r[0]}
    # the one Excel turned into a number, quoted in its rejection's reason and raw row
    numbers |= {m for r in conn.execute("SELECT reason || raw FROM rejected_rows") for m in re.findall(r"\d{18}", r[0])}
    [(rid, number)] = conn.execute("SELECT returnee_id, id_number FROM returnees WHERE id_number IS NOT NULL "
                                   "AND returnee_id IN (SELECT returnee_id FROM returnees_current) "
                                   "ORDER BY returnee_id LIMIT 1").fetchall()
    conn.close()
    assert len(numbers) > 50 and all(len(n) in (15, 18) for n in numbers)
    assert mask_id("450103198507153216") == "4501**********3216"
    assert mask_id("id:45010319900101002X") == "id:4501**********002X"
    assert mask_id("4501 0319 8507 1532 16") == "4501**********3216"
    assert mask_id("13912345678") == "13912345678" and mask_id("440199001001") == "440199001001"
    assert mask_id(None) is None and mask_id(3) == 3

    async def go(ds, inspector):
        urls = []
        for table in ("returnees", "returnee_tests", "gathering_attendees", "returnees_current", "returnees_resolved",
                      "returnee_tests_resolved", "gathering_attendance"):
            for suffix in ("", ".json?_size=max&_shape=objects", ".csv?_stream=1&_size=max", ".csvbom?_size=max",
                           ".xlsx?_size=max", "/1", "/1.json", "?_facet=id_key", ".json?_facet=id_key&_size=0"):
                urls.append(f"/{full}/{table}{suffix}")
        urls += [f"/{full}/returnee_tests_due{fmt}?date=2021-02-07" for fmt in ("", ".json", ".csv", ".csvbom", ".xlsx")]
        shown = {}
        for url in urls:
            resp = await ds.client.get(url, cookies=inspector)
            shown[url] = (resp.status_code, visible_text(url, resp.status_code, resp.content))
        own = {fmt: await ds.client.get(f"/{full}/returnee_detail{fmt}?returnee_id={rid}", cookies=inspector)
               for fmt in ("", ".json")}
        sort = await ds.client.get(f"/{full}/returnees.json?_sort=id_number", cookies=inspector)
        # SQL typed by hand, however it reads them, and the file itself
        for sql in ("select id_number from main.returnees", "SELECT ID_NUMBER||'' AS x FROM returnees",
                    "select cast(id_number as integer) n, upper(id_key) k from [returnees]",
                    "select group_concat(id_number, ',') from returnee_tests",
                    "select reason, raw from rejected_rows", "select * from gathering_attendees"):
            url = f"/{full}.json?" + urlencode({"sql": sql, "_shape": "array"})
            resp = await ds.client.get(url, cookies=inspector)
            shown[url] = (resp.status_code, visible_text(url, resp.status_code, resp.content))
        download = await ds.client.get(f"/{full}.db", cookies=inspector)
        # a facet's link (the masked value) finds the rows of that number
        facet = (await ds.client.get(f"/{full}/returnees.json?_facet=id_number&_size=0&_facet_size=5",
                                     cookies=inspector)).json()["facet_results"]["id_number"]["results"]
        found = [(item["value"], item["count"],
                  (await ds.client.get(f"/{full}/returnees.json?id_number={quote(item['value'])}&_shape=array",
                                       cookies=inspector)).json()) for item in facet]
        return shown, own, sort, download, found

    shown, own, sort, download, found = run_site(site_db, go)
    leaks = [f"{url}: {n}" for url, (_, text) in shown.items() for n in numbers if n in text]
    assert leaks == []
    bad = [url for url, (status, _) in shown.items() if status != 200]
    assert all("_resolved/1" in url for url in bad), bad        # a view has no row pages
    masked = re.compile(r"\d{4}\*{10}\d{3}[\dX]")
    for url, (status, text) in shown.items():
        if status == 200 and ("returnees" in url or "returnee_tests_due" in url or "gathering_attendees" in url):
            assert masked.search(text), url
    assert number[:4] + "*" * 10 + number[-4:] in shown[f"/{full}/returnees.json?_size=max&_shape=objects"][1]
    for resp in own.values():
        assert resp.status_code == 200 and number in resp.text
    assert sort.status_code == 400 and "id_number" in sort.json()["error"]
    assert download.status_code == 403
    assert len(found) == 5
    for value, count, rows in found:
        assert masked.fullmatch(value) and len(rows) == count >= 1
        assert all(mask_id(number) == value for number in numbers_of(site_db, [r["returnee_id"] for r in rows]))
