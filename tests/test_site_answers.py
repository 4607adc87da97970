"""The inspector's answers that used to say nothing useful (issue 21, points 2-4), on the demo
district: an empty canned-query answer says what it means (a day or week outside the reporting
period names the period; a day on which everyone reported says so, with the count); every missed
report has someone to call and says where the name comes from (missed_contacts: the unit's
roster, its latest report's 帶班領導 or 填報人, the town's roster, else none); who is on duty
tonight across the district and which towns have shifts uncovered. Anonymous visitors see no
contact's name or phone."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from conftest import run_site, visible_text
from fangyi.site.serve import open_name


def _conn(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


async def _get(ds, url, cookies):
    resp = await ds.client.get(url, cookies=cookies)
    assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
    return resp


# ---------------------------------------------------------------------------------------------
# Point 2: what an empty answer means.
# ---------------------------------------------------------------------------------------------

def test_a_day_or_week_outside_the_period_names_the_period(demo_db):
    conn = _conn(demo_db)
    start, end = conn.execute("SELECT start_date, end_date FROM reporting_period").fetchone()
    weeks = [r[0] for r in conn.execute("SELECT DISTINCT iso_week FROM calendar_days ORDER BY 1")]
    conn.close()
    after = (dt.date.fromisoformat(end) + dt.timedelta(days=22)).isoformat()
    before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
    y, w, _ = (dt.date.fromisoformat(end) + dt.timedelta(days=28)).isocalendar()
    late_week = f"{y}-W{w:02d}"
    inside_week = weeks[1]
    assert late_week not in weeks

    async def go(ds, inspector):
        out = {}
        for key, url in (("after", "/workbench/missed_on_day?" + urlencode({"date": after.replace("-", "/")})),
                         ("before", "/workbench/missed_on_day?" + urlencode({"date": before})),
                         ("week", "/workbench/weekly_ranking?" + urlencode({"iso_week": late_week})),
                         ("inside_week", "/workbench/weekly_ranking?" + urlencode({"iso_week": inside_week})),
                         ("range", "/workbench/completeness_by_town?" + urlencode(
                             {"start_date": "2020-01-01", "end_date": before}))):
            out[key] = _text((await _get(ds, url, inspector)).text)
        # the JSON of an empty answer is unchanged: no rows, no sentence
        out["json"] = (await _get(ds, "/workbench/missed_on_day.json?_shape=array&" + urlencode({"date": after}),
                                  inspector)).json()
        return out

    pages = run_site(demo_db, go, open_copy=False)
    period = f"報送期間（{start} 至 {end}"
    for key, asked in (("after", after), ("before", before), ("week", late_week)):
        assert period in pages[key] and asked in pages[key] and "之外" in pages[key], (key, pages[key][-1500:])
        assert "查無結果" not in pages[key]
    assert weeks[0] in pages["week"] and weeks[-1] in pages["week"]        # the period's weeks too
    assert period in pages["range"] and f"2020-01-01 至 {before}" in pages["range"]
    assert period not in pages["inside_week"] and "共 " in pages["inside_week"]
    assert pages["json"] == []


def test_a_day_everyone_reported_says_so_with_the_count(demo_db):
    conn = _conn(demo_db)
    days = conn.execute("SELECT report_date, count(*) AS expected, sum(reported = 0) AS missed "
                        "FROM expected_report_status GROUP BY report_date ORDER BY report_date").fetchall()
    conn.close()
    clean = next(r for r in days if r["missed"] == 0)
    missed = next(r for r in days if r["missed"] > 0)

    async def go(ds, inspector):
        return [_text((await _get(ds, "/workbench/missed_on_day?" + urlencode({"date": d}), inspector)).text)
                for d in (clean["report_date"], missed["report_date"])]

    everyone, some = run_site(demo_db, go, open_copy=False)
    assert f"{clean['report_date']}：應報 {clean['expected']} 個單位，全部已報送" in everyone
    assert "查無結果" not in everyone
    assert "全部已報送" not in some and f"共 {missed['missed']} 行" in some


# ---------------------------------------------------------------------------------------------
# Point 3: someone to call for every missed report.
# ---------------------------------------------------------------------------------------------

def _leaders(conn, unit: str, day: str) -> tuple[str | None, str | None]:
    """The roster's leaders of unit on day (each once, in roster order) and its phone (a leader's,
    else any of that day)."""
    rows = conn.execute("SELECT person, person_key, shift, phone FROM duty_shifts_current "
                        "WHERE unit_code = ? AND date = ? ORDER BY shift_id", (unit, day)).fetchall()
    names, seen = [], set()
    for r in rows:
        if r["shift"] == "leader" and r["person_key"] and r["person_key"] not in seen:
            seen.add(r["person_key"])
            names.append(r["person"])
    phones = [r["phone"] for r in rows if r["phone"] and r["shift"] == "leader" and r["person_key"]] + \
             [r["phone"] for r in rows if r["phone"]]
    return ("、".join(names) or None), (phones[0] if phones else None)


def _expected_contacts(path: Path) -> dict[tuple[str, str], tuple]:
    """(day, unit) of every missed report -> (source, contact, phone, reporter), from the reports,
    the roster in force and the registry."""
    conn = _conn(path)
    from fangyi.keys import name_key

    out = {}
    try:
        town_of = {r[0]: r[1] for r in conn.execute("SELECT unit_code, town_code FROM units_in_force")}
        for day, unit in conn.execute("SELECT report_date, unit_code FROM expected_report_status WHERE reported = 0"):
            leaders, phone = _leaders(conn, unit, day)
            if leaders:
                out[(day, unit)] = ("值班表", leaders, phone, None)
                continue
            latest = conn.execute(
                "SELECT r.report_date, r.duty_leader, r.reporter FROM expected_report_status e "
                "JOIN daily_reports r ON r.report_id = e.report_id "
                "WHERE e.unit_code = ? AND e.report_date < ? AND e.reported = 1 ORDER BY e.report_date DESC LIMIT 1",
                (unit, day)).fetchone()
            if latest and (name_key(latest["duty_leader"]) or name_key(latest["reporter"])):
                person = latest["duty_leader"] if name_key(latest["duty_leader"]) else latest["reporter"]
                shifts = conn.execute(
                    "SELECT s.date, s.unit_code, s.phone FROM duty_shifts_current s "
                    "JOIN units_in_force u ON u.unit_code = s.unit_code "
                    "WHERE s.person_key = ? AND s.phone IS NOT NULL AND u.town_code = ? ORDER BY s.shift_id",
                    (name_key(person), town_of[unit])).fetchall()
                # the latest shift up to that day, the unit's own first; else the earliest after it
                before = sorted((s for s in shifts if s["date"] <= day), key=lambda s: s["date"], reverse=True)
                pick = sorted(before, key=lambda s: s["unit_code"] != unit) or \
                    sorted(shifts, key=lambda s: (s["date"] > day, s["unit_code"] != unit, s["date"]))
                source = "最近一次日報的帶班領導" if name_key(latest["duty_leader"]) else "最近一次日報的填報人"
                out[(day, unit)] = (source, person, pick[0]["phone"] if pick else None,
                                    latest["reporter"] if source.endswith("帶班領導") else None)
                continue
            leaders, phone = _leaders(conn, town_of[unit], day)
            out[(day, unit)] = ("街鎮值班領導", leaders, phone, None) if leaders else ("無", None, None, None)
    finally:
        conn.close()
    return out


def _stored_contacts(path: Path) -> dict[tuple[str, str], tuple]:
    conn = _conn(path)
    try:
        return {(r["report_date"], r["unit_code"]): (r["source"], r["contact"], r["phone"], r["reporter"])
                for r in conn.execute("SELECT * FROM missed_contacts")}
    finally:
        conn.close()


def test_every_missed_report_has_its_contact_from_roster_or_latest_report(demo_db):
    expected = _expected_contacts(demo_db)
    assert _stored_contacts(demo_db) == expected
    sources = [v[0] for v in expected.values()]
    # the demo: some missed units have a roster that day, the others only their earlier reports
    assert sources.count("值班表") >= 1 and sources.count("最近一次日報的帶班領導") >= 1
    assert all(v[1] for v in expected.values())          # nobody missing: every missed report has a name

    conn = _conn(demo_db)
    day = conn.execute("SELECT report_date FROM expected_report_status WHERE reported = 0 GROUP BY report_date "
                       "ORDER BY count(*) DESC, report_date LIMIT 1").fetchone()[0]
    conn.close()

    async def go(ds, inspector):
        return (await _get(ds, "/workbench/missed_on_day.json?_shape=array&" + urlencode({"date": day}),
                           inspector)).json()

    rows = run_site(demo_db, go, open_copy=False)
    assert rows and {(r["unit_code"]): (r["contact_source"], r["duty_leader"], r["duty_phone"], r["reporter"])
                     for r in rows} == {u: v for (d, u), v in expected.items() if d == day}


TOWN_ROSTER = "單位,日期,班次,姓名,職務,電話\n{rows}"


def test_contact_falls_back_to_the_reporter_the_town_roster_and_none(demo_db, tmp_path):
    """A copy of the demo with a roster of one town (雲峰鎮-like: the town of a missed unit), and the
    earlier reports of three missed units stripped of their names: the contacts fall back to the
    填報人, to the town's rostered leader, and to nobody; a report's leader found on the town's
    roster gets that roster's phone."""
    from fangyi.checks.run import run_checks
    from fangyi.ingest.load import ingest
    from fangyi.settings import Settings

    path = tmp_path / "workbench.db"
    shutil.copy(demo_db, path)
    conn = _conn(path)
    missed = conn.execute(
        "SELECT s.report_date, s.unit_code, u.town_code, t.name AS town_name FROM expected_report_status s "
        "JOIN units_in_force u ON u.unit_code = s.unit_code JOIN units_in_force t ON t.unit_code = u.town_code "
        "WHERE s.reported = 0 AND NOT EXISTS (SELECT 1 FROM roster_unit_days r WHERE r.unit_code = s.unit_code "
        "AND r.date = s.report_date) ORDER BY s.report_date, s.unit_code").fetchall()
    conn.close()
    # three distinct missed units, the first two in one town (it gets a roster), the third elsewhere
    by_town: dict[str, list] = {}
    for r in missed:
        if all(r["unit_code"] != x["unit_code"] for x in by_town.get(r["town_code"], [])):
            by_town.setdefault(r["town_code"], []).append(r)
    town = next(t for t, units in by_town.items() if len(units) >= 2)
    to_town, to_reporter = by_town[town][:2]
    to_none = next(units[0] for t, units in by_town.items() if t != town)
    day = to_town["report_date"]

    # the other unit of that town keeps its report's leader: put that person on the town's roster
    # (another day) with a phone
    with sqlite3.connect(path) as w:
        leader = w.execute("SELECT r.duty_leader FROM expected_report_status e JOIN daily_reports r ON r.report_id = "
                           "e.report_id WHERE e.unit_code = ? AND e.report_date < ? AND e.reported = 1 "
                           "ORDER BY e.report_date DESC LIMIT 1",
                           (to_reporter["unit_code"], to_reporter["report_date"])).fetchone()[0]
        for unit, columns in ((to_town["unit_code"], "duty_leader = NULL, reporter = NULL"),
                              (to_none["unit_code"], "duty_leader = NULL, reporter = NULL")):
            w.execute(f"UPDATE daily_reports SET {columns} WHERE report_id IN "
                      "(SELECT report_id FROM daily_reports_resolved WHERE unit_code = ?)", (unit,))
    w.close()
    other_day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    roster = tmp_path / f"{to_town['town_name']}值班表.csv"
    roster.write_text(TOWN_ROSTER.format(rows="\n".join([
        f"{to_town['town_name']},{day},帶班,鄒鎮長,副鎮長,13800138111",
        f"{to_town['town_name']},{day},夜班,甘幹事,鎮幹部,13800138112",
        f"{to_town['town_name']},{other_day},白班,{leader},社區書記,13800138113"])) + "\n", encoding="utf-8")
    reports = ingest(path, [roster])
    assert [r.status for r in reports] == ["loaded"], [r.error for r in reports]
    run_checks(path, Settings())

    expected = _expected_contacts(path)
    stored = _stored_contacts(path)
    assert stored == expected
    assert stored[(day, to_town["unit_code"])] == ("街鎮值班領導", "鄒鎮長", "13800138111", None)
    assert stored[(to_none["report_date"], to_none["unit_code"])] == ("無", None, None, None)
    key = (to_reporter["report_date"], to_reporter["unit_code"])
    assert stored[key][:3] == ("最近一次日報的帶班領導", leader, "13800138113")

    # 填報人 when the latest report names no leader
    with sqlite3.connect(path) as w:
        w.execute("UPDATE daily_reports SET duty_leader = NULL WHERE report_id IN "
                  "(SELECT report_id FROM daily_reports_resolved WHERE unit_code = ?)", (to_reporter["unit_code"],))
    w.close()
    run_checks(path, Settings())
    stored = _stored_contacts(path)
    assert stored == _expected_contacts(path)
    assert stored[key][0] == "最近一次日報的填報人" and stored[key][1] and stored[key][3] is None
    assert {v[0] for v in stored.values()} >= {"值班表", "最近一次日報的帶班領導", "最近一次日報的填報人",
                                             "街鎮值班領導", "無"}

    # the inspector's home page and missed_on_day show them with their source
    async def go(ds, inspector):
        page = _text((await _get(ds, "/workbench/missed_on_day?" + urlencode({"date": day}), inspector)).text)
        return page

    page = run_site(path, go, open_copy=False)
    assert "鄒鎮長" in page and "13800138111" in page and "街鎮值班領導" in page


