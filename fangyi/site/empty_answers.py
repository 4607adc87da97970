"""What an empty answer of a canned query means, said on its page instead of a bare "查無結果".

Why: `missed_on_day?date=2021-03-01` (after the reporting period) and a day on which every unit
reported both give no row; an inspector cannot tell "nothing was asked of anyone that day" from
"everyone did their duty". So, when a canned query's answer is empty:

- a parameter named date, start_date/end_date (fangyi.site.params.DATE_PARAMS) or iso_week whose
  day or week lies outside the reporting period (the view reporting_period, else calendar_days)
  is said to be, naming the period;
- else the query's own sentence, when metadata.yml gives it one: `empty: <SQL>` (an option of
  this project, kept in the plugin configuration by fangyi.site.serve.site_metadata), a SELECT
  over the query's parameters whose first cell, when it gives a row, is the sentence (e.g.
  "2021-01-20：應報 27 個單位，全部已報送。").

The JSON, CSV and downloads are untouched: an empty answer stays an empty list there."""
from __future__ import annotations

from fangyi.keys import typed_date, typed_week
from fangyi.site.params import DATE_PARAMS

PERIOD_SQL = ("SELECT start_date, end_date, (SELECT min(iso_week) FROM calendar_days), "
              "(SELECT max(iso_week) FROM calendar_days) FROM reporting_period")
CALENDAR_SQL = "SELECT min(day), max(day), min(iso_week), max(iso_week) FROM calendar_days"


async def _period(db) -> tuple | None:
    """(first day, last day, first ISO week, last ISO week) of the reporting period, or None."""
    for sql in (PERIOD_SQL, CALENDAR_SQL):
        try:
            row = (await db.execute(sql)).first()
        except Exception:            # a database without the view (or without a check run yet)
            continue
        if row and row[0] and row[1]:
            return tuple(row)
    return None


def _period_text(period) -> tuple[str, str]:
    start, end, first_week, last_week = period
    weeks = f"，即 {first_week} 至 {last_week}" if first_week else ""
    weeks_en = f", weeks {first_week} to {last_week}" if first_week else ""
    return f"報送期間（{start} 至 {end}{weeks}）", f"the reporting period ({start} to {end}{weeks_en})"


def outside_period(values: dict[str, str], period) -> list[str]:
    """Sentences for each date or week parameter outside the period (a start_date..end_date range
    is outside when none of its days is inside)."""
    start, end, first_week, last_week = period
    zh, en = _period_text(period)
    notes = []
    dates = {p: typed_date(v) for p, v in values.items() if p in DATE_PARAMS and v and v.strip()}
    low, high = dates.get("start_date"), dates.get("end_date")
    if low and high and low <= high:
        if high < start or low > end:
            notes.append(f"日期 {low} 至 {high} 全在{zh}之外，期間外沒有應報的記錄。 / "
                         f"{low} to {high} lies wholly outside {en}.")
        dates.pop("start_date"), dates.pop("end_date")
    for name, day in dates.items():
        if day and (day < start or day > end):
            notes.append(f"日期 {day} 在{zh}之外，期間外沒有應報的記錄。 / {day} is outside {en}.")
    raw_week = values.get("iso_week")
    week = typed_week(raw_week) if raw_week and raw_week.strip() else None
    if week and first_week and (week < first_week or week > last_week):
        notes.append(f"周次 {week} 在{zh}之外，期間外沒有應報的記錄。 / The week {week} is outside {en}.")
    return notes


async def explain(datasette, db, name: str, values: dict[str, str]) -> list[str]:
    """What the empty answer of the canned query `name` asked with `values` means: sentences, or
    [] when there is nothing to say beyond "查無結果"."""
    period = await _period(db)
    notes = outside_period(values, period) if period else []
    if notes:
        return notes
    sql = ((datasette.plugin_config("fangyi") or {}).get("empty_answers") or {}).get(name)
    if not sql:
        return []
    try:
        row = (await db.execute(sql, values)).first()
    except Exception:                # a parameter it cannot read, a table not written yet
        return []
    return [str(row[0])] if row and row[0] else []
