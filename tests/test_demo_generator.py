"""Tests for fangyi.demo: determinism, the manifest's file list, and its row accounting
checked against the files re-read independently (openpyxl / csv)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re

import openpyxl
import pytest

from fangyi import demo

# Texts that only occur in rows that are not data: titles (疫情防控…), header rows, the
# 合計 row, the footer (填表人/審核人). Person and unit names never contain them.
NOT_DATA_MARKERS = ("疫情防控", "合計", "總計", "合计", "审核人", "審核人", "填表人",
                    "填報人", "填报人", "確診", "确诊", "單位編碼",
                    # gatherings: titles and headers of the registers and the attendee list
                    "報備登記", "报备登记", "參加人員名單", "活動類型", "活动类型", "身份證號",
                    "返鄉人員", "身份证号")           # returnee registers' titles and headers
WS = re.compile(r"\s+")


def _norm(value) -> str:
    return "" if value is None else WS.sub("", str(value))


def _is_data(row) -> bool:
    cells = [_norm(v) for v in row]
    if not any(cells):
        return False
    joined = "|".join(cells)
    return not any(m in joined for m in NOT_DATA_MARKERS)


def _read(out_dir, entry) -> dict[str, list[list]]:
    """Physical rows per sheet, re-read without the generator's help."""
    path = out_dir / entry["path"]
    if entry["path"].endswith(".xlsx"):
        wb = openpyxl.load_workbook(path)
        return {ws.title: [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, values_only=True)]
                for ws in wb.worksheets}
    with open(path, encoding=entry["encoding"], newline="") as fh:
        return {"": [list(r) for r in csv.reader(fh)]}