def test_anonymous_visitors_see_no_contact_the_inspector_does(docs_db):
    """The home page and missed_on_day: the inspector sees each contact's name, phone and source;
    anonymous visitors, and the open copy's missed_contacts, no name and no phone."""
    full, public = docs_db.stem, open_name(docs_db)
    conn = _conn(docs_db)
    day = conn.execute("SELECT max(report_date) FROM expected_report_status WHERE reported = 0").fetchone()[0]
    contacts = conn.execute("SELECT * FROM missed_contacts").fetchall()
    latest = [r for r in contacts if r["report_date"] == day]
    conn.close()
    names = {n for r in contacts for n in ((r["contact"] or "").split("、") + [r["reporter"] or ""]) if n}
    phones = {r["phone"] for r in contacts if r["phone"]}
    assert names and phones and latest

    async def go(ds, inspector):
        out = {"anon_home": (await ds.client.get("/")).text,
               "home": (await ds.client.get("/", cookies=inspector)).text}
        for fmt in ("", ".json", ".csv"):
            url = f"/{public}/missed_contacts{fmt}?_size=max"
            resp = await ds.client.get(url)
            out[f"table{fmt}"] = visible_text(url, resp.status_code, resp.content)
            days = sorted({r["report_date"] for r in contacts})
            for d in days:
                url = f"/{public}/missed_on_day{fmt}?" + urlencode({"date": d})
                resp = await ds.client.get(url)
                assert resp.status_code == 200, url
                out[f"query{fmt}{d}"] = visible_text(url, resp.status_code, resp.content)
        out["open_rows"] = (await _get(ds, f"/{public}/missed_contacts.json?_shape=array&_size=max", {})).json()
        # the open copy's empty answers say what they mean too
        out["open_outside"] = _text((await _get(ds, f"/{public}/missed_on_day?date=2099-01-01", {})).text)
        return out

    pages = run_site(docs_db, go)
    for key, text in pages.items():
        if key in ("home", "open_rows", "open_outside"):
            continue
        text = html.unescape(text)
        assert not [n for n in names if n in text], key
        assert not [p for p in phones if p in text], key
    assert len(pages["open_rows"]) == len(contacts)
    assert "2099-01-01 在報送期間（" in pages["open_outside"]
    assert all(r["contact"] is None and r["phone"] is None and r["reporter"] is None for r in pages["open_rows"])
    assert {r["source"] for r in pages["open_rows"]} == {r["source"] for r in contacts}
    home = _text(pages["home"])
    for r in latest:
        assert r["contact"] in home and r["source"] in home
        if r["phone"]:
            assert r["phone"] in home


