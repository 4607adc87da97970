"""The demo database served in-process by Datasette with metadata.yml."""
from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from datasette.app import Datasette

from fangyi.serve import METADATA, datasette_args


def _get(db_path: Path, url: str):
    async def go():
        ds = Datasette([str(db_path)], metadata=yaml.safe_load(METADATA.read_text(encoding="utf-8")))
        return await ds.client.get(url)
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


def test_serve_command_line():
    args = datasette_args(Path("db/workbench.db"), port=8001)
    assert args[1:4] == ["-m", "datasette", "serve"]
    assert "--metadata" in args and str(METADATA) in args and "8001" in args
