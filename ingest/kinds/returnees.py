"""Kinds `returnees` and `returnee_tests`: the register of returnees under health management
(返鄉人員健康管理臺賬) and their nucleic-acid tests.

The register is kept by each community or village: one row per person and arrival, often one
sheet per village (the unit then comes from the sheet name or the title row, as for rosters),
with a title row such as XX村返鄉人員健康管理臺賬（2021年1月）. Its test columns (第7天核酸,
第14天核酸, 第3次核酸, 入戶核酸 ...) may hold a date, a result or both (1月27日 陰性): each filled
cell becomes a row of `returnee_register_tests`, tied to its register row by file, sheet and row.
Tests kept as rows of their own (a sheet or file: 姓名, 身份證號 or 聯繫電話, 單位, 採樣日期, 結果,
處置情況) load into `returnee_tests`. `fangyi check` puts both into one table of tests
(returnee_test_results) and matches each test to a returnee: by identity number, else phone,
else name within the unit.

What one row says by itself is derived here: the identity number and phone in a matching form
(id_key: NFKC, no spaces, upper case; phone_key: the digits, the last 11 of a longer number),
the name's key (fangyi.keys.name_key), the risk level as low / medium / high (blank = low), the
certificate as a date or none, a result as negative / positive / pending. An identity number
that Excel turned into a number (4.50103E+17, 450103199001011234.0) has lost its digits or is
not the number written: the row is rejected, naming the column.
"""
from __future__ import annotations

import re
import unicodedata

import polars as pl

from . import (ADDRESS, Column, EXTRA, FREE_TEXT, Field, ID_NUMBER, Kind, NAME, OPEN, PHONE, Plausible,
               SheetContext, Table, UNIT_NAME, register)
from .. import parse
from .roster import has_unit_column, unit_from_context
from fangyi.keys import name_key, norm

RISK_WORDS = {norm(w): level for words, level in (
    (("低", "低風險", "低風險地區", "低風險區", "低風險區域", "無", "否"), "low"),
    (("中", "中風險", "中風險地區", "中風險區", "中風險區域"), "medium"),
    (("高", "高風險", "高風險地區", "高風險區", "高風險區域"), "high"),
) for w in words}
RESULT_WORDS = {norm(w): r for words, r in (
    (("陰性", "陰", "陰性(-)", "-", "(-)", "未檢出", "negative", "neg"), "negative"),
    (("陽性", "陽", "陽性(+)", "+", "(+)", "檢出", "positive", "pos"), "positive"),
    (("待出", "待出結果", "未出", "結果未出", "檢測中", "待檢", "pending"), "pending"),
) for w in words}
NONE_WORDS = {norm(w) for w in ("無", "沒有", "未提供", "未持有", "否", "-", "—", "/", "×", "x", "暫無", "none")}
YES_WORDS = {norm(w) for w in ("有", "是", "√", "✓", "已提供", "持有")}
# a disposal cell that records nothing
NO_DISPOSAL = {norm(w) for w in ("無", "未處置", "待處置", "-", "—", "/", "暫無", "否")}

# The register's test columns: field -> what the column plans ('first', 'day:N', 'nth:K').
TEST_COLUMNS = {"test_first": "first", "test_day7": "day:7", "test_day14": "day:14", "test_third": "nth:3"}

_SCIENTIFIC = r"^\s*\d+(\.\d+)?[eE][+-]?\d+\s*$"
_FLOAT = r"^\s*\d{6,}\.\d*\s*$"
_RESULT_IN_CELL = re.compile("|".join(sorted((re.escape(w) for w in
                                              ("陰性", "阴性", "陽性", "阳性", "待出", "未出", "檢測中", "检测中",
                                               "未檢出", "未检出", "(-)", "(+)", "（-）", "（+）")),
                                             key=len, reverse=True)))


def id_key(text: str | None) -> str | None:
    if text is None:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).upper()
    return key or None


def phone_key(text: str | None) -> str | None:
    if text is None:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(text)))
    if len(digits) > 11:
        digits = digits[-11:]
    return digits or None


def result_of(text: str | None) -> str | None:
    return RESULT_WORDS.get(norm(text)) if text is not None else None


