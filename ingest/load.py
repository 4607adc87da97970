"""Ingest files into the database: read -> recognise the kind of each sheet -> normalise ->
load, one transaction per file, with provenance (source_files, source_sheets), rejected rows and
not-data rows recorded. What a kind reads and writes comes from the kind registry (kinds.py);
nothing here knows a particular kind."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import queue
import re
import sqlite3
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import polars as pl

from fangyi import db
from . import kinds as registry
from . import parse
from .errors import IngestError, where as place_in
from .header_hint import no_header_reason
from .headers import SynonymTable, find_header
from .kinds import IngestOptions, SheetContext
from .read import Sheet, read_sheets
from .sheet import cap_rows, implausible, oversize, raw_json, split
from fangyi.keys import norm, strip_brackets

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
    reasons: Counter = field(default_factory=Counter)     # rejection reason, its cell left out -> rows
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    same_as: str | None = None         # unchanged: the path of the earlier file with the same content
    earlier_rejected: int = 0          # unchanged: the rows its earlier load rejected, when it loaded none

    def summary(self) -> str:
        if self.status == "failed":
            return f"{self.path}: 讀入失敗 / FAILED: {self.error}"
        if self.status == "unchanged" and self.same_as:
            return f"{self.path}: same content as {self.same_as} (file {self.file_id}), nothing added"
        if self.status == "unchanged" and self.nothing_loaded:
            return f"{self.path}: already ingested (file {self.file_id}), nothing added; {self.nothing_loaded}"
        if self.status == "unchanged":
            return f"{self.path}: already ingested (file {self.file_id}), nothing added"
        sheets = f", {len(self.sheets)} sheets" if len(self.sheets) > 1 else ""
        line = (f"{self.path}: {','.join(self.kinds)}{sheets}; {self.rows_read} rows read: "
                f"{self.rows_loaded} loaded, {self.rows_rejected} rejected, {self.rows_not_data} not data")
        return f"{line}; {self.nothing_loaded}" if self.nothing_loaded else line

    @property
    def nothing_loaded(self) -> str | None:
        """For a file that loaded no row and rejected some (an error of the run, exit 1): what
        is wrong, with the most common rejection reason and its rows; else None."""
        if self.status == "unchanged" and self.earlier_rejected:
            return (f"此文件已於 file {self.file_id} 讀入，當時 {self.earlier_rejected:,} 行全部被拒收，沒有載入任何一行；"
                    f"同一文件只讀一次：改了設置後，請用新的數據庫從頭讀入，或讀入改正後的文件 / NOTHING LOADED: its "
                    f"earlier ingest (file {self.file_id}) rejected all {self.earlier_rejected:,} rows (see rejected_rows); "
                    "a file is read once: after changing the settings, start over with a new database, or "
                    "ingest the corrected file")
        if self.status != "loaded" or self.rows_loaded or not self.rows_rejected:
            return None
        text = "沒有一行被載入，全部被拒收 / NOTHING LOADED: every data row was rejected"
        if self.reasons:
            reason, n = self.reasons.most_common(1)[0]
            text += f"; 最常見 / most common: {reason} ({n:,} rows)"
        return text


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


def _context(path: Path, sheet: Sheet, header, options: IngestOptions) -> SheetContext:
    title = " ".join(str(v) for row in sheet.head[:header.row_index] for v in row if v)
    year = parse.find_year(title) or parse.find_year(sheet.name) or parse.find_year(path.name)
    start, end = options.period_start, options.period_end
    if year is None and start and end and start.year == end.year:
        year = start.year          # 2月1日 in a form that writes no year: the year of the [period]
    sheet_date = parse.find_date(title, year) or parse.find_date(sheet.name, year)
    headers = {name: header.texts[col] for name, col in header.by_field().items() if col < len(header.texts)}
    return SheetContext(str(path), sheet.name, title, sheet_date, year, options, headers)


SHOWN_COLUMNS = 10      # the columns of a sheet a missing filter column's error lists


def _row_filters(kind: str, header, options: IngestOptions, path: Path | str = "",
                 sheet: str = "") -> list[tuple[int, set[str], str]]:
    """Settings' [filter.<kind>]: keep only rows whose column (a field name or a header text,
    matched as headers are: normalised, then without bracketed remarks) holds one of the listed
    values. [(column index, normalised values to keep, the rule as text)]. A filter column the
    sheet lacks is an IngestError naming the file, the sheet, the column and the sheet's columns:
    filtering nothing would load the rows the filter is there to keep out."""
    out = []
    texts = [norm(t) for t in header.texts]
    bare = [strip_brackets(t) for t in texts]
    for column, keep in (options.row_filters.get(kind) or {}).items():
        col = header.column_of(column)
        key = norm(column)
        if col is None and key:
            col = next((i for i, t in enumerate(texts) if t == key), None)
        if col is None and strip_brackets(key):
            col = next((i for i, t in enumerate(bare) if t and t == strip_brackets(key)), None)
        if col is None:
            shown = [" ".join(t.split()) for t in header.texts if t and t.strip()]
            more = f", … ({len(shown)} columns)" if len(shown) > SHOWN_COLUMNS else ""
            listed = ", ".join(shown[:SHOWN_COLUMNS]) + more if shown else "(none named)"
            raise IngestError(path, f"設置 [filter.{kind}] 的篩選列「{column}」不在此表中，此文件沒有讀入任何內容 "
                                    f"（表中的列：{listed}） / the [filter.{kind}] column {column!r} of the settings "
                                    f"is not in this sheet, so nothing of the file was loaded (the sheet's columns: "
                                    f"{listed}); fix the column name in the settings, or remove the filter",
                              sheet=sheet or None)
        out.append((col, {norm(v) for v in keep}, f"{column} = {' / '.join(keep)}"))
    return out


def _filtered(batch: pl.DataFrame, rules: list[tuple[int, set[str], str]]) -> pl.Series | None:
    """Per row: the rule that drops it, else null."""
    if not rules:
        return None
    reason = pl.lit(None, pl.String)
    for col, keep, text in reversed(rules):
        values = batch[f"c{col}"].unique().to_list()
        kept = [v for v in values if v is not None and norm(v) in keep]
        reason = pl.when(~pl.col(f"c{col}").is_in(kept) | pl.col(f"c{col}").is_null()) \
            .then(pl.lit(f"filtered out by the settings: {text}")).otherwise(reason)
    return batch.select(reason.alias("r")).to_series()


HASH_WHILE_READING = 64 << 20    # bytes: a file this big is hashed while it is read
AHEAD = 2          # items (chunks) each reading thread prepares ahead of the writer
READERS = 2        # threads reading and preparing files (on two cores: the writer binds without the GIL)

NAME_COLUMNS = ("unit_raw", "unit_code_raw", "parent_raw")    # how a row names its unit


class _Preparer:
    """Prepares one file's chunks, in the reading thread (see _ReadAhead): parsed, checked and
    split into the rows to load, to reject and to keep as not data; hashed for the file's
    content (ContentHash); the unit names numbered 1, 2, ... within the file (the writer adds
    the database's last name_id).

    Rows that name a unit (a `unit_raw` column) get a `name_id`: one unit_names row per distinct
    (table, sheet, unit as written, code as written, parent as written) of the file, which the
    check run resolves once instead of once per row."""

    def __init__(self, path: Path, options: IngestOptions):
        self.path, self.options = path, options
        self.content = ContentHash()
        self.next_name_id = 1
        self.name_ids: dict[tuple[str, str], pl.DataFrame] = {}     # (table, sheet) -> its names so far

    def with_name_ids(self, table: str, sheet: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """The frame with its `name_id`s, and the unit_names rows of the names new to the file
        (None when there are none). Called for the chunks in file order: ids follow first use."""
        if "unit_raw" not in frame.columns:
            return frame, None
        present = [c for c in NAME_COLUMNS if c in frame.columns]
        names = frame.select(present).unique(maintain_order=True)
        known = self.name_ids.get((table, sheet))       # name_id and the name columns, so far
        if known is not None:
            names = names.join(known, on=present, how="anti", nulls_equal=True, maintain_order="left")
        rows = None
        if names.height:
            first = self.next_name_id
            self.next_name_id += names.height
            names = names.with_columns(name_id=pl.int_range(first, self.next_name_id, dtype=pl.Int64))
            rows = names.with_columns(source_table=pl.lit(table), sheet=pl.lit(sheet))
            known = names if known is None else pl.concat([known, names])
            self.name_ids[(table, sheet)] = known
        if known is None:
            return frame.with_columns(name_id=pl.lit(None, pl.Int64)), None
        return frame.join(known, on=present, how="left", nulls_equal=True, maintain_order="left"), rows

    def chunks(self, sheet: Sheet, header) -> Iterator[tuple]:
        """The sheet's body, a chunk at a time: (rows span, rows read, rows loaded, new unit
        names, table -> rows to load, rejected rows, not-data rows); an exception names the rows."""
        kind = registry.get(header.kind)
        ctx = _context(self.path, sheet, header, self.options)
        width = max(len(r) for r in sheet.head)
        rules = _row_filters(kind.name, header, self.options, self.path, sheet.name)
        cap = self.options.max_cell_chars

        def prepare_rows(batch: pl.DataFrame):
            span = (batch["_row"][0], batch["_row"][-1]) if batch.height else None
            cells = sum(c.startswith("c") for c in batch.columns)    # wider than the head if ragged
            rows = batch.height
            batch, too_long = oversize(batch, header, cap)    # first: no parser sees a huge cell
            dropped = _filtered(batch, rules)
            filtered = None
            if dropped is not None:
                batch = batch.with_columns(_filter=dropped)
                filtered = batch.filter(pl.col("_filter").is_not_null()).select(
                    "_row", _role=pl.lit("filtered"), _raw=raw_json(header, cells), _note="_filter")
                batch = batch.filter(pl.col("_filter").is_null()).drop("_filter")
            parsed, not_data = split(batch, header, kind, ctx)
            if filtered is not None:
                not_data = pl.concat([not_data.with_columns(_note=pl.lit(None, pl.String)), filtered])
            out = implausible(kind.finish(parsed, ctx), header, kind, ctx)
            good = kind.outputs(out.filter(pl.col("_reason").is_null()), ctx)
            bad = out.filter(pl.col("_reason").is_not_null()).select(
                "_row", "_column", _raw=raw_json(header, cells), _reason="_reason")
            loaded = out.height - bad.height
            if too_long is not None:
                bad = pl.concat([bad, too_long]).sort("_row")
            bad = bad.select(sheet=pl.lit(sheet.name), row_number="_row",
                             kind=pl.lit(kind.name), column_name="_column", raw="_raw", reason="_reason")
            names = []
            for table, frame in good.items():      # chunks are prepared one at a time, in order
                self.content.add(table, *ContentHash.serialise(frame))
                good[table], new_names = self.with_name_ids(table, sheet.name, frame)
                if new_names is not None:
                    names.append(new_names)
            return span, rows, loaded, names, good, bad, not_data

        for batch in sheet.body(header.first_data_index, width):
            try:
                yield prepare_rows(batch)
            except BaseException as exc:
                if batch.height:
                    _locate(exc, rows=(batch["_row"][0], batch["_row"][-1]))
                raise


class _FileLoader:
    """Writes one file's prepared chunks (_Preparer) through a bulk (ADBC) cursor, inside the
    caller's transaction, with the file's id and its unit names' ids."""

    def __init__(self, cursor, path: Path, report: FileReport, options: IngestOptions,
                 run_deferred: dict[str, list[str]] | None = None):
        self.cursor, self.path, self.report, self.options = cursor, path, report, options
        cursor.execute("SELECT COALESCE(max(name_id), 0) FROM unit_names")
        self.name_base = cursor.fetchone()[0]        # added to the file's own name ids 1, 2, ...
        # Indexes of a table that was empty when the file began: dropped, and made again at the
        # end of the file's transaction (sorting once costs a third of keeping them row by row);
        # on a first load, at the end of the run (run_deferred, see ingest()).
        self.run_level = run_deferred is not None
        self.deferred: dict[str, list[str]] = {} if run_deferred is None else run_deferred
        # A warning every sheet of a workbook repeats (one sheet a day, the same header): said once,
        # for its first sheet, with how many more: (kind, column, fields) -> [index in warnings, sheets]
        self.shared_seen: dict[tuple, list[int]] = {}

    def shared_warning(self, kind, header, col: int, names: tuple[str, ...], sheet: str) -> None:
        key = (kind.name, " ".join(header.texts[col].split()), names)
        if key in self.shared_seen:
            self.shared_seen[key][1] += 1
            return
        self.shared_seen[key] = [len(self.report.warnings), 1]
        self.report.warnings.append(shared_column_warning(kind, header, col, names, sheet))

    def finish_warnings(self) -> None:
        for index, sheets in self.shared_seen.values():
            if sheets > 1:
                self.report.warnings[index] += (f"（另有 {sheets - 1} 個工作表相同 / and {sheets - 1} more sheets "
                                                "with the same column）")

    def restore_indexes(self) -> None:
        if self.run_level:
            return
        restore_indexes(self.cursor, self.deferred)

    def not_data(self, sheet: str, rows: pl.DataFrame) -> None:
        """rows: _row, _role, _raw, and optionally _note."""
        if not rows.height:         # most chunks of a town file: not a frame built for nothing
            return
        note = pl.col("_note") if "_note" in rows.columns else pl.lit(None, pl.String)
        db.append(self.cursor, "non_data_rows", rows.select(
            file_id=pl.lit(self.report.file_id, pl.Int64), sheet=pl.lit(sheet),
            row_number="_row", role="_role", raw="_raw", note=note))
        self.report.rows_not_data += rows.height

    def head_rows(self, sheet: Sheet, start: int, end: int, role: str) -> pl.DataFrame:
        rows = sheet.head[start:end]
        return pl.DataFrame({
            "_row": list(range(start + 1, start + len(rows) + 1)),
            "_role": ["blank" if all(v is None for v in r) else role for r in rows],
            "_raw": [json.dumps(r, ensure_ascii=False) for r in rows],
        }, schema={"_row": pl.Int64, "_role": pl.String, "_raw": pl.String})

    def sheet(self, sheet: Sheet, header, chunks: Iterable[tuple]) -> None:
        try:
            self._sheet(sheet, header, chunks)
        except BaseException as exc:
            _locate(exc, sheet=sheet.name or None)
            raise

    def _sheet(self, sheet: Sheet, header, chunks: Iterable[tuple]) -> None:
        report = self.report
        if header is None:
            rows = self.head_rows(sheet, 0, len(sheet.head), "unrecognised_sheet")
            self.not_data(sheet.name, rows)
            report.rows_read += rows.height
            return
        kind = registry.get(header.kind)
        if kind.name not in report.kinds:
            report.kinds.append(kind.name)
        ctx = _context(self.path, sheet, header, self.options)
        head = pl.concat([self.head_rows(sheet, 0, header.row_index, "title"),
                          self.head_rows(sheet, header.row_index, header.first_data_index, "header")])
        self.not_data(sheet.name, head)
        report.rows_read += head.height
        fields = {name: " ".join(header.texts[col].split()) for name, col in header.by_field().items()}
        for col, names in header.shared:
            self.shared_warning(kind, header, col, names, sheet.name)
        self.cursor.execute(
            "INSERT INTO source_sheets (file_id, sheet, kind, header_row, header_rows, fields, context) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (report.file_id, sheet.name, kind.name, header.row_index + 1, header.height,
             json.dumps(fields, ensure_ascii=False), ctx.text))
        loaded_before = report.rows_loaded + report.rows_rejected
        for prepared in chunks:
            self.write(sheet.name, *prepared)
        if report.rows_loaded + report.rows_rejected == loaded_before:
            where = f"sheet {sheet.name!r}" if sheet.name else "the file"
            report.warnings.append(f"{where} has a {kind.name} header (row {header.row_index + 1}) but no data rows")

    def write(self, sheet: str, span: tuple[int, int] | None, rows: int, loaded: int, names: list[pl.DataFrame],
              good: dict[str, pl.DataFrame], bad: pl.DataFrame, not_data: pl.DataFrame) -> None:
        try:
            self._write(sheet, rows, loaded, names, good, bad, not_data)
        except BaseException as exc:
            _locate(exc, rows=span)
            raise

    def _write(self, sheet: str, rows: int, loaded: int, names: list[pl.DataFrame], good: dict[str, pl.DataFrame],
               bad: pl.DataFrame, not_data: pl.DataFrame) -> None:
        report = self.report
        report.rows_read += rows
        self.not_data(sheet, not_data)
        file_id = pl.lit(report.file_id, pl.Int64)
        for frame in names:
            db.append(self.cursor, "unit_names", frame.with_columns(name_id=pl.col("name_id") + self.name_base,
                                                                    file_id=file_id))
        for table, frame in good.items():
            if table not in self.deferred:
                self.deferred[table] = db.drop_indexes_if_empty(self.cursor, table)
            if "name_id" in frame.columns:
                frame = frame.with_columns(name_id=pl.col("name_id") + self.name_base)
            db.append(self.cursor, table, frame.with_columns(
                file_id=file_id, sheet=pl.lit(sheet)).rename({"_row": "row_number"}))
        report.rows_loaded += loaded
        bad = bad.with_columns(file_id=file_id)
        db.append(self.cursor, "rejected_rows", bad)
        report.rows_rejected += bad.height
        report.rejections += [(sheet, n, reason) for n, reason in bad.select("row_number", "reason").rows()]
        if bad.height:
            for reason, n in bad.select(general_reason(pl.col("reason"))).to_series().value_counts().rows():
                report.reasons[reason] += n


