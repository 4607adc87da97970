"""Tracing a batch of imported cold-chain food through the merchants' ledgers (全程可追溯).

Forward, by trace code: every merchant that received or sold the batch, from the one that
bought it from outside the district (the importer's side) through wholesalers and retailers to
the final buyers, with each receipt and sale (quantities, dates, counterparties, certificates)
and the balance at each merchant. Backward, from a merchant or a buyer: the path up to the
importer. Both read the view `coldchain_trace` and the tables `fangyi check` derives
(coldchain_sale_batches, coldchain_balances, merchants); the database is opened read-only.

Usable from notebooks::

    from fangyi.trace import trace_batch, trace_back
    t = trace_batch("db/workbench.db", "QL2101120001")
    print(t.text()); t.totals(); t.rows            # rows: one dict per receipt or sale
    for path in trace_back("db/workbench.db", merchant_id="LA-A01"): print(path.text())
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from fangyi import db

# One row per receipt or sale of a trace code; the canned query batch_trace is this query.
TRACE_SQL = """
SELECT trace_code, movement, date, merchant_id, merchant_name, market, from_name, from_id, to_name, to_id,
       phone, product, spec, quantity, qty_unit, quantity_kg, importer, origin_country, batch_no,
       inspection_cert_no, nat_report_no, nat_result, disinfection_cert_no,
       received_kg, sold_kg, on_hand_kg, on_hand_qty, balance_unit, source_file, sheet, row_number, record_id
FROM coldchain_trace
WHERE trace_code = upper(replace(:trace_code, ' ', ''))
ORDER BY date, movement, merchant_id, record_id
"""

# Spreadsheet columns: (key of a row, header).
XLSX_COLUMNS = (
    ("trace_code", "追溯碼 trace code"), ("movement", "收/銷 movement"), ("date", "日期 date"),
    ("merchant_name", "商戶 merchant"), ("merchant_id", "商戶編號 merchant id"), ("market", "市場 market"),
    ("product", "品名 product"), ("spec", "規格 spec"), ("quantity", "數量 quantity"), ("qty_unit", "單位 unit"),
    ("quantity_kg", "公斤 kg"), ("from_name", "來自 from"), ("from_id", "來自編號 from id"),
    ("to_name", "去向 to"), ("to_id", "去向編號 to id"), ("phone", "電話 phone"), ("importer", "進口商 importer"),
    ("origin_country", "原產國 origin"), ("batch_no", "批號 batch"),
    ("inspection_cert_no", "檢驗檢疫證明 inspection certificate"), ("nat_report_no", "核酸檢測報告 NAT report"),
    ("nat_result", "核酸結果 NAT result"), ("disinfection_cert_no", "消毒證明 disinfection certificate"),
    ("on_hand_kg", "該商戶結存公斤 on hand at merchant (kg)"), ("source_file", "來源文件 source file"),
    ("sheet", "工作表 sheet"), ("row_number", "行號 row"),
)
FORMULA_START = ("=", "+", "-", "@")


class TraceError(Exception):
    pass


def ident(text: str) -> str:
    """A code as the ledgers are stored: NFKC, no whitespace, upper case (as ingest writes it)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


@dataclass
class Stop:
    """One merchant on a batch's path: its receipts and sales of the batch and its balance."""
    merchant_id: str
    name: str
    market: str | None
    receipts: list[dict] = field(default_factory=list)
    sales: list[dict] = field(default_factory=list)
    downstream: list["Stop"] = field(default_factory=list)

    @property
    def balance(self) -> dict:
        row = (self.receipts or self.sales)[0]
        return {k: row[k] for k in ("received_kg", "sold_kg", "on_hand_kg", "on_hand_qty", "balance_unit")}


