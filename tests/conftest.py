"""Shared fixtures: the demo district generated and ingested once per test session."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from fangyi import demo
from fangyi.ingest.load import ingest


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo_data")
    manifest = demo.generate(out)
    return out, manifest


@pytest.fixture(scope="session")
def demo_db(demo_data, tmp_path_factory) -> Path:
    """The demo database, ingested and checked once (the check run resolves units and writes
    what the views read); tests must not write to it."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    out, _ = demo_data
    path = tmp_path_factory.mktemp("demo_db") / "workbench.db"
    reports = ingest(path, [out])
    assert all(r.status == "loaded" for r in reports), [r.error for r in reports if r.error]
    run_checks(path, Settings())
    return path


@pytest.fixture
def demo_conn(demo_db):
    conn = sqlite3.connect(f"file:{demo_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def table_counts(path: Path) -> dict[str, int]:
    """Row counts of every table: a fingerprint of what a database holds."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}
    finally:
        conn.close()


def file_id(conn, manifest_path: str) -> int:
    """The file_id of a demo file given by its manifest path."""
    rows = conn.execute("SELECT file_id, path FROM source_files").fetchall()
    matches = [fid for fid, path in rows if Path(path).as_posix().endswith(manifest_path)]
    assert len(matches) == 1, (manifest_path, rows)
    return matches[0]


def load_json(text):
    return json.loads(text) if text else None


@pytest.fixture(scope="session")
def checked_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo database on which every check has run once (without GX)."""
    import shutil

    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    path = tmp_path_factory.mktemp("checked_db") / "workbench.db"
    shutil.copy(demo_db, path)
    run_checks(path, Settings())
    return path


def findings_of(path: Path, check_id: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM findings WHERE check_id = ? ORDER BY unit_code, date, subject_key",
                            (check_id,)).fetchall()
    finally:
        conn.close()