def restore_indexes(cursor, deferred: dict[str, list[str]]) -> None:
    """Make again the indexes drop_indexes_if_empty dropped (and empty `deferred`)."""
    for statements in deferred.values():
        for sql in statements:
            cursor.execute(re.sub(r"^CREATE (UNIQUE )?INDEX (?!IF NOT EXISTS)", r"CREATE \1INDEX IF NOT EXISTS ", sql))
    deferred.clear()


def _restore_run_indexes(conn, deferred: dict[str, list[str]]) -> None:
    """A first load's indexes, made once at the end of the run in a transaction of their own.
    The statements are the registry's CREATE INDEX IF NOT EXISTS: made by a killed run's next
    writer (registry.create_tables) if this never runs, and harmless for an index that a rolled
    back file left in place."""
    if not any(deferred.values()):
        return
    cur = conn.cursor()
    try:
        db.begin_immediate(cur)
        try:
            restore_indexes(cur, deferred)
            cur.execute("COMMIT")
        except BaseException:
            _roll_back(conn)
            raise
    finally:
        _close(cur)


def general_reason(reason: pl.Expr) -> pl.Expr:
    """A rejection reason without the cell it quotes, so the rows rejected for one cause count
    together: "報告日期 (A): '2020-02-17 19:22:29.404' 無法讀作日期 / cannot read it as a date" ->
    "報告日期 (A): 無法讀作日期 / cannot read it as a date"."""
    return reason.str.replace(r"(?s): '.*' (無法讀作)", ": $1")


