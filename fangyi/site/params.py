"""SQL functions that every connection of the site gets (registered by fangyi.site.plugin), and
what a canned query's parameters were read as.

- Forgiving parameters: fangyi_date('2021/1/22') and fangyi_date('2021年1月22日') give
  '2021-01-22'; fangyi_month('2021年1月') gives '2021-01'; fangyi_week('2021年第3周') gives
  '2021-W03'; fangyi_norm(name) is the unit-name matching form.
- Labels: fangyi_check_label(check_id) is a check's Chinese label, fangyi_severity_label and
  fangyi_severity_rank a severity's label and order.
- fangyi_mask_id(value): an identity number with its middle masked (fangyi.site.masking).
- query_hints: why a canned query may show nothing, each parameter as read from the request
  (the canned-query pages show them)."""
from __future__ import annotations

from fangyi.keys import norm, typed_date, typed_month, typed_week
from fangyi.site.masking import mask_id
from fangyi.site.opendata import SEVERITY_LABELS, check_labels

def fangyi_norm(value):
    return None if value is None else norm(value)


def fangyi_check_label(check_id):
    return check_labels().get(check_id, check_id)


def fangyi_severity_label(severity):
    return SEVERITY_LABELS.get(severity, severity)


def fangyi_severity_rank(severity):
    return list(SEVERITY_LABELS).index(severity) if severity in SEVERITY_LABELS else 9


# name -> function, each registered on every connection with one argument, deterministic
SQL_FUNCTIONS = {
    "fangyi_date": typed_date,
    "fangyi_month": typed_month,
    "fangyi_week": typed_week,
    "fangyi_norm": fangyi_norm,
    "fangyi_check_label": fangyi_check_label,
    "fangyi_severity_label": fangyi_severity_label,
    "fangyi_severity_rank": fangyi_severity_rank,
    "fangyi_mask_id": mask_id,
}


DATE_PARAMS = {"date", "start_date", "end_date"}


async def query_hints(datasette, request, database, query) -> list[str]:
    """Why a canned query may show nothing: each of its parameters as read from the request."""
    hints = []
    db = datasette.get_database(database)
    for p in query.get("params", []):
        raw = request.args.get(p)
        if raw is None or not raw.strip():
            hints.append(f"參數 {p} 未填寫：請填寫後再查詢。")
            continue
        if p in DATE_PARAMS:
            iso = typed_date(raw)
            hints.append(f"日期 {p}「{raw}」無法識別，請寫成 2021-01-22、2021/1/22 或 2021年1月22日。"
                         if iso is None else f"日期 {p}「{raw}」按 {iso} 查詢。")
        elif p == "month":
            m = typed_month(raw)
            hints.append(f"月份「{raw}」無法識別，請寫成 2021-01 或 2021年1月。" if m is None
                         else f"月份「{raw}」按 {m} 查詢。")
        elif p == "iso_week":
            w = typed_week(raw)
            hints.append(f"周次「{raw}」無法識別，請寫成 2021-W03。" if w is None else f"周次「{raw}」按 {w} 查詢。")
        elif p == "unit_code":
            rows = (await db.execute(
                "SELECT unit_code, name FROM units_in_force WHERE unit_code = trim(:u) UNION ALL "
                "SELECT unit_code, name FROM units_in_force WHERE NOT EXISTS "
                "(SELECT 1 FROM units_in_force WHERE unit_code = trim(:u)) "
                "AND fangyi_norm(name) = fangyi_norm(:u) ORDER BY unit_code", {"u": raw})).rows
            if not rows:
                hints.append(f"單位「{raw}」在名錄中找不到：請輸入單位編碼或名稱。")
            else:
                hints.append("單位「%s」對應 %s。" % (raw, "、".join(f"{r[1]}（{r[0]}）" for r in rows)))
    return hints
