"""Gatherings (聚集性活動報備) and their attendee lists: the register as villages keep it (a title
row, Chinese dates, the type written many ways), each rule's edges on small hand-made files, the
demo's injected cases found exactly, the forms `fangyi template` writes, and the settings."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import findings_of
from fangyi.checks import CHECKS
from fangyi.checks.run import run_checks
from fangyi.cli import cli
from fangyi.ingest.kinds.gatherings import event_type, id_key, phone_key
from fangyi.ingest.load import ingest
from fangyi.settings import Settings, SettingsError, load

# the register's own checks (gathering_attendee_under_management, which joins the attendee list to
# the returnee register, is tested in test_attendee_under_management.py)
GATHERINGS = sorted(c.id for c in CHECKS if c.suite == "gatherings" and c.id != "gathering_attendee_under_management")

REGISTRY = ("單位編碼,單位名稱,層級,上級編碼\n"
            "440199000000,清河區,區,\n"
            "440199004000,雲峰鎮,鎮,440199000000\n"
            "440199004001,東河村,村,440199004000\n"
            "440199004002,石壩村,村,440199004000\n")
DAILY = "日期,單位,新增確診,密接\n2021-02-01,東河村,0,0\n"

HEADER = ["序號", "村(社區)", "活動類型", "舉辦日期", "舉辦地點", "組織人", "聯繫電話", "預計人數", "實際人數",
          "報備日期", "審批日期", "審批單位", "備註"]
# (row, what it is): each of these is a case below
EVENTS = [
    # 1 a wedding of 60, reported 3 days before: over the limit, nothing else
    [1, "東河村", "婚禮", "2021年2月8日", "東河村張建國家", "張建國", "13800138001", 60, 60, "2021年2月5日", None, None, None],
    # 2 a wedding of exactly 50, reported 3 days before: fine
    [2, "東河村", "結婚", "2021年2月9日", "東河村三組", "李衛東", "13800138002", 50, 50, "2021/2/6", None, None, None],
    # 3 a full-moon feast approved the day after it was held: not in advance
    [3, "東河村", "滿月酒", "2021年2月10日", "東河村文化室", "王小紅", "13800138003", 30, 28, "2021年2月9日",
     "2021年2月11日", "雲峰鎮人民政府", None],
    # 4 an unapproved other event (開業)
    [4, "石壩村", "開業慶典", "2021年2月12日", "石壩村街口", "陳志強", "13800138004", 20, None, "2021年2月10日",
     None, "無", None],
    # 5 a birthday banquet (approved: 壽 is not exempt from approval) inside the ban (2021-02-13 .. 2021-02-20)
    [5, "石壩村", "壽宴", "2021年2月20日", "石壩村劉家", "劉德華", "13800138005", 30, 30, "2021年2月15日", "2021年2月16日",
     "雲峰鎮人民政府", None],
    # 6 a birthday banquet the day after the ban ends: not banned
    [6, "石壩村", "生日宴", "2021年2月21日", "石壩村黃家", "黃海", "13800138006", 30, 30, "2021年2月15日", "2021年2月16日",
     "雲峰鎮", None],
    # 7 a funeral reported on the day: not in advance (提前 is before the day)
    [7, "東河村", "白事", "2021年2月3日", "東河村周家", "周建平", "13800138007", 40, 40, "2021年2月3日", None, None, None],
    # 8 a family dinner of 12: advised 10 (warning), needs no report or approval
    [8, "東河村", "家庭聚餐", "2021年2月11日", "東河村吳家", "吳敏", "13800138008", 12, 12, None, None, None, None],
    # 9 an approved other event, approved 2 days before: fine
    [9, "石壩村", "升學宴", "2021年2月1日", "石壩村飯店", "鄭凱", "13800138009", 40, 35, "2021年1月28日",
     "2021年1月30日", "雲峰鎮人民政府", None],
]
BAN = Settings(gathering_banquet_bans=[(dt.date(2021, 2, 13), dt.date(2021, 2, 20))])


def _register(path: Path, events=EVENTS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "報備登記"
    ws.append(["雲峰鎮聚集性活動報備登記表（2021年2月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for e in events:
        ws.append(e)
    ws.append(["填表人：趙文", None, None, None, None, None, None, None, None, "審核人：錢進"])
    wb.save(path)
    return path


ATTENDEES = ("活動參加人員名單\n"
             "村(社區),舉辦日期,組織人,姓名,身份證號,聯繫電話\n"
             "東河村,2021-02-08,張建國,李秀英,44019919650101123x,\n"
             "東河村,2021-02-08,張 建國,王 強（表弟）,,+86 139-0013-9000\n"
             "東河村,2021-02-08,張建國,趙小兵,,\n"
             "東河村,2021-02-07,張建國,孫麗,,13900139001\n"
             "東河村,,,錢多多,,13900139002\n")


def _checked(tmp_path: Path, settings: Settings | None = None, extra: dict | None = None) -> sqlite3.Connection:
    paths = []
    for name, text in {"units.csv": REGISTRY, "daily.csv": DAILY, **(extra or {})}.items():
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        paths.append(path)
    paths.append(_register(tmp_path / "雲峰鎮活動報備登記表.xlsx"))
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, paths)
    assert all(r.status == "loaded" for r in reports), [(r.path, r.error) for r in reports]
    run_checks(db_path, settings or Settings())
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return conn


def _found(conn, check_id: str) -> list[tuple]:
    rows = conn.execute("SELECT f.subject_key, f.severity, f.message, f.evidence, f.unit_code, f.date FROM findings f "
                        "WHERE check_id = ? ORDER BY date, subject_key", (check_id,)).fetchall()
    return [tuple(r) for r in rows]


def test_the_suite_is_the_contracts_check_ids():
    assert sorted(c.id for c in CHECKS if c.suite == "gatherings") == [
        "gathering_attendee_under_management", "gathering_banned", "gathering_not_in_advance",
        "gathering_over_limit", "gathering_unapproved"]


@pytest.mark.parametrize("written,expected", [
    ("婚禮", ("婚", 0)), ("結婚", ("婚", 0)), ("喜宴", ("婚", 0)), ("婚", ("婚", 0)), ("喪事", ("喪", 0)),
    ("白事", ("喪", 0)), ("葬禮", ("喪", 0)), ("丧事", ("喪", 0)), ("白喜事", ("喪", 0)), ("壽宴", ("壽", 0)),
    ("生日", ("壽", 0)), ("寿宴", ("壽", 0)), ("滿月", ("其他", 0)), ("升學宴", ("其他", 0)), ("其他", ("其他", 0)),
    ("家庭聚餐", ("其他", 1)), ("家宴", ("其他", 1)), ("家庭聚會", ("其他", 1)), ("", (None, None)),
])
def test_event_types_read_as_the_four_words(written, expected):
    assert event_type(written) == expected


def test_person_keys():
    assert id_key(" 44019919650101123x ") == "44019919650101123X"
    assert phone_key("+86 139-0013-9000") == "13900139000" and phone_key("020-81234567") == "02081234567"


def test_the_register_loads_with_its_title_footer_and_chinese_dates(tmp_path):
    conn = _checked(tmp_path)
    (f,) = conn.execute("SELECT rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files "
                        "WHERE kind = 'gatherings'").fetchall()
    assert tuple(f) == (12, 9, 0, 3)
    rows = conn.execute("SELECT event_type, event_type_raw, family, event_date, reported_on, approved_on, approved_by, "
                        "approved_by_raw FROM gathering_events ORDER BY row_number").fetchall()
    assert [tuple(r) for r in rows][0] == ("婚", "婚禮", 0, "2021-02-08", "2021-02-05", None, None, None)
    assert tuple(rows[3]) == ("其他", "開業慶典", 0, "2021-02-12", "2021-02-10", None, None, "無")
    assert tuple(rows[7])[:3] == ("其他", "家庭聚餐", 1)
    assert conn.execute("SELECT count(*) FROM gatherings_current WHERE unit_code IS NOT NULL").fetchone()[0] == 9


def test_over_limit_a_wedding_of_60_not_one_of_50_and_a_family_dinner_of_12_advised(tmp_path):
    conn = _checked(tmp_path)
    found = _found(conn, "gathering_over_limit")
    assert [(s, sev) for s, sev, *_ in found] == [("張建國", "error"), ("吳敏", "warning")]
    wedding, family = found
    assert "實際 60 人" in wedding[2] and "50 人的上限" in wedding[2] and "[gatherings] limit" in wedding[2]
    assert " / " in wedding[2] and "above the limit of 50" in wedding[2]
    assert "家庭聚會建議的 10 人" in family[2] and "family_limit" in family[2]
    ev = json.loads(wedding[3])
    assert (ev["attendees"], ev["limit"], ev["counted_by"], ev["sheet"], ev["row"]) == (60, 50, "actual", "報備登記", 3)
    assert wedding[4] == "440199004001" and wedding[5] == "2021-02-08"
    (run,) = conn.execute("SELECT errors, warnings FROM check_runs").fetchall()
    by_sev = dict(conn.execute("SELECT severity, count(*) FROM findings GROUP BY severity").fetchall())
    assert tuple(run) == (by_sev.get("error", 0), by_sev.get("warning", 0))


def test_limits_are_settings(tmp_path):
    conn = _checked(tmp_path, Settings(gathering_limit=59, gathering_family_limit=12))
    found = _found(conn, "gathering_over_limit")
    assert [s for s, *_ in found] == ["張建國"] and "59 人的上限" in found[0][2]


def test_not_in_advance_approved_the_day_after_and_a_funeral_reported_on_the_day(tmp_path):
    conn = _checked(tmp_path)
    found = _found(conn, "gathering_not_in_advance")
    assert [s for s, *_ in found] == ["周建平", "王小紅"]
    funeral, feast = found
    assert "是舉辦當天，不是提前" in funeral[2] and "reported on the day itself" in funeral[2]
    assert "審批日期 2021-02-11 在舉辦日期之後 1 天" in feast[2] and "approved on 2021-02-11" in feast[2]


def test_unapproved_other_event_and_none_written_as_wu(tmp_path):
    conn = _checked(tmp_path)
    found = _found(conn, "gathering_unapproved")
    assert [s for s, *_ in found] == ["陳志強"]
    assert "沒有鄉鎮審批" in found[0][2] and "without the town's approval" in found[0][2]
    # weddings and funerals are reported, not approved: with the exemption widened to 其他 nothing is unapproved
    (tmp_path / "b").mkdir()
    conn = _checked(tmp_path / "b", Settings(gathering_approval_exempt_types=["婚", "喪", "其他"]))
    assert _found(conn, "gathering_unapproved") == []


def test_banned_inside_the_ban_not_the_day_after_nor_without_a_ban(tmp_path):
    conn = _checked(tmp_path, BAN)
    found = _found(conn, "gathering_banned")
    assert [s for s, *_ in found] == ["劉德華"]
    assert "2021-02-13 至 2021-02-20" in found[0][2] and "banned" in found[0][2]
    (tmp_path / "b").mkdir()
    assert _found(_checked(tmp_path / "b"), "gathering_banned") == []


def test_an_attendee_list_loads_with_its_keys_and_events(tmp_path):
    conn = _checked(tmp_path, extra={"張建國婚宴參加人員名單.csv": ATTENDEES.encode("gb18030")})
    (f,) = conn.execute("SELECT rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files "
                        "WHERE kind = 'gathering_attendees'").fetchall()
    assert tuple(f) == (7, 4, 1, 2)
    (reason,) = conn.execute("SELECT reason FROM rejected_rows WHERE kind = 'gathering_attendees'").fetchone()
    assert "不知道是哪個活動" in reason and "which event is unknown" in reason
    rows = conn.execute("SELECT a.name, a.name_key, a.id_key, a.phone_key, g.status, g.gathering_id IS NOT NULL, "
                        "g.unit_code, g.event_date, g.reason FROM gathering_attendees a "
                        "JOIN gathering_attendance g USING (attendee_id) ORDER BY a.row_number").fetchall()
    assert [tuple(r)[:8] for r in rows] == [
        ("李秀英", "李秀英", "44019919650101123X", None, "matched", 1, "440199004001", "2021-02-08"),
        ("王 強（表弟）", "王强", None, "13900139000", "matched", 1, "440199004001", "2021-02-08"),
        ("趙小兵", "赵小兵", None, None, "matched", 1, "440199004001", "2021-02-08"),
        ("孫麗", "孙丽", None, "13900139001", "unmatched", 0, "440199004001", "2021-02-07"),
    ]
    assert "登記表中沒有這個單位 2021-02-07" in rows[3]["reason"]


def test_an_attendee_list_by_event_number_with_the_date_in_its_title(tmp_path):
    text = ("東河村張建國婚宴參加人員名單（2021年2月8日）\n活動編號,姓名,聯繫電話\nDH-01,李秀英,13900139000\n"
            "DH-09,孫麗,13900139001\n")
    conn = _checked(tmp_path, extra={"名單.csv": text})
    # the register of the test has no event numbers: neither row finds its event, both stay loaded
    rows = conn.execute("SELECT status, matched_by, event_date, reason FROM gathering_attendance "
                        "ORDER BY row_number").fetchall()
    assert [tuple(r)[:3] for r in rows] == [("unmatched", "event_no", "2021-02-08"),
                                            ("unmatched", "event_no", "2021-02-08")]
    assert "沒有活動編號 DH-01" in rows[0]["reason"]
    assert conn.execute("SELECT event_date FROM gathering_attendees LIMIT 1").fetchone()[0] == "2021-02-08"


@pytest.mark.parametrize("kind", ["gatherings", "gathering_attendees"])
def test_template_writes_a_form_the_ingest_reads_back(tmp_path, kind):
    out = tmp_path / f"{kind}.xlsx"
    result = CliRunner().invoke(cli, ["template", kind, str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists()
    (report,) = ingest(tmp_path / "t.db", [out])          # recognised by its headers
    assert report.status == "loaded" and report.kinds == [kind] and report.rows_rejected == 0


SETTINGS = '''
[gatherings]
family_limit = 8
limit = 30
approval_exempt_types = ["婚", "丧"]
banquet_types = ["婚", "喪", "壽", "其他"]

[[gatherings.banquet_ban]]
start = "2021-01-15"
end = "2021-02-20"

[[gatherings.banquet_ban]]
start = 2021-03-01
end = 2021-03-01
'''


def test_settings_read_and_defaults(tmp_path):
    d = Settings()
    assert (d.gathering_family_limit, d.gathering_limit, d.gathering_approval_exempt_types,
            d.gathering_banquet_types, d.gathering_banquet_bans) == (10, 50, ["婚", "喪"], ["婚", "喪", "壽"], [])
    path = tmp_path / "fangyi.toml"
    path.write_text(SETTINGS, encoding="utf-8")
    s = load(path)
    assert (s.gathering_family_limit, s.gathering_limit, s.gathering_approval_exempt_types) == (8, 30, ["婚", "喪"])
    assert s.gathering_banquet_types == ["婚", "喪", "壽", "其他"]
    assert s.gathering_banquet_bans == [(dt.date(2021, 1, 15), dt.date(2021, 2, 20)),
                                        (dt.date(2021, 3, 1), dt.date(2021, 3, 1))]


@pytest.mark.parametrize("text,message", [
    ("[gatherings]\nlimit = 0\n", "[gatherings] limit: 0 is out of range"),
    ("[gatherings]\nfamily_limit = 2.5\n", "[gatherings] family_limit: 2.5 is not a whole number"),
    ("[gatherings]\nbanquet_types = []\n", "[gatherings] banquet_types: [] is not a list of types"),
    ("[gatherings]\napproval_exempt_types = [\"婚禮\"]\n", "'婚禮' is not a type"),
    ("[gatherings]\nlimits = 3\n", "[gatherings]: unknown setting(s) limits"),
    ("[[gatherings.banquet_ban]]\nstart = \"2021-02-20\"\nend = \"2021-02-06\"\n",
     "banquet_ban #1: start 2021-02-20 is after end 2021-02-06"),
    ("[[gatherings.banquet_ban]]\nstart = \"2021-02-20\"\n", "banquet_ban #1: needs both start and end"),
    ("[[gatherings.banquet_ban]]\nstart = \"2021-02-20\"\nend = \"2021-02-30\"\nx = 1\n", "unknown setting(s) x"),
])
def test_bad_settings_name_the_key(tmp_path, text, message):
    path = tmp_path / "fangyi.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        load(path)
    assert message in str(exc.value) and "\n" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# The demo: one injected case of each gathering check, found exactly
# ---------------------------------------------------------------------------------------------

def _demo_settings(manifest: dict) -> Settings:
    ban = manifest["gatherings"]["banquet_ban"]
    return Settings(gathering_banquet_bans=[(dt.date.fromisoformat(ban["start"]), dt.date.fromisoformat(ban["end"]))])


@pytest.fixture(scope="module")
def banned_db(demo_db, demo_data, tmp_path_factory) -> Path:
    """The demo database checked with the banquet ban the demo assumes."""
    import shutil

    _, manifest = demo_data
    path = tmp_path_factory.mktemp("gatherings_demo") / "workbench.db"
    shutil.copy(demo_db, path)
    run_checks(path, _demo_settings(manifest))
    return path


def _source(conn, evidence: dict) -> tuple[str, str, int]:
    (path,) = conn.execute("SELECT path FROM source_files WHERE file_id = ?", (evidence["file_id"],)).fetchone()
    return Path(path).as_posix(), evidence["sheet"], evidence["row"]


@pytest.mark.parametrize("check_id", GATHERINGS)
def test_every_injected_case_found_exactly(banned_db, demo_data, check_id):
    _, manifest = demo_data
    expected = manifest["gatherings"]["defects"][check_id]
    assert len(expected) == 1, check_id
    found = findings_of(banned_db, check_id)
    conn = sqlite3.connect(banned_db)
    got = []
    for f in found:
        path, sheet, row = _source(conn, json.loads(f["evidence"]))
        file = next((e["file"] for e in expected if path.endswith(e["file"])), path)
        got.append({"unit_code": f["unit_code"], "date": f["date"], "subject_key": f["subject_key"], "file": file,
                    "sheet": sheet, "row": row})
        assert " / " in f["message"]
    assert got == expected


def test_without_a_ban_nothing_is_banned_and_the_rest_is_the_same(checked_db, banned_db, demo_data):
    _, manifest = demo_data
    assert findings_of(checked_db, "gathering_banned") == []
    for check_id in ("gathering_over_limit", "gathering_not_in_advance", "gathering_unapproved"):
        assert [tuple(f)[2:] for f in findings_of(checked_db, check_id)] == \
            [tuple(f)[2:] for f in findings_of(banned_db, check_id)]
    # the ban changes no other check's findings
    query = ("SELECT check_id, severity, unit_code, date, subject_key, message, evidence FROM findings "
             "WHERE check_id <> 'gathering_banned' ORDER BY 1, 3, 4, 5, 6")
    assert sqlite3.connect(checked_db).execute(query).fetchall() == sqlite3.connect(banned_db).execute(query).fetchall()


def test_the_demo_attendee_list_finds_its_event(banned_db, demo_data):
    _, manifest = demo_data
    conn = sqlite3.connect(banned_db)
    rows = conn.execute("SELECT a.status, a.matched_by, g.event_no, a.event_date, count(*), count(a.id_key), "
                        "count(a.phone_key) FROM gathering_attendance a JOIN gatherings_current g USING (gathering_id) "
                        "GROUP BY 1, 2, 3, 4").fetchall()
    assert rows == [("matched", "event_no", manifest["gatherings"]["attendees"]["event_no"], "2021-02-04",
                     manifest["gatherings"]["attendees"]["rows"], 6, 5)]
    assert conn.execute("SELECT count(*) FROM gatherings_current").fetchone()[0] == manifest["gatherings"]["events"]


def test_no_gathering_finding_on_the_clean_drop(clean_demo_db, demo_data, tmp_path):
    import shutil

    _, manifest = demo_data
    path = tmp_path / "clean.db"
    shutil.copy(clean_demo_db, path)
    run_checks(path, _demo_settings(manifest))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM gathering_events").fetchone()[0] == manifest["gatherings"]["events"]
    assert conn.execute(f"SELECT check_id, subject_key FROM findings WHERE check_id IN "
                        f"({','.join('?' * len(GATHERINGS))})", GATHERINGS).fetchall() == []


@pytest.mark.parametrize("check_id", GATHERINGS)
def test_every_gathering_check_is_documented(check_id):
    root = Path(__file__).parent.parent
    for doc in ("README.md", "docs/contract.md"):
        assert f"| `{check_id}` |" in (root / doc).read_text(encoding="utf-8"), (doc, check_id)


def test_every_gatherings_setting_is_documented():
    root = Path(__file__).parent.parent
    toml = (root / "fangyi.toml").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    for key in ("family_limit", "limit", "approval_exempt_types", "banquet_types"):
        assert f"\n{key} = " in toml and f"`[gatherings] {key}`" in readme
    assert "[[gatherings.banquet_ban]]" in toml and "`[[gatherings.banquet_ban]] start`, `end`" in readme
    assert load(root / "fangyi.toml").gathering_banquet_bans == []


def test_a_villages_own_register_names_its_village_in_the_title(tmp_path):
    """No unit column: the title 白圩鎮石門村紅白喜事報備登記表 names the village; a funeral written
    老人去世 is a funeral."""
    rows = ["白圩鎮石門村紅白喜事報備登記表", "序號,事主姓名,事由,舉辦時間,預計人數,報備時間,審批日期,鎮審批意見",
            "1,覃大勇,兒子結婚,2021年2月10日,45,2021年2月5日,,", "2,韋阿婆,老人去世,2021年2月12日,40,2021年2月10日,,",
            "3,藍小明,搬新居,2021年2月14日,30,2021年2月8日,2021年2月9日,同意（王主任）"]
    (tmp_path / "紅白喜事.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "units.csv").write_text(REGISTRY + "440199004003,石門村,村,440199004000\n", encoding="utf-8")
    reports = ingest(tmp_path / "w.db", [tmp_path / "units.csv", tmp_path / "紅白喜事.csv"])
    assert reports[1].rows_loaded == 3, reports[1].rejections
    run_checks(tmp_path / "w.db", Settings())
    conn = sqlite3.connect(tmp_path / "w.db")
    got = conn.execute("SELECT unit_raw, unit_code IS NOT NULL, event_type, organiser, approved_by FROM gatherings_current "
                       "ORDER BY event_date").fetchall()
    assert got == [("石門村", 1, "婚", "覃大勇", None), ("石門村", 1, "喪", "韋阿婆", None),
                   ("石門村", 1, "其他", "藍小明", "同意(王主任)")]
    # the approval as written may name whoever signed it: never published
    from fangyi.ingest import kinds
    assert next(f for f in kinds.get("gatherings").fields if f.name == "approved_by").privacy != "open"
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id LIKE 'gathering%'").fetchone()[0] == 0