def shared_column_warning(kind, header, col: int, names: tuple[str, ...], sheet: str) -> str:
    """The warning for a column that several fields claim without the settings naming its header
    for all of them: all are filled from it."""
    from .sheet import column_label

    label = column_label(header, col)
    zh = "、".join(f"{kind.field(n).synonyms[0]}（{n}）" for n in names)
    en = ", ".join(names)
    place = f"工作表「{sheet}」" if sheet else ""
    where_en = f" of sheet {sheet!r}" if sheet else ""
    return (f"{place}列 {label} 同時匹配 {zh}，這些字段都從此列讀取；如確是此意，請在設置 [headers.{kind.name}] "
            f"中為每個字段都寫上此表頭，否則改正表頭 / the column {label}{where_en} matches {len(names)} fields, "
            f"{en}: all of them are filled from it; if that is meant, name this header for each of them under "
            f"[headers.{kind.name}] in the settings, else change the header")


def _record_failure(conn, path: Path, digest: str | None, error: str) -> None:
    """A file that could not be loaded is recorded, with its error, so the site shows it."""
    cur = conn.cursor()
    try:
        db.begin_immediate(cur)
        try:
            cur.execute(
                "INSERT INTO source_files (path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected, "
                "rows_not_data, ingested_at, status, error) VALUES (?, ?, '', '[]', 0, 0, 0, 0, ?, 'failed', ?)",
                (str(path), digest or "", _now(), error))
            cur.execute("COMMIT")
        except BaseException:
            try:
                _roll_back(conn)
            except Exception:
                pass
            raise
    finally:
        _close(cur)


