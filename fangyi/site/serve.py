"""Serving the database with Datasette, in this process: the project's metadata.yml, with the
column descriptions of every registered kind's table filled in from the kind registry, under
whatever name the database file has. Stopping `fangyi serve` stops everything.

Two databases are served, both immutable: the full database, readable only by a logged-in
inspector (fangyi.site.login; the actor {"id": "inspector"}), and its open copy without
personal data (fangyi.site.opendata), named `<stem>_open`, readable by everyone (SQL typed by
hand on it is the inspector's too, fangyi.site.surface). The home page, the
query pages and the table pages use the Chinese templates in fangyi/site/templates."""
from __future__ import annotations

import asyncio
import copy
import os
import sys
from pathlib import Path

import yaml
from datasette.database import Database

from fangyi.site import masking, paging

METADATA = Path(__file__).parent.parent / "metadata.yml"   # fangyi/metadata.yml: in a checkout, a link to the top-level file
METADATA_DB = "workbench"                             # the database name metadata.yml is written for
# SQL threads: one per core (2-4): more than the cores only queue behind each other, and every
# thread switch holds up the one rendering pages (measured at 20 clients: p95 lower with 2 than 4).
SQL_THREADS = min(4, max(2, os.cpu_count() or 2))
# Both databases are immutable while served: counts come from the inspect file (fangyi.site.opendata,
# written once per state of the data), facet suggestions (a query per column on every table page)
# are off, a facet asked for in the URL gets at most 200 ms, and the configured facets
# (metadata.yml) are only on tables where counting them is cheap.
SETTINGS = {"sql_time_limit_ms": 5000, "facet_time_limit_ms": 200, "suggest_facets": False,
            "num_sql_threads": SQL_THREADS}
SWITCH_INTERVAL_S = 0.0002   # GIL switch interval while serving (sys.setswitchinterval)
SERVE_WAIT_S = 10      # `fangyi serve` answers after this at most; a slower open copy joins later
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
INSPECTOR = {"id": "inspector"}
PASSWORD_ENV = "FANGYI_INSPECTOR_PASSWORD_HASH"       # fangyi.site.login.PASSWORD_ENV
OPEN_SUFFIX = "_open"
# A canned query of metadata.yml that shows people (names, phones, identity numbers) says
# `inspector_only: true` (an option of this project): it is served on the full database only.
INSPECTOR_ONLY = "inspector_only"
# A canned query that shows a person's identity number in full says `full_id_numbers: true`:
# every other answer of the full database has them masked (fangyi.site.masking).
FULL_ID_NUMBERS = "full_id_numbers"
# A canned query may say what its empty answer means with `empty: <SQL>` (an option of this
# project): a SELECT over the query's parameters whose first cell, when it gives one, is shown
# instead of "查無結果" (fangyi.site.empty_answers). Kept in the plugin configuration.
EMPTY_ANSWER = "empty"

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
                    "phones": "遮蔽的電話號碼數 — Phone numbers masked.",
                    "left_out": "沒有聲明、因此不公開的表（JSON 列表） — Tables declared nowhere, left out (JSON list).",
                    "counts": "每個表複製的行數（JSON 對象）；findings_history 只含最近一次檢查的發現 — Rows copied per table "
                              "(JSON object); findings_history holds the latest run's findings only."},
    },
    "findings_by_severity": {
        "description": "最近一次檢查的發現，按嚴重程度、日期排序，附中文名稱 — The latest run's findings, by severity then date, with Chinese labels.",
        "unique_key": ["finding_id"],
    },
}


def open_name(db_path: Path | str) -> str:
    return Path(db_path).stem + OPEN_SUFFIX


