"""Follow-up of findings and the towns' weekly sign-off (fangyi.followup, fangyi.site.follow_up),
on the demo district as the site serves it: marks made through the pages, kept across check
runs under the finding's key, resolved by the data when a late report comes in; the one write
path refused without a login, without the form's token, and for another town; a signed-off week
reopened by a late report; the workbench database untouched by any of it."""
from __future__ import annotations

import asyncio
import hashlib
import io
import re
import sqlite3
from pathlib import Path

import openpyxl
import pytest
from datasette_auth_passwords.utils import hash_password

from conftest import site
from fangyi import followup
from fangyi.checks.bulletin import weekly_bulletin
from fangyi.checks.run import run_checks
from fangyi.ingest.load import ingest
from fangyi.settings import Settings, SettingsError, load as load_settings
from fangyi.site import login

NANHU = "440199003000"          # 南湖街道: two missed reports in 2021-W02
DONGHUA = "440199001000"        # 東華街道
HUBIN_MISSED = ("missing_report", "440199003001", "2021-01-12")     # 湖濱社區
FENGLIN_MISSED = ("missing_report", "440199003003", "2021-01-14")   # 楓林社區


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def finding_id(db: Path, check_id: str, unit_code: str, date: str) -> int:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT finding_id FROM findings WHERE check_id = ? AND unit_code = ? AND date = ?",
                           (check_id, unit_code, date)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def late_report(folder: Path, unit_code: str, name: str, day: str, sent: str) -> Path:
    """A community's report for a day it missed, sent late, as a town forwards it."""
    path = folder / f"{name}補報_{day}.csv"
    path.write_text("單位編碼,單位名稱,統計日期,新增確診,新增疑似,是否零報告,報送時間,填報人,帶班領導\n"
                    f"{unit_code},{name},{day},0,0,是,{sent},王芳,李明\n", encoding="utf-8-sig")
    return path


def town_session(ds, account: str, town: str) -> dict:
    actor = {"id": "inspector", "account": account, "town": town}
    return {login.SESSION_COOKIE: login.open_session(ds, actor)}


async def form_of(ds, url: str, cookies: dict) -> tuple[str, dict]:
    """A page's form token and the cookies that go with it."""
    page = await ds.client.get(url, cookies=cookies)
    assert page.status_code == 200, page.text[-800:]
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return token, {**cookies, "ds_csrftoken": page.cookies.get("ds_csrftoken") or ""}


async def mark(ds, cookies: dict, fid: int, kind: str, note: str = "", put_right_on: str = ""):
    token, jar = await form_of(ds, f"/-/follow-up?finding={fid}", cookies)
    return await ds.client.post("/-/follow-up", cookies=jar, data={
        "finding": str(fid), "mark": kind, "note": note, "put_right_on": put_right_on, "csrftoken": token})


def marks_rows(db: Path, table: str = "marks") -> list:
    path = followup.marks_path(db)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table}").fetchall()
    finally:
        conn.close()


