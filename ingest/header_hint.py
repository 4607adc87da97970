"""What to tell someone whose file has no header the workbench recognises: the row it took for
the header, the headers in it it did not know, and the `[headers.<kind>]` lines to add to the
settings — once per file, however many sheets repeat the same form.

A file from another office's system usually has a header, just not ours. Saying "no sheet has a
recognisable header" and a list of our own column names leaves the user guessing which row was
looked at and what to write in fangyi.toml; this names both.
"""
from __future__ import annotations

import difflib
import re

from . import kinds as registry
from .headers import HEADER_SEARCH_ROWS, SynonymTable

_NUMBER_OR_DATE = re.compile(r"^[\s\d.,:/+\-年月日時时分秒TZ]*$")


def _is_label(cell) -> bool:
    """A cell that could be a column's name: text that is not a number, date or time."""
    text = "" if cell is None else str(cell).strip()
    return bool(text) and not _NUMBER_OR_DATE.match(text)


def header_row(head: list[list]) -> tuple[int, list[str]] | None:
    """(0-based index, the labels) of the row among the first rows that looks most like a
    header: the most cells that are labels (not numbers or dates), the earliest on a tie."""
    best = None
    for i, row in enumerate(head[:HEADER_SEARCH_ROWS]):
        labels = [str(c).strip() for c in row if _is_label(c)]
        if len(labels) >= 2 and (best is None or len(labels) > len(best[1])):
            best = (i, labels)
    return best


def _best_kind(labels: list[str], synonyms: SynonymTable, kinds: list[str]) -> tuple[str, dict[str, str]]:
    """The kind whose fields the labels match most (the daily report on a tie, being the most
    common file), and {label: field} of the labels it knows."""
    def known(kind):
        out = {}
        for label in labels:
            field = synonyms.field(kind, label)
            if field and field not in out.values():
                out[label] = field
        return out

    # the daily report unless another kind knows at least two more of the labels
    kind = max(kinds, key=lambda k: (len(known(k)) + (1 if k == "daily" else 0), -kinds.index(k)))
    return kind, known(kind)


def _guess(label: str, fields) -> str | None:
    """The field a foreign header probably means, by its English name ('confirmed' ->
    new_confirmed, 'date' -> report_date), or None: a suggestion only, the user decides."""
    word = label.strip().lower()
    if not word.isascii() or len(word) < 4:
        return None
    for f in fields:
        parts = f.name.split("_")
        if word in parts or word == f.name or any(len(p) > 3 and p in word for p in parts):
            return f.name
    names = difflib.get_close_matches(word, [f.name for f in fields], n=1, cutoff=0.75)
    return names[0] if names else None


def no_header_reason(sheets, synonyms: SynonymTable, kinds: list[str]) -> str:
    """The reason a file with no recognised header fails, in one message (Chinese, then English)."""
    tried = [(s, header_row(s.head)) for s in sheets]
    tried = [(s, found) for s, found in tried if found]
    if not tried:
        expected = "; ".join(f"{k}: {registry.get(k).describe()}" for k in kinds)
        return ("沒有一個工作表有可識別的表頭，也找不到像表頭的一行（文件是否為空？） / no sheet has a recognisable "
                f"header, and no row looks like one (is the file empty?); expected columns such as {expected}")
    sheet, (index, labels) = max(tried, key=lambda t: len(t[1][1]))
    same = sum(1 for s, found in tried if s is not sheet and found[1] == labels)
    kind, known = _best_kind(labels, synonyms, kinds)
    unknown = [label for label in labels if label not in known]
    spec = registry.get(kind)
    wanted = [f for f in spec.fields if f.name not in known.values()]
    guesses, taken = [], set()
    for label in unknown:
        field = _guess(label, [f for f in wanted if f.name not in taken])
        if field:
            guesses.append(f'{field} = ["{label}"]')
            taken.add(field)
    guesses = guesses[:6]
    place = f"工作表「{sheet.name}」第 {index + 1} 行" if sheet.name else f"第 {index + 1} 行"
    place_en = f"sheet {sheet.name!r} row {index + 1}" if sheet.name else f"row {index + 1}"
    others = f"（另有 {same} 個工作表相同）" if same else ""
    others_en = f" (and {same} more sheets alike)" if same else ""
    unknown_text = ", ".join(_short(h) for h in unknown) or "-"
    known_text = ", ".join(f"{_short(h)}→{f}" for h, f in known.items())
    mapped = set(known.values()) | {g.split(" = ")[0] for g in guesses}
    if spec.label_field not in mapped and spec.label_field in {f.name for f in wanted}:
        guesses.append(f'{spec.label_field} = ["…"]')     # the column a row is recognised by
    line = "; ".join(guesses) or 'field = ["header"]'
    # what to do first: the message is cut at 500 characters (ingest.load.failure_reason)
    return (f"沒有一個工作表有可識別的表頭 / no sheet has a recognisable header. 在 fangyi.toml 的 [headers.{kind}] 下為要讀的列各加一行 / "
            f"add under [headers.{kind}] in fangyi.toml a line per column to read, e.g. {line} (字段見 fields: "
            f"`fangyi template {kind}`)；再讀入 / then ingest again. 表頭行 header row: {place}{others} / "
            f"{place_en}{others_en}; 不認得 not known: {unknown_text}" + (f"; 認得 known: {known_text}" if known else ""))


def _short(text: str, most: int = 24) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"