def _close(cursor) -> None:
    try:
        cursor.close()
    except Exception:
        pass


def _roll_back(conn) -> None:
    """End the transaction a failure left open, if one is, on a cursor of its own: an ADBC
    cursor whose statement failed keeps that statement's parameters, so a ROLLBACK on it fails
    too ("parameter count mismatch"), and the transaction would stay open for the next file.
    Raises if the ROLLBACK fails for any other reason than there being no transaction."""
    cur = conn.cursor()
    try:
        cur.execute("ROLLBACK")
    except Exception as exc:
        if "no transaction is active" not in str(exc):
            raise
    finally:
        _close(cur)


def _recover(conn, db_path, first_load: bool):
    """After a file failed, whatever it raised: a connection with no transaction open. The same
    connection, rolled back; or, if that cannot be done, a new one (closing the old one rolls
    back whatever it held)."""
    try:
        _roll_back(conn)
        return conn
    except Exception:
        pass
    try:
        conn.close()
    except Exception:
        pass
    conn = db.bulk_connect(db_path)
    if first_load:           # as db.first_load() set it: the rollback journal's safe setting
        cur = conn.cursor()
        cur.execute("PRAGMA synchronous = FULL")
        _close(cur)
    return conn


def _locate(exc: BaseException, sheet: str | None = None, rows: tuple[int, int] | None = None) -> None:
    """Note on an exception where in the file it happened, for failure_reason: the sheet and the
    rows being read or written. The innermost place wins (noted first); an IngestError names its
    own place."""
    if isinstance(exc, (IngestError, KeyboardInterrupt, SystemExit)):
        return
    place = dict(getattr(exc, "_fangyi_place", None) or {})
    if sheet is not None:
        place.setdefault("sheet", sheet)
    if rows is not None:
        place.setdefault("rows", rows)
    try:
        exc._fangyi_place = place
    except (AttributeError, TypeError):
        pass


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