@dataclass
class BatchTrace:
    trace_code: str
    rows: list[dict]                       # coldchain_trace rows, in date order
    stops: dict[str, Stop]                 # merchant_id -> its stop
    roots: list[Stop]                      # where the batch entered the district's ledgers

    def final_sales(self) -> list[dict]:
        """Sales to buyers who are not merchants on the path (consumers, restaurants, ...)."""
        return [r for r in self.rows if r["movement"] == "sale" and r["to_id"] not in self.stops]

    def outside_receipts(self) -> list[dict]:
        """Receipts from suppliers who are not merchants on the path."""
        return [r for r in self.rows if r["movement"] == "receipt" and r["from_id"] not in self.stops]

    def totals(self) -> dict:
        """kg received from outside, sold to final buyers and on hand at each merchant (None
        where a weight is unknown). When every link is recorded, received = sold + on hand."""
        def total(values):
            values = list(values)
            return None if any(v is None for v in values) else round(sum(values), 3)
        on_hand = {s.merchant_id: s.balance["on_hand_kg"] for s in self.stops.values()}
        return {
            "received_kg": total(r["quantity_kg"] for r in self.outside_receipts()),
            "sold_to_final_buyers_kg": total(r["quantity_kg"] for r in self.final_sales()),
            "on_hand_kg": total(on_hand.values()),
            "on_hand_by_merchant": on_hand,
        }

    def text(self) -> str:
        first = next((r for r in self.rows if r["movement"] == "receipt"), self.rows[0])
        lines = [f"追溯碼 {self.trace_code} — {first['product'] or '?'}"
                 + (f" ({first['origin_country']})" if first["origin_country"] else "")
                 + (f", importer {first['importer']}" if first["importer"] else "")]
        lines.append("  certificates: " + _certificates(first))
        seen: set[str] = set()
        for root in self.roots:
            _render(root, self, lines, 0, seen)
        t = self.totals()
        on_hand = ", ".join(f"{self.stops[m].name} {_num(v)} kg" for m, v in t["on_hand_by_merchant"].items())
        lines.append(f"Totals: received from outside {_num(t['received_kg'])} kg = sold to final buyers "
                     f"{_num(t['sold_to_final_buyers_kg'])} kg + on hand {_num(t['on_hand_kg'])} kg ({on_hand})")
        return "\n".join(lines) + "\n"


def _num(value) -> str:
    if value is None:
        return "?"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _qty(r: dict) -> str:
    text = f"{_num(r['quantity'])} {r['qty_unit'] or ''}".strip()
    if r["quantity_kg"] is None:
        return f"{text} (kg unknown)"
    if (r["qty_unit"] or "").lower() in ("kg", "公斤", "千克"):
        return text
    return f"{text} ({_num(r['quantity_kg'])} kg)"


def _certificates(r: dict) -> str:
    return (f"檢驗檢疫 {r['inspection_cert_no'] or 'MISSING'}, 核酸 {r['nat_report_no'] or 'MISSING'} "
            f"({r['nat_result'] or 'no result'}), 消毒 {r['disinfection_cert_no'] or 'MISSING'}")


def _party(name, ident_, phone=None) -> str:
    out = name or "(no name)"
    if ident_:
        out += f" [{ident_}]"
    if phone:
        out += f" {phone}"
    return out


def _render(stop: Stop, trace: BatchTrace, lines: list[str], depth: int, seen: set[str]) -> None:
    pad = "    " * depth
    arrow = "└─ " if depth else ""
    lines.append(f"{pad}{arrow}{stop.name} [{stop.merchant_id}]" + (f" {stop.market}" if stop.market else ""))
    pad += "     " if depth else "  "
    if stop.merchant_id in seen:
        lines.append(f"{pad}(already shown above)")
        return
    seen.add(stop.merchant_id)
    for r in stop.receipts:
        lines.append(f"{pad}received {r['date']}  {_qty(r)}  from {_party(r['from_name'], r['from_id'], r['phone'])}")
    for r in stop.sales:
        onward = " →" if r["to_id"] in trace.stops else (
            " (a registered merchant with no receipt of it)" if r["to_id"] else "")
        lines.append(f"{pad}sold     {r['date']}  {_qty(r)}  to {_party(r['to_name'], r['to_id'], r['phone'])}{onward}")
    b = stop.balance
    if b["on_hand_kg"] is not None:
        balance = (f"received {_num(b['received_kg'])} kg, sold {_num(b['sold_kg'])} kg, "
                   f"on hand {_num(b['on_hand_kg'])} kg")
    elif b["on_hand_qty"] is not None:
        balance = f"on hand {_num(b['on_hand_qty'])} {b['balance_unit']} (weight unknown)"
    else:
        balance = "unknown (a quantity has no weight)"
    lines.append(f"{pad}balance: {balance}")
    for child in stop.downstream:
        _render(child, trace, lines, depth + 1, seen)


