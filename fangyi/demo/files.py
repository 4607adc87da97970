"""Output files as rows before they are typed, and their deterministic saving: XLSX with
fixed document properties and fixed zip timestamps, CSV as Excel on Windows writes it,
and each file's entry in the manifest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
import zipfile
from dataclasses import dataclass, field

import openpyxl
from openpyxl.writer.excel import ExcelWriter

# Fixed time used for workbook properties and zip entries (determinism).
FIXED_STAMP = dt.datetime(2021, 2, 8, 9, 0, 0)


@dataclass
class Sheet:
    name: str
    rows: list = field(default_factory=list)
    kinds: list = field(default_factory=list)  # title|header|data|rejected|total|footer|blank
    merges: list = field(default_factory=list)
    widths: dict = field(default_factory=dict)
    date_format: str = "yyyy/m/d"
    datetime_format: str = "yyyy/m/d h:mm"

    def add(self, kind: str, values) -> int:
        self.rows.append(list(values))
        self.kinds.append(kind)
        return len(self.rows)  # 1-based physical row / record number


@dataclass
class OutFile:
    path: str  # relative to out_dir, forward slashes
    kind: str  # units | daily
    encoding: str  # xlsx | gb18030 | utf-8-sig
    sheets: list[Sheet] = field(default_factory=list)


def save(out: OutFile, out_dir: pathlib.Path) -> None:
    """Write the file under out_dir, creating its folders."""
    path = out_dir / out.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if out.encoding == "xlsx":
        save_xlsx(out, path)
    else:
        save_csv(out, path)


def save_xlsx(out: OutFile, path: pathlib.Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sh in out.sheets:
        ws = wb.create_sheet(sh.name)
        for r, values in enumerate(sh.rows, 1):
            for c, v in enumerate(values, 1):
                if v is None or v == "":
                    continue  # leave the cell absent: blank, and no stray max_row
                cell = ws.cell(row=r, column=c, value=v)
                if isinstance(v, dt.datetime):
                    cell.number_format = sh.datetime_format
                elif isinstance(v, dt.date):
                    cell.number_format = sh.date_format
        for ref in sh.merges:
            ws.merge_cells(ref)
        for col, width in sh.widths.items():
            ws.column_dimensions[col].width = width
    wb.properties.creator = "清河區疫情防控指揮部辦公室"
    wb.properties.last_modified_by = None
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()  # save_workbook() would stamp "modified" with now()
    # Re-pack with fixed entry timestamps.
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    path.write_bytes(fixed.getvalue())


def save_csv(out: OutFile, path: pathlib.Path) -> None:
    (sheet,) = out.sheets
    with open(path, "w", encoding=out.encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")  # what Excel on Windows writes
        for values in sheet.rows:
            writer.writerow(["" if v is None else v for v in values])


def file_entry(out: OutFile) -> dict:
    """The file's row accounting for the manifest."""
    kinds = [k for sh in out.sheets for k in sh.kinds]
    data = sum(k in ("data", "rejected") for k in kinds)
    return {
        "path": out.path,
        "kind": out.kind,
        "encoding": out.encoding,
        "sheets": [sh.name for sh in out.sheets],
        "rows_read": len(kinds),
        "data_rows": data,
        "not_data_rows": len(kinds) - data,
        "rejected_rows": kinds.count("rejected"),
    }
