"""Shared fixtures: the demo district (and its defect-free --clean variant) generated and
ingested once per test session.

demo_db, clean_demo_db and checked_db are shared: a test that writes to a database takes a
copy (demo_db_copy, clean_demo_db_copy, checked_db_copy). At the end of the session each shared
database is checked to be byte-for-byte what its fixture built.

site(db_path, **options) is the one way tests serve a database: the Datasette that `fangyi serve`
builds (inspector_cookies(ds) logs the inspector in); fangyi_serve(db_path) runs `fangyi serve`
itself, as a process."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fangyi import demo
from fangyi.ingest.load import ingest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ingested(data: Path, path: Path) -> Path:
    """Ingested and checked once: the check run resolves units and writes what the views read."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    reports = ingest(path, [data])
    assert all(r.status == "loaded" for r in reports), [r.error for r in reports if r.error]
    run_checks(path, Settings())
    return path


def _read_only(path: Path):
    """Build a shared database once and fail the session if any test writes to it."""
    digest = _sha256(path)
    yield path
    assert _sha256(path) == digest, f"{path}: a test wrote to a shared database; copy it first"


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo_data")
    manifest = demo.generate(out)
    return out, manifest


@pytest.fixture(scope="session")
def clean_demo_data(tmp_path_factory) -> tuple[Path, dict]:
    """The same district generated with --clean: no injected defect."""
    out = tmp_path_factory.mktemp("clean_demo_data")
    manifest = demo.generate(out, clean=True)
    return out, manifest


@pytest.fixture(scope="session")
def demo_db(demo_data, tmp_path_factory) -> Path:
    """The demo database, built once; tests must not write to it (use demo_db_copy)."""
    out, _ = demo_data
    yield from _read_only(_ingested(out, tmp_path_factory.mktemp("demo_db") / "workbench.db"))


@pytest.fixture(scope="session")
def clean_demo_db(clean_demo_data, tmp_path_factory) -> Path:
    """The --clean demo database, built once; tests must not write to it (use clean_demo_db_copy)."""
    out, _ = clean_demo_data
    yield from _read_only(_ingested(out, tmp_path_factory.mktemp("clean_demo_db") / "workbench.db"))


@pytest.fixture
def demo_db_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database, for a test that writes to it."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def clean_demo_db_copy(clean_demo_db, tmp_path) -> Path:
    """A private copy of the --clean demo database, for a test that writes to it."""
    path = tmp_path / "clean.db"
    shutil.copy(clean_demo_db, path)
    return path


