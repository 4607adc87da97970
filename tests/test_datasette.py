"""The demo database served by Datasette with metadata.yml: in-process, and by `fangyi serve`
as a real server on a free local port."""
from __future__ import annotations

import asyncio
import html
import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import accepts, fangyi_serve, inspector_cookies, site
import yaml

from fangyi.site.serve import METADATA


def _metadata() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def _get(db_path: Path, *urls: str):
    """GET as the logged-in inspector: anonymous visitors see only the open copy (test_site.py)."""
    async def go():
        ds = site(db_path)
        cookies = inspector_cookies(ds)
        return [await ds.client.get(url, cookies=cookies, follow_redirects=True) for url in urls]
    return asyncio.run(go())


def test_daily_reports_served(demo_db, demo_conn):
    name = demo_db.stem
    (resp,) = _get(demo_db, f"/{name}/daily_reports_current.json?_shape=array&_size=max")
    assert resp.status_code == 200
    rows = resp.json()
    assert len(rows) == demo_conn.execute("SELECT count(*) FROM daily_reports_current").fetchone()[0]
    assert {"report_date", "unit_code", "unit_raw", "new_confirmed", "zero_report"} <= set(rows[0])


def test_configured_facets_are_served_with_true_counts(checked_db):
    """Every table and view with facets in metadata.yml shows exactly those facets (none asked
    for in the URL), and on a table with rows each facet's counts are the database's counts."""
    tables = _metadata()["databases"]["workbench"]["tables"]
    faceted = {name: meta["facets"] for name, meta in tables.items() if meta.get("facets")}
    assert {"units_current", "findings", "source_files"} <= set(faceted)
    # Facets are configured where counting them is cheap: not on the tables and views with a row
    # per report or per expected unit-day (millions in a province).
    assert not {"daily_reports", "daily_reports_current", "daily_report_versions", "expected_report_status",
                "expected_reports", "report_timeliness", "reporting_rates"} & set(faceted)
    assert checked_db.stem == "workbench"
    # _nocount and _nosuggest skip work that has nothing to do with the configured facets.
    responses = _get(checked_db, *(f"/workbench/{name}.json?_size=0&_nocount=1&_nosuggest=1" for name in faceted))
    conn = sqlite3.connect(f"file:{checked_db}?mode=ro", uri=True)
    counted = 0
    for (name, facets), resp in zip(faceted.items(), responses):
        assert resp.status_code == 200, (name, resp.text[:500])
        data = resp.json()
        assert data.get("facets_timed_out", []) == [], name
        results = data["facet_results"]
        assert set(results) == set(facets), name
        for column in facets:
            facet = results[column]
            assert facet["hideable"] is False, (name, column)      # configured, not requested
            truth = conn.execute(f'SELECT "{column}", count(*) FROM "{name}" WHERE "{column}" IS NOT NULL '
                                 f'GROUP BY 1').fetchall()
            served = {r["value"]: r["count"] for r in facet["results"]}
            assert len(served) == min(len(truth), 30), (name, column)
            assert served.items() <= dict(truth).items(), (name, column)
            counted += bool(served)
    assert counted >= 20            # most facets of the checked demo have values to count

    (page,) = _get(checked_db, "/workbench/units_current?_nosuggest=1")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert tables["units_current"]["description"] in text
    for column in faceted["units_current"]:
        assert f'id="facet-{column}" data-column="{column}"' in text, column


# ---------------------------------------------------------------------------------------------
# `fangyi serve` as a real process.
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(demo_db) -> dict:
    """Start `fangyi serve`, fetch its index page, terminate it: what was seen on the way. exit_code
    is None when it still ran 10 s after SIGTERM; session_left whether any process of its session
    (it runs in one of its own) was left after it exited."""
    with fangyi_serve(demo_db, timeout=20) as (proc, port, (status, page)):
        seen = {"status": status, "page": html.unescape(page), "listening": accepts(port)}
        proc.terminate()
        try:
            seen["exit_code"] = proc.wait(10)
        except subprocess.TimeoutExpired:
            seen["exit_code"] = None
        else:
            seen["output"] = proc.stdout.read().decode(errors="replace")
            try:
                os.killpg(proc.pid, 0)
                seen["session_left"] = True
            except ProcessLookupError:
                seen["session_left"] = False
        seen["port_after_exit"] = port if accepts(port) else None
    return seen


def test_fangyi_serve_answers_with_metadata_and_exits(served):
    """It served the index page with metadata.yml's title and description; on SIGTERM it shut down,
    removed what it made in temporary folders and ended with status 143 (128 + SIGTERM), with no
    traceback and no process of its session left running."""
    metadata = _metadata()
    assert served["status"] == 200 and served["listening"]
    assert f"<h1>{metadata['title']}</h1>" in served["page"]
    assert metadata["description"] in served["page"]
    assert served["exit_code"] == 128 + signal.SIGTERM, \
        f"fangyi serve ended with {served['exit_code']} on SIGTERM (None: still running after 10 s)"
    assert "Traceback" not in served["output"], served["output"]
    assert served["session_left"] is False


def test_terminated_fangyi_serve_frees_its_port(served):
    assert served["exit_code"] == 128 + signal.SIGTERM
    assert served["port_after_exit"] is None, \
        f"port {served['port_after_exit']} still accepts connections after fangyi serve exited"


def test_metadata_follows_the_database_whatever_its_file_name(demo_db, tmp_path):
    import shutil

    other = tmp_path / "清河區2021.db"
    shutil.copy(demo_db, other)
    (resp,) = _get(other, f"/{other.stem}/daily_reports_current")
    assert resp.status_code == 200
    assert "現行日報" in resp.text          # the table's description from metadata.yml


def test_terminated_fangyi_serve_leaves_no_temporary_folder(docs_db, tmp_path):
    """What `fangyi serve` makes in temporary folders (the offline Data Docs; the run's files when
    the database's folder is not writable) is removed when it is stopped by SIGTERM."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    with fangyi_serve(docs_db, env, timeout=20) as (proc, port, (status, _)):
        assert status == 200
        made = sorted(p.name for p in temp.iterdir())
        assert any(name.startswith("fangyi-datadocs-") for name in made), made
        proc.terminate()
        assert proc.wait(15) == 128 + signal.SIGTERM
    assert list(temp.iterdir()) == []
