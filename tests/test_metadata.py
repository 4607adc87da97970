"""metadata.yml describes every table, view and column of the schema, and Datasette serves it."""
from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import workbench

from conftest import findings_of, inspector_cookies, site

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
    # no licence or source is claimed unless the settings give one (the demo's only for the demo)
    assert not {"license", "license_url", "source", "source_url"} & set(metadata)


def test_source_and_licence_come_from_the_settings(db_path, tmp_path, monkeypatch):
    from fangyi import settings as settings_mod
    from fangyi.site import attribution
    from fangyi.site.serve import site_metadata

    toml = tmp_path / "fangyi.toml"
    toml.write_text('[site]\nsource = "石橋區各街道報送 — Reports of 石橋區"\nlicense = "CC0"\n', encoding="utf-8")
    for name, value in attribution.environ(settings_mod.load(toml).site_text).items():
        monkeypatch.setenv(name, value)
    served = site_metadata(db_path)
    assert served["source"] == "石橋區各街道報送 — Reports of 石橋區" and served["license"] == "CC0"
    assert "license_url" not in served
    for name, value in attribution.environ(attribution.DEMO).items():
        monkeypatch.setenv(name, value)
    assert site_metadata(db_path)["license"] == "CC BY 4.0"
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\nlicense = 4\n", encoding="utf-8")
    with pytest.raises(settings_mod.SettingsError, match=r"\[site\] license"):
        settings_mod.load(bad)


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
            # whom to call: the leader the unit's roster has that day and the roster's phone; a unit
            # without a roster that day falls back (missed_contacts; tests/test_site_answers.py)
            assert {r["unit_code"]: (r["duty_leader"], r["duty_phone"]) for r in rows if (r["unit_code"], day) in on_call} == {
                c: on_call[(c, day)] for c in codes if (c, day) in on_call}, day
            assert all((r["contact_source"] == "值班表") == ((r["unit_code"], day) in on_call) for r in rows), rows
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


# ---------------------------------------------------------------------------------------------
# Returnees, gatherings and disinfection: the canned queries on the checked demo district.
# ---------------------------------------------------------------------------------------------

KIND_QUERIES = ("returnee_tests_due", "returnees_overdue", "gathering_breaches_week", "disinfection_missed_on_day",
                "returnee_detail")
MASKED_ID = re.compile(r"^\d{4}\*{10}\d{3}[\dX]$")