PROVENANCE = {"_row", "file_id", "sheet", "row_number", "name_id"}


class ContentHash:
    """SHA-256 over the rows a file loads, table by table in file order, without provenance
    (file, sheet, row number, name id): the same records re-encoded, re-saved as XLSX or with
    other line ends hash the same. Rows are serialised as CSV with every value quoted and NULL
    as a NUL character, which no cell can hold (so '' and NULL differ), in the parsing thread."""

    def __init__(self):
        self.tables: dict[str, "hashlib._Hash"] = {}

    @staticmethod
    def serialise(frame: pl.DataFrame) -> tuple[list[str], bytes | memoryview]:
        columns = sorted(c for c in frame.columns if c not in PROVENANCE)
        if not frame.height:
            return columns, b""
        buffer = io.BytesIO()
        frame.select(columns).write_csv(buffer, include_header=False, quote_style="always", null_value="\x00")
        return columns, buffer.getbuffer()      # hashed in place, not copied

    def add(self, table: str, columns: list[str], rows: bytes | memoryview) -> None:
        if not rows:
            return
        if table not in self.tables:
            self.tables[table] = hashlib.sha256(json.dumps(columns, ensure_ascii=False).encode())
        self.tables[table].update(rows)

    def hexdigest(self) -> str | None:
        if not self.tables:
            return None
        total = hashlib.sha256()
        for table in sorted(self.tables):
            total.update(f"{table}:{self.tables[table].hexdigest()}\n".encode())
        return total.hexdigest()


# A loaded file with these bytes (sha256): asked by the reading threads, before reading a file
LOADED_BEFORE = ("SELECT file_id, rows_loaded, rows_rejected FROM source_files "
                 "WHERE sha256 = ? AND status = 'loaded'")


@dataclass
class _Opened:
    """A file read up to its headers, in the reading thread; or why it could not be."""
    path: Path
    digest: str | None = None
    known: tuple | None = None      # a loaded file with the same bytes: (file_id, rows_loaded, rows_rejected)
    sheets: list[Sheet] = field(default_factory=list)
    headers: list = field(default_factory=list)
    preparer: _Preparer | None = None
    error: BaseException | None = None

    def cleanup(self) -> None:
        for s in self.sheets:
            s.cleanup()


def _open(path: Path, synonyms: SynonymTable, kind: str | None, options: IngestOptions,
          known_by: Callable[[str], tuple | None]) -> _Opened:
    """Hash the file; unless a loaded file has the same bytes (known_by(digest)), read its sheets
    up to their headers and find them. Raises IngestError for a file that is not what it should be."""
    if not path.is_file():
        raise IngestError(path, "沒有這個文件 / no such file")
    if path.stat().st_size < HASH_WHILE_READING:
        digest = sha256(path)
        known = known_by(digest)
        if known:
            return _Opened(path, digest, known)
        sheets = read_sheets(path)
    else:       # hashed while its encoding is checked: two passes over the file, on two cores
        with ThreadPoolExecutor(max_workers=1) as pool:
            hashing = pool.submit(sha256, path)
            sheets = read_sheets(path)
        try:
            digest = hashing.result()
            known = known_by(digest)
        except BaseException:
            _Opened(path, sheets=sheets).cleanup()
            raise
        if known:
            _Opened(path, sheets=sheets).cleanup()
            return _Opened(path, digest, known)
    opened = _Opened(path, digest, None, sheets)
    try:
        kinds = [kind] if kind else list(registry.all_kinds())
        for s in sheets:       # a title or header keeps only the start of a cell over the cap
            s.head = cap_rows(s.head, options.max_cell_chars)
        for s in sheets:
            try:
                opened.headers.append(find_header(s.head, synonyms, kinds))
            except BaseException as exc:
                _locate(exc, sheet=s.name)
                raise
        for s, header in zip(sheets, opened.headers):     # a filter column a data sheet lacks fails the file
            if header is not None:
                _row_filters(header.kind, header, options, path, s.name)
        if not any(opened.headers):    # the row tried, the headers not known, the settings line to add
            raise IngestError(path, no_header_reason(sheets, synonyms, kinds))
    except BaseException:
        opened.cleanup()
        raise
    opened.preparer = _Preparer(path, options)
    return opened


