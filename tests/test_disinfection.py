"""Disinfection logs (kind `disinfection`), the places to disinfect (kind `disinfection_places`,
or the settings' [[disinfection.places]]) and the check disinfection_missed, which reads the
shared expected-record calendar (checks/_materialise/800, 810): daily places, closed places,
two-hourly lift logs with times written 8:00 / 10:05 / 12時, dates-only logs, places written with
or without their suffix; and a plug-in kind marked expected that gets its expected days from the
same machinery with no SQL of its own."""
from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import findings_of

from fangyi.checks.run import run_checks
from fangyi.ingest import kinds
from fangyi.ingest.kinds.disinfection import time_of_day
from fangyi.ingest.load import ingest
from fangyi.settings import Settings, SettingsError, load

TOWN, LIUAN, TAOYUAN = "450103001000", "450103001001", "450103001002"
UNITS = [["單位編碼", "單位名稱", "層級", "上級編碼", "是否日報"],
         ["450103000000", "青秀區", "區", "", "否"],
         [TOWN, "新竹街道", "街道", "450103000000", "否"],
         [LIUAN, "柳岸社區", "社區", TOWN, "是"],
         [TAOYUAN, "桃源社區", "社區", TOWN, "是"]]
LOG_HEADER = ["社區", "消毒場所", "日期", "時間", "消毒劑", "消毒人員", "監督人"]


def _csv(path: Path, rows: list[list], encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _run(tmp_path: Path, files: dict[str, list[list]], settings: Settings | None = None,
         start="2021-02-01", end="2021-02-04") -> Path:
    data = tmp_path / "data"
    _csv(data / "units.csv", UNITS)
    for name, rows in files.items():
        _csv(data / name, rows, "gbk" if name.endswith("gbk.csv") else "utf-8-sig")
    db = tmp_path / "wb.db"
    reports = ingest(db, [data])
    assert all(r.status == "loaded" for r in reports), [r.error for r in reports]
    settings = settings or Settings()
    settings.period_start, settings.period_end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    run_checks(db, settings)
    return db


def _found(db: Path) -> list[tuple]:
    return [(f["unit_code"], f["date"], f["subject_key"], json.loads(f["evidence"])["judged_by"],
             json.loads(f["evidence"])["slot_start"]) for f in findings_of(db, "disinfection_missed")]


def _daily_log(place: str, days, unit="柳岸社區") -> list[list]:
    return [["柳岸社區小區消毒記錄表（2021年2月）"], LOG_HEADER] + [
        [unit, place, f"2021年2月{d}日", "", "84消毒液", "歐陽春生", "司馬秋月"] for d in days]


def _places(settings: Settings, *entries) -> Settings:
    settings.disinfection_places = [{"unit_code": c, "place": p, "frequency": f, "opened_on": None,
                                     "closed_on": closed} for c, p, f, closed in entries]
    return settings


def test_times_as_written():
    assert [time_of_day(t) for t in ("8:00", "10:05", "12時", "12时30分", "下午2點", "8點半", "08:00:00", "14：00",
                                     "2021-02-01 09:15:00", "", None, "上班前", "25:00")] == [
        "08:00", "10:05", "12:00", "12:30", "14:00", "08:30", "08:00", "14:00", "09:15", None, None, "", ""]


def test_a_daily_place_missing_a_day(tmp_path):
    db = _run(tmp_path, {"log.csv": _daily_log("桃源小區", (1, 2, 4))},
              _places(Settings(), (LIUAN, "桃源小區", "daily", None)))
    assert _found(db) == [(LIUAN, "2021-02-03", "桃源小區", "day", None)]
    (f,) = findings_of(db, "disinfection_missed")
    assert "按日判斷" in f["message"] and "judged by the day" in f["message"]


def test_a_closed_place_is_not_expected_after_closing(tmp_path):
    db = _run(tmp_path, {"log.csv": _daily_log("桃源小區", (1,))},
              _places(Settings(), (LIUAN, "桃源小區", "daily", "2021-02-02")))
    assert _found(db) == [(LIUAN, "2021-02-02", "桃源小區", "day", None)]


def _lift_log(times_by_day: dict[int, list[str]], place="1號樓電梯") -> list[list]:
    rows = [["物業公司電梯消毒記錄（2021年2月，每2小時一次）"], ["小區所屬社區", "消毒點位", "消毒日期", "消毒時間", "消毒液", "消毒人", "檢查人"]]
    for day, times in times_by_day.items():
        rows += [["柳岸社區", place, f"2月{day}日", t, "含氯消毒液500mg/L", "上官大勇", "諸葛小花"] for t in times]
    return rows


FULL = ["8:00", "10:05", "12時", "14:10", "16:00", "18:30"]


def test_an_every_2h_log_missing_one_slot_and_10_05_fills_the_10_slot(tmp_path):
    missing = [t for t in FULL if t != "14:10"]
    db = _run(tmp_path, {"lift_gbk.csv": _lift_log({1: FULL, 2: missing})},
              _places(Settings(), (LIUAN, "1號樓電梯", "every_2h", None)), end="2021-02-02")
    assert _found(db) == [(LIUAN, "2021-02-02", "1號樓電梯", "slot", "14:00")]
    (f,) = findings_of(db, "disinfection_missed")
    assert "14:00-16:00" in f["message"]
    conn = sqlite3.connect(db)
    # the 10:05 record is in the 10:00-12:00 slot, and the slots follow the opening hours
    assert conn.execute("SELECT slot_start, slot_end, records FROM expected_record_status WHERE day = '2021-02-01' "
                        "AND kind = 'disinfection' ORDER BY slot").fetchall() == [
        ("08:00", "10:00", 1), ("10:00", "12:00", 1), ("12:00", "14:00", 1), ("14:00", "16:00", 1),
        ("16:00", "18:00", 1), ("18:00", "20:00", 1)]
    assert conn.execute("SELECT count(*) FROM disinfection_records").fetchone() == (11,)
    conn.close()


def test_opening_hours_change_the_slots(tmp_path):
    settings = _places(Settings(), (LIUAN, "1號樓電梯", "every_2h", None))
    settings.disinfection_opening_hours = (dt.time(8), dt.time(13))
    db = _run(tmp_path, {"lift.csv": _lift_log({1: ["8:00", "10:05"]})}, settings, end="2021-02-01")
    assert _found(db) == [(LIUAN, "2021-02-01", "1號樓電梯", "slot", "12:00")]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT slot_start, slot_end FROM expected_record_status ORDER BY slot").fetchall() == [
        ("08:00", "10:00"), ("10:00", "12:00"), ("12:00", "13:00")]
    conn.close()


