"""Serving the database with Datasette, in this process: the project's metadata.yml, with the
column descriptions of every registered kind's table filled in from the kind registry, under
whatever name the database file has. Stopping `fangyi serve` stops everything."""
from __future__ import annotations

import asyncio
import copy
from pathlib import Path

import yaml

METADATA = Path(__file__).parent / "metadata.yml"     # in a checkout, a link to the top-level file
METADATA_DB = "workbench"                             # the database name metadata.yml is written for
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000}


def site_metadata(db_path: Path | str) -> dict:
    """metadata.yml for a database file of any name, with registry descriptions filled in."""
    from fangyi.ingest import kinds as registry

    metadata = copy.deepcopy(yaml.safe_load(METADATA.read_text(encoding="utf-8")))
    databases = metadata.setdefault("databases", {})
    ours = databases.pop(METADATA_DB, {})
    tables = ours.setdefault("tables", {})
    for kind in registry.all_kinds().values():
        table = tables.setdefault(kind.table, {"description": kind.title})
        columns = table.setdefault("columns", {})
        for f in kind.fields:
            if f.name in kind.columns and f.name not in columns and (f.zh or f.en):
                columns[f.name] = f"{f.zh} — {f.en}"
    databases[Path(db_path).stem] = ours
    return metadata


def make_datasette(db_path: Path | str):
    from datasette.app import Datasette

    return Datasette([str(db_path)], metadata=site_metadata(db_path), settings=dict(SETTINGS))


def serve(db_path: Path, port: int = 8001, host: str = "127.0.0.1") -> int:
    """Run Datasette in the foreground until interrupted or terminated; returns an exit code."""
    import uvicorn

    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
    return 0
