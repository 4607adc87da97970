"""metadata.yml describes every table, view and column of the schema, and Datasette serves it."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

import db

ROOT = Path(__file__).resolve().parent.parent
METADATA_PATH = ROOT / "metadata.yml"
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def metadata() -> dict:
    return yaml.safe_load(METADATA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("metadata") / "workbench.db"
    db.connect(path).close()
    return path


@pytest.fixture(scope="module")
def schema(db_path) -> dict[str, list[str]]:
    """{table or view name: [column names]} for everything schema.sql creates."""
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _bilingual(text) -> bool:
    return isinstance(text, str) and bool(HAN.search(text)) and bool(LATIN.search(text))


def test_top_level(metadata):
    assert _bilingual(metadata["title"])
    assert _bilingual(metadata["description"])
    assert metadata["license"] == "CC BY 4.0"
    assert metadata["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["source"]


def test_schema_is_what_we_expect(schema):
    expected = {"source_files", "rejected_rows", "non_data_rows", "units", "units_current",
                "unit_keys", "daily_reports", "daily_reports_resolved", "daily_report_versions",
                "daily_reports_current"}
    assert expected <= set(schema)


def test_every_table_view_and_column_described(metadata, schema):
    tables = metadata["databases"]["workbench"]["tables"]
    problems = []
    for name, columns in schema.items():
        meta = tables.get(name)
        if meta is None:
            problems.append(f"{name}: not in metadata.yml")
            continue
        if not _bilingual(meta.get("description")):
            problems.append(f"{name}: description missing or not Chinese + English")
        described = meta.get("columns") or {}
        for column in columns:
            if not _bilingual(described.get(column)):
                problems.append(f"{name}.{column}: description missing or not Chinese + English")
        for column in set(described) - set(columns):
            problems.append(f"{name}.{column}: described but not in the schema")
    for name in set(tables) - set(schema):
        problems.append(f"{name}: described but not in the schema")
    assert not problems, "\n".join(problems)


def test_facets_and_sorts_name_real_columns(metadata, schema):
    tables = metadata["databases"]["workbench"]["tables"]
    problems = []
    for name, meta in tables.items():
        columns = set(schema.get(name, []))
        named = list(meta.get("facets", []))
        named += [meta[k] for k in ("sort", "sort_desc", "label_column") if k in meta]
        problems += [f"{name}: {c}" for c in named if c not in columns]
        assert not ("sort" in meta and "sort_desc" in meta), name
    assert not problems, "\n".join(problems)


def test_datasette_serves_metadata(metadata, db_path, schema):
    async def run():
        ds = Datasette([str(db_path)], metadata=metadata)
        index = await ds.client.get("/")
        assert index.status_code == 200
        assert metadata["title"] in index.text

        resp = await ds.client.get("/workbench/daily_reports_current.json")
        assert resp.status_code == 200, resp.text

        # Every table and view renders with its configured sort and facets.
        tables = metadata["databases"]["workbench"]["tables"]
        for name in schema:
            page = await ds.client.get(f"/workbench/{name}")
            assert page.status_code == 200, (name, page.text[:500])
            data = await ds.client.get(f"/workbench/{name}.json")
            assert data.status_code == 200, (name, data.text[:500])
            assert set(data.json()["facet_results"]) == set(tables[name].get("facets", [])), name

        page = await ds.client.get("/workbench/daily_reports_current")
        description = metadata["databases"]["workbench"]["tables"]["daily_reports_current"]["columns"]["zero_report"]
        assert description.split(" — ")[0] in page.text

    asyncio.run(run())
