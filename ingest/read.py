"""Reading input files into sheets of text cells, safely, whatever the file holds.

Every failure a person can act on is an IngestError naming the file (and the sheet, row or byte
where known); no other exception leaves `read_sheets` or a body iterator.

Spreadsheets (XLSX/XLSM/XLS/XLSB/ODS) are read with calamine (python-calamine) in a child
process with an address-space limit (`WORKBOOK_MEMORY`). calamine holds a sheet as a dense
grid spanning the cells that have values, so a 5 KB file with values at A1 and XFD1048576 asks
for 2^34 cells, and a shared-string bomb (one long text in many cells) for gigabytes: the
allocation fails and the process aborts, which no `except` can catch. In the child that abort
becomes an IngestError and the ingest run goes on. The child sends only the rows that hold
something, with their real row numbers, every cell already text (no type inference loses a
leading zero or a date); empty rows between them are filled back here, trailing empty rows and
columns cost nothing, empty columns before the first used one are kept (up to 256) so that c0
stays column A. A cell calamine cannot convert (it panics on a date-formatted -1e19) is an
IngestError naming its row.

CSV encodings are detected and the whole file validated first (UTF-8, UTF-8 with BOM, UTF-16
with BOM, else GB18030 when the whole file decodes so and the text before the first non-UTF-8
byte is not UTF-8 Chinese; errors name the byte offset and line). The body is streamed as UTF-8
in pieces of about `PIECE_BYTES`, cut at record boundaries and parsed by polars, every column
text; GB18030 and UTF-16 are transcoded piece by piece in memory (no temporary file), old-Mac
CR line ends become LF. From a piece polars cannot parse (ragged rows, stray quotes) the csv
module reads the rest of the file, streaming too, with no limit on the size of a field.

Unclosed quotes. A quote that opens a field and is never closed makes a CSV parser swallow the
following lines into one cell. A quoted field that spans line breaks and is longer than
`RUNAWAY_CHARS` characters, or has two or more inner lines holding the delimiter (whole
records), or runs over more than `RUNAWAY_LINES` lines, or is still open at the end of the
file, is taken to be such a runaway quote:
its first line is read again with that quote as a literal character (the fields before it
parse normally, the rest of the line is split at the delimiters), and the swallowed lines are
read as their own rows with their own row numbers. This was chosen over refusing the file
because the swallowed rows are usually good data, and the culprit row stays visible: its cell
keeps the stray `"` (and a field split in two shows as an extra cell). Refusing would make one
typo block every other row of the file. A short multi-line cell (a remark typed with line
breaks) is not a runaway and stays one cell.
"""
from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import itertools
import os
import pickle
import re
import subprocess
import sys
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import polars as pl

from .errors import IngestError

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
HEAD_ROWS = 40            # rows read up front to find the header
CHUNK_ROWS = 200_000      # rows per frame built in Python (spreadsheets, csv-module fallback)
PIECE_BYTES = 1 << 22     # bytes of CSV parsed by polars at a time
RUNAWAY_CHARS = 2_000     # a multi-line quoted field longer than this is a runaway quote
RUNAWAY_LINES = 100       # ... and so is one spanning more lines than this
LONG_LINE = 1 << 20       # bytes: a line this long without a quote is split without the csv module
WORKBOOK_MEMORY = 768 << 20  # address-space limit of the spreadsheet reader process
_READ_BLOCK = 1 << 22


@dataclass
class Sheet:
    """One sheet (or a CSV file): its first rows, and a way to stream the body after the header.

    `name` is unique in its file: a name that an earlier sheet of the file has too is made
    unique ('1月11日 (2)', see unique_names), and `written` keeps it as written.

    `head` holds the first rows (at most HEAD_ROWS; head[i] is row i + 1 of the sheet).
    `body(start, width)` yields polars frames with text columns c0..c{w-1} (w >= width: wider
    where rows are) and Int64 `_row`, the 1-based row number in the sheet, for every row from
    the 0-based index `start` on (empty rows inside the sheet included, trailing ones not).
    The bodies of one workbook are read one at a time (starting one abandons any other).
    """
    name: str
    head: list[list[str | None]]
    body: Callable[[int, int], Iterator[pl.DataFrame]]
    cleanup: Callable[[], None] = lambda: None      # stops the spreadsheet reader process
    written: str | None = None     # the name as written, when another sheet of the file has it too