class _Skipped(Exception):
    """The writer gave up the file (it failed): its remaining chunks are not prepared."""


class _ReadAhead:
    """The run's files opened (_open) and their chunks prepared (_Preparer) in READERS threads,
    file i by thread i % READERS, each up to AHEAD items ahead of the writer: while one file is
    written the next ones are read. A province's 240 town files of one chunk each would
    otherwise be read and written by turns, and preparing a file takes longer than writing it.
    Per file i, the items are ("file", i, _Opened); then for each sheet with a header its
    ("chunk", i, prepared) items and ("sheet_end", i, None); an exception ends them early as
    ("error", i, exception); ("end", i, None) closes the file. The writer takes them, in file
    order, through _FileItems."""

    def __init__(self, files: list[Path], open_file: Callable[[Path], _Opened]):
        self.files, self.open_file = files, open_file
        n = max(1, min(READERS, len(files)))
        self.queues: list[queue.Queue] = [queue.Queue(maxsize=AHEAD) for _ in range(n)]
        self.skipped: set[int] = set()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(w,), name=f"fangyi-read-ahead-{w}", daemon=True)
                        for w in range(n)]
        for t in self.threads:
            t.start()

    def _put(self, *item) -> bool:
        out = self.queues[item[1] % len(self.queues)]
        while not self.stopping.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def _run(self, worker: int) -> None:
        for i in range(worker, len(self.files), len(self.queues)):
            path = self.files[i]
            try:
                opened = self.open_file(path)
            except BaseException as exc:      # the file's failure, reported by the writer
                opened = _Opened(path, error=exc)
            if not self._put("file", i, opened):
                opened.cleanup()
                return
            if opened.preparer is not None and not self._chunks(i, opened):
                return
            if not self._put("end", i, None):
                return

    def _chunks(self, i: int, opened: _Opened) -> bool:
        try:
            for sheet, header in zip(opened.sheets, opened.headers):
                if header is None:
                    continue
                for prepared in opened.preparer.chunks(sheet, header):
                    if i in self.skipped:
                        raise _Skipped
                    if not self._put("chunk", i, prepared):
                        return False
                if not self._put("sheet_end", i, None):
                    return False
        except _Skipped:
            pass
        except BaseException as exc:
            return self._put("error", i, exc)
        return True

    def take(self, i: int) -> tuple[str, object]:
        source, thread = self.queues[i % len(self.queues)], self.threads[i % len(self.queues)]
        while True:
            try:
                what, index, value = source.get(timeout=0.5)
            except queue.Empty:
                if not thread.is_alive() and source.empty():
                    raise RuntimeError("a reading thread stopped") from None
                continue
            if index != i:
                raise RuntimeError(f"a reading thread is at file {index}, the writer at {i}")
            return what, value

    def stop(self) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)
        for source in self.queues:
            while not source.empty():
                what, _, value = source.get_nowait()
                if what == "file":
                    value.cleanup()


class _FileItems:
    """The writer's view of one file's items of the _ReadAhead."""

    def __init__(self, ahead: _ReadAhead, index: int):
        self.ahead, self.index, self.ended = ahead, index, False

    def opened(self) -> _Opened:
        what, value = self.ahead.take(self.index)
        assert what == "file", what
        if value.error is not None:
            raise value.error
        return value

    def chunks(self) -> Iterator[tuple]:
        """One sheet's prepared chunks; the reading thread's exception is raised here."""
        while True:
            what, value = self.ahead.take(self.index)
            if what == "chunk":
                yield value
            elif what == "sheet_end":
                return
            elif what == "error":
                raise value
            else:
                self.ended = True
                raise RuntimeError(f"the reading thread ended the file early ({what})")

    def close(self) -> None:
        """Take the file's remaining items (none are prepared once it is skipped)."""
        if self.ended:
            return
        self.ahead.skipped.add(self.index)
        while self.ahead.take(self.index)[0] != "end":
            pass
        self.ended = True


def ingest_file(conn, path: Path, synonyms: SynonymTable, kind: str | None = None,
                options: IngestOptions | None = None,
                on_sheet: Callable[[int, int, str], None] | None = None,
                run_deferred: dict[str, list[str]] | None = None) -> FileReport:
    """Load one file in one transaction of the bulk connection `conn` (db.bulk_connect), taken
    with the write lock up front; raises (and leaves the database as it was, no transaction
    open) when the file cannot be read or loaded: IngestError for a file that is not what it
    should be. on_sheet(index, count, name) is called as each sheet's load begins."""
    options = options or IngestOptions()

    def known_by(digest: str) -> tuple | None:      # asked while this thread waits for the file
        c = conn.cursor()
        try:
            c.execute(LOADED_BEFORE, (digest,))
            return c.fetchone()
        finally:
            _close(c)

    ahead = _ReadAhead([path], lambda p: _open(p, synonyms, kind, options, known_by))
    try:
        return _ingest_next(conn, ahead, 0, options, on_sheet, run_deferred)
    finally:
        ahead.stop()


