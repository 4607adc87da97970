"""`fangyi template KIND OUT.xlsx`: an empty form with the recognised headers, an example row
that is read back as not data, and a 說明 sheet; filled in, it loads."""
from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from fangyi.cli import cli
from fangyi.ingest import kinds
from fangyi.ingest.load import ingest


@pytest.mark.parametrize("kind", ["units", "daily"])
def test_template_round_trip(tmp_path, kind):
    path = tmp_path / f"{kind}.xlsx"
    result = CliRunner().invoke(cli, ["template", kind, str(path)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["填報", "說明"]
    header = [c.value for c in book["填報"][1]]
    assert header == [f.synonyms[0] for f in kinds.get(kind).fields]
    notes = "\n".join(str(c.value) for row in book["說明"].iter_rows() for c in row if c.value)
    for f in kinds.get(kind).fields:
        assert f.en in notes and f.zh in notes

    [report] = ingest(tmp_path / "w.db", [path])
    assert report.kinds == [kind] and report.rows_loaded == 0 and report.rows_rejected == 0
    assert any("no data rows" in w for w in report.warnings)

    # a form filled in below the example loads, the example still not data
    form = book["填報"]
    form.append([f.example for f in kinds.get(kind).fields])
    book.save(tmp_path / "filled.xlsx")
    [report] = ingest(tmp_path / "w2.db", [tmp_path / "filled.xlsx"])
    assert (report.rows_loaded, report.rows_rejected) == (1, 0), report.rejections


def test_unknown_kind(tmp_path):
    result = CliRunner().invoke(cli, ["template", "nope", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "unknown kind 'nope'" in result.output
