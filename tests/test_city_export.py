"""A foreign city-level export mapped through settings only, as docs/own-district.md teaches: a
national crawl of daily figures with one update timestamp in milliseconds per row, several
updates per city and day, province and city columns, names with and without their level
suffix, the same short name (朝陽) under two provinces, rows of other countries and names that
are no unit. The findings must equal a truth worked out here from the generated rows, and no
report may resolve to a unit outside the province its row names."""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sqlite3

import pytest
from click.testing import CliRunner

from fangyi.cli import cli

# code, name, level, parent, reports daily; and the ways the export writes each name
REGISTRY = [
    ("110000", "北京市", "省", "", "否", ["北京市", "北京"]),
    ("110105", "朝陽區", "區", "110000", "是", ["朝陽區", "朝陽"]),
    ("110106", "豐台區", "區", "110000", "是", ["豐台區", "豐台"]),
    ("110108", "海澱區", "區", "110000", "是", ["海澱區", "海澱"]),
    ("210000", "遼寧省", "省", "", "否", ["遼寧省", "遼寧"]),
    ("210100", "瀋陽市", "市", "210000", "是", ["瀋陽市", "瀋陽"]),
    ("211300", "朝陽市", "市", "210000", "是", ["朝陽市", "朝陽"]),
    ("310000", "上海市", "省", "", "否", ["上海市", "上海"]),
    ("310114", "嘉定區", "區", "310000", "是", ["嘉定區", "嘉定"]),
    ("310115", "浦東新區", "區", "310000", "是", ["浦東新區", "浦東"]),
    ("460000", "海南省", "省", "", "否", ["海南省", "海南"]),
    ("460100", "海口市", "市", "460000", "是", ["海口市", "海口"]),
    ("469024", "臨高縣", "縣", "460000", "是", ["臨高縣", "臨高"]),
    ("220000", "吉林省", "省", "", "否", ["吉林省", "吉林"]),
    ("222400", "延邊朝鮮族自治州", "自治州", "220000", "是", ["延邊朝鮮族自治州", "延邊", "延邊州"]),
    ("420000", "湖北省", "省", "", "否", ["湖北省", "湖北"]),
    ("420100", "武漢市", "市", "420000", "是", ["武漢市", "武漢"]),
    ("422800", "恩施土家族苗族自治州", "自治州", "420000", "是", ["恩施土家族苗族自治州", "恩施州", "恩施"]),
    ("650000", "新疆維吾爾自治區", "自治區", "", "否", ["新疆維吾爾自治區", "新疆"]),
    ("654000", "伊犁哈薩克自治州", "自治州", "650000", "是", ["伊犁哈薩克自治州", "伊犁州", "伊犁"]),
    ("410000", "河南省", "省", "", "否", ["河南省", "河南"]),
    ("411300", "南陽市", "市", "410000", "是", ["南陽市", "南陽", "南陽（含鄧州）"]),
]
CITIES = [r for r in REGISTRY if r[4] == "是"]
PARENT = {r[0]: r[3] for r in REGISTRY}
WRITTEN = {r[0]: r[5] for r in REGISTRY}
# (province as written, city as written): what the crawl holds that is no unit of the registry;
# 豐台 is Beijing's and must not be taken for a unit of 海南省.
NOT_UNITS = [("湖北省", "待明確地區"), ("上海市", "外地來滬人員"), ("海南省", "豐台")]
FIRST, DAYS = dt.date(2020, 2, 10), 14
NOON = dt.time(12, 0)
SILENT = ("211300", 3, 6)          # Liaoning's 朝陽 sends nothing on days 3..6: a streak

HEADER = ["continentName", "countryName", "provinceName", "provinceEnglishName", "province_zipCode",
          "province_confirmedCount", "province_suspectedCount", "province_curedCount", "province_deadCount",
          "updateTime", "cityName", "cityEnglishName", "city_zipCode", "city_confirmedCount",
          "city_suspectedCount", "city_curedCount", "city_deadCount"]

SETTINGS = f"""
[period]
start = "{FIRST}"
end = "{FIRST + dt.timedelta(days=DAYS - 1)}"

[deadline]
days_after = 0
time = "12:00"

[headers.daily]
unit = ["cityName"]
parent = ["provinceName"]
report_date = ["updateTime"]
submitted_at = ["updateTime"]
new_confirmed = ["city_confirmedCount"]
new_suspected = ["city_suspectedCount"]
home_isolation = ["city_curedCount"]
fever_cases = ["city_deadCount"]

[filter.daily]
countryName = ["中國"]
"""


def _stamp(rng: random.Random, day: dt.date, seconds: int) -> str:
    ms = rng.randrange(1000)
    text = f"{day} {seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return text + (f".{ms:03d}" if rng.random() < 0.9 else f".{ms:03d}".rstrip("0").rstrip("."))


