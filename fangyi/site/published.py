"""What `fangyi serve` publishes: the state of the data as of the latest finished check run, as
immutable files, switched to while the site answers.

The database itself may change at any moment (`fangyi ingest` and `fangyi check` write it while
the site is up), so it is never served as it is: a file served as immutable must not change
under its readers (SQLite then reads pages of two states: "database disk image is malformed").
Instead, for each finished check run, `fangyi serve` makes

    <folder>/<stem>.served/run-<N>.db            a snapshot of the database (SQLite's backup API:
                                                 one consistent committed state)
    <folder>/<stem>.served/run-<N>.open.db       its open copy (fangyi.site.open_copy)
    <folder>/<stem>.served/run-<N>.inspect.json  the row counts of both

(<folder> beside the database when it is writable, else a temporary folder of the process), and
serves them immutable under the database's own names. A watcher looks at the database every few
seconds; when a newer run has finished it prepares that run's files in the background, then
switches the site to them between two requests: every request is answered from one state or the
other, never from a half-written one. A run's files are reused when `fangyi serve` starts again
on the same run; the files of all but the current and the previous run are removed.

Until the first run's files are ready (a province: about half a minute, the snapshot and the open
copy made at once), the database is served as it is, read-only and mutable (SQLite's locking, slower
pages, no response cache), and anonymous visitors are told the open data is being prepared.
What the site shows is the data as the latest finished run checked it: files ingested after that
run appear with the next run."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

POLL_S = 2.0                 # how often the watcher looks for a newer finished run
KEEP = 2                     # runs whose files are kept: the current one and the previous one


@dataclass(frozen=True)
class Prepared:
    run: int                        # the check run (0: the database had no finished run)
    path: Path                      # the snapshot
    open_path: Path | None          # its open copy
    inspect: dict                   # Datasette inspect data of both, under the served names
    finished_at: str | None


def latest_run(db_path: Path) -> tuple[int, str | None]:
    """(run_id, finished_at) of the database's latest finished check run; (0, None) when none.
    Read as every reader reads (fangyi.db.connect(readonly=True): where nothing can be written,
    as immutable, or a one-line refusal)."""
    from fangyi import db

    conn = db.connect(db_path, readonly=True)
    try:
        row = conn.execute("SELECT run_id, finished_at FROM check_runs WHERE finished_at IS NOT NULL "
                           "ORDER BY run_id DESC LIMIT 1").fetchone()
    except sqlite3.OperationalError:          # no check_runs table: nothing was ever checked
        row = None
    finally:
        conn.close()
    return (row[0], row[1]) if row else (0, None)


def _run_stamp(path: Path, run: int) -> tuple | None:
    """What tells check run `run` of one database from the run of that number of another: when
    it started and finished, and the SHA-256 of the files it checked."""
    from fangyi import db

    try:
        conn = db.connect(path, readonly=True)
    except Exception:         # noqa: BLE001 - unreadable: not the same run
        return None
    try:
        return conn.execute("SELECT started_at, finished_at, data_sha256 FROM check_runs WHERE run_id = ?",
                            (run,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _state(path: Path) -> tuple:
    """What a database file holds, as far as serving goes: its latest finished check run and the
    files ingested (only `check` writes derived state; only `ingest` adds rows, with a file)."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        return (conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone(),
                conn.execute("SELECT count(*), max(file_id) FROM source_files").fetchone())
    finally:
        conn.close()


