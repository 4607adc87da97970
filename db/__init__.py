"""The workbench database: schema, versioned migrations and connections. The workbench's own
tables and views are defined in schema.sql beside this file; the tables each kind of record loads
into are declared with the kind (the kind registry creates them: fangyi.ingest.kinds.create_tables).
The schema's date arithmetic is written as the macros of macros/<engine>.sql, which
dialect.render() writes out when the schema is created or migrated (the historical migrations
in migrations/ are plain SQLite and are run as they are).

The schema's version is kept in `PRAGMA user_version`; it is the number of the latest migration in
migrations/NNN_name.sql, each of which takes a database from the previous one's number to its own
(the first from 0, the release before versions). Opening a database at the current
version changes nothing (not even `schema_version`); a writer (ingest, check) creates a new
database or migrates an older one once; readers (serve, bulletin, notebooks) open it read-only.
"""
from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

DEFAULT_DB = Path("db/workbench.db")


def _migrations() -> list[tuple[int, int, str]]:
    """(from version, to version, script) of every migrations/NNN_name.sql, in number order."""
    folder = resources.files(__package__).joinpath("migrations")
    numbered = sorted((int(p.name[:3]), f"migrations/{p.name}") for p in folder.iterdir()
                      if re.fullmatch(r"\d{3}_\w+\.sql", p.name))
    out, before = [], 0
    for number, script in numbered:
        out.append((before, number, script))
        before = number
    return out


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][1]
BUSY_TIMEOUT_MS = 60_000      # a writer waits this long for another writer to finish
# Page size of a new database (an existing one keeps its own): a daily report is a row of ~25
# columns and a province loads millions of them; 16 KB pages cut the CPU of a bulk insert by a
# fifth against SQLite's 4 KB default (fewer, fuller pages to balance and write).
PAGE_SIZE = 16384


class DatabaseError(Exception):
    """The database cannot be used as asked; the message is one line naming the file and what to
    do. The subclasses are the kinds of trouble (the command line gives each its exit status)."""


class CannotOpen(DatabaseError):
    """No such file, a folder, a file that cannot be read, or one SQLite cannot open."""


class NotADatabase(DatabaseError):
    """Not a SQLite database, not a fangyi database, or a damaged (truncated) one."""


class NeedsWriter(DatabaseError):
    """A reader cannot read it until a writer (`fangyi check`) has opened it once: an older
    schema, an interrupted write's rollback journal, or a WAL not merged in a read-only place."""


class NewerSchema(DatabaseError):
    """Made by a newer fangyi: this one must not read or write it."""


class CannotWrite(DatabaseError):
    """A writer cannot write it: a read-only folder, file or mount."""


class Busy(DatabaseError):
    """Another process held the database longer than the wait allows."""


class DiskFullError(CannotWrite):
    """The database (or the disk under it) is full: nothing more can be written, so a run stops
    here instead of failing every remaining file the same way."""


def is_disk_full(exc: BaseException | None) -> bool:
    """SQLite's "database or disk is full" (sqlite3 or ADBC), or an OSError ENOSPC, anywhere in
    the exception's chain."""
    import errno

    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if "database or disk is full" in text or "sqlite_full" in text or "no space left on device" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "sqlite_busy" in text


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open: SQLite itself ends the transaction on some
    errors (a full disk), and a second ROLLBACK would raise over the real error."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def schema_sql(engine: str = "sqlite") -> str:
    """schema.sql as the engine runs it: its date macros written out (dialect.render)."""
    from .dialect import render

    return render(_sql("schema.sql"), engine)


