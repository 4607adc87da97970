"""Empty forms for a kind (`fangyi template KIND OUT.xlsx`): the headers the ingest recognises,
one example row marked 示例 (read back as not data), and a 說明 sheet explaining each column."""
from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

from fangyi.ingest import kinds as registry
from fangyi.ingest.sheet import EXAMPLE  # noqa: F401  (the example row's marker is read there)

EXAMPLE_MARK = "示例："


def write_template(kind_name: str, out: Path | str) -> Path:
    kind = registry.get(kind_name)
    out = Path(out)
    book = openpyxl.Workbook()
    form = book.active
    form.title = "填報"
    fields = [f for f in kind.fields]
    form.append([f.synonyms[0] for f in fields])
    form.append([(EXAMPLE_MARK + f.example) if f.name == kind.label_field else f.example for f in fields])
    bold = Font(bold=True)
    for col, f in enumerate(fields, start=1):
        form.cell(1, col).font = bold
        form.cell(1, col).fill = PatternFill("solid", fgColor="DDEBF7")
        form.cell(2, col).font = Font(italic=True, color="808080")
        form.column_dimensions[form.cell(1, col).column_letter].width = max(12, 2 * len(f.synonyms[0]) + 4)
        form.cell(2, col).number_format = "@"
    form.freeze_panes = "A2"

    notes = book.create_sheet("說明")
    notes.append([f"{kind.title}：填報說明"])
    notes["A1"].font = Font(bold=True, size=13)
    notes.append([kind.notes])
    notes.append(["第 2 行是示例（「" + EXAMPLE_MARK + "」開頭），攝入時不算數據；可刪除，也可保留。"
                  "列的順序可以調整，表頭可用下表所列的任一寫法，繁體簡體均可。"])
    notes.append([])
    notes.append(["表頭 header", "字段 field", "說明", "description", "示例 example", "也可寫作 other accepted headers"])
    for cell in notes[5]:
        cell.font = bold
    for f in fields:
        notes.append([f.synonyms[0], f.name, f.zh, f.en, f.example, "、".join(f.synonyms[1:])])
    for col, width in zip("ABCDEF", (18, 20, 36, 40, 18, 50)):
        notes.column_dimensions[col].width = width
    for row in notes.iter_rows(min_row=2, max_row=3):
        row[0].alignment = Alignment(wrap_text=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
