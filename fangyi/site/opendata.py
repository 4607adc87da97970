"""The open database: the copy of the workbench database for anonymous visitors, built by
`fangyi serve` from an allowlist (fangyi.site.open_copy: each column as its privacy class says,
raw text withheld, names as pseudonyms or roles, phones masked), with the check and severity
labels beside it.

The copy is cached beside the database (`<stem>.open.db`, or in a temporary folder when that one
is not writable) and rebuilt when the database file or its latest check run changes."""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Callable

BUILDER_VERSION = "6"
SEVERITY_LABELS = {"error": "錯誤", "warning": "警告", "info": "提示"}


def check_labels() -> dict[str, str]:
    """check_id -> its Chinese label, from the header of every check's SQL file."""
    from fangyi.checks import all_checks

    return {c.id: c.label for c in all_checks()}


_TEMP_FOLDERS: dict[Path, Path] = {}


def cache_folder(db_path: Path) -> Path:
    """Beside the database if that folder is writable, else one temporary folder per database
    for this process, removed at exit."""
    db_path = Path(db_path).resolve()
    if os.access(db_path.parent, os.W_OK):
        return db_path.parent
    if db_path not in _TEMP_FOLDERS:
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="fangyi-open-"))
        atexit.register(shutil.rmtree, folder, True)
        _TEMP_FOLDERS[db_path] = folder
    return _TEMP_FOLDERS[db_path]


def open_path_for(db_path: Path) -> Path:
    """Where the open copy of db_path is cached: beside it if that folder is writable."""
    return cache_folder(db_path) / (Path(db_path).stem + ".open.db")


def inspect_path_for(db_path: Path) -> Path:
    """Where the row counts of db_path and its open copy are cached (`<stem>.inspect.json`)."""
    return cache_folder(db_path) / (Path(db_path).stem + ".inspect.json")


