"""docs/own-district.md, followed literally on a district of the test's own: two towns each with a
village called 新村, one town's files written in simplified characters (GB18030), and an export
from another office's system whose headers the workbench does not know. The doc's commands run as
a user runs them (the `fangyi` of this Python, in the district's folder, reading ./fangyi.toml
copied from the checkout); every error on the way names what to do next, and the check ends with
exactly the missed and late reports the test left out or sent late.

The district is written here (no demo data): 石橋區 with 西河鎮 (its reports as .xlsx, one file a
week) and 柳塘鎮 (GB18030 .csv in simplified characters), each with three villages reporting
daily, two weeks from 2021-01-11. The two 新村 report only through the foreign export, whose
`province` column names their town."""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "own-district.md"
FIRST = dt.date(2021, 1, 11)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(14)]           # 2021-W02 and 2021-W03

DISTRICT = ("440198000000", "石橋區", "區縣", None, "否")
TOWNS = {"西河鎮": "440198001000", "柳塘鎮": "440198002000"}
VILLAGES = [  # code, name as the registry writes it, level, town, name as the town's files write it
    ("440198001001", "河口社區", "社區", "西河鎮", "河口社區"),
    ("440198001002", "東灣村", "村", "西河鎮", "東灣村"),
    ("440198001003", "新村", "村", "西河鎮", None),               # reported by the foreign export
    ("440198002001", "柳岸社區", "社區", "柳塘鎮", "柳岸社区"),    # simplified in 柳塘鎮's files
    ("440198002002", "南塘村", "村", "柳塘鎮", "南塘村"),
    ("440198002003", "新村", "村", "柳塘鎮", None),
]
# What the test leaves out or sends late: the findings the check must end with, and no other.
MISSED = {("440198001001", "2021-01-13"), ("440198002002", "2021-01-19"), ("440198002003", "2021-01-20")}
LATE = {("440198001002", "2021-01-15"): "2021-01-16 11:30", ("440198002001", "2021-01-21"): "2021-01-22 10:05"}

# Step 5 of the doc, as it tells the user to write it.
HEADERS_LINES = '''unit = ["villages"]
report_date = ["date"]
parent = ["province"]
new_confirmed = ["confirmed"]
new_suspected = ["suspected"]
tests_done = ["tested"]
'''
FILTER_SECTION = '''
[filter.daily]
"國家" = ["中國"]
'''


def export_settings(bundled: str) -> str:
    """The export's settings file as the doc has it written: the bundled one with the header
    lines under its [headers.daily] and the filter at the end."""
    return bundled.replace("\n[headers.daily]\n", "\n[headers.daily]\n" + HEADERS_LINES, 1) + FILTER_SECTION