def _connect(db_path: Path | str):
    conn = db.connect(db_path, readonly=True)
    stale = conn.execute(
        "SELECT (SELECT count(*) FROM coldchain_sales s WHERE NOT EXISTS "
        "        (SELECT 1 FROM coldchain_sale_batches b WHERE b.sale_id = s.sale_id))"
        "     + (SELECT count(*) FROM coldchain_batches r WHERE r.trace_code IS NOT NULL AND NOT EXISTS "
        "        (SELECT 1 FROM coldchain_balances b WHERE b.merchant_id = r.merchant_id "
        "         AND b.trace_code = r.trace_code))").fetchone()[0]
    if stale:
        conn.close()
        raise TraceError(f"{db_path}: ledgers were ingested after the last check run; run `fangyi check` first "
                         "(the balances and each sale's batch are worked out there)")
    return conn


def _rows(conn, trace_code: str) -> list[dict]:
    cur = conn.execute(TRACE_SQL, {"trace_code": trace_code})
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def trace_rows(db_path: Path | str, trace_codes) -> list[dict]:
    """The coldchain_trace rows of several trace codes, in order (for a spreadsheet)."""
    conn = _connect(db_path)
    try:
        return [row for code in dict.fromkeys(trace_codes) for row in _rows(conn, code)]
    finally:
        conn.close()


def trace_batch(db_path: Path | str, trace_code: str) -> BatchTrace:
    """The forward trace of one trace code (written with or without spaces, any case)."""
    conn = _connect(db_path)
    try:
        rows = _rows(conn, trace_code)
    finally:
        conn.close()
    code = ident(trace_code)
    if not rows:
        raise TraceError(f"no receipt or sale of trace code {code} in {db_path}")
    stops: dict[str, Stop] = {}
    for r in rows:
        stop = stops.setdefault(r["merchant_id"], Stop(r["merchant_id"], r["merchant_name"], r["market"]))
        (stop.receipts if r["movement"] == "receipt" else stop.sales).append(r)
    fed: set[str] = set()
    for stop in stops.values():
        for r in stop.sales:
            child = stops.get(r["to_id"])
            if child is not None and child is not stop and child not in stop.downstream:
                stop.downstream.append(child)
                fed.add(child.merchant_id)
    roots = [s for s in stops.values() if s.merchant_id not in fed] or list(stops.values())[:1]
    return BatchTrace(code, rows, stops, roots)


@dataclass
class BackPath:
    """From a merchant (or a buyer) up to where the batch entered: steps, nearest first."""
    trace_code: str
    start: str                                         # the merchant or buyer traced from
    steps: list[dict]                                  # receipts (and a first sale for a buyer)
    importer: str | None
    origin_country: str | None

    def text(self) -> str:
        parts = [self.start]
        for r in self.steps:
            if r["movement"] == "sale":
                parts.append(f"{r['date']} {_qty(r)} from {_party(r['merchant_name'], r['merchant_id'])}")
            else:
                parts.append(f"{r['date']} {_qty(r)} from {_party(r['from_name'], r['from_id'])}")
        end = f"importer {self.importer or '?'}" + (f" ({self.origin_country})" if self.origin_country else "")
        return f"追溯碼 {self.trace_code}: " + " ← ".join(parts + [end]) + "\n"


