"""Settings: a foreign header mapped without code, unit aliases, and errors on typos."""
from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from fangyi import settings
from fangyi.cli import cli


def test_defaults_match_the_contract():
    s = settings.Settings()
    assert (s.deadline_days_after, s.deadline_time.isoformat(timespec="minutes")) == (1, "09:00")
    assert s.silent_streak_min_days == 3 and s.allowance_rate_per_shift == 200 and s.chain_match_window_days == 3
    assert s.period_start is None and s.period_end is None


def test_bundled_settings_file_is_the_defaults():
    from pathlib import Path

    bundled = settings.load(Path(__file__).parent.parent / "fangyi.toml")
    bundled.source = None
    bundled.header_synonyms = {k: v for k, v in bundled.header_synonyms.items() if v}
    assert bundled == settings.Settings()


def test_foreign_headers_and_alias_from_settings(tmp_path, monkeypatch):
    """./fangyi.toml maps province -> unit, date -> report_date and adds an alias."""
    (tmp_path / "fangyi.toml").write_text(
        '[headers.daily]\nunit = ["province"]\nreport_date = ["date"]\nnew_confirmed = ["confirmed"]\n'
        'close_contacts = ["contacts"]\n'
        '[aliases]\n"440100001001" = ["Liu An"]\n', encoding="utf-8")
    (tmp_path / "units.csv").write_text(
        "單位編碼,單位名稱,層級,上級編碼\n440100001001,柳岸社區,社區,440100001000\n", encoding="utf-8")
    (tmp_path / "foreign.csv").write_text("province,date,confirmed,contacts\nLiu An,2021-01-20,0,3\n",
                                          encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["ingest", "--db", "w.db", "units.csv", "foreign.csv"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["check", "--db", "w.db", "--no-gx"])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(tmp_path / "w.db")
    assert conn.execute("SELECT unit_code, report_date, close_contacts FROM daily_reports_current").fetchone() == (
        "440100001001", "2021-01-20", 3)


def test_without_the_settings_the_foreign_file_is_refused(tmp_path):
    (tmp_path / "foreign.csv").write_text("province,date,confirmed\nLiu An,2021-01-20,0\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--settings", str(tmp_path / "none.toml"), "ingest", "--db",
                                      str(tmp_path / "w.db"), str(tmp_path / "foreign.csv")])
    assert result.exit_code != 0 and "settings file not found" in result.output
    result = CliRunner().invoke(cli, ["ingest", "--db", str(tmp_path / "w.db"), str(tmp_path / "foreign.csv")])
    assert result.exit_code == 1 and "no sheet has a recognisable header" in result.output


def test_typo_in_settings_is_an_error(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[deadline]\ntime = '09:00'\ndays_afer = 2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--settings", str(path), "ingest", "--db", str(tmp_path / "w.db"), "x.csv"])
    assert result.exit_code != 0 and "days_afer" in result.output
    path.write_text("[headers.daily]\nunitt = ['x']\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--settings", str(path), "ingest", "--db", str(tmp_path / "w.db"), "x.csv"])
    assert result.exit_code != 0 and "unitt" in result.output


def test_settings_from_environment(tmp_path, monkeypatch):
    path = tmp_path / "s.toml"
    path.write_text("[silent_streak]\nmin_days = 4\n[period]\nstart = '2021-01-11'\n", encoding="utf-8")
    monkeypatch.setenv("FANGYI_SETTINGS", str(path))
    s = settings.load()
    assert s.silent_streak_min_days == 4 and s.period_start.isoformat() == "2021-01-11"


def test_inspector_password_hash_from_settings(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[site]\ninspector_password_hash = "pbkdf2_sha256$480000$abc$def"\n', encoding="utf-8")
    assert settings.load(path).inspector_password_hash == "pbkdf2_sha256$480000$abc$def"
    path.write_text('[site]\npassword = "x"\n', encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=r"\[site\].*unknown setting"):
        settings.load(path)
