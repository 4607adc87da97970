"""The cold-chain checks: on the demo every injected ledger defect is found with the right check
and trace code (or certificate number), with evidence naming its source row, and nothing else is
found: not from boxes weighed against kg, not from certificates copied downstream, not from a
stall that received the same batch twice. Small hand-made ledgers pin down each rule's edges."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import findings_of
from fangyi.checks import CHECKS
from fangyi.checks.run import run_checks
from fangyi.cli import cli
from fangyi.ingest.load import ingest
from fangyi.settings import Settings

COLDCHAIN = sorted(c.id for c in CHECKS if c.suite == "coldchain")


def test_the_suite_is_the_contracts_check_ids():
    assert COLDCHAIN == sorted(["cert_missing", "nat_positive", "cert_reused", "sold_unknown_batch", "oversold",
                                "sale_before_receipt", "buyer_missing", "chain_break"])
    assert all(c.severity == "error" for c in CHECKS if c.suite == "coldchain")


def _source(conn, evidence: dict) -> tuple[str, str, int]:
    (path,) = conn.execute("SELECT path FROM source_files WHERE file_id = ?", (evidence["file_id"],)).fetchone()
    return Path(path).as_posix(), evidence["sheet"], evidence["row"]


@pytest.mark.parametrize("check_id", COLDCHAIN)
def test_every_injected_defect_found_exactly(checked_db, demo_data, check_id):
    _, manifest = demo_data
    expected = manifest["coldchain"]["defects"][check_id]
    assert expected, check_id                                        # one case of each check is injected
    found = findings_of(checked_db, check_id)
    assert sorted(f["subject_key"] for f in found) == sorted(e["subject_key"] for e in expected)
    conn = sqlite3.connect(checked_db)
    located = set()
    for f in found:
        ev = json.loads(f["evidence"])
        assert f["unit_code"] is None and f["date"] and f["message"]
        path, sheet, row = _source(conn, ev)
        located.add((f["subject_key"], next(e["file"] for e in expected if path.endswith(e["file"])), sheet, row))
    assert located == {(e["subject_key"], e["file"], e["sheet"], e["row"]) for e in expected}


def test_no_cold_chain_finding_on_the_clean_drop(clean_demo_db):
    conn = sqlite3.connect(clean_demo_db)
    assert conn.execute("SELECT count(*) FROM coldchain_sales").fetchone()[0] > 20
    assert conn.execute(f"SELECT check_id, subject_key FROM findings WHERE check_id IN "
                        f"({','.join('?' * len(COLDCHAIN))})", COLDCHAIN).fetchall() == []


def test_messages_say_what_is_wrong(checked_db, demo_data):
    _, manifest = demo_data
    defects = manifest["coldchain"]["defects"]
    (missing,) = findings_of(checked_db, "cert_missing")
    assert "消毒證明" in missing["message"] and "檢驗檢疫" not in missing["message"]
    (oversold,) = findings_of(checked_db, "oversold")
    ev = json.loads(oversold["evidence"])
    assert (ev["received_kg"], ev["sold_kg"]) == (defects["oversold"][0]["received_kg"], defects["oversold"][0]["sold_kg"])
    (reused,) = findings_of(checked_db, "cert_reused")
    batches = manifest["coldchain"]["batches"]
    traced = {r["trace_code"] for r in json.loads(reused["evidence"])["receipts"]}
    assert traced == {batches[t] for t in defects["cert_reused"][0]["trace_codes"]}
    sides = {json.loads(f["evidence"])["side"]: f["subject_key"] for f in findings_of(checked_db, "chain_break")}
    assert sides == {e["side"]: e["subject_key"] for e in defects["chain_break"]}


def test_balances_match_the_ledgers_boxes_and_kg_alike(checked_db, demo_data):
    """Every merchant's balance of every trace code, in kg, is the demo's own sum: boxes
    converted by the receipts' spec (10KG*1箱, 20公斤/箱, 500g*20袋/箱), sales in boxes weighed by
    the receipt, kg written 公斤, 千克, kg or inside the quantity cell."""
    _, manifest = demo_data
    conn = sqlite3.connect(checked_db)
    got = {(m, t): (r, s) for m, t, r, s in conn.execute(
        "SELECT merchant_id, trace_code, COALESCE(received_kg, 0), sold_kg FROM coldchain_balances")}
    expected = {(b["merchant_id"], b["trace_code"]): (b["received_kg"], b["sold_kg"])
                for b in manifest["coldchain"]["balances"]}
    assert got == expected
    assert conn.execute("SELECT count(*) FROM coldchain_balances WHERE unconverted > 0").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM coldchain_sale_batches WHERE kg_from = 'receipt'").fetchone()[0] >= 9


def test_the_batch_received_twice_and_copied_certificates_are_clean(checked_db, demo_data):
    _, manifest = demo_data
    cc = manifest["coldchain"]
    twice = cc["received_twice"]
    conn = sqlite3.connect(checked_db)
    assert conn.execute("SELECT receipts FROM coldchain_balances WHERE merchant_id = ? AND trace_code = ?",
                        (twice["merchant_id"], twice["trace_code"])).fetchone() == (2,)
    flagged = {(json.loads(e)["merchant_id"] if "merchant_id" in json.loads(e) else None, s)
               for e, s in conn.execute("SELECT evidence, subject_key FROM findings WHERE check_id <> 'cert_reused'")}
    assert (twice["merchant_id"], twice["trace_code"]) not in flagged
    # the stalls' receipts copy the wholesalers' certificate numbers, and one certificate covers
    # two batches of one product from one importer: only the injected reuse is found
    assert len(cc["copied_certificates"]) >= 3
    reused = [f["subject_key"] for f in findings_of(checked_db, "cert_reused")]
    assert reused == [e["subject_key"] for e in cc["defects"]["cert_reused"]]
    assert cc["shared_certificate"]["number"] not in reused


def test_links_between_merchants(checked_db, demo_data):
    _, manifest = demo_data
    conn = sqlite3.connect(checked_db)
    links = conn.execute("SELECT seller_id, buyer_id, trace_code, sale_date FROM coldchain_links "
                         "ORDER BY 1, 2, 3, 4").fetchall()
    assert [list(link) for link in links] == manifest["coldchain"]["links"]
    assert conn.execute("SELECT count(*) FROM coldchain_chain").fetchone()[0] == len(links)
    roles = dict(conn.execute("SELECT merchant_id, role FROM merchants"))
    assert roles == {m["merchant_id"]: ("wholesale" if m["market"].endswith("批發市場") else "retail")
                     for m in manifest["coldchain"]["merchants"]}


def test_the_match_window_is_a_setting(checked_db_copy):
    """With a window of 0 days the stall's second receipt of T1, recorded the day after the
    wholesaler's sale, no longer links: a chain break on both sides."""
    before = {f["subject_key"] for f in findings_of(checked_db_copy, "chain_break")}
    run_checks(checked_db_copy, Settings(chain_match_window_days=0))
    after = findings_of(checked_db_copy, "chain_break")
    new = [f for f in after if f["subject_key"] not in before]
    assert sorted(json.loads(f["evidence"])["side"] for f in new) == ["receipt", "sale"]
    assert {f["subject_key"] for f in new} == {"QL2101120001"}
    assert all(json.loads(f["evidence"])["window_days"] == 0 for f in after)


