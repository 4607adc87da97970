"""Serving the database with Datasette, in this process: the project's metadata.yml, with the
column descriptions of every registered kind's table filled in from the kind registry, under
whatever name the database file has. Stopping `fangyi serve` stops everything.

Two databases are served, both immutable: the full database, readable only by a logged-in
inspector (datasette-auth-passwords; the actor {"id": "inspector"}), and its open copy without
personal data (fangyi.opendata), named `<stem>_open`, readable by everyone. The home page, the
query pages and the table pages use the Chinese templates in fangyi/templates."""
from __future__ import annotations

import asyncio
import copy
import os
import sqlite3
from pathlib import Path

import yaml

METADATA = Path(__file__).parent / "metadata.yml"     # in a checkout, a link to the top-level file
METADATA_DB = "workbench"                             # the database name metadata.yml is written for
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 1000}
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
INSPECTOR = {"id": "inspector"}
PASSWORD_ENV = "FANGYI_INSPECTOR_PASSWORD_HASH"
OPEN_SUFFIX = "_open"

OPEN_TABLES = {
    "check_labels": {
        "description": "各項檢查的中文名稱 — The Chinese label of every check.",
        "columns": {"check_id": "檢查編號 — Check id.", "label": "中文名稱 — Chinese label."},
    },
    "severity_labels": {
        "description": "嚴重程度的中文名稱和排序 — Severity labels and their order.",
        "columns": {"severity": "嚴重程度 — Severity.", "label": "中文名稱 — Chinese label.",
                    "severity_rank": "排序，0 最嚴重 — Order, 0 most severe."},
    },
    "open_data_build": {
        "description": "公開數據庫的生成記錄 — When and from what this open copy was built.",
        "columns": {"source_key": "來源文件大小、修改時間和最近一次檢查 — Source size, mtime and latest check run.",
                    "built_at": "生成時間（UTC） — Built at (UTC).",
                    "people": "替換為代號的人數 — People replaced by a pseudonym.",
                    "phones": "遮蔽的電話號碼數 — Phone numbers masked."},
    },
    "findings_by_severity": {
        "description": "最近一次檢查的發現，按嚴重程度、日期排序，附中文名稱 — The latest run's findings, by severity then date, with Chinese labels.",
    },
}


def open_name(db_path: Path | str) -> str:
    return Path(db_path).stem + OPEN_SUFFIX


def site_metadata(db_path: Path | str, open_db: str | None = None) -> dict:
    """metadata.yml for a database file of any name, with registry descriptions filled in; the
    full database readable by the inspector only; with open_db, the same for the open copy,
    readable by everyone, and the dashboards placed on it."""
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
    dashboards = metadata.get("plugins", {}).get("datasette-dashboards", {})
    if open_db:
        public = copy.deepcopy(ours)
        public["description"] = ("公開數據：與工作台數據庫相同的表、視圖和預設查詢，但不含個人信息——"
                                 "人名換成職務（填報人、帶班領導、個人買家）或代號（人員001），電話號碼遮蔽為 138****1234。"
                                 " — Open data: the workbench's tables, views and canned queries without "
                                 "personal data: names replaced by a role or a pseudonym, phones masked.")
        public["tables"].update(copy.deepcopy(OPEN_TABLES))
        databases[open_db] = public
        for dash in dashboards.values():
            for chart in dash.get("charts", {}).values():
                if chart.get("db") == METADATA_DB:
                    chart["db"] = open_db
            for flt in dash.get("filters", {}).values():
                if flt.get("db") == METADATA_DB:
                    flt["db"] = open_db
    else:
        metadata.get("plugins", {}).pop("datasette-dashboards", None)
    ours["allow"] = dict(INSPECTOR)
    ours["allow_sql"] = dict(INSPECTOR)
    ours["allow_download"] = dict(INSPECTOR)
    for query in ours.get("queries", {}).values():
        query["allow"] = dict(INSPECTOR)
    databases[Path(db_path).stem] = ours
    plugins = metadata.setdefault("plugins", {})
    plugins["datasette-auth-passwords"] = {
        "inspector_password_hash": {"$env": PASSWORD_ENV},
        "actors": {"inspector": dict(INSPECTOR, name="督查員")},
    }
    return metadata


def _inspect(path: Path, name: str) -> dict:
    """`datasette inspect`-style counts of an immutable database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: {"count": conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]} for t in tables}
    finally:
        conn.close()
    return {name: {"file": str(path), "size": path.stat().st_size, "hash": None, "tables": counts}}


def make_datasette(db_path: Path | str, open_db: Path | str | None = None, *, build_open: bool = True):
    """Datasette on db_path (inspector only) and its open copy (everyone). open_db: where the open
    copy is (built or reused); default beside db_path, see fangyi.opendata."""
    from datasette.app import Datasette
    from datasette.database import Database

    from fangyi import opendata

    db_path = Path(db_path).resolve()
    paths = [db_path]
    name = None
    if build_open:
        open_path = opendata.ensure_open_db(db_path, open_db)
        name = open_name(db_path)
    settings = dict(SETTINGS)
    inspect_data = _inspect(db_path, db_path.stem)
    if name:
        inspect_data.update(_inspect(open_path, name))
    for v in inspect_data.values():
        v.pop("hash")
    static = [("fangyi-static", str(STATIC))]
    docs = gx_docs(db_path)
    if docs:
        static.append(("data-docs", str(docs)))
    ds = Datasette(immutables=[str(p) for p in paths], metadata=site_metadata(db_path, name),
                   settings=settings, template_dir=str(TEMPLATES), static_mounts=static,
                   inspect_data=None)
    if name:
        ds.add_database(Database(ds, path=str(open_path), is_mutable=False), name=name)
    for db_name, data in inspect_data.items():
        try:
            ds.get_database(db_name)._cached_table_counts = {t: v["count"] for t, v in data["tables"].items()}
        except KeyError:
            pass
    ds._fangyi_names = (db_path.stem, name)
    return ds


def gx_docs(db_path: Path) -> Path | None:
    """The Data Docs folder written by `fangyi check` (gx/data_docs), made readable offline."""
    from fangyi import datadocs

    for base in (Path.cwd(), db_path.parent, db_path.parent.parent):
        folder = base / "gx" / "data_docs"
        if (folder / "index.html").exists():
            return datadocs.offline_copy(folder)
    return None


def serve(db_path: Path, port: int = 8001, host: str = "127.0.0.1") -> int:
    """Run Datasette in the foreground until interrupted or terminated; returns an exit code."""
    import uvicorn

    ds = make_datasette(db_path)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
    return 0