def _crawl(seed: int = 7):
    """Rows of the export and, per data row, the unit it must resolve to (None: no unit)."""
    rng = random.Random(seed)
    rows, truth = [], []          # truth: (unit code or None, province written, city written, day, stamp)
    for d in range(DAYS):
        day = FIRST + dt.timedelta(days=d)
        for code, *_ in CITIES:
            if (code == SILENT[0] and SILENT[1] <= d <= SILENT[2]) or rng.random() < 0.08:
                continue
            times = sorted(rng.sample(range(0, 86400), rng.randint(1, 3)))
            if rng.random() < 0.1:
                times[-1] = 11 * 3600 + 59 * 60 + 59          # 11:59:59.xxx: on time, fractions cut
            for t in times:
                truth.append((code, rng.choice(WRITTEN[PARENT[code]]), rng.choice(WRITTEN[code]), day,
                              _stamp(rng, day, t)))
        for province, city in NOT_UNITS:
            if rng.random() < 0.5:
                truth.append((None, province, city, day, _stamp(rng, day, rng.randrange(86400))))
    rng.shuffle(truth)
    for code, province, city, day, stamp in truth:
        n = rng.randrange(50)
        rows.append(["亞洲", "中國", province, "", "", n * 3, 0, n, 0, stamp, city, "", code or "",
                     n, rng.randrange(3), n // 2, 0])
    for _ in range(20):            # the crawl's other countries: filtered out by the settings
        rows.insert(rng.randrange(len(rows)), ["亞洲", "日本", "日本", "Japan", "", 5, 0, 1, 0,
                                                _stamp(rng, FIRST, 3600), "", "", "", "", "", "", ""])
    return rows, truth


def _expected(truth):
    """Findings as the rules define them, from the generated rows alone."""
    days = [FIRST + dt.timedelta(days=d) for d in range(DAYS)]
    last: dict[tuple[str, dt.date], str] = {}
    unknown = set()
    for code, _, city, day, stamp in truth:
        if code is None:
            unknown.add((city, str(day)))
            continue
        cut = stamp[:19]            # fractions of a second are cut, not rounded
        if (code, day) not in last or cut > last[(code, day)]:
            last[(code, day)] = cut
    missing = {(code, str(day)) for code, *_ in CITIES for day in days if (code, day) not in last}
    late = {(code, str(day)) for (code, day), cut in last.items()
            if cut > f"{day} {NOON.isoformat()}"}
    streaks = set()
    for code, *_ in CITIES:
        run = []
        for day in days + [None]:
            if day is not None and (code, str(day)) in missing:
                run.append(day)
                continue
            if len(run) >= 3:
                streaks.add((code, str(run[0])))
            run = []
    return missing, late, unknown, streaks


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("city")
    registry = folder / "全國城市名錄.csv"
    with registry.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["代碼", "名稱", "級別", "上級代碼", "是否日報"])
        w.writerows(r[:5] for r in REGISTRY)
    rows, truth = _crawl()
    export = folder / "DXYArea.csv"
    with export.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    (folder / "fangyi.toml").write_text(SETTINGS, encoding="utf-8")
    db_path = folder / "w.db"
    base = ["--settings", str(folder / "fangyi.toml")]
    ingested = CliRunner().invoke(cli, [*base, "ingest", "--db", str(db_path), str(registry), str(export)])
    assert ingested.exit_code == 0, ingested.output
    checked = CliRunner().invoke(cli, [*base, "check", "--db", str(db_path), "--no-gx"])
    assert checked.exit_code in (0, 1), checked.output
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return conn, rows, truth


def _findings(conn, check_id, key="unit_code"):
    return {(r[key], r["date"]) for r in conn.execute(
        f"SELECT {key}, date FROM findings WHERE check_id = ?", (check_id,))}


def test_every_row_of_the_crawl_is_accounted_for(checked):
    conn, rows, truth = checked
    f = conn.execute("SELECT rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files "
                     "WHERE path LIKE '%DXYArea.csv'").fetchone()
    assert tuple(f) == (len(rows) + 1, len(truth), 0, len(rows) - len(truth) + 1)
    fields = json.loads(conn.execute("SELECT s.fields FROM source_sheets s JOIN source_files f USING (file_id) "
                                     "WHERE f.path LIKE '%DXYArea.csv'").fetchone()[0])
    assert fields["report_date"] == fields["submitted_at"] == "updateTime"
    got = {(r["report_date"], r["submitted_at"]) for r in conn.execute("SELECT report_date, submitted_at FROM daily_reports")}
    assert got == {(str(day), stamp[:10] + "T" + stamp[11:19]) for _, _, _, day, stamp in truth}


def test_no_report_resolves_outside_its_province(checked):
    conn, rows, truth = checked
    by_row = {r["row_number"]: r["unit_code"] for r in conn.execute("SELECT row_number, unit_code FROM daily_reports_resolved")}
    data = [row for row in rows if row[1] == "中國"]
    expected = {i + 2: (row[12] or None) for i, row in enumerate(rows) if row[1] == "中國"}
    assert len(expected) == len(data) == len(by_row)
    assert by_row == expected
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id = 'ambiguous_unit'").fetchone()[0] == 0


def test_the_findings_equal_the_truth(checked):
    conn, _, truth = checked
    missing, late, unknown, streaks = _expected(truth)
    assert missing and late and unknown and streaks
    assert _findings(conn, "missing_report") == missing
    assert _findings(conn, "late_report") == late
    assert _findings(conn, "unknown_unit", "subject_key") == unknown
    assert _findings(conn, "silent_streak") == streaks
    hainan = conn.execute("SELECT message FROM findings WHERE check_id = 'unknown_unit' AND subject_key = '豐台'"
                          ).fetchone()[0]
    assert "「豐台」不在 海南省（上級列）之下；北京市 有 豐台區" in hainan


def test_the_settings_of_the_guide_load(tmp_path):
    """docs/own-district.md, section 9: its settings are valid and map as the section says."""
    from pathlib import Path

    from fangyi.settings import load

    guide = (Path(__file__).parent.parent / "docs" / "own-district.md").read_text(encoding="utf-8")
    section = guide.split("## 9.", 1)[1]
    block = section.split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "fangyi.toml").write_text(block, encoding="utf-8")
    settings = load(tmp_path / "fangyi.toml")
    daily = settings.header_synonyms["daily"]
    assert daily["report_date"] == daily["submitted_at"] == ["updateTime"]
    assert daily["parent"] == ["provinceName"] and settings.time_zone == "Asia/Shanghai"
    assert (settings.deadline_days_after, settings.deadline_time) == (0, dt.time(12, 0))
