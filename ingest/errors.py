"""The one error type for input that cannot be read: it names the file and, where known,
the sheet, row and column (in Chinese, the English beside)."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    def __init__(self, path: Path | str, reason: str, sheet: str | None = None,
                 row: int | None = None, column: str | None = None):
        self.path, self.reason, self.sheet, self.row, self.column = path, reason, sheet, row, column
        super().__init__(f"{path}{where(sheet, row, column)}: {reason}")


def where(sheet: str | None = None, row: int | tuple[int, int] | None = None, column: str | None = None) -> str:
    """The place in a file, Chinese first and the English beside: '，工作表「日報」，第 4 行，
    E 列 / sheet '日報', row 4, column E' ('' when nothing is known). `row` may be a range of
    rows (first, last): '第 4–9 行 / rows 4–9'."""
    zh, en = [], []
    if sheet:
        zh.append(f"工作表「{sheet}」")
        en.append(f"sheet {sheet!r}")
    if isinstance(row, tuple):
        first, last = row
        zh.append(f"第 {first}–{last} 行" if last != first else f"第 {first} 行")
        en.append(f"rows {first}–{last}" if last != first else f"row {first}")
    elif row is not None:
        zh.append(f"第 {row} 行")
        en.append(f"row {row}")
    if column:
        zh.append(f"{column} 列")
        en.append(f"column {column}")
    return f"，{'，'.join(zh)} / {', '.join(en)}" if zh else ""
