"""The auditors' notebooks, executed once per module in a real Jupyter kernel against the checked
demo database (`fangyi report`'s library function), and judged by what they compute: the
recomputed bulletin equals the SQL bulletin, the example batch balances, the injected over-claim
is found; the HTML report is self-contained and carries its charts; committed notebooks carry no
outputs."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from fangyi.report import EXTERNAL_SCRIPT, build_report, inject_parameters, notebook_paths, parameter_names

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["01_reporting_completeness", "02_weekly_bulletin", "03_batch_trace", "04_duty_and_allowance",
             "05_returnees", "06_follow_up"]
WEEK = "2021-W04"


@pytest.fixture(scope="module")
def report(checked_db, demo_data, tmp_path_factory):
    """The notebooks executed once against the checked demo database, HTML written; the batch
    traced is the demo's example (the notebook's own choice is tested on its own below)."""
    _, manifest = demo_data
    out = tmp_path_factory.mktemp("report")
    return build_report(checked_db, out, {"week": WEEK, "trace_code": manifest["coldchain"]["trace_example"]["trace_code"]})


@contextlib.contextmanager
def stderr_of_subprocesses(path: Path):
    """What processes started inside write to file descriptor 2 (the kernels), into path."""
    saved = os.dup(2)
    with open(path, "wb") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@pytest.fixture(scope="module")
def other_district(tmp_path_factory):
    """A database that is not the demo's: the district of tests/test_own_district.py (two towns,
    daily reports only: no rosters, ledgers or returnees), ingested and checked as its doc says;
    every notebook run on it with no parameter at all, the kernels' stderr kept."""
    from test_own_district import ROOT as CHECKOUT, export_settings, fangyi, start_over, write_district

    root = tmp_path_factory.mktemp("other_district")
    write_district(root)
    shutil.copy(CHECKOUT / "fangyi.toml", root / "fangyi.toml")
    (root / "外來導出.toml").write_text(export_settings((root / "fangyi.toml").read_text(encoding="utf-8")),
                                        encoding="utf-8")
    start_over(root)
    assert fangyi(root, "check", "--no-gx").returncode == 1            # its missed reports are errors
    db_path = root / "db" / "workbench.db"
    err = root / "kernel-stderr.txt"
    with stderr_of_subprocesses(err):
        built = build_report(db_path, root / "report", {})
    return db_path, built, err.read_text(encoding="utf-8", errors="replace")


def result(report, prefix: str) -> dict:
    return report.result(prefix)


def test_committed_notebooks_have_no_outputs():
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert [p.stem for p in paths] == NOTEBOOKS
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name}: a cell has outputs"
                assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


def test_notebooks_declare_parameters_and_open_the_database_read_only():
    declared = {p.stem: parameter_names(nbformat.read(p, as_version=4)) for p in notebook_paths()}
    assert declared == {"01_reporting_completeness": ["unit_code"], "02_weekly_bulletin": ["week"],
                        "03_batch_trace": ["trace_code"], "04_duty_and_allowance": ["unit_code"],
                        "05_returnees": ["unit_code"], "06_follow_up": ["check_id"]}
    for path in notebook_paths():
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert "notebook.connect(DB)" in source and "sqlite3.connect" not in source
        assert not re.search(r"\b(INSERT|UPDATE|DELETE|CREATE|DROP)\b", source)


def test_parameters_are_injected_after_the_parameters_cell():
    nb = nbformat.read(notebook_paths()[1], as_version=4)
    inject_parameters(nb, {"week": "2021-W03", "trace_code": "X"})
    i = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nb.cells[i + 1]
    assert injected.metadata.tags == ["injected-parameters"]
    assert "week = '2021-W03'" in injected.source and "trace_code" not in injected.source