def test_a_mark_stays_on_its_finding_across_check_runs_and_a_corrected_one_is_resolved_by_the_data(
        checked_db_copy, tmp_path):
    db = checked_db_copy
    hubin, fenglin = finding_id(db, *HUBIN_MISSED), finding_id(db, *FENGLIN_MISSED)
    assert hubin and fenglin

    async def first_run():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        me = {login.SESSION_COOKIE: login.open_session(ds)}
        done = await mark(ds, me, hubin, "put_right", "已電話督促補報", "2021-01-13")
        assert done.status_code == 303, done.text[-800:]
        done = await mark(ds, me, fenglin, "confirmed", "社區承認漏報")
        assert done.status_code == 303
        long_note = "社區書記說明：" + "當日值班人員臨時調整，" * 180              # 1,987 characters
        done = await mark(ds, me, fenglin, "note", long_note[:followup.NOTE_MAX_CHARS])
        assert done.status_code == 303, done.text[-300:]                    # the longest note a form takes
        assert (await mark(ds, me, fenglin, "note", long_note + "。" * 30)).status_code == 400
        page = await ds.client.get(f"/-/follow-up?finding={hubin}", cookies=me)
        assert "已整改" in page.text and "已電話督促補報" in page.text and "2021-01-13" in page.text
    asyncio.run(first_run())
    before = sha(db)

    reports = ingest(db, [late_report(tmp_path, "440199003001", "湖濱社區", "2021-01-12", "2021-01-13 15:00")])
    assert [r.status for r in reports] == ["loaded"]
    run_checks(db, Settings())
    assert finding_id(db, *HUBIN_MISSED) is None               # the late report: no longer missing
    fenglin_now = finding_id(db, *FENGLIN_MISSED)
    assert fenglin_now and fenglin_now != fenglin              # the same finding, in a new run

    async def second_run():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        me = {login.SESSION_COOKIE: login.open_session(ds)}
        page = await ds.client.get(f"/-/follow-up?finding={fenglin_now}", cookies=me)
        assert page.status_code == 200
        assert "已核實" in page.text and "社區承認漏報" in page.text
        assert "數據已經變了" not in page.text                 # its data did not change
        gone = await ds.client.get(f"/-/follow-up?finding={hubin}", cookies=me)     # the first run's id
        assert gone.status_code == 200
        assert "數據已更正" in gone.text and "已電話督促補報" in gone.text and 'name="mark"' not in gone.text
    asyncio.run(second_run())

    conn = sqlite3.connect(db)
    state = followup.follow_up(conn, followup.connect_marks(followup.marks_path(db)))
    conn.close()
    assert [m["unit_code"] for m in state.resolved] == ["440199003001"]      # resolved by the data, mark kept
    assert state.counts()["resolved_by_data"] == 1 and state.counts()["confirmed"] == 1
    line = followup.summary_line(db)
    assert "2 followed up" not in line and "1 followed up" in line and "1 resolved by the data" in line
    assert len(marks_rows(db)) == 3
    assert sha(db) != before          # (the ingest and check wrote it; the marks did not: see below)


def test_a_false_alarm_is_counted_in_the_bulletin_and_the_site_writes_nothing_but_marks(checked_db_copy):
    db = checked_db_copy
    fid = finding_id(db, *FENGLIN_MISSED)
    before = sha(db)

    async def go():
        ds = site(db)
        await ds.invoke_startup()
        served = [Path(d.path) for d in ds.databases.values() if d.path]
        served_before = {p: sha(p) for p in served}
        me = {login.SESSION_COOKIE: login.open_session(ds)}
        refused = await mark(ds, me, fid, "false_alarm", "")           # a false alarm needs its reason
        assert refused.status_code == 400 and "理由" in refused.text
        done = await mark(ds, me, fid, "false_alarm", "該社區當日停業整頓，不需報送")
        assert done.status_code == 303
        anonymous = await ds.client.get("/")
        assert "1 個已跟進" in anonymous.text and "1 false alarms" in anonymous.text
        assert "停業整頓" not in anonymous.text                       # counts only, never a note
        export = await ds.client.get("/-/marks.xlsx", cookies=me)
        assert export.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert rows[0][:3] == ["標記編號 mark_id", "時間 marked_at", "賬號 account"]
        assert [(r[3], r[4], r[8], r[10]) for r in rows[1:]] == [
            ("missing_report", "440199003003", "誤報 false_alarm", "該社區當日停業整頓，不需報送")]
        refused = await ds.client.get("/-/marks.xlsx")
        assert refused.status_code == 403 and "停業整頓" not in refused.text
        assert {p: sha(p) for p in served} == served_before
    asyncio.run(go())
    assert sha(db) == before
    text = weekly_bulletin(db, "2021-W02")
    section = text[text.index("## 跟進和審核"):]
    nanhu = next(line for line in section.splitlines() if line.startswith("| 南湖街道"))
    cells = [c.strip() for c in nanhu.strip("|").split("|")]
    assert cells[4] == "1"                          # 誤報 false alarms
    assert "停業整頓" not in text


