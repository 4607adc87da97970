"""metadata.yml describes every table, view and column of the schema, and Datasette serves it."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import workbench

from conftest import inspector_cookies, site

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def metadata(db_path) -> dict:
    """metadata.yml as the site serves it: the kinds' tables and the columns metadata.yml takes
    from them (columns_from) described from the kind registry."""
    from fangyi.site.serve import site_metadata

    return site_metadata(db_path)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("metadata") / "workbench.db"
    workbench(path).close()
    return path


@pytest.fixture(scope="module")
def schema(db_path) -> dict[str, list[str]]:
    """{table or view name: [column names]} for everything schema.sql creates."""
    conn = sqlite3.connect(db_path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def _bilingual(text) -> bool:
    return isinstance(text, str) and bool(HAN.search(text)) and bool(LATIN.search(text))


async def _query(ds, name: str, **params) -> list[dict]:
    """The rows of a canned query on the workbench database, as JSON objects (as the inspector)."""
    resp = await ds.client.get(f"/workbench/{name}.json?" + urlencode({"_shape": "array", **params}),
                               cookies=inspector_cookies(ds))
    assert resp.status_code == 200, (name, resp.text[:500])
    rows = resp.json()
    assert isinstance(rows, list), (name, rows)
    return rows


def test_top_level(metadata):
    assert _bilingual(metadata["title"])
    assert _bilingual(metadata["description"])
    assert metadata["license"] == "CC BY 4.0"
    assert metadata["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["source"]


def test_schema_is_what_we_expect(schema):
    expected = {"source_files", "rejected_rows", "non_data_rows", "units", "units_current",
                "unit_resolutions", "daily_reports", "daily_reports_resolved", "daily_report_versions",
                "daily_reports_current", "coldchain_batches", "coldchain_sales", "coldchain_sale_batches",
                "merchants", "coldchain_balances", "coldchain_links", "coldchain_chain", "coldchain_trace"}
    assert expected <= set(schema)


def test_every_table_view_and_column_described(metadata, schema):
    tables = metadata["databases"]["workbench"]["tables"]
    problems = []
    for name, columns in schema.items():
        meta = tables.get(name)
        if meta is None:
            problems.append(f"{name}: not in metadata.yml")
            continue
        if not _bilingual(meta.get("description")):
            problems.append(f"{name}: description missing or not Chinese + English")
        described = meta.get("columns") or {}
        for column in columns:
            if not _bilingual(described.get(column)):
                problems.append(f"{name}.{column}: description missing or not Chinese + English")
        for column in set(described) - set(columns):
            problems.append(f"{name}.{column}: described but not in the schema")
    for name in set(tables) - set(schema):
        problems.append(f"{name}: described but not in the schema")
    assert not problems, "\n".join(problems)


def test_facets_and_sorts_name_real_columns(metadata, schema):
    tables = metadata["databases"]["workbench"]["tables"]
    problems = []
    for name, meta in tables.items():
        columns = set(schema.get(name, []))
        named = list(meta.get("facets", []))
        named += [meta[k] for k in ("sort", "sort_desc", "label_column") if k in meta]
        problems += [f"{name}: {c}" for c in named if c not in columns]
        assert not ("sort" in meta and "sort_desc" in meta), name
    assert not problems, "\n".join(problems)


def test_every_view_names_its_unique_key(metadata, schema, db_path):
    """A view has no primary key: its pages are in a total order by the unique_key metadata.yml
    names for it (fangyi/site/paging.py; tests/test_pagination.py checks the keys are unique)."""
    tables = metadata["databases"]["workbench"]["tables"]
    conn = sqlite3.connect(db_path)
    try:
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    finally:
        conn.close()
    problems = []
    for name, meta in tables.items():
        key = meta.get("unique_key")
        if name in views:
            if not key or not isinstance(key, list) or not set(key) <= set(schema[name]):
                problems.append(f"{name}: unique_key {key!r} is not a list of its columns")
        elif key is not None:
            problems.append(f"{name}: a table's pages are ordered by its primary key, not by unique_key")
        if "read_in_key_order" in meta and (meta["read_in_key_order"] is not True or not key):
            problems.append(f"{name}: read_in_key_order is true, with a unique_key, or absent")
    assert views and not problems, "\n".join(problems)


def test_datasette_serves_metadata(metadata, db_path, schema):
    async def run():
        ds = site(db_path, open_copy=False)
        inspector = inspector_cookies(ds)
        index = await ds.client.get("/", cookies=inspector)
        assert index.status_code == 200
        assert metadata["title"] in index.text

        resp = await ds.client.get("/workbench/daily_reports_current.json", cookies=inspector)
        assert resp.status_code == 200, resp.text

        # Every table and view renders with its configured sort and facets.
        tables = metadata["databases"]["workbench"]["tables"]
        for name in schema:
            page = await ds.client.get(f"/workbench/{name}", cookies=inspector)
            assert page.status_code == 200, (name, page.text[:500])
            data = await ds.client.get(f"/workbench/{name}.json", cookies=inspector)
            assert data.status_code == 200, (name, data.text[:500])
            assert set(data.json()["facet_results"]) == set(tables[name].get("facets", [])), name

        page = await ds.client.get("/workbench/daily_reports_current", cookies=inspector)
        description = metadata["databases"]["workbench"]["tables"]["daily_reports_current"]["columns"]["zero_report"]
        assert description.split(" — ")[0] in page.text

    asyncio.run(run())


# ---------------------------------------------------------------------------------------------
# Canned queries, run through Datasette against the checked demo district.
# ---------------------------------------------------------------------------------------------

QUERIES = ("missed_on_day", "completeness_by_town", "late_reports", "silent_streaks",
           "unit_report_history", "weekly_ranking", "on_duty", "duty_gaps", "allowance_reconciliation")


def _sql(path: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def test_canned_queries_described(metadata):
    queries = metadata["databases"]["workbench"]["queries"]
    assert set(QUERIES) <= set(queries)
    for name, query in queries.items():
        assert HAN.search(query["title"]), name
        assert LATIN.search(query["description"]), name
        assert not query.get("write"), name
        assert re.match(r"\s*(SELECT|WITH)\b", query["sql"], re.I), name
        named = set(re.findall(r"(?<![:\w]):(\w+)", query["sql"]))
        assert set(query.get("params", [])) == named, name


def test_canned_queries_on_demo(checked_db, demo_data):
    path, (_, manifest) = checked_db, demo_data
    assert path.stem == "workbench"                     # the database name metadata.yml describes
    defects = manifest["defects"]

    async def run():
        ds = site(path, open_copy=False)

        async def query(name: str, **params) -> list[dict]:
            return await _query(ds, name, **params)

        # Every canned query page renders.
        for name in QUERIES:
            page = await ds.client.get(f"/workbench/{name}", cookies=inspector_cookies(ds))
            assert page.status_code == 200, (name, page.text[:500])

        # 某日漏報單位: exactly the units the manifest left out on each day.
        on_call = {(e["unit_code"], e["date"]): (e["leader"], e["phone"]) for e in manifest["roster"]["on_call"]}
        assert on_call
        missing: dict[str, set[str]] = {}
        for d in defects["missing_report"]:
            missing.setdefault(d["date"], set()).add(d["unit_code"])
        for day, codes in missing.items():
            rows = await query("missed_on_day", date=day)
            assert {r["unit_code"] for r in rows} == codes, day
            assert len(rows) == len(codes), day
            assert all(r["unit_name"] and r["town_code"] and r["town_name"] for r in rows), rows
            # whom to call: the leader the unit's roster has that day and the roster's phone
            assert {r["unit_code"]: (r["duty_leader"], r["duty_phone"]) for r in rows} == {
                c: on_call.get((c, day), (None, None)) for c in codes}, day
            assert [(r["town_code"], r["unit_code"]) for r in rows] == \
                sorted((r["town_code"], r["unit_code"]) for r in rows)
        clean_day = next(d for d in ("2021-01-11", "2021-01-13", "2021-01-15") if d not in missing)
        assert await query("missed_on_day", date=clean_day) == []

        # 連續未報: the manifest's silent streak, from the latest check run's findings.
        rows = await query("silent_streaks")
        assert [(r["unit_code"], r["first_day"], r["last_day"], r["days"]) for r in rows] == [
            (s["unit_code"], s["start"], s["end"], s["days"]) for s in defects["silent_streak"]]
        assert all(r["unit_name"] for r in rows)

        # 各街鎮報送完整率: summed over every expected unit-day of the period, per town.
        start, end = manifest["period"]["start"], manifest["period"]["end"]
        assert (start, end) == ("2021-01-11", "2021-02-07")
        rows = await query("completeness_by_town", start_date=start, end_date=end)
        districts = {u["unit_code"] for u in manifest["units"] if u["parent_code"] is None}
        towns = {u["unit_code"]: u["name"] for u in manifest["units"] if u["parent_code"] in districts}
        assert len(towns) == 4
        assert {r["town_code"]: r["town_name"] for r in rows} == towns
        (expected_rows,) = _sql(path, "SELECT count(*) FROM expected_report_status")[0]
        assert sum(r["expected"] for r in rows) == expected_rows
        (reported_rows,) = _sql(path, "SELECT sum(reported) FROM expected_report_status")[0]
        assert sum(r["actual"] for r in rows) == reported_rows
        assert sum(r["expected"] - r["actual"] for r in rows) == len(defects["missing_report"])
        for r in rows:
            assert r["on_time"] <= r["actual"] <= r["expected"]
            assert r["reporting_rate"] == round(100.0 * r["actual"] / r["expected"], 1)
            assert r["on_time_rate"] == round(100.0 * r["on_time"] / r["expected"], 1)
        assert [r["reporting_rate"] for r in rows] == sorted((r["reporting_rate"] for r in rows), reverse=True)
        one_day = await query("completeness_by_town", start_date=start, end_date=start)
        assert sum(r["expected"] for r in one_day) == _sql(
            path, "SELECT count(*) FROM expected_report_status WHERE report_date = ?", start)[0][0]

        # 遲報清單: the manifest's late reports, each a positive number of hours late.
        rows = await query("late_reports", start_date=start, end_date=end)
        assert {(r["unit_code"], r["report_date"]) for r in rows} == {
            (d["unit_code"], d["date"]) for d in defects["late_report"]}
        submitted = {(d["unit_code"], d["date"]): d["submitted_at"] for d in defects["late_report"]}
        for r in rows:
            assert r["submitted_at"] == submitted[(r["unit_code"], r["report_date"])]
            assert r["submitted_at"] > r["deadline"]
            assert r["hours_late"] > 0 and r["unit_name"] and r["source_file"]
        first_late = min(d["date"] for d in defects["late_report"])
        rows = await query("late_reports", start_date=first_late, end_date=first_late)
        assert {r["report_date"] for r in rows} == {first_late}

        # 一周一排名: the four towns of the demo district, ranked.
        rows = await query("weekly_ranking", iso_week="2021-W03")
        assert len(rows) == 4 and {r["town_code"] for r in rows} == set(towns)
        ranks = [r["rank"] for r in rows]
        assert ranks == sorted(ranks) and ranks[0] == 1 and all(1 <= k <= 4 for k in ranks)
        assert await query("weekly_ranking", iso_week="1999-W01") == []

        # 單位報送歷史: one row per expected day, plus one per superseded version of a resubmitted day.
        resubmitted = manifest["resubmissions"][0]
        streak = defects["silent_streak"][0]
        for code in (resubmitted["unit_code"], streak["unit_code"]):
            expected_days = [d for (d,) in _sql(
                path, "SELECT report_date FROM expected_reports WHERE unit_code = ? ORDER BY report_date", code)]
            rows = await query("unit_report_history", unit_code=code)
            assert sorted({r["report_date"] for r in rows}) == expected_days, code
            extra = [r for r in rows if r["version_rank"] not in (None, 1)]
            assert len(rows) == len(expected_days) + len(extra), code
            resubmitted_days = {(resubmitted["unit_code"], resubmitted["date"])}
            assert {(code, r["report_date"]) for r in extra} <= resubmitted_days
            for r in rows:
                if r["reported"]:
                    assert r["version_rank"] >= 1 and r["versions"] >= r["version_rank"] and r["source_file"]
                else:
                    assert r["version_rank"] is None and r["source_file"] is None
        rows = await query("unit_report_history", unit_code=resubmitted["unit_code"])
        day = [r for r in rows if r["report_date"] == resubmitted["date"]]
        assert [r["version_rank"] for r in day] == list(range(1, len(resubmitted["rows"]) + 1))
        assert all(r["versions"] == len(resubmitted["rows"]) for r in day)
        current = resubmitted["rows"][resubmitted["current"]]
        assert day[0]["submitted_at"] == current["submitted_at"]
        assert day[0]["source_file"].endswith(current["file"])
        rows = await query("unit_report_history", unit_code=streak["unit_code"])
        silent = [r["report_date"] for r in rows if not r["reported"]]
        assert silent[0] == streak["start"] and silent[-1] == streak["end"]

    asyncio.run(run())


COLDCHAIN_QUERIES = ("coldchain_missing_certificates", "coldchain_noncompliant_sales", "coldchain_merchant_balance",
                     "coldchain_chain_breaks", "batch_trace")


def test_coldchain_canned_queries_on_demo(metadata, checked_db, demo_data):
    path, (_, manifest) = checked_db, demo_data
    cc = manifest["coldchain"]
    defects, batches = cc["defects"], cc["batches"]
    assert set(COLDCHAIN_QUERIES) <= set(metadata["databases"]["workbench"]["queries"])

    async def run():
        ds = site(path, open_copy=False)

        async def query(name: str, **params) -> list[dict]:
            return await _query(ds, name, **params)

        for name in COLDCHAIN_QUERIES:
            page = await ds.client.get(f"/workbench/{name}", cookies=inspector_cookies(ds))
            assert page.status_code == 200, (name, page.text[:500])

        # 四證不全的進貨: exactly the receipt the demo left without a disinfection certificate.
        rows = await query("coldchain_missing_certificates")
        assert [(r["trace_code"], r["missing"]) for r in rows] == [
            (e["subject_key"], e["missing"]) for e in defects["cert_missing"]]
        assert rows[0]["source_file"].endswith(defects["cert_missing"][0]["file"])

        # 不合規批次的銷售: the sales of the batch without a disinfection certificate, of the one
        # with no nucleic-acid result, and the sale of a trace code never received.
        rows = await query("coldchain_noncompliant_sales", start_date="2021-01-01", end_date="2021-02-28")
        assert {r["trace_code"] for r in rows} == {defects["cert_missing"][0]["subject_key"],
                                                   defects["nat_positive"][0]["subject_key"],
                                                   defects["sold_unknown_batch"][0]["subject_key"]}
        assert all(r["problems"] and r["buyer"] for r in rows)
        first = min(r["sale_date"] for r in rows)
        assert {r["sale_date"] for r in await query("coldchain_noncompliant_sales", start_date=first,
                                                   end_date=first)} == {first}

        # 商戶批次結存: the oversold stall's balance sheet, negative where it oversold.
        oversold = defects["oversold"][0]
        rows = await query("coldchain_merchant_balance", merchant_id=oversold["merchant_id"].lower())
        by_code = {r["trace_code"]: r for r in rows}
        assert by_code[oversold["subject_key"]]["on_hand_kg"] == oversold["received_kg"] - oversold["sold_kg"] < 0
        expected = {b["trace_code"] for b in cc["balances"] if b["merchant_id"] == oversold["merchant_id"]}
        assert set(by_code) == expected

        # 斷鏈: both sides, from the latest check run.
        rows = await query("coldchain_chain_breaks")
        assert {(r["trace_code"], r["side"]) for r in rows} == {
            (e["subject_key"], e["side"]) for e in defects["chain_break"]}
        assert all(r["seller_name"] and r["buyer_name"] and r["source_file"] for r in rows)

        # 批次追溯: a row per receipt and sale of the batch, spaces and case in the code ignored.
        code = cc["trace_example"]["trace_code"]
        rows = await query("batch_trace", trace_code=" " + code.lower())
        (receipts,) = _sql(path, "SELECT count(*) FROM coldchain_batches WHERE trace_code = ?", code)[0]
        (sales,) = _sql(path, "SELECT count(*) FROM coldchain_sale_batches WHERE trace_code = ?", code)[0]
        assert len(rows) == receipts + sales and {r["trace_code"] for r in rows} == {code}
        assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
        assert await query("batch_trace", trace_code=batches["T12"]) != []
        assert await query("batch_trace", trace_code="NO-SUCH-CODE") == []

    asyncio.run(run())


def test_roster_queries_on_demo(checked_db, demo_data):
    """值班人員查詢, 值班缺口 and 值班補助核對 on the checked demo district."""
    path, (_, manifest) = checked_db, demo_data
    defects = manifest["defects"]

    async def run():
        ds = site(path, open_copy=False)

        async def query(name: str, **params) -> list[dict]:
            return await _query(ds, name, **params)

        # 值班人員查詢: on a missed day, the leader to call is on duty, with the day and night staff.
        e = manifest["roster"]["on_call"][0]
        rows = await query("on_duty", unit_code=e["unit_code"], date=e["date"])
        assert [r["shift"] for r in rows] == ["leader", "day", "day", "night"]
        assert (rows[0]["person"], rows[0]["phone"]) == (e["leader"], e["phone"])
        assert all(r["unit_code"] == e["unit_code"] and r["date"] == e["date"] and r["source_file"] for r in rows)
        assert all(r["starts_at"] < r["ends_at"] for r in rows)
        assert rows[-1]["ends_at"][:10] > e["date"]                   # the night ends the next morning
        # the double-booked night: both units have the person on duty
        (booked,) = defects["double_booked"]
        for unit in (booked["unit_code"], booked["other_unit_code"]):
            rows = await query("on_duty", unit_code=unit, date=booked["date"])
            assert booked["person"] in [r["person"] for r in rows if r["shift"] == "night"]
        # an uncovered night: nobody on that shift
        night = next(g for g in defects["shift_uncovered"] if g["shift"] == "night")
        rows = await query("on_duty", unit_code=night["unit_code"], date=night["date"])
        assert [r["shift"] for r in rows] == ["leader", "day", "day"]
        assert await query("on_duty", unit_code=night["unit_code"], date="1999-01-01") == []

        # 值班缺口: exactly the injected gaps, each with what is missing.
        start, end = manifest["period"]["start"], manifest["period"]["end"]
        rows = await query("duty_gaps", start_date=start, end_date=end)
        expected = {(g["unit_code"], g["date"]): g["shift"] for g in defects["shift_uncovered"]}
        expected.update({(g["unit_code"], g["date"]): "leader" for g in defects["no_leader"]})
        assert {(r["unit_code"], r["date"]): r["missing"] for r in rows} == expected
        assert all(r["unit_name"] and r["town_name"] for r in rows)
        first = min(expected)[1]
        rows = await query("duty_gaps", start_date=first, end_date=first)
        assert {r["date"] for r in rows} == {first}

        # 值班補助核對: every claim of the month; the over-claim first, with its difference.
        (over,) = defects["allowance_overclaim"]
        rows = await query("allowance_reconciliation", month="2021-01")
        assert len(rows) == manifest["claims"]["claims"]
        top = rows[0]
        assert (top["person"], top["unit_code"]) == (over["person"], over["unit_code"])
        assert (top["claimed"], top["supported"], top["difference"]) == (
            over["claimed"]["amount"], over["supported"]["amount"], over["claimed"]["amount"] - over["supported"]["amount"])
        assert all(r["difference"] == 0 and r["claimed"] == r["supported"] for r in rows[1:])
        assert await query("allowance_reconciliation", month="2021-02") == []

    asyncio.run(run())
