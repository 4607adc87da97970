"""Cold-chain ledgers as the ingest reads them: messy forms (title rows, GB18030, traditional or
simplified headers, Chinese dates), quantities in boxes converted by the spec, identifiers
normalised, rows rejected with a reason, rows conserved, re-ingest adding nothing."""
from __future__ import annotations

import sqlite3

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import table_counts
from fangyi.cli import cli
from fangyi.ingest.kinds.coldchain import kg_per_unit, parse_quantity
from fangyi.ingest.load import ingest

RECEIPT_HEADER = ["經營者", "攤位號", "進貨日期", "品名", "規格", "追溯碼", "數量", "單位", "進口商", "供應商",
                  "檢驗檢疫證明編號", "核酸檢測報告編號", "核酸檢測結果", "消毒證明編號"]


@pytest.mark.parametrize("unit,spec,kg", [
    ("箱", "10kg/箱", 10.0), ("箱", "20公斤/箱", 20.0), ("箱", "10KG*1箱", 10.0), ("箱", "10 kg / 箱", 10.0),
    ("箱", "500g*20袋/箱", 10.0), ("箱", "1kg×10包", 10.0), ("箱", "10kg", 10.0), ("件", "15千克/件", 15.0),
    ("公斤", None, 1.0), ("千克", "10kg/箱", 1.0), ("KG", None, 1.0), ("斤", None, 0.5),
    ("箱", None, None), ("箱", "大號", None), ("箱", "約10kg/箱", None), ("箱", "9-10kg/箱", None),
    ("件", "10kg/箱", None), ("箱", "10kg*2箱", None), ("盒子", "1kg/盒子", None), (None, "10kg/箱", None),
])
def test_weight_per_unit_is_read_from_the_spec_never_guessed(unit, spec, kg):
    assert kg_per_unit(unit, spec) == kg


@pytest.mark.parametrize("text,expected", [
    ("20", (20.0, None, True)), ("20箱", (20.0, "箱", True)), ("1,200", (1200.0, None, True)),
    ("15.5公斤", (15.5, "公斤", True)), ("２．５ｋｇ", (2.5, "kg", True)), ("200 KG", (200.0, "KG", True)),
    ("若干", (None, None, False)), ("-3", (None, None, False)), ("3瓶", (None, None, False)), (None, (None, None, True)),
])
def test_quantities(text, expected):
    assert parse_quantity(text) == expected


def _receipts_xlsx(path, rows, title="柳岸農貿市場進口冷鏈食品進貨臺賬（2021年1月）"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "A01王記凍品"
    sheet.append([title])
    sheet.append(RECEIPT_HEADER)
    for row in rows:
        sheet.append(row)
    sheet.append(["填表人：王海"])
    book.save(path)
    return path


def test_receipts_xlsx_with_title_boxes_and_chinese_dates(tmp_path):
    path = _receipts_xlsx(tmp_path / "進貨.xlsx", [
        ["王記凍品", " la-a01 ", "1月13日", "冷凍牛腩", "10KG*1箱", "ql 2101 1200 01", "8", "箱", "海聯", "恆通",
         "4401001210", "HS21", "陰性", "XD21"],
        ["王記凍品", "LA-A01", "2021年1月14日", "冷凍白蝦", None, "QL2101130006", "60", "千克", "恆遠", "海潤",
         "無", "-", "阴性", "/"],
        ["王記凍品", "LA-A01", "2021/1/15", "冷凍雞翅", "大號", "QL2101180003", "2箱", None, "海聯", "恆通",
         "CIQ9", "HS9", "待檢", "XD9"],
        ["王記凍品", "LA-A01", "2021-01-16", "冷凍羊排", "10kg/箱", "QL2101190004", "若干", "箱", "南半球", "恆通",
         "CIQ8", "HS8", "陽性", "XD8"],                                        # unreadable quantity: rejected
        ["王記凍品", None, "2021-01-16", "冷凍羊排", "10kg/箱", "QL2101190005", "1", "箱", "南半球", "恆通",
         "CIQ7", "HS7", "陽性", "XD7"],                                        # no merchant id: rejected
        ["王記凍品", "LA-A01", "2021-01-17", "冷凍羊排", "10kg/箱", "QL2101190006", "20箱", "kg", "南半球", "恆通",
         "CIQ6", "HS6", "陽性", "XD6"],                                        # 20箱 but kg: rejected
        ["王記凍品", "LA-A01", "2021-01-17", "冷凍羊排", "10kg/箱", "4.40199E+18", "1", "箱", "南半球", "恆通",
         "CIQ5", "HS5", "陽性", "XD5"],                                        # Excel ate the digits: rejected
    ])
    [report] = ingest(tmp_path / "w.db", [path])
    assert report.kinds == ["coldchain_in"]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_not_data) == (10, 3, 4, 3)
    conn = sqlite3.connect(tmp_path / "w.db")
    rows = conn.execute(
        "SELECT merchant_id, received_date, trace_code, quantity_raw, quantity, qty_unit, unit_kg, quantity_kg, "
        "inspection_cert_no, nat_report_no, nat_result, nat_result_raw, disinfection_cert_no "
        "FROM coldchain_batches ORDER BY row_number").fetchall()
    assert rows == [
        ("LA-A01", "2021-01-13", "QL2101120001", "8", 8.0, "箱", 10.0, 80.0, "4401001210", "HS21", "negative", "陰性",
         "XD21"),
        ("LA-A01", "2021-01-14", "QL2101130006", "60", 60.0, "千克", 1.0, 60.0, None, None, "negative", "阴性", None),
        ("LA-A01", "2021-01-15", "QL2101180003", "2箱", 2.0, "箱", None, None, "CIQ9", "HS9", None, "待檢", "XD9"),
    ]
    reasons = dict(conn.execute("SELECT row_number, reason FROM rejected_rows"))
    assert reasons[6].startswith("數量: '若干' 無法讀作數量") and " / cannot read it as a quantity" in reasons[6]
    assert reasons[7].startswith("沒有商戶編號") and " / no merchant id" in reasons[7]
    assert reasons[8] == "數量 '20箱' 與單位 'kg' 不一致 / the quantity and the unit disagree"
    assert reasons[9].startswith("追溯碼 '") and "是科學記數法" in reasons[9] and "scientific notation" in reasons[9]


