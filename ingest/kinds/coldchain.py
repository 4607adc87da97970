"""Kinds `coldchain_in` and `coldchain_out`: a merchant's imported cold-chain food ledgers
(進口冷鏈食品進貨臺賬 and 銷售臺賬).

A receipt row is one batch received by a merchant, with its trace code and the numbers of its
proofs (四證: 追溯碼, 檢驗檢疫證明, 核酸檢測報告, 消毒證明); a sale row is what the merchant sold
of a batch and to whom. What is derived here is what one row says by itself:

- identifiers (merchant, trace code, batch and certificate numbers) in one written form: NFKC,
  no spaces, upper case; a certificate cell holding 無, -, / and their like is no certificate;
- the quantity: the number and unit as written (a unit may sit in the quantity cell, 20箱), and
  its weight in kg where the row gives it: kg, 公斤 and 千克 directly, 斤, 克 and 噸 by their
  factor, a box (箱, 件, 袋 ...) by the weight per box that the spec states (10kg/箱, 20公斤/箱,
  10KG*1箱, 500g*20袋/箱). A spec that gives no weight per box leaves quantity_kg empty: nothing
  is guessed;
- the nucleic-acid result as negative / positive, or empty when blank or unreadable (the text as
  written is kept).

What needs several rows or ledgers (a sale's batch found by its batch number, the weight of a
box sold from the receipt's spec, balances, merchants, links between merchants) is worked out
by `fangyi check` (checks/_materialise/5xx_*.sql).
"""
from __future__ import annotations

import re
import unicodedata

import polars as pl

from . import Column, EXTRA, Field, Kind, NAME, OPEN, PHONE, Plausible, SheetContext, Table, register
from ..parse import ZERO_WORDS
from fangyi.keys import norm

# kg per one of these units (keys normalised: NFKC, lower case, simplified).
WEIGHT_UNITS = {
    "kg": 1.0, "kgs": 1.0, "公斤": 1.0, "千克": 1.0,
    "斤": 0.5, "市斤": 0.5,
    "g": 0.001, "克": 0.001,
    "t": 1000.0, "吨": 1000.0,
}
# Packages whose weight the spec gives.
PACKAGE_UNITS = {"箱", "件", "袋", "包", "盒", "桶", "筐", "框", "板", "托"}

# A certificate or trace-code cell that says there is none.
NONE_WORDS = {norm(w) for w in (*ZERO_WORDS, "無", "无", "暫無", "暂无", "待補", "待补", "缺", "未提供", "未取得",
                                 "×", "x", "n/a", "na", "none", "null", "空")}
NEGATIVE_WORDS = {norm(w) for w in ("陰性", "阴性", "陰性(-)", "阴性(-)", "negative", "neg", "未檢出", "未检出", "合格")}
POSITIVE_WORDS = {norm(w) for w in ("陽性", "阳性", "陽性(+)", "阳性(+)", "positive", "pos", "+", "檢出", "检出")}

_NUMBER = r"\d+(?:\.\d+)?"
_QUANTITY = re.compile(r"^(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(.*?)$")
_WEIGHT = "|".join(sorted((re.escape(u) for u in WEIGHT_UNITS), key=len, reverse=True))
_PACK = "|".join(sorted(PACKAGE_UNITS))
# weight [* count [pack]] [/ pack]: 10kg/箱, 20公斤/箱, 10kg*1箱, 500g*20袋/箱, 10kg
_SPEC = re.compile(rf"^({_NUMBER})({_WEIGHT})(?:\*(\d+)({_PACK})?)?(?:/({_PACK}))?$")


def ident(text: str | None) -> str | None:
    """The matching form of a code or number: NFKC, no whitespace, upper case."""
    if text is None:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).upper()
    return key or None


def cert(text: str | None) -> str | None:
    """A certificate number or trace code; None when blank or a word for 'none'."""
    key = ident(text)
    if key is None or norm(key) in NONE_WORDS:
        return None
    return key


def unit_key(text: str | None) -> str | None:
    """A quantity unit's matching form: 公斤（kg） -> 公斤, KG -> kg, 噸 -> 吨."""
    if text is None:
        return None
    key = re.sub(r"\([^()]*\)", "", norm(text)).strip()
    return key or None


