"""The district's imported cold-chain food ledgers (進口冷鏈食品臺賬): two markets, five
merchants, each keeping a receipts ledger and a sales ledger in its own form.

- 清河冷鏈食品批發市場 (wholesale): 恆通 keeps XLSX ledgers (traditional headers, title rows,
  Excel date cells, boxes with a weight per box in the spec); 海潤 keeps GB18030 CSV ledgers
  (simplified headers, 2021年1月13日 dates, kg written 公斤 / 千克 / kg, a trace code typed
  with spaces).
- 柳岸農貿市場 (retail): one XLSX of receipts with a sheet per stall (1月13日 dates, the year in
  the title), one GB18030 CSV of sales for the whole market (quantities with their unit in the
  cell: 2.5kg, 3公斤, 1箱).

The wholesalers buy from outside the district and sell to the retail stalls (sales that link to
the stalls' receipts) and to restaurants and canteens; the stalls sell to walk-in buyers, named
with a phone. One stall receives the same batch twice; the stalls copy the wholesaler's
certificate numbers onto their receipts; one certificate legitimately covers two batches of the
same product from the same importer. Unless `clean`, one case of each cold-chain check is
injected, each listed in the manifest under coldchain.defects with the row behind it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .files import OutFile, Sheet

YEAR = 2021
WHOLESALE_MARKET = "清河冷鏈食品批發市場"
RETAIL_MARKET = "柳岸農貿市場"
OUTSIDE_SUPPLIER = ("廣州江南冷鏈配送中心", "020-86001234")


def d(month: int, day: int) -> dt.date:
    return dt.date(YEAR, month, day)


@dataclass(frozen=True)
class Merchant:
    id: str
    name: str
    market: str
    recorder: str
    simplified: str = ""          # the name as a simplified-script ledger writes it


W1 = Merchant("91440199MA5CHT0011", "清河恆通冷鏈貿易商行", WHOLESALE_MARKET, "徐建平")
W2 = Merchant("91440199MA5CHR0022", "清河海潤凍品有限公司", WHOLESALE_MARKET, "林芳", "清河海润冻品有限公司")
R1 = Merchant("LA-A01", "王記凍品", RETAIL_MARKET, "王海")
R2 = Merchant("LA-A02", "周記凍肉", RETAIL_MARKET, "周玉")
R3 = Merchant("LA-B05", "林氏凍品", RETAIL_MARKET, "林明")
MERCHANTS = (W1, W2, R1, R2, R3)

IMPORTERS = {
    "haolian": "廣州海聯進口貿易有限公司",
    "hengyuan": "深圳恆遠食品進出口有限公司",
    "beiou": "上海北歐海產進口有限公司",
    "nanbanqiu": "天津南半球肉類進口有限公司",
}


@dataclass(frozen=True)
class Batch:
    label: str                    # T1 ... (for the manifest and the tests)
    trace_code: str
    product: str
    origin: str
    importer: str
    batch_no: str
    inspection: str
    nat: str
    disinfection: str


BATCHES = {b.label: b for b in (
    Batch("T1", "QL2101120001", "冷凍牛腩", "巴西", IMPORTERS["haolian"], "BR201215A",
          "440100121000351", "HS2101100873", "XD2101110412"),
    Batch("T2", "QL2101150002", "冷凍豬肘", "西班牙", IMPORTERS["hengyuan"], "ES201209",
          "440300120004417", "HS2101130155", "XD2101140097"),
    Batch("T3", "QL2101180003", "冷凍雞翅中", "巴西", IMPORTERS["haolian"], "BR201222C",
          "440100121000596", "HS2101160628", "XD2101170233"),
    Batch("T4", "QL2101190004", "冷凍羊排", "新西蘭", IMPORTERS["nanbanqiu"], "NZ201130",
          "120000120007781", "HS2101170904", "XD2101180318"),
    Batch("T6", "QL2101130006", "冷凍白蝦", "厄瓜多爾", IMPORTERS["hengyuan"], "EC201218",
          "440300121000127", "HS2101110346", "XD2101120175"),
    # T7 and T8: one inspection certificate for two batches of the same product and importer.
    Batch("T7", "QL2101160007", "冷凍雞翅中", "巴西", IMPORTERS["haolian"], "BR201228D",
          "440100121000734", "HS2101140512", "XD2101150266"),
    Batch("T8", "QL2101160008", "冷凍雞翅中", "巴西", IMPORTERS["haolian"], "BR201228E",
          "440100121000734", "HS2101140513", "XD2101150267"),
    Batch("T9", "QL2101220009", "冷凍豬肘", "西班牙", IMPORTERS["hengyuan"], "ES201230",
          "440300121000265", "HS2101200781", "XD2101210143"),
    Batch("T10", "QL2101250010", "冷凍牛腩", "巴西", IMPORTERS["haolian"], "BR210105B",
          "440100121001012", "HS2101230359", "XD2101240088"),
    Batch("T11", "QL2101180011", "冷凍三文魚", "挪威", IMPORTERS["beiou"], "NO210106",
          "310000121000448", "HS2101160977", "XD2101170511"),
    Batch("T12", "QL2101220012", "冷凍三文魚", "挪威", IMPORTERS["beiou"], "NO210110",
          "310000121000502", "HS2101201034", "XD2101210589"),
)}
# How the wholesaler 海潤 types one trace code (spaces in it; the same code once normalised).
SPACED = {"T6": "QL 2101 1300 06"}
TYPO_CODE = "QL2101130060"          # a sale of T6 with two digits swapped: sold_unknown_batch


@dataclass
class Receipt:
    merchant: Merchant
    day: dt.date
    batch: Batch
    quantity: str
    unit: str | None
    spec: str | None
    supplier: tuple[str, str]                 # name, phone
    supplier_id: str | None = None
    product: str | None = None                # as this ledger writes it (default: the batch's)
    nat_result: str | None = "陰性"
    inspection: str | None = None             # overrides (default: the batch's numbers)
    disinfection: str | None = None
    blank_disinfection: bool = False
    loc: tuple[str, str, int] | None = None


@dataclass
class Sale:
    merchant: Merchant
    day: dt.date
    batch: Batch | None
    quantity: str
    unit: str | None
    buyer: str | None
    phone: str | None
    buyer_id: str | None = None
    trace_code: str | None = None             # as written (default: the batch's)
    loc: tuple[str, str, int] | None = None


@dataclass
class Ledgers:
    receipts: list[Receipt] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)
    defects: dict[str, list[tuple]] = field(default_factory=dict)   # check -> [(subject, row, extra)]


RESTAURANTS = [("悅來酒家", "020-81230001"), ("興隆酒樓", "020-81230002"), ("清河區第一中學食堂", "020-81230003"),
               ("小林餐館", "13912340004")]
WALK_IN_SURNAMES = "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何林羅高"


def _walk_in(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(WALK_IN_SURNAMES) + rng.choice(["先生", "女士"])
    phone = "1" + rng.choice("358") + "".join(str(rng.randrange(10)) for _ in range(9))
    return name, phone


def build(rng: random.Random, clean: bool) -> Ledgers:
    """Every receipt and sale of the five merchants, defects injected unless clean."""
    L = Ledgers()
    B = BATCHES
    rec, sell = L.receipts.append, L.sales.append
    mark = L.defects.setdefault

    # --- 恆通 (W1): buys in boxes from outside the district, sells boxes --------------------
    rec(Receipt(W1, d(1, 12), B["T1"], "30", "箱", "10kg/箱", OUTSIDE_SUPPLIER))
    rec(Receipt(W1, d(1, 15), B["T2"], "20", "箱", "20公斤/箱", OUTSIDE_SUPPLIER))
    rec(Receipt(W1, d(1, 18), B["T3"], "40", "箱", "500g*20袋/箱", OUTSIDE_SUPPLIER))
    rec(Receipt(W1, d(1, 19), B["T4"], "10", "箱", "10KG*1箱", (IMPORTERS["nanbanqiu"], "022-23450001")))
    sell(Sale(W1, d(1, 13), B["T1"], "8", "箱", R1.name, "13800000101", R1.id))
    sell(Sale(W1, d(1, 14), B["T1"], "10", "箱", *RESTAURANTS[0]))
    sell(Sale(W1, d(1, 16), B["T2"], "4", "箱", R2.name, "13800000102", R2.id))
    sell(Sale(W1, d(1, 17), B["T2"], "10", "箱", *RESTAURANTS[1]))
    sell(Sale(W1, d(1, 19), B["T3"], "6", "箱", R3.name, "13800000105", R3.id))
    sell(Sale(W1, d(1, 20), B["T1"], "5", "箱", R1.name, "13800000101", R1.id))
    if clean:
        sell(Sale(W1, d(1, 20), B["T4"], "3", "箱", *RESTAURANTS[3]))
    else:   # sold to a registered stall that records no receipt of it: chain_break (sale side)
        sell(t4 := Sale(W1, d(1, 20), B["T4"], "3", "箱", R1.name, "13800000101", R1.id))
        mark("chain_break", []).append(("T4", t4, {"side": "sale", "merchant_id": W1.id}))
    sell(Sale(W1, d(1, 21), B["T3"], "20", "箱", *RESTAURANTS[2]))
    sell(Sale(W1, d(1, 22), B["T4"], "5", "箱", *RESTAURANTS[0]))

    # --- 海潤 (W2): buys and sells by weight -----------------------------------------------
    rec(Receipt(W2, d(1, 13), B["T6"], "800", "公斤", "20kg/箱", OUTSIDE_SUPPLIER))
    rec(Receipt(W2, d(1, 16), B["T7"], "500", "千克", "10kg/箱", (IMPORTERS["haolian"], "020-83330001")))
    rec(Receipt(W2, d(1, 16), B["T8"], "300", "千克", "10kg/箱", (IMPORTERS["haolian"], "020-83330001")))
    t9 = Receipt(W2, d(1, 22), B["T9"], "400", "公斤", "20kg/箱", OUTSIDE_SUPPLIER, blank_disinfection=not clean)
    rec(t9)
    if not clean:       # no disinfection certificate: cert_missing
        mark("cert_missing", []).append(("T9", t9, {"missing": "消毒證明", "merchant_id": W2.id}))
    rec(Receipt(W2, d(1, 25), B["T10"], "1,200", "kg", "20kg/箱", OUTSIDE_SUPPLIER))
    sell(Sale(W2, d(1, 14), B["T6"], "60", "公斤", R1.name, "13800000101", R1.id))
    sell(Sale(W2, d(1, 15), B["T6"], "200", "公斤", *RESTAURANTS[0]))
    if clean:
        sell(Sale(W2, d(1, 17), B["T6"], "100", "公斤", *RESTAURANTS[1]))
    else:   # no buyer at all: buyer_missing
        sell(s := Sale(W2, d(1, 17), B["T6"], "100", "公斤", None, None))
        mark("buyer_missing", []).append(("T6", s, {"merchant_id": W2.id}))
    sell(Sale(W2, d(1, 17), B["T7"], "150", "公斤", *RESTAURANTS[1]))
    sell(Sale(W2, d(1, 18), B["T8"], "100", "公斤", *RESTAURANTS[2]))
    sell(Sale(W2, d(1, 23), B["T9"], "120", "公斤", *RESTAURANTS[0]))
    sell(Sale(W2, d(1, 26), B["T10"], "50", "公斤", *RESTAURANTS[1]))
    if clean:       # the sale behind the stall's receipt of T10 (left out unless clean)
        sell(Sale(W2, d(1, 26), B["T10"], "40", "公斤", R3.name, "13800000105", R3.id))

    # --- 王記 (R1): T1 received twice (boxes, two spellings of the spec), T6 by weight --------
    rec(Receipt(R1, d(1, 13), B["T1"], "8", "箱", "10KG*1箱", (W1.name, "020-81112222"), W1.id, product="牛腩（冷凍）"))
    rec(Receipt(R1, d(1, 14), B["T6"], "60", "千克", None, (W2.name, "020-81113333"), W2.id))
    rec(Receipt(R1, d(1, 21), B["T1"], "5", "箱", "10kg/箱", (W1.name, "020-81112222"), W1.id, product="牛腩（冷凍）"))
    for day, qty in ((14, "2.5kg"), (15, "3公斤"), (16, "5kg"), (21, "4kg"), (22, "6公斤")):
        sell(Sale(R1, d(1, day), B["T1"], qty, None, *_walk_in(rng)))
    sell(Sale(R1, d(1, 17), B["T1"], "10公斤", None, *RESTAURANTS[3]))
    sell(Sale(R1, d(1, 18), B["T1"], "1箱", None, *RESTAURANTS[3]))       # a box: 10 kg by the receipts' spec
    for day, qty in ((15, "2kg"), (16, "3.5kg"), (20, "4.5公斤")):
        sell(Sale(R1, d(1, day), B["T6"], qty, None, *_walk_in(rng)))
    if clean:
        sell(Sale(R1, d(1, 19), B["T6"], "2kg", None, *_walk_in(rng)))
    else:   # a trace code it never received (two digits swapped): sold_unknown_batch
        sell(s := Sale(R1, d(1, 19), B["T6"], "2kg", None, *_walk_in(rng), trace_code=TYPO_CODE))
        mark("sold_unknown_batch", []).append((TYPO_CODE, s, {"merchant_id": R1.id}))

    # --- 周記 (R2): T2 in boxes of 20 kg sold by weight; T11 from outside ------------------
    rec(Receipt(R2, d(1, 16), B["T2"], "4", "箱", "20公斤/箱", (W1.name, "020-81112222"), W1.id))
    t11 = Receipt(R2, d(1, 18), B["T11"], "30", "公斤", None, OUTSIDE_SUPPLIER, nat_result="陰性" if clean else None)
    rec(t11)
    last = "5kg" if clean else "10kg"     # 25 + 20 + 18 + 12 + 5 = 80 kg, all of the 4 boxes
    for day, qty in ((16, "25kg"), (18, "20公斤"), (19, "18kg"), (21, "12kg")):
        sell(Sale(R2, d(1, day), B["T2"], qty, None, *_walk_in(rng)))
    sell(s := Sale(R2, d(1, 22), B["T2"], last, None, *RESTAURANTS[3]))
    if not clean:   # 85 kg sold of 80 kg received: oversold
        mark("oversold", []).append(("T2", s, {"merchant_id": R2.id, "received_kg": 80.0, "sold_kg": 85.0}))
    sell(s := Sale(R2, d(1, 19), B["T11"], "2kg", None, *_walk_in(rng)))
    sell(Sale(R2, d(1, 20), B["T11"], "3kg", None, *_walk_in(rng)))
    if not clean:   # nucleic-acid result left blank, batch sold: nat_positive
        mark("nat_positive", []).append(("T11", t11, {"merchant_id": R2.id}))

    # --- 林氏 (R3): T3 in boxes of bags; T12 from outside; T10 from 海潤 ----------------------
    rec(Receipt(R3, d(1, 19), B["T3"], "6", "箱", "500g×20袋/箱", (W1.name, "020-81112222"), W1.id))
    t12 = Receipt(R3, d(1, 22), B["T12"], "20", "公斤", None, OUTSIDE_SUPPLIER,
                  inspection=None if clean else B["T1"].inspection)
    rec(t12)
    if not clean:   # T1's inspection certificate on an unrelated batch: cert_reused
        mark("cert_reused", []).append((B["T1"].inspection, t12, {"merchant_id": R3.id,
                                                                  "trace_codes": ["T1", "T12"]}))
    t10 = Receipt(R3, d(1, 26), B["T10"], "40", "公斤", None, (W2.name, "020-81113333"), W2.id)
    rec(t10)
    if not clean:   # 海潤's sales ledger has no sale of T10 to the stall: chain_break (receipt side)
        mark("chain_break", []).append(("T10", t10, {"side": "receipt", "merchant_id": R3.id}))
    first = d(1, 19) if clean else d(1, 18)
    sell(s := Sale(R3, first, B["T3"], "3kg", None, *_walk_in(rng)))
    if not clean:   # sold the day before it was received: sale_before_receipt
        mark("sale_before_receipt", []).append(("T3", s, {"merchant_id": R3.id}))
    sell(Sale(R3, d(1, 20), B["T3"], "5kg", None, *_walk_in(rng)))
    sell(Sale(R3, d(1, 22), B["T3"], "4kg", None, *RESTAURANTS[3]))
    sell(Sale(R3, d(1, 23), B["T12"], "2kg", None, *_walk_in(rng)))
    sell(Sale(R3, d(1, 24), B["T12"], "1.5kg", None, *_walk_in(rng)))
    sell(Sale(R3, d(1, 27), B["T10"], "3kg", None, *_walk_in(rng)))
    return L


# ---------------------------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------------------------

def _certs(r: Receipt) -> tuple[str, str, str, str]:
    b = r.batch
    return (b.trace_code, r.inspection or b.inspection, b.nat,
            "" if r.blank_disinfection else (r.disinfection or b.disinfection))


def _footer(recorder: str, checker: str) -> list:
    return [f"填表人：{recorder}　　審核人：{checker}"]


def _w1_receipts(L: Ledgers) -> OutFile:
    path = "coldchain/批發市場/清河恆通冷鏈貿易商行_進貨臺賬_2021年1月.xlsx"
    sh = Sheet("進貨臺賬", date_format="yyyy-mm-dd")
    sh.add("title", [f"{W1.name}進口冷鏈食品疫情防控進貨臺賬（2021年1月）"])
    sh.add("title", [f"經營者：{W1.name}　統一社會信用代碼：{W1.id}　填表人：{W1.recorder}"])
    sh.add("header", ["序號", "經營者", "統一社會信用代碼", "市場", "進貨日期", "品名", "規格", "原產國", "批號",
                      "追溯碼", "數量", "單位", "進口商", "供應商", "供應商電話", "入境貨物檢驗檢疫證明編號",
                      "核酸檢測報告編號", "核酸檢測結果", "消毒證明編號", "填報人"])
    rows = [r for r in L.receipts if r.merchant == W1]
    for n, r in enumerate(rows, 1):
        trace, insp, nat, dis = _certs(r)
        row = sh.add("data", [n, W1.name, W1.id, W1.market, r.day, r.product or r.batch.product, r.spec,
                              r.batch.origin, r.batch.batch_no, trace, int(r.quantity), r.unit, r.batch.importer,
                              r.supplier[0], r.supplier[1], insp, nat, r.nat_result, dis, W1.recorder])
        r.loc = (path, sh.name, row)
    sh.add("total", ["合計", None, None, None, None, None, None, None, None, None,
                     sum(int(r.quantity) for r in rows), "箱"])
    sh.add("footer", _footer(W1.recorder, "周建"))
    sh.merges.append("A1:T1")
    return OutFile(path, "coldchain_in", "xlsx", [sh])


def _w1_sales(L: Ledgers) -> OutFile:
    path = "coldchain/批發市場/清河恆通冷鏈貿易商行_銷售臺賬_2021年1月.xlsx"
    sh = Sheet("銷售臺賬", date_format="yyyy/m/d")
    sh.add("title", [f"{W1.name}進口冷鏈食品疫情防控銷售臺賬（2021年1月）"])
    sh.add("header", ["序號", "銷售日期", "經營者", "統一社會信用代碼", "追溯碼", "批號", "品名", "數量", "單位",
                      "購貨方", "聯系電話", "購貨方攤位號", "填報人"])
    rows = [s for s in L.sales if s.merchant == W1]
    for n, s in enumerate(rows, 1):
        row = sh.add("data", [n, s.day, W1.name, W1.id, s.trace_code or s.batch.trace_code, s.batch.batch_no,
                              s.batch.product, int(s.quantity), s.unit, s.buyer, s.phone, s.buyer_id, W1.recorder])
        s.loc = (path, sh.name, row)
    sh.add("blank", [])
    sh.add("footer", _footer(W1.recorder, "周建"))
    return OutFile(path, "coldchain_out", "xlsx", [sh])


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _w2_receipts(L: Ledgers) -> OutFile:
    path = "coldchain/批發市場/清河海润冻品_进货台账_2021年1月.csv"
    sh = Sheet("")
    sh.add("title", [f"{W2.simplified}进口冷链食品疫情防控进货台账"])
    sh.add("header", ["经营者", "统一社会信用代码", "市场", "进货日期", "品名", "规格", "原产国", "批号", "追溯码",
                      "数量", "单位", "进口商", "供货商", "供货商电话", "检验检疫证明编号", "核酸检测报告编号",
                      "核酸检测结果", "消毒证明编号", "填报人"])
    for r in (r for r in L.receipts if r.merchant == W2):
        trace, insp, nat, dis = _certs(r)
        row = sh.add("data", [W2.simplified, W2.id, "清河冷链食品批发市场", _cn(r.day), r.batch.product, r.spec,
                              r.batch.origin, r.batch.batch_no, SPACED.get(r.batch.label, trace), r.quantity, r.unit,
                              r.batch.importer, r.supplier[0], r.supplier[1], insp, nat, "阴性", dis, W2.recorder])
        r.loc = (path, sh.name, row)
    sh.add("footer", [f"填表人：{W2.recorder}"])
    return OutFile(path, "coldchain_in", "gb18030", [sh])


def _w2_sales(L: Ledgers) -> OutFile:
    path = "coldchain/批發市場/清河海润冻品_销售台账_2021年1月.csv"
    sh = Sheet("")
    sh.add("title", [f"{W2.simplified}进口冷链食品疫情防控销售台账"])
    sh.add("header", ["销售日期", "追溯码", "品名", "数量", "单位", "购货方", "联系电话", "购货方摊位号", "经营者",
                      "统一社会信用代码", "填报人"])
    for s in (s for s in L.sales if s.merchant == W2):
        row = sh.add("data", [_cn(s.day), SPACED.get(s.batch.label, s.batch.trace_code), s.batch.product,
                              s.quantity, s.unit, s.buyer, s.phone, s.buyer_id, W2.simplified, W2.id, W2.recorder])
        s.loc = (path, sh.name, row)
    return OutFile(path, "coldchain_out", "gb18030", [sh])


def _retail_receipts(L: Ledgers) -> OutFile:
    path = "coldchain/農貿市場/柳岸農貿市場進口冷鏈食品進貨臺賬_2021年1月.xlsx"
    sheets = []
    for m in (R1, R2, R3):
        sh = Sheet(f"{m.id[3:]}{m.name}")
        sh.add("title", [f"{RETAIL_MARKET}進口冷鏈食品疫情防控進貨臺賬（2021年1月）"])
        sh.add("header", ["攤位號", "經營者", "進貨日期", "品名", "規格", "產地", "批號", "追溯碼", "數量", "單位",
                          "進口商", "供貨商", "供貨商電話", "供應商統一社會信用代碼", "檢驗檢疫證明", "核酸檢測報告",
                          "核酸檢測結果", "消毒證明", "填報人"])
        for r in (r for r in L.receipts if r.merchant == m):
            trace, insp, nat, dis = _certs(r)
            row = sh.add("data", [m.id, m.name, f"{r.day.month}月{r.day.day}日", r.product or r.batch.product, r.spec,
                                  r.batch.origin, r.batch.batch_no, trace, r.quantity, r.unit, r.batch.importer,
                                  r.supplier[0], r.supplier[1], r.supplier_id, insp, nat, r.nat_result, dis,
                                  m.recorder])
            r.loc = (path, sh.name, row)
        sh.add("footer", _footer(m.recorder, "市場管理辦 宋清"))
        sheets.append(sh)
    return OutFile(path, "coldchain_in", "xlsx", sheets)


def _retail_sales(L: Ledgers) -> OutFile:
    path = "coldchain/農貿市場/柳岸農貿市場進口冷鏈食品銷售臺賬_2021年1月.csv"
    sh = Sheet("")
    sh.add("title", [f"{RETAIL_MARKET}進口冷鏈食品疫情防控銷售臺賬（2021年1月）"])
    sh.add("header", ["市場", "攤位號", "經營者", "銷售日期", "追溯碼", "品名", "數量", "購買人", "聯系電話", "填報人"])
    rows = sorted((s for s in L.sales if s.merchant in (R1, R2, R3)), key=lambda s: (s.day, s.merchant.id))
    for s in rows:
        row = sh.add("data", [RETAIL_MARKET, s.merchant.id, s.merchant.name, _cn(s.day),
                              s.trace_code or s.batch.trace_code,
                              s.batch.product, s.quantity, s.buyer, s.phone, s.merchant.recorder])
        s.loc = (path, sh.name, row)
    sh.add("blank", [])
    sh.add("footer", ["填表人：宋清（市場管理辦）"])
    return OutFile(path, "coldchain_out", "gb18030", [sh])


def write_coldchain(rng: random.Random, clean: bool = False) -> tuple[list[OutFile], dict]:
    """The ledger files and the manifest's `coldchain` entry."""
    L = build(rng, clean)
    files = [_w1_receipts(L), _w1_sales(L), _w2_receipts(L), _w2_sales(L), _retail_receipts(L), _retail_sales(L)]
    return files, _manifest(L)