def _sha256_tree(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def contents(demo_data):
    out, manifest = demo_data
    return {f["path"]: _read(out, f) for f in manifest["files"]}


def test_two_runs_are_byte_identical(demo_data, tmp_path):
    """A second run, elsewhere and with the default seed given explicitly, writes the same bytes."""
    a, _ = demo_data
    b = tmp_path / "b"
    demo.generate(b, seed=20210111)
    ha, hb = _sha256_tree(a), _sha256_tree(b)
    assert len(ha) > 10
    assert ha == hb


def test_other_seed_differs(demo_data, tmp_path):
    """Other data, not just another seed recorded in manifest.json."""
    a, manifest = demo_data
    b = tmp_path / "b"
    other = demo.generate(b, seed=1)
    data = lambda root: {k: v for k, v in _sha256_tree(root).items() if k != "manifest.json"}  # noqa: E731
    assert data(a) != data(b)
    assert other["defects"] != manifest["defects"]


def test_manifest_file_matches_return_value(demo_data):
    out, manifest = demo_data
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert (out / "manifest.json").read_text(encoding="utf-8") == \
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def test_every_listed_file_exists_and_nothing_else(demo_data):
    out, manifest = demo_data
    listed = {f["path"] for f in manifest["files"]}
    for path in listed:
        assert (out / path).is_file(), path
        assert "\\" not in path
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == listed | {"manifest.json"}
    kinds = [f["kind"] for f in manifest["files"]]
    assert kinds.count("units") == 1 and "units/單位名錄.xlsx" in listed


def test_row_accounting_matches_files(demo_data, contents):
    _, manifest = demo_data
    rejected_per_file = {}
    for r in manifest["defects"]["rejected"] + manifest.get("returnees", {}).get("rejected", []):
        rejected_per_file[r["file"]] = rejected_per_file.get(r["file"], 0) + 1
    for entry in manifest["files"]:
        sheets = contents[entry["path"]]
        assert list(sheets) == entry["sheets"], entry["path"]
        rows = [row for sheet in sheets.values() for row in sheet]
        assert entry["rows_read"] == len(rows), entry["path"]
        assert entry["data_rows"] + entry["not_data_rows"] == entry["rows_read"]
        assert entry["data_rows"] == sum(_is_data(r) for r in rows), entry["path"]
        assert entry["rejected_rows"] == rejected_per_file.get(entry["path"], 0)


def test_csv_encodings(demo_data):
    out, manifest = demo_data
    encodings = {f["encoding"] for f in manifest["files"]}
    assert {"xlsx", "gb18030", "utf-8-sig"} <= encodings
    for entry in manifest["files"]:
        raw = (out / entry["path"]).read_bytes()
        if entry["encoding"] == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
            raw.decode("gb18030")
        elif entry["encoding"] == "utf-8-sig":
            assert raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")
            # a header cell holds a quoted line break, which csv keeps in one record
            assert "單位\n編碼" in _read(out, entry)[""][1]
        else:
            assert raw[:2] == b"PK"


def _row(contents, loc):
    return contents[loc["file"]][loc["sheet"]][loc["row"] - 1]


def _as_datetime(value):
    if isinstance(value, dt.datetime):
        return value
    for fmt in ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"):
        try:
            return dt.datetime.strptime(str(value), fmt)
        except ValueError:
            pass
    return None


def test_defect_locations_point_at_the_right_rows(demo_data, contents):
    _, manifest = demo_data
    d = manifest["defects"]
    located = (d["late_report"] + d["zero_report_contradiction"] + d["blank_count"]
               + d["unknown_unit"] + d["rejected"] + manifest["aliases"]
               + [r for s in manifest["resubmissions"] for r in s["rows"]])
    for loc in located:
        assert loc["row"] >= 1
        assert _is_data(_row(contents, loc)), loc
    for u in d["unknown_unit"] + manifest["aliases"]:
        assert u["raw_name"] in _row(contents, u), u
    for late in d["late_report"]:
        when = dt.datetime.fromisoformat(late["submitted_at"])
        assert when > dt.datetime.fromisoformat(late["date"]) + dt.timedelta(days=1, hours=9)
        assert when in [_as_datetime(v) for v in _row(contents, late)], late
    for rej in d["rejected"]:
        sheet = contents[rej["file"]][rej["sheet"]]
        header = next(r for r in sheet if rej["column"] in [str(v).strip() for v in r if v is not None])
        col = [str(v).strip() if v is not None else "" for v in header].index(rej["column"])
        assert str(sheet[rej["row"] - 1][col]) == rej["value"], rej
    empties = lambda row: sum(_norm(v) == "" for v in row)  # noqa: E731
    for blank in d["blank_count"]:
        sheet = contents[blank["file"]][blank["sheet"]]
        usual = min(empties(r) for r in sheet if _is_data(r))
        assert empties(_row(contents, blank)) >= usual + len(blank["columns"]), blank


def test_defect_minimums(demo_data):
    _, manifest = demo_data
    d = manifest["defects"]
    assert len(d["missing_report"]) >= 8
    assert len({m["unit_code"][:9] for m in d["missing_report"]}) == 4  # spread over towns
    assert len(d["late_report"]) >= 5
    assert len(d["zero_report_contradiction"]) >= 3
    assert len(d["blank_count"]) >= 3
    assert len(d["unknown_unit"]) >= 3
    assert len(d["rejected"]) >= 3
    assert {r["value"] for r in d["rejected"]} >= {"2021-02-30", "若干", "3.5"}
    assert len(manifest["resubmissions"]) >= 1
    assert all(c["columns"] for c in d["zero_report_contradiction"] + d["blank_count"])
    (streak,) = d["silent_streak"]
    assert streak["days"] == 4
    start = dt.date.fromisoformat(streak["start"])
    streak_days = {(streak["unit_code"], (start + dt.timedelta(days=k)).isoformat()) for k in range(4)}
    assert streak["end"] == (start + dt.timedelta(days=3)).isoformat()
    assert streak_days <= {(m["unit_code"], m["date"]) for m in d["missing_report"]}


def _expected_unit_days(manifest) -> set[tuple[str, str]]:
    start = dt.date.fromisoformat(manifest["period"]["start"])
    end = dt.date.fromisoformat(manifest["period"]["end"])
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    out = set()
    for u in manifest["units"]:
        if not u["reports_daily"]:
            continue
        lo = dt.date.fromisoformat(u["opened_on"]) if u["opened_on"] else start
        hi = dt.date.fromisoformat(u["closed_on"]) if u["closed_on"] else end
        out |= {(u["unit_code"], d.isoformat()) for d in days if lo <= d <= hi}
    return out


def test_units_and_unit_days(demo_data):
    _, manifest = demo_data
    units = manifest["units"]
    codes = [u["unit_code"] for u in units]
    assert len(codes) == len(set(codes)) and all(re.fullmatch(r"\d{12}", c) for c in codes)
    communities = [u for u in units if u["level"] in ("社區", "村")]
    assert len(communities) >= 26
    assert sum(u["level"] in ("街道", "鎮") for u in units) == 4
    assert all(len(u["leaders"]) == 3 for u in communities)
    assert sum(bool(u["aliases"]) for u in units) >= 3
    assert manifest["closed_unit"] == {"unit_code": "440199001007", "closed_on": "2021-01-24"}
    assert manifest["opened_unit"] == {"unit_code": "440199004007", "opened_on": "2021-01-27"}

    expected = _expected_unit_days(manifest)
    d = manifest["defects"]
    missing = {(m["unit_code"], m["date"]) for m in d["missing_report"]}
    assert missing <= expected
    for key in ("late_report", "zero_report_contradiction", "blank_count"):
        entries = [(e["unit_code"], e["date"]) for e in d[key]]
        assert set(entries) <= expected - missing, key
    # Every data row of the daily files is accounted for: one per expected, non-missing
    # unit-day, plus unknown-unit rows, rejected rows and the extra resubmitted rows.
    daily_rows = sum(f["data_rows"] for f in manifest["files"] if f["kind"] == "daily")
    extra = len(d["unknown_unit"]) + len(d["rejected"]) + sum(
        len(s["rows"]) - 1 for s in manifest["resubmissions"])
    assert daily_rows == len(expected) - len(missing) + extra


def test_resubmission(demo_data):
    _, manifest = demo_data
    assert manifest["resubmissions"]
    for sub in manifest["resubmissions"]:
        rows = sub["rows"]
        assert len(rows) == 2 and rows[0]["file"] != rows[1]["file"]
        assert "更正" in rows[sub["current"]]["file"]
        assert rows[sub["current"]]["submitted_at"] == max(r["submitted_at"] for r in rows)
        deadline = dt.datetime.fromisoformat(sub["date"]) + dt.timedelta(days=1, hours=9)
        assert all(dt.datetime.fromisoformat(r["submitted_at"]) < deadline for r in rows)
