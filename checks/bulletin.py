"""The weekly bulletin (一周一通報) as Markdown, read from the latest check run: its findings, and
the reporting views under the settings that run wrote, so its numbers are the site's numbers.
It opens the database read-only and changes nothing."""
from __future__ import annotations

import json
from pathlib import Path

from fangyi import db
from fangyi.keys import typed_week



class BulletinError(ValueError):
    pass


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return out


def _findings(conn, check_id: str, where: str, params: tuple) -> list:
    return conn.execute(
        "SELECT unit_code, date, subject_key, message, evidence FROM findings "
        f"WHERE check_id = ? AND {where} ORDER BY unit_code, date", (check_id, *params)).fetchall()


def _evidence(evidence: str, *keys: str) -> list:
    values = json.loads(evidence)
    return [values[k] for k in keys]


TOWN_COUNTS = """
WITH towns AS (SELECT unit_code, town_code, town_name FROM units_in_force),
counted AS (
    SELECT c.unit_code, 1 AS registered, 0 AS missed, 0 AS breaches, 0 AS undisinfected
    FROM returnees_current c WHERE c.registration_date BETWEEN :first AND :last
    UNION ALL
    SELECT f.unit_code, 0, f.check_id = 'returnee_test_missed', substr(f.check_id, 1, 10) = 'gathering_',
           f.check_id = 'disinfection_missed'
    FROM findings f
    WHERE (f.check_id IN ('returnee_test_missed', 'disinfection_missed') OR substr(f.check_id, 1, 10) = 'gathering_')
      AND substr(f.date, 1, 10) BETWEEN :first AND :last
)
SELECT * FROM (
SELECT t.town_code, t.town_name, sum(x.registered), sum(x.missed), sum(x.breaches), sum(x.undisinfected)
FROM (SELECT DISTINCT town_code, town_name FROM towns WHERE town_code IS NOT NULL) t
LEFT JOIN (SELECT u.town_code, c.* FROM counted c JOIN towns u ON u.unit_code = c.unit_code) x
       ON x.town_code = t.town_code
GROUP BY t.town_code
UNION ALL
SELECT NULL, '（未識別單位 unknown unit）', sum(registered), sum(missed), sum(breaches), sum(undisinfected)
FROM counted WHERE unit_code IS NULL OR unit_code NOT IN (SELECT unit_code FROM towns WHERE town_code IS NOT NULL)
HAVING count(*) > 0)
ORDER BY town_code IS NULL, town_code
"""


def town_counts(conn, first: str, last: str) -> list[tuple]:
    """(town code, town name, returnees registered, tests missed, gathering breaches, places or
    slots not disinfected) of every town from first to last, both inclusive; a town with none, 0."""
    return [(code, name, *(n or 0 for n in counts))
            for code, name, *counts in conn.execute(TOWN_COUNTS, {"first": first, "last": last})]


def follow_up_section(conn, db_path: Path | str, week: str) -> list[str]:
    """Per town, the week's findings by follow-up state (the inspectors' marks, fangyi.followup)
    and where its sign-off stands."""
    from fangyi import followup

    marks = followup.connect_marks(followup.marks_path(db_path))
    try:
        state = followup.follow_up(conn, marks)
        rows = []
        for w in followup.town_weeks(conn, marks, week):
            c = state.counts(w.town_code, week)
            rows.append([w.town_name or w.town_code, c["open"], c["confirmed"], c["put_right"], c["false_alarm"],
                         c["noted"], c["resolved_by_data"], f"{followup.WEEK_STATES[w.state][0]} {w.state}"])
    finally:
        if marks is not None:
            marks.close()
    return ["", "## 跟進和審核 Follow-up and sign-off", "",
            "每個街鎮本周的檢查發現按跟進狀態計數（督查員的標記），及周審核狀態。 — Per town, this week's findings "
            "by follow-up state (the inspectors' marks), and where the town's sign-off of the week stands.", "",
            *_table(["街鎮 town", "待跟進 open", "已核實 confirmed", "已整改 put right", "誤報 false alarms",
                     "有備註 noted", "數據已更正 resolved by the data", "審核 sign-off"], rows)]