@pytest.fixture
def demo_conn(demo_db):
    conn = sqlite3.connect(f"file:{demo_db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def workbench(path: Path):
    """A writer's connection to a new or older database, as ingest and check open one: the schema
    created or migrated (db.connect) and the tables of every registered kind (the kind registry)."""
    from fangyi import db
    from fangyi.ingest import kinds

    conn = db.connect(path)
    kinds.create_tables(conn)
    return conn


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
    """A copy of the demo database on which every check has run once (without GX); tests must
    not write to it (use checked_db_copy; `fangyi bulletin` writes the settings it reads)."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    path = tmp_path_factory.mktemp("checked_db") / "workbench.db"
    shutil.copy(demo_db, path)
    run_checks(path, Settings())
    yield from _read_only(path)


@pytest.fixture(scope="session")
def docs_db(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo database checked with Great Expectations, its Data Docs in
    gx/data_docs beside it, as `fangyi check` writes them when run in that folder: what the
    site serves, Data Docs included. Serving it caches the open copy beside it; tests must not
    write to the database itself."""
    from fangyi.checks.run import run_checks
    from fangyi.settings import Settings

    path = tmp_path_factory.mktemp("docs_db") / "workbench.db"
    shutil.copy(demo_db, path)
    run_checks(path, Settings(), gx=True, docs_dir=path.parent / "gx" / "data_docs")
    # GX's engine may still hold a connection in this process: move the WAL into the file now,
    # or the first reader to close would do it later and change the file under the check below
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    yield from _read_only(path)


@pytest.fixture
def checked_db_copy(checked_db, tmp_path) -> Path:
    """A private copy of the checked demo database, for a test that writes to it."""
    path = tmp_path / "checked.db"
    shutil.copy(checked_db, path)
    return path


def findings_of(path: Path, check_id: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM findings WHERE check_id = ? ORDER BY unit_code, date, subject_key",
                            (check_id,)).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """Headless Debian Chromium driven by Selenium (installed by `make test`), with every host
    name but localhost unresolvable: what it shows, it shows offline."""
    import shutil

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("chromium and chromedriver are installed by `make test`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})     # failed loads are in driver.get_log
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def site(db_path: Path | str, *, open_copy: bool = True, queries: dict | None = None, **settings):
    """The Datasette of db_path as `fangyi serve` builds it (fangyi.site.serve.make_datasette):
    the latest check run's snapshot for the logged-in inspector only (inspector_cookies), its open
    copy for everyone (made or reused in <stem>.served/ beside the database), the templates, static
    files, plugin configuration and row counts; every test that serves a database builds it here
    (fangyi.site.serve.Site is what switches runs while serving).

    open_copy=False: the full database alone (nothing built beside it but its row counts).
    queries: more canned queries on the full database, inspector only like metadata.yml's.
    settings: Datasette settings over serve's, e.g. max_returned_rows=5, sql_time_limit_ms=200,
    trace_debug=True."""
    from fangyi.site.serve import INSPECTOR, make_datasette, open_name, site_metadata

    metadata = None
    if queries:
        metadata = site_metadata(db_path, open_name(db_path) if open_copy else None)
        metadata["databases"][Path(db_path).stem]["queries"].update(
            {name: dict(query, allow=dict(INSPECTOR)) for name, query in queries.items()})
    return make_datasette(db_path, build_open=open_copy, settings=settings, metadata=metadata)


def run_site(db_path: Path | str, fn, **options):
    """fn(ds, inspector_cookies) on the started site of db_path (built by `site`), run to its end."""
    import asyncio

    async def go():
        ds = site(db_path, **options)
        await ds.invoke_startup()
        return await fn(ds, inspector_cookies(ds))
    return asyncio.run(go())


def inspector_cookies(ds) -> dict:
    """The cookies of the logged-in inspector on the site ds: `ds.client.get(url, cookies=...)`
    (a session opened as the login page opens one; tests/test_login.py logs in through the page)."""
    from fangyi.site import login

    return {login.SESSION_COOKIE: login.open_session(ds)}


def visible_text(url: str, status: int, body: bytes) -> str:
    """What a response shows, as text: JSON decoded (Datasette writes \\u escapes), XLSX unzipped,
    HTML unescaped, a database file as its bytes."""
    import html
    import io
    import json

    if status != 200:
        return body.decode("utf-8", "replace")
    path = url.split("?", 1)[0]
    if path.endswith(".xlsx"):
        import zipfile

        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(html.unescape(z.read(n).decode("utf-8", "replace")) for n in z.namelist())
    text = body.decode("utf-8", "replace")
    if path.endswith(".json"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return html.unescape(text)


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for a server a test starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


FANGYI = Path(sys.executable).parent / "fangyi"


@contextlib.contextmanager
def fangyi_serve(db_path: Path, env: dict | None = None, cwd: Path | None = None, timeout: float = 30):
    """`fangyi serve --db db_path --port P` on a free port, in a session of its own so that
    whatever it started can be stopped at the end (SIGKILL to its group). Yields (process, port,
    (status, index page)) once the index page answers, within `timeout` seconds."""
    port = free_port()
    proc = subprocess.Popen([str(FANGYI), "serve", "--db", str(db_path), "--port", str(port)], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    index = (resp.status, resp.read().decode("utf-8"))
                break
            except OSError:
                assert time.monotonic() < deadline, f"fangyi serve did not answer within {timeout:g} s"
                time.sleep(0.1)
        yield proc, port, index
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)          # the group this test started, and only it
        proc.wait(10)
        proc.stdout.close()
