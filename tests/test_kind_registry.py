"""A kind of sheet is one declaration in the registry: a kind defined here, in the test, is
recognised, parsed, loaded (one source row into two tables) and accounted for, with no module
of ingest/ touched."""
from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fangyi import db
from fangyi.ingest import kinds
from fangyi.ingest.kinds import NAME, OPEN, Column, Field, Kind, Table
from fangyi.ingest.load import ingest

ROOT = Path(__file__).resolve().parent.parent


def _write(good: pl.DataFrame, ctx) -> dict[str, pl.DataFrame]:
    """One temperature-check row yields a check row and, above 37.3 °C, a fever row."""
    checks = good.select("person", "checked_on", "temperature", "_row")
    fevers = good.filter(pl.col("temperature") > 37.3).select("person", "checked_on", "_row")
    return {"toy_temperature_checks": checks, "toy_fevers": fevers}


def _finish(parsed: pl.DataFrame, ctx) -> pl.DataFrame:
    return parsed.with_columns(_reason=pl.coalesce(
        pl.col("_reason"), pl.when(pl.col("person").is_null()).then(pl.lit("no person"))))


TOY = Kind(
    name="toy_temperature",
    title="體溫檢測登記 temperature checks",
    fields=(
        Field("person", ("姓名",), "text", "姓名", "Person", privacy=NAME),
        Field("checked_on", ("檢測日期", "日期"), "date", "檢測日期", "Date checked", privacy=OPEN),
        Field("temperature", ("體溫", "體溫(℃)"), "number", "體溫", "Temperature", privacy=OPEN),
    ),
    recognise=lambda fields: {"person", "temperature"} <= fields,
    label_field="person",
    tables=(Table("toy_temperature_checks", "check_id", (Column("person"), Column("checked_on"), Column("temperature"))),
            Table("toy_fevers", "fever_id", (Column("person"), Column("checked_on")))),
    dated_by="checked_on",
    finish=_finish,
    write=_write,
)


@pytest.fixture
def toy_kind():
    kinds.register(TOY)
    yield TOY
    kinds.unregister(TOY.name)


def test_a_kind_declared_in_a_test_is_ingested(tmp_path, toy_kind):
    db_path = tmp_path / "w.db"
    path = tmp_path / "體溫登記.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "1月"
    sheet.append(["柳岸社區體溫檢測登記表（2021年）"])
    sheet.append(["姓名", "檢測日期", "體溫(℃)"])
    sheet.append(["張三", "1月20日", "36.5"])
    sheet.append(["李四", "2021/1/20", "38.1"])
    sheet.append([None, "2021-01-20", "36.6"])            # no person: rejected
    sheet.append(["王五", "2021-01-21", "很熱"])            # not a number: rejected
    sheet.append(["填表人：趙六"])
    book.save(path)

    [report] = ingest(db_path, [path])
    assert report.kinds == ["toy_temperature"]
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_not_data) == (7, 2, 2, 3)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT person, checked_on, temperature, row_number FROM toy_temperature_checks "
                        "ORDER BY row_number").fetchall() == [("張三", "2021-01-20", 36.5, 3),
                                                               ("李四", "2021-01-20", 38.1, 4)]
    assert conn.execute("SELECT person, row_number FROM toy_fevers").fetchall() == [("李四", 4)]
    reasons = [r for (r,) in conn.execute("SELECT reason FROM rejected_rows ORDER BY row_number")]
    assert reasons == ["no person", "體溫(℃) (C): '很熱' 無法讀作數值 / cannot read it as a number"]
    assert conn.execute("SELECT kind FROM source_sheets").fetchone() == ("toy_temperature",)


