"""Reading input files into sheets of text cells.

XLSX/XLS/ODS are read with calamine (python-calamine), every cell turned into text here, so
that no type inference loses a leading zero or a date. CSV encodings are detected (UTF-8,
UTF-8 with BOM, UTF-16 with BOM, else GB18030); the body of a CSV is streamed in chunks by
polars with every column as text.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import polars as pl
import python_calamine

from .errors import IngestError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
HEAD_ROWS = 40            # rows read up front to find the header
CHUNK_ROWS = 200_000      # rows per streamed chunk of a CSV body


@dataclass
class Sheet:
    """One sheet (or a CSV file): its first rows, and a way to stream the body after the header.

    `body(start, width)` yields polars frames with text columns c0..c{width-1} and `_row`, the
    1-based row number in the sheet, for every row from the 0-based index `start` on.
    """
    name: str
    head: list[list[str | None]]
    body: Callable[[int, int], Iterator[pl.DataFrame]]
    cleanup: Callable[[], None] = lambda: None      # removes a temporary transcoded copy


def cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def grid_frame(rows: list[list[str | None]], first_row_number: int, width: int) -> pl.DataFrame:
    padded = [(list(r) + [None] * width)[:width] for r in rows]
    columns = {f"c{i}": [r[i] for r in padded] for i in range(width)}
    columns["_row"] = list(range(first_row_number, first_row_number + len(rows)))
    return pl.DataFrame(columns, schema={**{f"c{i}": pl.String for i in range(width)}, "_row": pl.Int64})


def _grid_sheet(name: str, rows: list[list[str | None]]) -> Sheet:
    def body(start: int, width: int) -> Iterator[pl.DataFrame]:
        overflow = [r for r in rows[start:] if any(v is not None for v in r[width:])]
        if overflow:
            width = max(len(r) for r in rows)
        yield grid_frame(rows[start:], start + 1, width)
    return Sheet(name, rows, body)


def read_workbook(path: Path) -> list[Sheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in book.sheet_names:
            raw = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            rows = [[cell_text(v) for v in r] for r in raw]
            while rows and all(v is None for v in rows[-1]):
                rows.pop()
            sheets.append(_grid_sheet(name, rows))
        return sheets
    except IngestError:
        raise
    except Exception as exc:   # calamine raises its own types for zip, xml and format errors
        raise IngestError(path, f"not a readable spreadsheet ({type(exc).__name__}: {exc})") from exc


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as f:
        start = f.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := f.read(1 << 22):
                if b"\x00" in chunk:
                    raise IngestError(path, "not a CSV or spreadsheet file (binary content)")
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        f.seek(0)
        decoder = codecs.getincrementaldecoder("gb18030")()
        try:
            while chunk := f.read(1 << 22):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "gb18030"
        except UnicodeDecodeError as exc:
            raise IngestError(path, "cannot decode as UTF-8 or GB18030") from exc


class _LineCounter:
    """Wraps a text stream for csv.reader and counts the physical lines it consumed."""

    def __init__(self, stream):
        self.stream, self.lines = stream, 0

    def __iter__(self):
        return self

    def __next__(self):
        line = self.stream.readline()
        if not line:
            raise StopIteration
        self.lines += 1
        return line


def read_csv(path: Path) -> list[Sheet]:
    encoding = detect_encoding(path)
    utf8_path = path
    if encoding in ("gb18030", "utf-16"):
        # polars reads only UTF-8: transcode to a temporary file, streaming.
        tmp = tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False)
        with open(path, encoding=encoding, newline="") as src, tmp:
            writer = codecs.getwriter("utf-8")(tmp)
            while chunk := src.read(1 << 20):
                writer.write(chunk)
        utf8_path = Path(tmp.name)

    with open(utf8_path, encoding="utf-8-sig", newline="") as f:
        sample = f.read(1 << 16)
    delimiter = max(",\t;", key=sample.count)   # the commonest candidate in the first 64 KB

    head: list[list[str | None]] = []
    head_lines: list[int] = []    # physical lines consumed after each head record
    with open(utf8_path, encoding="utf-8-sig", newline="") as f:
        counter = _LineCounter(f)
        reader = csv.reader(counter, delimiter=delimiter)
        for record in reader:
            head.append([v if v.strip() else None for v in record])
            head_lines.append(counter.lines)
            if len(head) >= HEAD_ROWS:
                break

    def body(start: int, width: int) -> Iterator[pl.DataFrame]:
        done = 0
        try:
            for batch in _polars_body(utf8_path, start, width, head_lines, delimiter):
                done += batch.height
                yield batch
        except pl.exceptions.PolarsError:
            # ragged lines (more fields than the header): the csv module takes over where
            # polars stopped, so no row is read twice or lost
            yield from _python_body(utf8_path, start + done, delimiter)

    cleanup = (lambda: os.unlink(utf8_path)) if utf8_path is not path else (lambda: None)
    return [Sheet("", head, body, cleanup)]


def _polars_body(path: Path, start: int, width: int, head_lines: list[int], delimiter: str):
    if start > len(head_lines):
        return
    skip = head_lines[start - 1] if start > 0 else 0
    lf = pl.scan_csv(
        path, has_header=False, separator=delimiter, skip_lines=skip, infer_schema=False,
        schema={f"c{i}": pl.String for i in range(width)}, encoding="utf8",
        row_index_name="_row", row_index_offset=start + 1,
    )
    for batch in lf.collect_batches(chunk_size=CHUNK_ROWS):
        yield batch.with_columns(pl.col("_row").cast(pl.Int64)).select(
            [f"c{i}" for i in range(width)] + ["_row"])


def _python_body(path: Path, start: int, delimiter: str):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = [[v if v.strip() else None for v in r] for r in csv.reader(f, delimiter=delimiter)]
    width = max((len(r) for r in rows), default=0)
    for offset in range(start, len(rows), CHUNK_ROWS):
        yield grid_frame(rows[offset:offset + CHUNK_ROWS], offset + 1, width)


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of a file, by its extension, else by its first bytes."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise IngestError(path, f"cannot open ({exc.strerror})") from exc
    if suffix in SPREADSHEET_SUFFIXES or magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return read_workbook(path)
    if suffix in TEXT_SUFFIXES or not magic:
        return read_csv(path)
    raise IngestError(path, f"unsupported file type {suffix or '(no extension)'}: expected CSV or XLSX")

