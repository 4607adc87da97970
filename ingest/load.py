"""Ingest files into the database: read -> find header -> normalise -> load, one transaction
per file, with provenance (source_files), rejected rows and not-data rows recorded."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import polars as pl

import db
from . import daily, parse, units
from .errors import IngestError
from .headers import SynonymTable, describe, find_header
from .read import Sheet, read_sheets
from .sheet import SheetContext, split

KINDS = {"units": units, "daily": daily}
INPUT_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


@dataclass
class FileReport:
    path: Path
    status: str = "loaded"             # loaded | unchanged | failed
    file_id: int | None = None
    kinds: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_not_data: int = 0
    rejections: list[tuple[str, int, str]] = field(default_factory=list)   # (sheet, row, reason)
    error: str | None = None

    def summary(self) -> str:
        if self.status == "failed":
            return f"{self.path}: FAILED: {self.error}"
        if self.status == "unchanged":
            return f"{self.path}: already ingested (file {self.file_id}), nothing added"
        sheets = f", {len(self.sheets)} sheets" if len(self.sheets) > 1 else ""
        return (f"{self.path}: {','.join(self.kinds)}{sheets}; {self.rows_read} rows read: "
                f"{self.rows_loaded} loaded, {self.rows_rejected} rejected, {self.rows_not_data} not data")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def expand(paths: Iterable[Path | str]) -> list[Path]:
    """Files as given, and the input files inside folders (sorted, temporary ~$ files skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES
                          and not f.name.startswith(("~$", ".")))
        else:
            out.append(p)
    return out


def _context(path: Path, sheet: Sheet, header_index: int) -> SheetContext:
    title = " ".join(str(v) for row in sheet.head[:header_index] for v in row if v)
    year = parse.find_year(title) or parse.find_year(sheet.name) or parse.find_year(path.name)
    sheet_date = parse.find_date(title, year) or parse.find_date(sheet.name, year)
    return SheetContext(str(path), sheet.name, title, sheet_date, year)