def parse_quantity(text: str | None) -> tuple[float | None, str | None, bool]:
    """'20箱' -> (20.0, '箱', True); '1,200' -> (1200.0, None, True); '若干' -> (None, None, False)."""
    if text is None:
        return None, None, True
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        return None, None, True
    if s in ZERO_WORDS:
        return 0.0, None, True
    m = _QUANTITY.match(s)
    if not m:
        return None, None, False
    number = float(m.group(1).replace(",", ""))
    unit = m.group(2).strip() or None
    if unit is not None and unit_key(unit) not in WEIGHT_UNITS and unit_key(unit) not in PACKAGE_UNITS:
        return None, None, False
    return number, unit, True


def kg_per_unit(unit: str | None, spec: str | None) -> float | None:
    """Kilograms in one `unit`: from the unit itself (kg, 斤 ...) or, for a package, from the
    weight per package that the spec states. None when neither says (nothing is guessed)."""
    key = unit_key(unit)
    if key is None:
        return None
    if key in WEIGHT_UNITS:
        return WEIGHT_UNITS[key]
    if key not in PACKAGE_UNITS or spec is None:
        return None
    s = norm(spec).replace("×", "*").replace("x", "*").replace("＊", "*")
    s = re.sub(r"^(规格|每)[:：]?", "", s)
    m = _SPEC.match(s)
    if not m:
        return None
    weight, wunit, count, count_pack, per_pack = m.groups()
    kg = float(weight) * WEIGHT_UNITS[wunit]
    if per_pack is not None and per_pack != key:
        return None                                  # 10kg/袋 says nothing of a 箱
    if count is not None:
        n = int(count)
        if count_pack == key and per_pack is None:   # 10kg*1箱: one box of 10 kg
            return kg if n == 1 else None
        if count_pack == key:                        # 10kg*2箱/箱 makes no sense
            return None
        kg *= n                                      # 500g*20袋(/箱): twenty bags in the box
    return round(kg, 6)


def _mapped(frame: pl.DataFrame, col: str, fn, dtype=pl.String) -> pl.Expr:
    values = frame[col].drop_nulls().unique().to_list()
    return pl.col(col).replace_strict({v: fn(v) for v in values}, default=None, return_dtype=dtype)


def _quantities(parsed: pl.DataFrame) -> pl.DataFrame:
    """quantity_raw, quantity, qty_unit, unit_kg, quantity_kg, and a reason for an unreadable
    quantity or a unit the quantity cell contradicts."""
    rows = parsed.select("quantity", "qty_unit", "spec")
    distinct = rows.unique()
    out = {"q": [], "u": [], "spec": [], "quantity": [], "qty_unit": [], "unit_kg": [], "why": []}
    for q, u, sp in distinct.iter_rows():
        number, cell_unit, ok = parse_quantity(q)
        unit = (unicodedata.normalize("NFKC", u).strip() or None) if u else None
        why = None
        if not ok:
            why = (f"數量: '{q}' 無法讀作數量（數字，可帶 kg、公斤、箱、件 等） / "
                   "cannot read it as a quantity (a number, optionally with kg, 公斤, 箱, 件 ...)")
        elif cell_unit and unit and unit_key(cell_unit) != unit_key(unit) and not (
                unit_key(cell_unit) in WEIGHT_UNITS and unit_key(unit) in WEIGHT_UNITS
                and WEIGHT_UNITS[unit_key(cell_unit)] == WEIGHT_UNITS[unit_key(unit)]):
            why = f"數量 '{q}' 與單位 '{u}' 不一致 / the quantity and the unit disagree"
        unit = unit or cell_unit
        out["q"].append(q)
        out["u"].append(u)
        out["spec"].append(sp)
        out["quantity"].append(number if ok else None)
        out["qty_unit"].append(unit)
        out["unit_kg"].append(kg_per_unit(unit, sp) if ok else None)
        out["why"].append(why)
    table = pl.DataFrame(out, schema={"q": pl.String, "u": pl.String, "spec": pl.String, "quantity": pl.Float64,
                                      "qty_unit": pl.String, "unit_kg": pl.Float64, "why": pl.String})
    joined = rows.rename({"quantity": "q", "qty_unit": "u"}).join(
        table, on=["q", "u", "spec"], how="left", nulls_equal=True, maintain_order="left")
    return joined.select(
        quantity_raw="q", quantity="quantity", qty_unit="qty_unit", unit_kg="unit_kg",
        quantity_kg=(pl.col("quantity") * pl.col("unit_kg")).round(6), _why_quantity="why")


