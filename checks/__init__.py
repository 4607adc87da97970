"""Data-quality checks, as data: one folder per suite (checks/reporting/, checks/roster/, ...),
one SQL file per check, read top to bottom: a header giving its id, its label (the Chinese name
pages and the open data show), severity and one-line meaning, then one SELECT returning
unit_code, date, subject_key, message, evidence — one row per finding. Adding a suite is adding
a folder; an empty folder is a suite with no checks yet. Date arithmetic in a check is written as
the macros of db/macros/<engine>.sql ({{ add_days(...) }}); Check.sql is the SQL rendered for
SQLite.

What of a check's findings anonymous visitors may read is declared in its header too (the open
copy is built from these declarations, fangyi.site.open_copy):
    -- subject: open            the privacy class of subject_key (a trace code: open; a person's
                                name: name, shown as a pseudonym); none: withheld
    -- open: message            the message is built from open data only (unit names, dates,
                                counts, trace codes); otherwise the open copy shows the check's
                                label, the unit and the day instead
    -- open evidence: town_code, days      the evidence keys that are open; the others are withheld

Where a finding's evidence row is (the row its evidence's file_id, sheet and row name) is declared
in the header too, so that the site can link a finding to that row (fangyi.site.links):
    -- evidence row: coldchain_batches                 the table of a kind holding that row
    -- evidence row: coldchain_sales when side = sale; coldchain_batches when side = receipt
                                the table chosen by a key of the evidence
    -- evidence row: coldchain_batches; coldchain_sales at sale_
                                a second row, named by the keys sale_file_id, sale_sheet, sale_row

A check whose findings are not all equally grave says so in its header: `-- row severity:
warning` lists the lower severities its rows may take; its SELECT then returns a `severity`
column as well (the header's severity when NULL), e.g. a family gathering above the advised
size is a warning where another event above the limit is an error, and a positive returnee test
is an error until its disposal is recorded, a warning after.

A kind brought by a plug-in may bring a suite folder of its own (Kind.checks): all_checks()
holds those checks beside the built-in ones."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fangyi.db.dialect import DialectError, render

DEFAULT_DOCS = Path("gx/data_docs")           # where Great Expectations writes Data Docs
SEVERITIES = ("info", "warning", "error")          # in rising order
HEADER_FIELDS = ("check", "label", "severity", "meaning")     # each check file's header lines
OPEN_FIELDS = ("subject", "open", "open evidence")            # optional: what of its findings is open
# one header line each; a line with nothing after the colon is a missing value (not the next line)
_HEADER = re.compile(r"^--[ \t]*(check|label|severity|row severity|meaning|subject|open|open evidence|evidence row):"
                     r"[ \t]*(.*?)[ \t\r]*$", re.M)
# one entry of `-- evidence row:`: a table, optionally `when <key> = <value>`, optionally `at <prefix>`
_EVIDENCE_ROW = re.compile(r"^(\w+)(?:\s+when\s+(\w+)\s*=\s*(\w+))?(?:\s+at\s+(\w+))?$")


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
    subject: str = "private"    # privacy class of subject_key (fangyi.ingest.kinds.PRIVACY)
    open: frozenset = frozenset()        # {"message"} when the message is built from open data only
    open_evidence: tuple = ()   # the evidence keys that are open
    row_severities: tuple = ()  # lower severities a row may take (its `severity` column); () none
    # where the evidence's rows are: (table, key, value, prefix) each; key/value: only when the
    # evidence's key has that value; prefix: the row named by <prefix>file_id, <prefix>sheet, <prefix>row
    evidence_rows: tuple = ()


def load_checks(root=None) -> list[Check]:
    """Every check of every suite folder under `root` (default: this package). Fails loudly
    on a malformed check, a duplicate id, or when no check is found at all."""
    root = root or resources.files(__package__)
    out: list[Check] = []
    suites = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))),
                    key=lambda p: p.name)
    for suite in suites:
        out += load_suite(suite)
    if not out:
        raise CheckDefinitionError(f"no checks found under {root}: the installation is incomplete "
                                   "(checks/<suite>/*.sql must be installed with the package)")
    _no_duplicates(out)
    return out


def load_suite(folder) -> list[Check]:
    """The checks of one suite folder (named after it), in file-name order."""
    from fangyi.ingest.kinds import PRIVACY

    out = []
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
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
        subject = head.get("subject") or "private"
        opened = {w.strip() for w in (head.get("open") or "").split(",") if w.strip()}
        if subject not in PRIVACY or not opened <= {"message"}:
            raise CheckDefinitionError(f"{path}: -- subject: takes one of {', '.join(PRIVACY)}; "
                                       "-- open: takes message")
        lower = tuple(w.strip() for w in (head.get("row severity") or "").split(",") if w.strip())
        if any(w not in SEVERITIES or SEVERITIES.index(w) >= SEVERITIES.index(head["severity"]) for w in lower):
            raise CheckDefinitionError(f"{path}: -- row severity: takes severities below {head['severity']!r}")
        evidence_rows = []
        for entry in (head.get("evidence row") or "").split(";"):
            if not entry.strip():
                continue
            m = _EVIDENCE_ROW.match(entry.strip())
            if m is None:
                raise CheckDefinitionError(f"{path}: -- evidence row: takes `table [when key = value] [at prefix]`, "
                                           f"separated by ';' (not {entry.strip()!r})")
            evidence_rows.append((m[1], m[2], m[3], m[4] or ""))
        try:
            rendered = render(sql).strip()
        except DialectError as exc:
            raise CheckDefinitionError(f"{path}: {exc}") from exc
        out.append(Check(id=head["check"], severity=head["severity"], label=head["label"],
                         meaning=head["meaning"], suite=folder.name, sql=rendered, subject=subject,
                         open=frozenset(opened),
                         open_evidence=tuple(k.strip() for k in (head.get("open evidence") or "").split(",")
                                             if k.strip()),
                         row_severities=lower, evidence_rows=tuple(evidence_rows)))
    return out


def _no_duplicates(checks: list[Check]) -> None:
    ids = [c.id for c in checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CheckDefinitionError(f"check ids defined twice: {', '.join(duplicates)}")


def all_checks() -> list[Check]:
    """The built-in checks and those of every registered kind that brings its own suite folder."""
    from fangyi.ingest import kinds

    folders = tuple(sorted({str(k.checks) for k in kinds.all_kinds().values() if k.checks}))
    if folders not in _PLUGGED:
        out = list(CHECKS)
        for folder in folders:
            out += load_suite(Path(folder))
        _no_duplicates(out)
        _PLUGGED[folders] = out
    return _PLUGGED[folders]


_PLUGGED: dict[tuple, list[Check]] = {}


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
