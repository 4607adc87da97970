"""Malformed and hostile input files, really built: raw CSV bytes, and XLSX written as zip parts
where openpyxl cannot express the damage (cells at XFD1048576, a lying <dimension>, a million
styled empty rows, shared-string bombs).

Style 1 of every workbook built here is a date format (yyyy-mm-dd), as Excel writes it.
"""
from __future__ import annotations

import codecs
import zipfile
from pathlib import Path
from typing import Iterable

HEADER = "日期,单位,新增确诊,密接"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '</styleSheet>')


def text_cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def number_cell(ref: str, value: str, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{s}><v>{value}</v></c>'


def row(number: int, *cells: str) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def header_rows() -> list[str]:
    """A daily-report header and two data rows, rows 1-3."""
    return [
        row(1, *(text_cell(f"{c}1", t) for c, t in zip("ABCD", HEADER.split(",")))),
        row(2, text_cell("A2", "2021-01-20"), text_cell("B2", "柳岸社区"), number_cell("C2", "0"), number_cell("D2", "1")),
        row(3, text_cell("A3", "2021-01-21"), text_cell("B3", "华林村"), number_cell("C3", "2"), number_cell("D3", "0")),
    ]


def write_xlsx(path: Path, rows: Iterable[str], dimension: str | None = None,
               shared_strings: Iterable[str] = (), sheet: str = "日报", level: int = 6) -> Path:
    """A minimal valid XLSX whose one sheet's <sheetData> holds `rows` (XML text, streamed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(name=sheet))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for text in shared_strings:
                f.write(f"<si><t>{text}</t></si>".encode())
            f.write(b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                f.write(f'<dimension ref="{dimension}"/>'.encode())
            f.write(b"<sheetData>")
            buffer: list[str] = []
            for r in rows:
                buffer.append(r)
                if len(buffer) >= 10_000:
                    f.write("".join(buffer).encode())
                    buffer = []
            f.write("".join(buffer).encode())
            f.write(b"</sheetData></worksheet>")
    return path


# ---- workbooks -------------------------------------------------------------------------------

def corner_cell_xlsx(path: Path) -> Path:
    """One cell, at XFD1048576 (the last cell of a sheet)."""
    return write_xlsx(path, [row(1048576, text_cell("XFD1048576", "角落"))])


def lying_dimension_xlsx(path: Path) -> Path:
    """A small good sheet whose <dimension> claims the whole grid, A1:XFD1048576."""
    return write_xlsx(path, header_rows(), dimension="A1:XFD1048576")


def two_corners_xlsx(path: Path) -> Path:
    """A header at A1 and a value at XFD1048576: calamine's dense grid would be 2^34 cells."""
    return write_xlsx(path, [*header_rows(), row(1048576, text_cell("XFD1048576", "x"))])


def negative_date_xlsx(path: Path, serial: str = "-1e19") -> Path:
    """Row 4 holds a date-formatted cell with a negative serial (calamine panics converting it)."""
    return write_xlsx(path, [*header_rows(),
                             row(4, number_cell("A4", serial, style=1), text_cell("B4", "东门社区"))])


def offset_xlsx(path: Path) -> Path:
    """Data that starts at C5: four empty rows and two empty columns before it."""
    cells = HEADER.split(",")
    return write_xlsx(path, [
        row(5, *(text_cell(f"{c}5", t) for c, t in zip("CDEF", cells))),
        row(6, text_cell("C6", "2021-01-20"), text_cell("D6", "柳岸社区"), number_cell("E6", "0"), number_cell("F6", "1")),
        row(9, text_cell("C9", "2021-01-21"), text_cell("D9", "华林村"), number_cell("E9", "3"), number_cell("F9", "0")),
    ])


def styled_empty_rows_xlsx(path: Path, rows: int = 1_000_000) -> Path:
    """A header, two data rows, then `rows` formatted rows with no values (A..XFD styled)."""
    def body():
        yield from header_rows()
        for n in range(4, 4 + rows):
            yield f'<row r="{n}"><c r="A{n}" s="1"/><c r="XFD{n}" s="1"/></row>'
    return write_xlsx(path, body())


def empty_string_rows_xlsx(path: Path, rows: int = 1_000_000) -> Path:
    """A header, two data rows, a blank row, a third data row, then `rows` rows whose cells hold
    empty or blank strings: values, so calamine's range covers them (out to column H)."""
    def body():
        yield from header_rows()
        yield row(5, text_cell("A5", "2021-01-22"), text_cell("B5", "东门社区"), number_cell("C5", "1"))
        yield row(6, text_cell("A6", " "), text_cell("H6", ""))
        for n in range(7, 7 + rows):
            yield f'<row r="{n}">{text_cell(f"A{n}", "")}{text_cell(f"D{n}", "  ")}</row>'
    return write_xlsx(path, body())


def shared_strings_bomb_xlsx(path: Path, strings: int = 400_000) -> Path:
    """400,000 distinct 1,000-character shared strings: under 3 MB zipped, about 1.2 GB of text
    that calamine loads when it opens the workbook."""
    return write_xlsx(path, header_rows(), shared_strings=("疫" * 1000 + str(i) for i in range(strings)), level=1)


def shared_string_bomb_xlsx(path: Path, cells: int = 400_000) -> Path:
    """One 30,000-character shared string referenced by `cells` cells: about 1 MB zipped,
    12 GB once calamine copies the string into every cell."""
    def body():
        yield from header_rows()
        for n in range(4, 4 + cells):
            yield f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'
    return write_xlsx(path, body(), shared_strings=["疫" * 30_000])


# ---- CSV -------------------------------------------------------------------------------------

def data_lines(count: int, start: int = 0) -> list[str]:
    units = ["柳岸社区", "华林村", "东门社区"]
    return [f"2021-01-{1 + (start + i) % 28:02d},{units[(start + i) % 3]},{(start + i) % 4},{(start + i) % 7}"
            for i in range(count)]


def bom_csv_with_bad_byte(path: Path, lines: int = 100, bad_line: int = 60) -> Path:
    """UTF-8 with BOM, except line `bad_line` (1-based, the header is line 1), saved in GBK."""
    out = bytearray(codecs.BOM_UTF8)
    for n, line in enumerate([HEADER, *data_lines(lines - 1)], start=1):
        out += (line + "\n").encode("gbk" if n == bad_line else "utf-8")
    path.write_bytes(bytes(out))
    return path


def giant_field_csv(path: Path, size: int = 300_000, rows: int = 50) -> Path:
    """A remark cell of `size` characters (the csv module's default limit is 128 KB) on row 3,
    and another on the last row (in the body)."""
    big = "备" * size
    lines = [HEADER + ",备注", *[line + "," for line in data_lines(rows)]]
    lines[2] += big
    lines[-1] += big
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def utf16_odd_csv(path: Path) -> Path:
    data = codecs.BOM_UTF16_LE + ("\n".join([HEADER, *data_lines(5)]) + "\n").encode("utf-16-le")
    path.write_bytes(data + b"\x00\xd8"[:1])        # one byte short of a code unit
    return path


def cr_only_csv(path: Path, rows: int = 60, encoding: str = "utf-8") -> Path:
    """Old-Mac line ends (CR only), a quoted cell with a line break in it on row 3."""
    lines = [HEADER, *data_lines(rows)]
    lines[2] = lines[2].rsplit(",", 1)[0] + ',"1\r2"'
    path.write_bytes(("\r".join(lines) + "\r").encode(encoding))
    return path


def mixed_line_ends_csv(path: Path, rows: int = 60, encoding: str = "utf-8") -> Path:
    """LF, CRLF and CR line ends in turn."""
    lines = [HEADER, *data_lines(rows)]
    ends = ["\n", "\r\n", "\r"]
    path.write_bytes("".join(line + ends[i % 3] for i, line in enumerate(lines)).encode(encoding))
    return path


def unclosed_quote_csv(path: Path, rows: int, quote_row: int) -> Path:
    """`rows` data rows; on row `quote_row` (1-based, header is row 1) the unit cell opens a quote
    that is never closed, so a CSV parser swallows every line after it into that cell."""
    lines = [HEADER, *data_lines(rows)]
    date, unit, *rest = lines[quote_row - 1].split(",")
    lines[quote_row - 1] = ",".join([date, '"' + unit, *rest])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def trailing_comma_lines_csv(path: Path, rows: int = 1_000_000) -> Path:
    """What Excel writes for a sheet formatted down to the last row: three data rows, an empty
    line between them, then `rows` lines of nothing but commas."""
    lines = [HEADER, *data_lines(2), ",,,", *data_lines(1, start=2)]
    path.write_bytes(("\r\n".join(lines) + "\r\n" + ",,,\r\n" * rows).encode("utf-8"))
    return path


# ---- workbooks of several sheets, huge cells ------------------------------------------------

def write_workbook(path: Path, sheets: list[tuple[str, list[str]]]) -> Path:
    """A minimal valid XLSX of several sheets: (name as written in workbook.xml, rows as XML
    text). The names are written as given, so two sheets may share one (Excel refuses that,
    other tools do not)."""
    from xml.sax.saxutils import quoteattr

    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1))
    types = _CONTENT_TYPES.replace(
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>', overrides)
    entries = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i + 2}"/>'
                      for i, (name, _) in enumerate(sheets, start=1))
    workbook = _WORKBOOK.replace('<sheet name="{name}" sheetId="1" r:id="rId1"/>', entries)
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'styles" Target="styles.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/>'
            + "".join(f'<Relationship Id="rId{i + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in range(1, len(sheets) + 1))
            + '</Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                   '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>')
        for i, (_, rows) in enumerate(sheets, start=1):
            with z.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for r in rows:
                    f.write(r.encode())
                f.write(b"</sheetData></worksheet>")
    return path


def unit_day_rows(unit: str, day: int, rows: int = 1) -> list[str]:
    """A daily-report header and `rows` data rows of one unit from 2021-01-`day` on."""
    out = [row(1, *(text_cell(f"{c}1", t) for c, t in zip("ABCD", HEADER.split(","))))]
    for k in range(rows):
        n = k + 2
        out.append(row(n, text_cell(f"A{n}", f"2021-01-{day + k:02d}"), text_cell(f"B{n}", unit),
                       number_cell(f"C{n}", "0"), number_cell(f"D{n}", str(k))))
    return out


def duplicate_sheets_xlsx(path: Path, name: str = "1月11日") -> Path:
    """Three sheets, the first and the third named `name` (as other tools than Excel may write),
    each holding other rows: 柳岸社区, 华林村, 东门社区 on 2021-01-11."""
    return write_workbook(path, [(name, unit_day_rows("柳岸社区", 11)), ("1月12日", unit_day_rows("华林村", 12)),
                                 (name, unit_day_rows("东门社区", 11))])


def duplicate_sheets_ods(path: Path, name: str = "1月11日") -> Path:
    """An ODS spreadsheet of two sheets both named `name`, holding 柳岸社区 and 东门社区."""
    from xml.sax.saxutils import escape, quoteattr

    def table(rows: list[list[str]]) -> str:
        cells = "".join("<table:table-row>" + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
            for v in r) + "</table:table-row>" for r in rows)
        return f"<table:table table:name={quoteattr(name)}>{cells}</table:table>"
    head = HEADER.split(",")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet>'
               + table([head, ["2021-01-11", "柳岸社区", "0", "1"]]) + table([head, ["2021-01-11", "东门社区", "0", "2"]])
               + "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", manifest)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def many_sheets_xlsx(path: Path, sheets: int = 1000) -> Path:
    """`sheets` small sheets (a header and one row each: unit 柳岸社区 on a day of January), named
    第1張 .. 第N張."""
    return write_workbook(path, [(f"第{i}張", unit_day_rows("柳岸社区", 1 + i % 28)) for i in range(1, sheets + 1)])


def huge_cell_csv(path: Path, chars: int = 50 << 20, rows: int = 50, at: int = 3) -> Path:
    """A daily CSV with a remark column; on row `at` (1-based, the header is row 1) the remark is
    `chars` characters long (ASCII: `chars` bytes)."""
    lines = [HEADER + ",备注", *[line + "," for line in data_lines(rows)]]
    with open(path, "wb") as f:
        for n, line in enumerate(lines, start=1):
            f.write(line.encode("utf-8"))
            if n == at:
                for _ in range(chars // (1 << 20)):
                    f.write(b"x" * (1 << 20))
                f.write(b"x" * (chars % (1 << 20)))
            f.write(b"\n")
    return path


def huge_cell_xlsx(path: Path, chars: int = 50 << 20) -> Path:
    """A daily sheet whose row 2 has a remark (column E) of `chars` characters, as an inline string."""
    rows = header_rows()
    rows[0] = rows[0].replace("</row>", text_cell("E1", "备注") + "</row>")
    rows[1] = rows[1].replace("</row>", text_cell("E2", "x" * chars) + "</row>")
    return write_xlsx(path, rows)