# ---------------------------------------------------------------------------------------------
# Point 4: the district's questions without a unit.
# ---------------------------------------------------------------------------------------------

def test_on_duty_tonight_lists_every_towns_night_and_leaders(docs_db):
    conn = _conn(docs_db)
    day = conn.execute("SELECT date FROM duty_shifts_current WHERE shift = 'night' GROUP BY date "
                       "ORDER BY count(*) DESC, date LIMIT 1").fetchone()[0]
    expected = sorted(
        (r["town_code"], r["unit_code"], r["shift"], r["person"], r["phone"])
        for r in conn.execute("SELECT u.town_code, c.unit_code, s.shift, s.person, s.phone FROM duty_shifts s "
                              "JOIN duty_shifts_current c ON c.shift_id = s.shift_id "
                              "JOIN units_in_force u ON u.unit_code = c.unit_code "
                              "WHERE s.date = ? AND s.shift IN ('night', 'leader') AND s.person IS NOT NULL", (day,)))
    towns = {r[0] for r in conn.execute("SELECT DISTINCT u.town_code FROM duty_shifts_current s JOIN units_in_force u "
                                        "ON u.unit_code = s.unit_code WHERE s.date = ?", (day,))}
    conn.close()
    assert len(towns) >= 2 and expected

    async def go(ds, inspector):
        q = urlencode({"date": day.replace("-", "/")})          # written as people type it
        rows = (await _get(ds, f"/{docs_db.stem}/on_duty_tonight.json?_shape=array&_size=max&" + q, inspector)).json()
        page = _text((await _get(ds, f"/{docs_db.stem}/on_duty_tonight?" + q, inspector)).text)
        anon = (await ds.client.get(f"/{docs_db.stem}/on_duty_tonight?" + q)).status_code
        on_open = (await ds.client.get(f"/{open_name(docs_db)}/on_duty_tonight?" + q)).status_code
        home = (await ds.client.get("/", cookies=inspector)).text
        anon_home = (await ds.client.get("/")).text
        return rows, page, anon, on_open, home, anon_home

    rows, page, anon, on_open, home, anon_home = run_site(docs_db, go)
    assert sorted((r["town_code"], r["unit_code"], r["shift"], r["person"], r["phone"]) for r in rows) == expected
    assert [r["town_code"] for r in rows] == sorted(r["town_code"] for r in rows)      # by town
    assert all(r["date"] == day for r in rows)
    assert rows[0]["person"] in page and rows[0]["phone"] in page
    assert anon == 403 and on_open == 404                    # names and phones: the inspector's only
    assert "on_duty_tonight?date=" in home and "on_duty_tonight" not in anon_home
    assert "uncovered_tonight?date=" in home and "uncovered_tonight?date=" in anon_home