class Published:
    """The files `fangyi serve` makes and serves for one database (see the module's docstring)."""

    def __init__(self, db_path: Path | str, full_name: str, open_name: str | None):
        from fangyi.site import opendata

        self.db_path = Path(db_path).resolve()
        self.full_name, self.open_name = full_name, open_name
        self.folder = opendata.cache_folder(self.db_path) / f"{self.db_path.stem}.served"
        self.lock = threading.Lock()              # one preparation at a time
        self.current: Prepared | None = None

    def _paths(self, run: int) -> tuple[Path, Path, Path]:
        base = self.folder / f"run-{run}"
        return Path(f"{base}.db"), Path(f"{base}.open.db"), Path(f"{base}.inspect.json")

    def cached(self, run: int) -> Prepared | None:
        """The run's files, if a previous `fangyi serve` made them all from this database (a
        database made again under the same name numbers its runs from 1 again: its run 1 is
        not the old file's run 1)."""
        from fangyi.site import opendata

        snapshot, open_path, _ = self._paths(run)
        self._forget_another_databases(run)
        if not snapshot.exists() or (self.open_name and not opendata.is_current(snapshot, open_path)):
            return None
        return self.prepare(run)

    def _forget_another_databases(self, run: int) -> None:
        """Remove the files of run `run` if they are of another database's run of that number."""
        snapshot = self._paths(run)[0]
        if snapshot.exists() and _run_stamp(snapshot, run) != _run_stamp(self.db_path, run):
            for path in self._paths(run):
                path.unlink(missing_ok=True)

    def prepare(self, run: int, finished_at: str | None = None, views: bool = True) -> Prepared:
        """The run's snapshot, open copy and row counts, made where missing. Both files are made
        at once from the database (two cores), each in one read transaction, and kept when they
        hold the same state (same run, same files ingested); else the open copy is made again
        from the snapshot. views=False leaves the views' row counts to count_views."""
        from fangyi.site import opendata

        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            snapshot, open_path, _ = self._paths(run)
            self._forget_another_databases(run)
            if not snapshot.exists():
                if self.open_name:
                    self._snapshot_and_open_copy(snapshot, open_path)
                else:
                    self._snapshot(snapshot)
            built = opendata.ensure_open_db(snapshot, open_path) if self.open_name else None
            inspect = opendata.ensure_inspect(snapshot, built, self.full_name, self.open_name, views=views)
            if finished_at is None:
                finished_at = latest_run(snapshot)[1]
            return Prepared(run, snapshot, built, inspect, finished_at)

    def count_views(self, prepared: Prepared, inspect: dict) -> None:
        """The views' row counts of a prepared run, added to `inspect` (a served Datasette's
        inspect data, read afresh by every page) as each is counted."""
        from fangyi.site import opendata

        def found(which: str, view: str, rows: int) -> None:
            names = [self.full_name] if which == "full" else []
            names += [self.open_name] if self.open_name else []
            for name in names:
                entry = inspect.get(name)
                if entry is not None and (which == "open" or view not in entry["tables"]):
                    # a new dict, swapped in: pages iterate the one they hold while this runs
                    entry["tables"] = {**entry["tables"], view: {"count": rows}}
        opendata.count_views(prepared.path, prepared.open_path, found=found)

    def _snapshot_and_open_copy(self, snapshot: Path, open_path: Path) -> None:
        from fangyi.site import opendata

        done: dict = {}

        def open_copy():
            try:
                opendata.build_open_db(self.db_path, open_path)
                done["state"] = _state(open_path)
            except BaseException as exc:     # noqa: BLE001 - made again from the snapshot below
                done["error"] = exc
        worker = threading.Thread(target=open_copy, name="fangyi-open-copy", daemon=True)
        worker.start()
        try:
            self._snapshot(snapshot)
        finally:
            worker.join()
        if "error" not in done and done["state"] == _state(snapshot):
            opendata.stamp_open_db(open_path, opendata.source_key(snapshot))
        else:              # a run or an ingest came in between: the open copy of the snapshot instead
            open_path.unlink(missing_ok=True)

    def _snapshot(self, out: Path) -> None:
        """A consistent copy of the database's committed state (the backup API reads it in one
        read transaction), written aside and renamed into place."""
        from fangyi.site.open_copy import building

        tmp = building(out)
        from fangyi import db

        src = db.connect(self.db_path, readonly=True)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")     # one file, read-only from now on
        finally:
            dst.close()
            src.close()
        os.replace(tmp, out)

    def prune(self) -> None:
        """Remove the files of runs other than the KEEP latest prepared ones, and leftovers of
        a preparation that was stopped (*.building)."""
        if not self.folder.exists():
            return
        runs = sorted({int(m.group(1)) for p in self.folder.iterdir()
                       if (m := re.match(r"run-(\d+)\.db$", p.name))}, reverse=True)
        keep = set(runs[:KEEP]) | ({self.current.run} if self.current else set())
        for p in self.folder.iterdir():
            m = re.match(r"run-(\d+)\.", p.name)
            if m and int(m.group(1)) not in keep and ".building-" not in p.name:
                p.unlink(missing_ok=True)
        self.remove_leftovers()

    def remove_leftovers(self) -> None:
        """Files a stopped preparation left (kill -9, SIGTERM mid-build): this process's, and
        those of processes no longer running (another `fangyi serve` may be preparing too)."""
        from fangyi.site.open_copy import running

        if self.folder.exists():
            for p in self.folder.glob("*.building-*"):
                pid = p.name.rsplit("-", 1)[-1]
                if pid.isdigit() and (int(pid) == os.getpid() or not running(int(pid))):
                    p.unlink(missing_ok=True)

    def remove_all(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