def test_gb18030_csv_with_simplified_headers_and_sales(tmp_path):
    receipts = tmp_path / "进货台账.csv"
    receipts.write_text(
        "清河海润冻品进口冷链食品进货台账\n"
        "经营者,统一社会信用代码,进货日期,品名,规格,追溯码,数量,单位,进口商,供货商,检验检疫证明编号,核酸检测报告编号,"
        "核酸检测结果,消毒证明编号\n"
        "海润,91440199MA5CHR0022,2021年1月13日,冷冻白虾,20kg/箱,QL2101130006,\"1,200\",公斤,恒远,江南,C1,H1,阴性,X1\n"
        "合计,,,,,,1200,,,,,,,\n", encoding="gb18030")
    sales = tmp_path / "销售台账.csv"
    sales.write_text(
        "销售日期,批号,追溯码,品名,数量,单位,购货方,联系电话,购货方摊位号,经营者,统一社会信用代码\n"
        "2021年1月14日,,QL2101130006,冷冻白虾,60,公斤,王记冻品,,LA-A01,海润,91440199MA5CHR0022\n"
        "2021年1月15日,EC201218,,冷冻白虾,2,箱,悦来酒家,020-81230001,,海润,91440199MA5CHR0022\n",
        encoding="gb18030")
    reports = ingest(tmp_path / "w.db", [receipts, sales])
    assert [r.kinds for r in reports] == [["coldchain_in"], ["coldchain_out"]]
    assert [(r.rows_read, r.rows_loaded, r.rows_rejected, r.rows_not_data) for r in reports] == [(4, 1, 0, 3),
                                                                                                 (3, 2, 0, 1)]
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT quantity, quantity_kg FROM coldchain_batches").fetchall() == [(1200.0, 1200.0)]
    assert conn.execute("SELECT trace_code, batch_no, quantity, qty_unit, quantity_kg, buyer_merchant_id "
                        "FROM coldchain_sales ORDER BY row_number").fetchall() == [
        ("QL2101130006", None, 60.0, "公斤", 60.0, "LA-A01"),
        (None, "EC201218", 2.0, "箱", None, None)]                   # no spec on the sale: kg from the receipt later


def test_a_daily_sheet_is_not_a_ledger_and_a_ledger_is_not_a_daily_sheet(tmp_path):
    """Headers shared across kinds (單位, 核酸檢測…) do not make one kind look like another."""
    daily = tmp_path / "日報.csv"
    daily.write_text("日期,單位,新增確診,核酸檢測\n2021-01-20,柳岸社區,0,120\n", encoding="utf-8")
    ledger = tmp_path / "臺賬.csv"
    ledger.write_text("攤位號,銷售日期,追溯碼,數量,單位,購買人,聯系電話\nLA-A01,2021-01-20,QL1,2,kg,張先生,138\n",
                      encoding="utf-8")
    reports = ingest(tmp_path / "w.db", [daily, ledger])
    assert [r.kinds for r in reports] == [["daily"], ["coldchain_out"]]


def test_demo_ledgers_rows_conserved_and_reingest_adds_nothing(demo_data, demo_db_copy):
    out, manifest = demo_data
    entries = [f for f in manifest["files"] if f["kind"].startswith("coldchain")]
    assert {f["kind"] for f in entries} == {"coldchain_in", "coldchain_out"}
    assert {f["encoding"] for f in entries} == {"xlsx", "gb18030"}
    conn = sqlite3.connect(demo_db_copy)
    loaded = {"coldchain_in": 0, "coldchain_out": 0}
    for f in entries:
        row = conn.execute("SELECT rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files "
                           "WHERE path LIKE ?", ("%" + f["path"],)).fetchone()
        assert row == (f["rows_read"], f["data_rows"], 0, f["not_data_rows"]), f["path"]
        loaded[f["kind"]] += row[1]
    assert loaded == {"coldchain_in": manifest["coldchain"]["receipts"],
                      "coldchain_out": manifest["coldchain"]["sales"]}
    assert conn.execute("SELECT count(*) FROM coldchain_batches").fetchone()[0] == manifest["coldchain"]["receipts"]
    assert conn.execute("SELECT count(*) FROM coldchain_sales").fetchone()[0] == manifest["coldchain"]["sales"]
    conn.close()
    before = table_counts(demo_db_copy)
    again = CliRunner().invoke(cli, ["ingest", "--db", str(demo_db_copy), str(out / "coldchain")])
    assert again.exit_code == 0 and again.output.count("already ingested") == len(entries)
    assert table_counts(demo_db_copy) == before


def test_template_for_a_ledger_reads_back_as_a_ledger(tmp_path):
    form = tmp_path / "進貨臺賬.xlsx"
    assert CliRunner().invoke(cli, ["template", "coldchain_in", str(form)]).exit_code == 0
    [report] = ingest(tmp_path / "w.db", [form])
    assert report.kinds == ["coldchain_in"] and report.rows_loaded == 0     # the example row is not data