def _mapped(frame: pl.DataFrame, col: str, fn, dtype=pl.String) -> pl.Expr:
    values = frame[col].drop_nulls().unique().to_list()
    return pl.col(col).replace_strict({v: fn(v) for v in values}, default=None, return_dtype=dtype)


def _label(ctx: SheetContext, field: str, default: str) -> str:
    return " ".join((ctx.headers.get(field) or default).split())


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_checksum_ok(digits: str) -> bool:
    """Whether an 18-character identity number's last character is its check digit (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS))
    return "10X98765432"[total % 11] == digits[-1]


def mangled_id(text: str | None) -> bool:
    """An identity number Excel turned into a number: written in scientific notation
    (4.50103E+17), as a decimal (450103199001011234.0), or read back from a number cell as 18
    digits of which Excel kept 15 (450103199001011000, or 440199199011041024 as the double holding
    it is written out in full: zeros after the fifteenth digit but for the double's rounding), the
    last character no valid check digit."""
    if text is None:
        return False
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if re.fullmatch(_SCIENTIFIC, s) or re.fullmatch(_FLOAT, s):
        return True
    if not re.fullmatch(r"\d{16,19}", s) or id_checksum_ok(s):
        return False
    # a double holding a number of 15 significant digits, written out in full (4.40199199011041E+17
    # read as 440199199011041024): a value a double holds exactly, within the double's spacing of a
    # number ending in zeros (a mistyped number is one a double holds exactly once in 64)
    n, scale = int(s), 10 ** (len(s) - 15)
    if n % scale == 0:                  # Excel's 15 digits written out with zeros (450103199001011000)
        return True
    return int(float(n)) == n and abs(n - (n + scale // 2) // scale * scale) <= 2 ** (n.bit_length() - 53)


def _bad_id(ctx: SheetContext) -> tuple[pl.Expr, pl.Expr]:
    """(condition, reason) of an identity number Excel turned into a number."""
    label = _label(ctx, "id_number", "身份證號")
    cond = pl.col("id_number").replace_strict(
        {t: mangled_id(t) for t in ctx.memo.get("_ids", ())}, default=False, return_dtype=pl.Boolean)
    reason = pl.format(
        f"{label} '{{}}' 是 Excel 轉成的數字（科學記數法或小數）：號碼的後幾位已丟失或改變；請把這一列設為文本後重新導出 / "
        f"the {label} is a number Excel made of it (scientific notation or a decimal): its last digits are lost "
        "or changed; format the column as text and export again", pl.col("id_number"))
    return cond, reason


def _people(parsed: pl.DataFrame) -> dict[str, pl.Expr]:
    return dict(
        name_key=_mapped(parsed, "name", name_key),
        id_key=_mapped(parsed, "id_number", id_key),
        phone_key=_mapped(parsed, "phone", phone_key),
    )


def _parse_dates(texts: list[str], ctx: SheetContext, year: int | None = None) -> dict[str, str | None]:
    if not texts:
        return {}
    out = parse.date(pl.DataFrame({"t": texts}, schema={"t": pl.String}), year or ctx.default_year, ctx.zone)
    return dict(zip(out["t"].to_list(), out["v"].to_list()))


def _test_cell(text: str) -> tuple[str | None, str | None, bool]:
    """A register's test cell: (date text, result, readable). '1月27日 陰性' -> ('1月27日', 'negative')."""
    s = unicodedata.normalize("NFKC", text).strip()
    result = None
    m = _RESULT_IN_CELL.search(s) or _RESULT_IN_CELL.search(text)
    if m:
        result = result_of(m.group(0).replace("（", "(").replace("）", ")"))
        s = (s[:m.start()] + " " + s[m.end():]).strip() if _RESULT_IN_CELL.search(s) else s
    elif result_of(s):
        return None, result_of(s), True
    s = re.sub(r"^[\s,，;；:：/、]+|[\s,，;；:：/、]+$", "", s)
    return (s or None), result, bool(s or result)


# ---------------------------------------------------------------------------------------------
# The register
# ---------------------------------------------------------------------------------------------

def _common_fields(example_unit: str) -> tuple[Field, ...]:
    return (
        Field("unit", ("社區(村)", "村組", "村(社區)", "社區", "村", "村名", "單位", "所在社區", "所在村", "社區(村組)",
                       "村(居)", "村居", "社區名稱"), "text",
              "社區(村)或村組；每村一張工作表時可不設此列，取自工作表名或標題",
              "Community or village (group); a sheet per village may leave it out (the sheet name or title names it)",
              example_unit, privacy=FREE_TEXT),
        Field("unit_code", ("單位編碼", "區劃代碼"), "code", "單位編碼（可選）", "Unit code (optional)",
              "450103001001", privacy=FREE_TEXT),
        Field("parent", ("所屬街道", "所屬鄉鎮", "鄉鎮(街道)", "街道(鄉鎮)", "鄉鎮", "街道", "鎮街", "街鎮"), "text",
              "所屬街道/鄉鎮（可選，同名的村據此區分）", "Town (optional; tells apart villages of the same name)",
              "雲峰鎮", privacy=FREE_TEXT),
        Field("name", ("姓名", "返鄉人員姓名", "人員姓名", "受檢人", "被檢人姓名"), "text", "姓名", "Name", "張三",
              privacy=NAME),
        Field("id_number", ("身份證號", "身份證號碼", "身份證", "公民身份號碼", "證件號碼", "證件號", "身份證件號碼"), "text",
              "身份證號（請設為文本列，否則 Excel 會丟掉後幾位）",
              "Identity number (keep the column as text, or Excel drops its last digits)",
              "450103199001011234", privacy=ID_NUMBER),
        Field("phone", ("聯繫電話", "聯系電話", "電話", "手機", "手機號碼", "聯繫方式", "聯系方式", "電話號碼"), "text",
              "聯繫電話", "Phone", "13800000000", privacy=PHONE),
    )


REGISTER_FIELDS = _common_fields("柳岸村") + (
    Field("origin", ("從何地返鄉", "來源地", "從何地返回", "返鄉來源地", "出發地", "從何地來", "返回地", "來自何地",
                     "從何地返鄉(具體到縣區)"), "text",
          "從何地返鄉", "Where the person came from", "廣東省深圳市南山區", privacy=ADDRESS),
    Field("risk_level", ("風險等級", "來源地風險等級", "風險區域", "是否中高風險地區", "風險等級(低/中/高)"), "text",
          "來源地風險等級：低、中、高（空白為低）", "Risk level of the origin: 低, 中 or 高 (blank: low)", "低",
          privacy=OPEN),
    Field("notified_at", ("報備時間", "報備日期", "提前報備時間", "返鄉報備時間"), "datetime",
          "向村（社區）報備的時間；只寫日期時按日期判斷", "When the person notified the village (a date alone: judged by dates)",
          "2021-01-18 10:00", Plausible(window=True), privacy=OPEN),
    Field("arrived_at", ("返鄉時間", "抵達時間", "到達時間", "返鄉日期", "抵達日期", "到達日期", "返回時間", "抵鄉時間"), "datetime",
          "返鄉（抵達）時間", "When the person arrived", "2021-01-20 15:30", Plausible(window=True), privacy=OPEN),
    Field("registered_at", ("登記時間", "登記日期", "登記備案時間", "備案時間"), "datetime",
          "登記時間", "When the person was registered", "2021-01-20 20:00", Plausible(window=True), privacy=OPEN),
    Field("cert", ("核酸陰性證明日期", "核酸證明日期", "核酸陰性證明", "7天內核酸陰性證明", "核酸檢測證明日期", "持核酸證明日期"),
          "text", "核酸陰性證明的採樣日期（空白或「無」：沒有證明）",
          "Date of the negative nucleic-acid certificate (blank or 無: none)", "2021-01-17", privacy=OPEN),
    Field("management", ("管理方式", "管控措施", "管控方式", "健康管理方式"), "text",
          "管理方式：居家健康監測、居家隔離或集中隔離", "Management: home health monitoring, home isolation or central isolation",
          "居家健康監測", privacy=OPEN),
    Field("departed_on", ("離開日期", "離鄉日期", "返程日期", "離開時間", "返崗日期"), "date",
          "離開日期（空白：未離開）", "Date the person left (blank: still here)", "", Plausible(window=True), privacy=OPEN),
    Field("grid_worker", ("網格員", "網格管理員", "包保責任人", "責任人"), "text", "網格員", "Grid worker", "李四",
          privacy=NAME, role="網格員"),
    Field("test_first", ("入戶核酸", "首次核酸", "第1次核酸", "第一次核酸", "落地核酸", "入戶核酸檢測", "首次核酸檢測"), "text",
          "登記表上的首次（入戶）核酸：日期、結果或兩者，如 1月21日 陰性", "The register's first (on arrival) test: "
          "a date, a result or both, e.g. 1月21日 陰性", "1月21日 陰性", privacy=OPEN),
    Field("test_day7", ("第7天核酸", "第七天核酸", "第7天核酸檢測", "第7天核酸結果", "7天核酸"), "text",
          "登記表上的第 7 天核酸：日期、結果或兩者", "The register's day-7 test: a date, a result or both",
          "1月27日 陰性", privacy=OPEN),
    Field("test_day14", ("第14天核酸", "第十四天核酸", "第14天核酸檢測", "第14天核酸結果", "14天核酸"), "text",
          "登記表上的第 14 天核酸：日期、結果或兩者", "The register's day-14 test: a date, a result or both",
          "2月3日 陰性", privacy=OPEN),
    Field("test_third", ("第3次核酸", "第三次核酸", "第3次核酸檢測"), "text",
          "登記表上的第 3 次核酸（中高風險地區返鄉人員）：日期、結果或兩者",
          "The register's third test (returnees from medium- or high-risk areas): a date, a result or both",
          "2月3日 陰性", privacy=OPEN),
    Field("remarks", ("備註", "說明"), "text", "備註", "Remarks", "", privacy=FREE_TEXT),
)

_UNIT_COLUMNS = (
    Column("unit_raw", zh="社區(村)（原文照錄：單位列，否則工作表名或標題）",
           en="The unit as written (a column, else the sheet name or title)", privacy=UNIT_NAME),
    Column("unit_code_raw", zh="單位編碼（原文照錄）", en="The unit code as written", privacy=FREE_TEXT),
    Column("parent_raw", zh="所屬街道/鄉鎮（原文照錄）", en="The town as written", privacy=FREE_TEXT),
)
_PERSON_COLUMNS = (
    Column("name"),
    Column("name_key", zh="規範化後的姓名（去空格、繁轉簡、去括號備註）",
           en="Normalised name (no spaces, simplified, no bracketed remark)", privacy=NAME),
    Column("id_number", zh="身份證號（原文照錄）", en="Identity number as written"),
    Column("id_key", zh="身份證號的比對形式（去空格、大寫）", en="Identity number as matched (no spaces, upper case)",
           privacy=ID_NUMBER),
    Column("phone", zh="聯繫電話（原文照錄）", en="Phone as written"),
    Column("phone_key", zh="電話的比對形式（只留數字，長號取後 11 位）",
           en="Phone as matched (digits only, the last 11 of a longer number)", privacy=PHONE),
)

REGISTER = Table(
    "returnees", key="returnee_id", names_unit=True,
    zh="返鄉人員登記臺賬：每人每次返鄉一行", en="The returnee register: one row per person and arrival",
    columns=(
        *_UNIT_COLUMNS, *_PERSON_COLUMNS,
        Column("origin"),
        Column("risk_level", "TEXT NOT NULL", "來源地風險等級：low 低 / medium 中 / high 高（空白為低）",
               "Risk level of the origin: low / medium / high (blank: low)", OPEN),
        Column("risk_level_raw", zh="風險等級（原文照錄）", en="Risk level as written", privacy=OPEN),
        Column("notified_at", zh="報備時間（ISO 8601；只有日期時為日期）",
               en="When notified (ISO 8601; a date alone when no time was written)"),
        Column("arrived_at", "TEXT NOT NULL", "返鄉時間（ISO 8601；只有日期時為日期）",
               "When arrived (ISO 8601; a date alone when no time was written)"),
        Column("registered_at", zh="登記時間（ISO 8601；只有日期時為日期）",
               en="When registered (ISO 8601; a date alone when no time was written)"),
        Column("cert_raw", zh="核酸陰性證明（原文照錄）", en="The certificate cell as written", privacy=OPEN),
        Column("cert_date", zh="核酸陰性證明的日期（ISO 8601）；空：沒有，或寫了「有」而無日期",
               en="Date of the negative certificate (ISO 8601); blank: none, or 有 written without a date", privacy=OPEN),
        Column("has_cert", "INTEGER NOT NULL", "是否寫了核酸陰性證明：1 有 / 0 無",
               "Whether the register gives a negative certificate: 1 yes / 0 no", OPEN),
        Column("management"),
        Column("departed_on"),
        Column("grid_worker"),
        Column("remarks"),
        EXTRA,
    ),
    indexes=(("returnees_source_row", "file_id, sheet, row_number"), ("returnees_id_key", "id_key"), ("returnees_phone_key", "phone_key"), ("returnees_name_key", "name_key")),
)
REGISTER_TESTS = Table(
    "returnee_register_tests", key="register_test_id",
    zh="返鄉人員登記表上的核酸列（第7天核酸、第14天核酸 ...）：每個填了的格一行，以文件、工作表和行號連到登記行",
    en="The register's test columns (第7天核酸, 第14天核酸 ...): one row per filled cell, tied to its register row "
       "by file, sheet and row",
    columns=(
        Column("column_name", "TEXT NOT NULL", "列名（原文照錄）", "The column as written", OPEN),
        Column("planned", "TEXT NOT NULL", "該列記的是哪一次：first 首次 / day:N 第 N 天 / nth:K 第 K 次",
               "Which test the column records: first / day:N (day N) / nth:K (the K-th test)", OPEN),
        Column("cell", "TEXT NOT NULL", "格中原文", "The cell as written", OPEN),
        Column("test_date", zh="採樣日期（ISO 8601）；空：格中只有結果",
               en="Date sampled (ISO 8601); blank: the cell gives a result only", privacy=OPEN),
        Column("result", zh="結果：negative 陰性 / positive 陽性 / pending 待出；空：格中只有日期",
               en="Result: negative / positive / pending; blank: the cell gives a date only", privacy=OPEN),
    ),
)


def _sheet_year(parsed: pl.DataFrame, ctx: SheetContext) -> int | None:
    """The year of a date written without one (1月27日): the title's, sheet's or file's, else the
    year most of the sheet's arrivals are in (a register titled 返鄉人員登記表 with no year)."""
    if ctx.default_year or "arrived_at" not in parsed.columns:
        return ctx.default_year
    years = parsed["arrived_at"].drop_nulls().str.slice(0, 4).cast(pl.Int64, strict=False).drop_nulls()
    return int(years.mode().sort()[-1]) if years.len() else None


def _certificate(parsed: pl.DataFrame, ctx: SheetContext) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(cert_date, has_cert, bad) from the certificate cells; a result written beside the date
    (1月26日陰性) is left out of it."""
    texts = parsed["cert"].drop_nulls().unique().to_list()
    written = {t: (_test_cell(t)[0] or t) for t in texts}
    parsed_dates = _parse_dates(sorted({written[t] for t in texts if norm(t) not in NONE_WORDS | YES_WORDS}), ctx,
                                _sheet_year(parsed, ctx))
    dates = {t: parsed_dates.get(written[t]) for t in texts}
    date = {t: dates.get(t) for t in texts}
    has = {t: 0 if norm(t) in NONE_WORDS else (1 if norm(t) in YES_WORDS or dates.get(t) else 0) for t in texts}
    bad = {t: norm(t) not in NONE_WORDS | YES_WORDS and dates.get(t) is None for t in texts}
    return (pl.col("cert").replace_strict(date, default=None, return_dtype=pl.String),
            pl.col("cert").replace_strict(has, default=0, return_dtype=pl.Int64),
            pl.col("cert").replace_strict(bad, default=False, return_dtype=pl.Boolean))


def _test_cells(parsed: pl.DataFrame, ctx: SheetContext) -> dict[str, dict[str, tuple]]:
    """{field: {cell: (date, result, readable)}} of the register's test columns."""
    out = {}
    for field in TEST_COLUMNS:
        if field not in parsed.columns:
            continue
        cells = parsed[field].drop_nulls().unique().to_list()
        split = {c: _test_cell(c) for c in cells}
        dates = _parse_dates(sorted({d for d, _, _ in split.values() if d}), ctx, _sheet_year(parsed, ctx))
        out[field] = {c: (dates.get(d) if d else None, r, ok and (d is None or dates.get(d) is not None))
                      for c, (d, r, ok) in split.items()}
    return out


def finish_register(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    unit_column = has_unit_column(parsed, ctx)
    sheet_unit = None if unit_column else unit_from_context(ctx)
    risks = {t: RISK_WORDS.get(norm(t)) for t in parsed["risk_level"].drop_nulls().unique().to_list()}
    cert_date, has_cert, cert_bad = _certificate(parsed, ctx)
    cells = _test_cells(parsed, ctx)
    out = parsed.with_columns(
        unit_raw=pl.col("unit") if unit_column else pl.lit(sheet_unit, pl.String),
        unit_code_raw=pl.col("unit_code"),
        parent_raw=pl.col("parent"),
        risk_level_raw=pl.col("risk_level"),
        risk_level=pl.when(pl.col("risk_level").is_null()).then(pl.lit("low"))
        .otherwise(pl.col("risk_level").replace_strict(risks, default=None, return_dtype=pl.String)),
        cert_raw=pl.col("cert"), cert_date=cert_date, has_cert=has_cert, _cert_bad=cert_bad,
        extra=pl.col("_extra"),
        **_people(parsed),
        **{f"_bad_{f}": pl.col(f).replace_strict({c: not v[2] for c, v in m.items()}, default=False,
                                                 return_dtype=pl.Boolean) for f, m in cells.items()},
    )
    ctx.memo["_ids"] = parsed["id_number"].drop_nulls().unique().to_list()
    bad_id, bad_id_reason = _bad_id(ctx)
    rules: list[tuple[pl.Expr, pl.Expr, str | None]] = [
        (bad_id, bad_id_reason, _label(ctx, "id_number", "身份證號")),
        (pl.col("name").is_null() & pl.col("id_number").is_null(),
         pl.lit("沒有人：姓名和身份證號都是空的 / no person: both the name and the identity number are blank"),
         _label(ctx, "name", "姓名")),
        (pl.col("arrived_at").is_null(), pl.lit(
            f"沒有返鄉時間：{_label(ctx, 'arrived_at', '返鄉時間')}格是空的，無法核對報備、登記和核酸 / no arrival: the "
            f"{_label(ctx, 'arrived_at', '返鄉時間')} cell is blank, so notice, registration and tests cannot be checked"),
         _label(ctx, "arrived_at", "返鄉時間")),
        (pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null(), pl.lit(
            "沒有單位：單位格是空的，工作表名和標題也沒有寫村（社區） / no unit: the unit cell is blank and neither the "
            "sheet name nor the title names the village"), _label(ctx, "unit", "社區(村)") if unit_column else None),
        (pl.col("risk_level").is_null(), pl.format(
            f"{_label(ctx, 'risk_level', '風險等級')}: '{{}}' 不是風險等級，請寫 低、中 或 高 / is not a risk level: "
            "write 低, 中 or 高", pl.col("risk_level_raw")), _label(ctx, "risk_level", "風險等級")),
        (pl.col("_cert_bad"), pl.format(
            f"{_label(ctx, 'cert', '核酸陰性證明日期')}: '{{}}' 不是日期，請寫證明的採樣日期，沒有證明寫「無」或留空 / "
            "is not a date: write the certificate's date, or 無 (or nothing) for none", pl.col("cert")),
         _label(ctx, "cert", "核酸陰性證明日期")),
    ]
    for f in cells:
        label = _label(ctx, f, f)
        rules.append((pl.col(f"_bad_{f}"), pl.format(
            f"{label}: '{{}}' 讀不出日期或結果，請寫採樣日期、結果（陰性/陽性/待出）或兩者，如 1月27日 陰性 / "
            "cannot read a date or a result: write the date sampled, the result (陰性, 陽性 or 待出) or both, "
            "e.g. 1月27日 陰性", pl.col(f)), label))
    reason = pl.coalesce(pl.col("_reason"), *(pl.when(c).then(r) for c, r, _ in rules))
    column = pl.when(pl.col("_reason").is_not_null()).then(pl.col("_column"))
    for c, _, label in rules:
        column = column.when(c).then(pl.lit(label, pl.String))
    return out.with_columns(_reason=reason, _column=column)


def write_register(good: pl.DataFrame, ctx: SheetContext) -> dict[str, pl.DataFrame]:
    cols = REGISTER.data_columns
    main = good.select(*[c if c in good.columns else pl.lit(None, pl.String).alias(c) for c in cols], "_row")
    cells = _test_cells(good, ctx)
    frames = []
    for f, m in cells.items():
        rows = good.filter(pl.col(f).is_not_null())
        if not rows.height:
            continue
        frames.append(rows.select(
            column_name=pl.lit(" ".join((ctx.headers.get(f) or f).split())),
            planned=pl.lit(TEST_COLUMNS[f]),
            cell=pl.col(f),
            test_date=pl.col(f).replace_strict({c: v[0] for c, v in m.items()}, default=None, return_dtype=pl.String),
            result=pl.col(f).replace_strict({c: v[1] for c, v in m.items()}, default=None, return_dtype=pl.String),
            _row=pl.col("_row")))
    schema = {c: pl.String for c in REGISTER_TESTS.data_columns} | {"_row": pl.Int64}
    tests = pl.concat(frames).sort("_row", maintain_order=True) if frames else pl.DataFrame(schema=schema)
    return {"returnees": main, "returnee_register_tests": tests}


register(Kind(
    name="returnees",
    title="返鄉人員健康管理臺賬 returnee register",
    fields=REGISTER_FIELDS,
    recognise=lambda fields: "arrived_at" in fields and bool({"name", "id_number"} & fields)
    and bool({"registered_at", "notified_at", "origin", "risk_level", "cert"} & fields),
    label_field="name",
    tables=(REGISTER, REGISTER_TESTS),
    dated_by="arrived_at",
    suite="returnees",
    finish=finish_register,
    write=write_register,
    demo="fangyi.demo.returnees:write_returnees",
    notes="每人每次返鄉一行：社區(村)、姓名、身份證號（請把這一列設為文本）、聯繫電話、從何地返鄉、風險等級（低/中/高，空白為低）、"
          "報備時間、返鄉時間、登記時間、核酸陰性證明日期（沒有寫「無」）、管理方式、離開日期、網格員。每村一張工作表時，"
          "工作表名寫村名。核酸可寫在本表的 入戶核酸、第7天核酸、第14天核酸、第3次核酸 列（日期、結果或兩者，如 1月27日 陰性），"
          "也可另填核酸檢測表。時間寫到時分時按小時判斷，只寫日期時按日期判斷。",
))


# ---------------------------------------------------------------------------------------------
# Tests kept as rows
# ---------------------------------------------------------------------------------------------

TEST_FIELDS = _common_fields("柳岸村") + (
    Field("test_date", ("採樣日期", "採樣時間", "檢測日期", "核酸採樣日期", "核酸檢測日期", "採集日期", "採樣日期時間"),
          "datetime", "採樣日期（可帶時間）", "Date sampled (a time may follow)", "2021-01-27",
          Plausible(window=True), privacy=OPEN),
    Field("result", ("結果", "檢測結果", "核酸結果", "核酸檢測結果"), "text", "結果：陰性、陽性或待出",
          "Result: 陰性 (negative), 陽性 (positive) or 待出 (pending)", "陰性", privacy=OPEN),
    Field("disposal", ("處置情況", "處置措施", "處置結果", "處置", "處置情況說明"), "text",
          "陽性時的處置情況（轉運、隔離 ...）", "What was done about a positive result (transfer, isolation ...)", "",
          privacy=FREE_TEXT),
    Field("remarks", ("備註", "說明"), "text", "備註", "Remarks", "", privacy=FREE_TEXT),
)
TESTS = Table(
    "returnee_tests", key="test_id", names_unit=True,
    zh="返鄉人員核酸檢測記錄：每次檢測一行", en="Returnees' nucleic-acid tests: one row per test",
    columns=(
        *_UNIT_COLUMNS, *_PERSON_COLUMNS,
        Column("test_date", "TEXT NOT NULL", "採樣日期（ISO 8601；寫了時間時為日期時間）",
               "Date sampled (ISO 8601; a date and time when a time was written)"),
        Column("result", zh="結果：negative 陰性 / positive 陽性 / pending 待出；空：沒寫",
               en="Result: negative / positive / pending; blank: not written", privacy=OPEN),
        Column("result_raw", zh="結果（原文照錄）", en="Result as written", privacy=OPEN),
        Column("disposal"),
        Column("disposal_recorded", "INTEGER NOT NULL", "是否寫了處置情況：1 是 / 0 否（空白或「無」「待處置」）",
               "Whether a disposal is recorded: 1 yes / 0 no (blank, 無, 待處置)", OPEN),
        Column("remarks"),
        EXTRA,
    ),
    indexes=(("returnee_tests_id_key", "id_key"), ("returnee_tests_phone_key", "phone_key")),
)


def finish_tests(parsed: pl.DataFrame, ctx: SheetContext) -> pl.DataFrame:
    unit_column = has_unit_column(parsed, ctx)
    sheet_unit = None if unit_column else unit_from_context(ctx)
    disposals = {t: int(norm(t) not in NO_DISPOSAL) for t in parsed["disposal"].drop_nulls().unique().to_list()}
    out = parsed.with_columns(
        unit_raw=pl.col("unit") if unit_column else pl.lit(sheet_unit, pl.String),
        unit_code_raw=pl.col("unit_code"),
        parent_raw=pl.col("parent"),
        result_raw=pl.col("result"),
        result=_mapped(parsed, "result", result_of),
        disposal_recorded=pl.col("disposal").replace_strict(disposals, default=0, return_dtype=pl.Int64),
        extra=pl.col("_extra"),
        **_people(parsed),
    )
    ctx.memo["_ids"] = parsed["id_number"].drop_nulls().unique().to_list()
    bad_id, bad_id_reason = _bad_id(ctx)
    date_label, result_label = _label(ctx, "test_date", "採樣日期"), _label(ctx, "result", "結果")
    rules = [
        (bad_id, bad_id_reason, _label(ctx, "id_number", "身份證號")),
        (pl.col("name").is_null() & pl.col("id_number").is_null() & pl.col("phone").is_null(), pl.lit(
            "沒有人：姓名、身份證號和電話都是空的 / no person: the name, identity number and phone are all blank"),
         _label(ctx, "name", "姓名")),
        (pl.col("test_date").is_null(), pl.lit(
            f"沒有採樣日期：{date_label}格是空的 / no date sampled: the {date_label} cell is blank"), date_label),
        (pl.col("result_raw").is_not_null() & pl.col("result").is_null(), pl.format(
            f"{result_label}: '{{}}' 不是結果，請寫 陰性、陽性 或 待出 / is not a result: write 陰性, 陽性 or 待出",
            pl.col("result_raw")), result_label),
        (pl.col("unit_raw").is_null() & pl.col("unit_code_raw").is_null(), pl.lit(
            "沒有單位：單位格是空的，工作表名和標題也沒有寫村（社區） / no unit: the unit cell is blank and neither the "
            "sheet name nor the title names the village"), _label(ctx, "unit", "社區(村)") if unit_column else None),
    ]
    reason = pl.coalesce(pl.col("_reason"), *(pl.when(c).then(r) for c, r, _ in rules))
    column = pl.when(pl.col("_reason").is_not_null()).then(pl.col("_column"))
    for c, _, label in rules:
        column = column.when(c).then(pl.lit(label, pl.String))
    return out.with_columns(_reason=reason, _column=column)


register(Kind(
    name="returnee_tests",
    title="返鄉人員核酸檢測記錄 returnee tests",
    fields=TEST_FIELDS,
    recognise=lambda fields: {"test_date", "result"} <= fields and bool({"name", "id_number", "phone"} & fields)
    and "arrived_at" not in fields,
    label_field="name",
    tables=(TESTS,),
    dated_by="test_date",
    suite="returnees",
    finish=finish_tests,
    notes="每次檢測一行：姓名、身份證號或聯繫電話、社區(村)、採樣日期、結果（陰性/陽性/待出）、處置情況（陽性時必填）。"
          "檢測按身份證號、其次電話、再次同村姓名對到返鄉人員登記表。",
))