@pytest.mark.parametrize("case", ["no token", "anonymous", "other town's sign-off", "other town's finding"])
def test_the_one_write_path_refuses_and_writes_nothing(checked_db_copy, case):
    db = checked_db_copy
    fid = finding_id(db, *FENGLIN_MISSED)           # a finding of 南湖街道
    before = sha(db)

    async def go():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        me = {login.SESSION_COOKIE: login.open_session(ds)}
        token, jar = await form_of(ds, f"/-/follow-up?finding={fid}", me)
        data = {"finding": str(fid), "mark": "confirmed", "csrftoken": token}
        if case == "no token":
            resp = await ds.client.post("/-/follow-up", cookies=jar, data={**data, "csrftoken": ""})
        elif case == "anonymous":
            resp = await ds.client.post("/-/follow-up", cookies={"ds_csrftoken": jar["ds_csrftoken"]}, data=data)
        elif case == "other town's sign-off":
            donghua = town_session(ds, "donghua", DONGHUA)
            token, jar = await form_of(ds, "/-/logout", donghua)        # a form of this site: its token
            resp = await ds.client.post("/-/sign-off", cookies=jar,
                                        data={"town": NANHU, "week": "2021-W02", "csrftoken": token})
        else:
            donghua = town_session(ds, "donghua", DONGHUA)
            page = await ds.client.get(f"/-/follow-up?finding={fid}", cookies=donghua)
            assert page.status_code == 200 and 'name="mark"' not in page.text      # no form for another town
            token, jar = await form_of(ds, "/-/logout", donghua)
            resp = await ds.client.post("/-/follow-up", cookies=jar, data={**data, "csrftoken": token})
        assert resp.status_code == 403, resp.text[-800:]
        return resp
    asyncio.run(go())
    assert marks_rows(db) == [] and marks_rows(db, "sign_offs") == []
    assert sha(db) == before


