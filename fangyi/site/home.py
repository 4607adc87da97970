"""The home page's template variables: the latest day's missed and late units (with whom to call
for the inspector and where that name comes from: missed_contacts, written by `fangyi check`), this week's ranking of towns, links to who is on duty tonight and where shifts are uncovered, the counts per unit of returnees owing a test
on the latest day and overdue, of the latest week's gathering breaches and of places not
disinfected on the latest day, the latest findings, the canned queries and the dashboards."""
from __future__ import annotations

from fangyi.site.actors import is_inspector, site_names

HOME_MISSED = """
WITH day AS (
    -- the latest day, up to today, with a missed or late report (report_exceptions' key is the day)
    SELECT max(report_date) AS d FROM report_exceptions WHERE report_date <= date('now'))
SELECT s.report_date AS report_date, s.unit_code AS unit_code, u.name AS unit_name, u.town_name AS town_name,
       '漏報' AS status, m.contact AS duty_leader, m.phone AS duty_phone, m.reporter AS reporter,
       m.source AS contact_source, m.source_date AS contact_date, s.reported AS reported
FROM day
JOIN report_exceptions s ON s.report_date = day.d AND s.reported = 0
LEFT JOIN units_in_force u ON u.unit_code = s.unit_code
LEFT JOIN missed_contacts m ON m.unit_code = s.unit_code AND m.report_date = s.report_date
UNION ALL
SELECT s.report_date, s.unit_code, u.name, u.town_name, '遲報',
       r.leaders, r.phone, NULL, CASE WHEN r.leaders IS NOT NULL THEN '值班表' END, r.date, s.reported
FROM day
JOIN report_exceptions s ON s.report_date = day.d AND s.reported = 1
LEFT JOIN units_in_force u ON u.unit_code = s.unit_code
LEFT JOIN roster_unit_days r ON r.unit_code = s.unit_code AND r.date = s.report_date
ORDER BY reported, town_name, unit_code
"""

HOME_RANKING = """
SELECT iso_week, rank, town_code, town_name, expected, actual, on_time,
       round(reporting_rate, 1) AS reporting_rate, round(on_time_rate, 1) AS on_time_rate
FROM town_weekly_ranking
WHERE iso_week = (SELECT max(iso_week) FROM town_weekly_ranking)
ORDER BY rank, town_code
"""

HOME_FINDINGS = """
SELECT f.finding_id, f.severity, fangyi_severity_label(f.severity) AS severity_label, f.date, f.check_id,
       fangyi_check_label(f.check_id) AS check_label, f.unit_code, u.name AS unit_name, f.message,
       f.subject_key, f.evidence
FROM findings f LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 WHEN 'info' THEN 2 ELSE 9 END,
         f.date DESC, f.check_id, f.unit_code
LIMIT 30
"""

# Returnees, gatherings and disinfection: counts per unit only (the open copy's home page shows
# them too; the lists that name people are the inspector's canned queries).
LATEST_DAY = "(SELECT max(day) FROM calendar_days WHERE day <= date('now'))"

HOME_RETURNEES = f"""
WITH k AS (SELECT {LATEST_DAY} AS day),
owing AS (
    -- a test is owed from its due date to its last day, unless taken before that day
    SELECT c.unit_code, count(DISTINCT c.returnee_id) AS n
    FROM k JOIN returnee_tests_owed o ON o.due_date <= k.day AND o.latest_date >= k.day
         AND (o.test_date IS NULL OR substr(o.test_date, 1, 10) >= k.day)
    JOIN returnees_current c ON c.returnee_id = o.returnee_id
    GROUP BY c.unit_code),
overdue AS (
    SELECT c.unit_code, count(*) AS n
    FROM returnee_tests_owed o JOIN returnees_current c ON c.returnee_id = o.returnee_id
    WHERE o.status = 'missed'
    GROUP BY c.unit_code)
SELECT (SELECT day FROM k) AS day, x.unit_code, u.name AS unit_name, u.town_name,
       COALESCE(owing.n, 0) AS owing, COALESCE(overdue.n, 0) AS overdue
FROM (SELECT unit_code FROM owing UNION SELECT unit_code FROM overdue) x
LEFT JOIN owing ON owing.unit_code IS x.unit_code
LEFT JOIN overdue ON overdue.unit_code IS x.unit_code
LEFT JOIN units_in_force u ON u.unit_code = x.unit_code
ORDER BY overdue DESC, owing DESC, u.town_code, x.unit_code
"""