def test_a_dates_only_log_is_judged_per_day(tmp_path):
    db = _run(tmp_path, {"log.csv": _daily_log("1號樓電梯", (1, 2, 4))},
              _places(Settings(), (LIUAN, "1號樓電梯", "every_2h", None)))
    # a day with records but no times cannot be judged by slot: only the missing day is found
    assert _found(db) == [(LIUAN, "2021-02-03", "1號樓電梯", "day", None)]
    (f,) = findings_of(db, "disinfection_missed")
    assert "只按日判斷" in f["message"] and "only the day is judged" in f["message"]


def test_twice_daily_needs_a_record_before_and_after_noon(tmp_path):
    db = _run(tmp_path, {"lift.csv": _lift_log({1: ["8:00", "15:00"], 2: ["8:00", "11:30"]}, place="大堂")},
              _places(Settings(), (LIUAN, "大堂", "twice_daily", None)), end="2021-02-02")
    assert _found(db) == [(LIUAN, "2021-02-02", "大堂", "slot", "12:00")]


def test_a_place_written_with_or_without_its_suffix(tmp_path):
    # the settings write 桃源小區, the log 桃源; a places sheet lists 2號樓, the log 2號樓電梯
    places = [["單位編碼", "社區", "消毒場所", "頻次", "停用日期"], [LIUAN, "柳岸社區", "2號樓", "每日一次", ""]]
    db = _run(tmp_path, {"log.csv": _daily_log("桃源", (1, 2, 3, 4)) + [
        ["柳岸社區", "2號樓電梯", f"2021-02-0{d}", "", "84消毒液", "歐陽春生", "司馬秋月"] for d in (1, 2, 4)],
        "places.csv": places}, _places(Settings(), (LIUAN, "桃源小區", "daily", None)))
    assert _found(db) == [(LIUAN, "2021-02-03", "2號樓", "day", None)]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT subject_key, source FROM expected_subjects ORDER BY 1").fetchall() == [
        (f"{LIUAN}:2号楼", "sheet"), (f"{LIUAN}:桃源", "settings")]
    conn.close()


def test_a_place_of_another_unit_is_not_a_record(tmp_path):
    db = _run(tmp_path, {"log.csv": _daily_log("桃源小區", (1, 2, 3, 4), unit="桃源社區")},
              _places(Settings(), (LIUAN, "桃源小區", "daily", None)))
    assert len(_found(db)) == 4