def _schema_names(path: Path, *types: str) -> set[str]:
    """The names of the objects of these types ('table', 'view') in the database file at path."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" * len(types))
        return {r[0] for r in conn.execute(f"SELECT name FROM sqlite_master WHERE type IN ({marks})", types)}
    finally:
        conn.close()


def count_rows(path: Path, only: set[str] | None = None) -> dict[str, int]:
    """{table or view: rows} of the database file at path (a view that fails is left out)."""
    names = sorted(n for n in _schema_names(path, "table", "view") if not n.startswith("sqlite_"))
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    counts = {}
    try:
        for name in names:
            if only is not None and name not in only:
                continue
            try:
                counts[name] = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            except sqlite3.Error:
                pass
    finally:
        conn.close()
    return counts


def ensure_inspect(db_path: Path, open_path: Path | None, name: str, open_name: str | None,
                   views: bool = True) -> dict:
    """Datasette's inspect data (`datasette inspect`: file, size, row counts) of db_path and of its
    open copy, so that no table page counts its rows while served. Counted once per state of the
    data (the open copy's source key) and cached in `<stem>.inspect.json`. The open copy's build
    says how many rows it copied (open_data_build.counts): those tables are not counted again,
    in either file (the open copy copies every row, but only the latest run's findings). The
    views are counted too (a view's page reads its count there), here with `views`, else later
    by count_views (fangyi serve: while the site answers)."""
    db_path = Path(db_path).resolve()
    key = source_key(db_path)
    cache = inspect_path_for(db_path)
    data = None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("source_key") != key:
            data = None
    except (OSError, ValueError):
        pass
    copied = build_counts(open_path) if open_path is not None else None
    if data is None:
        tables = _schema_names(db_path, "table")
        same = {t: n for t, n in (copied or {}).items() if t != "findings_history" and t in tables}
        data = {"source_key": key, "full": {**same, **count_rows(db_path, tables - set(same))}}
        _save(cache, data)
    if open_path is not None and open_name and data.get("open") is None:
        own = _schema_names(open_path, "table")
        data["open"] = {**(copied or {}), **count_rows(open_path, own - set(copied or {}))}
        _save(cache, data)
    if views and "views" not in data:
        count_views(db_path, open_path, data)
    out = _inspect_of(db_path, open_path, name, open_name, data)
    return out


def _inspect_of(db_path: Path, open_path: Path | None, name: str, open_name: str | None, data: dict) -> dict:
    views = data.get("views") or {}
    out = {name: _inspect_entry(db_path, {**data["full"], **views.get("full", {})})}
    if open_path is not None and open_name:
        out[open_name] = _inspect_entry(Path(open_path), {**data["full"], **views.get("full", {}),
                                                          **data["open"], **views.get("open", {})})
    return out


def count_views(db_path: Path, open_path: Path | None, data: dict | None = None,
                found: Callable[[str, str, int], None] | None = None) -> dict:
    """Count the views of db_path, and those only its open copy has, into the inspect cache;
    found(which, view, rows) is called as each is counted ("full" or "open")."""
    db_path = Path(db_path).resolve()
    cache = inspect_path_for(db_path)
    if data is None:
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
    views = {"full": {}, "open": {}}
    full = _schema_names(db_path, "view")
    todo = [("full", db_path, sorted(full))]
    if open_path is not None:
        todo.append(("open", Path(open_path), sorted(_schema_names(open_path, "view") - full)))
    for which, path, names in todo:
        for view, rows in count_rows(path, set(names)).items():
            views[which][view] = rows
            if found is not None:
                found(which, view, rows)
    if data.get("source_key") == source_key(db_path):
        data["views"] = views
        _save(cache, data)
    return views


def stamp_open_db(out: Path, key: str) -> None:
    """Record in an open copy built from the database itself that it holds the state of the
    snapshot whose source key is `key` (fangyi.site.published: both made at once)."""
    conn = sqlite3.connect(out)
    try:
        conn.execute("UPDATE open_data_build SET source_key = ?", (key,))
        conn.commit()
    finally:
        conn.close()


def build_counts(open_path: Path | None) -> dict[str, int] | None:
    """The rows the open copy's build copied per table (open_data_build.counts), if it says."""
    counts = _build_record(open_path, "counts")
    try:
        return json.loads(counts) if counts else None
    except ValueError:
        return None


def _build_record(out: Path | None, column: str):
    """A column of the open copy's record of its build (open_data_build); None when there is no
    such file, table or column."""
    if out is None or not Path(out).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{Path(out).resolve()}?mode=ro", uri=True)
        try:
            (value,) = conn.execute(f"SELECT {column} FROM open_data_build").fetchone()
        finally:
            conn.close()
        return value
    except (sqlite3.Error, TypeError):
        return None


def _save(cache: Path, data: dict) -> None:
    """Write the row counts' cache; a folder that cannot be written only means counting again."""
    try:
        cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass


def quick_inspect(db_path: Path) -> dict:
    """The inspect data of db_path with its tables counted (not its views): about a second."""
    return _inspect_entry(Path(db_path), count_rows(db_path, _schema_names(db_path, "table")))


def _inspect_entry(path: Path, counts: dict[str, int]) -> dict:
    """hash None: Datasette would otherwise hash the whole file for the index page. "tables"
    holds the views too (a view page reads its count there); "views" names them, so that the
    database page's list of tables can leave them out."""
    return {"file": str(path), "size": path.stat().st_size, "hash": None,
            "tables": {t: {"count": n} for t, n in counts.items()}, "views": sorted(_schema_names(path, "view"))}


def source_key(db_path: Path) -> str:
    """What the open copy is built from: the file's size and mtime and its latest check run."""
    st = Path(db_path).stat()
    run = None
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        run = conn.execute("SELECT max(run_id), max(finished_at) FROM check_runs").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()
    return json.dumps([BUILDER_VERSION, st.st_size, st.st_mtime_ns, run], ensure_ascii=False)


def is_current(db_path: Path, out: Path | None = None) -> bool:
    """Whether the cached open copy of db_path (and the row counts) are of its present state."""
    out = Path(out) if out else open_path_for(db_path)
    key = source_key(db_path)
    try:
        counts = json.loads(inspect_path_for(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return counts.get("source_key") == key and "open" in counts and _built_from(out) == key


def _built_from(out: Path) -> str | None:
    return _build_record(out, "source_key")


def ensure_open_db(db_path: Path, out: Path | None = None) -> Path:
    """The open copy of db_path, built unless an up-to-date one is cached."""
    out = Path(out) if out else open_path_for(db_path)
    key = source_key(db_path)
    if _built_from(out) != key:
        build_open_db(db_path, out, key)
    return out


def build_open_db(db_path: Path, out: Path, key: str | None = None) -> Path:
    """Write the open copy of db_path to out (replacing it), with the labels' tables and the
    record of its build (open_data_build)."""
    from fangyi.site import open_copy

    def labels(conn, build):
        conn.executemany("INSERT INTO check_labels VALUES (?, ?)", check_labels().items())
        conn.executemany("INSERT INTO severity_labels VALUES (?, ?, ?)",
                         [(k, v, i) for i, (k, v) in enumerate(SEVERITY_LABELS.items())])
        conn.execute("INSERT INTO open_data_build VALUES (?, datetime('now'), ?, ?, ?, ?)",
                     (key or source_key(db_path), build.people, build.phones, json.dumps(build.left_out),
                      json.dumps(build.counts)))

    open_copy.build(db_path, out, _extra_schema(), labels)
    return out


def _extra_schema() -> str:
    return """
    CREATE TABLE IF NOT EXISTS check_labels (check_id TEXT PRIMARY KEY, label TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS severity_labels (severity TEXT PRIMARY KEY, label TEXT NOT NULL,
                                                severity_rank INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS open_data_build (source_key TEXT NOT NULL, built_at TEXT NOT NULL,
                                                people INTEGER NOT NULL, phones INTEGER NOT NULL,
                                                left_out TEXT NOT NULL, counts TEXT);
    CREATE VIEW IF NOT EXISTS findings_by_severity AS
    SELECT f.finding_id, f.severity, sl.label AS severity_label, f.date, f.check_id,
           cl.label AS check_label, f.unit_code, u.name AS unit_name, f.subject_key, f.message,
           f.evidence, f.run_id
    FROM findings f
    LEFT JOIN severity_labels sl ON sl.severity = f.severity
    LEFT JOIN check_labels cl ON cl.check_id = f.check_id
    LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
    ORDER BY sl.severity_rank, f.date DESC, f.check_id, f.unit_code, f.finding_id;   -- a total order: pages by offset
    """
