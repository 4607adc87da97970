"""Unit names resolve to registry codes by code, name, trad/simp form, missing suffix or alias."""
from __future__ import annotations

import sqlite3

import openpyxl
import pytest

from conftest import file_id
from fangyi.checks.run import materialise
from fangyi.ingest.load import ingest
from fangyi.keys import norm, short_name
from fangyi.settings import Settings


def test_every_alias_and_variant_resolves(demo_conn, demo_data):
    _, manifest = demo_data
    assert len(manifest["aliases"]) > 20
    for a in manifest["aliases"]:
        row = demo_conn.execute(
            "SELECT unit_raw, unit_code FROM daily_reports_resolved WHERE file_id = ? AND sheet = ? AND row_number = ?",
            (file_id(demo_conn, a["file"]), a["sheet"], a["row"])).fetchone()
        assert row is not None, a
        assert row["unit_raw"].replace(" ", "").replace("\u3000", "") == a["raw_name"].replace(" ", "").replace("\u3000", "")
        assert row["unit_code"] == a["unit_code"], a


def test_unknown_units_are_kept_with_their_raw_name(demo_conn, demo_data):
    _, manifest = demo_data
    unresolved = demo_conn.execute(
        "SELECT unit_raw, report_date FROM daily_reports_current WHERE unit_code IS NULL").fetchall()
    expected = {(u["raw_name"], u["date"]) for u in manifest["defects"]["unknown_unit"]}
    assert expected
    assert {tuple(r) for r in unresolved} == expected


def _registry(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["單位編碼", "單位名稱", "層級", "上級編碼", "別名"])
    for r in rows:
        ws.append(r)
    wb.save(path)


def test_resolution_rules(tmp_path):
    _registry(tmp_path / "units.xlsx", [
        ["440100001000", "白雲街道", "街道", "440100000000", None],
        ["440100001001", "新村社區", "社區", "440100001000", None],
        ["440100001002", "新村", "村", "440100001000", None],          # '新村' is a full name here
        ["440100001003", "東山社區", "社區", "440100001000", "東山居委會／山下"],
        ["440100001004", "南岸社區", "社區", "440100001000", None],
        ["440100002004", "南岸村", "村", "440100002000", None],        # 南岸 is ambiguous
    ])
    (tmp_path / "daily.csv").write_text(
        "日期,單位,單位編碼,新增確診,密接\n"
        "2021-01-20,新村社区,,0,0\n"         # simplified full name
        "2021-01-20,新村,,0,0\n"             # exact name of the village, not the short 新村社區
        "2021-01-20,东山,,0,0\n"             # simplified, no suffix
        "2021-01-20,山下,,0,0\n"             # alias after a full-width slash
        "2021-01-20,ＤＵＭＭＹ,440100001004,0,0\n"  # the code wins over the name
        "2021-01-20,南岸,,0,0\n"             # ambiguous short name: left unresolved
        "2021-01-20, 东 山 社 区 ,,0,0\n",   # spaces
        encoding="utf-8")
    ingest(tmp_path / "w.db", [tmp_path / "units.xlsx", tmp_path / "daily.csv"])
    materialise(tmp_path / "w.db")
    conn = sqlite3.connect(tmp_path / "w.db")
    got = conn.execute("SELECT unit_code, resolution, matched_by, candidates FROM daily_reports_resolved "
                       "ORDER BY row_number").fetchall()
    assert [g[0] for g in got] == ["440100001001", "440100001002", "440100001003", "440100001003",
                                   "440100001004", None, "440100001003"]
    assert [g[2] for g in got] == ["name", "name", "short_name", "alias", "code", None, "name"]
    assert got[5][1:] == ("ambiguous", None, '["440100001004", "440100002004"]')


def test_settings_alias_resolves(tmp_path):
    _registry(tmp_path / "units.xlsx", [["440100001001", "新村社區", "社區", "440100001000", None]])
    (tmp_path / "daily.csv").write_text("日期,單位,新增確診,密接\n2021-01-20,老新村居委,0,0\n", encoding="utf-8")
    ingest(tmp_path / "w.db", [tmp_path / "units.xlsx", tmp_path / "daily.csv"])
    materialise(tmp_path / "w.db")
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT unit_code, resolution FROM daily_reports_resolved").fetchone() == (None, "unknown")
    materialise(tmp_path / "w.db", Settings(unit_aliases={"440100001001": ["老新村居委"]}))
    assert conn.execute("SELECT unit_code, matched_by FROM daily_reports_resolved").fetchone() == (
        "440100001001", "settings_alias")


def test_registry_loaded_after_reports_still_resolves(tmp_path):
    (tmp_path / "daily.csv").write_text("日期,單位,新增確診,密接\n2021-01-20,新村社區,0,0\n", encoding="utf-8")
    ingest(tmp_path / "w.db", [tmp_path / "daily.csv"])
    _registry(tmp_path / "units.xlsx", [["440100001001", "新村社區", "社區", "440100001000", None]])
    ingest(tmp_path / "w.db", [tmp_path / "units.xlsx"])
    materialise(tmp_path / "w.db")
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT unit_code FROM daily_reports_current").fetchone()[0] == "440100001001"



@pytest.mark.parametrize("name, short", [
    ("朝陽區", "朝阳"), ("臨高縣", "临高"), ("北京市", "北京"), ("遼寧省", "辽宁"), ("浦東新區", "浦东"),
    ("延邊朝鮮族自治州", "延边"), ("恩施土家族苗族自治州", "恩施"), ("伊犁哈薩克自治州", "伊犁"),
    ("新疆維吾爾自治區", "新疆"), ("內蒙古自治區", "内蒙古"), ("西雙版納傣族自治州", "西双版纳"),
    ("恩施州", "恩施"), ("阿里地區", "阿里"), ("錫林郭勒盟", "锡林郭勒"), ("盤福社區居委會", "盘福"),
    ("柳岸社區", "柳岸"), ("石角鎮", "石角"), ("北京街道", "北京"),
    ("沛縣", "沛县"), ("泸州", "泸州"), ("新村", "新村"),       # at least two characters stay
])
def test_short_names_at_every_level(name, short):
    assert short_name(norm(name)) == short
