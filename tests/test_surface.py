"""What an anonymous visitor can reach (fangyi.site.surface, fangyi.site.exports): Datasette's
plain .csv neutralises formulas, no /-/ page shows them a file path, other methods than GET are
405, SQL typed by hand on the open copy is the inspector's, and the dashboards' charts still
draw for everyone, from exactly their own SQL."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from conftest import run_site
from fangyi.site.serve import open_name

ROOT = Path(__file__).resolve().parent.parent
CRAFTED = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def crafted_db(checked_db, tmp_path_factory) -> Path:
    """The checked demo with a finding whose message and subject are formulas (both reach the
    open copy: a silent streak's message is open)."""
    path = tmp_path_factory.mktemp("crafted") / "workbench.db"
    shutil.copy(checked_db, path)
    conn = sqlite3.connect(path)
    with conn:
        run = conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]
        conn.execute("INSERT INTO findings_history (run_id, check_id, severity, unit_code, date, subject_key, "
                     "message, evidence) VALUES (?, 'silent_streak', 'warning', NULL, '2021-01-22', '@SUM(1+1)', ?, "
                     "NULL)", (run, CRAFTED))
    conn.close()
    return path


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_plain_csv_neutralises_formulas(crafted_db):
    full, public = crafted_db.stem, open_name(crafted_db)

    async def go(ds, inspector):
        urls = {f"/{public}/findings.csv?_size=max": {}, f"/{public}/findings.csv?_stream=1": {},
                f"/{full}/findings.csv?_stream=1": inspector,
                f"/{public}/latest_findings.csv": {},
                f"/{public}.csv?sql=" + quote("select message, subject_key, finding_id from findings"): inspector}
        out = {}
        for url, cookies in urls.items():
            resp = await ds.client.get(url, cookies=cookies)
            assert resp.status_code == 200, (url, resp.text[:300])
            out[url] = resp.text
        return out

    for url, text in run_site(crafted_db, go).items():
        cells = _cells(text)
        assert "'" + CRAFTED in cells and CRAFTED not in cells, url
        if "latest_findings" not in url:
            assert "'@SUM(1+1)" in cells and "@SUM(1+1)" not in cells, url
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], url
        if "sql=" in url:                                     # numbers stay numbers
            rows = list(csv.reader(io.StringIO(text)))[1:]
            assert rows and all(r[2].isdigit() for r in rows), rows[:3]


def _dash_urls(ds) -> list[str]:
    """Every /-/ page Datasette and its plugins route that takes no value in its path, as HTML
    and as JSON where it has both."""
    urls = []
    for pattern, _ in ds._routes():
        source = pattern.pattern
        if not source.lstrip("^").startswith("/-/") or "(?P<path>" in source or "(?P<slug>" in source:
            continue
        base = source.lstrip("^").rstrip("$")
        if r"(\.(?P<format>json))?" in base:
            stem = base.replace(r"(\.(?P<format>json))?", "")
            urls += [stem, stem + ".json"]
        else:
            urls.append(base.replace("\\", ""))
    return urls


def test_no_anonymous_dash_page_shows_a_file_path(crafted_db):
    """No /-/ page (JSON or HTML) shows an anonymous visitor where the files are: the database's
    folder, the virtual environment, the Python installation, the working tree. The inspector
    still sees the databases' paths."""
    places = {str(crafted_db.resolve().parent), sys.prefix, sys.base_prefix, str(ROOT)}

    async def go(ds, inspector):
        urls = _dash_urls(ds)
        assert {"/-/databases.json", "/-/metadata.json", "/-/settings.json", "/-/plugins.json", "/-/versions.json",
                "/-/threads.json", "/-/actor.json"} <= set(urls), urls
        seen, shown = {}, []
        for url in urls + ["/-/dashboards", "/-/dashboards/reporting"]:
            resp = await ds.client.get(url, follow_redirects=True)
            seen[url] = resp.status_code
            shown += [f"{url}: {place}" for place in places if place in resp.text]
            if url.endswith(".json") and resp.status_code == 200:
                shown += [f"{url}: {p}" for p in re.findall(r'"(/[^"]*/[^"]*)"', resp.text) if Path(p).is_absolute()
                          and Path(p).exists()]
        databases = await ds.client.get("/-/databases.json", cookies=inspector)
        return seen, shown, databases

    seen, shown, databases = run_site(crafted_db, go)
    assert shown == []
    assert seen["/-/databases.json"] == seen["/-/threads.json"] == seen["/-/plugins.json"] == 403
    assert seen["/-/metadata.json"] == seen["/-/actor.json"] == seen["/-/dashboards/reporting"] == 200
    paths = [d["path"] for d in databases.json()]          # where the served files are, beside the database
    assert paths and all(p.startswith(str(crafted_db.resolve().parent)) for p in paths), paths


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(crafted_db, method):
    full, public = crafted_db.stem, open_name(crafted_db)

    async def go(ds, inspector):
        out = {}
        for url in (f"/{public}/findings", f"/{public}/findings.json", f"/{full}/findings", f"/{public}",
                    f"/{public}/missed_on_day", "/", "/-/metadata.json", "/-/dashboards/reporting"):
            for who, cookies in (("anonymous", {}), ("inspector", inspector)):
                resp = await ds.client.request(method, url, data={"a": "b"}, cookies=cookies)
                out[f"{who} {url}"] = (resp.status_code, resp.headers.get("allow"))
        login = await ds.client.request(method, "/-/login", data={"a": "b"})
        return out, login

    out, login = run_site(crafted_db, go)
    assert {k: v for k, v in out.items() if v != (405, "GET, HEAD")} == {}
    assert login.status_code == (403 if method == "POST" else 405)      # POST: refused for its missing token