def test_recomputed_bulletin_equals_the_sql_bulletin(report, checked_db):
    r = result(report, "02")
    assert r["week"] == WEEK
    assert r["bulletin_matches"] is True and r["differences"] == []
    conn = sqlite3.connect(checked_db)
    try:
        e, a, o, rr, tr = conn.execute(
            "SELECT expected, actual, on_time, reporting_rate, on_time_rate FROM reporting_rates "
            "WHERE level = 'district' AND period_type = 'week' AND period = ?", (WEEK,)).fetchone()
        towns = conn.execute("SELECT rank, town_code, expected, actual, on_time FROM town_weekly_ranking "
                             "WHERE iso_week = ? ORDER BY rank, town_code", (WEEK,)).fetchall()
        first, last = conn.execute("SELECT min(day), max(day) FROM calendar WHERE iso_week = ?", (WEEK,)).fetchone()
        missed = conn.execute("SELECT unit_code, date FROM findings WHERE check_id = 'missing_report' "
                              "AND date BETWEEN ? AND ? ORDER BY 1, 2", (first, last)).fetchall()
        late = conn.execute("SELECT unit_code, date FROM findings WHERE check_id = 'late_report' "
                            "AND date BETWEEN ? AND ? ORDER BY 1, 2", (first, last)).fetchall()
    finally:
        conn.close()
    [district] = r["district"]
    assert (district["expected"], district["actual"], district["on_time"]) == (e, a, o)
    assert district["reporting_rate"] == pytest.approx(rr) and district["on_time_rate"] == pytest.approx(tr)
    assert [(t["rank"], t["town_code"], t["expected"], t["actual"], t["on_time"]) for t in r["towns"]] == towns
    assert [tuple(m) for m in r["missed"]] == missed and missed
    assert [tuple(x) for x in r["late"]] == late and late


def test_example_batch_balances(report, demo_data):
    _, manifest = demo_data
    example = manifest["coldchain"]["trace_example"]
    r = result(report, "03")
    assert r["trace_code"] == example["trace_code"]
    assert r["batch_balances"] is True
    assert r["received_kg"] == pytest.approx(example["received_kg"])
    assert r["received_kg"] == pytest.approx(r["sold_to_final_buyers_kg"] + r["on_hand_kg"])
    merchant_names = {m["name"] for m in manifest["coldchain"]["merchants"]}
    assert r["buyers"] == sorted(set(example["buyers"]) - merchant_names)
    # every mass-balance and chain finding is listed with the ledger row its evidence names
    injected = {k: len(v) for k, v in manifest["coldchain"]["defects"].items()
                if k in ("oversold", "chain_break", "sold_unknown_batch", "sale_before_receipt")}
    assert r["chain_findings"] == injected
    assert r["evidence_rows_found"] == sum(injected.values())


def test_claims_comparison_finds_the_injected_overclaim(report, demo_data):
    _, manifest = demo_data
    injected = sorted((c["person"], c["month"]) for c in manifest["defects"]["allowance_overclaim"])
    r = result(report, "04")
    assert injected and [tuple(x) for x in r["overclaims"]] == injected
    assert [tuple(x) for x in r["overclaim_findings"]] == injected
    [over] = r["over"]
    claim = manifest["defects"]["allowance_overclaim"][0]
    assert over["difference"] == claim["claimed"]["amount"] - claim["supported"]["amount"] > 0


def test_completeness_counts_every_expected_unit_day(report, demo_data, checked_db):
    _, manifest = demo_data
    r = result(report, "01")
    conn = sqlite3.connect(checked_db)
    try:
        expected, actual = conn.execute("SELECT count(*), sum(reported) FROM expected_report_status").fetchone()
    finally:
        conn.close()
    assert (r["expected"], r["actual"]) == (expected, actual)
    assert sum(r["status_counts"].values()) == expected
    assert r["status_counts"]["漏報 missed"] == len(manifest["defects"]["missing_report"])
    assert len(r["streaks"]) == 1 and r["unit_missed_days"]


RETURNEE_CHECKS = ["returnee_test_missed", "returnee_late_notice", "returnee_late_registration",
                   "returnee_no_certificate"]


def test_returnee_checks_recomputed_from_the_base_tables_agree(report, demo_data, checked_db):
    """The notebook recomputes the four returnee checks from the base tables (its own assert cell
    compares them with the findings); here: it did, it found each injected case, and what it
    derived on the way (returnees in force, the tests owed by status) is what `fangyi check` derived."""
    _, manifest = demo_data
    r = result(report, "05")
    assert r["differences"] == {}
    assert [a["check_id"] for a in r["agreement"]] == RETURNEE_CHECKS
    conn = sqlite3.connect(checked_db)
    try:
        found = dict(conn.execute("SELECT check_id, count(*) FROM findings WHERE check_id LIKE 'returnee_%' "
                                  "GROUP BY check_id").fetchall())
        in_force = conn.execute("SELECT count(*) FROM returnees_current").fetchone()[0]
        owed = dict(conn.execute("SELECT status, count(*) FROM returnee_tests_owed GROUP BY status").fetchall())
    finally:
        conn.close()
    for a in r["agreement"]:
        assert a["recomputed"] == a["findings"] == found[a["check_id"]] >= 1, a
        assert a["only_recomputed"] == a["only_findings"] == 0, a
    assert r["returnees_in_force"] == in_force and r["owed"] == owed and owed.get("missed")
    assert r["unit_code"]