def _ingest_next(conn, ahead: _ReadAhead, index: int, options: IngestOptions,
                 on_sheet: Callable[[int, int, str], None] | None,
                 run_deferred: dict[str, list[str]] | None) -> FileReport:
    """The writer's part of ingest_file, for the index-th file of the read-ahead."""
    items = _FileItems(ahead, index)
    opened = None
    try:
        opened = items.opened()
        report = FileReport(opened.path)
        if opened.known:
            report.status, report.file_id = "unchanged", opened.known[0]
            if not opened.known[1]:
                report.earlier_rejected = opened.known[2] or 0
            return report
        report.sheets = [s.name for s in opened.sheets]
        cur = conn.cursor()
        try:
            db.begin_immediate(cur)
            try:
                # Another ingest may have loaded the same file while this one waited for the lock.
                cur.execute("SELECT file_id FROM source_files WHERE sha256 = ? AND status = 'loaded'",
                            (opened.digest,))
                known = cur.fetchone()
                if known:
                    cur.execute("ROLLBACK")
                    report.status, report.file_id = "unchanged", known[0]
                    return report
                _load(cur, opened, items, report, options, on_sheet, run_deferred)
                cur.execute("ROLLBACK" if report.status == "unchanged" else "COMMIT")
            except BaseException:
                try:
                    _roll_back(conn)   # not on `cur`: its failed statement may still hold it
                except Exception:
                    pass               # the caller makes sure (see ingest(): _recover)
                raise
        finally:
            _close(cur)
        return report
    finally:
        items.close()
        if opened is not None:
            opened.cleanup()


def _load(cur, opened: _Opened, items: _FileItems, report: FileReport, options: IngestOptions,
          on_sheet: Callable[[int, int, str], None] | None = None,
          run_deferred: dict[str, list[str]] | None = None) -> None:
    path, sheets = opened.path, opened.sheets
    cur.execute(
        "INSERT INTO source_files (path, sha256, kind, sheets, rows_read, rows_loaded, rows_rejected, "
        "rows_not_data, ingested_at, status) VALUES (?, ?, '', ?, 0, 0, 0, 0, ?, 'loaded')",
        (str(path), opened.digest, json.dumps(report.sheets, ensure_ascii=False), _now()))
    cur.execute("SELECT last_insert_rowid()")
    report.file_id = cur.fetchone()[0]
    loader = _FileLoader(cur, path, report, options, run_deferred)
    for index, (sheet, header) in enumerate(zip(sheets, opened.headers)):
        if on_sheet is not None:
            on_sheet(index, len(sheets), sheet.name)
        if sheet.written is not None:
            report.warnings.append(f"工作表名「{sheet.written}」重複，此表讀作「{sheet.name}」 / another sheet of the "
                                   f"file is named {sheet.written!r} too: this one is read as {sheet.name!r}")
        loader.sheet(sheet, header, items.chunks() if header is not None else ())
    loader.restore_indexes()
    loader.finish_warnings()
    content = opened.preparer.content.hexdigest() if report.rows_loaded else None
    if content:
        cur.execute("SELECT file_id, path FROM source_files WHERE content_sha256 = ? AND status = 'loaded'",
                    (content,))
        same = cur.fetchone()
        if same:
            report.status, report.file_id, report.same_as = "unchanged", same[0], same[1]
            return
    # a file that loaded nothing says so in its record too (the summary line says it in the run)
    notes = report.warnings + ([report.nothing_loaded] if report.nothing_loaded else [])
    cur.execute(
        "UPDATE source_files SET kind = ?, rows_read = ?, rows_loaded = ?, rows_rejected = ?, "
        "rows_not_data = ?, warnings = ?, content_sha256 = ? WHERE file_id = ?",
        (",".join(report.kinds), report.rows_read, report.rows_loaded, report.rows_rejected,
         report.rows_not_data, json.dumps(notes, ensure_ascii=False) if notes else None,
         content, report.file_id))


def failure_reason(path: Path, exc: BaseException) -> str:
    """One line a person understands, naming the file: why it could not be loaded."""
    place = getattr(exc, "_fangyi_place", None) or {}
    at = f"{path}{place_in(place.get('sheet'), place.get('rows'))}"     # where it happened, if known
    if isinstance(exc, IngestError):
        text = str(exc)
    elif isinstance(exc, MemoryError):
        text = f"{at}: 讀取時內存不足（文件是否遠大於其中的數據？） / ran out of memory while reading it (is it far larger than its data?)"
    elif type(exc).__name__ == "PanicException":
        text = f"{at}: 讀取程序崩潰，文件已損壞或格式特殊 / the file reader crashed on it ({exc}); the file is damaged or unusual"
    elif db.is_locked(exc):
        text = (f"{path}: 數據庫被另一個寫入進程鎖定超過 {db.BUSY_TIMEOUT_MS // 1000} 秒，請等它結束後重試 / "
                f"the database stayed locked by another writer for more than "
                f"{db.BUSY_TIMEOUT_MS // 1000} s; try again when it has finished")
    elif isinstance(exc, RecursionError):
        text = f"{at}: 嵌套太深，無法讀取 / nested too deeply to read"
    else:
        what = str(exc) or type(exc).__name__
        text = (f"{at}: 讀入時發生意外錯誤，此文件沒有任何內容被讀入 / "
                f"unexpected error while loading it ({type(exc).__name__}: {what}); nothing of it was loaded")
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:497] + "..."


class DiskFull(db.DiskFullError):
    """Raised by ingest(): the run stopped at a full disk; `reports` holds the files before."""

    def __init__(self, message: str, reports: list[FileReport]):
        super().__init__(message)
        self.reports = reports


def _disk_full(db_path, path: Path, reports: list[FileReport]) -> DiskFull:
    return DiskFull(f"{db_path}: database or disk is full while loading {path}; nothing of that file was "
                    f"written and the files before it are kept; free some space and run the ingest again", reports)


