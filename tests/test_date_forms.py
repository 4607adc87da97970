"""Dates and times in every form real exports write: fractional seconds (truncated), the T
separator, offsets from UTC converted to the local zone ([time] zone), Excel date-time cells;
each to the same value through parse.date (its local date) and parse.datetime."""
from __future__ import annotations

import datetime as dt
import sqlite3

import openpyxl
import polars as pl
import pytest

from fangyi import settings
from fangyi.checks.run import materialise
from fangyi.ingest import parse
from fangyi.ingest.kinds import IngestOptions
from fangyi.ingest.load import ingest
from fangyi.ingest.read import cell_text


def run(parser, values, **kw):
    """{cell text: (value, bad)} of one frame holding all `values`."""
    out = parser(pl.DataFrame({"t": values}, schema={"t": pl.String}), **kw)
    assert out.height == len(set(values))
    return {t: (v, bad) for t, v, bad in out.iter_rows()}


# text, its date, its date and time; local zone Asia/Shanghai (UTC+8, no summer time).
FORMS = [
    # fractional seconds, truncated
    ("2020-02-17 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22:29.4", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 19:22:29,404", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 19:22:29.404000", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22:29.404000", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020年2月17日 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020/2/17 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020.2.17 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
    ("２０２０－０２－１７　１９：２２：２９．４０４", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 08:59:59.999", "2020-02-17", "2020-02-17T08:59:59"),
    ("2020/2/17 8:59:59.999999", "2020-02-17", "2020-02-17T08:59:59"),
    ("2020-02-17 23:59:59.999", "2020-02-17", "2020-02-17T23:59:59"),
    # the T separator, with and without seconds; a space; the forms of before
    ("2020-02-17T19:22:29", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22", "2020-02-17", "2020-02-17T19:22:00"),
    ("2020-02-17 19:22:29", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 19:22", "2020-02-17", "2020-02-17T19:22:00"),
    ("2020年2月17日19时22分29秒", "2020-02-17", "2020-02-17T19:22:29"),
    ("43878.807280092", "2020-02-17", "2020-02-17T19:22:29"),       # Excel serial: rounded, as before
    # offsets: converted to Asia/Shanghai
    ("2020-02-17T11:22:29Z", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T11:22:29.404Z", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22:29+08:00", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22:29+0800", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22:29+08", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 19:22:29 +08:00", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17 19:22:29.404+08:00", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T06:22:29-05:00", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T06:22:29,999-05:00", "2020-02-17", "2020-02-17T19:22:29"),
    ("2020-02-17T19:22+08:00", "2020-02-17", "2020-02-17T19:22:00"),
    ("2020-02-17T00:00:00.000Z", "2020-02-17", "2020-02-17T08:00:00"),
    ("2020-02-17T20:00:00Z", "2020-02-18", "2020-02-18T04:00:00"),          # the local date
    ("2020-02-18T01:00:00+10:00", "2020-02-17", "2020-02-17T23:00:00"),
    ("2020-12-31T16:00:00.5Z", "2021-01-01", "2021-01-01T00:00:00"),         # over the year's end
    ("2020-02-17T19:22:29+05:45", "2020-02-17", "2020-02-17T21:37:29"),
]


@pytest.mark.parametrize("text,day,stamp", FORMS)
def test_each_form_parses_to_its_date_and_its_date_and_time(text, day, stamp):
    assert run(parse.date, [text]) == {text: (day, False)}
    assert run(parse.datetime, [text]) == {text: (stamp, False)}


def test_all_forms_in_one_column_each_to_its_own_value():
    """A column mixing the fast ISO path, the general path and offsets keeps each value with its cell."""
    texts = [t for t, _, _ in FORMS]
    assert run(parse.date, texts) == {t: (d, False) for t, d, _ in FORMS}
    assert run(parse.datetime, texts) == {t: (s, False) for t, _, s in FORMS}


@pytest.mark.parametrize("zone,text,day,stamp", [
    ("Europe/Berlin", "2020-02-17T11:22:29Z", "2020-02-17", "2020-02-17T12:22:29"),           # UTC+1
    ("Europe/Berlin", "2020-07-17T11:22:29.999Z", "2020-07-17", "2020-07-17T13:22:29"),       # summer: UTC+2
    ("Europe/Berlin", "2020-02-17T19:22:29+08:00", "2020-02-17", "2020-02-17T12:22:29"),
    ("Europe/Berlin", "2020-02-17T23:30:00Z", "2020-02-18", "2020-02-18T00:30:00"),
    ("America/New_York", "2020-02-17T03:00:00Z", "2020-02-16", "2020-02-16T22:00:00"),        # UTC-5
    ("America/New_York", "2020-02-17T19:22:29.404+0800", "2020-02-17", "2020-02-17T06:22:29"),
    ("America/New_York", "2020-07-17T03:00:00Z", "2020-07-16", "2020-07-16T23:00:00"),        # UTC-4
    ("UTC", "2020-02-17T19:22:29+08", "2020-02-17", "2020-02-17T11:22:29"),
    # without an offset a value is local already: never converted, whatever the zone
    ("America/New_York", "2020-02-17 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
    ("Europe/Berlin", "2020-02-17T19:22:29", "2020-02-17", "2020-02-17T19:22:29"),
    ("Europe/Berlin", "2020年2月17日 19:22:29.404", "2020-02-17", "2020-02-17T19:22:29"),
])
def test_offsets_are_converted_to_the_zone_given(zone, text, day, stamp):
    assert run(parse.date, [text], zone=zone) == {text: (day, False)}
    assert run(parse.datetime, [text], zone=zone) == {text: (stamp, False)}


def test_the_default_zone_is_asia_shanghai():
    assert parse.DEFAULT_ZONE == "Asia/Shanghai" == settings.Settings().time_zone == IngestOptions().zone
    assert run(parse.datetime, ["2020-02-17T11:22:29Z"]) == \
        run(parse.datetime, ["2020-02-17T11:22:29Z"], zone="Asia/Shanghai") == {"2020-02-17T11:22:29Z": (
            "2020-02-17T19:22:29", False)}


@pytest.mark.parametrize("text", [
    "2020-02-17 25:00:00.404", "2020-02-17 19:61", "2020-02-17T19:22:60.5", "2020-02-17 24:00:00",
    "2020-02-17T19:22:29+25:00", "2020-02-17T19:22:29+15:00", "2020-02-17T19:22:29+08:75",
    "2020-02-17T19:22:29+8", "2020-02-17 08:30-09:30",          # a range, not an offset
    "2020-02-17T19:22:29.", "2020-02-17T19:22:29.404.5", "2020-02-17T19:22:29 CST",
    "2020-02-30T19:22:29.404", "2020-02-17Z", "2020-02-17 19:22.404", "2020-02-17T",
])
def test_rejected_forms(text):
    assert run(parse.date, [text]) == {text: (None, True)}
    assert run(parse.datetime, [text]) == {text: (None, True)}


def test_plain_iso_values_never_reach_the_general_parser(monkeypatch):
    """The fast path: ISO dates and date-times (fraction or not, T or space) are not parsed by _moment."""
    def slow(*args, **kw):
        raise AssertionError("an ISO value went through the general parser")
    monkeypatch.setattr(parse, "_moment", slow)
    stamps = ["2020-02-17T19:22:29", "2020-02-17 19:22:29", "2020-02-17 19:22:29.404", "2020-02-17T08:59:59,999999"]
    assert run(parse.datetime, stamps) == {
        "2020-02-17T19:22:29": ("2020-02-17T19:22:29", False), "2020-02-17 19:22:29": ("2020-02-17T19:22:29", False),
        "2020-02-17 19:22:29.404": ("2020-02-17T19:22:29", False),
        "2020-02-17T08:59:59,999999": ("2020-02-17T08:59:59", False)}
    assert run(parse.date, ["2020-02-17", *stamps, "2020-02-17 19:22"]) == {
        t: ("2020-02-17", False) for t in ["2020-02-17", *stamps, "2020-02-17 19:22"]}
    with pytest.raises(AssertionError, match="general parser"):
        run(parse.datetime, ["2020-02-17T11:22:29Z"])


def test_an_xlsx_datetime_cell_keeps_its_milliseconds_for_the_parser_to_truncate():
    assert cell_text(dt.datetime(2020, 2, 17, 19, 22, 29, 404000)) == "2020-02-17T19:22:29.404"
    assert cell_text(dt.datetime(2020, 2, 17, 8, 59, 59, 999000)) == "2020-02-17T08:59:59.999"
    assert cell_text(dt.datetime(2020, 2, 17, 19, 22, 28, 999999)) == "2020-02-17T19:22:29"     # float error
    assert cell_text(dt.datetime(2020, 2, 17, 19, 22, 29)) == "2020-02-17T19:22:29"
    assert cell_text(dt.date(2020, 2, 17)) == "2020-02-17"
    assert cell_text(dt.datetime.max) == "9999-12-31T23:59:59.999"


# ------------------------------------------------------------------------------------------
# End to end: a daily report whose date and submission columns hold millisecond timestamps
# ------------------------------------------------------------------------------------------

UNITS = "單位編碼,單位名稱,層級,上級編碼\n440100001001,柳岸社區,社區,440100001000\n" \
        "440100001002,東門社區,社區,440100001000\n440100001003,華林村,村,440100001000\n"


def load(tmp_path, *paths, options=None):
    units = tmp_path / "units.csv"
    units.write_text(UNITS, encoding="utf-8")
    db_path = tmp_path / "w.db"
    reports = ingest(db_path, [units, *paths], options=options)
    materialise(db_path)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT d.unit_raw, d.report_date, d.submitted_at, c.late FROM daily_reports d "
                        "LEFT JOIN current_reports c ON c.report_id = d.report_id "
                        "ORDER BY d.row_number").fetchall()
    return reports[1], rows


def test_a_csv_export_with_millisecond_timestamps_loads_every_row(tmp_path):
    path = tmp_path / "疫情日報導出_20200217.csv"
    path.write_text(
        "單位,填報日期,新增確診,密接,核酸檢測人數,填報人,填報時間\n"
        "柳岸社區,2020-02-16 18:02:11.518,0,2,56,張偉,2020-02-17 08:59:59.999\n"
        "東門社區,2020-02-16 18:40:03.120,0,0,30,劉洋,2020-02-17 09:00:00.001\n"
        "華林村,2020-02-16T10:00:00.000Z,0,1,12,趙敏,2020-02-17T01:00:01.5Z\n"
        "柳岸社區,2020-02-17T20:00:00Z,0,0,40,張偉,2020-02-17T20:05:12.404Z\n"
        "東門社區,2020年2月17日 19:22:29.404,0,0,0,劉洋,2020/2/17 19:22:29,404\n", encoding="utf-8")
    report, rows = load(tmp_path, path)
    assert (report.rows_loaded, report.rows_rejected) == (5, 0)
    assert rows == [
        ("柳岸社區", "2020-02-16", "2020-02-17T08:59:59", 0),       # 08:59:59.999 is before the deadline 09:00
        ("東門社區", "2020-02-16", "2020-02-17T09:00:00", 0),       # 09:00:00.001 is 09:00:00: on time
        ("華林村", "2020-02-16", "2020-02-17T09:00:01", 1),         # 01:00:01.5 UTC is 09:00:01 local: late
        ("柳岸社區", "2020-02-18", "2020-02-18T04:05:12", 0),       # 20:00 UTC is the next local day
        ("東門社區", "2020-02-17", "2020-02-17T19:22:29", 0),
    ]


def test_the_zone_setting_reaches_the_parsers(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('[time]\nzone = "America/New_York"\n', encoding="utf-8")
    options = settings.load(toml).ingest_options()
    assert options.zone == "America/New_York"
    path = tmp_path / "daily.csv"
    path.write_text("單位,填報日期,新增確診,密接,核酸檢測人數,填報時間\n"
                    "柳岸社區,2020-02-17T03:00:00.250Z,0,0,10,2020-02-17T03:00:00.250Z\n"
                    "東門社區,2020-02-17 03:00:00.250,0,0,20,2020-02-17 03:00:00.250\n", encoding="utf-8")
    report, rows = load(tmp_path, path, options=options)
    assert report.rows_loaded == 2
    assert [r[:3] for r in rows] == [("柳岸社區", "2020-02-16", "2020-02-16T22:00:00"),
                                     ("東門社區", "2020-02-17", "2020-02-17T03:00:00")]


def test_an_xlsx_with_datetime_cells_with_milliseconds(tmp_path):
    path = tmp_path / "日報.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["白雲街道疫情防控日報"])
    ws.append(["單位", "填報日期", "新增確診", "核酸檢測人數", "填報時間"])
    ws.append(["柳岸社區", dt.datetime(2020, 2, 17, 19, 22, 29, 404000), 0, 56,
               dt.datetime(2020, 2, 17, 19, 22, 29, 404000)])
    ws.append(["東門社區", dt.date(2020, 2, 16), 0, 30, dt.datetime(2020, 2, 17, 8, 59, 59, 999000)])
    ws.append(["華林村", dt.datetime(2020, 2, 16), 0, 12, "2020-02-17 09:00:00.5"])
    wb.save(path)
    report, rows = load(tmp_path, path)
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    assert rows == [("柳岸社區", "2020-02-17", "2020-02-17T19:22:29", 0),
                    ("東門社區", "2020-02-16", "2020-02-17T08:59:59", 0),
                    ("華林村", "2020-02-16", "2020-02-17T09:00:00", 0)]


# ------------------------------------------------------------------------------------------
# The setting
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ('[time]\nzone = "Mars/Olympus"\n', "is not a known time zone"),
    ('[time]\nzone = "Asia"\n', "is not a known time zone"),
    ('[time]\nzone = "../../etc/passwd"\n', "is not a known time zone"),
    ("[time]\nzone = 8\n", "is not a time zone"),
    ('[time]\nzone = ""\n', "is not a time zone"),
    ('[time]\nzon = "UTC"\n', "unknown setting(s) zon"),
])
def test_a_bad_zone_names_file_table_and_key(tmp_path, text, expected):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(settings.SettingsError) as raised:
        settings.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} [time]") and expected in message and "\n" not in message, message


def test_the_bundled_settings_document_the_zone():
    from pathlib import Path

    root = Path(__file__).parent.parent
    assert 'zone = "Asia/Shanghai"' in (root / "fangyi.toml").read_text(encoding="utf-8")
    assert "`[time] zone`" in (root / "README.md").read_text(encoding="utf-8")
    assert settings.load(root / "fangyi.toml").time_zone == "Asia/Shanghai"
