"""The weekly bulletin's numbers are the views' numbers."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3

from click.testing import CliRunner

from fangyi.cli import cli

WEEK = "2021-W03"


def _rows(text: str, section: str) -> list[list[str]]:
    part = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in part.splitlines() if line.startswith("| ") and not line.startswith("| 排名")
             and "expected" not in line and "unit" not in line]
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines]


def test_bulletin_matches_views(checked_db_copy, tmp_path, demo_data):
    out = tmp_path / "b.md"
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", WEEK, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    conn = sqlite3.connect(checked_db_copy)

    e, a, o, r, t = conn.execute(
        "SELECT expected, actual, on_time, reporting_rate, on_time_rate FROM reporting_rates "
        "WHERE level = 'district' AND period_type = 'week' AND period = ?", (WEEK,)).fetchone()
    assert _rows(text, "報送情況")[0][1:] == [str(e), str(a), str(o), f"{r:.1f}%", f"{t:.1f}%"]

    ranking = conn.execute(
        "SELECT rank, town_name, expected, actual, on_time, reporting_rate, on_time_rate FROM town_weekly_ranking "
        "WHERE iso_week = ? ORDER BY rank, town_code", (WEEK,)).fetchall()
    assert _rows(text, "街鎮排名") == [[str(k), n, str(e), str(a), str(o), f"{r:.1f}%", f"{t:.1f}%"]
                                    for k, n, e, a, o, r, t in ranking]
    assert len(ranking) == 4

    first, last = conn.execute("SELECT min(day), max(day) FROM calendar WHERE iso_week = ?", (WEEK,)).fetchone()
    missed = {(c, d) for c, d in conn.execute(
        "SELECT unit_code, report_date FROM expected_report_status WHERE NOT reported AND iso_week = ?", (WEEK,))}
    assert missed
    assert {(row[1], row[2]) for row in _rows(text, "漏報")} == missed
    _, manifest = demo_data
    assert missed == {(m["unit_code"], m["date"]) for m in manifest["defects"]["missing_report"]
                      if first <= m["date"] <= last}
    late = {(c, d) for c, d in conn.execute(
        "SELECT unit_code, report_date FROM report_timeliness WHERE late = 1 AND report_date BETWEEN ? AND ?",
        (first, last))}
    assert late
    assert {(row[1], row[2]) for row in _rows(text, "遲報")} == late


def test_bulletin_lists_the_streak_in_its_week(checked_db_copy, demo_data):
    _, manifest = demo_data
    streak = manifest["defects"]["silent_streak"][0]
    conn = sqlite3.connect(checked_db_copy)
    (week,) = conn.execute("SELECT iso_week FROM calendar WHERE day = ?", (streak["start"],)).fetchone()
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", week])
    rows = _rows(result.output, "連續未報")
    assert [r[1:] for r in rows] == [[streak["unit_code"], streak["start"], streak["end"], str(streak["days"])]]


def test_bulletin_rejects_bad_weeks(checked_db_copy):
    """A week that cannot be read is a usage error (2); one outside the period, a refusal (1)."""
    for week, why, code in (("2021-3", "expected an ISO week", 2), ("2021-W30", "outside the reporting period", 1)):
        result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", week])
        assert result.exit_code == code and why in result.output


def test_bulletin_outside_the_period_lists_the_weeks_it_has(checked_db_copy):
    """A week outside the period is refused with the weeks that can be asked for instead."""
    conn = sqlite3.connect(checked_db_copy)
    weeks = [w for (w,) in conn.execute("SELECT DISTINCT iso_week FROM calendar ORDER BY iso_week")]
    conn.close()
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", "2021-W30"])
    assert result.exit_code == 1 and len(weeks) >= 2
    assert f"give one of its weeks: {', '.join(weeks)}" in result.output
    assert f"可選的周：{', '.join(weeks)}" in result.output


def test_bulletin_heading_names_the_week_and_its_days(checked_db_copy):
    """The printed bulletin opens with the ISO week asked for and that week's first and last day."""
    conn = sqlite3.connect(checked_db_copy)
    for week in ("2021-W02", WEEK):
        result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", week])
        assert result.exit_code == 0, result.output
        m = re.match(r"# 疫情防控日報週通報 Weekly bulletin (\d{4}-W\d{2})\n\n"
                     r"(\d{4}-\d{2}-\d{2}) 至 (\d{4}-\d{2}-\d{2})（(\d+) 天 days）", result.output)
        assert m, result.output[:300]
        first, last, days = conn.execute(
            "SELECT min(day), max(day), count(*) FROM calendar WHERE iso_week = ?", (week,)).fetchone()
        assert m.groups() == (week, first, last, str(days))
        assert days == 7
        year, number, weekday = dt.date.fromisoformat(first).isocalendar()
        assert (f"{year}-W{number:02d}", weekday) == (week, 1)      # a Monday of that ISO week