# ---------------------------------------------------------------------------------------------
# Hand-made ledgers: one rule at a time.
# ---------------------------------------------------------------------------------------------

IN = "攤位號,經營者,進貨日期,品名,規格,追溯碼,批號,數量,單位,進口商,供應商攤位號,檢驗檢疫證明編號,核酸檢測報告編號,核酸檢測結果,消毒證明編號\n"
OUT = "攤位號,銷售日期,追溯碼,批號,品名,數量,單位,購買方,聯系電話,購買方攤位號\n"


def _run(tmp_path, receipts: str, sales: str, settings: Settings | None = None) -> dict[str, list[str]]:
    (tmp_path / "in.csv").write_text(IN + receipts, encoding="utf-8")
    (tmp_path / "out.csv").write_text(OUT + sales, encoding="utf-8")
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, [tmp_path / "in.csv", tmp_path / "out.csv"])
    assert all(r.rows_rejected == 0 for r in reports), [r.rejections for r in reports]
    run_checks(db_path, settings or Settings())
    conn = sqlite3.connect(db_path)
    out: dict[str, list[str]] = {}
    for check_id, subject in conn.execute("SELECT check_id, subject_key FROM findings ORDER BY 1, 2"):
        out.setdefault(check_id, []).append(subject)
    return out


