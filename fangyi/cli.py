"""The `fangyi` command: thin wrappers over the library functions."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from fangyi.checks import DEFAULT_DOCS
from fangyi.db import DEFAULT_DB

from . import settings as settings_mod

DB_OPTION = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
                         default=DEFAULT_DB, show_default=True, help="SQLite database file.")


@click.group()
@click.option("--settings", "settings_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Settings file (default: $FANGYI_SETTINGS, else ./fangyi.toml).")
@click.pass_context
def cli(ctx: click.Context, settings_path: Path | None) -> None:
    """fangyi (防疫): ingest, check and publish community epidemic-prevention records."""
    try:
        ctx.obj = settings_mod.load(settings_path)
    except settings_mod.SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@DB_OPTION
@click.option("--kind", type=click.Choice(["units", "daily"]), default=None,
              help="Read every sheet as this kind (default: detect from the headers).")
@click.option("--show-rejected", default=5, show_default=True,
              help="How many rejected rows to list per file.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def ingest(settings, db_path: Path, kind: str | None, show_rejected: int, paths: tuple[Path, ...]) -> None:
    """Load CSV/XLSX files or folders into the database.

    Prints, per file, what was loaded, rejected and recognised as not data. Exits 0 even when
    rows were rejected, 1 when a file could not be read at all (that file adds nothing).

    Example: fangyi ingest --db db/workbench.db demo/data/units demo/data/daily
    """
    from fangyi.ingest.load import ingest as run_ingest

    reports = run_ingest(db_path, paths, kind=kind, header_synonyms=settings.header_synonyms,
                         unit_aliases=settings.unit_aliases)
    if not reports:
        raise click.ClickException("no input files found in " + ", ".join(map(str, paths)))
    if _print_reports(reports, show_rejected):
        sys.exit(1)


def _print_reports(reports, show_rejected: int) -> int:
    """Print what happened to each file; return the number of files that failed."""
    for report in reports:
        click.echo(report.summary(), err=report.status == "failed")
        for sheet, row, reason in report.rejections[:show_rejected]:
            where = f"sheet {sheet!r} row {row}" if sheet else f"row {row}"
            click.echo(f"    rejected {where}: {reason}")
        if len(report.rejections) > show_rejected:
            click.echo(f"    ... {len(report.rejections) - show_rejected} more in table rejected_rows")
    failed = sum(r.status == "failed" for r in reports)
    loaded = sum(r.rows_loaded for r in reports)
    click.echo(f"{len(reports)} files: {loaded} rows loaded, "
               f"{sum(r.rows_rejected for r in reports)} rejected, {failed} files failed")
    return failed


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
    from fangyi.checks.run import run_checks

    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no such database; run `fangyi ingest` first")
    result = run_checks(db_path, settings, gx=gx, docs_dir=docs_dir)
    _print_check(result, db_path, docs_dir if gx else None)
    if result.failed(fail_on):
        sys.exit(1)


def _print_check(result, db_path: Path, docs_dir: Path | None) -> None:
    from fangyi.checks import BY_ID

    start, end = result.period
    click.echo(f"check run {result.run_id} on {db_path}, period {start} to {end}")
    for check_id, n in result.counts.items():
        c = BY_ID[check_id]
        click.echo(f"  {n:5d}  {c.severity:7s}  {check_id:26s} {c.meaning}")
    s = result.by_severity
    click.echo(f"{s['error']} errors, {s['warning']} warnings, {s['info']} info; details in findings")
    if docs_dir is not None:
        agree = result.gx_counts == result.counts
        click.echo(f"Great Expectations: {'all expectations met' if result.gx_success else 'expectations failed'}"
                   f"; {'agrees' if agree else 'DISAGREES'} with the findings; Data Docs: {docs_dir / 'index.html'}")
        if not agree:
            raise click.ClickException(f"GX counts {result.gx_counts} differ from findings {result.counts}")


@cli.command()
@DB_OPTION
@click.option("--week", required=True, help="ISO week, e.g. 2021-W03.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the Markdown here instead of standard output.")
@click.pass_obj
def bulletin(settings, db_path: Path, week: str, out: Path | None) -> None:
    """Write the weekly bulletin (一周一通報) as Markdown: reporting and on-time rates,
    the ranking of towns, units with missed or late reports, silent streaks.

    Example: fangyi bulletin --db db/workbench.db --week 2021-W03 --out bulletin-2021-W03.md
    """
    from fangyi.checks.bulletin import BulletinError, weekly_bulletin

    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no such database; run `fangyi ingest` first")
    try:
        text = weekly_bulletin(db_path, week, settings)
    except BulletinError as exc:
        raise click.ClickException(str(exc)) from exc
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)


@cli.command()
@DB_OPTION
@click.option("--port", default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(db_path: Path, port: int, host: str) -> None:
    """Serve the database with Datasette and metadata.yml.

    Example: fangyi serve --db db/workbench.db --port 8001
    """
    from .serve import serve as run_serve

    if not db_path.exists():
        raise click.ClickException(f"{db_path}: no such database; run `fangyi ingest` first")
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
    from fangyi.checks.run import run_checks
    from fangyi.ingest.load import ingest as run_ingest

    from . import demo as demo_mod
    from .serve import serve as run_serve

    manifest = demo_mod.generate(out)
    click.echo(f"demo data: {len(manifest['files'])} files in {out}")
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    reports = run_ingest(db_path, [out], header_synonyms=settings.header_synonyms,
                         unit_aliases=settings.unit_aliases)
    if _print_reports(reports, 3):
        raise click.ClickException("the demo data did not ingest cleanly")
    _print_check(run_checks(db_path, settings, gx=True, docs_dir=DEFAULT_DOCS), db_path, DEFAULT_DOCS)
    if not no_serve:
        click.echo(f"serving {db_path} at http://127.0.0.1:{port}/")
        sys.exit(run_serve(db_path, port=port))


if __name__ == "__main__":
    cli()
