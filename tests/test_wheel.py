"""The package as users install it: a wheel (not the editable install) in a fresh virtual
environment runs every check on the demo and finds what the development install finds."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the built wheel; third-party packages come from the test's own
    environment through a .pth line (no network, no editable finder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    # build from a clean copy: a build/ folder left in the checkout could smuggle stale files in
    source = tmp / "source"
    generated = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", "*.db", "*.db-*",
                                       ".pytest_cache")
    shutil.copytree(ROOT, source, symlinks=True, ignore=lambda folder, names: set(generated(folder, names)) | (
        {"demo", "gx"} & set(names) if Path(folder) == ROOT else set()))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(source)],
                   check=True, capture_output=True)
    [wheel] = (tmp / "dist").glob("fangyi-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)
    return venv


def test_installed_names(installed, tmp_path):
    py = str(installed / "bin" / "python")
    out = subprocess.run([py, "-c", "import fangyi, fangyi.db, fangyi.checks, fangyi.ingest; print(fangyi.__file__)"],
                         cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert str(installed) in out
    for generic in ("db", "checks", "ingest"):
        assert subprocess.run([py, "-c", f"import {generic}"], cwd=tmp_path, capture_output=True).returncode == 1


def test_installed_sql_macros(installed, tmp_path):
    """The engines' SQL macros (db/macros/*.sql) are package data: the installed schema renders."""
    code = ("from fangyi.db import dialect, schema_sql\n"
            "print(dialect.engines(), dialect.macro_source().count('{% macro'), '{{' in schema_sql(), dialect.__file__)")
    out = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout.split()
    from fangyi.db.dialect import MACROS

    assert out[:3] == ["['sqlite']", str(len(MACROS)), "False"] and str(installed) in out[3], out


def test_installed_site_carries_its_templates_and_static_files(installed, tmp_path):
    """fangyi.site's package data is in the wheel: every template and static file, beside the
    metadata.yml that serve reads and the report's template."""
    code = ("import json\nfrom pathlib import Path\nimport fangyi.site.plugin as plugin, fangyi.site.serve as serve, "
            "fangyi.report as report\nroot = Path(plugin.__file__).parent\n"
            "print(json.dumps({'plugin': plugin.__file__, 'metadata': serve.METADATA.is_file(),\n"
            "    'report': (report.TEMPLATES / 'fangyi_report.html.j2').is_file(),\n"
            "    'files': sorted(str(p.relative_to(root)) for d in ('templates', 'static')\n"
            "                    for p in (root / d).rglob('*') if p.is_file())}))")
    out = json.loads(subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, check=True,
                                    capture_output=True, text=True).stdout)
    site = ROOT / "fangyi" / "site"
    files = sorted(str(p.relative_to(site)) for d in ("templates", "static") for p in (site / d).rglob("*")
                   if p.is_file())
    assert out["plugin"].startswith(str(installed)) and out["metadata"] and out["report"]
    assert "templates/index.html" in files and "static/datadocs/README.md" in files
    assert out["files"] == files


def test_installed_check_finds_what_the_development_install_finds(installed, tmp_path, checked_db):
    fangyi = str(installed / "bin" / "fangyi")
    subprocess.run([str(installed / "bin" / "python"), "-m", "fangyi.demo", "data"], cwd=tmp_path, check=True,
                   capture_output=True)
    subprocess.run([fangyi, "ingest", "--db", "w.db", "data"], cwd=tmp_path, check=True, capture_output=True)
    result = subprocess.run([fangyi, "check", "--db", "w.db", "--docs", "docs"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "agrees with the findings" in result.stdout
    assert (tmp_path / "docs" / "index.html").is_file()

    def findings(path):
        conn = sqlite3.connect(path)
        try:
            return sorted(conn.execute("SELECT check_id, unit_code, date, subject_key, message FROM findings"),
                          key=repr)
        finally:
            conn.close()
    installed_findings = findings(tmp_path / "w.db")
    assert installed_findings and installed_findings == findings(checked_db)