def test_boxes_without_a_weight_compare_only_with_boxes(tmp_path):
    found = _run(tmp_path,
                 "A1,甲,2021-01-10,牛腩,大號,T1,,10,箱,進口甲,,C1,H1,陰性,X1\n"
                 "A1,甲,2021-01-10,羊排,大號,T2,,10,箱,進口甲,,C2,H2,陰性,X2\n",
                 "A1,2021-01-11,T1,,牛腩,11,箱,張三,138,\n"            # 11 of 10 boxes: oversold
                 "A1,2021-01-11,T2,,羊排,90,kg,李四,139,\n")           # boxes of unknown weight vs kg: undecided
    assert found == {"oversold": ["T1"]}


def test_a_sale_by_batch_number_and_a_box_weighed_by_the_receipt(tmp_path):
    found = _run(tmp_path,
                 "A1,甲,2021-01-10,牛腩,10kg/箱,T1,B1,2,箱,進口甲,,C1,H1,陰性,X1\n",
                 "A1,2021-01-11,,B1,牛腩,1,箱,張三,138,\n"
                 "A1,2021-01-12,,B1,牛腩,10.5,kg,李四,139,\n"          # 10 + 10.5 > 20 kg
                 "A1,2021-01-12,,B9,牛腩,1,kg,王五,137,\n")            # a batch never received
    assert found == {"oversold": ["T1"], "sold_unknown_batch": ["B9"]}
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT trace_code, matched_by, quantity_kg, kg_from FROM coldchain_sale_batches "
                        "ORDER BY sale_id").fetchall() == [("T1", "batch_no", 10.0, "receipt"),
                                                           ("T1", "batch_no", 10.5, "sale"),
                                                           (None, None, 1.0, "sale")]


def test_nucleic_acid_results_and_buyers(tmp_path):
    found = _run(tmp_path,
                 "A1,甲,2021-01-10,牛腩,,T1,,20,kg,進口甲,,C1,H1,陽性,X1\n"
                 "A1,甲,2021-01-10,羊排,,T2,,20,kg,進口甲,,C2,H2,待檢,X2\n"
                 "A1,甲,2021-01-10,蝦仁,,T3,,20,kg,進口甲,,C3,H3,陰性,X3\n"
                 "A1,甲,2021-01-10,雞翅,,T4,,20,kg,進口甲,,C4,H4,,X4\n",   # blank result, never sold: nothing
                 "A1,2021-01-11,T1,,牛腩,1,kg,張三,138,\n"
                 "A1,2021-01-11,T2,,羊排,1,kg,李四,139,\n"
                 "A1,2021-01-11,T3,,蝦仁,1,kg,散客,,\n"                 # the public, a retail weight: chain ends
                 "A1,2021-01-11,T3,,蝦仁,2.5,公斤,個人,,\n"
                 "A1,2021-01-12,T3,,蝦仁,1,kg,散客,13800000000,\n"      # with a phone: traceable anyway
                 "A1,2021-01-12,T3,,蝦仁,1,kg,,,\n"                     # no buyer at all
                 "A1,2021-01-12,T3,,蝦仁,1,kg,/,,\n"                    # ... written as a slash
                 "A1,2021-01-13,T3,,蝦仁,12,kg,散客,,\n")                # a wholesale weight to the public
    assert found == {"buyer_missing": ["T3", "T3", "T3"], "nat_positive": ["T1", "T2"]}