# ---------------------------------------------------------------------------------------------
# The manifest entry
# ---------------------------------------------------------------------------------------------

def _kg(quantity: str, unit: str | None, spec_kg: float | None) -> float:
    """A demo quantity in kg (the demo's own arithmetic, independent of the ingest)."""
    text = quantity.replace(",", "")
    for suffix in ("公斤", "千克", "kg"):
        if text.endswith(suffix):
            return float(text[: -len(suffix)])
    if text.endswith("箱"):
        return float(text[:-1]) * spec_kg
    if unit in ("公斤", "千克", "kg"):
        return float(text)
    return float(text) * spec_kg


BOX_KG = {"T1": 10.0, "T2": 20.0, "T3": 10.0, "T4": 10.0}


def _loc(row) -> dict:
    file, sheet, number = row.loc
    return {"file": file, "sheet": sheet, "row": number}


def _links(L: Ledgers) -> list[list]:
    """[seller, buyer, trace code, sale date] of every sale to a registered merchant that the
    buyer's receipts show within 3 days (the default window)."""
    ids = {m.id for m in MERCHANTS}
    out = []
    for s in L.sales:
        code = s.trace_code or s.batch.trace_code
        if s.buyer_id in ids and any(r.merchant.id == s.buyer_id and r.batch.trace_code == code
                                     and 0 <= (r.day - s.day).days <= 3 for r in L.receipts):
            out.append([s.merchant.id, s.buyer_id, code, s.day.isoformat()])
    return sorted(out)