def test_kind_queries_on_demo(metadata, checked_db, demo_data):
    path, (_, manifest) = checked_db, demo_data
    defects = manifest["defects"]
    queries = metadata["databases"]["workbench"]["queries"]
    assert set(KIND_QUERIES) <= set(queries)
    # the lists that name people are the inspector's only: not on the open copy
    from fangyi.site.serve import site_metadata

    served = site_metadata(path, "workbench_open")["databases"]
    assert set(KIND_QUERIES) - set(served["workbench_open"]["queries"]) == {
        "returnee_tests_due", "gathering_breaches_week", "returnee_detail"}
    assert set(KIND_QUERIES) <= set(served["workbench"]["queries"])
    assert not any("inspector_only" in q for db in served.values() for q in db.get("queries", {}).values())

    async def run():
        ds = site(path, open_copy=False)

        async def query(name: str, **params) -> list[dict]:
            return await _query(ds, name, **params)

        for name, params in (("returnee_tests_due", "date=2021-02-01"), ("returnees_overdue", ""),
                             ("gathering_breaches_week", "iso_week=2021-W05"),
                             ("disinfection_missed_on_day", "date=2021-02-02"), ("returnee_detail", "returnee_id=1")):
            page = await ds.client.get(f"/workbench/{name}?{params}", cookies=inspector_cookies(ds))
            assert page.status_code == 200, (name, page.text[:500])

        # 某日應做核酸檢測的返鄉人員: every test whose window holds the day and was not taken before it
        missed = defects["returnee_test_missed"][0]
        for day in ("2021-02-01", "2021-02-07"):
            rows = await query("returnee_tests_due", date=day)
            expected = _sql(path, "SELECT o.returnee_id, o.due_date, r.name, r.phone, r.grid_worker, r.id_number "
                                  "FROM returnee_tests_owed o JOIN returnees r ON r.returnee_id = o.returnee_id "
                                  "WHERE o.due_date <= ?1 AND o.latest_date >= ?1 "
                                  "AND (o.test_date IS NULL OR substr(o.test_date, 1, 10) >= ?1)", day)
            assert expected
            assert sorted((r["returnee_id"], r["due_date"], r["name"], r["phone"], r["grid_worker"]) for r in rows) \
                == sorted(e[:5] for e in expected)
            assert all(MASKED_ID.match(r["id_number"]) for r in rows if r["id_number"])
            assert all(r["id_number"] == e[5][:4] + "*" * 10 + e[5][-4:] for r in rows for e in expected
                       if e[0] == r["returnee_id"] and e[5])
        rows = await query("returnee_tests_due", date=missed["date"])
        assert [r["status"] for r in rows if r["name"] == missed["name"]] == ["missed"]
        assert all(r["phone"] and r["grid_worker"] for r in rows)

        # 各單位返鄉人員核酸漏檢: the units of the missed tests, counted
        rows = await query("returnees_overdue")
        assert [(r["unit_code"], r["tests_missed"], r["returnees"]) for r in rows] == [
            (d["unit_code"], 1, 1) for d in defects["returnee_test_missed"]]
        assert not {"name", "phone", "id_number"} & set(rows[0])

        # 一周聚集活動及違規情況: every event of the week once, its breaches the findings of the week
        for week in ("2021-W03", "2021-W04", "2021-W05"):
            rows = await query("gathering_breaches_week", iso_week=week)
            events = _sql(path, "SELECT gathering_id FROM gatherings_current g JOIN calendar_days k "
                                "ON k.day = g.event_date WHERE k.iso_week = ?", week)
            assert sorted(r["gathering_id"] for r in rows) == sorted(e[0] for e in events)
            findings = _sql(path, "SELECT f.check_id, f.unit_code, f.date FROM findings f JOIN calendar_days k "
                                  "ON k.day = f.date WHERE substr(f.check_id, 1, 10) = 'gathering_' AND k.iso_week = ?",
                            week)
            assert sum(r["breaches"] for r in rows) == len(findings)
            assert sorted((r["unit_code"], r["event_date"]) for r in rows for _ in range(r["breaches"])) == \
                sorted((u, d) for _, u, d in findings)
        rows = await query("gathering_breaches_week", iso_week="2021年第5周")
        case = defects["gathering_attendee_under_management"][0]
        [hit] = [r for r in rows if r["unit_code"] == case["unit_code"] and r["event_date"] == case["date"]]
        assert hit["breaches"] == 1 and hit["breach_checks"] == "健康管理期內的返鄉人員參加聚集性活動"
        assert case["name"] in hit["messages"]

        # 某日漏消毒的場所: the injected cases, each on its day; no date: the day before the latest record
        for case in defects["disinfection_missed"]:
            rows = await query("disinfection_missed_on_day", date=case["date"].replace("-", "/"))
            assert [(r["unit_code"], r["place"], r["judged_by"], r["slot_start"]) for r in rows] == [
                (case["unit_code"], case["place"], case["judged_by"], case["slot_start"])]
        rows = await query("disinfection_missed_on_day", date="")
        (latest,) = _sql(path, "SELECT date(max(date), '-1 day') FROM disinfection_records")[0]
        assert len(rows) == len([f for f in findings_of(path, "disinfection_missed") if f["date"] == latest])
        assert {r["date"] for r in rows} <= {latest}

        # 返鄉人員詳情: the identity number in full, on this page only
        [(rid, id_number, name)] = _sql(path, "SELECT r.returnee_id, r.id_number, r.name FROM returnees r JOIN "
                                              "returnees_current c USING (returnee_id) WHERE r.id_number IS NOT NULL "
                                              "ORDER BY r.returnee_id LIMIT 1")
        rows = await query("returnee_detail", returnee_id=str(rid))
        assert rows[0]["section"] == "登記" and rows[0]["item"] == name and id_number in rows[0]["detail"]
        assert {r["section"] for r in rows} == {"登記", "應檢", "檢測"}
        assert await query("returnee_detail", returnee_id="999999") == []

        # 單位頁: counts only, per day
        case = defects["disinfection_missed"][1]
        rows = await query("unit_page", unit_code=case["unit_code"])
        assert [(r["date"], r["item"], r["detail"]) for r in rows if r["section"] == "消毒"] == [
            (case["date"], "漏消毒", f"1 處（時段）：{case['place']}")]
        case = defects["returnee_test_missed"][0]
        rows = await query("unit_page", unit_code=case["unit_code"])
        assert (case["date"], "漏檢或遲檢", "1 人次") in [(r["date"], r["item"], r["detail"]) for r in rows
                                                        if r["section"] == "返鄉核酸"]
        case = defects["gathering_attendee_under_management"][0]
        rows = await query("unit_page", unit_code=case["unit_code"])
        assert (case["date"], "1 起") in [(r["date"], r["detail"]) for r in rows if r["section"] == "聚集活動"]

    asyncio.run(run())
