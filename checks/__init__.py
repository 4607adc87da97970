"""Data-quality checks. One check = one SQL file under checks/<suite>/, read top to bottom:
a header giving its id, severity and one-line meaning, then one SELECT returning the columns
unit_code, date, subject_key, message, evidence — one row per finding."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_DOCS = Path("gx/data_docs")           # where Great Expectations writes Data Docs
SEVERITIES = ("info", "warning", "error")          # in rising order
_HEADER = re.compile(r"^--\s*(check|severity|meaning):\s*(.+?)\s*$", re.M)


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    meaning: str
    suite: str
    sql: str


def _load() -> list[Check]:
    out = []
    root = resources.files(__package__)
    for suite in sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")),
                        key=lambda p: p.name):
        for path in sorted((p for p in suite.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
            sql = path.read_text(encoding="utf-8")
            head = dict(_HEADER.findall(sql))
            if set(head) != {"check", "severity", "meaning"} or head["severity"] not in SEVERITIES:
                raise ValueError(f"{path}: needs -- check:, -- severity: (info|warning|error), -- meaning:")
            if head["check"] != path.name[:-4]:
                raise ValueError(f"{path}: check id {head['check']!r} differs from the file name")
            out.append(Check(head["check"], head["severity"], head["meaning"], suite.name, sql.strip()))
    return out


CHECKS: list[Check] = _load()
BY_ID = {c.id: c for c in CHECKS}


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
