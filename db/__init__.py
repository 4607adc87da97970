"""The workbench database: schema, connection and derived lookups. Tables are defined only in
schema.sql beside this file."""
from __future__ import annotations

import json
import sqlite3
from importlib import resources
from pathlib import Path

from fangyi.ingest.text import norm, short_name

DEFAULT_DB = Path("db/workbench.db")


def schema_sql() -> str:
    return resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


def connect(path: Path | str = DEFAULT_DB) -> sqlite3.Connection:
    """Open (creating if needed) the database with the schema in place. Autocommit is off:
    callers open and close their own transactions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # Views hold no data: recreate them so a database made by an older version gets the
    # current definitions. Tables are only created where missing.
    views = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")]
    conn.executescript("".join(f"DROP VIEW IF EXISTS [{v}];\n" for v in views) + schema_sql())
    return conn


def rebuild_unit_keys(conn: sqlite3.Connection, settings_aliases: dict[str, list[str]] | None = None) -> None:
    """Refill unit_keys from the registry in force and the settings' extra aliases.

    A key is a normalised code, name, alias, or name without its suffix. Where a key could name
    several units, the strongest kind of match wins (code, then name, then alias, then short
    name); a tie at that strength leaves the key out, so an ambiguous name never resolves by
    chance.
    """
    strength = {"code": 0, "name": 1, "alias": 2, "settings_alias": 2, "short_name": 3}
    candidates: dict[str, dict[str, str]] = {}

    def add(key: str, code: str, source: str) -> None:
        if key:
            codes = candidates.setdefault(key, {})
            if code not in codes or strength[source] < strength[codes[code]]:
                codes[code] = source

    units = conn.execute("SELECT unit_code, name, aliases FROM units_current").fetchall()
    known = {code for code, _, _ in units}
    for code, name, aliases in units:
        add(norm(code), code, "code")
        add(norm(name), code, "name")
        add(short_name(norm(name)), code, "short_name")
        for alias in json.loads(aliases or "[]"):
            add(norm(alias), code, "alias")
            add(short_name(norm(alias)), code, "short_name")
    for code, aliases in (settings_aliases or {}).items():
        if code in known:
            for alias in aliases:
                add(norm(alias), code, "settings_alias")
    rows = []
    for key, codes in candidates.items():
        best = min(strength[s] for s in codes.values())
        top = [(code, source) for code, source in codes.items() if strength[source] == best]
        if len(top) == 1:
            rows.append((key, *top[0]))
    conn.execute("BEGIN")
    conn.execute("DELETE FROM unit_keys")
    conn.executemany("INSERT INTO unit_keys (key, unit_code, source) VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")


def bulk_connect(path: Path | str):
    """A connection for bulk loading: ADBC binds whole Arrow columns in C, about twice as fast
    as sqlite3.executemany. Not autocommit: call commit() or rollback()."""
    import adbc_driver_sqlite.dbapi

    return adbc_driver_sqlite.dbapi.connect(str(path))


def append(cursor, table: str, frame) -> None:
    """Append a polars frame to a table; its column names are the table's."""
    if frame.height:
        cursor.adbc_ingest(table, frame.to_arrow(), mode="append")
