"""Every demo file ingests with its rows conserved, as the generator's manifest says."""
from __future__ import annotations

import pytest

from conftest import file_id
from fangyi.ingest import kinds


def test_every_demo_file_is_recorded_once(demo_conn, demo_data):
    _, manifest = demo_data
    assert demo_conn.execute("SELECT count(*) FROM source_files").fetchone()[0] == len(manifest["files"])


def test_rows_conserved_per_file(demo_conn, demo_data):
    """rows read = loaded + rejected + not data, for every file, and each count is the
    generator's own count and the number of rows actually in the tables (the source rows there:
    a roster row yields a row per person and shift)."""
    _, manifest = demo_data
    for entry in manifest["files"]:
        fid = file_id(demo_conn, entry["path"])
        row = demo_conn.execute("SELECT * FROM source_files WHERE file_id = ?", (fid,)).fetchone()
        table = kinds.get(entry["kind"]).table
        loaded = demo_conn.execute(f"SELECT count(*) FROM (SELECT DISTINCT sheet, row_number FROM {table} "
                                   "WHERE file_id = ?)", (fid,)).fetchone()[0]
        rejected = demo_conn.execute("SELECT count(*) FROM rejected_rows WHERE file_id = ?", (fid,)).fetchone()[0]
        not_data = demo_conn.execute("SELECT count(*) FROM non_data_rows WHERE file_id = ?", (fid,)).fetchone()[0]
        where = entry["path"]
        assert row["rows_read"] == entry["rows_read"], where
        assert row["rows_read"] == row["rows_loaded"] + row["rows_rejected"] + row["rows_not_data"], where
        assert (row["rows_loaded"], row["rows_rejected"], row["rows_not_data"]) == (loaded, rejected, not_data), where
        assert rejected == entry["rejected_rows"], where
        assert loaded == entry["data_rows"] - entry["rejected_rows"], where
        assert not_data == entry["not_data_rows"], where
        assert row["kind"] == entry["kind"], where


def test_rejected_rows_name_file_sheet_row_and_column(demo_conn, demo_data):
    _, manifest = demo_data
    expected = {(e["file"], e["sheet"], e["row"]): e for e in manifest["defects"]["rejected"]}
    assert expected
    rows = demo_conn.execute(
        "SELECT s.path, r.sheet, r.row_number, r.column_name, r.raw, r.reason "
        "FROM rejected_rows r JOIN source_files s USING (file_id) "
        "WHERE r.kind <> 'returnees'").fetchall()          # its own: tests/test_returnees.py
    assert len(rows) == len(expected)
    for path, sheet, row_number, column, raw, reason in rows:
        key = next(k for k in expected if path.endswith(k[0]) and k[1:] == (sheet, row_number))
        e = expected[key]
        assert column.startswith(e["column"]), (column, e)
        assert f"'{e['value']}' 無法讀作" in reason and " / cannot read it as " in reason
        assert e["value"] in raw                       # the raw cells are kept as JSON


@pytest.mark.parametrize("role", ["title", "header", "total", "footer", "blank"])
def test_not_data_roles_present(demo_conn, role):
    assert demo_conn.execute("SELECT count(*) FROM non_data_rows WHERE role = ?", (role,)).fetchone()[0] > 0


def test_totals_and_footers_are_never_loaded(demo_conn):
    bad = demo_conn.execute(
        "SELECT unit_raw FROM daily_reports WHERE unit_raw LIKE '%合計%' OR unit_raw LIKE '%合计%' "
        "OR unit_raw LIKE '%填表人%' OR unit_raw LIKE '%審核人%'").fetchall()
    assert bad == []
    # no loaded row sits where a total or footer row was recognised
    totals = demo_conn.execute("SELECT count(*) FROM non_data_rows WHERE role IN ('total', 'footer')").fetchone()[0]
    assert totals > 0
    loaded = demo_conn.execute(
        "SELECT count(*) FROM daily_reports d JOIN non_data_rows n USING (file_id, sheet, row_number)").fetchone()[0]
    assert loaded == 0


def test_every_expected_unit_day_has_one_current_report(demo_conn, demo_data):
    """The calendar of expected reports, minus the injected missing days, is exactly what the
    current view holds for registered units: nothing lost, nothing doubled."""
    import datetime as dt

    _, manifest = demo_data
    start = dt.date.fromisoformat(manifest["period"]["start"])
    end = dt.date.fromisoformat(manifest["period"]["end"])
    expected = set()
    for u in manifest["units"]:
        if not u["reports_daily"]:
            continue
        first = max(start, dt.date.fromisoformat(u["opened_on"])) if u["opened_on"] else start
        last = min(end, dt.date.fromisoformat(u["closed_on"])) if u["closed_on"] else end
        d = first
        while d <= last:
            expected.add((u["unit_code"], d.isoformat()))
            d += dt.timedelta(days=1)
    expected -= {(m["unit_code"], m["date"]) for m in manifest["defects"]["missing_report"]}
    current = demo_conn.execute(
        "SELECT unit_code, report_date FROM daily_reports_current WHERE unit_code IS NOT NULL").fetchall()
    assert len(current) == len(set(map(tuple, current)))
    assert set(map(tuple, current)) == expected


def test_report_values_and_provenance(demo_conn):
    rows = demo_conn.execute("SELECT * FROM daily_reports").fetchall()
    assert len(rows) > 500 and sum(bool(r["submitted_at"]) for r in rows) > 500
    for r in rows:
        assert r["file_id"] and r["sheet"] is not None and r["row_number"] >= 1
        assert len(r["report_date"]) == 10 and r["report_date"][4] == "-"
        if r["submitted_at"]:
            assert r["submitted_at"][:4] == "2021"
    types = demo_conn.execute(
        "SELECT DISTINCT typeof(new_confirmed), typeof(report_date) FROM daily_reports").fetchall()
    assert {tuple(t) for t in types} <= {("integer", "text"), ("null", "text")}