def _manifest(L: Ledgers) -> dict:
    defects = {k: [] for k in ("cert_missing", "nat_positive", "cert_reused", "sold_unknown_batch", "oversold",
                               "sale_before_receipt", "buyer_missing", "chain_break")}
    for check, entries in L.defects.items():
        for subject, row, extra in entries:
            key = BATCHES[subject].trace_code if subject in BATCHES else subject
            defects[check].append({"subject_key": key, **extra, **_loc(row)})
    for entries in defects.values():
        entries.sort(key=lambda e: (e["subject_key"], e["file"], e["sheet"], e["row"]))

    # Every batch at every merchant: received, sold, on hand, in kg (the demo's own sums).
    balances: dict[tuple[str, str], dict] = {}
    for r in L.receipts:
        b = balances.setdefault((r.merchant.id, r.batch.trace_code), {"received_kg": 0.0, "sold_kg": 0.0})
        b["received_kg"] += _kg(r.quantity, r.unit, BOX_KG.get(r.batch.label))
    for s in L.sales:
        code = s.trace_code or s.batch.trace_code
        b = balances.setdefault((s.merchant.id, code), {"received_kg": 0.0, "sold_kg": 0.0})
        b["sold_kg"] += _kg(s.quantity, s.unit, BOX_KG.get(s.batch.label))
    t1 = BATCHES["T1"]
    return {
        "markets": [WHOLESALE_MARKET, RETAIL_MARKET],
        "merchants": [{"merchant_id": m.id, "name": m.name, "market": m.market} for m in MERCHANTS],
        "batches": {b.label: b.trace_code for b in BATCHES.values()},
        "receipts": len(L.receipts),
        "sales": len(L.sales),
        "defects": defects,
        "balances": [{"merchant_id": m, "trace_code": t, "received_kg": round(v["received_kg"], 3),
                      "sold_kg": round(v["sold_kg"], 3)} for (m, t), v in sorted(balances.items())],
        "received_twice": {"merchant_id": R1.id, "trace_code": t1.trace_code},
        "copied_certificates": sorted({b.inspection for b in BATCHES.values()} & {
            r.batch.inspection for r in L.receipts if r.merchant.market == RETAIL_MARKET}),
        "shared_certificate": {"number": BATCHES["T7"].inspection,
                               "trace_codes": [BATCHES["T7"].trace_code, BATCHES["T8"].trace_code]},
        "links": _links(L),
        "trace_example": {
            "trace_code": t1.trace_code,
            "received_kg": sum(_kg(r.quantity, r.unit, 10.0) for r in L.receipts
                               if r.batch is t1 and r.merchant == W1),
            "buyers": sorted({s.buyer for s in L.sales if s.batch is t1 and s.buyer and not s.trace_code}),
        },
    }
