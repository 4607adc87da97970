"""Hostile and malformed files: read_sheets reads what can be read, with the real row numbers,
and raises IngestError for the rest. No other exception, no crashed process, bounded memory,
no temporary file left behind."""
from __future__ import annotations

import codecs
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest

import hostile_files as hf
from fangyi.ingest.errors import IngestError
from fangyi.ingest.read import HEAD_ROWS, read_sheets


def body_rows(sheet, start: int, width: int) -> list[tuple]:
    """Every row the body yields, as (row number, cells without trailing None)."""
    out = []
    for frame in sheet.body(start, width):
        cols = sorted((c for c in frame.columns if c.startswith("c")), key=lambda c: int(c[1:]))
        for values in frame.select("_row", *cols).iter_rows():
            cells = list(values[1:])
            while cells and cells[-1] is None:
                cells.pop()
            out.append((values[0], cells))
    return out


def read_all(path: Path, width: int = 4) -> list[tuple[list, list]]:
    sheets = read_sheets(path)
    try:
        return [(s.head, body_rows(s, 0, width)) for s in sheets]
    finally:
        for s in sheets:
            s.cleanup()


def expected(lines: list[str], first_row: int) -> list[tuple]:
    return [(first_row + i, line.split(",")) for i, line in enumerate(lines)]


# 1. UTF-8 with BOM and an invalid byte -------------------------------------------------------

def test_bom_csv_with_invalid_byte_names_offset_and_line(tmp_path):
    path = hf.bom_csv_with_bad_byte(tmp_path / "日报.csv", lines=100, bad_line=60)
    lines = [hf.HEADER, *hf.data_lines(99)]
    offset = 3 + sum(len((line + "\n").encode()) for line in lines[:59]) + len(lines[59].split(",")[0]) + 1
    with pytest.raises(IngestError) as err:
        read_sheets(path)
    message = str(err.value)
    assert f"byte 0x{lines[59].split(',')[1].encode('gbk')[:1].hex()} at offset {offset:,} (line 60)" in message
    assert "byte-order mark" in message and str(path) in message


def test_utf8_file_with_a_gbk_line_is_not_taken_for_gb18030(tmp_path):
    path = hf.bom_csv_with_bad_byte(tmp_path / "日报.csv", lines=100, bad_line=60)
    path.write_bytes(path.read_bytes()[3:])            # no BOM: GB18030 would decode it all, wrongly
    with pytest.raises(IngestError, match=r"line 60\).*mixes encodings"):
        read_sheets(path)


