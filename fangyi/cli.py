"""The `fangyi` command: thin wrappers over the library functions.

Every error a command line can cause ends in one line, `Error: <file>: <what is wrong and what
to do>`, and an exit status per kind of error (EXIT below; the README's command-line section
lists them), never in a traceback."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import settings as settings_mod

# Kept here rather than imported, so that `fangyi --help` loads nothing heavy.
DEFAULT_DB = Path("db/workbench.db")
DEFAULT_DOCS = Path("gx/data_docs")

# Exit statuses: 0 and 1 as they always were, then one per kind of error.
EXIT_OK = 0
EXIT_FINDINGS = 1     # findings at --fail-on, files that failed to load, a refusal about the data
EXIT_USAGE = 2        # a bad option or argument, a settings file that cannot be used, a kind plug-in
EXIT_DATABASE = 3     # the database cannot be opened or read: missing, a folder, not a (fangyi) database,
                      # damaged, or not readable until a writer has opened it once
EXIT_NEWER = 4        # the database was made by a newer fangyi
EXIT_WRITE = 5        # the database or an output cannot be written: read-only place or file, full disk
EXIT_BUSY = 6         # another process held the database longer than the wait
EXIT_BUG = 70         # anything else: a bug in fangyi (FANGYI_DEBUG=1 shows the traceback)


class Failure(click.ClickException):
    """An error of the command line: `Error: message` in one line, and its exit status."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(" ".join(str(message).split()))
        self.exit_code = exit_code


def _remember_db(ctx: click.Context, param, value):
    ctx.meta["fangyi.db"] = value        # named by errors SQLite raises later, mid-query
    return value


# A folder is not refused by click (its message spans lines): the database's checks say it in one.
DB_OPTION = click.option("--db", "db_path", type=click.Path(path_type=Path), callback=_remember_db,
                         default=DEFAULT_DB, show_default=True, help="SQLite database file.")