def site_metadata(db_path: Path | str, open_db: str | None = None) -> dict:
    """metadata.yml for a database file of any name, with registry descriptions filled in; the
    full database readable by the inspector only; with open_db, the same for the open copy,
    readable by everyone but for SQL typed by hand (the inspector's), and the dashboards placed
    on it. The plugin's own configuration (`plugins: fangyi:`) names the two databases
    (fangyi.site.actors.site_names reads it) and holds the login's (fangyi.site.login)."""
    metadata = copy.deepcopy(yaml.safe_load(METADATA.read_text(encoding="utf-8")))
    from fangyi.site import attribution

    attribution.apply(metadata)           # source and licence from the settings, none assumed
    databases = metadata.setdefault("databases", {})
    ours = databases.pop(METADATA_DB, {})
    inspector_only = {name for name, q in (ours.get("queries") or {}).items() if q.pop(INSPECTOR_ONLY, False)}
    full_ids = sorted(name for name, q in (ours.get("queries") or {}).items() if q.pop(FULL_ID_NUMBERS, False))
    empty_answers = {name: q.pop(EMPTY_ANSWER) for name, q in (ours.get("queries") or {}).items() if EMPTY_ANSWER in q}
    _registry_descriptions(ours.setdefault("tables", {}), _columns_of(db_path))
    dashboards = metadata.get("plugins", {}).get("datasette-dashboards", {})
    from fangyi.site.palette import fix_check_colours

    fix_check_colours(dashboards)                    # each check keeps its own colour
    if open_db:
        public = copy.deepcopy(ours)
        public["description"] = ("公開數據：與工作台數據庫相同的表、視圖和預設查詢，但不含個人信息——"
                                 "人名換成職務（填報人、帶班領導、個人買家）或代號（人員001），電話號碼遮蔽為 138****1234。"
                                 " — Open data: the workbench's tables, views and canned queries without "
                                 "personal data: names replaced by a role or a pseudonym, phones masked.")
        public["tables"].update(copy.deepcopy(OPEN_TABLES))
        _privacy_notes(public["tables"])
        public["allow_sql"] = dict(INSPECTOR)          # the dashboards' charts: fangyi.site.surface
        for name in inspector_only:                   # they show people: not on the open copy
            public.get("queries", {}).pop(name, None)
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
    _not_sortable_by_id(ours, _columns_of(db_path))
    ours["allow"] = dict(INSPECTOR)
    ours["allow_sql"] = dict(INSPECTOR)
    for query in ours.get("queries", {}).values():
        query["allow"] = dict(INSPECTOR)
    databases[Path(db_path).stem] = ours
    from fangyi.site import login

    plugins = metadata.setdefault("plugins", {})
    plugins["fangyi"] = {"full_database": Path(db_path).stem, "open_database": open_db, "full_id_queries": full_ids,
                         "empty_answers": empty_answers,
                         **login.plugin_config()}
    return metadata