def test_html_report_is_self_contained_with_its_charts(report, checked_db):
    conn = sqlite3.connect(checked_db)
    try:
        run_id, sha = conn.execute("SELECT run_id, data_sha256 FROM check_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert [n.html.stem for n in report.notebooks] == NOTEBOOKS
    for nb in report.notebooks:
        html = nb.html.read_text(encoding="utf-8")
        assert not EXTERNAL_SCRIPT.search(html), nb.name
        assert not re.search(r"<script[^>]*\bsrc=", html), nb.name
        assert not re.search(r"<link[^>]*href=[\"']https?:", html), nb.name
        assert f"check run **{run_id}**" not in html and f"check run <strong>{run_id}</strong>" in html
        assert sha in html
        assert "window.vegaEmbed=" in html                     # the chart script, inline
        specs = re.findall(r'<script[^>]*\bid="vis-[0-9a-f]+-spec"[^>]*>(.*?)</script>', html, re.S)
        assert specs, f"{nb.name}: no chart"
        for spec in specs:
            spec = json.loads(spec.replace("<\\/", "</"))
            assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
            assert any(v for v in spec.get("datasets", {}).values()), f"{nb.name}: a chart without data"
        assert "Traceback" not in html


def test_report_command_needs_a_check_run(tmp_path):
    from fangyi.cli import cli

    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 3 and "no such database" in result.output


def test_html_report_renders_its_charts_offline_in_chromium(report, chromium):
    """Each notebook's HTML, opened from disk in headless Chromium that can resolve no host:
    every chart is drawn (vega-embed puts an svg or canvas in its container)."""
    from selenium.webdriver.support.ui import WebDriverWait

    artifacts = Path(__file__).resolve().parent.parent / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    for nb in report.notebooks:
        chromium.get(nb.html.resolve().as_uri())
        drawn = ("var c = document.querySelectorAll('.fangyi-chart'); "
                 "return [c.length, Array.from(c).filter(e => e.querySelector('svg, canvas')).length];")
        WebDriverWait(chromium, 30).until(lambda d: d.execute_script(drawn)[1] == d.execute_script(drawn)[0])
        charts, rendered = chromium.execute_script(drawn)
        assert charts >= 1 and rendered == charts, (nb.name, charts, rendered)
        chromium.save_screenshot(str(artifacts / f"report-{nb.html.stem}.png"))


def test_every_notebook_runs_on_another_district_with_its_defaults(other_district):
    """No parameter given, on a database with daily reports only: each notebook picks what suits
    it and says what it found, or that there is nothing of its kind."""
    db_path, built, _ = other_district
    assert [n.name[:-6] for n in built.notebooks] == NOTEBOOKS
    conn = sqlite3.connect(db_path)
    try:
        expected, actual = conn.execute("SELECT count(*), sum(reported) FROM expected_report_status").fetchone()
        last_week = conn.execute("SELECT max(iso_week) FROM calendar").fetchone()[0]
        (most_missed,) = conn.execute("SELECT unit_code FROM expected_report_status GROUP BY unit_code "
                                      "ORDER BY sum(reported = 0) DESC, unit_code LIMIT 1").fetchone()
        missed = conn.execute("SELECT unit_code, date FROM findings WHERE check_id = 'missing_report' AND date IN "
                              "(SELECT day FROM calendar WHERE iso_week = ?) ORDER BY 1, 2", (last_week,)).fetchall()
    finally:
        conn.close()
    completeness = built.result("01")
    assert (completeness["expected"], completeness["actual"]) == (expected, actual) and actual < expected
    assert completeness["unit_code"] == most_missed and completeness["unit_missed_days"]
    bulletin = built.result("02")
    assert bulletin["week"] == last_week and bulletin["bulletin_matches"] is True
    assert [tuple(m) for m in bulletin["missed"]] == missed and missed
    trace = built.result("03")
    assert trace["trace_code"] is None and trace["batch_balances"] is None and trace["chain_findings"] == {}
    duty = built.result("04")
    assert duty["overclaims"] == [] and duty["coverage"] == {} and duty["unit_code"] == ""
    returnees = built.result("05")
    assert returnees["returnees_in_force"] == 0 and returnees["differences"] == {}


def test_the_report_has_an_index_page_and_readable_summaries(other_district):
    _, built, _ = other_district
    index = built.index.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == [n.html.name for n in built.notebooks] and all((built.index.parent / h).is_file() for h in links)
    assert "01 報送完整性 Reporting completeness" in index and f"check run <strong>{built.run_id}</strong>" in index
    for nb in built.notebooks:
        page = nb.html.read_text(encoding="utf-8")
        assert "結果摘要 Summary" in page, nb.name
        # the result is shown labelled, not as the JSON the runner reads
        assert not re.search(r'\{\s*&quot;|\{\s*"[a-z_]+": ', page.split("結果摘要 Summary", 1)[1]), nb.name
    assert "重算與 SQL 通報一致 recomputed bulletin equals the SQL one" in built.notebooks[1].html.read_text(
        encoding="utf-8")


def test_the_kernels_say_nothing_about_tcp(other_district):
    _, _, stderr = other_district
    assert "without encryption" not in stderr and "Kernel is running over TCP" not in stderr


def test_batch_trace_defaults_to_the_batch_with_the_most_findings(checked_db):
    """03 without a trace code, on the demo: the batch with the most findings (then the most
    receipts and sales, then the code) — computed here from the tables, independently."""
    conn = sqlite3.connect(checked_db)
    try:
        moves = dict(conn.execute(
            "SELECT trace_code, count(*) FROM (SELECT trace_code FROM coldchain_batches UNION ALL "
            "SELECT trace_code FROM coldchain_sales) WHERE trace_code <> '' GROUP BY trace_code").fetchall())
        found = dict(conn.execute("SELECT subject_key, count(*) FROM findings GROUP BY subject_key").fetchall())
    finally:
        conn.close()
    expected = min(moves, key=lambda code: (-found.get(code, 0), -moves[code], code))
    assert found.get(expected)
    [nb] = build_report(checked_db, None, {}, notebooks=[p for p in notebook_paths() if p.stem == "03_batch_trace"]
                        ).notebooks
    assert nb.result["trace_code"] == expected and nb.result["batch_balances"] in (True, False)


def test_the_false_alarm_rate_of_each_check_comes_from_the_marks(checked_db_copy):
    """The follow-up notebook on a database whose inspectors marked two missed reports as false
    alarms and a third as confirmed, and a late report as put right: missing_report's false-alarm
    rate is 2 of the 3 judged, late_report's 0; the reasons are listed; nothing is written."""
    from fangyi import followup
    from fangyi.notebook import result_of
    from fangyi.report import execute, notebooks_dir

    db = checked_db_copy
    conn = sqlite3.connect(db)
    marks = followup.connect_marks(followup.marks_path(db), write=True)
    state = followup.follow_up(conn, marks)
    missed = [f for f in state.findings if f["check_id"] == "missing_report"][:3]
    late = next(f for f in state.findings if f["check_id"] == "late_report")
    district = followup.Account("inspector")
    followup.add_mark(marks, missed[0], "false_alarm", district, "該社區當日停業整頓")
    followup.add_mark(marks, missed[1], "note", district, "已電話聯繫")
    followup.add_mark(marks, missed[1], "false_alarm", district, "報告在另一個文件裏")
    followup.add_mark(marks, missed[2], "confirmed", district)
    followup.add_mark(marks, late, "put_right", district, None, "2021-02-01")
    conn.close()
    marks.close()
    before = db.read_bytes()
    nb = execute(notebooks_dir() / "06_follow_up.ipynb", db)
    got = result_of(nb)
    assert got["marks"] is True
    assert got["rates"]["missing_report"]["false_alarms"] == 2 and got["rates"]["missing_report"]["judged"] == 3
    assert got["rates"]["missing_report"]["false_alarm_rate"] == 66.7
    assert got["rates"]["late_report"]["false_alarm_rate"] == 0.0
    assert sorted(got["judged_checks"]) == ["late_report", "missing_report"]
    shown = json.dumps(nb.cells[-2].outputs, ensure_ascii=False)
    assert "該社區當日停業整頓" in shown and "報告在另一個文件裏" in shown
    assert db.read_bytes() == before
