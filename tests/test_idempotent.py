"""Re-ingesting identical files adds nothing, also after regenerating them."""
from __future__ import annotations

from click.testing import CliRunner

from conftest import table_counts
from fangyi import demo
from fangyi.cli import cli


def test_reingest_adds_nothing(tmp_path, demo_data):
    out, _ = demo_data
    db_path = tmp_path / "w.db"
    first = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(out)])
    assert first.exit_code == 0, first.output
    before = table_counts(db_path)
    again = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(out)])
    assert again.exit_code == 0
    assert again.output.count("already ingested") == len(list(out.rglob("*.csv")) + list(out.rglob("*.xlsx")))
    assert table_counts(db_path) == before
    # a fresh copy generated elsewhere is byte-identical, so it adds nothing either
    copy = tmp_path / "copy"
    demo.generate(copy)
    CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(copy)])
    assert table_counts(db_path) == before
