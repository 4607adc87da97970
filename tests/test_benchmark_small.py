"""The province benchmark's generator at scale 0.01 (150 communities x 365 days): the checks
find exactly the gaps and late reports it injected, and resubmitted unit-days are not missing.
Counts only; the timings are benchmarks/bench.py's business."""
from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from fangyi.checks.run import run_checks
from fangyi.ingest.load import ingest
from fangyi.settings import Settings

PROVINCE = Path(__file__).parents[1] / "benchmarks" / "province.py"


def _province():
    spec = importlib.util.spec_from_file_location("province", PROVINCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def province_db(tmp_path_factory):
    out = tmp_path_factory.mktemp("province")
    manifest = _province().generate(out, scale=0.01)
    db = out / "workbench.db"
    reports = ingest(db, [out / "units.csv", out / "daily.csv"])
    assert [r.rows_rejected for r in reports] == [0, 0]
    run_checks(db, Settings())
    return out, manifest, db


def _findings(db: Path, check_id: str) -> set[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute("SELECT unit_code, date FROM findings WHERE check_id = ?", (check_id,)).fetchall())
    finally:
        conn.close()


def test_manifest_shape(province_db):
    _, manifest, _ = province_db
    assert manifest["units"] == 150
    assert manifest["expected_unit_days"] == 150 * 365
    assert manifest["daily_rows"] == (manifest["expected_unit_days"] - manifest["missing_unit_days"]
                                      + manifest["resubmitted"])
    assert min(manifest["missing_unit_days"], manifest["late"], manifest["resubmitted"]) > 0


def test_missing_reports_are_the_generated_gaps(province_db):
    _, manifest, db = province_db
    assert len(_findings(db, "missing_report")) == manifest["missing_unit_days"]


def test_late_reports(province_db):
    _, manifest, db = province_db
    assert len(_findings(db, "late_report")) == manifest["late"]


def test_resubmitted_unit_days_are_not_missing(province_db):
    out, manifest, db = province_db
    daily = pl.read_csv(out / "daily.csv", infer_schema=False)
    twice = daily.group_by("日期", "單位編碼").len().filter(pl.col("len") > 1)
    resubmitted = set(zip(twice["單位編碼"], twice["日期"]))
    assert len(resubmitted) == manifest["resubmitted"]
    assert not resubmitted & _findings(db, "missing_report")


def test_same_seed_same_files(tmp_path):
    province = _province()
    first = province.generate(tmp_path / "a", scale=0.002)
    again = province.generate(tmp_path / "b", scale=0.002)
    assert first == again
    assert (tmp_path / "a" / "daily.csv").read_bytes() == (tmp_path / "b" / "daily.csv").read_bytes()
