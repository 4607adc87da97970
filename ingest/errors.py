"""The one error type for input that cannot be read: it names the file and, where known,
the sheet, row and column."""
from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    def __init__(self, path: Path | str, reason: str, sheet: str | None = None,
                 row: int | None = None, column: str | None = None):
        self.path, self.reason, self.sheet, self.row, self.column = path, reason, sheet, row, column
        where = [str(path)]
        if sheet:
            where.append(f"sheet {sheet!r}")
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column}")
        super().__init__(f"{', '.join(where)}: {reason}")
