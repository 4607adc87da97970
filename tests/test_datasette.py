"""The demo database served in-process by Datasette with metadata.yml."""
from __future__ import annotations

import asyncio
from pathlib import Path

from fangyi.serve import make_datasette


def _get(db_path: Path, url: str):
    async def go():
        return await make_datasette(db_path).client.get(url, follow_redirects=True)
    return asyncio.run(go())


def test_daily_reports_served(demo_db, demo_conn):
    name = demo_db.stem
    resp = _get(demo_db, f"/{name}/daily_reports_current.json?_shape=array&_size=max")
    assert resp.status_code == 200
    rows = resp.json()
    assert len(rows) == demo_conn.execute("SELECT count(*) FROM daily_reports_current").fetchone()[0]
    assert {"report_date", "unit_code", "unit_raw", "new_confirmed", "zero_report"} <= set(rows[0])


def test_daily_reports_page_has_facets_and_description(demo_db):
    resp = _get(demo_db, f"/{demo_db.stem}/daily_reports_current")
    assert resp.status_code == 200
    assert "report_date" in resp.text and "facet" in resp.text


def test_metadata_follows_the_database_whatever_its_file_name(demo_db, tmp_path):
    import shutil

    other = tmp_path / "清河區2021.db"
    shutil.copy(demo_db, other)
    resp = _get(other, f"/{other.stem}/daily_reports_current")
    assert resp.status_code == 200
    assert "現行日報" in resp.text          # the table's description from metadata.yml
