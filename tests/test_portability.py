"""Engine-specific SQL is named: the schema (db/schema.sql), the materialisation steps
(checks/_materialise/) and the checks (checks/<suite>/) call date arithmetic and formatting only as
the macros of db/macros/<engine>.sql (add_days, days_between, iso_weekday, iso_week,
timestamp_at), which fangyi.db.dialect.render() writes out as the engine's SQL when the text is
loaded; so that the same check suites can later run on DuckDB or Spark with a macro file each.
Each SQLite macro evaluates to what its contract says.

Out of scope: the canned queries in metadata.yml and the SQL in the site's Python modules
(fangyi/site_plugin.py, fangyi/opendata.py, ...), which Datasette serves on SQLite only, and the
historical migrations (db/migrations/), which are SQLite as they were released."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from importlib import resources

import pytest

from fangyi import db
from fangyi.checks import CHECKS
from fangyi.checks.run import materialise_steps
from fangyi.db import dialect

# SQLite's date and time functions, and its 'now': allowed only in db/macros/<engine>.sql
ENGINE_SPECIFIC = re.compile(r"\b(julianday|date|datetime|time|timediff|strftime|unixepoch)\s*\(|'now'", re.I)


def without_comments(sql: str) -> str:
    """The SQL with its -- and /* */ comments removed; quoted text ('...', "...") is kept as it is,
    so a '--' inside a string is not taken for a comment and a 'now' in a string is still seen."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:          # '' inside a string
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def engine_specific_calls(sql: str) -> list[str]:
    return [m.group(0) for m in ENGINE_SPECIFIC.finditer(without_comments(sql))]


def sql_sources() -> dict[str, str]:
    """Every SQL text that is rendered before it runs, unrendered, by its path in the package."""
    checks = resources.files("fangyi.checks")
    out = {"db/schema.sql": resources.files("fangyi.db").joinpath("schema.sql").read_text(encoding="utf-8")}
    for folder in sorted(checks.iterdir(), key=lambda p: p.name):
        if folder.is_dir() and not folder.name.startswith("."):
            for path in sorted(folder.iterdir(), key=lambda p: p.name):
                if path.name.endswith(".sql"):
                    out[f"checks/{folder.name}/{path.name}"] = path.read_text(encoding="utf-8")
    return out


def test_the_scanner_sees_calls_and_ignores_comments():
    assert engine_specific_calls("SELECT date(d, '+1 day'), JulianDay (x) FROM t") == ["date(", "JulianDay ("]
    assert engine_specific_calls("SELECT x -- date(d) and 'now'\n/* strftime('%Y', d) */ FROM t") == []
    assert engine_specific_calls("SELECT '--' || datetime('now')") == ["datetime(", "'now'"]
    assert engine_specific_calls("SELECT 'it''s -- no comment', time(t)") == ["time("]
    # columns and tables named date or time are not calls
    assert engine_specific_calls("SELECT s.date, b_date FROM days(unit_code, date) JOIN t ON t.date = s.date") == []
    # the macro file itself is where the calls are
    assert {c.lower().rstrip(" (") for c in engine_specific_calls(dialect.macro_source("sqlite"))} >= {
        "date", "julianday", "strftime"}


def test_date_functions_only_in_the_macro_files():
    sources = sql_sources()
    materialise = [name for name in sources if name.startswith("checks/_materialise/")]
    checks = [name for name in sources if name.startswith("checks/") and name not in materialise]
    assert len(materialise) == len(materialise_steps()) and len(checks) == len(CHECKS)
    offending = {name: calls for name, sql in sources.items() if (calls := engine_specific_calls(sql))}
    assert offending == {}, "call the macros of db/macros/<engine>.sql instead"
    # and the texts that call the macros are those the workbench runs rendered
    assert "{{ add_days(" in sources["db/schema.sql"] and "{{ iso_week(" in sources["db/schema.sql"]
    assert "{{ timestamp_at(" in sources["checks/_materialise/105_calendar_days.sql"]
    assert "{{ days_between(" in sources["checks/_materialise/530_coldchain_links.sql"]


def test_what_runs_is_rendered():
    texts = {"db/schema.sql": db.schema_sql(), **{n: s for n, s in materialise_steps()},
             **{c.id: c.sql for c in CHECKS}}
    assert not [name for name, sql in texts.items() if "{{" in sql or "{%" in sql]
    assert "julianday(r.received_date) - julianday(s.sale_date)" in dict(materialise_steps())["530_coldchain_links"]


def test_every_engine_defines_every_macro_with_a_contract():
    assert "sqlite" in dialect.engines()
    contract = dialect.macro_source("sqlite")
    for engine in dialect.engines():
        source = dialect.macro_source(engine)
        defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", source))
        assert defined >= set(dialect.MACROS), engine
    for name in dialect.MACROS:
        assert re.search(rf"^\s+{name}\(", contract, re.M), f"the contract in sqlite.sql names {name}"
    with pytest.raises(dialect.DialectError, match="no SQL macros for engine 'oracle'"):
        dialect.render("SELECT 1", "oracle")
    with pytest.raises(dialect.DialectError, match="add_dayz"):
        dialect.render('SELECT {{ add_dayz("d", 1) }}')


