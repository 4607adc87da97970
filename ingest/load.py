"""Ingest files into the database: read -> find header -> normalise -> load, one transaction
per file, with provenance (source_files), rejected rows and not-data rows recorded."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import polars as pl

from fangyi import db
from . import daily, parse, units
from .errors import IngestError
from .headers import SynonymTable, describe, find_header
from .read import Sheet, read_sheets
from .sheet import SheetContext, raw_json, split

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
    """Writes one file's rows through a bulk (ADBC) cursor, inside the caller's transaction."""

    def __init__(self, cursor, path: Path, report: FileReport):
        self.cursor, self.path, self.report = cursor, path, report

    def not_data(self, sheet: str, rows: pl.DataFrame) -> None:
        """rows: _row, _role, _raw."""
        db.append(self.cursor, "non_data_rows", rows.select(
            file_id=pl.lit(self.report.file_id, pl.Int64), sheet=pl.lit(sheet),
            row_number="_row", role="_role", raw="_raw"))
        self.report.rows_not_data += rows.height

    def head_rows(self, sheet: Sheet, start: int, end: int, role: str) -> pl.DataFrame:
        rows = sheet.head[start:end]
        return pl.DataFrame({
            "_row": list(range(start + 1, start + len(rows) + 1)),
            "_role": ["blank" if all(v is None for v in r) else role for r in rows],
            "_raw": [json.dumps(r, ensure_ascii=False) for r in rows],
        }, schema={"_row": pl.Int64, "_role": pl.String, "_raw": pl.String})

    def sheet(self, sheet: Sheet, header) -> None:
        report = self.report
        if header is None:
            rows = self.head_rows(sheet, 0, len(sheet.head), "unrecognised_sheet")
            self.not_data(sheet.name, rows)
            report.rows_read += rows.height
            return
        kind = KINDS[header.kind]
        if header.kind not in report.kinds:
            report.kinds.append(header.kind)
        ctx = _context(self.path, sheet, header.row_index)
        head = pl.concat([self.head_rows(sheet, 0, header.row_index, "title"),
                          self.head_rows(sheet, header.row_index, header.first_data_index, "header")])
        self.not_data(sheet.name, head)
        report.rows_read += head.height
        fields = {name: " ".join(header.texts[col].split()) for col, name in sorted(header.fields.items())}
        self.cursor.execute(
            "INSERT INTO source_sheets (file_id, sheet, kind, header_row, header_rows, fields) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (report.file_id, sheet.name, header.kind, header.row_index + 1, header.height,
             json.dumps(fields, ensure_ascii=False)))
        width = max(len(r) for r in sheet.head)
        specs = kind.specs(ctx)

        def prepare(batch: pl.DataFrame):
            cells = sum(c.startswith("c") for c in batch.columns)    # wider than the head if ragged
            parsed, not_data = split(batch, header, specs, kind.LABEL_FIELD)
            out = kind.finish(parsed, ctx)
            good = out.filter(pl.col("_reason").is_null()).select(
                *kind.COLUMNS, file_id=pl.lit(report.file_id, pl.Int64), sheet=pl.lit(sheet.name),
                row_number="_row")
            bad = out.filter(pl.col("_reason").is_not_null()).select(
                file_id=pl.lit(report.file_id, pl.Int64), sheet=pl.lit(sheet.name), row_number="_row",
                kind=pl.lit(header.kind), column_name="_column", raw=raw_json(header, cells),
                reason="_reason")
            return batch.height, good, bad, not_data

        # Parsing the next chunk (polars, off the GIL) overlaps with writing this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = None
            for batch in sheet.body(header.first_data_index, width):
                ahead = pool.submit(prepare, batch)
                if pending is not None:
                    self.write(kind, sheet.name, *pending.result())
                pending = ahead
            if pending is not None:
                self.write(kind, sheet.name, *pending.result())

    def write(self, kind, sheet: str, height: int, good: pl.DataFrame, bad: pl.DataFrame,
              not_data: pl.DataFrame) -> None:
        report = self.report
        report.rows_read += height
        self.not_data(sheet, not_data)
        db.append(self.cursor, kind.TABLE, good)
        report.rows_loaded += good.height
        db.append(self.cursor, "rejected_rows", bad)
        report.rows_rejected += bad.height
        report.rejections += [(sheet, n, reason) for n, reason in bad.select("row_number", "reason").rows()]


def ingest_file(conn, path: Path, synonyms: SynonymTable, kind: str | None = None) -> FileReport:
    """Load one file in one transaction of the bulk connection `conn`; raises IngestError (and
    leaves the database as it was) when the file cannot be read at all."""
    report = FileReport(path)
    if not path.is_file():
        raise IngestError(path, "no such file")
    digest = sha256(path)
    cur = conn.cursor()
    cur.execute("SELECT file_id FROM source_files WHERE sha256 = ?", (digest,))
    known = cur.fetchone()
    if known:
        report.status, report.file_id = "unchanged", known[0]
        return report
    sheets = read_sheets(path)
    try:
        kinds = [kind] if kind else list(KINDS)
        headers = [find_header(s.head, synonyms, kinds) for s in sheets]
        if not any(headers):
            expected = "; ".join(f"{k}: {describe(k)}" for k in kinds)
            raise IngestError(path, f"no sheet has a recognisable header (expected columns such as {expected})")
        report.sheets = [s.name for s in sheets]
        cur.execute(
            "INSERT INTO source_files (path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected, "
            "rows_not_data, ingested_at) VALUES (?, ?, '', ?, 0, 0, 0, 0, ?)",
            (str(path), digest, json.dumps(report.sheets, ensure_ascii=False),
             dt.datetime.now().isoformat(timespec="seconds")))
        cur.execute("SELECT last_insert_rowid()")
        report.file_id = cur.fetchone()[0]
        loader = _FileLoader(cur, path, report)
        for sheet, header in zip(sheets, headers):
            loader.sheet(sheet, header)
        cur.execute(
            "UPDATE source_files SET kind = ?, rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
            "rows_not_data = ? WHERE file_id = ?",
            (",".join(report.kinds), report.rows_read, report.rows_loaded, report.rows_rejected,
             report.rows_not_data, report.file_id))
        conn.commit()
    except BaseException as exc:
        conn.rollback()
        if isinstance(exc, IngestError) or not isinstance(exc, Exception):
            raise
        raise IngestError(path, f"{type(exc).__name__}: {exc}") from exc
    finally:
        for s in sheets:
            s.cleanup()
    return report


def ingest(db_path: Path | str, paths: Iterable[Path | str], kind: str | None = None,
           header_synonyms: dict | None = None, unit_aliases: dict | None = None) -> list[FileReport]:
    """Ingest files and folders; one FileReport per file, failures included (never raised).

    header_synonyms: extra synonyms {kind: {field: [words]}}; unit_aliases: {unit_code: [names]}.
    """
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    synonyms = SynonymTable(header_synonyms)
    db.connect(db_path).close()                  # creates the schema if needed
    reports = []
    conn = db.bulk_connect(db_path)
    try:
        for path in expand(paths):
            try:
                reports.append(ingest_file(conn, path, synonyms, kind))
            except IngestError as exc:
                reports.append(FileReport(path, status="failed", error=str(exc)))
    finally:
        conn.close()
    conn = db.connect(db_path)
    try:
        db.rebuild_unit_keys(conn, unit_aliases)
    finally:
        conn.close()
    return reports
