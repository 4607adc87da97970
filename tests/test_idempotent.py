"""Re-ingesting identical files adds nothing, also after regenerating them."""
from __future__ import annotations

from click.testing import CliRunner

from conftest import table_counts
from fangyi import demo
from fangyi.cli import cli


def test_reingest_adds_nothing(tmp_path, demo_data, demo_db_copy):
    out, _ = demo_data
    db_path = demo_db_copy                      # the demo folder, ingested once
    files = len(list(out.rglob("*.csv")) + list(out.rglob("*.xlsx")))
    before = table_counts(db_path)
    assert before["daily_reports"] > 0 and before["source_files"] == files
    again = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(out)])
    assert again.exit_code == 0, again.output
    assert again.output.count("already ingested") == files
    assert table_counts(db_path) == before
    # a fresh copy generated elsewhere is byte-identical, so it adds nothing either
    copy = tmp_path / "copy"
    demo.generate(copy)
    fresh = CliRunner().invoke(cli, ["ingest", "--db", str(db_path), str(copy)])
    assert fresh.exit_code == 0, fresh.output
    assert fresh.output.count("already ingested") == files
    assert table_counts(db_path) == before
