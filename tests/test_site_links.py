"""Links between answers (fangyi.site.links) and dashboards that can be read (fangyi.site.palette,
metadata.yml's charts), on the demo as `fangyi serve` serves it: each kind of link appears on a
table page and on a canned query's page, on the full database and on the open copy, and its
target answers with the row it names; a link to a page the open copy does not serve is not
offered there; one bar per market however its name is written; each check its own colour."""
from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from conftest import run_site
from fangyi.keys import norm
from fangyi.site import cells, links
from fangyi.site.opendata import check_labels
from fangyi.site.serve import open_name

LINK = re.compile(r'<a href="([^"]+)"[^>]*>(.*?)</a>', re.S)
COUNT = re.compile(r"共 (\d+) 行")


@pytest.fixture(scope="module")
def site_db(docs_db) -> Path:
    """The demo as tests/test_site.py serves it (the open copy cached beside it)."""
    return docs_db


def _links(page: str, target: str) -> list[tuple[str, str]]:
    """(href, shown text) of the page's links whose path ends in /<target> (a canned query or
    table) or starts with it (a row page)."""
    out = []
    for href, text in LINK.findall(page):
        href = html.unescape(href)
        path = urlsplit(href).path
        if path.rsplit("/", 1)[-1] == target or f"/{target}/" in path:
            out.append((href, html.unescape(re.sub(r"<[^>]+>", "", text))))
    return out


def _arg(href: str, name: str) -> str:
    return parse_qs(urlsplit(href).query)[name][0]