def _common(parsed: pl.DataFrame) -> pl.DataFrame:
    """What receipts and sales share: merchant, identifiers, quantities."""
    q = _quantities(parsed)
    return parsed.with_columns(
        merchant_id=_mapped(parsed, "merchant_id", ident),
        trace_code=_mapped(parsed, "trace_code", cert),
        batch_no=_mapped(parsed, "batch_no", cert),
        extra=pl.col("_extra"),
        **{c: q[c] for c in ("quantity_raw", "quantity", "qty_unit", "unit_kg", "quantity_kg", "_why_quantity")},
    )


def _nat(text: str | None) -> str | None:
    key = norm(text)
    if key in NEGATIVE_WORDS:
        return "negative"
    if key in POSITIVE_WORDS:
        return "positive"
    return None


def _scientific(col: str) -> pl.Expr:
    return pl.col(col).str.contains(r"^\d+(\.\d+)?[eE]\+?\d+$")


def _reasons(*rules: pl.Expr) -> pl.Expr:
    return pl.coalesce(pl.col("_reason"), *rules)


NO_MERCHANT = ("沒有商戶編號（攤位號或統一社會信用代碼）：不知道這是誰的臺賬 / "
               "no merchant id (攤位號 or 統一社會信用代碼): whose ledger row this is is unknown")
SCIENTIFIC = ("追溯碼 '{}' 是科學記數法：Excel 已丟掉其中的數字；請把這一列設為文本後重新導出 / "
              "the trace code is in scientific notation: Excel dropped its digits; "
              "format the column as text and export again")


