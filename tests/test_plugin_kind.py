"""A new kind of record is one declaration, one check folder and one demo module.

This test writes all three as a package of its own (a district's temperature log, with a
person's name, phone and identity number in it), installs it the way a plug-in is installed (an
entry point in the group `fangyi.kinds`), and runs the real commands in separate processes:
`fangyi demo` writes the kind's file beside the district's and ingests it, `fangyi check` runs
the kind's check, `fangyi serve` publishes it. Nothing of the workbench is edited: the findings
appear, and the personal fields reach no anonymous visitor."""
from __future__ import annotations

import json
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import accepts, free_port

FANGYI = Path(sys.executable).with_name("fangyi")

DECLARATION = '''
"""Kind `temperatures`: a community's temperature log (體溫檢測登記)."""
from pathlib import Path

import polars as pl

from fangyi.ingest.kinds import (FREE_TEXT, ID_NUMBER, NAME, OPEN, PHONE, Column, Field, Kind, Table,
                                 register)


def finish(parsed, ctx):
    return parsed.with_columns(unit_raw=pl.col("unit"), extra=pl.col("_extra"))


KIND = register(Kind(
    name="temperatures",
    title="體溫檢測登記 temperature log",
    fields=(
        Field("unit", ("社區", "單位"), "text", "社區", "Community", "柳岸社區", privacy=FREE_TEXT),
        Field("person", ("姓名",), "text", "姓名", "Person", "王芳", privacy=NAME),
        Field("id_number", ("身份證號", "證件號碼"), "text", "身份證號", "Identity number", "", privacy=ID_NUMBER),
        Field("phone", ("聯繫電話", "電話"), "text", "聯繫電話", "Phone", "", privacy=PHONE),
        Field("checked_on", ("檢測日期", "日期"), "date", "檢測日期", "Date checked", "2021-01-20", privacy=OPEN),
        Field("temperature", ("體溫", "體溫(℃)"), "number", "體溫（℃）", "Temperature (°C)", "36.5", privacy=OPEN),
        Field("remark", ("備註",), "text", "備註", "Remark", "", privacy=FREE_TEXT),
    ),
    recognise=lambda fields: {"person", "temperature"} <= fields,
    label_field="person",
    tables=(Table("temperature_checks", key="check_row_id", names_unit=True, columns=(
        Column("unit_raw", zh="社區（原文照錄）", en="Community as written", privacy=FREE_TEXT),
        Column("person"), Column("id_number"), Column("phone"), Column("checked_on", "TEXT NOT NULL"),
        Column("temperature"), Column("remark"),
        Column("extra", zh="其他列", en="Other columns", privacy=FREE_TEXT),
    )),),
    dated_by="checked_on",
    finish=finish,
    checks=Path(__file__).parent / "checks" / "fever",
    demo="fangyi_fever.demo:write",
))
'''

CHECK = '''-- check: fever_found
-- severity: warning
-- label: 體溫 37.3℃ 以上
-- meaning: a person whose temperature was 37.3 °C or more
-- subject: name
-- open evidence: temperature
SELECT r.unit_code,
       t.checked_on AS date,
       t.person AS subject_key,
       t.person || ' ' || t.checked_on || ' 體溫 ' || t.temperature || '℃（' || COALESCE(t.phone, '') || '） / '
           || t.person || ' had ' || t.temperature || ' °C on ' || t.checked_on AS message,
       json_object('temperature', t.temperature, 'phone', t.phone, 'id_number', t.id_number,
                   'file_id', t.file_id, 'sheet', t.sheet, 'row', t.row_number) AS evidence
FROM temperature_checks t
LEFT JOIN unit_resolutions r ON r.name_id = t.name_id
WHERE t.temperature >= 37.3
'''

DEMO = '''
"""The temperature log of one community: names in the file name, the sheet name, the title, a
remark, an unknown column and the footer."""
from fangyi.demo.files import OutFile, Sheet

PEOPLE = [("葛春蘭", "450103196802154321", "139 1234 5678", 36.6, ""),
          ("歐陽海濤", "45010319750101002X", "13812348765", 37.9, "家屬 司馬秋菊 陪同"),
          ("葛春蘭", "450103196802154321", "139 1234 5678", 38.2, "轉診 (0771) 5551234")]


def write(rng, units):
    unit = next(u for u in units if u.reports_daily and u.town == 1)
    sheet = Sheet("登記人上官婉兒")
    sheet.add("title", [f"{unit.name}體溫檢測登記表（填表人：上官婉兒 13900001111）"])
    sheet.add("header", ["社區", "姓名", "身份證號", "聯繫電話", "檢測日期", "體溫(℃)", "備註", "緊急聯繫人"])
    for i, (name, idn, phone, temp, remark) in enumerate(PEOPLE):
        sheet.add("data", [unit.name, name, idn, phone, f"2021-01-{20 + i}", temp, remark, "慕容雪松 13700002222"])
    sheet.add("footer", ["填表人：上官婉兒　審核人：諸葛明遠　電話：0771-5550000"])
    return [OutFile("temperatures/體溫登記_上官婉兒.xlsx", "temperatures", "xlsx", [sheet])]
'''

