"""The cell parsers on the written forms of the contract."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fangyi.ingest import parse


def run(parser, values, **kw):
    out = parser(pl.DataFrame({"t": values}, schema={"t": pl.String}), **kw)
    return list(zip(out["v"].to_list(), out["bad"].to_list()))


@pytest.mark.parametrize("text,expected", [
    ("2021-01-20", "2021-01-20"), ("2021/1/20", "2021-01-20"), ("2021.1.20", "2021-01-20"),
    ("2021年1月20日", "2021-01-20"), ("20210120", "2021-01-20"), ("44216", "2021-01-20"),
    ("1月20日", "2021-01-20"), ("2021-01-20T00:00:00", "2021-01-20"), ("２０２１年１月２０日", "2021-01-20"),
    ("2021-01-20 (星期三)", "2021-01-20"), (" 2021 年 1 月 20 日 ", "2021-01-20"), ("2021-1-20 08:00", "2021-01-20"),
])
def test_date_forms(text, expected):
    assert run(parse.date, [text], default_year=2021) == [(expected, False)]


@pytest.mark.parametrize("text", ["2021-02-30", "abc", "2021-13-01", "35", "1月20日 夜", "2.30"])
def test_bad_dates(text):
    assert run(parse.date, [text], default_year=2021) == [(None, True)]


def test_yearless_date_without_year_is_bad():
    assert run(parse.date, ["1月20日"]) == [(None, True)]


def test_blank_date_is_null_not_bad():
    assert run(parse.date, [None, "  "]) == [(None, False), (None, False)]


@pytest.mark.parametrize("text,expected", [
    ("2021/1/13 8:30", "2021-01-13T08:30:00"), ("2021-01-21T08:30:00", "2021-01-21T08:30:00"),
    ("2021年1月21日8时30分", "2021-01-21T08:30:00"), ("2021年1月21日 8時30分", "2021-01-21T08:30:00"),
    ("44217.354166666664", "2021-01-21T08:30:00"), ("1月21日 8:30", "2021-01-21T08:30:00"),
    ("2021-01-21", "2021-01-21"), ("2021-01-21 08:30:15", "2021-01-21T08:30:15"),
    ("2021-01-21 ８：３０", "2021-01-21T08:30:00"),
])
def test_datetime_forms(text, expected):
    assert run(parse.datetime, [text], default_year=2021) == [(expected, False)]


@pytest.mark.parametrize("text", ["2021-01-21 25:00", "2021-01-21 8:75", "yesterday"])
def test_bad_datetimes(text):
    assert run(parse.datetime, [text], default_year=2021) == [(None, True)]


@pytest.mark.parametrize("text,expected", [
    ("3", 3), ("３", 3), ("3人", 3), ("零", 0), ("無", 0), ("无", 0), ("-", 0), ("—", 0), ("/", 0),
    ("－", 0), ("3.0", 3), ("1,200", 1200), ("12例", 12), (None, None), ("", None),
])
def test_counts(text, expected):
    assert run(parse.count, [text]) == [(expected, False)]


@pytest.mark.parametrize("text", ["若干", "3.5", "-3", "三", "n/a"])
def test_bad_counts(text):
    assert run(parse.count, [text]) == [(None, True)]


@pytest.mark.parametrize("text,expected", [("是", 1), ("√", 1), ("否", 0), ("×", 0), (None, None)])
def test_flags(text, expected):
    assert run(parse.flag, [text]) == [(expected, False)]


def test_find_date_in_titles():
    assert parse.find_date("東華街道疫情防控日報表(2021年1月11日)") == dt.date(2021, 1, 11)
    assert parse.find_date("1月11日", 2021) == dt.date(2021, 1, 11)
    assert parse.find_date("1月11日") is None
    assert parse.find_year("龙兴街道日报_2021年第2周.csv") == 2021


def test_plain_digit_count_columns_skip_the_parser_and_read_as_it_reads_them():
    """A count column of blanks and plain digits is read by a cast (ingest.sheet._plain_counts):
    exactly what parse.count gives for each of its cells; any other cell sends the columns through
    the parser."""
    from fangyi.ingest.sheet import _plain_counts

    plain = ["0", "12", None, "999999999999999999", "7"]
    frame = pl.DataFrame({"c0": plain, "c1": ["3", None, "0", "40", "5"]})
    assert _plain_counts(frame, ["c0", "c1"])
    parsed = parse.count(pl.DataFrame({"t": plain}))
    assert parsed["v"].to_list() == pl.Series(plain).cast(pl.Int64, strict=False).to_list()
    assert not parsed["bad"].any()
    for odd in ("03", "-3", "+3", "若干", " 3", "3人", "1,200", "3.0", "1234567890123456789", ""):
        assert not _plain_counts(pl.DataFrame({"c0": ["1", odd]}), ["c0"]), odd


def test_text_columns_already_as_written_skip_the_parser():
    """A text column whose cells are blank or without surrounding whitespace is kept as it is
    (ingest.sheet._plain_text), which is what parse.text gives; a padded or empty cell sends the
    columns through the parser."""
    from fangyi.ingest.sheet import _plain_text

    cells = ["柳岸社區", None, "王芳", "新村（東）"]
    assert _plain_text(pl.DataFrame({"c0": cells}), ["c0"])
    assert parse.text(pl.DataFrame({"t": cells}))["v"].to_list() == cells
    for odd in (" 柳岸社區", "王芳\u3000", "", "\t"):
        assert not _plain_text(pl.DataFrame({"c0": ["柳岸社區", odd]}), ["c0"]), repr(odd)