def test_gb18030_file_still_reads(tmp_path):
    path = tmp_path / "日报.csv"
    lines = [hf.HEADER, *hf.data_lines(50)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    [(head, rows)] = read_all(path)
    assert head[0] == hf.HEADER.split(",") and rows == expected(lines, 1)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_body_raises_ingest_error_if_the_file_goes_bad_after_the_head(tmp_path, encoding):
    """The file is replaced between read_sheets and the body: still only IngestError."""
    path = tmp_path / "日报.csv"
    lines = [hf.HEADER, *hf.data_lines(20_000)]
    good = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes(good)
    [sheet] = read_sheets(path)
    bad = bytearray(good)
    bad[len(bad) // 2:len(bad) // 2 + 6] = b"\xff\xfe\xff\xfe\xff\xfe" if encoding != "utf-16" else b"\x00\xdc\x00\xdc\x00\xdc"
    path.write_bytes(bytes(bad))
    with pytest.raises(IngestError):
        for _ in sheet.body(1, 4):
            pass


# 2. A cell larger than the csv module's 128 KB field limit ------------------------------------

def test_cell_larger_than_128_kb(tmp_path):
    path = hf.giant_field_csv(tmp_path / "日报.csv", size=300_000, rows=50)
    [(head, rows)] = read_all(path, width=5)
    assert len(head[2][4]) == 300_000 and head[2][:4] == hf.data_lines(2)[1].split(",")
    assert rows[-1][0] == 51 and len(rows[-1][1][4]) == 300_000


def test_cell_larger_than_128_kb_in_the_csv_module_fallback(tmp_path):
    """A ragged row sends the body to the csv module, which must read the giant cell too."""
    path = hf.giant_field_csv(tmp_path / "日报.csv", size=300_000, rows=50)
    text = path.read_text(encoding="utf-8").replace(hf.data_lines(45)[-1] + ",", hf.data_lines(45)[-1] + ",,,多", 1)
    path.write_text(text, encoding="utf-8")
    [(_, rows)] = read_all(path, width=5)
    assert rows[45][1][-1] == "多" and len(rows[-1][1][4]) == 300_000 and rows[-1][0] == 51


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_long_lines_without_quotes_read_as_the_csv_module_reads_them(tmp_path, monkeypatch, encoding):
    """A line of LONG_LINE bytes or more with no quote is split at the delimiters here, not by
    the csv module (which holds a field as 4 bytes a character): the same fields, in the head
    and in the body (sent to the csv module by a ragged row), and the same row numbers."""
    import csv
    import io

    from fangyi.ingest import read

    lines = [hf.HEADER + ",备注", "2021-01-01,柳岸社区,0,1,短", "2021-01-02,华林村,1,0," + "长" * 40,
             "2021-01-03,东门社区,2,1,", ",,,," + "x" * 50, '2021-01-04,"华林村",1,0,"引號,' + "q" * 40 + '"',
             "2021-01-05,柳岸社区,3,,,,多", "2021-01-06,华林村,4,1," + "末" * 60]
    path = tmp_path / "日报.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    expected = [[v if v.strip() else None for v in r] for r in csv.reader(io.StringIO("\n".join(lines) + "\n"))]
    for long_line in (read.LONG_LINE, 60):       # the csv module, then the split for lines of 60 bytes on
        monkeypatch.setattr(read, "LONG_LINE", long_line)
        [sheet] = read_sheets(path)
        assert [[v for v in r] for r in sheet.head] == expected
        assert [cells for _, cells in body_rows(sheet, 1, 5)] == [
            [v for v in r][:len(r) - next((i for i, v in enumerate(reversed(r)) if v is not None), 0)]
            for r in expected[1:]]


def test_a_50_mb_line_is_read_in_linear_time_and_bounded_memory(tmp_path):
    """A 50 MB cell: its line was gathered by adding every 64 KB piece to all that came before
    and splitting it all again (minutes, gigabytes); now pieces are joined once."""
    from fangyi.ingest.read import _lines

    pieces = [b"a,b\n", *([b"x" * (1 << 16)] * 800), b"\nc,d\n", b"e"]
    started = time.process_time()
    out = list(_lines(iter(pieces)))
    assert time.process_time() - started < 5
    assert [len(line) for line in out] == [4, 800 * (1 << 16) + 1, 4, 1]
    assert out[1].endswith(b"x\n") and out[2] == b"c,d\n" and out[3] == b"e"


def test_two_sheets_of_one_name_each_read_their_own_rows(tmp_path):
    """calamine finds a sheet by its name: of two sheets named alike it read the first (XLSX) or
    the last (ODS) twice. Each sheet now reads its own rows, the second named '1月11日 (2)'."""
    for path in (hf.duplicate_sheets_xlsx(tmp_path / "日报.xlsx"), hf.duplicate_sheets_ods(tmp_path / "日报.ods")):
        sheets = read_sheets(path)
        units = {s.name: [cells[1] for _, cells in body_rows(s, 1, 4)] for s in sheets}
        if path.suffix == ".xlsx":
            assert units == {"1月11日": ["柳岸社区"], "1月12日": ["华林村"], "1月11日 (2)": ["东门社区"]}
            assert [s.written for s in sheets] == [None, None, "1月11日"]
        else:
            assert units == {"1月11日": ["柳岸社区"], "1月11日 (2)": ["东门社区"]}
            assert [s.written for s in sheets] == [None, "1月11日"]


def test_many_sheets_of_a_workbook_are_not_all_kept_in_the_reader(tmp_path, monkeypatch):
    """The reader keeps the sheets it has read (the head, then the body) only up to CACHE_CELLS
    cells, not every sheet of a workbook of 1,000: each sheet still reads its own rows."""
    from fangyi.ingest import read

    source = read._CHILD_SOURCE.replace("CACHE_CELLS = 2_000_000", "CACHE_CELLS = 20")
    assert source != read._CHILD_SOURCE
    monkeypatch.setattr(read, "_CHILD_SOURCE", source)
    sheets = read_sheets(hf.many_sheets_xlsx(tmp_path / "日报.xlsx", sheets=30))
    assert [[cells[0] for _, cells in body_rows(s, 1, 4)] for s in sheets] == [
        [f"2021-01-{1 + i % 28:02d}"] for i in range(1, 31)]


# 3. A negative date serial in a date-formatted cell (calamine panics) --------------------------

def test_negative_date_serial_in_the_head(tmp_path):
    path = hf.negative_date_xlsx(tmp_path / "日报.xlsx")
    with pytest.raises(IngestError) as err:
        read_sheets(path)
    assert err.value.sheet == "日报" and err.value.row == 4 and "date" in err.value.reason


def test_negative_date_serial_in_the_body(tmp_path):
    path = hf.write_xlsx(tmp_path / "日报.xlsx", [
        *hf.header_rows(),
        *(hf.row(n, hf.text_cell(f"A{n}", "2021-01-22"), hf.text_cell(f"B{n}", "东门社区")) for n in range(4, 60)),
        hf.row(60, hf.number_cell("A60", "-inf", style=1)),
    ])
    [sheet] = read_sheets(path)
    with pytest.raises(IngestError) as err:
        body_rows(sheet, 1, 4)
    sheet.cleanup()
    assert (err.value.sheet, err.value.row) == ("日报", 60)


def test_small_negative_date_serial_does_not_crash(tmp_path):
    """calamine reads -1 in a date cell as a time of day; no crash, the row is read."""
    path = hf.negative_date_xlsx(tmp_path / "日报.xlsx", serial="-1")
    [(head, _)] = read_all(path)
    assert len(head) == 4 and head[3][1] == "东门社区"


# 4. Cells far away: XFD1048576 -----------------------------------------------------------------

def test_one_cell_at_xfd1048576(tmp_path, monkeypatch):
    """The last cell of the grid alone: the reader process sends that one row of one cell (not a
    million empty rows, nor the 16,383 empty columns before it), and the body comes back as frames
    of at most CHUNK_ROWS rows of one column, so the work and the memory stay bounded. (How long
    it takes is for benchmarks/, not a test.)"""
    from fangyi.ingest import read

    sent: list[tuple[int, list]] = []            # (row index, cells) the reader process sent
    sheet_rows = read._sheet_rows

    def counted(book, index, first, stop):
        for batch in sheet_rows(book, index, first, stop):
            sent.extend(batch)
            yield batch
    monkeypatch.setattr(read, "_sheet_rows", counted)

    path = hf.corner_cell_xlsx(tmp_path / "角落.xlsx")
    assert path.stat().st_size < 10_000
    [sheet] = read_sheets(path)
    assert sheet.head == [] and sent == []       # the first 40 rows are empty: nothing sent for them
    try:
        frames = list(sheet.body(0, 1))          # rows 1..1048575 are empty, then the cell
    finally:
        sheet.cleanup()
    assert sent == [(1048575, ["角落"])]
    assert [f.columns for f in frames] == [["c0", "_row"]] * len(frames)
    assert max(f.height for f in frames) <= read.CHUNK_ROWS
    assert sum(f.height for f in frames) == 1048576
    assert frames[-1].tail(1).rows() == [("角落", 1048576)]
    assert sum(f["c0"].null_count() for f in frames) == 1048575


def test_dimension_claiming_the_whole_grid(tmp_path):
    path = hf.lying_dimension_xlsx(tmp_path / "日报.xlsx")
    [(head, rows)] = read_all(path)
    assert head[0] == hf.HEADER.split(",") and [n for n, _ in rows] == [1, 2, 3]


def test_values_at_a1_and_xfd1048576_do_not_kill_the_process(tmp_path):
    path = hf.two_corners_xlsx(tmp_path / "兩角.xlsx")
    with pytest.raises(IngestError) as err:
        read_sheets(path)
    assert "memory" in err.value.reason and "XFD1048576" in err.value.reason and err.value.sheet == "日报"
    [(head, _)] = read_all(hf.lying_dimension_xlsx(tmp_path / "好.xlsx"))    # and reading goes on
    assert head[0] == hf.HEADER.split(",")


def test_leading_empty_rows_and_columns_keep_coordinates(tmp_path):
    path = hf.offset_xlsx(tmp_path / "日报.xlsx")
    [sheet] = read_sheets(path)
    assert sheet.head[:4] == [[None] * 6] * 4                    # padded to the used width, as before
    assert sheet.head[4] == [None, None, *hf.HEADER.split(",")]
    rows = body_rows(sheet, 5, 6)
    sheet.cleanup()
    assert rows == [(6, [None, None, "2021-01-20", "柳岸社区", "0", "1"]), (7, []), (8, []),
                    (9, [None, None, "2021-01-21", "华林村", "3", "0"])]


def test_offset_sheet_rejections_name_the_real_row_and_column(tmp_path):
    """Through the loader: a bad count at E9 is reported as row 9, column E."""
    from fangyi.ingest.load import ingest
    path = tmp_path / "日报.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, value in {"C5": "日期", "D5": "单位", "E5": "新增确诊", "F5": "密接",
                       "C6": "2021-01-20", "D6": "柳岸社区", "E6": 0, "F6": 1,
                       "C9": "2021-01-21", "D9": "华林村", "E9": "很多", "F9": 0}.items():
        ws[ref] = value
    wb.save(path)
    reports = ingest(tmp_path / "w.db", [path])
    assert reports[0].status == "loaded", reports[0].error
    conn = sqlite3.connect(tmp_path / "w.db")
    rejected = conn.execute("SELECT row_number, column_name FROM rejected_rows").fetchall()
    assert len(rejected) == 1 and rejected[0][0] == 9 and "(E)" in rejected[0][1]


# 5. Bounded memory: trailing empty rows and columns cost nothing --------------------------------

def test_formatted_empty_rows(tmp_path):
    """(A million of them in the memory test below.)"""
    path = hf.styled_empty_rows_xlsx(tmp_path / "日报.xlsx", rows=100_000)
    [(head, rows)] = read_all(path)
    assert len(head) == 3 and [n for n, _ in rows] == [1, 2, 3]


def test_rows_of_empty_strings_below_and_beside_the_data(tmp_path):
    """(A million of them in the memory test below.)"""
    path = hf.empty_string_rows_xlsx(tmp_path / "日报.xlsx", rows=100_000)
    [sheet] = read_sheets(path)
    frames = list(sheet.body(1, 4))
    sheet.cleanup()
    assert sum(f.height for f in frames) == 4                       # rows 2-5: row 4 blank, kept
    assert max(len(f.columns) for f in frames) <= 5                 # c0..c3 and _row, not c0..c7
    assert [r for f in frames for r in f["_row"]] == [2, 3, 4, 5]


def test_csv_ending_in_a_million_lines_of_commas(tmp_path):
    path = hf.trailing_comma_lines_csv(tmp_path / "日报.csv", rows=1_000_000)
    [(head, rows)] = read_all(path)
    lines = [hf.HEADER, *hf.data_lines(3)]
    assert len(head) == HEAD_ROWS
    assert rows == [*expected(lines[:3], 1), (4, []), (5, lines[3].split(","))]


def test_csv_ending_in_lines_of_commas_in_the_csv_module_fallback(tmp_path):
    path = hf.trailing_comma_lines_csv(tmp_path / "日报.csv", rows=300_000)
    path.write_bytes(path.read_bytes().replace(b"0,0\r\n", b"0,0,,,x\r\n", 1))   # ragged
    [(_, rows)] = read_all(path)
    assert [n for n, _ in rows] == [1, 2, 3, 4, 5] and rows[1][1][-1] == "x"


MEMORY_PROBE = textwrap.dedent("""
    import json, resource, sys
    from pathlib import Path
    from fangyi.ingest.errors import IngestError
    from fangyi.ingest.read import read_sheets
    out = {}
    for name in sys.argv[1:]:
        try:
            sheets = read_sheets(Path(name))
            rows = 0
            for s in sheets:
                width = max((len(r) for r in s.head), default=1)
                rows += sum(f.height for f in s.body(0, width))
                s.cleanup()
            out[name] = rows
        except IngestError as exc:
            out[name] = "IngestError: " + exc.reason
    # ru_maxrss of this process starts at the size of the test process that spawned it (kept
    # across exec): the kernel's own high-water mark of this process is VmHWM
    status = Path("/proc/self/status")
    hwm = [l for l in status.read_text().splitlines() if l.startswith("VmHWM")] if status.exists() else []
    out["self_mb"] = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(out))
""")


def test_files_up_to_10_mb_read_in_under_1_gb(tmp_path):
    workbooks = [
        hf.styled_empty_rows_xlsx(tmp_path / "styled.xlsx"),              # a million formatted rows
        hf.empty_string_rows_xlsx(tmp_path / "empty_strings.xlsx"),       # a million rows of ""
        hf.shared_string_bomb_xlsx(tmp_path / "bomb.xlsx"),
        hf.shared_strings_bomb_xlsx(tmp_path / "strings.xlsx"),
        hf.two_corners_xlsx(tmp_path / "corners.xlsx"),
    ]
    texts = [
        hf.giant_field_csv(tmp_path / "giant.csv", size=1_500_000, rows=20),
        hf.unclosed_quote_csv(tmp_path / "runaway.csv", rows=300_000, quote_row=2),
        hf.trailing_comma_lines_csv(tmp_path / "commas.csv", rows=1_600_000),
    ]
    sizes = [f.stat().st_size for f in workbooks + texts]
    assert all(size <= 10_000_000 for size in sizes), sizes
    probes = [subprocess.Popen([sys.executable, "-c", MEMORY_PROBE, *map(str, files)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for files in (workbooks, texts)]
    outs = []
    for probe in probes:
        stdout, stderr = probe.communicate(timeout=600)
        assert probe.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout))
    books, csvs = outs
    assert [books[str(f)] for f in workbooks[:2]] == [3, 5]
    assert all(books[str(f)].startswith("IngestError") and "memory" in books[str(f)] for f in workbooks[2:])
    assert "XFD1048576" in books[str(workbooks[4])]
    assert [csvs[str(f)] for f in texts] == [21, 300_001, 5]
    for out in outs:                # children: the largest spreadsheet reader process
        assert out["self_mb"] < 1024 and out["children_mb"] < 1024, out


# 6. UTF-16 with an odd number of bytes -----------------------------------------------------------

def test_utf16_with_an_odd_byte_count(tmp_path):
    path = hf.utf16_odd_csv(tmp_path / "日报.txt")
    with pytest.raises(IngestError, match="even number of bytes"):
        read_sheets(path)


def test_utf16_with_a_lone_surrogate(tmp_path):
    path = tmp_path / "日报.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + f"{hf.HEADER}\n".encode("utf-16-le") + b"\x00\xdcA\x00\n\x00")
    with pytest.raises(IngestError, match="not valid UTF-16"):
        read_sheets(path)


# 7. CR-only and mixed line ends --------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_cr_only_line_ends(tmp_path, encoding):
    path = hf.cr_only_csv(tmp_path / "日报.csv", rows=60, encoding=encoding)
    [(head, rows)] = read_all(path)
    lines = [hf.HEADER, *hf.data_lines(60)]
    assert len(head) == HEAD_ROWS and head[0] == hf.HEADER.split(",")
    assert head[2][3] == "1\n2" and rows[2] == (3, lines[2].split(",")[:3] + ["1\n2"])
    assert rows[3:] == expected(lines[3:], 4)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16"])
def test_mixed_line_ends(tmp_path, encoding):
    path = hf.mixed_line_ends_csv(tmp_path / "日报.csv", rows=60, encoding=encoding)
    [(head, rows)] = read_all(path)
    lines = [hf.HEADER, *hf.data_lines(60)]
    assert len(head) == HEAD_ROWS and rows == expected(lines, 1)


# 8. An unclosed quote ----------------------------------------------------------------------------

def _with_stray_quote(lines: list[str], row: int) -> list[tuple]:
    date, unit, *rest = lines[row - 1].split(",")
    out = expected(lines, 1)
    out[row - 1] = (row, [date, '"' + unit, *rest])
    return out


def test_unclosed_quote_in_the_head(tmp_path):
    path = hf.unclosed_quote_csv(tmp_path / "日报.csv", rows=30, quote_row=5)
    [(head, rows)] = read_all(path)
    lines = [hf.HEADER, *hf.data_lines(30)]
    assert rows == _with_stray_quote(lines, 5)
    assert head[4][1].startswith('"') and head[5] == lines[5].split(",")


def test_unclosed_quote_in_the_body(tmp_path):
    path = hf.unclosed_quote_csv(tmp_path / "日报.csv", rows=100_000, quote_row=50_000)
    [sheet] = read_sheets(path)
    rows = body_rows(sheet, 1, 4)
    lines = [hf.HEADER, *hf.data_lines(100_000)]
    assert len(rows) == 100_000 and rows == _with_stray_quote(lines, 50_000)[1:]


def test_unclosed_quote_that_a_later_quote_closes(tmp_path):
    """The stray quote pairs with a quoted cell 20 lines later: still every line its own row."""
    path = tmp_path / "日报.csv"
    lines = [hf.HEADER, *hf.data_lines(60)]
    lines[4] = lines[4].replace(",", ',"', 1)
    lines[24] = lines[24].replace(",", ',"', 1).replace(",", '",', 2).replace('",', ",", 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [(_, rows)] = read_all(path)
    assert len(rows) == 61 and rows[4][1][1].startswith('"') and rows[5] == (6, lines[5].split(","))
    assert rows[24][1][1] == lines[24].split(",")[1].strip('"') and rows[25] == (26, lines[25].split(","))


@pytest.mark.parametrize("tail", ['2021-01-05,"华林村,0,4\n', '2021-01-05,"华林村,0,4',
                                  '2021-01-05,"华林村,0\n2021-01-06,东门社区,1,1\n'])
def test_unclosed_quote_near_the_end(tmp_path, tail):
    """Short, so not a runaway by length: still open at the end of the file, so literal."""
    path = tmp_path / "日报.csv"
    lines = [hf.HEADER, *hf.data_lines(50)]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    [(_, rows)] = read_all(path)
    assert rows[:51] == expected(lines, 1)
    assert rows[51] == (52, ["2021-01-05", '"华林村', "0", "4"][:len(tail.split("\n")[0].split(","))])
    if tail.count("\n") == 2:
        assert rows[52] == (53, ["2021-01-06", "东门社区", "1", "1"])


def test_a_real_multi_line_cell_stays_one_cell(tmp_path):
    path = tmp_path / "日报.csv"
    lines = [hf.HEADER + ",备注", *[line + "," for line in hf.data_lines(50)]]
    lines[3] += '"第一行\n第二行，有逗号"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [(_, rows)] = read_all(path, width=5)
    assert len(rows) == 51 and rows[3][1][4] == "第一行\n第二行，有逗号" and rows[-1][0] == 51


# 9. No temporary file left behind ------------------------------------------------------------------

def _encoded_files(tmp_path: Path, rows: int) -> list[Path]:
    lines = [hf.HEADER, *hf.data_lines(rows)]
    out = []
    for name, encoding in (("gb.csv", "gb18030"), ("u16.txt", "utf-16"), ("bom.csv", "utf-8-sig")):
        path = tmp_path / name
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        out.append(path)
    out.append(hf.cr_only_csv(tmp_path / "cr.csv", rows=rows))
    out.append(hf.lying_dimension_xlsx(tmp_path / "book.xlsx"))
    return out


def test_no_temporary_files_on_any_exit(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for path in _encoded_files(tmp_path, 5_000):
        [sheet] = read_sheets(path)
        body_rows(sheet, 1, 4)                      # read to the end
        for frame in sheet.body(1, 4):              # left after the first frame
            break
        with pytest.raises(ZeroDivisionError):      # an error while the body is read
            for frame in sheet.body(1, 4):
                1 / 0
        assert os.listdir(scratch) == [], path
        sheet.cleanup()
        assert os.listdir(scratch) == [], path
    with pytest.raises(IngestError):
        read_sheets(hf.two_corners_xlsx(tmp_path / "corners.xlsx"))
    assert os.listdir(scratch) == []


KILL_PROBE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from fangyi.ingest.read import read_sheets
    sheets = [read_sheets(Path(p))[0] for p in sys.argv[1:]]
    bodies = [s.body(1, 4) for s in sheets]
    for body in bodies:
        next(body)
    book = [s for s in sheets if s.name][0]
    print(book.cleanup.__self__.proc.pid, flush=True)
    time.sleep(600)
""")


def test_no_temporary_files_after_kill_9(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    files = _encoded_files(tmp_path, 300_000)
    proc = subprocess.Popen([sys.executable, "-c", KILL_PROBE, *map(str, files)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "TMPDIR": str(scratch)}, text=True)
    try:
        child = int(proc.stdout.readline() or 0)
        assert child, proc.stderr.read()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert os.listdir(scratch) == []
    deadline = time.time() + 10                    # the spreadsheet reader ends on its own
    while time.time() < deadline and Path(f"/proc/{child}").exists():
        status = Path(f"/proc/{child}/status").read_text() if Path(f"/proc/{child}/status").exists() else ""
        if "State:\tZ" in status:
            break
        time.sleep(0.1)
    else:
        assert not Path(f"/proc/{child}").exists()


# Anything else: damaged files raise IngestError and nothing else ------------------------------------

def test_damaged_files_raise_only_ingest_error(tmp_path):
    rng = random.Random(7)
    good = [hf.lying_dimension_xlsx(tmp_path / "good.xlsx").read_bytes(),
            ("\n".join([hf.HEADER, *hf.data_lines(200)]) + "\n").encode("gb18030"),
            codecs.BOM_UTF16_LE + ("\n".join([hf.HEADER, *hf.data_lines(200)]) + "\n").encode("utf-16-le")]
    for n in range(60):
        data = bytearray(good[n % 3])
        if n % 2:
            del data[rng.randrange(len(data)):]
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"damaged{n}{['.xlsx', '.csv', '.txt'][n % 3]}"
        path.write_bytes(bytes(data))
        try:
            read_all(path)
        except IngestError:
            pass