def _one(db: Path, sql: str, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchone()
    finally:
        conn.close()


def _databases(ds, inspector):
    """(database name, the cookies that read it): the full database as the inspector, the open
    copy as anyone."""
    full = next(n for n in ds.databases if n != "_internal" and not n.endswith("_open"))
    return [(full, inspector), (open_name(full), None)]


def test_missing_certificates_to_where_the_batch_went_is_one_click(site_db):
    """四證不全: from the canned query coldchain_missing_certificates and from the cert_missing
    finding (findings' table page, the latest_findings page) the trace code links to its batch
    trace, which lists the batch's receipt and its sales."""
    trace = json.loads(_one(site_db, "SELECT evidence FROM findings WHERE check_id = 'cert_missing' "
                                     "AND json_extract(evidence, '$.trace_code') IS NOT NULL")[0])["trace_code"]
    movements = _one(site_db, "SELECT count(*), sum(movement = 'sale') FROM coldchain_trace WHERE trace_code = ?", trace)
    assert movements[1] >= 1                     # the demo's batch was sold on

    async def go(ds, inspector):
        for db, cookies in _databases(ds, inspector):
            for url in (f"/{db}/coldchain_missing_certificates", f"/{db}/findings?check_id=cert_missing",
                        f"/{db}/latest_findings"):
                page = await ds.client.get(url, cookies=cookies)
                assert page.status_code == 200, url
                found = [h for h, text in _links(page.text, "batch_trace") if text == trace]
                assert found, (url, "no link to the batch trace of", trace)
                assert all(_arg(h, "trace_code") == trace for h in found)
                target = await ds.client.get(found[0], cookies=cookies)
                assert target.status_code == 200
                assert COUNT.search(target.text).group(1) == str(movements[0]), found[0]
                rows = (await ds.client.get(found[0].replace("/batch_trace?", "/batch_trace.json?") + "&_shape=array",
                                            cookies=cookies)).json()
                assert {r["trace_code"] for r in rows} == {trace}
                assert sum(r["movement"] == "sale" for r in rows) == movements[1]
    run_site(site_db, go)


def test_home_page_findings_link_their_trace_and_source(site_db):
    """The home page's latest findings link like the findings pages: a cold-chain finding's trace
    code to its batch trace, its evidence to its source row and file."""
    from fangyi.site.home import HOME_FINDINGS
    from fangyi.site.params import SQL_FUNCTIONS

    conn = sqlite3.connect(site_db)
    conn.row_factory = sqlite3.Row
    for name, fn in SQL_FUNCTIONS.items():
        conn.create_function(name, 1, fn)
    shown = [dict(r) for r in conn.execute(HOME_FINDINGS)]
    conn.close()
    traces = {json.loads(f["evidence"]).get("trace_code") for f in shown
              if f["check_id"] in links.TRACE_SUBJECT_CHECKS} - {None}
    files = {str(json.loads(f["evidence"])["file_id"]) for f in shown if f["evidence"]
             and str(json.loads(f["evidence"]).get("file_id", "")).isdigit()}
    assert traces and files                      # the demo's latest findings hold both

    async def go(ds, inspector):
        for db, cookies in _databases(ds, inspector):
            page = (await ds.client.get("/", cookies=cookies)).text
            findings = page.split('<section id="findings">', 1)[1].split("</section>", 1)[0]
            assert {_arg(h, "trace_code") for h, _ in _links(findings, "batch_trace")} == traces, db
            assert {urlsplit(h).path.rsplit("/", 1)[-1] for h, _ in _links(findings, "source_files")} == files, db
            assert all(f"/{db}/" in h for h, _ in _links(findings, "batch_trace"))
    run_site(site_db, go)


def test_units_link_to_their_unit_page(site_db):
    """A unit code on the findings' table page and on the missed-units page links to the unit's
    page, which shows that unit's registry row."""
    unit, day = _one(site_db, "SELECT unit_code, date FROM findings WHERE check_id = 'missing_report' LIMIT 1")
    name = _one(site_db, "SELECT name FROM units_in_force WHERE unit_code = ?", unit)[0]

    async def go(ds, inspector):
        for db, cookies in _databases(ds, inspector):
            for url in (f"/{db}/findings?check_id=missing_report", f"/{db}/missed_on_day?date={day}"):
                page = await ds.client.get(url, cookies=cookies)
                found = [h for h, text in _links(page.text, "unit_page") if text == unit]
                assert found, url
                rows = (await ds.client.get(found[0].replace("/unit_page?", "/unit_page.json?") + "&_shape=array",
                                            cookies=cookies)).json()
                assert (await ds.client.get(found[0], cookies=cookies)).status_code == 200
                registry = [r for r in rows if r["section"] == "名錄"]
                assert [(r["unit_code"], r["item"]) for r in registry] == [(unit, name)]
            # the unit page does not link to itself
            own = await ds.client.get(f"/{db}/unit_page?unit_code={unit}", cookies=cookies)
            assert not _links(own.text, "unit_page")
    run_site(site_db, go)


def test_merchants_link_to_their_balances(site_db):
    """A merchant's id and name (the sales' table page, the merchants' page, the canned query of
    chain breaks; the merchants a finding's evidence names) link to its balances, which list its
    batches."""
    merchant, name = _one(site_db, "SELECT m.merchant_id, m.name FROM merchants m JOIN findings f "
                                   "ON json_extract(f.evidence, '$.seller_id') = m.merchant_id "
                                   "WHERE f.check_id = 'chain_break' LIMIT 1")
    batches = _one(site_db, "SELECT count(*) FROM coldchain_balances WHERE merchant_id = ?", merchant)[0]
    assert batches >= 1

    async def go(ds, inspector):
        for db, cookies in _databases(ds, inspector):
            for url, by_name in ((f"/{db}/coldchain_sales?merchant_id={merchant}", True), (f"/{db}/merchants", True),
                                 (f"/{db}/coldchain_chain_breaks", True), (f"/{db}/findings?check_id=chain_break", False)):
                page = await ds.client.get(url, cookies=cookies)
                found = _links(page.text, "coldchain_merchant_balance")
                assert {_arg(h, "merchant_id") for h, _ in found} >= {merchant}, url
                shown = {text for h, text in found if _arg(h, "merchant_id") == merchant}
                assert shown, url
                if by_name and not db.endswith("_open"):
                    assert name in shown, url          # the name links too, not only the id
                href = next(h for h, _ in found if _arg(h, "merchant_id") == merchant)
                target = await ds.client.get(href, cookies=cookies)
                assert target.status_code == 200 and COUNT.search(target.text).group(1) == str(batches)
    run_site(site_db, go)


def test_findings_link_to_their_source_row_and_file(site_db):
    """Every finding whose evidence names a source row links, on the findings' table page and on
    the latest_findings page, to that row (the full database: file, sheet and row; the open
    copy, whose evidence names no sheet: file and row) and to its source file."""
    def expected(path) -> int:
        conn = sqlite3.connect(path)
        try:
            return sum("file_id" in json.loads(ev) for (ev,) in conn.execute("SELECT evidence FROM findings") if ev)
        finally:
            conn.close()
    assert expected(site_db) > 40

    async def go(ds, inspector):
        for db, cookies in _databases(ds, inspector):
            named = expected(ds.databases[db].path)           # the open copy: where its evidence is open
            assert named > 30
            page = await ds.client.get(f"/{db}/findings?_size=max", cookies=cookies)
            rows = re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
            linked = second = 0
            for row in rows:
                sources = [h for h, text in LINK.findall(row) if "來源行" in text]
                second += len(sources) > 1
                files = [html.unescape(h) for h, text in LINK.findall(row) if "來源文件" in text]
                if not files:
                    continue
                linked += 1
                file_id = files[0].rsplit("/", 1)[1]
                target = await ds.client.get(files[0], cookies=cookies)
                assert target.status_code == 200, files[0]
                assert sources, row
                assert _arg(html.unescape(sources[0]), "file_id") == file_id
                for href in map(html.unescape, sources):
                    data = (await ds.client.get(href.replace("?", ".json?", 1) + "&_shape=array",
                                                cookies=cookies)).json()
                    assert data, href
                    assert {(str(r["file_id"]), str(r["row_number"])) for r in data} == {
                        (_arg(href, "file_id"), _arg(href, "row_number"))}
                    if not db.endswith("_open"):
                        assert len(data) == 1 or {r["sheet"] for r in data} == {_arg(href, "sheet")}
            assert linked == named, db
            assert second == (0 if db.endswith("_open") else 1)      # nat_positive: the sale's row too
            latest = await ds.client.get(f"/{db}/latest_findings", cookies=cookies)
            assert len(_links(latest.text, "source_files")) >= named
            assert any("來源行" in text for _, text in LINK.findall(latest.text))
    run_site(site_db, go)


def test_no_link_to_a_page_the_open_copy_does_not_serve(site_db):
    """A returnee links to the returnee's page (inspector only) on the full database: on its
    table page and on the canned query of the tests due; the open copy, which has no such page,
    shows the same table without the link."""
    returnee, due = _one(site_db, "SELECT returnee_id, due_date FROM returnee_tests_owed ORDER BY due_date LIMIT 1")

    async def go(ds, inspector):
        full, public = [db for db, _ in _databases(ds, inspector)]
        page = await ds.client.get(f"/{full}/returnee_tests_owed?returnee_id={returnee}", cookies=inspector)
        found = _links(page.text, "returnee_detail")
        assert found and {_arg(h, "returnee_id") for h, _ in found} == {str(returnee)}
        target = await ds.client.get(found[0][0], cookies=inspector)
        assert target.status_code == 200
        detail = (await ds.client.get(f"/{full}/returnee_detail.json?returnee_id={returnee}&_shape=array",
                                      cookies=inspector)).json()
        assert detail
        due_page = await ds.client.get(f"/{full}/returnee_tests_due?date={due}", cookies=inspector)
        assert _links(due_page.text, "returnee_detail")
        assert (await ds.client.get(f"/{public}/returnee_detail?returnee_id={returnee}")).status_code == 404
        open_page = await ds.client.get(f"/{public}/returnee_tests_owed?returnee_id={returnee}")
        assert open_page.status_code == 200 and str(returnee) in open_page.text
        assert "returnee_detail" not in open_page.text
        # the open copy's unit page links stay: unit_page is served there
        assert _links((await ds.client.get(f"/{public}/returnees_current")).text, "unit_page")
    run_site(site_db, go)


def test_links_escape_what_they_show():
    """A value is escaped in the text and quoted in the address; a column nothing claims is left
    to the page."""
    show = cells.for_column("trace_code", "coldchain_batches", "/workbench")
    out = show('QL<1>&"x y', {})
    assert out == ('<a href="/workbench/batch_trace?trace_code=QL%3C1%3E%26%22x+y" title="批次追溯 / batch trace">'
                   "QL&lt;1&gt;&amp;\"x y</a>")
    assert show(None, {}) is None and show("", {}) is None
    assert cells.for_column("product", "coldchain_batches", "/workbench") is None
    assert cells.for_column("trace_code", "batch_trace", "/workbench") is None          # not to itself
    assert cells.for_column("returnee_id", "returnee_tests_owed", "/workbench_open") is None
    assert cells.for_column("returnee_id", "returnee_tests_owed", "/workbench") is not None
    assert links.served("unit_page", "/workbench_open") and not links.served("no_such_query", "/workbench")
    # a finding of a check whose subject is not a trace code: no trace link
    subject = cells.for_column("subject_key", "findings", "/workbench")
    assert subject("440100121000351", {"check_id": "cert_reused"}) is None
    assert "batch_trace" in subject("QL1", {"check_id": "oversold"})


def test_every_check_with_a_source_row_says_which_table_it_is_in():
    """Every check whose findings name a source row (file_id and row in its evidence) says in its
    header which table that row is in (`-- evidence row:`), a table of a kind with the source
    columns; every finding of the demo that names a row is linked to it (one row, or the roster
    row's shifts) on the full database."""
    from fangyi.checks import all_checks
    from fangyi.ingest import kinds

    tables = {t.name: {c.name for c in t.all_columns()} for _, t in kinds.tables().values()}
    for check in all_checks():
        if "'file_id'" not in check.sql:
            assert not check.evidence_rows, check.id
            continue
        assert check.evidence_rows, f"{check.id}: say `-- evidence row:` in its header"
        for table, key, value, prefix in check.evidence_rows:
            assert {"file_id", "sheet", "row_number"} <= tables.get(table, set()), (check.id, table)
            assert f"'{prefix}file_id'" in check.sql and f"'{prefix}row'" in check.sql, check.id
            assert key is None or f"'{key}'" in check.sql, check.id


def test_one_bar_per_market_however_it_is_written(site_db):
    """The demo writes 清河冷鏈食品批發市場 in traditional and in simplified characters; the
    cold-chain chart, fetched as the dashboard's script fetches it, gives one bar for both with
    every finding of their merchants counted."""
    conn = sqlite3.connect(site_db)
    try:
        spellings: dict[str, set[str]] = {}
        for (market,) in conn.execute("SELECT DISTINCT market FROM merchants WHERE market IS NOT NULL"):
            spellings.setdefault(norm(market), set()).add(market)
        both = next(k for k, v in spellings.items() if len(v) > 1)           # the demo writes one both ways
        findings = conn.execute(
            "SELECT count(*) FROM findings f JOIN merchants m ON m.merchant_id = COALESCE("
            "json_extract(f.evidence, '$.merchant_id'), json_extract(f.evidence, '$.seller_id')) "
            f"WHERE m.market IN ({','.join('?' * len(spellings[both]))})", sorted(spellings[both])).fetchone()[0]
    finally:
        conn.close()
    assert findings >= 2

    async def go(ds, inspector):
        from datasette_dashboards import replace_opts_in_query

        chart = ds.plugin_config("datasette-dashboards")["reporting"]["charts"]["coldchain-gaps"]
        sql = replace_opts_in_query(chart["query"], {})
        response = await ds.client.get(f"/{chart['db']}.json?" + urlencode({"sql": sql, "_shape": "array"}))
        assert response.status_code == 200, response.text
        return response.json()
    rows = run_site(site_db, go)
    markets = {r["market"] for r in rows if norm(r["market"]) == both}
    assert len(markets) == 1 and markets <= spellings[both]
    assert sum(r["n"] for r in rows if r["market"] in markets) == findings
    assert len({(r["market"], r["check_label"]) for r in rows}) == len(rows)


def test_each_check_keeps_its_own_colour(site_db):
    """Every chart coloured by check has a fixed scale: the chart of findings by check names
    every check, no two with one colour; another chart shows its checks in the same colours."""
    labels = check_labels()
    assert len(labels) >= 18

    async def go(ds, inspector):
        return ds.plugin_config("datasette-dashboards")
    dashboards = run_site(site_db, go)
    scales = {}
    for dash in dashboards.values():
        for slug, chart in dash["charts"].items():
            color = chart.get("display", {}).get("encoding", {}).get("color", {})
            if color.get("field") in ("check_label", "check_id"):
                scale = color["scale"]
                assert len(scale["domain"]) == len(scale["range"]), slug
                assert color["legend"]["symbolLimit"] >= len(scale["domain"]), slug      # every entry shown
                scales[slug] = dict(zip(scale["domain"], scale["range"]))
    everything = scales["findings-by-check"]
    assert set(everything) == set(labels.values())
    assert len(set(everything.values())) == len(everything)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in everything.values())
    cold = scales["coldchain-gaps"]
    assert cold and set(cold) < set(everything)
    assert all(everything[label] == colour for label, colour in cold.items())
    assert everything[labels["missing_report"]] != everything[labels["sale_before_receipt"]]
    # the chart of missed and late reports shows 漏報 and 遲報 in their checks' colours
    kinds = dashboards["reporting"]["charts"]["missed-late"]["display"]["encoding"]["color"]["scale"]
    assert dict(zip(kinds["domain"], kinds["range"])) == {
        "漏報": everything[labels["missing_report"]], "遲報": everything[labels["late_report"]]}