def _temperatures_on_shift(path: Path) -> Path:
    """Staff temperatures taken at the start of each shift: a roster's long form (單位, 日期, 班次,
    姓名) with a 體溫 column. Recognised on its own it is a roster (four fields against three)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["單位", "日期", "班次", "姓名", "體溫"])
    sheet.append(["柳岸社區", "2021-01-20", "白班", "張三", "36.5"])
    sheet.append(["柳岸社區", "2021-01-20", "夜班", "李四", "38.1"])
    book.save(path)
    return path


def test_kind_override(tmp_path, toy_kind):
    path = _temperatures_on_shift(tmp_path / "交班體溫.xlsx")
    [auto] = ingest(tmp_path / "auto.db", [path])
    assert auto.kinds == ["roster"]
    [forced] = ingest(tmp_path / "forced.db", [path], kind="toy_temperature")
    assert forced.kinds == ["toy_temperature"] and forced.rows_loaded == 2
    conn = sqlite3.connect(tmp_path / "forced.db")
    assert conn.execute("SELECT person, checked_on, temperature FROM toy_temperature_checks ORDER BY row_number"
                        ).fetchall() == [("張三", "2021-01-20", 36.5), ("李四", "2021-01-20", 38.1)]
    assert conn.execute("SELECT count(*) FROM duty_shifts").fetchone() == (0,)
    assert conn.execute("SELECT kind FROM source_sheets").fetchall() == [("toy_temperature",)]


def test_unknown_kind(tmp_path, toy_kind):
    with pytest.raises(ValueError, match="unknown kind 'nope'"):
        ingest(tmp_path / "w.db", [], kind="nope")


def test_no_kind_branches_outside_the_registry():
    """The loader, headers, settings and checks never branch on a kind's name."""
    found = subprocess.run(["grep", "-rnE", r"kind(\.name)? *(==|!=) *[\"']", "ingest", "checks", "db", "fangyi",
                            "--include=*.py"], cwd=ROOT, capture_output=True, text=True).stdout
    assert found == ""


SQL_NAME = r"\b(?:FROM|JOIN|INTO|UPDATE|TABLE|EXISTS)\s+[\[\"`]?{}\b"


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string literal of a Python file (f-string parts included)."""
    import io
    import tokenize

    out = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            out.append((tok.start[0], tok.string))
    return out


def test_no_kind_table_named_outside_its_declaration_and_check_folder():
    """A kind's tables are named in Python only by its declaration (its module of ingest/kinds/)
    and in its own check folder: as a string of its own, or after FROM, JOIN, INTO, UPDATE,
    TABLE or EXISTS in SQL. Everything else reads them through the registry. (The demo, one
    module per kind under fangyi/demo/, writes files: it names kinds and manifest keys, never a
    table, and is not scanned.)"""
    import re
    import sys

    owners = {}                    # table -> files allowed to name it
    for kind in kinds.all_kinds().values():
        declaration = Path(sys.modules[kind.recognise.__module__].__file__).resolve()
        folder = (ROOT / "checks" / kind.suite).resolve() if kind.suite else None
        for table in kind.tables:
            owners.setdefault(table.name, set()).update({declaration, folder})
    files = [p for top in ("ingest", "db", "checks", "fangyi") for p in (ROOT / top).rglob("*.py")
             if "demo" not in p.relative_to(ROOT).parts]
    assert len(files) > 30
    found = []
    for path in files:
        literals = _string_literals(path)
        for table, allowed in owners.items():
            if path.resolve() in allowed or any(a and a in path.resolve().parents for a in allowed):
                continue
            pattern = re.compile(SQL_NAME.format(re.escape(table)), re.I)
            for line, text in literals:
                if text.strip("\"'rbfRBF") == table or pattern.search(text):
                    found.append(f"{path.relative_to(ROOT)}:{line}: {table}: {text[:80]}")
    assert found == []


def test_a_migrated_database_has_the_tables_as_declared(tmp_path):
    """The DDL is generated from the declarations; a database made by the first release and
    migrated step by step (db/migrations/) ends with every kind's table as declared: the same
    columns (those a migration added come last: rows are written by column name), types,
    NOT NULL, primary key and indexes."""
    old = tmp_path / "v1.db"
    conn = sqlite3.connect(old)
    conn.executescript((ROOT / "tests" / "data" / "schema_v1.sql").read_text(encoding="utf-8"))
    conn.close()
    migrated, fresh = db.connect(old), db.connect(tmp_path / "new.db")
    for conn in (migrated, fresh):
        kinds.create_tables(conn)

    def shape(conn, table):
        columns = [tuple(r[1:]) for r in conn.execute(f"PRAGMA table_info({table})")]
        indexes = sorted((r[1], tuple(c[2] for c in conn.execute(f"PRAGMA index_info({r[1]})")))
                         for r in conn.execute(f"PRAGMA index_list({table})") if r[3] == "c")
        return columns, indexes

    for _, table in kinds.tables().values():
        declared = [(c.name, c.type.split()[0], int("NOT NULL" in c.type), None, int("PRIMARY KEY" in c.type))
                    for c in table.all_columns()]
        assert shape(fresh, table.name)[0] == declared, table.name
        assert sorted(shape(migrated, table.name)[0]) == sorted(declared), table.name
        assert shape(migrated, table.name)[1] == shape(fresh, table.name)[1], table.name
        assert {name for name, _ in shape(fresh, table.name)[1]} == {name for name, _ in table.indexes}