def test_uncovered_tonight_names_the_towns_the_checks_flag(docs_db):
    """Every day of the roster: the towns listed are those with a shift_uncovered (night) or
    no_leader finding that day, with those units; on the open copy, with no person's name."""
    conn = _conn(docs_db)
    days = [r[0] for r in conn.execute("SELECT DISTINCT date FROM duty_shifts_current ORDER BY date")]
    flagged: dict[str, dict[str, dict[str, set]]] = {}
    for r in conn.execute("SELECT f.date, f.check_id, u.town_code, u.name FROM findings f "
                          "JOIN units_in_force u ON u.unit_code = f.unit_code WHERE (f.check_id = 'shift_uncovered' "
                          "AND f.subject_key = 'night') OR f.check_id = 'no_leader'"):
        flagged.setdefault(r["date"], {}).setdefault(r["town_code"], {"night": set(), "leader": set()})[
            "night" if r["check_id"] == "shift_uncovered" else "leader"].add(r["name"])
    names = {r[0] for r in conn.execute("SELECT person FROM duty_shifts WHERE person IS NOT NULL")}
    conn.close()
    assert flagged and days

    async def go(ds, inspector):
        out = {}
        for d in days:
            out[d] = (await _get(ds, f"/{open_name(docs_db)}/uncovered_tonight.json?_shape=array&"
                                 + urlencode({"date": d}), {})).json()
        quiet = next(d for d in days if d not in flagged)
        out["quiet"] = _text((await _get(ds, f"/{open_name(docs_db)}/uncovered_tonight?"
                                         + urlencode({"date": quiet}), {})).text)
        return out, quiet

    out, quiet = run_site(docs_db, go)
    for d in days:
        got = {r["town_code"]: {"night": set(filter(None, (r["night_uncovered_units"] or "").split("、"))),
                                "leader": set(filter(None, (r["no_leader_units"] or "").split("、")))}
               for r in out[d]}
        assert got == flagged.get(d, {}), d
        assert all(r["night_uncovered"] == len(got[r["town_code"]]["night"]) for r in out[d])
        assert not [n for n in names if any(n in str(v) for r in out[d] for v in r.values())]
    conn = _conn(docs_db)
    units = conn.execute("SELECT count(*) FROM roster_unit_days WHERE date = ?", (quiet,)).fetchone()[0]
    conn.close()
    assert f"{quiet}：值班表覆蓋 {units} 個單位，夜班都有人值守" in out["quiet"]