def test_bulletin_reads_the_week_as_people_write_it(checked_db_copy):
    """2021年第3周, 2021-w3 and a day of the week (2021/1/20) are the bulletin of 2021-W03, as the
    site's week parameter reads them (fangyi.keys.typed_week, shared by both)."""
    expected = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", WEEK]).output
    for written in ("2021年第3周", "2021-w3", "2021/1/20"):
        result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", written])
        assert result.exit_code == 0 and result.output == expected, written


def test_bulletin_counts_returnees_gatherings_and_disinfection_per_town(checked_db_copy, demo_data):
    """Per town, the week's returnees registered, tests missed, gathering breaches and places not
    disinfected: the tables' and the findings' numbers, the demo's injected cases in their weeks."""
    _, manifest = demo_data
    conn = sqlite3.connect(checked_db_copy)
    towns = dict(conn.execute("SELECT DISTINCT town_code, town_name FROM units_in_force WHERE town_code IS NOT NULL"))
    town_of = dict(conn.execute("SELECT unit_code, town_code FROM units_in_force"))
    seen = {"returnee_test_missed": 0, "gathering": 0, "disinfection_missed": 0}
    for week in ("2021-W03", "2021-W04", "2021-W05"):
        result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", week])
        assert result.exit_code == 0, result.output
        rows = [r for r in _rows(result.output, "返鄉人員、聚集活動和消毒") if r[0] != "街鎮 town"]
        first, last = conn.execute("SELECT min(day), max(day) FROM calendar WHERE iso_week = ?", (week,)).fetchone()
        expected = {code: [0, 0, 0, 0] for code in towns}
        for (unit,) in conn.execute("SELECT unit_code FROM returnees_current WHERE registration_date BETWEEN ? AND ?",
                                    (first, last)):
            expected[town_of[unit]][0] += 1
        for check, unit in conn.execute("SELECT check_id, unit_code FROM findings WHERE date BETWEEN ? AND ?",
                                        (first, last)):
            column = {"returnee_test_missed": 1, "disinfection_missed": 3}.get(
                check, 2 if check.startswith("gathering_") else None)
            if column is not None:
                expected[town_of[unit]][column] += 1
        assert sorted(rows) == sorted([towns[c], *map(str, counts)] for c, counts in expected.items())
        for key, column in (("returnee_test_missed", 2), ("gathering", 3), ("disinfection_missed", 4)):
            seen[key] += sum(int(r[column]) for r in rows)
    defects = manifest["defects"]
    assert seen["returnee_test_missed"] == len(defects["returnee_test_missed"])
    assert seen["disinfection_missed"] == len(defects["disinfection_missed"])
    assert seen["gathering"] == conn.execute(
        "SELECT count(*) FROM findings f JOIN calendar c ON c.day = f.date WHERE substr(f.check_id, 1, 10) = "
        "'gathering_' AND c.iso_week IN ('2021-W03', '2021-W04', '2021-W05')").fetchone()[0] >= 4
    # W05: the disinfection slot missed at 湖濱社區 on 2021-02-02 counts for its town
    case = defects["disinfection_missed"][1]
    result = CliRunner().invoke(cli, ["bulletin", "--db", str(checked_db_copy), "--week", "2021-W05"])
    [row] = [r for r in _rows(result.output, "返鄉人員、聚集活動和消毒") if r[0] == towns[town_of[case["unit_code"]]]]
    assert row[4] == "1"
