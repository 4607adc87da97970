"""Check suites are folders of SQL files: an empty or new folder is picked up without code, a
malformed check or no check at all fails loudly. Each check's label (its Chinese name) is in its
file's header."""
from __future__ import annotations

import pytest

from fangyi.checks import CHECKS, LABELS, CheckDefinitionError, load_checks, suites

CHECK = "-- check: {id}\n-- label: 測試 {id}\n-- severity: {sev}\n-- meaning: {id} for a test\n" \
        "SELECT NULL AS unit_code, NULL AS date, NULL AS subject_key, 'm' AS message, NULL AS evidence WHERE 0\n"


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
    assert [(c.suite, c.id, c.severity, c.label) for c in checks] == [
        ("coldchain", "b_check", "warning", "測試 b_check"), ("reporting", "a_check", "error", "測試 a_check")]


def test_every_check_has_its_label():
    assert all(c.label.strip() for c in CHECKS)
    assert list(LABELS) == [c.id for c in CHECKS]
    assert LABELS["missing_report"] == "漏報：應報而未報"
    assert len(set(LABELS.values())) == len(LABELS)          # no two checks named alike
    # the site reads them from here: the open copy's check_labels table and its pages
    from fangyi.site.opendata import check_labels

    assert check_labels() == LABELS


@pytest.mark.parametrize("files,message", [
    ({}, "no checks found"),
    ({"s/x.sql": "SELECT 1"}, "needs -- check:"),
    ({"s/x.sql": CHECK.format(id="y", sev="error")}, "differs from the file name"),
    ({"s/x.sql": CHECK.format(id="x", sev="fatal")}, "severity 'fatal' is none of these"),
    ({"s/x.sql": CHECK.format(id="x", sev="error").replace("-- label: 測試 x\n", "")}, "missing -- label:"),
    ({"s/x.sql": CHECK.format(id="x", sev="error").replace("測試 x", "")}, "missing -- label:"),
    ({"s/x.sql": CHECK.format(id="x", sev="error").replace("WHERE 0", "WHERE {{ nope(1) }}")}, "'nope' is undefined"),
    ({"s/x.sql": CHECK.format(id="x", sev="error"), "t/x.sql": CHECK.format(id="x", sev="error")}, "defined twice"),
])
def test_malformed_or_missing_checks_fail_loudly(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CheckDefinitionError, match=message):
        load_checks(tmp_path)