class ServedDatabase(Database):
    """An immutable database file whose row counts come from Datasette's inspect data (written by
    fangyi.site.opendata.ensure_inspect), read afresh on every call: no page counts rows while
    served, and counts added to the inspect data later (the open copy's) are seen at once. The
    inspect data counts the views too (a view's page reads its count there); the database page
    and the index list the tables only, so the views are left out of what this gives them.
    Every table and view page it serves is in a total order (fangyi.site.paging)."""

    async def table_counts(self, limit=10):
        entry = (self.ds.inspect_data or {}).get(self.name)
        if not entry:
            return await super().table_counts(limit)
        views = set(entry.get("views", ()))
        return {t: v["count"] for t, v in entry["tables"].items() if t not in views}

    async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None,
                      log_sql_errors=True):
        """Datasette's execute; a table or view page's query in a total order, its unique key
        last (fangyi.site.paging), so that its pages and downloads hold each row once; the identity
        numbers it reads from a table or view by name masked (fangyi.site.masking)."""
        sql = await masking.mask_sql(self, await paging.page_sql(self, sql, truncate))
        sql, params = await masking.masked_filters(self, sql, params)
        results = await super().execute(sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
        return await masking.mask_results(self, results)


def _columns_of(db_path: Path | str) -> dict[str, set[str]] | None:
    """{table or view: its columns} of the database file (None when it cannot be read)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
            return {n: {r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')} for n in names}
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _registry_descriptions(tables: dict, present: dict[str, set[str]] | None) -> None:
    """Descriptions from the kind registry: every kind's table and its columns, and the columns
    of the tables and views that metadata.yml says take theirs from a kind's table
    (`columns_from: [daily_reports]`), where the file has them; metadata.yml's own text wins."""
    from fangyi.ingest import kinds as registry

    labels = {}
    for kind, table in registry.tables().values():
        labels[table.name] = {c.name: f"{c.zh} — {c.en}" for c in table.all_columns() if c.zh or c.en}
        entry = tables.setdefault(table.name, {})
        entry.setdefault("description", f"{table.zh} — {table.en}" if table.zh else kind.title)
        entry["columns_from"] = [table.name, *entry.get("columns_from", [])]
    for name, entry in tables.items():
        for source in entry.pop("columns_from", []):
            columns = entry.setdefault("columns", {})
            for column, text in labels.get(source, {}).items():
                if present is None or column in present.get(name, ()):
                    columns.setdefault(column, text)


def _not_sortable_by_id(ours: dict, present: dict[str, set[str]] | None) -> None:
    """On the full database, tables and views holding identity numbers are sortable by every
    other column only: their pages show the numbers masked (fangyi.site.masking), and Datasette
    walks a sorted table's pages by the values it shows. (The open copy holds none.)"""
    if not present:
        return
    tables, names = masking.id_columns()
    for name, columns in present.items():
        ids = tables.get(name, frozenset()) | (columns & names)
        if ids:
            entry = ours.setdefault("tables", {}).setdefault(name, {})
            entry.setdefault("sortable_columns", sorted(columns - ids))


def _privacy_notes(tables: dict) -> None:
    """In the open copy's descriptions, what became of each column that is not published as is."""
    from fangyi.ingest.kinds import PRIVACY
    from fangyi.site.open_copy import declarations

    for name, columns in declarations().items():
        described = tables.get(name, {}).get("columns", {})
        for column, declared in columns.items():
            if column in described and declared.privacy != "open":
                note = (f"換成「{declared.role}」 replaced by {declared.role}" if declared.role
                        else PRIVACY.get(declared.privacy, "按檢查的聲明公開 as its check declares"))
                described[column] = f"{described[column]}（公開數據中：{note}）"


def make_datasette(db_path: Path | str, *, build_open: bool = True, settings: dict | None = None,
                   metadata: dict | None = None):
    """Datasette on the latest finished check run of db_path, its files made (or reused) first:
    the run's snapshot for the inspector only, its open copy for everyone (Site, below, is what
    `fangyi serve` runs: it switches to newer runs). settings: Datasette settings over SETTINGS;
    metadata: what to serve instead of site_metadata(db_path, ...) (tests add canned queries)."""
    site = Site(db_path, build_open=build_open, settings=settings, metadata=metadata)
    site.start(wait=None)
    return site.ds


class Site:
    """The ASGI app `fangyi serve` runs: the Datasette of the check run being served, replaced by
    a Datasette of the next run once that run's files are ready (fangyi.site.published). Each
    run's Datasette is its own (its SQL threads, their connections, its response cache), so no
    request is answered from two states, and every request goes to the one current when it
    arrives; the one before is shut down a minute after (requests in flight finish on it)."""

    GRACE_S = 60.0

    def __init__(self, db_path: Path | str, *, build_open: bool = True, settings: dict | None = None,
                 metadata: dict | None = None):
        import atexit

        from fangyi.site.published import Published

        self.db_path = Path(db_path).resolve()
        self.open_name = open_name(self.db_path) if build_open else None
        self.settings, self.metadata = settings, metadata
        self.published = Published(self.db_path, self.db_path.stem, self.open_name)
        self.published.remove_leftovers()
        atexit.register(self.published.remove_leftovers)      # a preparation stopped by the exit
        self.ds = None
        self.app = None

    def datasette(self, prepared=None):
        """A started Datasette of a prepared run; without one, of the database as it is (read by
        SQLite's own locking; its tables counted, the open copy not yet there)."""
        from datasette.app import Datasette

        from fangyi.site import opendata

        static = [("fangyi-static", str(STATIC))]
        docs = gx_docs(self.db_path, refresh=prepared is not None)
        if docs:
            static.append(("data-docs", str(docs)))
        name = self.open_name if prepared else None
        metadata = self.metadata if self.metadata is not None else site_metadata(self.db_path, name)
        if prepared is None and self.open_name:
            # the open copy is on its way: the home page says so to anonymous visitors
            metadata = copy.deepcopy(metadata)
            metadata.setdefault("plugins", {}).setdefault("fangyi", {})["open_pending"] = True
        inspect = dict(prepared.inspect) if prepared else {self.db_path.stem: opendata.quick_inspect(self.db_path)}
        ds = Datasette(metadata=metadata, settings={**SETTINGS, **(self.settings or {})},
                       template_dir=str(TEMPLATES), static_mounts=static, inspect_data=inspect)
        from fangyi.followup import marks_path
        from fangyi.site.actors import attach_marks

        attach_marks(ds, marks_path(self.db_path))      # the inspectors' marks, beside the database
        if "_memory" in ds.databases:          # Datasette adds it when given no file: not ours to serve
            ds.remove_database("_memory")
        if prepared is None:
            writable = os.access(self.db_path.parent, os.W_OK)
            ds.add_database(ServedDatabase(ds, path=str(self.db_path), is_mutable=writable), name=self.db_path.stem)
        else:
            ds.add_database(ServedDatabase(ds, path=str(prepared.path), is_mutable=False), name=self.db_path.stem)
            if self.open_name and prepared.open_path:
                ds.add_database(ServedDatabase(ds, path=str(prepared.open_path), is_mutable=False),
                                name=self.open_name)
        try:
            asyncio.get_running_loop()          # a caller inside a loop starts it there (tests)
        except RuntimeError:
            asyncio.run(ds.invoke_startup())
        return ds

    def switch(self, prepared) -> None:
        """Serve a prepared run from the next request on: its Datasette made, the pages the
        home page leads to answered once (warm, so that no first visitor waits for them), then
        switched to; the views' rows, when the preparation left them uncounted, counted in the
        background afterwards."""
        import threading

        from fangyi.site import login, warm

        old = self.ds
        ds = self.datasette(prepared)
        if old is not None:
            login.carry_over(old, ds)          # the inspector stays logged in across runs
        app = ds.app()
        warm.warm(app)
        self.ds = ds
        self.app = app
        if any(set(entry.get("views", ())) - set(entry["tables"]) for entry in prepared.inspect.values()):
            threading.Thread(target=self.published.count_views, args=(prepared, ds.inspect_data),
                             name="fangyi-count-views", daemon=True).start()
        self.published.current = prepared
        self.published.prune()
        if old is not None and old.executor is not None:
            timer = threading.Timer(self.GRACE_S, old.executor.shutdown, kwargs={"wait": False})
            timer.daemon = True
            timer.start()

    def start(self, wait: float | None = None) -> "Site":
        """Serve the latest finished run: its files made now (wait=None), or in a thread waited
        for at most `wait` seconds, the database served as it is until they are ready."""
        import threading

        from fangyi.site.published import latest_run

        run, finished_at = latest_run(self.db_path)
        cached = self.published.cached(run)
        if cached is not None or wait is None:
            self.switch(cached or self.published.prepare(run, finished_at))
            return self
        ready: dict = {}

        def prepare():
            try:
                ready["prepared"] = self.published.prepare(run, finished_at, views=False)
            except BaseException as exc:      # noqa: BLE001 - reported on stderr
                ready["error"] = exc

        worker = threading.Thread(target=prepare, name="fangyi-publish", daemon=True)
        worker.start()
        worker.join(wait)
        if "error" in ready:
            raise ready["error"]
        if "prepared" in ready:
            self.switch(ready["prepared"])
            return self
        self.ds = self.datasette(None)
        self.app = self.ds.app()
        print(f"fangyi serve: preparing run {run} of {self.db_path.name} in the background; until then the "
              "database is served as it is and anonymous visitors wait for the open data",
              file=sys.stderr, flush=True)

        def finish():
            worker.join()
            if "error" in ready:
                print(f"fangyi serve: preparing the run failed: {ready['error']}", file=sys.stderr, flush=True)
                return
            self.switch(ready["prepared"])
            print(f"fangyi serve: run {run} is served", file=sys.stderr, flush=True)

        threading.Thread(target=finish, name="fangyi-publish-switch", daemon=True).start()
        return self

    def watch(self, every: float) -> None:
        """Look for a newer finished run every `every` seconds (a thread) and switch to it."""
        import threading

        threading.Thread(target=self._watch, args=(every,), name="fangyi-watch", daemon=True).start()

    def _watch(self, every: float) -> None:
        import time

        from fangyi.site.published import latest_run

        while True:
            time.sleep(every)
            try:
                run, finished_at = latest_run(self.db_path)
                current = self.published.current
                if current is None or run <= current.run:
                    continue
                print(f"fangyi serve: check run {run} finished; preparing it", file=sys.stderr, flush=True)
                self.switch(self.published.prepare(run, finished_at, views=False))
                print(f"fangyi serve: run {run} is served", file=sys.stderr, flush=True)
            except Exception as exc:          # noqa: BLE001 - the site goes on with the run it has
                print(f"fangyi serve: could not switch to a newer run: {exc}", file=sys.stderr, flush=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.app(scope, receive, send)


_DOCS: dict[Path, Path] = {}       # Data Docs folder -> its offline copy served at /data-docs/


def gx_docs(db_path: Path, refresh: bool = False) -> Path | None:
    """The Data Docs folder written by `fangyi check` (gx/data_docs), made readable offline: one
    copy per folder for the life of the process, written over when refresh (a newer run)."""
    from fangyi.site import datadocs

    for base in (Path.cwd(), db_path.parent, db_path.parent.parent):
        folder = (base / "gx" / "data_docs").resolve()
        if (folder / "index.html").exists():
            if folder not in _DOCS:
                _DOCS[folder] = datadocs.offline_copy(folder)
            elif refresh:
                datadocs.offline_copy(folder, _DOCS[folder])
            return _DOCS[folder]
    return None


def serve(db_path: Path, port: int = 8001, host: str = "127.0.0.1") -> int:
    """Run Datasette in the foreground until interrupted or terminated; returns an exit code."""
    import gc
    import signal

    import uvicorn

    from fangyi.site.published import POLL_S

    # SIGTERM ends the process through SystemExit, once uvicorn has shut down (it re-raises the
    # signal after its own shutdown), so that what the process made in temporary folders and
    # the leftovers of a preparation it was in the middle of are removed (atexit)
    def terminate(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminate)
    site = Site(db_path).start(wait=SERVE_WAIT_S)
    site.watch(POLL_S)
    # What is loaded by now lives as long as the server: out of the collector's way, so that a
    # full collection under load does not walk it (a pause every few hundred requests).
    gc.freeze()
    # The SQL threads need the GIL briefly to start a query and to hand back its rows; with
    # Python's default 5 ms switch interval each such moment waits behind the thread rendering
    # pages, which at 20 clients added tens of ms to every uncached page (measured p95 of the
    # heaviest canned queries: 85-105 ms at 5 ms, 65-75 ms at 0.2 ms).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    uvicorn.run(site, host=host, port=port, log_level="warning", lifespan="on", workers=1)
    return 0