HOME_WEEK = f"SELECT iso_week FROM calendar_days WHERE day = {LATEST_DAY}"

HOME_GATHERINGS = f"""
SELECT k.iso_week, f.unit_code, u.name AS unit_name, u.town_name, f.check_id,
       fangyi_check_label(f.check_id) AS check_label, count(*) AS n
FROM calendar_days k
JOIN findings f ON f.date = k.day AND substr(f.check_id, 1, 10) = 'gathering_'
LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
WHERE k.iso_week = ({HOME_WEEK})
GROUP BY f.unit_code, f.check_id
ORDER BY u.town_code, f.unit_code, f.check_id
"""

HOME_DISINFECTION = f"""
WITH d AS (
    -- the latest day, else the latest day before it with a place not disinfected
    SELECT max(date) AS day FROM findings WHERE check_id = 'disinfection_missed' AND date <= {LATEST_DAY})
SELECT d.day, f.unit_code, u.name AS unit_name, u.town_name, count(*) AS n
FROM d JOIN findings f ON f.check_id = 'disinfection_missed' AND f.date = d.day
LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
GROUP BY f.unit_code
ORDER BY u.town_code, f.unit_code
"""


async def _kinds(database) -> dict:
    """The home page's sections on returnees, gatherings and disinfection (empty where the
    database has none of their tables yet)."""
    out = {}
    for key, sql in (("fy_returnees", HOME_RETURNEES), ("fy_gatherings", HOME_GATHERINGS),
                     ("fy_disinfection", HOME_DISINFECTION)):
        try:
            out[key] = [dict(r) for r in (await database.execute(sql)).rows]
        except Exception:
            out[key] = []
    try:
        out["fy_week"] = (await database.execute(HOME_WEEK)).rows[0][0]
    except Exception:
        out["fy_week"] = None
    out["fy_owing"] = sum(r["owing"] for r in out["fy_returnees"])
    out["fy_overdue"] = sum(r["overdue"] for r in out["fy_returnees"])
    out["fy_breaches"] = sum(r["n"] for r in out["fy_gatherings"])
    out["fy_undisinfected"] = sum(r["n"] for r in out["fy_disinfection"])
    out["fy_disinfection_day"] = out["fy_disinfection"][0]["day"] if out["fy_disinfection"] else None
    return out


def _with_links(findings: list[dict], base: str) -> list[dict]:
    """Each finding with `links`: the batch trace of its trace code, its source row and file and
    the merchants its evidence names (fangyi.site.links, as on the findings pages), as HTML."""
    from markupsafe import Markup

    from fangyi.site import links

    subject = links.choose("subject_key", "findings", base)
    open_copy, balances = links.is_open(base), links.served("coldchain_merchant_balance", base)
    for f in findings:
        shown = [subject(f["subject_key"], f)] if subject else []
        evidence = links.evidence_of(f.get("evidence"))
        if evidence is not None:
            shown += links.evidence_links(base, f["check_id"], evidence, open_copy, balances)
        f["links"] = Markup(" · ".join(x for x in shown if x))
    return findings


BUILDING = "公開數據正在生成，請稍後刷新本頁。 — The open copy is being built; reload this page in a minute."