def trace_back(db_path: Path | str, merchant_id: str | None = None, buyer: str | None = None,
               trace_code: str | None = None) -> list[BackPath]:
    """Backward traces: from a registered merchant (its receipts), or from a buyer (matched by
    name, phone or merchant id on the sales), up through each supplier that keeps a ledger here
    to the receipt from outside, naming the importer. Optionally only one trace code."""
    if not merchant_id and not buyer:
        raise TraceError("trace back from a merchant id or a buyer")
    conn = _connect(db_path)
    try:
        code = ident(trace_code) if trace_code else None
        starts: list[tuple[str, str, dict | None, str]] = []       # (trace code, merchant id, first sale, label)
        if merchant_id:
            mid = ident(merchant_id)
            name = conn.execute("SELECT name FROM merchants WHERE merchant_id = ?", (mid,)).fetchone()
            if name is None:
                raise TraceError(f"no merchant {mid} in the ledgers of {db_path}")
            for (tc,) in conn.execute(
                    "SELECT DISTINCT trace_code FROM coldchain_batches WHERE merchant_id = ? "
                    "AND trace_code IS NOT NULL AND (? IS NULL OR trace_code = ?) ORDER BY trace_code",
                    (mid, code, code)):
                starts.append((tc, mid, None, f"{name[0]} [{mid}]"))
        if buyer:
            key = ident(buyer)
            sales = conn.execute(
                "SELECT sb.trace_code, s.sale_id FROM coldchain_sales s JOIN coldchain_sale_batches sb USING (sale_id) "
                "WHERE sb.trace_code IS NOT NULL AND (upper(replace(s.buyer, ' ', '')) = ? OR "
                "replace(s.buyer_phone, ' ', '') = ? OR s.buyer_merchant_id = ?) AND (? IS NULL OR sb.trace_code = ?) "
                "ORDER BY sb.trace_code, s.sale_date, s.sale_id", (key, key, key, code, code)).fetchall()
            for tc, sale_id in sales:
                row = next(r for r in _rows(conn, tc) if r["movement"] == "sale" and r["record_id"] == sale_id)
                starts.append((tc, row["merchant_id"], row, _party(row["to_name"], row["to_id"], row["phone"])))
        if not starts:
            raise TraceError("nothing to trace back: no receipt or sale matches")
        paths = []
        for tc, mid, sale, label in starts:
            rows = _rows(conn, tc)
            for chain in _up(rows, mid, set(), sale["date"] if sale else None):
                steps = ([sale] if sale else []) + chain
                last = chain[-1] if chain else sale
                paths.append(BackPath(tc, label, steps, last["importer"], last["origin_country"]))
        return paths
    finally:
        conn.close()


def _up(rows: list[dict], merchant_id: str, seen: set[str], until: str | None) -> list[list[dict]]:
    """Every chain of receipts from this merchant up to a supplier with no receipts of its own;
    each step received on or before the one below it (`until`: the date it must precede)."""
    receipts = [r for r in rows if r["movement"] == "receipt" and r["merchant_id"] == merchant_id
                and (until is None or r["date"] <= until)]
    if not receipts or merchant_id in seen:
        return [[]]
    out = []
    for r in receipts:
        upstream = r["from_id"]
        has_own = upstream and upstream != merchant_id and any(
            x["movement"] == "receipt" and x["merchant_id"] == upstream for x in rows)
        tails = _up(rows, upstream, seen | {merchant_id}, r["date"]) if has_own else [[]]
        out += [[r] + tail for tail in tails]
    return out


def write_xlsx(rows: list[dict], path: Path | str) -> Path:
    """The trace as a sortable spreadsheet: one row per receipt or sale, a header with filters,
    dates as dates. A text starting with = + - @ is stored as text, never as a formula."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "追溯 trace"
    sheet.append([header for _, header in XLSX_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        values = []
        for key, _ in XLSX_COLUMNS:
            value = r.get(key)
            if key == "date" and value:
                value = dt.date.fromisoformat(value)
            values.append(value)
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"                   # stored as text: never evaluated
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(XLSX_COLUMNS))}{max(sheet.max_row, 1)}"
    sheet.freeze_panes = "A2"
    for i, (_, header) in enumerate(XLSX_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(header) + 4))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
