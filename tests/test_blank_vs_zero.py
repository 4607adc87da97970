"""A blank count is NULL (not reported); 零, 無, -, —, / and 0 are zero."""
from __future__ import annotations

import sqlite3

from conftest import file_id
from fangyi.ingest.load import ingest


def test_demo_blank_counts_are_null(demo_conn, demo_data):
    _, manifest = demo_data
    blanks = manifest["defects"]["blank_count"]
    assert blanks
    for b in blanks:
        row = demo_conn.execute(
            "SELECT * FROM daily_reports WHERE file_id = ? AND sheet = ? AND row_number = ?",
            (file_id(demo_conn, b["file"]), b["sheet"], b["row"])).fetchone()
        for column in b["columns"]:
            assert row[column] is None, (b, column)
        others = [c for c in ("new_confirmed", "close_contacts", "tests_done") if c not in b["columns"]]
        assert all(row[c] is not None for c in others)


def test_zero_words_and_blank(tmp_path):
    path = tmp_path / "counts.csv"
    rows = [("0", 0), ("零", 0), ("無", 0), ("无", 0), ("-", 0), ("—", 0), ("/", 0), ("０", 0),
            ("3", 3), ("３", 3), ("3人", 3), (" 12 ", 12), ("", None)]
    lines = ["日期,單位,新增確診,密接"] + [f"2021-01-{i + 1:02d},柳岸社區,{text},1" for i, (text, _) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest(tmp_path / "w.db", [path])
    conn = sqlite3.connect(tmp_path / "w.db")
    got = [r[0] for r in conn.execute("SELECT new_confirmed FROM daily_reports ORDER BY row_number")]
    assert got == [expected for _, expected in rows]
    # a count column missing from the sheet is NULL too, never 0
    assert conn.execute("SELECT count(*) FROM daily_reports WHERE tests_done IS NULL").fetchone()[0] == len(rows)