async def _home(datasette, request):
    full, open_ = site_names(datasette)
    inspector = is_inspector(request.actor if request else None)
    db = full if (inspector and full) else open_
    if db is None:
        if (datasette.plugin_config("fangyi") or {}).get("open_pending"):   # fangyi serve preparing the run
            return {"fy_inspector": inspector, "fy_full": full, "fy_open": open_, "fy_building": BUILDING}
        return {}                                # a Datasette not started by `fangyi serve`
    if db not in datasette.databases:            # fangyi serve still building the open copy
        return {"fy_inspector": inspector, "fy_full": full, "fy_open": open_, "fy_building": BUILDING}
    out = {"fy_db": db, "fy_inspector": inspector, "fy_full": full, "fy_open": open_}
    database = datasette.get_database(db)
    out.update(await _data(datasette, database, db))
    queries = await datasette.get_canned_queries(db, request.actor if request else None)
    out["fy_queries"] = [(name, q.get("title") or name) for name, q in queries.items()]
    from fangyi.site.follow_up import public_counts

    out["fy_follow_up"] = await public_counts(datasette)       # counts only: never a note
    if inspector:
        from fangyi.site.follow_up import home_overview

        from fangyi.followup import WEEK_STATES

        out["fy_sign_off"] = await home_overview(datasette, request.actor)
        out["fy_week_states"] = WEEK_STATES
    dashboards = datasette.plugin_config("datasette-dashboards") or {}
    out["fy_dashboards"] = [(slug, d.get("title") or slug) for slug, d in dashboards.items()]
    return out


# What the home page shows of a served file, by (file, today): the files are immutable while
# served, so the queries run once per file and day, whoever asks.
_DATA: dict[tuple, dict] = {}


async def _data(datasette, database, db: str) -> dict:
    import datetime as dt
    import os

    try:
        st = None if database.is_mutable else os.stat(database.path)
    except (OSError, TypeError):
        st = None
    if st is None:
        return await _query(datasette, database, db)
    key = (database.path, st.st_size, st.st_mtime_ns, dt.date.today().isoformat())
    if key not in _DATA:
        if len(_DATA) >= 8:
            _DATA.pop(next(iter(_DATA)))
        _DATA[key] = await _query(datasette, database, db)
    return _DATA[key]


async def precompute(datasette) -> None:
    """Compute what the home page shows of each served database that is immutable (the
    inspector's and the open copy of a run), before anyone asks (the plugin's startup hook)."""
    for db in site_names(datasette):
        if db and db in datasette.databases and not datasette.get_database(db).is_mutable:
            await _data(datasette, datasette.get_database(db), db)


async def _query(datasette, database, db: str) -> dict:
    out = {}
    try:
        out["fy_missed"] = [dict(r) for r in (await database.execute(HOME_MISSED)).rows]
        out["fy_ranking"] = [dict(r) for r in (await database.execute(HOME_RANKING)).rows]
        out["fy_findings"] = _with_links([dict(r) for r in (await database.execute(HOME_FINDINGS)).rows],
                                         datasette.urls.database(db))
    except Exception as e:                       # a database without a check run yet
        out["fy_error"] = str(e)
    try:
        run = (await database.execute(
            "SELECT run_id, finished_at, data_files FROM check_runs WHERE finished_at IS NOT NULL "
            "ORDER BY run_id DESC LIMIT 1")).first()
        out["fy_run"] = dict(run) if run else None
    except Exception:
        out["fy_run"] = None
    try:
        out["fy_latest"] = (await database.execute(
            "SELECT max(day) FROM calendar_days WHERE day <= date('now')")).rows[0][0]
    except Exception:
        out["fy_latest"] = None
    try:                                         # "tonight": the latest rostered day up to today
        out["fy_tonight"] = (await database.execute(
            "SELECT max(date) FROM roster_unit_days WHERE date <= date('now')")).rows[0][0]
    except Exception:
        out["fy_tonight"] = None
    out.update(await _kinds(database))
    out["fy_day"] = out.get("fy_missed", [{}])[0].get("report_date") if out.get("fy_missed") else None
    return out
