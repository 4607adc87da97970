"""`fangyi trace`: a demo batch followed from the wholesaler to every buyer, the balances adding
up to what was received; backward from a stall or a buyer to the importer; the spreadsheet, its
rows the canned query's, formula injection neutralised; read-only, and stale state refused."""
from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
import zipfile
from urllib.parse import urlencode

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import inspector_cookies, site
from fangyi.checks.run import run_checks
from fangyi.cli import cli
from fangyi.ingest.load import ingest
from fangyi.settings import Settings
from fangyi.checks.coldchain.trace import TraceError, trace_back, trace_batch, write_xlsx


@pytest.fixture(scope="module")
def example(demo_data):
    return demo_data[1]["coldchain"]["trace_example"]


def test_trace_prints_every_buyer_and_balances_to_the_received_quantity(checked_db, example):
    result = CliRunner().invoke(cli, ["trace", example["trace_code"].lower(), "--db", str(checked_db)])
    assert result.exit_code == 0, result.output
    out = result.output
    for buyer in example["buyers"]:
        assert f"to {buyer}" in out, buyer
    conn = sqlite3.connect(checked_db)
    buyers = {b for (b,) in conn.execute(
        "SELECT DISTINCT s.buyer FROM coldchain_sales s JOIN coldchain_sale_batches sb USING (sale_id) "
        "WHERE sb.trace_code = ?", (example["trace_code"],))}
    assert buyers and all(f"to {b}" in out for b in buyers)
    # Totals: received from outside = sold to final buyers + on hand at each merchant
    m = re.search(r"Totals: received from outside ([\d.]+) kg = sold to final buyers ([\d.]+) kg "
                  r"\+ on hand ([\d.]+) kg", out)
    assert m, out
    received, sold, on_hand = map(float, m.groups())
    assert received == example["received_kg"] == 300
    assert abs(sold + on_hand - received) < 1e-6
    t = trace_batch(checked_db, example["trace_code"])
    totals = t.totals()
    assert (totals["received_kg"], totals["sold_to_final_buyers_kg"], totals["on_hand_kg"]) == (received, sold,
                                                                                                 on_hand)
    balances = dict(conn.execute("SELECT merchant_id, on_hand_kg FROM coldchain_balances WHERE trace_code = ?",
                                 (example["trace_code"],)))
    assert totals["on_hand_by_merchant"] == balances and len(balances) == 2       # wholesaler and the stall
    assert [s.merchant_id for s in t.roots] == ["91440199MA5CHT0011"]
    assert [s.merchant_id for s in t.roots[0].downstream] == ["LA-A01"]
    assert sum(1 for r in t.rows if r["movement"] == "receipt" and r["merchant_id"] == "LA-A01") == 2


def test_trace_back_from_a_stall_and_from_a_buyer(checked_db, example):
    paths = trace_back(checked_db, merchant_id="la-a01", trace_code=example["trace_code"])
    assert len(paths) == 2                                      # the stall received the batch twice
    for p in paths:
        assert [s["merchant_id"] for s in p.steps] == ["LA-A01", "91440199MA5CHT0011"]
        assert p.importer == "廣州海聯進口貿易有限公司"
    result = CliRunner().invoke(cli, ["trace", "--from-buyer", "小林餐館", "--db", str(checked_db)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) >= 3 and all(line.startswith("追溯碼 ") and " ← importer " in line for line in lines)
    # the sale of 1-17 can only come from the receipt of 1-13: the second one came on 1-21
    assert not any("2021-01-17" in line and "2021-01-21" in line for line in lines)
    with pytest.raises(TraceError, match="no merchant"):
        trace_back(checked_db, merchant_id="NOBODY")


def test_trace_back_writes_the_spreadsheet_of_every_batch_it_names(checked_db, tmp_path):
    out = tmp_path / "back.xlsx"
    result = CliRunner().invoke(cli, ["trace", "--from-merchant", "LA-A01", "--db", str(checked_db), "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    codes = {line.split(":")[0].split()[1] for line in result.output.splitlines() if line.startswith("追溯碼 ")}
    rows = list(openpyxl.load_workbook(out).active.iter_rows(min_row=2, values_only=True))
    assert codes and {r[0] for r in rows} == codes
    assert len(rows) == sum(len(trace_batch(checked_db, c).rows) for c in codes)


def test_xlsx_rows_are_the_canned_querys_rows(checked_db, example, tmp_path):
    out = tmp_path / "trace.xlsx"
    result = CliRunner().invoke(cli, ["trace", example["trace_code"], "--db", str(checked_db), "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.freeze_panes == "A2"
    header, body = rows[0], rows[1:]
    record = header.index("行號 row"), header.index("收/銷 movement")

    async def canned():
        ds = site(checked_db, open_copy=False)
        url = "/workbench/batch_trace.json?" + urlencode({"_shape": "array", "trace_code": example["trace_code"]})
        resp = await ds.client.get(url, cookies=inspector_cookies(ds))
        assert resp.status_code == 200, resp.text[:500]
        return resp.json()

    served = asyncio.run(canned())
    assert len(served) == len(body) == len(trace_batch(checked_db, example["trace_code"]).rows) > 10
    assert [(r["row_number"], r["movement"]) for r in served] == [(row[record[0]], row[record[1]]) for row in body]


def test_formula_injection_is_neutralised(tmp_path):
    rows = [{"trace_code": "T1", "movement": "sale", "date": "2021-01-20", "to_name": "=HYPERLINK(\"x\",\"y\")",
             "from_name": "+cmd|' /C calc'!A0", "phone": "-2+3", "product": "@SUM(A1)", "quantity": -1.5,
             "merchant_name": "甲"}]
    path = write_xlsx(rows, tmp_path / "t.xlsx")
    cells = {c.value: c.data_type for c in openpyxl.load_workbook(path).active[2] if c.value is not None}
    for text in ("=HYPERLINK(\"x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"):
        assert cells[text] == "s", text
    assert cells[-1.5] == "n"
    with zipfile.ZipFile(path) as book:
        assert "<f>" not in book.read("xl/worksheets/sheet1.xml").decode()


def test_trace_is_read_only_and_refuses_stale_state(checked_db_copy, tmp_path, example):
    before = checked_db_copy.read_bytes()
    rows = len(trace_batch(checked_db_copy, example["trace_code"]).rows)
    trace_back(checked_db_copy, merchant_id="LA-A02")
    assert checked_db_copy.read_bytes() == before
    extra = tmp_path / "sales.csv"
    extra.write_text("攤位號,銷售日期,追溯碼,數量,單位,購買人,聯系電話\nLA-A01,2021-01-25,QL2101120001,1,kg,張先生,138\n",
                     encoding="utf-8")
    ingest(checked_db_copy, [extra])
    result = CliRunner().invoke(cli, ["trace", example["trace_code"], "--db", str(checked_db_copy)])
    assert result.exit_code == 1 and "run `fangyi check` first" in result.output
    run_checks(checked_db_copy, Settings())
    assert len(trace_batch(checked_db_copy, example["trace_code"]).rows) == rows + 1
    with pytest.raises(TraceError, match="no receipt or sale"):
        trace_batch(checked_db_copy, "NO-SUCH-CODE")


def test_trace_help_has_an_example_and_imports_nothing_heavy():
    code = ("import sys\nfrom fangyi.cli import cli\n"
            "try:\n    cli(['trace', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('polars', 'openpyxl', 'datasette', 'opencc') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Example: fangyi trace" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