def weekly_bulletin(db_path: Path | str, week: str) -> str:
    """The bulletin of an ISO week, written as people write it (2021-W03, 2021年第3周, or a day of it)."""
    iso = typed_week(week)
    if iso is None:
        raise BulletinError(f"week {week!r}: expected an ISO week such as 2021-W03 or 2021年第3周")
    week = iso
    conn = db.connect(db_path, readonly=True)
    try:
        run = conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]
        if run is None:
            raise BulletinError(f"{db_path}: no check run yet; run `fangyi check` first")
        first, last, days = conn.execute(
            "SELECT min(day), max(day), count(*) FROM calendar WHERE iso_week = ?", (week,)).fetchone()
        if not days:
            start, end = conn.execute("SELECT start_date, end_date FROM reporting_period").fetchone()
            weeks = [w for (w,) in conn.execute("SELECT DISTINCT iso_week FROM calendar ORDER BY iso_week")]
            listed = ", ".join(weeks)
            raise BulletinError(
                f"{week} 不在報送期 {start} 至 {end} 內；可選的周：{listed} / week {week} is outside the reporting "
                f"period {start} to {end}; give one of its weeks: {listed}" if weeks else
                f"{week} 不在報送期內，還沒有任何報告日 / week {week} is outside the reporting period {start} to "
                f"{end}; no day has reports yet: run `fangyi ingest` and `fangyi check` first")
        names = dict(conn.execute(      # a name two units share comes with its town: 新村（清水鎮）
            "SELECT c.unit_code, COALESCE(f.display_name, c.name) FROM units_current c "
            "LEFT JOIN units_in_force f USING (unit_code)"))
        lines = [f"# 疫情防控日報週通報 Weekly bulletin {week}", "",
                 f"{first} 至 {last}（{days} 天 days）。應報 expected = units due to report each day; "
                 "實報 actual = a report in force; 及時 on time = sent by the deadline. "
                 f"檢查運行 check run {run}.", ""]

        lines += ["## 報送情況 Reporting", ""]
        district = conn.execute(
            "SELECT org_code, org_name, expected, actual, on_time, reporting_rate, on_time_rate FROM reporting_rates "
            "WHERE level = 'district' AND period_type = 'week' AND period = ? ORDER BY org_code", (week,)).fetchall()
        lines += _table(["區縣 district", "應報 expected", "實報 actual", "及時 on time", "報送率 rate", "及時率 on-time"],
                        [[name or code, e, a, o, pct(r), pct(t)] for code, name, e, a, o, r, t in district])

        lines += ["", "## 街鎮排名 Town ranking（一周一排名）", ""]
        towns = conn.execute(
            "SELECT rank, town_code, town_name, expected, actual, on_time, reporting_rate, on_time_rate "
            "FROM town_weekly_ranking WHERE iso_week = ? ORDER BY rank, town_code", (week,)).fetchall()
        lines += _table(["排名 rank", "街鎮 town", "應報 expected", "實報 actual", "及時 on time", "報送率 rate",
                         "及時率 on-time"],
                        [[k, name or code, e, a, o, pct(r), pct(t)] for k, code, name, e, a, o, r, t in towns])

        lines += ["", "## 漏報 Missed reports", ""]
        missed = _findings(conn, "missing_report", "date BETWEEN ? AND ?", (first, last))
        lines += _table(["單位 unit", "編碼 code", "日期 date"],
                        [[names.get(m[0]), m[0], m[1]] for m in missed]) if missed else ["本周無漏報 None."]

        lines += ["", "## 遲報 Late reports", ""]
        late = _findings(conn, "late_report", "date BETWEEN ? AND ?", (first, last))
        rows = [[names.get(c), c, d, *_evidence(ev, "submitted_at", "deadline")] for c, d, _, _, ev in late]
        lines += _table(["單位 unit", "編碼 code", "日期 date", "報送時間 sent", "截止 deadline"],
                        rows) if rows else ["本周無遲報 None."]

        lines += ["", "## 連續未報 Silent streaks", ""]
        streaks = _findings(conn, "silent_streak", "json_extract(evidence, '$.first_day') <= ? "
                            "AND json_extract(evidence, '$.last_day') >= ?", (last, first))
        rows = [[names.get(c), c, *_evidence(ev, "first_day", "last_day", "days")]
                for c, _, _, _, ev in streaks]
        lines += _table(["單位 unit", "編碼 code", "起 from", "止 to", "天數 days"], rows) if rows else ["本周無連續未報 None."]

        lines += ["", "## 返鄉人員、聚集活動和消毒 Returnees, gatherings and disinfection", "",
                  "每個街鎮本周：登記的返鄉人員（按登記日期）、核酸漏檢或遲檢（按應檢日期）、聚集活動違規（按舉辦日期）、"
                  "漏消毒（場所或時段）。 — Per town this week: returnees registered (by registration day), tests "
                  "missed or late (by due day), gathering breaches (by event day), places or slots not disinfected.", ""]
        lines += _table(["街鎮 town", "返鄉登記 registered", "核酸漏檢 tests missed", "聚集違規 gathering breaches",
                         "漏消毒 not disinfected"], [[name or code, *counts] for code, name, *counts in
                                                    town_counts(conn, first, last)])
        lines += follow_up_section(conn, db_path, week)
        return "\n".join(lines) + "\n"
    finally:
        conn.close()