def test_marks_are_append_only(tmp_path):
    conn = followup.connect_marks(tmp_path / "w.marks.db", write=True)
    found = {"finding_key": "k", "check_id": "missing_report", "unit_code": "1", "date": "2021-01-12",
             "subject_key": None, "town_code": "t", "message": "m", "evidence": None, "run_id": 1}
    followup.add_mark(conn, found, "note", followup.Account("inspector"), "第一條")
    for sql in ("UPDATE marks SET note = 'x'", "DELETE FROM marks"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    assert conn.execute("SELECT note FROM marks").fetchall() == [("第一條",)]


def test_a_signed_off_week_is_reopened_by_a_late_report(checked_db_copy, tmp_path):
    db = checked_db_copy
    nanhu = followup.Account("nanhu", NANHU)
    conn = sqlite3.connect(db)
    marks = followup.connect_marks(followup.marks_path(db), write=True)
    assert followup.week_state(conn, marks, NANHU, "2021-W02").state == "waiting"     # its errors unmarked
    errors = [r for r in followup.follow_up(conn, marks).findings
              if r["town_code"] == NANHU and r["iso_week"] == "2021-W02" and r["severity"] == "error"]
    assert len(errors) >= 2
    for e in errors:
        followup.add_mark(marks, e, "confirmed", nanhu, "已核實")
    assert followup.week_state(conn, marks, NANHU, "2021-W02").state == "ready"
    conn.close()
    marks.close()
    before = sha(db)

    async def sign():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        me = town_session(ds, "nanhu", NANHU)
        token, jar = await form_of(ds, "/-/sign-off", me)
        done = await ds.client.post("/-/sign-off", cookies=jar, data={"town": NANHU, "week": "2021-W02",
                                                                      "csrftoken": token})
        assert done.status_code == 303, done.text[-800:]
        page = await ds.client.get("/-/sign-off", cookies=me)
        row = re.search(rf'data-town="{NANHU}" data-week="2021-W02" data-state="(\w+)"', page.text)
        assert row.group(1) == "signed_off"
        district = await ds.client.get("/-/sign-off", cookies={login.SESSION_COOKIE: login.open_session(ds)})
        assert district.text.count("data-state=") > page.text.count("data-state=")     # every town's weeks
        home = await ds.client.get("/", cookies={login.SESSION_COOKIE: login.open_session(ds)})
        overview = home.text[home.text.index("fy-sign-off-overview"):]
        nanhu_row = overview[overview.index("南湖街道"):overview.index("</tr>", overview.index("南湖街道"))]
        assert 'class="fy-week-signed_off"' in nanhu_row            # the district sees who signed off
    asyncio.run(sign())
    assert sha(db) == before

    ingest(db, [late_report(tmp_path, "440199003001", "湖濱社區", "2021-01-12", "2021-01-13 15:00")])
    run_checks(db, Settings())
    conn = sqlite3.connect(db)
    marks = followup.connect_marks(followup.marks_path(db))
    week = followup.week_state(conn, marks, NANHU, "2021-W02")
    assert week.state == "reopened" and "新的報告" in week.why
    assert followup.week_state(conn, marks, DONGHUA, "2021-W02").state != "reopened"
    conn.close()
    marks.close()
    assert "已重開 reopened" in weekly_bulletin(db, "2021-W02")


def test_town_accounts_in_the_settings(tmp_path):
    path = tmp_path / "fangyi.toml"
    hashed = hash_password("pw", iterations=1000)
    path.write_text(f'[site.accounts.nanhu]\npassword_hash = "{hashed}"\ntown = "{NANHU}"\n', encoding="utf-8")
    s = load_settings(path)
    assert s.accounts == {"nanhu": {"password_hash": hashed, "town": NANHU}}
    assert '"town": "440199003000"' in login.environ(s)[login.ACCOUNTS_ENV]
    path.write_text('[site.accounts.nanhu]\npassword_hash = "x"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[site.accounts.nanhu\] town"):
        load_settings(path)


def test_a_town_inspector_logs_in_and_is_that_towns(checked_db_copy, monkeypatch):
    import json

    monkeypatch.setenv(login.ACCOUNTS_ENV, json.dumps(
        {"nanhu": {"password_hash": hash_password("南湖-pass", iterations=1000), "town": NANHU}}))
    db = checked_db_copy

    async def go():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        page = await ds.client.get("/-/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
        resp = await ds.client.post("/-/login", cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]},
                                    data={"username": "nanhu", "password": "南湖-pass", "csrftoken": token})
        assert resp.status_code == 302, resp.text[-800:]
        me = {login.SESSION_COOKIE: resp.cookies[login.SESSION_COOKIE]}
        page = await ds.client.get("/-/sign-off", cookies=me)
        assert page.status_code == 200
        assert set(re.findall(r'data-town="(\d+)"', page.text)) == {NANHU}
    asyncio.run(go())


def test_a_damaged_marks_database_is_said_and_the_check_stands(checked_db_copy):
    db = checked_db_copy
    followup.marks_path(db).write_bytes(b"not a database, a spreadsheet saved over it" * 100)
    line = followup.summary_line(db)
    assert line.startswith("跟進 follow-up: checked.marks.db cannot be read")

    async def go():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        me = {login.SESSION_COOKIE: login.open_session(ds)}
        fid = finding_id(db, *FENGLIN_MISSED)
        page = await ds.client.get(f"/-/follow-up?finding={fid}", cookies=me)
        assert page.status_code == 503 and "無法讀取" in page.text
        assert (await ds.client.get("/", cookies=me)).status_code == 200     # the home page does without
        assert (await ds.client.get("/-/sign-off", cookies=me)).status_code == 503
    asyncio.run(go())


def test_a_mark_whose_finding_changed_underneath_asks_for_a_second_look(checked_db_copy, tmp_path):
    """A late report marked confirmed; then the unit resends that day's report, later still: the
    finding is the same (check, unit, date) but says another time and row, so the mark asks for a
    second look, on the page and in the check's line."""
    db = checked_db_copy
    conn = sqlite3.connect(db)
    unit, name = conn.execute(
        "SELECT f.unit_code, u.name FROM findings f JOIN units_in_force u USING (unit_code) "
        "WHERE f.check_id = 'late_report' AND f.date = '2021-01-17' AND f.unit_code LIKE '4401990030%'").fetchone()
    marks = followup.connect_marks(followup.marks_path(db), write=True)
    found = followup.finding_by_id(conn, finding_id(db, "late_report", unit, "2021-01-17"))
    followup.add_mark(marks, found, "confirmed", followup.Account("inspector"), "社區承認遲報")
    assert followup.quick_counts(conn, marks)["second_look"] == 0
    conn.close()
    marks.close()

    ingest(db, [late_report(tmp_path, unit, name, "2021-01-17", "2021-01-20 16:45")])
    run_checks(db, Settings())
    conn = sqlite3.connect(db)
    marks = followup.connect_marks(followup.marks_path(db))
    state = followup.follow_up(conn, marks)
    again = [f for f in state.findings if f["second_look"]]
    assert [(f["check_id"], f["unit_code"], f["date"], f["state"]) for f in again] == [
        ("late_report", unit, "2021-01-17", "confirmed")]
    assert "2021-01-20T16:45:00" in again[0]["message"]
    conn.close()
    marks.close()
    assert "1 to look at again" in followup.summary_line(db)

    async def go():
        ds = site(db, open_copy=False)
        await ds.invoke_startup()
        page = await ds.client.get(f"/-/follow-up?finding={again[0]['finding_id']}",
                                   cookies={login.SESSION_COOKIE: login.open_session(ds)})
        assert "數據已經變了" in page.text and "社區承認遲報" in page.text
    asyncio.run(go())