def test_rendering_is_text_substitution_once():
    sql = "SELECT d FROM t\n"
    assert dialect.render(sql) == sql                         # no call: unchanged
    macro = 'SELECT {{ add_days("t.d", 1) }} AS next_day FROM t -- {x}\n'
    assert dialect.render(macro) == "SELECT date(t.d, '+1 days') AS next_day FROM t -- {x}\n"
    assert dialect.render(macro) is dialect.render(macro)     # cached
    # a whole number of days is a constant modifier; an expression is computed by the engine
    assert dialect.render('{{ add_days("d", -7) }}') == "date(d, '-7 days')"
    assert dialect.render('{{ add_days("d", "p.n") }}') == "date(d, (p.n) || ' days')"


def _value(expression: str, *params):
    """The rendered expression evaluated by SQLite, its arguments the columns a, b, c bound to params
    (a macro may use an argument more than once)."""
    columns = ", ".join(f"? AS {name}" for name in "abc"[:len(params)])
    conn = sqlite3.connect(":memory:")
    try:
        return conn.execute(f"SELECT {dialect.render(expression)} FROM (SELECT {columns})", params).fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("day,days,expected", [
    ("2021-01-31", 1, "2021-02-01"),          # across a month end
    ("2020-12-31", 1, "2021-01-01"),          # and a year end
    ("2020-02-28", 1, "2020-02-29"),          # a leap day
    ("2021-02-28", 1, "2021-03-01"),          # not a leap year
    ("2020-02-29", 365, "2021-02-28"),
    ("2021-03-01", -1, "2021-02-28"),         # back
    ("2021-01-29", 0, "2021-01-29"),
])
def test_add_days(day, days, expected):
    assert _value(f'{{{{ add_days("a", {days}) }}}}', day) == expected
    assert _value('{{ add_days("a", "b") }}', day, days) == expected          # days as an expression
    assert _value('{{ add_days("a", "(SELECT b + 0)") }}', day, days) == expected


def test_add_days_of_nothing_is_nothing():
    assert _value('{{ add_days("a", 1) }}', None) is None
    assert _value('{{ add_days("a", "b") }}', "2021-01-01", None) is None


@pytest.mark.parametrize("start,end,expected", [
    ("2021-01-29", "2021-02-01", 3),
    ("2020-02-28", "2020-03-01", 2),          # over a leap day
    ("2021-02-28", "2021-03-01", 1),
    ("2020-12-31", "2021-01-01", 1),
    ("2021-01-05", "2021-01-05", 0),
    ("2021-02-01", "2021-01-29", -3),         # end before start
])
def test_days_between(start, end, expected):
    assert _value('{{ days_between("a", "b") }}', start, end) == expected


@pytest.mark.parametrize("day,weekday,week", [
    ("2021-01-03", 7, "2020-W53"),            # a Sunday in the last ISO week of 2020
    ("2021-01-04", 1, "2021-W01"),            # the Monday that starts 2021's first week
    ("2021-01-11", 1, "2021-W02"),
    ("2020-02-29", 6, "2020-W09"),            # a leap day
    ("2019-12-30", 1, "2020-W01"),            # a December day in the next year's week 1
    ("2024-12-30", 1, "2025-W01"),
    ("2016-01-03", 7, "2015-W53"),
    ("2021-02-07", 7, "2021-W05"),
])
def test_iso_weekday_and_week(day, weekday, week):
    assert _value('{{ iso_weekday("a") }}', day) == weekday
    assert _value('{{ iso_week("a") }}', day) == week


def test_iso_week_agrees_with_python_on_every_day():
    conn = sqlite3.connect(":memory:")
    try:
        start, days = dt.date(1999, 12, 20), 366 * 32
        conn.execute("CREATE TABLE d (day TEXT)")
        conn.executemany("INSERT INTO d VALUES (?)",
                         [((start + dt.timedelta(days=i)).isoformat(),) for i in range(days)])
        sql = dialect.render('SELECT day, {{ iso_week("day") }}, {{ iso_weekday("day") }} FROM d')
        rows = conn.execute(sql).fetchall()
    finally:
        conn.close()
    assert len(rows) == days
    wrong = []
    for day, week, weekday in rows:
        year, number, iso_day = dt.date.fromisoformat(day).isocalendar()
        if (week, weekday) != (f"{year}-W{number:02d}", iso_day):
            wrong.append((day, week, weekday))
    assert wrong == []


@pytest.mark.parametrize("day,days,time,expected", [
    ("2021-01-31", 1, "09:00", "2021-02-01T09:00:00"),   # the default deadline, across a month end
    ("2020-02-28", 1, "17:45", "2020-02-29T17:45:00"),   # onto a leap day
    ("2021-02-28", 0, "23:59", "2021-02-28T23:59:00"),   # the same day
    ("2021-12-31", 2, "00:00", "2022-01-02T00:00:00"),
])
def test_timestamp_at(day, days, time, expected):
    assert _value('{{ timestamp_at("a", "b", "c") }}', day, days, time) == expected
