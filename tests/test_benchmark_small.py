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
    returnees = [out / f for f in manifest["returnees"]["files"]]
    reports = ingest(db, [out / "units.csv", out / "daily.csv", *returnees])
    assert [r.rows_rejected for r in reports] == [0] * (2 + len(returnees))
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


def test_returnee_registers_give_exactly_their_injected_cases(province_db):
    """1% of the communities keep a returnee register (XLSX with test columns, or a GB18030 CSV
    with an XLSX test sheet): every row loads, every test matches its returnee, and each returnee
    check finds exactly the cases the generator injected (none for the rest: the daily reports'
    返鄉人員登記 are the registers' registrations)."""
    _, manifest, db = province_db
    section = manifest["returnees"]
    assert section["units"] == 2 and 20 <= section["returnees"] <= 80
    assert section["register_test_cells"] > 0 and section["test_rows"] > 0
    assert any(f.endswith(".csv") for f in section["files"]) and any(f.endswith(".xlsx") for f in section["files"])
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM returnees_current WHERE unit_code IS NOT NULL").fetchone()[0] \
            == section["returnees"]
        assert conn.execute("SELECT count(*) FROM returnee_test_results WHERE returnee_id IS NULL").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM returnee_test_results").fetchone()[0] \
            == section["register_test_cells"] + section["test_rows"]
    finally:
        conn.close()
    for check_id, count in section["defects"].items():
        assert len(_findings(db, check_id)) == count, check_id
    assert sum(section["defects"].values()) == 4


def test_same_seed_same_files(tmp_path):
    province = _province()
    first = province.generate(tmp_path / "a", scale=0.002)
    again = province.generate(tmp_path / "b", scale=0.002)
    assert first == again
    assert (tmp_path / "a" / "daily.csv").read_bytes() == (tmp_path / "b" / "daily.csv").read_bytes()
    for name in first["returnees"]["files"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # the registers draw from a generator of their own: without them the same gaps, late and
    # resubmitted reports (only the register communities' 返鄉人員登記 differ)
    without = province.generate(tmp_path / "c", scale=0.002, returnees=False)
    assert "returnees" not in without and not (tmp_path / "c" / "returnees").exists()
    same = ("missing_unit_days", "late", "resubmitted", "daily_rows", "expected_unit_days")
    assert {k: without[k] for k in same} == {k: first[k] for k in same}


def test_the_towns_shape_gives_the_same_findings(tmp_path):
    """The same province as towns send it (province.py --shape towns): 240 town-month files,
    half GB18030 and half UTF-8 with a BOM, dates 2021年1月5日 and times 2021/1/6 8:30, no unit
    code but the town in its own column (街道, named in the settings) and 40 community names in
    every town, the last day apart as a day's drop. Every row loads, every name resolves to its
    town's community, and missing and late reports are exactly the generated ones."""
    from fangyi import settings as fangyi_settings

    out = tmp_path / "towns"
    manifest = _province().generate(out, scale=0.01, returnees=False, shape="towns")
    files = sorted((out / "daily").rglob("*.csv"))
    assert len(files) == 240 and len(list((out / "drop").rglob("*.csv"))) == 20
    assert {f.read_bytes()[:3] == b"\xef\xbb\xbf" for f in files} == {True, False}     # both encodings
    toml = out / "settings.toml"
    toml.write_text(f'[period]\nstart = "{manifest["start"]}"\nend = "{manifest["end"]}"\n' + manifest["settings"],
                    encoding="utf-8")
    settings = fangyi_settings.load(toml)
    db = out / "workbench.db"
    reports = ingest(db, [out / "units.csv", out / "daily"], options=settings.ingest_options())
    reports += ingest(db, [out / "drop"], options=settings.ingest_options())
    assert len(reports) == 1 + 240 + 20 and {r.status for r in reports} == {"loaded"}
    assert sum(r.rows_loaded for r in reports[1:]) == manifest["daily_rows"]
    assert sum(r.rows_rejected for r in reports) == 0
    run_checks(db, settings)
    assert len(_findings(db, "missing_report")) == manifest["missing_unit_days"]
    assert len(_findings(db, "late_report")) == manifest["late"]
    assert not _findings(db, "unknown_unit") and not _findings(db, "ambiguous_unit")