def finish_in(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    out = _common(parsed).with_columns(
        supplier_merchant_id=_mapped(parsed, "supplier_merchant_id", ident),
        inspection_cert_no=_mapped(parsed, "inspection_cert_no", cert),
        nat_report_no=_mapped(parsed, "nat_report_no", cert),
        disinfection_cert_no=_mapped(parsed, "disinfection_cert_no", cert),
        nat_result_raw=pl.col("nat_result"),
        nat_result=_mapped(parsed, "nat_result", _nat),
        product_key=_mapped(parsed, "product", norm),
        importer_key=_mapped(parsed, "importer", norm),
    )
    return out.with_columns(_reason=_reasons(
        pl.when(pl.col("merchant_id").is_null()).then(pl.lit(NO_MERCHANT)),
        pl.when(pl.col("received_date").is_null()).then(pl.lit("沒有進貨日期 / no received date (進貨日期)")),
        pl.when(_scientific("trace_code")).then(pl.format(SCIENTIFIC, pl.col("trace_code"))),
        pl.col("_why_quantity"),
    ))


def finish_out(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    out = _common(parsed).with_columns(buyer_merchant_id=_mapped(parsed, "buyer_merchant_id", ident))
    return out.with_columns(_reason=_reasons(
        pl.when(pl.col("merchant_id").is_null()).then(pl.lit(NO_MERCHANT)),
        pl.when(pl.col("sale_date").is_null()).then(pl.lit("沒有銷售日期 / no sale date (銷售日期)")),
        pl.when(_scientific("trace_code")).then(pl.format(SCIENTIFIC, pl.col("trace_code"))),
        pl.col("_why_quantity"),
    ))


def _merchant_fields(example_id: str) -> tuple[Field, ...]:
    return (
        Field("merchant", ("經營者", "商戶", "經營者名稱", "商戶名稱", "經營戶", "攤主", "經營單位"), "text",
              "經營者（記臺賬的商戶）名稱", "Merchant keeping the ledger", "王記凍品", privacy=OPEN),
        Field("merchant_id", ("攤位號", "統一社會信用代碼", "攤位編號", "商戶編號", "經營者編號", "社會信用代碼",
                              "信用代碼", "攤位號/統一社會信用代碼"), "text",
              "攤位號或統一社會信用代碼（識別商戶）", "Stall number or unified social credit code (identifies the merchant)",
              example_id, privacy=OPEN),
        Field("market", ("市場", "市場名稱", "所在市場", "所屬市場"), "text", "所在市場", "Market", "柳岸農貿市場", privacy=OPEN),
    )


_TRACE = Field("trace_code", ("追溯碼", "追溯編碼", "溯源碼", "追溯碼/溯源碼", "冷鏈追溯碼", "追溯碼號", "追溯號"), "text",
               "追溯碼（追溯證明）", "Trace code of the batch (traceability proof)", "QH2101130001", privacy=OPEN)
_BATCH = Field("batch_no", ("批號", "批次號", "生產批號", "批次", "批次編號"), "text",
               "批號", "Batch number", "BR20201215A", privacy=OPEN)
_PRODUCT = Field("product", ("品名", "產品名稱", "商品名稱", "食品名稱", "品種", "貨品名稱"), "text",
                 "品名", "Product", "冷凍牛腩", privacy=OPEN)
_SPEC_FIELD = Field("spec", ("規格", "規格型號", "包裝規格", "規格(kg/箱)"), "text",
                    "規格，如 10kg/箱（按箱、件計數時據此換算公斤）",
                    "Spec, e.g. 10kg/箱 (gives the kg per box when the quantity is in boxes)", "10kg/箱", privacy=OPEN)
_QUANTITY_FIELD = Field("quantity", ("數量", "進貨數量", "銷售數量", "出貨數量", "件數", "重量", "數量(重量)"), "text",
                        "數量，可帶單位（如 20箱、200公斤）", "Quantity, possibly with its unit (20箱, 200公斤)", "20", privacy=OPEN)
_UNIT_FIELD = Field("qty_unit", ("單位", "計量單位", "數量單位"), "text",
                    "數量單位：kg、公斤、千克、斤、箱、件 等", "Unit of the quantity: kg, 公斤, 千克, 斤, 箱, 件 ...", "箱", privacy=OPEN)

COMMON_COLUMNS = (
    Column("merchant", zh="經營者（記臺賬的商戶），原文照錄", en="The merchant keeping the ledger, as written"),
    Column("merchant_id", "TEXT NOT NULL", "攤位號或統一社會信用代碼（統一寫法：NFKC、去空格、大寫）",
           "Stall number or unified social credit code (one written form: NFKC, no spaces, upper case)"),
    Column("market"),
)
QUANTITY_COLUMNS = (
    Column("quantity_raw", zh="數量（原文照錄）", en="The quantity cell as written", privacy=OPEN),
    Column("quantity", "REAL", "數量的數值，單位為 qty_unit", "Its number, in qty_unit"),
    Column("qty_unit", zh="數量單位（單位列，否則數量格中寫的）", en="The unit as written (unit column, else the quantity cell)"),
    Column("unit_kg", "REAL", "一個 qty_unit 的公斤數：由單位本身，或按箱、件計時由規格得出",
           "kg in one qty_unit: from the unit, or from the spec for boxes", OPEN),
    Column("quantity_kg", "REAL", "quantity × unit_kg；沒有給出重量時為空",
           "quantity × unit_kg; empty when the weight is not given", OPEN),
)
_NORMALISED = "規範化（NFKC、去空格、繁轉簡、小寫）", "normalised (NFKC, no spaces, simplified, lower case)"
_CODE = "；寫作 無、-、/ 時為空", "; empty when blank or written as 無, -, /"

IN_KIND = register(Kind(
    name="coldchain_in",
    title="進口冷鏈食品進貨臺賬 imported cold-chain food receipts",
    fields=(
        *_merchant_fields("QH-W-001"),
        Field("received_date", ("進貨日期", "入庫日期", "到貨日期", "收貨日期", "購進日期", "進貨時間", "購貨日期"),
              "date", "進貨日期", "Date received", "2021-01-13", Plausible(window=True), privacy=OPEN),
        _PRODUCT,
        _SPEC_FIELD,
        Field("origin_country", ("原產國", "產地", "原產地", "原產國(地區)", "原產國/產地", "國別", "原產國家"), "text",
              "原產國或產地", "Country of origin", "巴西", privacy=OPEN),
        _BATCH,
        _TRACE,
        _QUANTITY_FIELD,
        _UNIT_FIELD,
        Field("importer", ("進口商", "進口商名稱", "進口企業", "進口單位", "進口商/代理商"), "text",
              "進口商", "Importer", "廣州海聯進口貿易有限公司", privacy=OPEN),
        Field("supplier", ("供應商", "供貨商", "供貨單位", "供應商名稱", "供貨方", "供貨商名稱", "上游供貨商"), "text",
              "供應商（從誰進貨）", "Supplier (who the batch came from)", "清河冷鏈貿易商行", privacy=OPEN),
        Field("supplier_phone", ("供應商電話", "供貨商電話", "供貨方電話", "供應商聯系電話", "供貨商聯系電話",
                                 "供應商聯系方式"), "text",
              "供應商電話", "Supplier's phone", "020-81234567", privacy=PHONE),
        Field("supplier_merchant_id", ("供應商攤位號", "供貨商攤位號", "供貨方攤位號", "供應商統一社會信用代碼",
                                       "供貨商統一社會信用代碼", "供應商編號"), "text",
              "供應商的攤位號或統一社會信用代碼（供應商也在本轄區記臺賬時填寫）",
              "Supplier's stall number or credit code (when the supplier keeps ledgers here too)", "QH-W-001", privacy=OPEN),
        Field("inspection_cert_no", ("檢驗檢疫證明編號", "入境貨物檢驗檢疫證明編號", "檢驗檢疫證明", "檢疫證明編號",
                                     "檢驗檢疫證號", "入境貨物檢驗檢疫證明", "檢驗檢疫證明號"), "text",
              "入境貨物檢驗檢疫證明編號", "Entry inspection and quarantine certificate number", "440100121000123", privacy=OPEN),
        Field("nat_report_no", ("核酸檢測報告編號", "核酸檢測報告", "核酸報告編號", "核酸檢測報告號", "核酸檢測證明編號"),
              "text", "核酸檢測報告編號", "Nucleic-acid test report number", "HS2101120456", privacy=OPEN),
        Field("nat_result", ("核酸檢測結果", "核酸結果", "檢測結果", "核酸檢測結論"), "text",
              "核酸檢測結果：陰性/陽性", "Nucleic-acid result: 陰性 negative / 陽性 positive", "陰性", privacy=OPEN),
        Field("disinfection_cert_no", ("消毒證明編號", "消毒證明", "消毒證明號", "消毒證明編碼", "消殺證明編號"), "text",
              "消毒證明編號", "Disinfection certificate number", "XD2101120789", privacy=OPEN),
    ),
    recognise=lambda fields: "received_date" in fields and bool({"trace_code", "batch_no"} & fields)
    and bool({"product", "quantity"} & fields),
    label_field="merchant",
    tables=(Table(
        "coldchain_batches", key="batch_id",
        zh="進口冷鏈食品進貨臺賬：每批進貨一行", en="Imported cold-chain food receipts: one row per batch received",
        columns=(
            *COMMON_COLUMNS,
            Column("received_date", "TEXT NOT NULL"),
            Column("product"),
            Column("product_key", zh="品名" + _NORMALISED[0], en="Product " + _NORMALISED[1], privacy=OPEN),
            Column("spec"),
            Column("origin_country"),
            Column("batch_no", zh="批號" + _CODE[0], en="Batch number" + _CODE[1]),
            Column("trace_code", zh="追溯碼" + _CODE[0], en="Trace code" + _CODE[1]),
            *QUANTITY_COLUMNS,
            Column("importer"),
            Column("importer_key", zh="進口商" + _NORMALISED[0], en="Importer " + _NORMALISED[1], privacy=OPEN),
            Column("supplier"),
            Column("supplier_phone"),
            Column("supplier_merchant_id"),
            Column("inspection_cert_no"),
            Column("nat_report_no"),
            Column("nat_result", zh="核酸檢測結果：negative 陰性 / positive 陽性 / 空白為未填或無法識別",
                   en="Nucleic-acid result: negative / positive / empty when blank or unreadable"),
            Column("nat_result_raw", zh="核酸檢測結果（原文照錄）", en="The result as written", privacy=OPEN),
            Column("disinfection_cert_no"),
            EXTRA,
        ),
        indexes=(("coldchain_batches_trace", "merchant_id, trace_code"),
                 ("coldchain_batches_batch_no", "merchant_id, batch_no"),
                 ("coldchain_batches_code", "trace_code"),
                 ("coldchain_batches_supplier", "supplier_merchant_id")),
    ),),
    dated_by="received_date",
    suite="coldchain",
    finish=finish_in,
    notes="每進一批貨一行；同一批貨分幾次進貨就寫幾行。四證（追溯碼、檢驗檢疫證明、核酸檢測報告、消毒證明）的編號逐項填寫，"
          "缺哪一項就留空，不要寫「有」。按箱、件計數時在「規格」寫明每箱重量（如 10kg/箱）。",
))

OUT_KIND = register(Kind(
    name="coldchain_out",
    title="進口冷鏈食品銷售臺賬 imported cold-chain food sales",
    fields=(
        *_merchant_fields("QH-W-001"),
        Field("sale_date", ("銷售日期", "出貨日期", "出庫日期", "售出日期", "銷貨日期", "銷售時間"), "date",
              "銷售日期", "Date sold", "2021-01-14", Plausible(window=True), privacy=OPEN),
        _TRACE,
        _BATCH,
        _PRODUCT,
        _SPEC_FIELD,
        _QUANTITY_FIELD,
        _UNIT_FIELD,
        Field("buyer", ("購買方", "購貨方", "購買人", "購貨單位", "購買單位", "客戶", "客戶名稱", "購貨人", "買方"), "text",
              "購買方（賣給誰）", "Buyer (who it was sold to)", "王記凍品", privacy=NAME, role="購買方"),
        Field("buyer_phone", ("聯系電話", "購買方電話", "購貨方電話", "客戶電話", "購買人電話", "聯系方式"), "text",
              "購買方聯系電話", "Buyer's phone", "13800138000", privacy=PHONE),
        Field("buyer_merchant_id", ("購貨方攤位號", "購買方攤位號", "客戶攤位號", "購貨方統一社會信用代碼",
                                    "購買方統一社會信用代碼", "購貨方編號"), "text",
              "購買方的攤位號或統一社會信用代碼（賣給本轄區商戶時填寫）",
              "Buyer's stall number or credit code (when the buyer is a merchant here)", "LA-A01", privacy=OPEN),
    ),
    recognise=lambda fields: "sale_date" in fields and bool({"trace_code", "batch_no"} & fields)
    and bool({"quantity", "buyer"} & fields),
    label_field="merchant",
    tables=(Table(
        "coldchain_sales", key="sale_id",
        zh="進口冷鏈食品銷售臺賬：每筆銷售一行", en="Imported cold-chain food sales: one row per sale",
        columns=(
            *COMMON_COLUMNS,
            Column("sale_date", "TEXT NOT NULL"),
            Column("trace_code", zh="追溯碼" + _CODE[0] + "；只寫批號時見 coldchain_sale_batches",
                   en="Trace code" + _CODE[1] + "; a sale naming only a batch number: see coldchain_sale_batches"),
            Column("batch_no", zh="批號" + _CODE[0], en="Batch number" + _CODE[1]),
            Column("product"),
            Column("spec"),
            *QUANTITY_COLUMNS,
            Column("buyer"),
            Column("buyer_phone"),
            Column("buyer_merchant_id"),
            EXTRA,
        ),
        indexes=(("coldchain_sales_trace", "merchant_id, trace_code"),
                 ("coldchain_sales_buyer", "buyer_merchant_id")),
    ),),
    dated_by="sale_date",
    suite="coldchain",
    finish=finish_out,
    notes="每筆銷售一行，寫明追溯碼（或批號）、數量和購買方；賣給本轄區其他商戶時填寫其攤位號或統一社會信用代碼。",
))