def test_anonymous_sql_on_the_open_copy_is_refused(crafted_db):
    """Anonymous: table pages and canned queries, no SQL of their own (?sql= in any format, _where=);
    the inspector keeps ?sql= on both databases."""
    full, public = crafted_db.stem, open_name(crafted_db)
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"

    async def go(ds, inspector):
        out = {}
        for url in (f"/{public}.json?sql=select+1", f"/{public}?sql=select+1", f"/{public}.csv?sql=select+1",
                    f"/{public}.json?sql=" + quote(endless), f"/{public}/findings.json?_where=1=1",
                    f"/{full}.json?sql=select+1"):
            out[url] = ((await ds.client.get(url)).status_code,
                        (await ds.client.get(url, cookies=inspector)).status_code if "recursive" not in url else None)
        for url in (f"/{public}/findings.json", f"/{public}/missed_on_day.json?date=2021-01-22",
                    f"/{public}/missed_on_day?date=2021-01-22", f"/{public}"):
            out[url] = ((await ds.client.get(url)).status_code, None)
        page = await ds.client.get(f"/{public}/missed_on_day?date=2021-01-22")
        database = await ds.client.get(f"/{public}")
        return out, page.text, database.text, (await ds.client.get(f"/{public}/missed_on_day?date=2021-01-22",
                                                                    cookies=inspector)).text

    out, page, database, inspector_page = run_site(crafted_db, go)
    for url, (anonymous, inspector) in out.items():
        if "sql=" in url or "_where" in url:
            assert anonymous == 403, url
            assert inspector in (200, None), url
        else:
            assert anonymous == 200, url
    assert "在 SQL 頁編輯" not in page and "在 SQL 頁編輯" in inspector_page
    assert 'name="sql"' not in database                  # no SQL box on the database page


def test_dashboards_draw_for_everyone_from_their_own_sql(crafted_db):
    """The data of every chart, fetched as datasette-dashboards' script fetches it (the SQL the
    dashboard page hands it, the filters' query string), without filters, with each filter and
    with all: 200 anonymously. The same SQL changed by a character: 403."""
    from fangyi.site.surface import chart_sql

    public = open_name(crafted_db)

    async def go(ds, inspector):
        out, changed = {}, {}
        assert len(chart_sql(ds, public)) > 8         # every chart, with and without each filter
        for args in ({}, {"date_start": "2021-01-11"}, {"date_end": "2021-02-07"}, {"town": "東華街道"},
                     {"date_start": "2021-01-11", "date_end": "2021-02-07", "town": "東華街道"}):
            page = await ds.client.get("/-/dashboards/reporting?" + urlencode(args) if args else
                                       "/-/dashboards/reporting?date_start=")
            assert page.status_code == 200, page.text[:500]
            calls = re.findall(r"renderChart\('([^']+)', (\{.*\}), '([^']*)', '([^']*)'\)", page.text)
            assert len(calls) == 4, page.text[-3000:]
            for slug, chart, query_string, absolute in calls:
                chart = json.loads(chart)
                url = f"/{chart['db']}.json?sql={quote(chart['query'], safe='')}&{query_string}&_shape=objects"
                resp = await ds.client.get(url)
                out[(slug, tuple(args))] = (resp.status_code, len(resp.json().get("rows", [])) if resp.status_code
                                            == 200 else resp.text[:200])
                tampered = url.replace("sql=", "sql=%20", 1)
                changed[(slug, tuple(args))] = (await ds.client.get(tampered)).status_code
        return out, changed

    out, changed = run_site(crafted_db, go)
    assert {k: v for k, v in out.items() if v[0] != 200} == {}
    assert sum(1 for status, rows in out.values() if rows) >= 10           # they draw something
    assert set(changed.values()) == {403}