class _Commands(click.Group):
    """The group: what a command raises that has a known cause becomes a Failure."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            failure = _failure(exc, ctx.meta.get("fangyi.db"))
            if failure is None:
                raise
            raise failure from exc


def _failure(exc: Exception, db_path: Path | None) -> Failure | None:
    """The Failure an exception of a known kind is, or None."""
    import sqlite3

    if isinstance(exc, settings_mod.SettingsError):
        return Failure(str(exc), EXIT_USAGE)
    kinds = sys.modules.get("fangyi.ingest.kinds")
    if kinds is not None and isinstance(exc, kinds.KindError):
        return Failure(str(exc), EXIT_USAGE)
    db = sys.modules.get("fangyi.db")
    if db is None:
        return None
    if isinstance(exc, db.DatabaseError):
        code = (EXIT_NEWER if isinstance(exc, db.NewerSchema) else EXIT_WRITE if isinstance(exc, db.CannotWrite)
                else EXIT_BUSY if isinstance(exc, db.Busy) else EXIT_DATABASE)
        return Failure(str(exc), code)
    where = db_path or "the database"
    if db.is_disk_full(exc):
        return Failure(f"{where}: database or disk is full; what was being written is not (the database is as "
                       "before); free some space and run the command again", EXIT_WRITE)
    if isinstance(exc, sqlite3.Error) and db.is_locked(exc):
        return Failure(f"{where}: the database stayed locked by another writer; try again when it has finished",
                       EXIT_BUSY)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if isinstance(exc, sqlite3.DatabaseError) and name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return Failure(f"{where}: is damaged ({exc}); restore it from a copy, or build it again with "
                       "`fangyi ingest`", EXIT_DATABASE)
    if isinstance(exc, sqlite3.DatabaseError) and name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return Failure(f"{where}: cannot be read ({exc}); check the file and the disk it is on", EXIT_DATABASE)
    if isinstance(exc, sqlite3.DatabaseError) and name.startswith("SQLITE_READONLY"):
        return Failure(f"{where}: cannot be written ({exc}); give a --db in a folder you may write", EXIT_WRITE)
    return None


def _output(path: Path, what: str, folder: bool = False) -> Path:
    """Refuse, before any work, an output that cannot be written: in a folder that is missing
    (for a file) or read-only, a folder where a file is wanted or a file where a folder is.
    Nothing is created here."""
    if folder:
        if path.exists() and not path.is_dir():
            raise Failure(f"{path}: is a file; give a folder for the {what}", EXIT_WRITE)
        target = path
        while not target.exists() and target != target.parent:     # the folder that will hold it
            target = target.parent
        if not target.is_dir():
            raise Failure(f"{path}: {target} is a file, not a folder; give another {what}", EXIT_WRITE)
    else:
        target = path.parent
        if path.is_dir():
            raise Failure(f"{path}: is a folder; give a file name for the {what}", EXIT_WRITE)
        if not target.is_dir():
            raise Failure(f"{path}: the folder {target} does not exist; make it first or give another {what}",
                          EXIT_WRITE)
    if not os.access(target, os.W_OK | os.X_OK) or (not folder and path.exists() and not os.access(path, os.W_OK)):
        raise Failure(f"{path}: cannot be written here ({target} is read-only); give another {what}", EXIT_WRITE)
    return path


def _written(exc: OSError, path: Path, what: str) -> Failure:
    return Failure(f"{exc.filename or path}: the {what} could not be written ({exc.strerror or exc}); "
                   "give another place or free some space", EXIT_WRITE)


@click.group(cls=_Commands)
@click.option("--settings", "settings_path", type=click.Path(path_type=Path),
              default=None, help="Settings file (default: $FANGYI_SETTINGS, else ./fangyi.toml).")
@click.pass_context
def cli(ctx: click.Context, settings_path: Path | None) -> None:
    """fangyi (防疫): ingest, check and publish community epidemic-prevention records.

    Exit status: 0 done; 1 findings at --fail-on, files not loaded (or every row of one rejected),
    or a refusal about the data;
    2 usage or settings; 3 database cannot be opened or read; 4 database from a newer fangyi;
    5 database or output cannot be written; 6 database busy.
    """
    explicit = settings_path or os.environ.get("FANGYI_SETTINGS")
    if explicit and not Path(explicit).is_file():       # any command: a file named must be there
        where = "--settings" if settings_path else "$FANGYI_SETTINGS"
        what = "is a folder, not a settings file" if Path(explicit).is_dir() else "settings file not found"
        raise Failure(f"{explicit}: {what}; give an existing file with {where}, or leave it out for the "
                      "defaults", EXIT_USAGE)
    ctx.obj = _Settings(settings_path)


class _Settings:
    """The settings, read when a command first needs them (not for --help); ingest, check,
    serve and demo read them."""

    def __init__(self, path: Path | None):
        self.path, self._value = path, None

    def __getattr__(self, name):
        if self._value is None:
            try:
                self._value = settings_mod.load(self.path)
            except settings_mod.SettingsError as exc:
                raise Failure(str(exc), EXIT_USAGE) from exc
        return getattr(self._value, name)

    def get(self):
        self.source
        return self._value


@cli.command()
@DB_OPTION
@click.option("--kind", default=None, metavar="KIND",
              help="Read every sheet as this kind: units, daily, ... (default: detect from the headers).")
@click.option("--show-rejected", default=5, show_default=True,
              help="How many rejected rows to list per file.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def ingest(settings, db_path: Path, kind: str | None, show_rejected: int, paths: tuple[Path, ...]) -> None:
    """Load CSV/XLSX files or folders into the database.

    Prints, per file, what was loaded, rejected and recognised as not data. Exits 0 even when
    rows were rejected; 1 when a file could not be read at all (that file adds nothing), or
    when a file loaded no row and rejected some (its rows stay recorded in rejected_rows).

    Example: fangyi ingest --db db/workbench.db demo/data/units demo/data/daily
    """
    polars_threads_for_ingest()
    from fangyi.ingest import kinds as registry
    from fangyi.ingest.load import ingest as run_ingest

    if kind is not None and kind not in registry.all_kinds():
        raise click.BadParameter(f"unknown kind {kind!r}; known: {', '.join(registry.all_kinds())}",
                                 param_hint="--kind")
    from fangyi.ingest.load import DiskFull

    options = settings.ingest_options()
    try:
        reports = run_ingest(db_path, paths, kind=kind, options=options)
    except DiskFull as exc:
        _print_reports(exc.reports, show_rejected)
        raise Failure(str(exc), EXIT_WRITE) from exc
    if not reports:
        raise click.ClickException("no input files found in " + ", ".join(map(str, paths)))
    if _print_reports(reports, show_rejected):
        sys.exit(EXIT_FINDINGS)


INGEST_THREADS = 3      # the ingest's own: two threads preparing files and the writer (ingest/load.py)


def polars_threads_for_ingest(environ=os.environ) -> None:
    """Polars' thread pool sized to the cores the ingest's own threads leave free (one on two
    cores), set before polars is first imported: on a province's 240 town files, its default
    (a thread per core) made the load 12 % slower, its threads waiting for the same cores. An
    explicit POLARS_MAX_THREADS is kept."""
    if "polars" not in sys.modules:
        environ.setdefault("POLARS_MAX_THREADS", str(max(1, (os.cpu_count() or 1) - INGEST_THREADS + 1)))


def _print_reports(reports, show_rejected: int) -> int:
    """Print what happened to each file; return the number of files that failed or loaded
    nothing but rejected rows (either makes the exit status 1)."""
    for report in reports:
        click.echo(report.summary(), err=report.status == "failed" or bool(report.nothing_loaded))
        for warning in report.warnings:
            click.echo(f"    warning: {warning}")
        for sheet, row, reason in report.rejections[:show_rejected]:
            where = (f"工作表「{sheet}」第 {row} 行 / rejected sheet {sheet!r} row {row}" if sheet
                     else f"第 {row} 行 / rejected row {row}")
            click.echo(f"    拒收 {where}: {reason}")
        if len(report.rejections) > show_rejected:
            click.echo(f"    ... {len(report.rejections) - show_rejected} more in table rejected_rows")
    failed = sum(r.status == "failed" for r in reports)
    nothing = sum(bool(r.nothing_loaded) for r in reports)
    loaded = sum(r.rows_loaded for r in reports)
    rejected_only = f", {nothing} files loaded nothing (every row rejected)" if nothing else ""
    click.echo(f"{len(reports)} files: {loaded} rows loaded, "
               f"{sum(r.rows_rejected for r in reports)} rejected, {failed} files failed{rejected_only}")
    return failed + nothing


@cli.command()
@DB_OPTION
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True,
              help="Exit 1 when findings of this severity or higher exist.")
@click.option("--gx/--no-gx", default=True, show_default=True,
              help="Also run the checks as Great Expectations suites and write Data Docs.")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DOCS,
              show_default=True, help="Where the Great Expectations Data Docs are written.")
@click.pass_obj
def check(settings, db_path: Path, fail_on: str, gx: bool, docs_dir: Path) -> None:
    """Run every data-quality check and write this run's findings.

    Each run adds a check_runs row and its findings to findings_history; the view findings
    shows the latest run's. Exit 1 when findings at or above --fail-on exist.

    Example: fangyi check --db db/workbench.db --fail-on error
    """
    _require_db(db_path)
    result = _run_check(settings, db_path, gx, docs_dir)
    if result.failed(fail_on):
        sys.exit(EXIT_FINDINGS)


def _require_db(db_path: Path, then: str = "`fangyi ingest`") -> None:
    """A reader's or check's database must exist (said before anything heavy is imported)."""
    if not db_path.exists() and not db_path.is_symlink():
        raise Failure(f"{db_path}: no such database; run {then} first (or give the database with --db)",
                      EXIT_DATABASE)


def _run_check(settings, db_path: Path, gx: bool, docs_dir: Path):
    settings = settings.get()
    if gx:
        _output(docs_dir, "Data Docs (--docs)", folder=True)
    from fangyi.checks.run import NoDataError, run_checks
    from fangyi.db import is_disk_full

    try:
        result = run_checks(db_path, settings, gx=gx, docs_dir=docs_dir)
    except NoDataError as exc:
        raise Failure(f"{db_path}: {exc}", EXIT_FINDINGS) from exc
    except Exception as exc:
        if is_disk_full(exc):
            raise Failure(f"{db_path}: database or disk is full; this check run wrote nothing (the database is "
                          "as before); free some space and run it again", EXIT_WRITE) from exc
        raise
    _print_check(result, db_path, docs_dir if gx else None)
    return result


def _print_check(result, db_path: Path, docs_dir: Path | None) -> None:
    from fangyi.checks import all_checks

    start, end = result.period
    period = f"period {start} to {end}" if start else "no daily reports (no reporting period)"
    click.echo(f"check run {result.run_id} on {db_path}, {period}")
    by_id = {c.id: c for c in all_checks()}
    for check_id, n in result.counts.items():
        c = by_id[check_id]
        click.echo(f"  {n:5d}  {c.severity:7s}  {check_id:26s} {c.meaning}")
    s = result.by_severity
    click.echo(f"{s['error']} errors, {s['warning']} warnings, {s['info']} info; details in findings")
    from fangyi.followup import summary_line

    click.echo(summary_line(db_path))          # the inspectors' marks ([db].marks.db), read only
    if docs_dir is not None:
        agree = result.gx_counts == result.counts
        click.echo(f"Great Expectations: {'all expectations met' if result.gx_success else 'expectations failed'}"
                   f"; {'agrees' if agree else 'DISAGREES'} with the findings; Data Docs: {docs_dir / 'index.html'}")
        if not agree:
            raise click.ClickException(f"GX counts {result.gx_counts} differ from findings {result.counts}")


@cli.command()
@DB_OPTION
@click.option("--week", required=True, help="ISO week, e.g. 2021-W03, 2021年第3周 or a day of it.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the Markdown here instead of standard output.")
@click.pass_obj
def bulletin(settings, db_path: Path, week: str, out: Path | None) -> None:
    """Write the weekly bulletin (一周一通報) as Markdown: reporting and on-time rates,
    the ranking of towns, units with missed or late reports, silent streaks.

    Example: fangyi bulletin --db db/workbench.db --week 2021-W03 --out bulletin-2021-W03.md
    """
    iso = _week(week)
    if out:
        _output(out, "bulletin (--out)")
    _require_db(db_path, "`fangyi ingest` and `fangyi check`")
    from fangyi.checks.bulletin import BulletinError, weekly_bulletin

    try:
        text = weekly_bulletin(db_path, iso)
    except BulletinError as exc:
        raise Failure(str(exc), EXIT_FINDINGS) from exc
    if out:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _written(exc, out, "bulletin") from exc
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


def _week(week: str, option: str = "--week") -> str:
    """An ISO week as people write it (2021-W03, 2021年第3周, a day of it), or a usage error."""
    from fangyi.keys import typed_week

    iso = typed_week(week)
    if iso is None:
        raise Failure(f"{option} {week!r}: not a week; expected an ISO week such as 2021-W03 or 2021年第3周, "
                      "or a day of it", EXIT_USAGE)
    return iso


@cli.command()
@click.argument("trace_code", required=False)
@DB_OPTION
@click.option("--from-merchant", "merchant_id", metavar="ID",
              help="Trace back from this merchant (stall number or credit code) to the importer.")
@click.option("--from-buyer", "buyer", metavar="TEXT",
              help="Trace back from a buyer: its name, phone or merchant id as the sales ledgers write it.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the receipts and sales traced as a sortable spreadsheet.")
def trace(trace_code: str | None, db_path: Path, merchant_id: str | None, buyer: str | None,
          xlsx: Path | None) -> None:
    """Trace a batch of imported cold-chain food through the merchants' ledgers.

    With TRACE_CODE alone: the path importer -> wholesaler -> retailers -> buyers, every
    receipt and sale with quantity, date and counterparty, the balance at each merchant, and
    the totals (received from outside = sold to final buyers + on hand). With --from-merchant
    or --from-buyer: the path back to the importer (only TRACE_CODE's, if given). Reads the
    balances of the latest `fangyi check`; opens the database read-only.

    Example: fangyi trace QL2101120001 --db db/workbench.db --xlsx trace.xlsx

    Example: fangyi trace --from-merchant LA-A01 --db db/workbench.db
    """
    if not trace_code and not merchant_id and not buyer:
        raise click.UsageError("give a TRACE_CODE, --from-merchant ID or --from-buyer TEXT")
    if xlsx:
        _output(xlsx, "spreadsheet (--xlsx)")
    _require_db(db_path, "`fangyi ingest` and `fangyi check`")
    from fangyi.checks.coldchain.trace import TraceError, trace_back, trace_batch, trace_rows, write_xlsx

    try:
        if merchant_id or buyer:
            paths = trace_back(db_path, merchant_id=merchant_id, buyer=buyer, trace_code=trace_code)
            for path in paths:
                click.echo(path.text(), nl=False)
            rows = trace_rows(db_path, (p.trace_code for p in paths)) if xlsx else []
        else:
            result = trace_batch(db_path, trace_code)
            click.echo(result.text(), nl=False)
            rows = result.rows
    except TraceError as exc:
        raise Failure(str(exc), EXIT_FINDINGS) from exc
    if xlsx:
        try:
            written = write_xlsx(rows, xlsx)
        except OSError as exc:
            raise _written(exc, xlsx, "spreadsheet") from exc
        click.echo(f"wrote {written} ({len(rows)} receipts and sales)")


@cli.command()
@click.argument("kind")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def template(kind: str, out: Path) -> None:
    """Write an empty form for a kind (units, daily, ...) as XLSX: the headers the ingest
    recognises, one example row marked 示例, and a 說明 sheet explaining every column.

    Example: fangyi template daily 日報模板.xlsx
    """
    from fangyi.ingest import kinds as registry

    from .template import write_template

    if kind not in registry.all_kinds():
        raise click.BadParameter(f"unknown kind {kind!r}; known: {', '.join(registry.all_kinds())}",
                                 param_hint="KIND")
    _output(out, "form (OUT)")
    try:
        click.echo(f"wrote {write_template(kind, out)}")
    except OSError as exc:
        raise _written(exc, out, "form") from exc


@cli.command()
@DB_OPTION
@click.option("--port", default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_obj
def serve(settings, db_path: Path, port: int, host: str) -> None:
    """Serve the database with Datasette and metadata.yml.

    Example: fangyi serve --db db/workbench.db --port 8001
    """
    password_hash = settings.inspector_password_hash
    _require_db(db_path)
    from fangyi import db

    db.connect(db_path, readonly=True).close()      # what cannot be served is said now, in a line

    from .site.serve import PASSWORD_ENV, serve as run_serve

    if password_hash and not os.environ.get(PASSWORD_ENV):
        os.environ[PASSWORD_ENV] = password_hash
    from .site.login import environ as login_environ

    os.environ.update(login_environ(settings))      # [site] login_max_failures, ...
    from .site import attribution

    os.environ.update(attribution.environ(settings.site_text))      # [site] source, license, ...
    from .site.banner import lines as banner

    for line in banner(db_path, host, port, bool(os.environ.get(PASSWORD_ENV))):
        click.echo(line)
    sys.exit(run_serve(db_path, port=port, host=host))


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("demo/data"),
              show_default=True, help="Where to write the demo input files.")
@DB_OPTION
@click.option("--port", default=8001, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build and ingest only; do not start Datasette.")
@click.pass_obj
def demo(settings, out: Path, db_path: Path, port: int, no_serve: bool) -> None:
    """Generate the bundled demo district, ingest it into a fresh database and serve it.

    Example: fangyi demo --db db/workbench.db --port 8001
    """
    options = settings.ingest_options()
    from fangyi import db
    from fangyi.ingest.load import ingest as run_ingest

    from . import demo as demo_mod
    from .site.serve import serve as run_serve

    if db_path.is_dir():
        raise db.CannotOpen(f"{db_path}: is a folder, not a database file; give the database file with --db")
    foreign = _not_made_by_demo(db_path, out)
    if foreign:
        raise Failure(f"{db_path} {foreign}: the demo will not replace it; choose another --db or remove that "
                      "file yourself", EXIT_FINDINGS)
    db.check_writable(db_path)
    _output(out, "demo data (--out)", folder=True)
    try:
        manifest = demo_mod.generate(out)
        click.echo(f"demo data: {len(manifest['files'])} files in {out}")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
    except OSError as exc:
        raise _written(exc, out, "demo data") from exc
    reports = run_ingest(db_path, [out], options=options)
    if _print_reports(reports, 3):
        raise click.ClickException("the demo data did not ingest cleanly")
    _run_check(settings, db_path, True, DEFAULT_DOCS)
    if not no_serve:
        from .site import attribution
        from .site.banner import lines as banner
        from .site.login import environ as login_environ
        from .site.serve import PASSWORD_ENV

        if settings.inspector_password_hash and not os.environ.get(PASSWORD_ENV):    # as `fangyi serve`
            os.environ[PASSWORD_ENV] = settings.inspector_password_hash
        os.environ.update(login_environ(settings))
        os.environ.update(attribution.environ(settings.site_text or attribution.DEMO))   # the demo's text
        click.echo(f"serving {db_path} at http://127.0.0.1:{port}/")
        for line in banner(db_path, "127.0.0.1", port, bool(os.environ.get(PASSWORD_ENV)))[1:]:
            click.echo(line)
        sys.exit(run_serve(db_path, port=port))


@cli.command()
@DB_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("report"),
              show_default=True, help="Folder for the HTML files, one per notebook.")
@click.option("--week", default=None,
              help="ISO week for the weekly-bulletin notebook, e.g. 2021-W04 (default: the period's last week).")
@click.option("--trace-code", default=None,
              help="Trace code for the batch-trace notebook (default: the batch with the most findings).")
@click.option("--unit-code", default=None, help="Unit shown on its own in the completeness, duty and returnee "
                                                "notebooks (default: each notebook's own choice).")
def report(db_path: Path, out_dir: Path, week: str | None, trace_code: str | None, unit_code: str | None) -> None:
    """Execute the auditors' notebooks against the database and write each as HTML.

    The notebooks (reporting completeness, weekly bulletin, batch trace, duty and allowance,
    returnees) run
    in a Jupyter kernel on this Python with FANGYI_DB set to the database, read-only; the HTML is
    self-contained (charts and images embedded, no script from the network) and stamped with the
    latest check run's id and data SHA-256. Parameters not given keep the notebooks' defaults, which
    suit any database. OUT/index.html links the pages, each with its result summary.

    Example: fangyi report --db db/workbench.db --out report --week 2021-W04
    """
    params = {"week": _week(week) if week is not None else None, "trace_code": trace_code, "unit_code": unit_code}
    for option, value in (("--trace-code", trace_code), ("--unit-code", unit_code)):
        if value is not None and not value.strip():
            raise Failure(f"{option}: empty; give a code, or leave the option out for the notebook's default",
                          EXIT_USAGE)
    _require_db(db_path, "`fangyi ingest` and `fangyi check`")
    _output(out_dir, "report (--out)", folder=True)
    from fangyi.report import ReportError, build_report, check_parameters

    try:
        params = check_parameters(db_path, params)          # before any notebook runs
    except ReportError as exc:
        raise Failure(str(exc), EXIT_FINDINGS) from exc
    from nbclient.exceptions import CellExecutionError

    try:
        result = build_report(db_path, out_dir, params)
    except ReportError as exc:
        raise Failure(str(exc), EXIT_FINDINGS) from exc
    except CellExecutionError as exc:              # nbclient names the cell and the error
        raise click.ClickException(f"a notebook cell failed:\n{exc}") from exc
    except OSError as exc:
        raise _written(exc, out_dir, "report") from exc
    click.echo(f"check run {result.run_id}, data SHA-256 {result.data_sha256}")
    for nb in result.notebooks:
        click.echo(f"wrote {nb.html}")
    click.echo(f"wrote {result.index} (open this one: it links the pages above)")


def _not_made_by_demo(db_path: Path, out: Path) -> str | None:
    """Why db_path is not a database the demo made from `out` (None if it is, or is absent)."""
    import sqlite3

    from fangyi import db

    if not db_path.exists():
        return None
    try:
        conn = db.peek(db_path)
        try:
            paths = [p for (p,) in conn.execute("SELECT path FROM source_files")]
        finally:
            conn.close()
    except (sqlite3.Error, db.NotADatabase):
        return "is not a fangyi database"
    root = out.resolve()
    others = [p for p in paths if not Path(p).resolve().is_relative_to(root)]
    return f"holds files that are not demo data (e.g. {others[0]})" if others else None


def main() -> None:
    """The console script: the commands, a kind plug-in that cannot be loaded reported in a
    line, and anything unforeseen in a line too (a bug: FANGYI_DEBUG=1 shows its traceback)."""
    try:
        cli()
    except Exception as exc:
        failure = _failure(exc, None)
        if failure is not None:
            failure.show()
            sys.exit(failure.exit_code)
        if os.environ.get("FANGYI_DEBUG"):
            raise
        what = " ".join(str(exc).split())[:300]
        click.echo(f"Error: unexpected {type(exc).__name__}: {what}; this is a bug in fangyi, please report it "
                   "(run again with FANGYI_DEBUG=1 for the details)", err=True)
        sys.exit(EXIT_BUG)


if __name__ == "__main__":
    main()
