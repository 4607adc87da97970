"""Data-quality checks, as data: one folder per suite (checks/reporting/, checks/roster/, ...),
one SQL file per check, read top to bottom: a header giving its id, its label (the Chinese name
pages and the open data show), severity and one-line meaning, then one SELECT returning
unit_code, date, subject_key, message, evidence — one row per finding. Adding a suite is adding
a folder; an empty folder is a suite with no checks yet. Date arithmetic in a check is written as
the macros of db/macros/<engine>.sql ({{ add_days(...) }}); Check.sql is the SQL rendered for
SQLite."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fangyi.db.dialect import DialectError, render

DEFAULT_DOCS = Path("gx/data_docs")           # where Great Expectations writes Data Docs
SEVERITIES = ("info", "warning", "error")          # in rising order
HEADER_FIELDS = ("check", "label", "severity", "meaning")     # each check file's header lines
# one header line each; a line with nothing after the colon is a missing value (not the next line)
_HEADER = re.compile(r"^--[ \t]*(check|label|severity|meaning):[ \t]*(.*?)[ \t\r]*$", re.M)


class CheckDefinitionError(Exception):
    pass


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    label: str                  # the check's Chinese label, e.g. 漏報：應報而未報
    meaning: str
    suite: str
    sql: str                    # rendered: the macros written out as SQLite


def load_checks(root=None) -> list[Check]:
    """Every check of every suite folder under `root` (default: this package). Fails loudly
    on a malformed check, a duplicate id, or when no check is found at all."""
    root = root or resources.files(__package__)
    out: list[Check] = []
    suites = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))),
                    key=lambda p: p.name)
    for suite in suites:
        for path in sorted((p for p in suite.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
            sql = path.read_text(encoding="utf-8")
            head = dict(_HEADER.findall(sql))
            missing = [f"-- {name}:" for name in HEADER_FIELDS if not head.get(name)]
            if missing or head["severity"] not in SEVERITIES:
                raise CheckDefinitionError(
                    f"{path}: needs -- check:, -- label: (its Chinese label), -- severity: (info|warning|error), "
                    "-- meaning: (" + (f"missing {', '.join(missing)}" if missing
                                       else f"severity {head['severity']!r} is none of these") + ")")
            if head["check"] != path.name[:-4]:
                raise CheckDefinitionError(f"{path}: check id {head['check']!r} differs from the file name")
            try:
                rendered = render(sql).strip()
            except DialectError as exc:
                raise CheckDefinitionError(f"{path}: {exc}") from exc
            out.append(Check(id=head["check"], severity=head["severity"], label=head["label"],
                             meaning=head["meaning"], suite=suite.name, sql=rendered))
    if not out:
        raise CheckDefinitionError(f"no checks found under {root}: the installation is incomplete "
                                   "(checks/<suite>/*.sql must be installed with the package)")
    ids = [c.id for c in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CheckDefinitionError(f"check ids defined twice: {', '.join(duplicates)}")
    return out


def suites(checks: list[Check]) -> dict[str, list[Check]]:
    out: dict[str, list[Check]] = {}
    for c in checks:
        out.setdefault(c.suite, []).append(c)
    return out


CHECKS: list[Check] = load_checks()
BY_ID = {c.id: c for c in CHECKS}
LABELS: dict[str, str] = {c.id: c.label for c in CHECKS}      # check_id -> label, in CHECKS order


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