def test_unreadable_time_is_rejected_naming_the_column(tmp_path):
    data = tmp_path / "data"
    _csv(data / "units.csv", UNITS)
    _csv(data / "lift.csv", _lift_log({1: ["8:00", "午飯後"]}))
    db = tmp_path / "wb.db"
    ingest(db, [data])
    conn = sqlite3.connect(db)
    ((column, reason),) = conn.execute("SELECT column_name, reason FROM rejected_rows").fetchall()
    assert column == "消毒時間" and "午飯後" in reason and "unreadable time" in reason
    read, loaded, rejected, not_data = conn.execute(
        "SELECT rows_read, rows_loaded, rows_rejected, rows_not_data FROM source_files WHERE path LIKE '%lift%'").fetchone()
    assert (loaded, rejected) == (1, 1) and read == loaded + rejected + not_data
    conn.close()


def test_settings_are_validated(tmp_path):
    def bad(text: str, match: str):
        path = tmp_path / "s.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsError, match=match):
            load(path)

    bad('[disinfection]\nopening_hours = "8-20"\n', r"\[disinfection\] opening_hours")
    bad('[disinfection]\nopening_hours = "20:00-08:00"\n', "closes before it opens")
    bad('[disinfection]\nhours = 2\n', r"unknown setting\(s\) hours")
    bad('[[disinfection.places]]\nunit_code = 450103001001\nplace = "桃源"\n', r"#1 unit_code: .*as text")
    bad('[[disinfection.places]]\nunit_code = "1"\nplace = ""\n', r"#1 place")
    bad('[[disinfection.places]]\nunit_code = "1"\nplace = "a"\nfrequency = "hourly"\n', "frequency: .*daily")
    bad('[[disinfection.places]]\nunit_code = "1"\nplace = "a"\nclosed_on = "2021-13-01"\n', "closed_on")
    bad('[[disinfection.places]]\nunit_code = "1"\nplace = "a"\ncolour = "red"\n', "colour")
    path = tmp_path / "ok.toml"
    path.write_text('[disinfection]\nopening_hours = "07:30-19:00"\n\n[[disinfection.places]]\n'
                    'unit_code = "450103001001"\nplace = "桃源小區"\nfrequency = "every_2h"\nclosed_on = 2021-02-03\n',
                    encoding="utf-8")
    s = load(path)
    assert s.disinfection_opening_hours == (dt.time(7, 30), dt.time(19))
    assert s.disinfection_places == [{"unit_code": "450103001001", "place": "桃源小區", "frequency": "every_2h",
                                      "opened_on": None, "closed_on": "2021-02-03"}]