def start_over(root: Path) -> None:
    """Step 4's "start over", as the doc says it is done once the export has its settings."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / 'db' / 'workbench.db'}{suffix}").unlink(missing_ok=True)
    result = fangyi(root, "ingest", "registry/", "reports/西河鎮", "reports/柳塘镇")
    assert result.returncode == 0, _said(result)
    result = fangyi(root, "--settings", "外來導出.toml", "ingest", "reports/外來導出_2021-01.xlsx")
    assert result.returncode == 0, _said(result)


def _write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> None:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_district(root: Path) -> None:
    """The district's files, as a district office has them (the layout of the doc's example)."""
    registry = [["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報"], list(DISTRICT)]
    registry += [[code, name, "鎮", DISTRICT[0], "否"] for name, code in TOWNS.items()]
    registry += [[code, name, level, TOWNS[town], "是"] for code, name, level, town, _ in VILLAGES]
    _write_xlsx(root / "registry" / "石橋區單位名錄.xlsx", registry, "名錄")

    def sent(code, day):
        return LATE.get((code, day.isoformat()), f"{day + dt.timedelta(days=1)} 08:{10 + int(code[-1]):02d}")

    for week in (DAYS[:7], DAYS[7:]):                           # 西河鎮: .xlsx, traditional, a file a week
        rows = [[f"西河鎮疫情防控日報（{week[0]} 至 {week[-1]}）"],
                ["日期", "單位", "新增確診", "新增疑似", "核酸檢測人數", "填報人", "報送時間"]]
        for day in week:
            for code, _, _, town, written in VILLAGES:
                if town == "西河鎮" and written and (code, day.isoformat()) not in MISSED:
                    rows.append([day.isoformat(), written, 0, 0, 40 + day.day, "王芳", sent(code, day)])
        _write_xlsx(root / "reports" / "西河鎮" / f"西河鎮日報_{week[0]:%m%d}.xlsx", rows, "日報")
    for number, week in enumerate((DAYS[:7], DAYS[7:]), start=2):  # 柳塘鎮: GB18030 .csv, simplified
        lines = ["日期,单位,新增确诊,新增疑似,核酸检测人数,填报人,报送时间"]
        for day in week:
            for code, _, _, town, written in VILLAGES:
                if town == "柳塘鎮" and written and (code, day.isoformat()) not in MISSED:
                    lines.append(f"{day},{written},0,0,{30 + day.day},李强,{sent(code, day)}")
        path = root / "reports" / "柳塘镇" / f"柳塘镇日报_第{number}周.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    export = [["國家", "province", "date", "villages", "confirmed", "suspected", "tested"]]
    for day in DAYS:                                           # the other office's export (step 5)
        for code, name, _, town, written in VILLAGES:
            if written is None and (code, day.isoformat()) not in MISSED:
                export.append(["中國", town, day.isoformat(), name, 0, 0, 100 + day.day])
        export.append(["越南", "河內", day.isoformat(), "新村", 0, 0, 5])
    _write_xlsx(root / "reports" / "外來導出_2021-01.xlsx", export, "export")


def fangyi(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """`fangyi ARGS` as the doc runs it: the venv's command, in the district's folder."""
    script = Path(sys.executable).with_name("fangyi")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fangyi.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGYI_")}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def _said(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def _doc_sql(step: str) -> list[str]:
    """The SQL statements of a step of the doc (its ```sql block), as the user pastes them."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"## {step}", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    return [s.strip() for s in block.split(";") if s.strip() and not all(
        line.startswith("--") for line in s.strip().splitlines())]


@pytest.fixture(scope="module")
def district(tmp_path_factory) -> Path:
    """The district followed through the doc up to the check (steps 1-7); each step asserted."""
    root = tmp_path_factory.mktemp("shiqiao")
    write_district(root)
    doc = DOC.read_text(encoding="utf-8")
    # 1. Install is `make install` (this test runs in the installed venv), then the settings
    assert "make install" in doc.split("## 2.", 1)[0]
    shutil.copy(ROOT / "fangyi.toml", root / "fangyi.toml")
    # 2. The expected headers
    for kind, name in (("units", "單位名錄.xlsx"), ("daily", "日報.xlsx")):
        result = fangyi(root, "template", kind, name)
        assert result.returncode == 0 and (root / name).is_file(), _said(result)
        (root / name).unlink()                     # beside, not among, the files to ingest
    # 3. Ingest the registry, then the reports: the foreign export fails, saying what to add
    result = fangyi(root, "ingest", "registry/")
    assert result.returncode == 0, _said(result)
    result = fangyi(root, "ingest", "reports/")
    said = _said(result)
    assert result.returncode == 1, said
    failed = [line for line in said.splitlines() if "外來導出_2021-01.xlsx" in line]
    assert len(failed) == 1, said                  # once for the file, not once per row or sheet
    line = failed[0]
    assert "FAILED" in line and "工作表「export」第 1 行" in line and "sheet 'export' row 1" in line
    unknown = line.split("not known: ", 1)[1].split(";", 1)[0]
    assert unknown == "國家, province, date, villages, confirmed, suspected, tested"
    assert "add under [headers.daily] in fangyi.toml" in line and 'new_confirmed = ["confirmed"]' in line
    assert line in doc.splitlines()                # the doc shows the line as the command prints it
    native = sum(1 for day in DAYS for code, *_, written in VILLAGES if written and (code, str(day)) not in MISSED)
    assert f"5 files: {native} rows loaded, 0 rejected, 1 files failed" in said   # the towns' rows all loaded
    # 4. What was not loaded: the doc's queries, the failed file with its status and error
    conn = sqlite3.connect(root / "db" / "workbench.db")
    try:
        for statement in _doc_sql("4."):
            conn.execute(statement).fetchall()
        cur = conn.execute(_doc_sql("4.")[0])
        columns = [c[0] for c in cur.description]
        rows = [dict(zip(columns, r)) for r in cur.fetchall()]
    finally:
        conn.close()
    assert {"status", "error"} <= set(columns)
    [foreign] = [r for r in rows if r["path"].endswith("外來導出_2021-01.xlsx")]
    assert foreign["status"] == "failed" and "[headers.daily]" in foreign["error"]
    assert all(r["status"] == "loaded" for r in rows if r is not foreign)
    # 5. The header settings. Pasted as a new section, the bundled file's own [headers.daily]
    # makes it declared twice: the error says how to put it right
    # (in a settings file of the export's own, a copy of fangyi.toml, as the doc says)
    assert "cp fangyi.toml 外來導出.toml" in doc
    settings = root / "外來導出.toml"
    shutil.copy(root / "fangyi.toml", settings)
    bundled = settings.read_text(encoding="utf-8")
    assert bundled.count("\n[headers.daily]\n") == 1
    settings.write_text(bundled + "\n[headers.daily]\n" + HEADERS_LINES + FILTER_SECTION, encoding="utf-8")
    result = fangyi(root, "--settings", "外來導出.toml", "ingest", "reports/外來導出_2021-01.xlsx")
    assert result.returncode == 2 and "[headers.daily] is declared twice" in result.stderr, _said(result)
    assert "move the lines of the second one under the first [headers.daily]" in result.stderr
    # ... as the doc says: the lines under the existing section, the filter as a section of its own
    assert "under the existing `[headers.daily]`" in doc
    settings.write_text(export_settings(bundled), encoding="utf-8")
    assert "fangyi --settings 外來導出.toml ingest reports/外來導出_2021-01.xlsx" in doc
    result = fangyi(root, "--settings", "外來導出.toml", "ingest", "reports/外來導出_2021-01.xlsx")
    assert result.returncode == 0, _said(result)
    assert f"{len(DAYS) * 3} rows read: {len(DAYS) * 2 - 1} loaded, 0 rejected" in result.stdout
    # 7. Check
    result = fangyi(root, "check", "--no-gx")
    assert result.returncode == 1 and "errors" in result.stdout, _said(result)   # the missed reports
    return root


def _findings(root: Path) -> list[tuple]:
    conn = sqlite3.connect(root / "db" / "workbench.db")
    try:
        return conn.execute("SELECT check_id, unit_code, date, message FROM findings ORDER BY 1, 2, 3").fetchall()
    finally:
        conn.close()


def test_the_check_ends_with_exactly_the_injected_findings(district):
    found = _findings(district)
    assert {(c, u, d) for c, u, d, _ in found} == (
        {("missing_report", u, d) for u, d in MISSED} | {("late_report", u, d) for u, d in LATE})
    assert len(found) == len(MISSED) + len(LATE)


def test_a_shared_village_name_is_two_units_named_with_their_towns(district):
    conn = sqlite3.connect(district / "db" / "workbench.db")
    try:
        resolved = conn.execute(
            "SELECT DISTINCT r.parent_raw, n.unit_code FROM daily_reports r "
            "JOIN unit_resolutions n ON n.name_id = r.name_id WHERE r.unit_raw = '新村'").fetchall()
        names = dict(conn.execute("SELECT unit_code, display_name FROM units_in_force"))
    finally:
        conn.close()
    assert sorted(resolved) == [("柳塘鎮", "440198002003"), ("西河鎮", "440198001003")]
    assert names["440198002003"] == "新村（柳塘鎮）" and names["440198001003"] == "新村（西河鎮）"
    assert names["440198001001"] == "河口社區"                 # a unique name stays as it is
    [message] = [m for c, u, d, m in _findings(district) if u == "440198002003"]
    assert message.startswith("新村（柳塘鎮） 2021-01-20 未報送日報")


def test_the_bulletin_names_the_week_and_refuses_another_naming_the_weeks(district):
    result = fangyi(district, "bulletin", "--week", "2021-W03", "--out", "bulletin.md")
    assert result.returncode == 0, _said(result)
    text = (district / "bulletin.md").read_text(encoding="utf-8")
    assert "2021-W03" in text and "新村（柳塘鎮）" in text and "南塘村" in text
    result = fangyi(district, "bulletin", "--week", "2021-W30")
    assert result.returncode == 1
    assert "give one of its weeks: 2021-W02, 2021-W03" in result.stderr, _said(result)


def _serve_banner(root: Path) -> str:
    """What `fangyi serve` prints before it serves (the server is stopped once it has)."""
    script = Path(sys.executable).with_name("fangyi")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fangyi.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGYI_")}
    proc = subprocess.Popen([*command, "serve", "--port", "0"], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Ctrl+C" in line or line.startswith("Error"):
                break
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return "".join(lines)


def test_serve_says_where_and_who_sees_what(district, tmp_path):
    """`fangyi serve` prints its addresses and who may see each before it serves; without a
    password it says that nobody can log in and how to set one; with the password set as step 4
    says (under the bundled file's own [site]), that it is set."""
    said = _serve_banner(district)
    assert "/workbench_open" in said and "everyone" in said, said
    assert re.search(r"inspector only: http://127\.0\.0\.1:0/workbench\n", said), said
    assert "/-/login" in said and "FANGYI_INSPECTOR_PASSWORD_HASH" in said and "nobody can log in" in said
    from datasette_auth_passwords.utils import hash_password

    copy = tmp_path / "shiqiao"
    shutil.copytree(district, copy)
    settings = copy / "fangyi.toml"
    text = settings.read_text(encoding="utf-8")
    assert "# inspector_password_hash = " in text and "replace the commented" in DOC.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("# inspector_password_hash = "))
    settings.write_text(text.replace(line, f'inspector_password_hash = "{hash_password("石橋-2021")}"'),
                        encoding="utf-8")
    said = _serve_banner(copy)
    assert "the inspector password is set" in said and "nobody can log in" not in said, said


def test_starting_over_as_step_4_says_gives_the_same_findings(district, tmp_path):
    """`rm db/workbench.db` and ingest everything again (the towns' files with ./fangyi.toml, the
    export with its own settings): the same findings, and the export's 越南 rows set aside."""
    copy = tmp_path / "shiqiao"
    shutil.copytree(district, copy)
    start_over(copy)
    result = fangyi(copy, "check", "--no-gx")
    assert result.returncode == 1, _said(result)
    assert [f[:3] for f in _findings(copy)] == [f[:3] for f in _findings(district)]
    conn = sqlite3.connect(copy / "db" / "workbench.db")
    try:
        roles = conn.execute("SELECT n.role, count(*) FROM non_data_rows n JOIN source_files f USING (file_id) "
                             "WHERE f.path LIKE '%外來導出%' GROUP BY n.role").fetchall()
    finally:
        conn.close()
    assert dict(roles) == {"header": 1, "filtered": len(DAYS)}     # one 越南 row a day, set aside by the filter