def ingest(db_path: Path | str, paths: Iterable[Path | str], kind: str | None = None,
           options: IngestOptions | None = None) -> list[FileReport]:
    """Ingest files and folders; one FileReport per file, failures included (never raised).
    A file that fails, whatever it raises (native-code panics included; only KeyboardInterrupt
    and SystemExit pass), adds nothing but a source_files row with its error, and the run goes
    on. A full disk stops the run: DiskFull is raised, with the reports of the files before.

    options: what the settings change about reading (extra header synonyms, level words, row
    filters, plausible values); see kinds.IngestOptions.
    """
    if kind is not None:
        registry.get(kind)                       # raises on an unknown kind
    options = options or IngestOptions()
    synonyms = SynonymTable(options.header_synonyms)
    reports: list[FileReport] = []
    try:
        conn = db.connect(db_path)               # creates or migrates the schema if needed
        try:
            registry.create_tables(conn)         # and the tables of every kind, as declared
        finally:
            conn.close()
    except BaseException as exc:
        if db.is_disk_full(exc):
            raise DiskFull(f"{db_path}: database or disk is full; nothing was loaded", reports) from exc
        raise
    files = expand(paths)
    progress = _progress(files)
    conn = db.bulk_connect(db_path)
    first_load = False
    # On a first load, the indexes of the kinds' tables are made once, after the last file, not
    # at the end of each (a province's 240 town files would otherwise each insert into indexed
    # tables): table -> the statements that make them again.
    run_deferred: dict[str, list[str]] | None = None
    reader = ahead = None
    try:
        first_load = db.first_load(conn.cursor())      # a new database: written once, not via the WAL
        run_deferred = {} if first_load else None
        reader = _KnownFiles(db_path)        # opened after first_load(): it switches only a lone connection
        ahead = _ReadAhead(files, lambda p: _open(p, synonyms, kind, options, reader.known))
        for index, path in enumerate(files):
            bar = _FileBar(progress, path)
            try:
                reports.append(_ingest_next(conn, ahead, index, options, bar.sheet, run_deferred))
                bar.done()
                continue
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                if db.is_disk_full(exc):
                    raise _disk_full(db_path, path, reports) from exc
                error = failure_reason(path, exc)
            # Whatever failed, and wherever: no transaction is left open for the next file.
            conn = _recover(conn, db_path, first_load)
            report = FileReport(path, status="failed", error=error)
            try:
                digest = sha256(path)
            except (OSError, MemoryError):
                digest = None
            try:
                _record_failure(conn, path, digest, error)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                if db.is_disk_full(exc):
                    reports.append(report)
                    raise _disk_full(db_path, path, reports) from exc
                report.error += f" (and the failure could not be recorded: {failure_reason(path, exc)})"
            reports.append(report)
            bar.done()
        if run_deferred:
            _restore_run_indexes(conn, run_deferred)
    finally:
        if ahead is not None:
            ahead.stop()
        if reader is not None:
            reader.close()          # before back_to_wal(), which needs the only connection
        progress.close()
        if first_load:
            db.back_to_wal(conn.cursor())
        conn.close()
    return reports


class _KnownFiles:
    """The reading thread's own read-only connection: is a file with these bytes loaded? (So an
    ingested folder's old files are not read again.) Any failure answers no: the writer asks
    again under the write lock."""

    def __init__(self, db_path: Path | str):
        self.db_path, self.conn = db_path, None
        self.lock = threading.Lock()

    def known(self, digest: str) -> tuple | None:
        with self.lock:             # the reading threads share the connection
            return self._known(digest)

    def _known(self, digest: str) -> tuple | None:
        try:
            if self.conn is None:
                self.conn = sqlite3.connect(f"file:{Path(self.db_path).resolve()}?mode=ro", uri=True,
                                            timeout=db.BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                            check_same_thread=False)
            return self.conn.execute(LOADED_BEFORE, (digest,)).fetchone()
        except sqlite3.Error:
            return None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _FileBar:
    """One file's part of the run's bar: its name, and for a workbook of several sheets which
    sheet of how many is being loaded, the bar moving on by the file's bytes shared out over
    its sheets (a workbook of 1,000 sheets takes a while)."""

    def __init__(self, progress, path: Path):
        self.progress, self.path, self.size, self.shown = progress, path, _size(path), 0
        progress.set_description_str(f"ingest: {path.name}")

    def sheet(self, index: int, count: int, name: str) -> None:
        """Sheet `index` (0-based) of `count` starts."""
        if count < 2:
            return
        name = name if len(name) <= 30 else name[:29] + "…"
        self.progress.set_description_str(f"ingest: {self.path.name}: sheet {index + 1}/{count} {name}",
                                          refresh=False)
        self.advance(self.size * index // count)

    def advance(self, to: int) -> None:
        if to > self.shown:
            self.progress.update(to - self.shown)      # redraws at most every 0.1 s
            self.shown = to

    def done(self) -> None:
        self.advance(self.size)


def _progress(files: list[Path]):
    """A bar over the bytes of the files, with the time left, on a terminal only (not in CI)."""
    import sys

    from tqdm import tqdm

    total = sum(_size(p) for p in files)
    return tqdm(total=total, unit="B", unit_scale=True, leave=False, disable=not sys.stderr.isatty(),
                bar_format="{desc}: {percentage:3.0f}% of {total_fmt} [{elapsed}<{remaining}]")
