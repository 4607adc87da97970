"""Chinese labels on the served demo (in process, ds.client): column headers and coded values in
Chinese on the HTML pages while the JSON and CSV keep the stored names and values; downloads
with 中文（stored_name） headers and widened columns; a kind registered later is labelled from its
own declaration (fangyi.site.labels)."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest

from conftest import run_site
from fangyi.ingest import kinds
from fangyi.ingest.kinds import OPEN, Column, Field, Kind, Table
from fangyi.site import cells, labels


def _ths(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", " ", th)).split()[0]
            for th in re.findall(r"<th\b[^>]*>(.*?)</th>", page, re.S)]


def test_pages_show_chinese_and_the_api_keeps_stored_names(checked_db):
    async def go(ds, inspector):
        db = checked_db.stem
        shifts = await ds.client.get(f"/{db}/duty_shifts?shift=leader&_size=5", cookies=inspector)
        shifts_json = await ds.client.get(f"/{db}/duty_shifts.json?shift=leader&_size=5&_shape=objects",
                                          cookies=inspector)
        missed = await ds.client.get(f"/{db}/missed_on_day?date=2021-01-22", cookies=inspector)
        trace_code = (await ds.client.get(f"/{db}/coldchain_trace.json?_shape=array&_size=1&movement=receipt",
                                          cookies=inspector)).json()[0]["trace_code"]
        trace = await ds.client.get(f"/{db}/batch_trace?trace_code={trace_code}", cookies=inspector)
        trace_json = await ds.client.get(f"/{db}/batch_trace.json?_shape=objects&trace_code={trace_code}",
                                         cookies=inspector)
        units = await ds.client.get(f"/{db}/units_current?level=community&_size=3", cookies=inspector)
        return shifts, shifts_json, missed, trace, trace_json, units

    shifts, shifts_json, missed, trace, trace_json, units = run_site(checked_db, go)
    # a table page: the registry's labels above the stored names; a shift is 帶班領導
    assert shifts.status_code == 200
    heads = _ths(shifts.text)
    assert "班次" in heads and "值班日期" in heads and "shift" not in heads, heads
    assert '<span class="fy-code" title="leader">帶班領導</span>' in shifts.text
    assert "班次 = 帶班領導" in shifts.text                           # the filter, said in Chinese
    rows = shifts_json.json()["rows"]
    assert rows and {r["shift"] for r in rows} == {"leader"}            # the API: stored values
    # a canned query: parameter and columns in Chinese, the parameter's name kept for the URL
    assert missed.status_code == 200
    assert re.search(r'<label for="qp_date" title="date">日期</label>', missed.text)
    assert 'name="date"' in missed.text
    assert _ths(missed.text)[:3] == ["所屬街道鄉鎮編碼", "所屬街道鄉鎮名稱", "單位編碼"], _ths(missed.text)
    # the batch trace: its key columns first on the page, the query's own order in its JSON
    assert _ths(trace.text)[:2] == ["進貨或銷售日期", "進出"], _ths(trace.text)
    assert "更多列" in trace.text and '<span class="fy-code" title="receipt">進貨</span>' in trace.text
    body = trace_json.json()
    assert body["columns"][:3] == ["trace_code", "movement", "date"] and len(body["columns"]) == 32
    assert "receipt" in {r["movement"] for r in body["rows"]}
    # a unit's level
    assert '<span class="fy-code" title="community">' in units.text


def test_downloads_have_chinese_headers_and_widths(checked_db):
    async def go(ds, inspector):
        db = checked_db.stem
        xlsx = await ds.client.get(f"/{db}/duty_shifts.xlsx?shift=day", cookies=inspector)
        bom = await ds.client.get(f"/{db}/missed_on_day.csvbom?date=2021-01-22", cookies=inspector)
        plain = await ds.client.get(f"/{db}/missed_on_day.csv?date=2021-01-22", cookies=inspector)
        return xlsx, bom, plain

    xlsx, bom, plain = run_site(checked_db, go)
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in ws[1]]
    assert "班次（shift）" in header and "值班日期（date）" in header, header
    shift = header.index("班次（shift）")
    values = {row[shift] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert values == {"day"}                                           # the stored values
    widths = {header[i]: ws.column_dimensions[get_column_letter(i + 1)].width for i in range(len(header))}
    assert widths["值班日期（date）"] >= 12 and widths["開始時間（starts_at）"] > widths["班次（shift）"], widths
    rows = list(csv.reader(io.StringIO(bom.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["所屬街道鄉鎮編碼（town_code）", "所屬街道鄉鎮名稱（town_name）", "單位編碼（unit_code）"]
    assert len(rows) > 1 and all(re.fullmatch(r"\d+", r[0]) for r in rows[1:])
    assert plain.text.splitlines()[0].startswith("town_code,town_name,unit_code")   # Datasette's .csv as it was


BAND = Kind(
    name="toy_band",
    title="體溫分級登記 temperature bands",
    fields=(Field("person", ("姓名",), "text", "姓名", "Person"),
            Field("band", ("分級",), "text", "體溫分級：normal 正常 / fever 發燒", "Band: normal or fever",
                  privacy=OPEN)),
    recognise=lambda fields: {"person", "band"} <= fields,
    label_field="person",
    tables=(Table("toy_bands", "band_id", (Column("person"), Column("band")), zh="體溫分級表：每人每次一行",
                  en="One row per person and check"),),
)


@pytest.fixture
def band_kind():
    kinds.register(BAND)
    labels.refresh()
    yield BAND
    kinds.unregister(BAND.name)
    labels.refresh()


def test_a_new_kind_is_chinese_without_a_template(band_kind):
    assert labels.column_label("band", "toy_bands") == "體溫分級"
    assert labels.column_header("band", "toy_bands") == "體溫分級（band）"
    assert labels.value_labels("band", "toy_bands") == {"normal": "正常", "fever": "發燒"}
    assert cells.show("fever", "band", "toy_bands", "/w", {}) == '<span class="fy-code" title="fever">發燒</span>'
    assert cells.show("unheard", "band", "toy_bands", "/w", {}) is None          # not a code: as it is
    assert labels.value("kind", "toy_band") == "體溫分級登記"                    # its kind's title
    assert labels.table_label("toy_bands") == "體溫分級表"


def test_label_text_rules():
    assert labels.short("來源文件編號（見 source_files） — Source file id") == "來源文件編號"
    assert labels.short("1：家庭聚會（家庭聚餐等） — 1: a family gathering") == "家庭聚會"
    assert labels.short("Only English") is None
    assert labels.value_pairs("班次：day 白班 / night 夜班 / leader 帶班領導 — Shift") == \
        {"day": "白班", "night": "夜班", "leader": "帶班領導"}
    assert labels.value_pairs("寫有該單位名稱的表（daily_reports 等） — The table") == {}
