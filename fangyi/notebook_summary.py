"""The end of an auditor's notebook as people read it: its result (what `fangyi.notebook.publish`
hands the runner as JSON) shown as a labelled table, Chinese first, instead of the JSON itself.
Lists of rows become small tables (the first rows, then how many in all); yes/no, none and
numbers are written out. The JSON stays beside it, for the runner and the tests."""
from __future__ import annotations

import html

SHOWN_ROWS = 15
# The labels of the results the notebooks publish (a key not listed is shown as it is named).
LABELS = {
    "status_counts": "各狀態單位日數 unit-days by status",
    "expected": "應報單位日 expected unit-days",
    "actual": "實報單位日 unit-days reported",
    "streaks": "連續未報 silent streaks",
    "unit_code": "單獨列出的單位 unit shown on its own",
    "unit_missed_days": "該單位漏報的日子 its missed days",
    "week": "周 week",
    "bulletin_matches": "重算與 SQL 通報一致 recomputed bulletin equals the SQL one",
    "differences": "差異 differences",
    "district": "區縣 district",
    "towns": "街道鄉鎮排名 towns ranked",
    "missed": "漏報 missed reports",
    "late": "遲報 late reports",
    "trace_code": "追溯碼 trace code",
    "batch_balances": "物料平衡 the batch balances",
    "received_kg": "區外收到 received from outside (kg)",
    "sold_to_final_buyers_kg": "賣給最終買家 sold to final buyers (kg)",
    "on_hand_kg": "結存 on hand (kg)",
    "on_hand_by_merchant": "各商戶結存 on hand by merchant (kg)",
    "merchants": "路徑上的商戶 merchants on the path",
    "buyers": "最終買家 final buyers",
    "chain_findings": "物料平衡與鏈條檢查結果 mass-balance and chain findings",
    "evidence_rows_found": "找到的證據行 evidence rows found",
    "overclaims": "超額申領 over-claims",
    "overclaim_findings": "超額申領檢查結果 over-claim findings",
    "over": "超出值班表支持的申領 claims above what the roster supports",
    "coverage": "值班覆蓋 roster coverage (unit-days)",
    "gaps": "值班缺口 roster gaps",
    "double_booked": "重複排班 double-booked",
    "agreement": "重算與檢查結果對照 recomputed versus findings",
    "returnees_in_force": "現管返鄉人員 returnees in force",
    "owed": "應檢核酸 tests owed, by status",
}


def _scalar(value) -> str:
    if value is True:
        return "是 yes"
    if value is False:
        return "否 no"
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}: {_scalar(v)}" for k, v in value.items())
    return _scalar(value)


def _rows_table(rows: list) -> str:
    shown = rows[:SHOWN_ROWS]
    if all(isinstance(r, dict) for r in shown):
        columns = list(dict.fromkeys(k for r in shown for k in r))
        head = "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>"
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in columns) + "</tr>"
                       for r in shown)
    else:
        head = ""
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r) + "</tr>"
                       if isinstance(r, (list, tuple)) else f"<tr><td>{html.escape(_cell(r))}</td></tr>" for r in shown)
    more = (f"<p>…共 {len(rows):,} 行，只列出前 {SHOWN_ROWS} 行 / {len(rows):,} rows in all, the first {SHOWN_ROWS} "
            "shown</p>") if len(rows) > SHOWN_ROWS else ""
    return f"<table>{head}{body}</table>{more}"


def _value_html(value) -> str:
    if isinstance(value, (list, tuple)):
        if not value:
            return "無 none"
        if any(isinstance(v, (list, tuple, dict)) for v in value):
            return _rows_table(list(value))
        return html.escape(_cell(value))
    if isinstance(value, dict):
        if not value:
            return "無 none"
        return "<br>".join(f"{html.escape(str(k))}: {html.escape(_cell(v))}" for k, v in value.items())
    return html.escape(_scalar(value))


def _value_text(value) -> str:
    if isinstance(value, (list, tuple)):
        if not value:
            return "無 none"
        lines = [_cell(v) for v in value[:SHOWN_ROWS]]
        more = [f"… {len(value):,} in all"] if len(value) > SHOWN_ROWS else []
        return "\n    ".join(["", *lines, *more]) if any(isinstance(v, (list, tuple, dict)) for v in value) \
            else "、".join(lines + more)
    if isinstance(value, dict):
        return _cell(value) if value else "無 none"
    return _scalar(value)


def as_html(payload: dict) -> str:
    """The result as an HTML table: one row per item, its label and its value."""
    rows = "".join(f"<tr><th style=\"text-align:left;vertical-align:top\">{html.escape(LABELS.get(k, k))}</th>"
                   f"<td style=\"text-align:left\">{_value_html(v)}</td></tr>" for k, v in payload.items())
    return f"<div class=\"fangyi-summary\"><h3>結果摘要 Summary</h3><table>{rows}</table></div>"


def as_text(payload: dict) -> str:
    """The result as lines of text (a terminal, or a front end without HTML)."""
    return "\n".join(["結果摘要 Summary", *(f"{LABELS.get(k, k)}: {_value_text(v)}" for k, v in payload.items())])