class _FileLoader:
    def __init__(self, conn: sqlite3.Connection, path: Path, report: FileReport):
        self.conn, self.path, self.report = conn, path, report

    def not_data(self, sheet: str, rows: list[tuple[int, str, str]]) -> None:
        self.conn.executemany(
            "INSERT INTO non_data_rows (file_id, sheet, row_number, role, raw) VALUES (?, ?, ?, ?, ?)",
            [(self.report.file_id, sheet, n, role, raw) for n, role, raw in rows])
        self.report.rows_not_data += len(rows)

    def head_rows(self, sheet: Sheet, end: int, role: str) -> list[tuple[int, str, str]]:
        out = []
        for i, row in enumerate(sheet.head[:end]):
            blank = all(v is None for v in row)
            out.append((i + 1, "blank" if blank else role, json.dumps(row, ensure_ascii=False)))
        return out

    def sheet(self, sheet: Sheet, header) -> None:
        report = self.report
        if header is None:
            rows = [(n, "blank" if role == "blank" else "unrecognised_sheet", raw)
                    for n, role, raw in self.head_rows(sheet, len(sheet.head), "unrecognised_sheet")]
            self.not_data(sheet.name, rows)
            report.rows_read += len(rows)
            return
        kind = KINDS[header.kind]
        if header.kind not in report.kinds:
            report.kinds.append(header.kind)
        ctx = _context(self.path, sheet, header.row_index)
        head = self.head_rows(sheet, header.row_index, "title")
        head += [(header.row_index + k + 1, "header", json.dumps(sheet.head[header.row_index + k], ensure_ascii=False))
                 for k in range(header.height)]
        self.not_data(sheet.name, head)
        report.rows_read += len(head)
        width = max(len(r) for r in sheet.head)
        specs = kind.specs(ctx)
        columns = kind.COLUMNS + ["file_id", "sheet", "row_number"]
        insert = (f"INSERT INTO {kind.TABLE} ({', '.join(columns)}) "
                  f"VALUES ({', '.join('?' * len(columns))})")
        for batch in sheet.body(header.first_data_index, width):
            report.rows_read += batch.height
            parsed, not_data = split(batch, header, specs, kind.LABEL_FIELD)
            self.not_data(sheet.name, not_data.select("_row", "_role", "_raw").rows())
            out = kind.finish(parsed, ctx)
            good = out.filter(pl.col("_reason").is_null())
            self.conn.executemany(insert, good.select(
                *kind.COLUMNS, file_id=pl.lit(report.file_id), sheet=pl.lit(sheet.name),
                row_number="_row").iter_rows())
            report.rows_loaded += good.height
            bad = out.filter(pl.col("_reason").is_not_null()).select("_row", "_column", "_raw", "_reason")
            self.conn.executemany(
                "INSERT INTO rejected_rows (file_id, sheet, row_number, kind, column_name, raw, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(report.file_id, sheet.name, n, header.kind, col, raw, reason) for n, col, raw, reason in bad.rows()])
            report.rows_rejected += bad.height
            report.rejections += [(sheet.name, n, reason) for n, _, _, reason in bad.rows()]


def ingest_file(conn: sqlite3.Connection, path: Path, synonyms: SynonymTable,
                kind: str | None = None) -> FileReport:
    """Load one file in one transaction; raises IngestError (and leaves the database as it
    was) when the file cannot be read at all."""
    report = FileReport(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    digest = sha256(path)
    known = conn.execute("SELECT file_id FROM source_files WHERE sha256 = ?", (digest,)).fetchone()
    if known:
        report.status, report.file_id = "unchanged", known[0]
        return report
    sheets = read_sheets(path)
    kinds = [kind] if kind else list(KINDS)
    headers = [find_header(s.head, synonyms, kinds) for s in sheets]
    if not any(headers):
        expected = "; ".join(f"{k}: {describe(k)}" for k in kinds)
        raise IngestError(path, f"no sheet has a recognisable header (expected columns such as {expected})")
    report.sheets = [s.name for s in sheets]
    conn.execute("BEGIN")
    try:
        cur = conn.execute(
            "INSERT INTO source_files (path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected, "
            "rows_not_data, ingested_at) VALUES (?, ?, '', ?, 0, 0, 0, 0, ?)",
            (str(path), digest, json.dumps(report.sheets, ensure_ascii=False),
             dt.datetime.now().isoformat(timespec="seconds")))
        report.file_id = cur.lastrowid
        loader = _FileLoader(conn, path, report)
        for sheet, header in zip(sheets, headers):
            loader.sheet(sheet, header)
        conn.execute(
            "UPDATE source_files SET kind = ?, rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
            "rows_not_data = ? WHERE file_id = ?",
            (",".join(report.kinds), report.rows_read, report.rows_loaded, report.rows_rejected,
             report.rows_not_data, report.file_id))
        conn.execute("COMMIT")
    except BaseException as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, IngestError) or not isinstance(exc, Exception):
            raise
        raise IngestError(path, f"{type(exc).__name__}: {exc}") from exc
    finally:
        for s in sheets:
            getattr(s, "cleanup", lambda: None)()
    return report


def ingest(db_path: Path | str, paths: Iterable[Path | str], kind: str | None = None,
           header_synonyms: dict | None = None, unit_aliases: dict | None = None) -> list[FileReport]:
    """Ingest files and folders; one FileReport per file, failures included (never raised).

    header_synonyms: extra synonyms {kind: {field: [words]}}; unit_aliases: {unit_code: [names]}.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    synonyms = SynonymTable(header_synonyms)
    conn = db.connect(db_path)
    reports = []
    try:
        for path in expand(paths):
            try:
                reports.append(ingest_file(conn, path, synonyms, kind))
            except IngestError as exc:
                reports.append(FileReport(path, status="failed", error=str(exc)))
        db.rebuild_unit_keys(conn, unit_aliases)
    finally:
        conn.close()
    return reports
