"""Check suites are folders of SQL files: an empty or new folder is picked up without code, a
malformed check or no check at all fails loudly."""
from __future__ import annotations

import pytest

from fangyi.checks import CHECKS, CheckDefinitionError, load_checks, suites

CHECK = "-- check: {id}\n-- severity: {sev}\n-- meaning: {id} for a test\nSELECT NULL AS unit_code, NULL AS date, " \
        "NULL AS subject_key, 'm' AS message, NULL AS evidence WHERE 0\n"


def test_installed_suites():
    assert set(suites(CHECKS)) >= {"reporting"}
    assert {"missing_report", "ambiguous_unit", "unknown_unit"} <= {c.id for c in CHECKS}


def test_a_new_folder_is_a_suite_and_an_empty_one_is_skipped(tmp_path):
    (tmp_path / "reporting").mkdir()
    (tmp_path / "reporting" / "a_check.sql").write_text(CHECK.format(id="a_check", sev="error"), encoding="utf-8")
    (tmp_path / "roster").mkdir()                                   # empty: a suite to come
    (tmp_path / "coldchain").mkdir()
    (tmp_path / "coldchain" / "b_check.sql").write_text(CHECK.format(id="b_check", sev="warning"), encoding="utf-8")
    (tmp_path / "coldchain" / "README.md").write_text("not a check", encoding="utf-8")
    checks = load_checks(tmp_path)
    assert [(c.suite, c.id, c.severity) for c in checks] == [("coldchain", "b_check", "warning"),
                                                             ("reporting", "a_check", "error")]


@pytest.mark.parametrize("files,message", [
    ({}, "no checks found"),
    ({"s/x.sql": "SELECT 1"}, "needs -- check:"),
    ({"s/x.sql": CHECK.format(id="y", sev="error")}, "differs from the file name"),
    ({"s/x.sql": CHECK.format(id="x", sev="fatal")}, "needs -- check:"),
    ({"s/x.sql": CHECK.format(id="x", sev="error"), "t/x.sql": CHECK.format(id="x", sev="error")}, "defined twice"),
])
def test_malformed_or_missing_checks_fail_loudly(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CheckDefinitionError, match=message):
        load_checks(tmp_path)