PERSONAL = ["葛春蘭", "歐陽海濤", "司馬秋菊", "上官婉兒", "諸葛明遠", "慕容雪松", "450103196802154321",
            "45010319750101002X", "139 1234 5678", "13912345678", "13812348765", "5551234", "13900001111",
            "13700002222", "5550000"]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> dict:
    site = tmp_path_factory.mktemp("site-packages")
    package = site / "fangyi_fever"
    (package / "checks" / "fever").mkdir(parents=True)
    (package / "__init__.py").write_text(DECLARATION, encoding="utf-8")
    (package / "demo.py").write_text(DEMO, encoding="utf-8")
    (package / "checks" / "fever" / "fever_found.sql").write_text(CHECK, encoding="utf-8")
    info = site / "fangyi_fever-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fangyi-fever\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[fangyi.kinds]\ntemperatures = fangyi_fever\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(site))
    work = tmp_path_factory.mktemp("district")
    db_path = work / "workbench.db"
    demo = subprocess.run([FANGYI, "demo", "--no-serve", "--db", str(db_path), "--out", str(work / "data")],
                          cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr[-3000:]
    return {"env": env, "work": work, "db": db_path, "demo": demo.stdout}


def test_the_kind_is_ingested_and_checked(plugin):
    assert "temperatures/體溫登記_上官婉兒.xlsx" in plugin["demo"] or "體溫登記_上官婉兒" in plugin["demo"]
    conn = sqlite3.connect(plugin["db"])
    rows = conn.execute("SELECT person, temperature FROM temperature_checks ORDER BY row_number").fetchall()
    assert rows == [("葛春蘭", 36.6), ("歐陽海濤", 37.9), ("葛春蘭", 38.2)]
    findings = conn.execute("SELECT unit_code, date, subject_key, severity FROM findings WHERE check_id = 'fever_found' "
                            "ORDER BY date").fetchall()
    unit = conn.execute("SELECT unit_code FROM units_in_force WHERE level = 'community' ORDER BY unit_code LIMIT 1"
                        ).fetchone()[0]
    assert findings == [(unit, "2021-01-21", "歐陽海濤", "warning"), (unit, "2021-01-22", "葛春蘭", "warning")]
    # the same check ran again from the command line: its findings in the new run
    check = subprocess.run([FANGYI, "check", "--no-gx", "--db", str(plugin["db"]), "--fail-on", "never"],
                           cwd=plugin["work"], env=plugin["env"], capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr[-2000:]
    assert "fever_found" in check.stdout
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id = 'fever_found'").fetchone() == (2,)
    conn.close()


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_served_without_the_personal_fields(plugin):
    port = free_port()
    proc = subprocess.Popen([FANGYI, "serve", "--db", str(plugin["db"]), "--port", str(port)], cwd=plugin["work"],
                            env=plugin["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    public = plugin["db"].stem + "_open"
    try:
        deadline = time.monotonic() + 120
        while _get(port, f"/{public}.json")[0] != 200 if accepts(port) else True:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the open copy was not served within 120 s"
            time.sleep(0.5)
        pages = {}
        for path in ("/", f"/{public}/findings.json?check_id=fever_found&_shape=objects",
                     f"/{public}/findings?check_id=fever_found", f"/{public}/temperature_checks.json?_shape=objects",
                     f"/{public}/temperature_checks.csv", f"/{public}/temperature_checks.xlsx",
                     f"/{public}/non_data_rows.json", f"/{public}/source_files.json", f"/{public}/source_sheets.json",
                     f"/{public}/rejected_rows.json", f"/{public}/unit_names.json", f"/{public}.db"):
            status, body = _get(port, path)
            assert status == 200, (path, status)
            pages[path] = body
        findings = json.loads(pages[f"/{public}/findings.json?check_id=fever_found&_shape=objects"])["rows"]
        assert len(findings) == 2
        assert {f["subject_key"] for f in findings} == {"人員001", "人員002"} or all(
            f["subject_key"].startswith("人員") for f in findings)
        assert [json.loads(f["evidence"]) for f in findings] == [{"temperature": 37.9}, {"temperature": 38.2}]
        rows = json.loads(pages[f"/{public}/temperature_checks.json?_shape=objects"])["rows"]
        assert [(r["temperature"], r["id_number"], r["remark"], r["extra"]) for r in rows] == [
            (36.6, None, None, None), (37.9, None, None, None), (38.2, None, None, None)]
        assert rows[0]["person"] == rows[2]["person"] != rows[1]["person"]      # one person, one pseudonym
        assert rows[0]["phone"] == "139****5678"
        # the time a page took (query_ms: 1.5550000...) is no data: its digits may be anything
        pages = {path: re.sub(rb'"query_ms":\s*[-0-9.eE+]+', b"", body) for path, body in pages.items()}
        leaks = [(path, word) for path, body in pages.items() for word in PERSONAL
                 if word.encode() in body or word.encode("utf-16-le") in body]
        assert leaks == []
        status, _ = _get(port, f"/{plugin['db'].stem}/temperature_checks.json")
        assert status == 403                      # the full database: the inspector only
        status, _ = _get(port, f"/{public}.json?sql=select+*+from+temperature_checks")
        assert status == 403                      # SQL typed by hand: the inspector's, on the open copy too
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
