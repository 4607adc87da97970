"""A file that cannot be read at all: a clear error naming it, exit 1, database unchanged."""
from __future__ import annotations

import hashlib
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner

from conftest import table_counts
from fangyi.cli import cli


@pytest.fixture
def good_db(tmp_path, demo_data):
    out, _ = demo_data
    db_path = tmp_path / "w.db"
    result = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(out / "units")])
    assert result.exit_code == 0, result.output
    return db_path


def _truncated_xlsx(tmp_path, demo_data):
    out, _ = demo_data
    data = (out / "units" / "單位名錄.xlsx").read_bytes()
    path = tmp_path / "截斷.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _not_a_spreadsheet(tmp_path, _):
    path = tmp_path / "報表.xlsx"
    path.write_bytes(hashlib.sha256(b"x").digest() * 100)
    return path


def _unknown_headers(tmp_path, _):
    path = tmp_path / "名單.csv"
    path.write_text("姓名,性別,年齡\n張三,男,40\n", encoding="utf-8")
    return path


def _binary_csv(tmp_path, _):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x00\x01\x02" * 50)
    return path


def _zip_not_xlsx(tmp_path, _):
    path = tmp_path / "壓縮.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    return path


@pytest.mark.parametrize("make,why", [
    (_truncated_xlsx, "not a readable spreadsheet"),
    (_not_a_spreadsheet, "not a readable spreadsheet"),
    (_zip_not_xlsx, "not a readable spreadsheet"),
    (_unknown_headers, "no sheet has a recognisable header"),
    (_binary_csv, "binary content"),
])
def test_unreadable_file(tmp_path, demo_data, good_db, make, why):
    path = make(tmp_path, demo_data)
    before = table_counts(good_db)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(good_db), str(path)])
    assert result.exit_code == 1
    assert str(path) in result.output and why in result.output
    after = table_counts(good_db)
    assert after == {**before, "source_files": before["source_files"] + 1}
    # nothing of the file was loaded, and the failure is recorded where the site shows it
    conn = sqlite3.connect(good_db)
    status, error, loaded = conn.execute(
        "SELECT status, error, rows_loaded FROM source_files ORDER BY file_id DESC LIMIT 1").fetchone()
    conn.close()
    assert (status, loaded) == ("failed", 0) and why in error and str(path) in error


def test_good_files_still_load_beside_a_bad_one(tmp_path, demo_data, good_db):
    out, _ = demo_data
    bad = _unknown_headers(tmp_path, demo_data)
    result = CliRunner().invoke(cli, ["ingest", "--db", str(good_db), str(bad), str(out / "daily" / "南湖街道")])
    assert result.exit_code == 1
    assert "1 files failed" in result.output
    assert table_counts(good_db)["daily_reports"] > 0


def test_missing_path(tmp_path):
    result = CliRunner().invoke(cli, ["ingest", "--db", str(tmp_path / "w.db"), str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_failure_midway_rolls_back_the_file(tmp_path, good_db, monkeypatch):
    """An error after some rows were written leaves nothing of that file behind."""
    import dataclasses

    from fangyi.ingest import kinds

    path = tmp_path / "日報.csv"
    path.write_text("日期,單位,新增確診,密接\n2021-01-20,柳岸社區,0,1\n", encoding="utf-8")
    before = table_counts(good_db)

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setitem(kinds.KINDS, "daily", dataclasses.replace(kinds.get("daily"), finish=boom))
    result = CliRunner().invoke(cli, ["ingest", "--db", str(good_db), str(path)])
    assert result.exit_code == 1 and "disk full" in result.output
    assert table_counts(good_db) == {**before, "source_files": before["source_files"] + 1}