@pytest.mark.parametrize("kind", ["disinfection", "disinfection_places"])
def test_the_template(tmp_path, kind):
    """`fangyi template disinfection x.xlsx`: the form is recognised as its kind, its example row loads."""
    import openpyxl
    from click.testing import CliRunner

    from fangyi.cli import cli

    path = tmp_path / "x.xlsx"
    result = CliRunner().invoke(cli, ["template", kind, str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert [c.value for c in book["填報"][1]] == [f.synonyms[0] for f in kinds.get(kind).fields]
    [report] = ingest(tmp_path / "w.db", [path])
    assert report.kinds == [kind] and report.rows_loaded == 0 and report.rows_rejected == 0
    book["填報"].append([f.example for f in kinds.get(kind).fields])
    book.save(tmp_path / "filled.xlsx")
    [report] = ingest(tmp_path / "w2.db", [tmp_path / "filled.xlsx"])
    assert (report.rows_loaded, report.rows_rejected) == (1, 0), report.rejections


# A plug-in kind marked expected per unit: a daily hand-hygiene log of every reporting unit, with
# no SQL of its own. Its expected unit-days come from the shared calendar.
def _hygiene_kind():
    from fangyi.ingest.kinds import FREE_TEXT, NAME, OPEN, Column, Expected, Field, Kind, Table, register
    import polars as pl

    return register(Kind(
        name="hygiene_test",
        title="手衛生檢查 hand-hygiene check",
        fields=(Field("unit", ("社區",), "text", "社區", "Community", privacy=FREE_TEXT),
                Field("checked_on", ("檢查日期",), "date", "檢查日期", "Date", privacy=OPEN),
                Field("inspector", ("檢查員",), "text", "檢查員", "Inspector", privacy=NAME)),
        recognise=lambda fields: {"checked_on", "inspector"} <= fields,
        label_field="unit",
        tables=(Table("hygiene_test_checks", key="check_id", names_unit=True, columns=(
            Column("unit_raw", zh="社區", en="Community", privacy=FREE_TEXT), Column("checked_on", "TEXT NOT NULL"),
            Column("inspector"))),),
        dated_by="checked_on",
        expected=Expected(per="unit"),
        finish=lambda parsed, ctx: parsed.with_columns(unit_raw=pl.col("unit")),
    ))


def test_a_plugin_kind_marked_expected_gets_its_expected_days(tmp_path):
    kind = _hygiene_kind()
    try:
        data = tmp_path / "data"
        _csv(data / "units.csv", UNITS)
        _csv(data / "hygiene.csv", [["社區", "檢查日期", "檢查員"], ["柳岸社區", "2021-02-01", "甲"],
                                    ["柳岸社區", "2021-02-02", "甲"], ["桃源社區", "2021-02-01", "乙"]])
        db = tmp_path / "wb.db"
        ingest(db, [data])
        settings = Settings(period_start=dt.date(2021, 2, 1), period_end=dt.date(2021, 2, 2))
        run_checks(db, settings)
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT subject_key, day, records FROM expected_record_status WHERE kind = ? "
                            "ORDER BY 1, 2", (kind.name,)).fetchall()
        assert rows == [(LIUAN, "2021-02-01", 1), (LIUAN, "2021-02-02", 1),
                        (TAOYUAN, "2021-02-01", 1), (TAOYUAN, "2021-02-02", 0)]
        conn.close()
    finally:
        kinds.unregister(kind.name)


def test_the_demo_findings_are_the_injected_cases(checked_db, demo_data):
    _, manifest = demo_data
    injected = manifest["defects"]["disinfection_missed"]
    assert len(injected) == 2 and {c["judged_by"] for c in injected} == {"day", "slot"}
    assert _found(checked_db) == sorted((c["unit_code"], c["date"], c["place"], c["judged_by"], c["slot_start"])
                                        for c in injected)
    conn = sqlite3.connect(checked_db)
    # the places sheet's three places; the lobby closed, the lift opened: expected only in between
    assert conn.execute("SELECT place, frequency, opened_on, closed_on FROM expected_subjects "
                        "WHERE kind = 'disinfection' ORDER BY row_number").fetchall() == [
        ("桃源小區", "daily", None, None), ("社區服務中心大堂", "daily", None, manifest["disinfection"]["lobby_closed_on"]),
        ("1號樓電梯", "every_2h", manifest["disinfection"]["lift_opened_on"], None)]
    assert conn.execute("SELECT min(day), max(day), count(*) FROM expected_record_status e JOIN expected_subjects s "
                        "USING (kind, subject_key) WHERE s.place = '1號樓電梯'").fetchone() == (
        manifest["disinfection"]["lift_opened_on"], manifest["period"]["end"], 14 * 6)
    # the log's times as written (8:00, 10:05, 12時, 下午2點, 16時10分) are read
    assert {t for (t,) in conn.execute("SELECT DISTINCT time FROM disinfection_records WHERE place = '1號樓電梯'")} == {
        "08:00", "10:05", "12:00", "14:00", "16:10", "18:00"}
    conn.close()


def test_no_disinfection_finding_on_the_clean_drop(clean_demo_db):
    conn = sqlite3.connect(clean_demo_db)
    assert conn.execute("SELECT count(*) FROM disinfection_records").fetchone()[0] > 100
    assert conn.execute("SELECT count(*) FROM findings WHERE check_id = 'disinfection_missed'").fetchone() == (0,)
    conn.close()


def test_a_communitys_own_log_with_no_unit_column_and_no_year(tmp_path):
    """柳岸社區's own log: the unit only in its title, dates written 2月1日 (the year of the
    [period]), its own words for the columns (消毒區域, 消毒藥品, 消毒人)."""
    data = tmp_path / "data"
    _csv(data / "units.csv", UNITS)
    rows = [["柳岸社區公共場所消毒記錄表"], ["日期", "時間", "消毒區域", "消毒方式", "消毒藥品", "消毒人", "監督人"]]
    rows += [[f"2月{d}日", "8:30", place, "噴灑", "84消毒液", "歐陽春生", "司馬秋月"]
             for d in (1, 2, 4) for place in ("居委會辦公樓", "文化廣場")]
    _csv(data / "消毒記錄.csv", rows)
    settings = _places(Settings(period_start=dt.date(2021, 2, 1), period_end=dt.date(2021, 2, 4)),
                       (LIUAN, "居委會辦公樓", "daily", None), (LIUAN, "文化廣場", "daily", None))
    reports = ingest(tmp_path / "wb.db", [data], options=settings.ingest_options())
    assert [(r.rows_loaded, r.rows_rejected) for r in reports] == [(4, 0), (6, 0)], [r.rejections for r in reports]
    run_checks(tmp_path / "wb.db", settings)
    assert sorted((f["unit_code"], f["date"], f["subject_key"]) for f in findings_of(tmp_path / "wb.db", "disinfection_missed")) \
        == [(LIUAN, "2021-02-03", "居委會辦公樓"), (LIUAN, "2021-02-03", "文化廣場")]