def test_certificates_missing_and_reused(tmp_path):
    found = _run(tmp_path,
                 "A1,甲,2021-01-10,牛腩,,T1,,20,kg,進口甲,,C1,H1,陰性,無\n"          # 消毒證明 無: missing
                 "A1,甲,2021-01-10,牛腩,,T2,,20,kg,進口甲,,C1,H2,陰性,X2\n"          # same product and importer
                 "A1,甲,2021-01-10,三文魚,,T3,,20,kg,進口乙,,C3,H2,陰性,X3\n"        # H2 on another product
                 "B1,乙,2021-01-11,凍牛腩,,T2,,5,kg,进口甲,A1,C1,H2,陰性,X2\n"       # T2 copied downstream
                 "A1,甲,2021-01-10,羊排,,,,20,kg,進口甲,,-,H4,陰性,X4\n",            # no trace code, no 檢驗檢疫
                 "A1,2021-01-11,T2,,牛腩,5,kg,乙,,B1\n")
    assert found == {"cert_missing": [None, "T1"], "cert_reused": ["H2"]}


def test_chain_breaks_both_ways_and_sale_before_receipt(tmp_path):
    receipts = ("A1,甲,2021-01-10,牛腩,,T1,,20,kg,進口甲,,C1,H1,陰性,X1\n"
                "A1,甲,2021-01-10,羊排,,T2,,20,kg,進口甲,,C2,H2,陰性,X2\n"
                "B1,乙,2021-01-14,牛腩,,T1,,5,kg,進口甲,A1,C1,H1,陰性,X1\n"       # 4 days after the sale
                "B1,乙,2021-01-12,羊排,,T2,,3,kg,進口甲,,C2,H2,陰性,X2\n")        # names no supplier id: may link
    sales = ("A1,2021-01-10,T1,,牛腩,5,kg,乙,,B1\n"
             "A1,2021-01-11,T2,,羊排,3,kg,乙,,B1\n"                            # links the receipt of the 12th
             "A1,2021-01-13,T1,,牛腩,1,kg,丙,,C9\n"                            # C9 keeps no ledger: no link due
             "B1,2021-01-13,T1,,牛腩,1,kg,丁,136,\n")                          # before B1 received T1
    found = _run(tmp_path, receipts, sales)
    assert found == {"chain_break": ["T1", "T1"], "sale_before_receipt": ["T1"]}
    conn = sqlite3.connect(tmp_path / "w.db")
    sides = [json.loads(e)["side"] for (e,) in conn.execute(
        "SELECT evidence FROM findings WHERE check_id = 'chain_break' ORDER BY 1")]
    assert sorted(sides) == ["receipt", "sale"]
    (tmp_path / "wider").mkdir()
    assert _run(tmp_path / "wider", receipts, sales, Settings(chain_match_window_days=4)) == {
        "sale_before_receipt": ["T1"]}


def test_check_on_ledgers_alone_is_not_refused(tmp_path, demo_data):
    """No daily report at all: the cold-chain checks still run (and the reporting ones find
    nothing); a database with nothing but the registry is still refused."""
    out, manifest = demo_data
    db_path = tmp_path / "w.db"
    assert CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(out / "coldchain")]).exit_code == 0
    result = CliRunner().invoke(cli, ["check", "--db", str(db_path), "--no-gx"])
    assert result.exit_code == 1 and "no reporting period" in result.output, result.output
    errors = sum(len(v) for v in manifest["coldchain"]["defects"].values())
    assert f"{errors} errors, 0 warnings" in result.output


def test_the_retail_weight_is_a_setting(tmp_path):
    receipts = "A1,甲,2021-01-10,蝦仁,,T3,,20,kg,進口甲,,C3,H3,陰性,X3\n"
    sales = "A1,2021-01-13,T3,,蝦仁,12,kg,散客,,\n"
    assert _run(tmp_path, receipts, sales) == {"buyer_missing": ["T3"]}
    (tmp_path / "b").mkdir()
    assert _run(tmp_path / "b", receipts, sales, Settings(retail_max_kg=15)) == {}