def connect(path: Path | str = DEFAULT_DB, readonly: bool = False) -> sqlite3.Connection:
    """Open the database. A writer creates it, or migrates an older one, to the current schema;
    `readonly=True` opens it without writing anything and refuses a database that needs a
    migration. Autocommit is off: callers open and close their own transactions.

    What cannot be opened raises a DatabaseError subclass with one line naming the file and
    what to do (see the classes above), before anything is written.

    A reader works where it cannot write (a read-only folder, a mounted archive, a shared
    drive): a database in WAL mode needs its -shm and -wal files, which SQLite creates beside
    it, so where they cannot be created the file is opened immutable (SQLite then reads the
    file alone, without locks). That is only right when no WAL with changes is beside it (they
    would be missed): then, and when an interrupted write left its rollback journal, the reader
    says so instead of reading."""
    path = Path(path)
    if readonly:
        return _connect_readonly(path)
    check_writable(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        _raise_open_error(path, exc, writing=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")     # only takes effect on a new, empty file
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as exc:
        conn.close()
        _raise_open_error(path, exc, writing=True)
    if version > SCHEMA_VERSION:
        conn.close()
        raise _newer(path, version)
    if version != SCHEMA_VERSION:
        if version == 0 and not _is_fangyi(conn) and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.close()
            raise _foreign(path)
        migrate(conn, version)
    return conn


def _is_fangyi(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'source_files'").fetchone() \
        is not None


def _foreign(path: Path) -> NotADatabase:
    return NotADatabase(f"{path}: is a SQLite database but not a fangyi database (no table source_files); "
                        "give the workbench database with --db, or a new file to make one")


HEADER = b"SQLite format 3\x00"
WAL_HEADER_BYTES = 32           # a -wal file this long or shorter holds no change


def _side(path: Path, suffix: str) -> Path:
    return Path(f"{path}{suffix}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _pending_wal(path: Path) -> bool:
    return _size(_side(path, "-wal")) > WAL_HEADER_BYTES


def _hot_journal(path: Path) -> bool:
    return _size(_side(path, "-journal")) > 0


def _check_file(path: Path, reading: bool) -> None:
    """What can be told of the file without SQLite: it exists, is a file, can be read, begins
    as a SQLite database does and is as long as its header says (a copy cut short)."""
    import os
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise CannotOpen(f"{path}: no such database; run `fangyi ingest` first (or give the database with --db)") \
            from None
    except OSError as exc:
        raise CannotOpen(f"{path}: cannot be opened ({exc.strerror}); check the path given with --db") from exc
    if stat.S_ISDIR(mode):
        raise CannotOpen(f"{path}: is a folder, not a database file; give the database file itself with --db "
                         f"(e.g. {path / 'workbench.db'})")
    if not stat.S_ISREG(mode):
        raise CannotOpen(f"{path}: is not a regular file; give the database file with --db")
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise CannotOpen(f"{path}: cannot be read ({exc.strerror}); give a database you may read "
                         "(or ask for read permission)") from exc
    if not head:
        if reading:
            raise NotADatabase(f"{path}: is empty, not a fangyi database; run `fangyi ingest` into it first")
        return                              # SQLite makes a database of an empty file
    if not head.startswith(HEADER[:len(head)]) or len(head) < len(HEADER):
        raise NotADatabase(f"{path}: is not a SQLite database (it does not begin with 'SQLite format 3'); "
                           "give the workbench database (e.g. db/workbench.db) with --db")
    if len(head) < 100:
        raise NotADatabase(f"{path}: is truncated ({len(head)} bytes, less than a database header); "
                           "restore it from a copy, or build it again with `fangyi ingest`")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    valid = pages and head[24:28] == head[92:96]        # the in-header size is valid (SQLite >= 3.7.0)
    size = os.stat(path).st_size
    if valid and size < pages * page_size and not _pending_wal(path) and not _hot_journal(path):
        raise NotADatabase(f"{path}: is truncated ({size:,} bytes of the {pages * page_size:,} its header "
                           "declares); restore it from a copy, or build it again with `fangyi ingest`")


def check_writable(path: Path) -> None:
    """Raise CannotOpen or CannotWrite (NotADatabase for a file that is not one) unless a writer
    could write the database at `path`, before anything is written. A writer needs the file and
    its folder writable (SQLite writes the -wal and -shm, or a rollback journal, beside it)."""
    import errno
    import os

    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise CannotOpen(f"{path}: {exc.filename or folder} is a file, not a folder; give another --db") from exc
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise CannotWrite(f"{path}: the folder cannot be created here ({exc.strerror}); "
                              "give a --db in a folder you may write") from exc
        raise CannotOpen(f"{path}: the folder cannot be created ({exc.strerror}); give another --db") from exc
    if path.exists() or path.is_symlink():
        _check_file(path, reading=False)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CannotWrite(f"{path}: its folder {folder} cannot be written (read-only); ingest and check write "
                          "the database and its -wal and -shm files beside it: copy the database to a folder "
                          "you may write and give that with --db")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise CannotWrite(f"{path}: the file is read-only; ingest and check write to it: make it writable, or "
                          "copy it and give the copy with --db")


def _newer(path: Path, version: int) -> NewerSchema:
    return NewerSchema(f"{path}: made by a newer fangyi (schema version {version}; this fangyi knows up to "
                       f"{SCHEMA_VERSION}); upgrade fangyi to use it")


def _raise_open_error(path: Path, exc: sqlite3.Error, writing: bool):
    """Raise one line for what SQLite said when opening the database. A full disk and a lock
    are raised as they are: the callers' handlers tell them."""
    if is_disk_full(exc) or is_locked(exc):
        raise exc
    raise _open_error(path, exc, writing) from exc


def _open_error(path: Path, exc: sqlite3.Error, writing: bool) -> DatabaseError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return NotADatabase(f"{path}: is not a SQLite database ({text}); give the workbench database with --db")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return NotADatabase(f"{path}: is damaged ({text}); restore it from a copy, or build it again with "
                            "`fangyi ingest`")
    if writing and (name.startswith("SQLITE_READONLY") or "readonly" in text):
        return CannotWrite(f"{path}: cannot be written ({text}); give a --db in a folder you may write")
    if writing:
        return CannotOpen(f"{path}: cannot be opened or created here ({text}); give a --db on a disk and in a "
                          "folder you may write")
    return CannotOpen(f"{path}: cannot be opened ({text}); give a database file you may read with --db")


def _open_readonly(path: Path, immutable: bool = False) -> tuple[sqlite3.Connection, int]:
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn, version


def _connect_readonly(path: Path) -> sqlite3.Connection:
    conn, version = _read_only(path)
    if version == SCHEMA_VERSION:
        return conn
    fangyi = _is_fangyi(conn)
    conn.close()
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    if not fangyi:
        raise _foreign(path)
    raise NeedsWriter(f"{path}: schema version {version}, this fangyi reads {SCHEMA_VERSION}; "
                      "run `fangyi check` on it once to migrate it")


def peek(path: Path | str) -> sqlite3.Connection:
    """The database opened as a reader opens it (connect(readonly=True)), whatever its schema:
    to look at what a file holds before replacing it."""
    return _read_only(Path(path))[0]


def _read_only(path: Path) -> tuple[sqlite3.Connection, int]:
    _check_file(path, reading=True)
    try:
        conn, version = _open_readonly(path)
    except sqlite3.Error as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if is_locked(exc):
            raise Busy(f"{path}: another process is writing it (a first load takes the whole database); "
                       "try again when it has finished") from exc
        if name == "SQLITE_READONLY_ROLLBACK" or _hot_journal(path):
            raise NeedsWriter(f"{path}: an interrupted write left {_side(path, '-journal').name} beside it, which "
                              "only a writer can roll back; run `fangyi ingest` or `fangyi check` on it once "
                              "where it can be written") from exc
        if not (name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")) or "unable to open" in str(exc)):
            _raise_open_error(path, exc, writing=False)
        # Its -shm and -wal cannot be made here (a read-only folder, file or mount).
        if _pending_wal(path):
            raise NeedsWriter(f"{path}: the database has changes not yet merged ({_side(path, '-wal').name}), "
                              "which cannot be read where nothing can be written; read it where it is writable, "
                              "or copy it with its -wal file to a folder you may write (a writer such as "
                              "`fangyi check` merges them)") from exc
        try:
            conn, version = _open_readonly(path, immutable=True)
        except sqlite3.Error as again:
            _raise_open_error(path, again, writing=False)
    return conn, version


def migrate(conn: sqlite3.Connection, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"schema version {version} is newer than this fangyi's ({SCHEMA_VERSION}): upgrade fangyi")
    conn.execute("PRAGMA foreign_keys = OFF")         # tables are rebuilt; checked before commit
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]     # another writer may have done it
        if version != SCHEMA_VERSION:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                # Views hold no data: they are dropped and made anew; tables are altered in place.
                for (view,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
                    conn.execute(f"DROP VIEW [{view}]")
                for before, after, script in MIGRATIONS:
                    if version == before:
                        for statement in statements(_sql(script)):
                            if not _column_exists(conn, statement):
                                conn.execute(statement)
                        version = after
            for statement in statements(schema_sql()):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise DatabaseError(f"migration left rows without their source file: {broken[:3]}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


_ADD_COLUMN = re.compile(r"^\s*ALTER\s+TABLE\s+\[?(\w+)\]?\s+ADD\s+(?:COLUMN\s+)?\[?(\w+)\]?", re.I)


def _column_exists(conn: sqlite3.Connection, statement: str) -> bool:
    """An `ALTER TABLE t ADD COLUMN c` whose column is already there (a database that gained it
    by hand, or one made by a newer schema and marked older): skipped, so a migration can run."""
    body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
    match = _ADD_COLUMN.match(body)
    if not match:
        return False
    table, column = match.groups()
    return any(row[1] == column for row in conn.execute(f"PRAGMA table_info([{table}])"))


def statements(script: str) -> list[str]:
    """Split a script into statements (executescript would commit our transaction)."""
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current)
            current = ""
    return out


def bulk_connect(path: Path | str):
    """A connection for bulk loading: ADBC binds whole Arrow columns in C, about twice as fast
    as sqlite3.executemany. In autocommit mode: the caller opens each transaction with
    begin_immediate() and ends it with COMMIT or ROLLBACK; left to itself the driver would begin a deferred
    transaction, which takes the write lock only at its first write and then fails at once
    (SQLITE_BUSY, no waiting) if another writer committed since its first read."""
    import adbc_driver_sqlite.dbapi

    conn = adbc_driver_sqlite.dbapi.connect(str(path), autocommit=True)
    cur = conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous = NORMAL")     # as connect(): in WAL mode still safe from a crash
    cur.close()
    return conn


def first_load(cursor) -> bool:
    """On a database that holds no file yet, switch the bulk connection to a rollback journal
    (synchronous FULL), and say whether it did. In WAL mode every page of a bulk load is written
    twice, to the WAL and again by the checkpoint into the database; with a rollback journal the
    pages of a new database are written once, in place (SQLite journals only pages that existed
    before the transaction, and a new database has next to none), and a kill -9 mid-load still
    leaves the database as it was (the journal rolls it back). The cost: while the load runs,
    other connections wait for it instead of reading the (empty) database. The switch fails
    harmlessly, leaving WAL, when another connection is using the database. back_to_wal() undoes
    it; a writer's connect() does too if a killed run left the database so."""
    cursor.execute("SELECT count(*) FROM source_files")
    if cursor.fetchone()[0]:
        return False
    try:
        cursor.execute("PRAGMA journal_mode = DELETE")
        switched = str(cursor.fetchone()[0]).lower() == "delete"
    except Exception as exc:
        if not is_locked(exc):
            raise
        return False
    if switched:
        cursor.execute("PRAGMA synchronous = FULL")      # the rollback journal's safe setting
    return switched


def back_to_wal(cursor) -> None:
    """Return the database to WAL after first_load(); if that fails (another connection holds it,
    a full disk), the next writer's connect() does it."""
    try:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.fetchone()
        cursor.execute("PRAGMA synchronous = NORMAL")
    except Exception:
        pass


def begin_immediate(cursor) -> None:
    """Take the write lock up front, waiting up to the busy timeout for another writer (an
    ingest, a check run) to finish. SQLite's busy handler does not wait for a lock that a
    checkpoint or recovery holds, so "database is locked" is retried for as long again."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("BEGIN IMMEDIATE")
            return
        except Exception as exc:
            if not is_locked(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def drop_indexes_if_empty(cursor, table: str) -> list[str]:
    """Inside a bulk load's transaction: if `table` holds no row, drop its indexes (those of
    schema.sql, not the primary key) and return the statements that make them again, for the
    end of the same transaction; else change nothing and return []. A rolled-back or killed
    load leaves the indexes as they were."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM [{table}])")
    if cursor.fetchone()[0]:
        return []
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                   (table,))
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX [{name}]")
    return [sql for _, sql in indexes]


def append(cursor, table: str, frame) -> None:
    """Append a polars frame to a table; its column names are the table's. The frame goes to
    the driver as an Arrow stream as it is (text as string views, no copy into Arrow strings),
    and the driver binds it without the GIL."""
    if frame.height:
        cursor.adbc_ingest(table, frame, mode="append")
