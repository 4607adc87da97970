"""What a run's first visitors meet (issue 22): the home page and the pages it links to computed
when `fangyi serve` switches to the run, not on the first visit; the open copy made with the
snapshot, holding the latest run's findings, its row counts those the build copied; tables
filtered from a link sent on to the lean pages that answer the same question."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from conftest import inspector_cookies, run_site
from fangyi.site.serve import open_name


def _rows(path: Path, sql: str, *params):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_filtered_tables_are_sent_to_pages_that_answer_the_same(checked_db):
    """findings?date=, findings?unit_code= and daily_reports?unit_code= go (302) to
    findings_on_day, findings_of_unit and unit_report_history, which list what the filter asks
    for: the findings of that day or unit (daily_reports has no unit_code column: the table page
    said 0 rows); a second filter keeps the table page."""
    public = open_name(checked_db)
    day, unit, by_day, by_unit = _rows(checked_db, """
        SELECT f.date, u.unit_code,
               (SELECT count(*) FROM findings WHERE date = f.date),
               (SELECT count(*) FROM findings WHERE unit_code = u.unit_code)
        FROM findings f, (SELECT unit_code FROM findings WHERE unit_code IS NOT NULL
                          GROUP BY unit_code ORDER BY count(*) DESC LIMIT 1) u
        WHERE f.date IS NOT NULL GROUP BY f.date ORDER BY count(*) DESC LIMIT 1""")[0]
    assert by_day > 1 and by_unit > 1

    async def go(ds, inspector):
        out = {}
        for db, cookies in ((public, {}), (checked_db.stem, inspector)):
            for url in (f"/{db}/findings?date={day}", f"/{db}/findings?unit_code={unit}",
                        f"/{db}/daily_reports?unit_code={unit}", f"/{db}/findings?date={day}&check_id=missing_report"):
                r = await ds.client.get(url, cookies=cookies)
                target = r.headers.get("location")
                answer = None
                if target:
                    answer = (await ds.client.get(target.replace(".json", "") .split("?")[0] + ".json?"
                                                  + urlsplit(target).query + "&_shape=array", cookies=cookies)).json()
                out[url] = (r.status_code, target, answer)
        return out

    pages = run_site(checked_db, go)
    for db in (public, checked_db.stem):
        status, target, answer = pages[f"/{db}/findings?date={day}"]
        assert status == 302 and urlsplit(target).path == f"/{db}/findings_on_day"
        assert parse_qs(urlsplit(target).query) == {"date": [day]}
        assert len(answer) == by_day and {r["date"] for r in answer} == {day}
        status, target, answer = pages[f"/{db}/findings?unit_code={unit}"]
        assert status == 302 and urlsplit(target).path == f"/{db}/findings_of_unit"
        assert len(answer) == by_unit and {r["unit_code"] for r in answer} == {unit}
        status, target, answer = pages[f"/{db}/daily_reports?unit_code={unit}"]
        assert status == 302 and urlsplit(target).path == f"/{db}/unit_report_history"
        assert answer and {r.get("unit_code", unit) for r in answer} == {unit}
        status, target, _ = pages[f"/{db}/findings?date={day}&check_id=missing_report"]
        assert status == 200 and target is None


def test_the_home_page_is_computed_when_the_site_switches_to_a_run(checked_db, tmp_path, monkeypatch):
    """Site.switch answers the home page (and the pages it links to) before anyone asks: the
    first visitor's request runs none of the home page's queries."""
    from fangyi.site import home
    from fangyi.site.serve import Site

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    served = Site(path).start(wait=None)

    def no_queries(*args, **kwargs):
        raise AssertionError("the home page's queries ran on a visit")
    monkeypatch.setattr(home, "_query", no_queries)

    async def go():
        return await served.ds.client.get("/"), await served.ds.client.get("/", cookies=inspector_cookies(served.ds))

    anonymous, inspector = asyncio.run(go())
    assert anonymous.status_code == 200 and "漏報" in anonymous.text
    # the inspector's page is rendered for the session, from the data computed at the switch
    assert inspector.status_code == 200 and "漏報" in inspector.text


def test_open_copy_holds_the_latest_runs_findings_and_its_counts_are_exact(checked_db, tmp_path):
    """After two runs the open copy holds the second run's findings only (the history of every
    run is the inspector's); the row counts the site shows for every table of both files are the
    tables' own, though the open copy's build gave them instead of counting."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    run_checks(path, Settings())
    runs = _rows(path, "SELECT run_id FROM check_runs WHERE finished_at IS NOT NULL ORDER BY run_id")
    assert len(runs) >= 2
    public = open_name(path)

    async def go(ds, inspector):
        return {name: Path(ds.databases[name].path) for name in (public, path.stem)}, ds.inspect_data

    files, inspect = run_site(path, go)
    latest = runs[-1][0]
    assert _rows(files[public], "SELECT DISTINCT run_id FROM findings_history") == [(latest,)]
    assert (_rows(files[public], "SELECT count(*) FROM findings_history")
            == _rows(path, "SELECT count(*) FROM findings_history WHERE run_id = ?", latest))
    for name, file in files.items():
        tables = [t for (t,) in _rows(file, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            (truth,), = _rows(file, f'SELECT count(*) FROM "{table}"')
            assert inspect[name]["tables"][table]["count"] == truth, (name, table)


def test_a_database_made_again_is_not_served_from_the_old_ones_files(checked_db, demo_db, tmp_path):
    """A database deleted and made again under the same name numbers its runs from 1 again:
    `fangyi serve` must not serve its run 1 from the files it made for the old database's run 1."""
    import time

    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings
    from fangyi.site.serve import Site

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    old = Site(path).start(wait=None)
    run = _rows(path, "SELECT max(run_id) FROM check_runs")[0][0]
    assert Path(old.ds.databases[path.stem].path).name == f"run-{run}.db"
    path.unlink()
    shutil.copy(demo_db, path)
    time.sleep(1.1)                       # another second: another started_at
    run_checks(path, Settings())
    assert _rows(path, "SELECT max(run_id) FROM check_runs")[0][0] == run
    stamp = "SELECT started_at, finished_at FROM check_runs WHERE run_id = ?"
    new = Site(path).start(wait=None)
    served = Path(new.ds.databases[path.stem].path)
    assert _rows(served, stamp, run) == _rows(path, stamp, run)
    # and when the watcher prepares a run (Published.prepare), not only when serve starts
    path.unlink()
    shutil.copy(demo_db, path)
    time.sleep(1.1)
    run_checks(path, Settings())
    prepared = new.published.prepare(run)
    assert _rows(prepared.path, stamp, run) == _rows(path, stamp, run)