def _guarded(path: Path, sheet: str | None, frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """`frames`, with any error other than IngestError turned into one."""
    try:
        yield from frames
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except IngestError:
        raise
    except MemoryError as exc:
        raise IngestError(path, "讀取時內存不足 / out of memory while reading", sheet=sheet) from exc
    except BaseException as exc:       # pyo3's PanicException derives from BaseException
        raise IngestError(path, f"無法讀取 / cannot read ({type(exc).__name__}: {exc})", sheet=sheet) from exc


def _frame(rows: list, first_row: int, width: int) -> pl.DataFrame:
    """Rows (sequences of str | None, any length) as c0.. columns, numbered from first_row."""
    width = max(width, max((len(r) for r in rows), default=0))
    columns = {f"c{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    columns["_row"] = range(first_row, first_row + len(rows))
    return pl.DataFrame(columns, schema={**{f"c{i}": pl.String for i in range(width)}, "_row": pl.Int64})


def grid_frame(rows: list[list[str | None]], first_row_number: int, width: int) -> pl.DataFrame:
    return _frame(rows, first_row_number, width)


# --------------------------------------------------------------------------------------------
# Spreadsheets: calamine in a child process
# --------------------------------------------------------------------------------------------

# The child imports nothing of fangyi (and not polars): python_calamine, pickle, datetime.
# Protocol (pickled tuples): child -> ("names", [sheet names, unique], [as written]); then for each request
# ("rows", sheet_index, first, stop) it sends ("rows", [(index, cells), ...]) batches (0-based
# row index; only rows holding something; cells text or None, trailing empty cells dropped),
# then ("end",). Any failure: ("error", row_index | None, type, message).
_CHILD_SOURCE = r'''
import datetime as dt
import pickle
import sys

LEADING_COLUMNS = 256       # empty columns before the first used one kept (A stays c0) up to this
ROWS_PER_BATCH = 2_000
PAD_BUDGET = 20_000_000     # iter_rows pads from row 1: tolerate this many padded cells
CACHE_CELLS = 2_000_000     # sheets kept read (a sheet's head, then its body) up to this many cells


def _cells(sheet):
    return (sheet.height or 0) * (sheet.width or 0)


def cell_text(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        # A spreadsheet keeps a date and time as a fraction of a day: to the nearest millisecond
        # (Excel's own precision) it is what was typed, float error gone. The milliseconds are
        # written, so that the parser truncates them (08:59:59.999 stays before 09:00).
        try:
            value = value.replace(microsecond=0) + dt.timedelta(milliseconds=round(value.microsecond / 1000))
        except OverflowError:           # 9999-12-31 23:59:59.9995 and after
            value = value.replace(microsecond=value.microsecond // 1000 * 1000)
        return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _rows(sheet, first, stop):
    """(0-based row index, raw values) of the used range, rows first <= index < stop."""
    start = sheet.start
    if start is None:
        return
    r0, height, width = start[0], sheet.height, sheet.width
    lo = max(first, r0)
    hi = r0 + height if stop is None else min(stop, r0 + height)
    if lo >= hi:
        return
    if lo * width <= PAD_BUDGET or height * width > 2_000_000:
        rows = sheet.iter_rows()          # yields `r0` padded empty rows first
        index = 0
        while index < hi:
            try:
                row = next(rows)
            except StopIteration:
                return
            except BaseException as exc:
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                raise _RowError(index, exc)
            if index >= lo:
                yield index, row
            index += 1
    else:                                 # far down and wide: only the used range, no padding
        try:
            rows = sheet.to_python(skip_empty_area=True, nrows=hi - r0)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise _RowError(None, exc)
        for k in range(lo - r0, len(rows)):
            yield r0 + k, rows[k]


class _RowError(Exception):
    def __init__(self, row, exc):
        self.row, self.exc = row, exc


def unique_names(names):
    """Sheet names made unique, in order: a name seen before in the file becomes 'name (2)',
    'name (3)', ... (a number that no sheet's name takes)."""
    taken, out = set(names), []
    seen = set()
    for name in names:
        if name in seen:
            k = 2
            while f"{name} ({k})" in taken or f"{name} ({k})" in seen:
                k += 1
            name = f"{name} ({k})"
        seen.add(name)
        out.append(name)
    return out


class _CannotRename(Exception):
    pass


# Where a zipped workbook names its sheets, in their order: (the part, its sheet element's
# opening tag, the name attribute in it). XLSX/XLSM: <sheet name=".."> in xl/workbook.xml;
# ODS: <table:table table:name=".."> in content.xml.
_SHEET_TAGS = {
    "workbook.xml": (rb"<(?:[\w.-]+:)?sheet(?=[\s/>])[^>]*>", rb"(\sname\s*=\s*)(\"[^\"]*\"|'[^']*')"),
    "content.xml": (rb"<table:table(?=[\s/>])[^>]*>", rb"(\stable:name\s*=\s*)(\"[^\"]*\"|'[^']*')"),
}


def _renamed(path, names, unique):
    """The workbook, opened from a copy in memory whose sheets carry the unique names.

    calamine finds a sheet by its name, so of two sheets of one name it reads one twice (the
    first in an XLSX, the last in an ODS) and never the other. The copy renames, in the part
    that lists the sheets, each repeated name to its unique form ('1月11日' -> '1月11日 (2)':
    the name as written plus ' (k)', which needs no XML escaping); every other part is copied
    as it is. Raises _CannotRename for a workbook that is not a zip listing its sheets so
    (.xls, .xlsb) or whose list does not match the names calamine read."""
    import io
    import re
    import zipfile

    import python_calamine

    try:
        source = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _CannotRename(str(exc))
    with source:
        members = source.namelist()
        part = next((m for m in members if m == "xl/workbook.xml"), None) or next(
            (m for m in members if m.endswith("/workbook.xml") or m == "content.xml"), None)
        if part is None:
            raise _CannotRename("no workbook.xml or content.xml")
        tag, attribute = (re.compile(p) for p in _SHEET_TAGS[part.rsplit("/", 1)[-1]])
        count = 0

        def rename(match):
            nonlocal count
            index, count = count, count + 1
            if index >= len(names) or unique[index] == names[index]:
                return match.group(0)
            suffix = unique[index][len(names[index]):].encode("utf-8")
            return attribute.sub(lambda a: a.group(1) + a.group(2)[:-1] + suffix + a.group(2)[-1:],
                                 match.group(0), count=1)

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in source.infolist():
                with source.open(info) as src, target.open(info.filename, "w", force_zip64=True) as dst:
                    if info.filename != part:
                        while block := src.read(1 << 20):
                            dst.write(block)
                        continue
                    carry = b""             # a tag never holds "<": cut each block before its last
                    while True:
                        block = src.read(1 << 20)
                        data = carry + block
                        cut = data.rfind(b"<") if block else len(data)
                        if cut < 0:
                            cut = len(data)
                        elif cut == 0 and block:
                            carry = data
                            continue
                        dst.write(tag.sub(rename, data[:cut]))
                        carry = data[cut:]
                        if not block:
                            break
        if count != len(names):
            raise _CannotRename(f"{count} sheets listed in {part}, {len(names)} read")
    out.seek(0)
    book = python_calamine.CalamineWorkbook.from_filelike(out)
    if list(book.sheet_names) != unique:
        raise _CannotRename("the renamed copy does not list the sheets as expected")
    return book


def main():
    site, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except Exception:
        pass
    sys.path.insert(0, site)
    out, inp = sys.stdout.buffer, sys.stdin.buffer

    def send(*message):
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    def fail(row, exc):
        send("error", row, type(exc).__name__, str(exc)[:500])

    try:
        import python_calamine
        book = python_calamine.CalamineWorkbook.from_path(path)
        written = list(book.sheet_names)
        names = unique_names(written)
        if names != written:
            try:
                book = _renamed(path, written, names)
            except _CannotRename as exc:
                repeated = next(n for i, n in enumerate(written) if n in written[:i])
                send("error", None, "DuplicateSheetNames", f"{repeated}\n{exc}")
                return
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        fail(None, exc)
        return
    send("names", names, written)
    sheets = {}         # the sheets read, the latest last, while they hold CACHE_CELLS cells or fewer
    cached = 0          # ... their cells
    while True:
        try:
            request = pickle.load(inp)
        except EOFError:
            return
        _, index, first, stop = request
        try:
            if index not in sheets:
                sheets[index] = book.get_sheet_by_index(index)
                cached += _cells(sheets[index])
                while len(sheets) > 1 and cached > CACHE_CELLS:   # not all the sheets of a big workbook
                    cached -= _cells(sheets.pop(next(iter(sheets))))
            sheet = sheets[index]
            lead = sheet.start[1] if sheet.start and sheet.start[1] <= LEADING_COLUMNS else 0
            batch = []
            for row_index, values in _rows(sheet, first, stop):
                last = len(values)
                while last and (values[last - 1] is None or (isinstance(values[last - 1], str)
                                                              and not values[last - 1].strip())):
                    last -= 1
                if not last:
                    continue
                cells = [cell_text(v) for v in values[:last]]
                batch.append((row_index, [None] * lead + cells if lead else cells))
                if len(batch) >= ROWS_PER_BATCH:
                    send("rows", batch)
                    batch = []
            if batch:
                send("rows", batch)
            send("end")
        except _RowError as exc:
            fail(exc.row, exc.exc)
        except BaseException as exc:
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            fail(None, exc)


if __name__ == "__main__":
    main()
'''

_child_namespace: dict = {"__name__": "fangyi_ingest_read_child"}
exec(compile(_CHILD_SOURCE, "<spreadsheet reader>", "exec"), _child_namespace)
cell_text = _child_namespace["cell_text"]       # one definition, used in the child
unique_names = _child_namespace["unique_names"]


def _stop_child(proc: subprocess.Popen, stderr) -> None:
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    stderr.close()


class _Workbook:
    """The child process reading one workbook; one request at a time."""

    def __init__(self, path: Path):
        self.path = path
        self.proc: subprocess.Popen | None = None
        self.busy = False                # a request's replies are not all read
        self.request_id = 0
        self.names: list[str] = self._start()

    def _start(self) -> list[str]:
        spec = importlib.util.find_spec("python_calamine")
        if spec is None or spec.origin is None or not sys.executable:
            raise IngestError(self.path, "無法啟動電子表格讀取程序 / cannot start the spreadsheet reader (python-calamine not found)")
        site = os.path.dirname(os.path.dirname(spec.origin))
        stderr = tempfile.TemporaryFile()        # unlinked at once: nothing left behind
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _CHILD_SOURCE, site, str(self.path), str(WORKBOOK_MEMORY)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        except OSError as exc:
            stderr.close()
            raise IngestError(self.path, f"無法啟動電子表格讀取程序 / cannot start the spreadsheet reader ({exc})") from exc
        self.stderr = stderr
        self._finalizer = weakref.finalize(self, _stop_child, self.proc, stderr)
        self.busy = False
        tag, *rest = self._receive(None)
        if tag == "error":
            self.close()
            if rest[1] == "MemoryError":
                raise self._too_big(None)
            if rest[1] == "DuplicateSheetNames":
                name, why = rest[2].split("\n", 1)
                raise IngestError(self.path, (
                    f"多個工作表同名，此類文件無法分別讀取：請給其中一個改名後另存 / several sheets are named "
                    f"{name!r} and in this file they cannot be told apart ({why}): rename one and save the file again"),
                    sheet=name)
            raise IngestError(self.path, f"不是可讀的電子表格 / not a readable spreadsheet ({rest[1]}: {rest[2]})")
        self.written = rest[1]          # the names as written: a repeated name is made unique in rest[0]
        return rest[0]

    def close(self) -> None:
        if self.proc is not None:
            self._finalizer()
            self.proc = None

    def _crashed(self, sheet: str | None) -> IngestError:
        proc = self.proc
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.stderr.seek(0, io.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 4000))
        tail = self.stderr.read().decode("utf-8", "replace")
        self.close()
        alloc = re.search(r"memory allocation of (\d+) bytes failed", tail)
        if alloc and int(alloc.group(1)) > WORKBOOK_MEMORY:
            return IngestError(self.path, (
                f"電子表格讀取程序需要的內存超過上限：請刪除遠離數據的單元格，或另存為 CSV / "
                f"the spreadsheet reader would need {int(alloc.group(1)) / 2**20:,.0f} MB of memory at once, more than the "
                f"{WORKBOOK_MEMORY >> 20} MB allowed: calamine holds the whole grid up to the farthest cell with "
                "a value, so a stray cell far from the data (e.g. at XFD1048576) blows it up; delete that cell, "
                "or save the sheet as CSV"), sheet=sheet)
        if alloc or "MemoryError" in tail:
            return self._too_big(sheet)
        lines = [ln for ln in tail.splitlines() if ln.strip() and not ln.startswith(" ")]
        detail = f": {lines[-1][:300]}" if lines else ""
        return IngestError(self.path, f"不是可讀的電子表格 / not a readable spreadsheet (the reader stopped with code {proc.returncode}{detail})",
                           sheet=sheet)

    def _too_big(self, sheet: str | None) -> IngestError:
        return IngestError(self.path, (
            f"電子表格需要的內存超過上限：請另存為 CSV / "
            f"the spreadsheet needs more memory than the {WORKBOOK_MEMORY >> 20} MB allowed to read it: it is "
            "very large, or built to blow up (e.g. one long text repeated in many cells); save the sheet "
            "as CSV"), sheet=sheet)

    def _receive(self, sheet: str | None) -> tuple:
        try:
            return pickle.load(self.proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise self._crashed(sheet) from None

    def rows(self, index: int, first: int, stop: int | None) -> Iterator[tuple]:
        """The child's replies to one request, up to its end; errors raised as IngestError."""
        name = self.names[index]
        if self.busy or self.proc is None:       # an earlier request was left half read
            self.close()
            self.names = self._start()
        try:
            pickle.dump(("rows", index, first, stop), self.proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.flush()
        except OSError:
            raise self._crashed(name) from None
        self.busy = True
        self.request_id += 1
        mine = self.request_id
        while True:
            if self.request_id != mine:
                raise IngestError(self.path, "another body of this workbook was started while this one was read",
                                  sheet=name)
            tag, *rest = self._receive(name)
            if tag == "end":
                self.busy = False
                return
            if tag == "error":
                self.busy = False
                row, etype, message = rest
                if etype == "MemoryError":
                    self.close()
                    raise self._too_big(name)
                where = None if row is None else row + 1
                if etype == "PanicException":      # calamine cannot convert a cell value
                    raise IngestError(self.path, (
                        f"a cell cannot be read ({message}): usually a date-formatted cell holding a number "
                        "far outside the date range; clear the cell or format it as a number"),
                        sheet=name, row=where)
                raise IngestError(self.path, f"不是可讀的電子表格 / not a readable spreadsheet ({etype}: {message})",
                                  sheet=name, row=where)
            yield tag, rest


def _sheet_rows(book: _Workbook, index: int, first: int, stop: int | None) -> Iterator[list[tuple[int, list]]]:
    for tag, rest in book.rows(index, first, stop):
        if tag == "rows":
            yield rest[0]


def _fill(batches: Iterable[list[tuple[int, list]]], start: int, width: int) -> Iterator[pl.DataFrame]:
    """Frames of every row from index `start` to the last row holding something: the rows in
    `batches` ((index, cells) in order) and empty rows between them."""
    rows: list = []
    first = start
    for batch in batches:
        for index, cells in batch:
            gap = index - (first + len(rows))
            while gap > 0:
                take = min(gap, CHUNK_ROWS - len(rows))
                rows.extend(itertools.repeat((), take))
                gap -= take
                if len(rows) >= CHUNK_ROWS:
                    yield _frame(rows, first + 1, width)
                    first, rows = first + len(rows), []
            rows.append(cells)
            if len(rows) >= CHUNK_ROWS:
                yield _frame(rows, first + 1, width)
                first, rows = first + len(rows), []
    if rows:
        yield _frame(rows, first + 1, width)


def read_workbook(path: Path) -> list[Sheet]:
    book = _Workbook(path)
    try:
        sheets = []
        for index, name in enumerate(book.names):
            written = book.written[index]
            head: list[list[str | None]] = []
            for batch in _sheet_rows(book, index, 0, HEAD_ROWS):
                for row_index, cells in batch:
                    head.extend([] for _ in range(row_index - len(head)))
                    head.append(cells)
            used = max((len(r) for r in head), default=0)       # as wide as the head's used range
            head = [r + [None] * (used - len(r)) for r in head]

            def body(start: int, width: int, index=index, name=name) -> Iterator[pl.DataFrame]:
                return _guarded(path, name, _fill(_sheet_rows(book, index, start, None), start, width))
            sheets.append(Sheet(name, head, body, book.close, written if written != name else None))
        return sheets
    except BaseException:
        book.close()
        raise


# --------------------------------------------------------------------------------------------
# CSV: encoding, validation, pieces for polars, the csv module as fallback
# --------------------------------------------------------------------------------------------

@dataclass
class _Text:
    path: Path
    encoding: str          # utf-8 | gb18030 | utf-16-le | utf-16-be
    skip: int              # bytes of byte-order mark
    lone_cr: bool          # some line ends are a bare CR (old Mac)
    size: int


class _BadBytes(Exception):
    def __init__(self, offset: int, byte: bytes):
        self.offset, self.byte = offset, byte


_LONE_CR = re.compile(rb"\r(?!\n)")
_UTF8_LEAD = re.compile(rb"[\xc2-\xf4]")


def _valid_utf8(data: bytes) -> bool:
    """Whether `data` is valid UTF-8, checked by polars (several times faster than decoding it
    into a str); on False the caller decodes it to find where it is not."""
    try:
        pl.Series([data], dtype=pl.Binary).cast(pl.String, strict=True)
        return True
    except pl.exceptions.PolarsError:
        return False


def _check_bytes(path: Path, skip: int, encoding: str) -> bool:
    """Decode the whole file as `encoding` (UTF-8 or GB18030), in blocks cut after a byte that
    never ends inside a character; True if some line ends are a bare CR. Raises _BadBytes."""
    offset, carry, lone_cr = skip, b"", False
    with open(path, "rb") as f:
        f.seek(skip)
        while True:
            data = f.read(_READ_BLOCK)
            buf = carry + data if carry else data
            if not buf:
                return lone_cr
            cut = len(buf)
            if data:
                cut = buf.rfind(b"\n") + 1
                if not cut and encoding == "utf-8":      # before the last character's first byte
                    cut = len(buf) - 1
                    while cut > 0 and len(buf) - cut < 4 and 0x80 <= buf[cut] <= 0xBF:
                        cut -= 1
                if not cut:   # bytes below 0x30 are never inside a GB18030 or UTF-8 character
                    cut = max(buf.rfind(c) for c in (b",", b"\t", b" ", b'"')) + 1
                if not cut:
                    carry = buf
                    continue
            part, carry = (buf[:cut], buf[cut:]) if cut < len(buf) else (buf, b"")
            if b"\x00" in part:
                raise IngestError(path, "不是 CSV 或電子表格文件（二進制內容） / not a CSV or spreadsheet file (binary content)")
            if not (encoding == "utf-8" and _valid_utf8(part)):
                try:
                    part.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise _BadBytes(offset + exc.start, part[exc.start:exc.start + 1]) from None
            if not lone_cr and b"\r" in part:
                lone_cr = _LONE_CR.search(part) is not None     # a part never ends between CR and LF
            offset += cut
            if not data:
                return lone_cr


def _line_at(path: Path, offset: int) -> tuple[int, int]:
    """(line number, UTF-8 lead bytes counted up to 8) of a byte offset, for error messages."""
    line, leads, done = 1, 0, 0
    with open(path, "rb") as f:
        while done < offset and (block := f.read(min(_READ_BLOCK, offset - done))):
            line += block.count(b"\n") + len(_LONE_CR.findall(block))
            if leads < 8:
                leads += sum(1 for _ in itertools.islice(_UTF8_LEAD.finditer(block), 8 - leads))
            done += len(block)
    return line, leads


def _check_utf16(path: Path, encoding: str, size: int) -> bool:
    if (size - 2) % 2:
        raise IngestError(path, f"UTF-16 文本的字節數必須是偶數 / UTF-16 text must have an even number of bytes, this file has {size:,}: "
                                "it is cut short or not UTF-16; save it again")
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, line, lone_cr, pending_cr = 2, 1, False, False
    with open(path, "rb") as f:
        f.seek(2)
        while True:
            data = f.read(_READ_BLOCK)
            try:
                text = decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                raise IngestError(path, f"不是有效的 UTF-16 / not valid UTF-16 near byte offset {offset + max(exc.start, 0):,} "
                                        f"(line {line}): {exc.reason}") from None
            if "\x00" in text:
                raise IngestError(path, "不是 CSV 文件（UTF-16 文本中有 NUL 字符） / not a CSV file (NUL characters in UTF-16 text: binary content)")
            if pending_cr and text and text[0] != "\n":
                lone_cr = True
            crs = text.count("\r")
            if crs:
                lone = crs - text.count("\r\n") - (1 if text.endswith("\r") else 0)
                lone_cr = lone_cr or lone > 0
                line += lone
            pending_cr = text.endswith("\r")
            line += text.count("\n")
            offset += len(data)
            if not data:
                return lone_cr or pending_cr


def inspect_text(path: Path) -> _Text:
    """The encoding of a CSV, after checking that the whole file decodes in it."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        start = f.read(4)
    if start.startswith(codecs.BOM_UTF8):
        try:
            return _Text(path, "utf-8", 3, _check_bytes(path, 3, "utf-8"), size)
        except _BadBytes as bad:
            line, _ = _line_at(path, bad.offset)
            raise IngestError(path, (
                f"文件以 UTF-8 BOM 開頭，但部分內容是其他編碼，請重新另存為 UTF-8 / "
                f"starts with a UTF-8 byte-order mark but byte 0x{bad.byte.hex()} at offset {bad.offset:,} "
                f"(line {line}) is not UTF-8: part of the file is in another encoding; save it again as UTF-8"
            )) from None
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if start.startswith(bom):
            if start == codecs.BOM_UTF32_LE:
                raise IngestError(path, "不支持 UTF-32 文本，請另存為 UTF-8 / UTF-32 text is not supported: save it as UTF-8")
            return _Text(path, encoding, 2, _check_utf16(path, encoding, size), size)
    try:
        return _Text(path, "utf-8", 0, _check_bytes(path, 0, "utf-8"), size)
    except _BadBytes as bad:
        utf8, (utf8_line, leads) = bad, _line_at(path, bad.offset)
        if leads >= 8:     # Chinese in UTF-8 before the bad byte: not a GB18030 file
            raise IngestError(path, (
                f"不是有效的 UTF-8，文件混用了多種編碼，請重新另存為 UTF-8 / "
                f"not valid UTF-8: byte 0x{bad.byte.hex()} at offset {bad.offset:,} (line {utf8_line}) "
                "follows UTF-8 text: the file mixes encodings; save it again as UTF-8")) from None
    try:
        return _Text(path, "gb18030", 0, _check_bytes(path, 0, "gb18030"), size)
    except _BadBytes as bad:
        line, _ = _line_at(path, bad.offset)
        raise IngestError(path, (
            f"既不是 UTF-8 也不是 GB18030，無法解碼 / "
            f"cannot decode as UTF-8 (byte 0x{utf8.byte.hex()} at offset {utf8.offset:,}, line {utf8_line}) "
            f"or GB18030 (byte 0x{bad.byte.hex()} at offset {bad.offset:,}, line {line})")) from None


def detect_encoding(path: Path) -> str:
    text = inspect_text(path)
    if text.encoding == "utf-8":
        return "utf-8-sig" if text.skip else "utf-8"
    return "utf-16" if text.encoding.startswith("utf-16") else text.encoding


def _utf8_chunks(text: _Text, block_size: int = _READ_BLOCK) -> Iterator[bytes]:
    """The file as UTF-8 bytes without BOM, line ends LF or CRLF, in blocks."""
    with open(text.path, "rb") as f:
        f.seek(text.skip)
        if text.encoding == "utf-8" and not text.lone_cr:
            while block := f.read(block_size):
                yield block
            return
        decoder = codecs.getincrementaldecoder(text.encoding)() if text.encoding != "utf-8" else None
        held = b""                                   # a CR at the end of a block: CRLF or lone?
        while True:
            block = f.read(block_size)
            data = decoder.decode(block, final=not block).encode("utf-8") if decoder else block
            data = held + data
            held = b""
            if block and data.endswith(b"\r"):
                data, held = data[:-1], b"\r"
            if text.lone_cr and b"\r" in data:
                data = _LONE_CR.sub(b"\n", data)
            if data:
                yield data
            if not block:
                return


def _skip_bytes(chunks: Iterator[bytes], count: int) -> Iterator[bytes]:
    for chunk in chunks:
        if count >= len(chunk):
            count -= len(chunk)
            continue
        yield chunk[count:] if count else chunk
        count = 0


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Physical lines (ending in LF, the last one maybe not) of LF/CRLF text. A line longer
    than a chunk is gathered piece by piece and joined once (adding each chunk to what came
    before, and splitting it all again, made a 50 MB line cost minutes and gigabytes)."""
    pending: list[bytes] = []          # the pieces of the line not ended yet
    for chunk in chunks:
        parts = chunk.split(b"\n")
        last = parts.pop()
        if parts:
            if pending:
                pending += (parts.pop(0), b"\n")
                yield _take(pending)       # (no reference to the joined line kept here)
            for part in parts:
                yield part + b"\n"
        if last:
            pending.append(last)
    if pending:
        yield _take(pending)


def _take(pieces: list[bytes]) -> bytes:
    """The pieces joined; the list emptied."""
    joined = b"".join(pieces)
    pieces.clear()
    return joined


class _Runaway(Exception):
    pass


def _runaway_field(value: str, delimiter: str) -> bool:
    if "\n" not in value and "\r" not in value:
        return False
    if len(value) > RUNAWAY_CHARS:
        return True
    inner = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
    return sum(delimiter in line for line in inner) >= 2


def _open_quote(line: str, delimiter: str) -> int | None:
    """Where a quoted field opens that is still open at the end of `line`, if one does."""
    i, n = 0, len(line)
    while i < n:
        if line[i] == '"':
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:
                    return i
                if line.startswith('"', k + 1):
                    j = k + 2
                    continue
                break
            nxt = line.find(delimiter, k + 1)
        else:
            nxt = line.find(delimiter, i)
        if nxt < 0:
            return None
        i = nxt + 1
    return None


def _split_unclosed(line: str, delimiter: str) -> list[str]:
    """The fields of a line whose last quoted field is never closed: that quote is literal."""
    text = line.rstrip("\r\n")
    at = _open_quote(text, delimiter)
    if at is None:
        return next(csv.reader([text], delimiter=delimiter), [])
    before = next(csv.reader([text[:at]], delimiter=delimiter), [])[:-1] if at else []
    return before + text[at:].split(delimiter)


class _Records:
    """csv records from physical lines, reading past a runaway quote (see the module docstring).

    Iterating yields lists of fields; `consumed` is the bytes of the lines used so far. Errors
    name the row (record) number, counted from `first_row`.
    """

    def __init__(self, path: Path, lines: Iterator[bytes], delimiter: str, first_row: int = 1):
        self.path, self.source, self.delimiter = path, lines, delimiter
        self.pushback: list[bytes] = []          # lines to read again, last first
        self.current: list[bytes] = []           # lines of the record being read
        self.consumed = 0
        self.row = first_row                     # of the record being read

    def _feed(self) -> Iterator[str]:
        """The line feed of csv.reader."""
        return iter(self._next_line, None)

    def _next_line(self) -> str:
        line = self.pushback.pop() if self.pushback else next(self.source)
        self.current.append(line)
        if len(self.current) > RUNAWAY_LINES:
            raise _Runaway
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(self.path, "不是有效的 UTF-8 / not valid UTF-8 (the file changed while it was read?)", row=self.row) from exc

    def _runaway(self, fields: list[str]) -> bool:
        """Whether the record just read swallowed lines after a runaway quote, or ended inside
        a quote that the file never closes."""
        lines = self.current
        if len(lines) > 1 and any(_runaway_field(v, self.delimiter) for v in fields):
            return True
        if len(lines) > 1 or (lines and b'"' in lines[-1] and (
                not lines[-1].endswith(b"\n") or (fields and fields[-1].endswith(("\n", "\r"))))):
            return _open_quote(b"".join(lines).decode("utf-8"), self.delimiter) is not None
        return False

    def _resync(self) -> list[str]:
        first, rest = self.current[0], self.current[1:]
        self.pushback.extend(reversed(rest))
        self.current = [first]
        return _split_unclosed(first.decode("utf-8"), self.delimiter)

    def _long_plain_line(self) -> list[str] | None:
        """The fields of the next line if it is a record of its own that the csv module would
        only split at the delimiters (LONG_LINE bytes or more, no quote), split here: the csv
        module builds a field in a buffer of 4 bytes a character, 200 MB for a 50 MB cell.
        Else None, and the line is left for the csv module."""
        line = self.pushback.pop() if self.pushback else next(self.source, None)
        if line is None:
            return None
        if len(line) < LONG_LINE or b'"' in line:
            self.pushback.append(line)
            return None
        end = len(line)
        while end and line[end - 1] in b"\r\n":
            end -= 1
        try:
            text = str(memoryview(line)[:end], "utf-8")      # without copying the line first
        except UnicodeDecodeError as exc:
            raise IngestError(self.path, "不是有效的 UTF-8 / not valid UTF-8 (the file changed while it was read?)", row=self.row) from exc
        self.consumed += len(line)
        del line
        return text.split(self.delimiter)

    def __iter__(self) -> Iterator[list[str]]:
        reader = csv.reader(self._feed(), delimiter=self.delimiter)
        while True:
            self.current = []
            fields = self._long_plain_line()
            if fields is not None:
                pass
            else:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except _Runaway:
                    fields = self._resync()
                    reader = csv.reader(self._feed(), delimiter=self.delimiter)   # a fresh state
                except csv.Error as exc:
                    raise IngestError(self.path, f"無法作為 CSV 讀取 / not readable as CSV ({exc})", row=self.row) from None
                else:
                    if self._runaway(fields):
                        fields = self._resync()
                        reader = csv.reader(self._feed(), delimiter=self.delimiter)   # its feed may have ended
            self.consumed += sum(len(ln) for ln in self.current)
            self.row += 1
            yield fields


def _python_frames(path: Path, chunks: Iterable[bytes], first_row: int, width: int,
                   delimiter: str) -> Iterator[pl.DataFrame]:
    rows: list[list[str | None]] = []
    for record in _Records(path, _lines(chunks), delimiter, first_row):
        rows.append([v if v.strip() else None for v in record])
        del record
        if len(rows) >= CHUNK_ROWS:
            frame = _frame(rows, first_row, width)
            first_row, rows = first_row + len(rows), []      # the texts are in the frame now
            yield frame
    if rows:
        frame = _frame(rows, first_row, width)
        rows = []
        yield frame


def _record_cut(buf: bytes) -> int:
    """The end of the last whole record in buf (after a LF outside quotes), or 0."""
    cut = buf.rfind(b"\n") + 1
    if not cut:
        return 0
    quotes = buf.count(b'"', 0, cut)
    while quotes % 2:
        prev = buf.rfind(b"\n", 0, cut - 1) + 1
        if not prev:
            return 0
        quotes -= buf.count(b'"', prev, cut)
        cut = prev
    return cut


def _suspect(piece: bytes, frame: pl.DataFrame, delimiter: str) -> bool:
    """Whether polars read a runaway quote: a multi-line cell that looks like swallowed rows."""
    if b'"' not in piece:
        return False
    cols = [c for c in frame.columns if c.startswith("c")]
    multi = frame.filter(pl.any_horizontal([pl.col(c).str.contains("\n", literal=True) for c in cols]))
    return any(v is not None and (_runaway_field(v, delimiter) or v.endswith("\n"))   # open at the end?
               for row in multi.select(cols).rows() for v in row)


def _polars_frames(path: Path, chunks: Iterator[bytes], first_row: int, width: int,
                   delimiter: str) -> Iterator[pl.DataFrame]:
    """Frames of the records in `chunks` (starting at a record boundary), parsed by polars a
    piece at a time and yielded about CHUNK_ROWS rows at a time; the csv module takes over from
    a piece polars cannot read as it is."""
    schema = {f"c{i}": pl.String for i in range(width)}
    buf, done = b"", False
    ready: list[pl.DataFrame] = []           # parsed, not yet yielded
    ready_rows = 0
    first = True

    def flush() -> Iterator[pl.DataFrame]:
        nonlocal ready, ready_rows
        if ready:
            yield ready[0] if len(ready) == 1 else pl.concat(ready, rechunk=False)
        ready, ready_rows = [], 0

    while True:
        while len(buf) < PIECE_BYTES and not done:
            chunk = next(chunks, None)
            if chunk is None:
                done = True
            else:
                buf = buf + chunk if buf else chunk
        if not buf:
            yield from flush()
            return
        cut = len(buf) if done else _record_cut(buf)
        if not cut:        # no record ends in the buffer outside quotes: a quote runs away
            yield from flush()
            yield from _python_frames(path, itertools.chain([buf], chunks), first_row, width, delimiter)
            return
        piece, buf = buf[:cut], buf[cut:]
        try:
            frame = pl.read_csv(piece, has_header=False, separator=delimiter, infer_schema=False,
                                schema=schema, missing_columns="insert", encoding="utf8",
                                raise_if_empty=False)
            ok = not _suspect(piece, frame, delimiter)
        except pl.exceptions.PolarsError:
            ok = False
        if not ok:         # ragged rows, stray quotes: the csv module reads the rest
            yield from flush()
            yield from _python_frames(path, itertools.chain([piece, buf], chunks), first_row, width, delimiter)
            return
        if frame.height:
            ready.append(frame.with_columns(_row=pl.int_range(first_row, first_row + frame.height, dtype=pl.Int64)))
            ready_rows += frame.height
            first_row += frame.height
            if ready_rows >= CHUNK_ROWS or first:     # the first piece alone: the writer starts sooner
                first = False
                yield from flush()


def _blank_frame(first_row: int, count: int, width: int) -> pl.DataFrame:
    return pl.select(_row=pl.int_range(first_row, first_row + count, dtype=pl.Int64)).select(
        *(pl.lit(None, pl.String).alias(f"c{i}") for i in range(width)), "_row")


def _without_trailing_blank_rows(frames: Iterator[pl.DataFrame], width: int) -> Iterator[pl.DataFrame]:
    """`frames` without the empty rows at the end (a CSV saved from a sheet formatted down to
    row 1,048,576 ends in a million lines of commas); empty rows before a later row stay."""
    held_from, held = 0, 0               # empty rows held back: first row number and count
    for frame in frames:
        if not frame.height:
            continue
        cols = [c for c in frame.columns if c.startswith("c")]
        filled = frame.select(pl.any_horizontal([pl.col(c).is_not_null() for c in cols]).alias("f"))["f"]
        if filled[-1]:
            last = frame.height
        else:
            hits = filled.arg_true()
            last = int(hits[-1]) + 1 if len(hits) else 0
        if not last:
            if not held:
                held_from = frame["_row"][0]
            held += frame.height
            continue
        while held:
            count = min(held, CHUNK_ROWS)
            yield _blank_frame(held_from, count, width)
            held_from, held = held_from + count, held - count
        yield frame.head(last) if last < frame.height else frame
        if last < frame.height:
            held_from, held = frame["_row"][last], frame.height - last


def _raise_field_limit(size: int) -> None:
    """No field is longer than the file: let the csv module read any (its default is 128 KB)."""
    want = min(max(size + 1, 1 << 17), 2**31 - 1)
    if csv.field_size_limit() < want:
        csv.field_size_limit(want)


def read_csv(path: Path) -> list[Sheet]:
    text = inspect_text(path)
    _raise_field_limit(text.size)
    sample = b""
    for chunk in _utf8_chunks(text, 1 << 16):
        sample += chunk
        if len(sample) >= 1 << 16:
            break
    sample_text = sample[:1 << 16].decode("utf-8", "ignore")
    delimiter = max(",\t;", key=sample_text.count)   # the commonest candidate in the first 64 KB

    head: list[list[str | None]] = []
    ends: list[int] = []          # bytes (of the UTF-8 text) up to the end of each head record
    records = _Records(path, _lines(_utf8_chunks(text, 1 << 16)), delimiter)
    for record in records:
        head.append([v if v.strip() else None for v in record])
        ends.append(records.consumed)
        if len(head) >= HEAD_ROWS:
            break

    def body(start: int, width: int) -> Iterator[pl.DataFrame]:
        if start > len(ends):
            return iter(())
        chunks = _skip_bytes(_utf8_chunks(text), ends[start - 1] if start else 0)
        return _guarded(path, None, _without_trailing_blank_rows(
            _polars_frames(path, chunks, start + 1, width, delimiter), width))

    return [Sheet("", head, body)]


def read_sheets(path: Path) -> list[Sheet]:
    """The sheets of a file, by its extension, else by its first bytes."""
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise IngestError(path, f"無法打開 / cannot open ({exc.strerror})") from exc
    try:
        if suffix in SPREADSHEET_SUFFIXES or magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            return read_workbook(path)
        if suffix in TEXT_SUFFIXES or not magic:
            return read_csv(path)
    except (KeyboardInterrupt, SystemExit, IngestError):
        raise
    except OSError as exc:
        raise IngestError(path, f"無法讀取 / cannot read ({exc.strerror or exc})") from exc
    except MemoryError as exc:
        raise IngestError(path, "讀取時內存不足 / out of memory while reading") from exc
    except BaseException as exc:       # pyo3's PanicException derives from BaseException
        raise IngestError(path, f"無法讀取 / cannot read ({type(exc).__name__}: {exc})") from exc
    raise IngestError(path, f"不支持的文件類型 {suffix or '（無擴展名）'}，應為 CSV 或 XLSX / unsupported file type {suffix or '(no extension)'}: expected CSV or XLSX")
