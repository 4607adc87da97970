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


@pytest.mark.parametrize("text,where,expected", [
    ('[deadline]\ndays_after = "abc"\n', "[deadline] days_after", "expected 0 to 365 days"),
    ("[deadline]\ndays_after = -400\n", "[deadline] days_after", "expected 0 to 365 days"),
    ("[deadline]\ndays_after = 1.5\n", "[deadline] days_after", "whole number"),
    ("[deadline]\ntime = 9\n", "[deadline] time", "HH:MM"),
    ("[silent_streak]\nmin_days = [3]\n", "[silent_streak] min_days", "expected 2 to 366 days"),
    ("[allowance]\nrate_per_shift = 1e400\n", "[allowance] rate_per_shift", "expected 0 to 100,000 yuan"),
    ("[allowance]\nrate_per_shift = nan\n", "[allowance] rate_per_shift", "expected 0 to 100,000 yuan"),
    ('[allowance]\nrate_per_shift = "200"\n', "[allowance] rate_per_shift", "not a number"),
    ("[coldchain]\nmatch_window_days = true\n", "[coldchain] match_window_days", "whole number"),
    ('[period]\nstart = "2021-02-30"\n', "[period] start", "a date such as 2021-01-20"),
    ("[period]\nend = 20210101\n", "[period] end", "a date such as 2021-01-20"),
    ("[period]\nstart = 2021-01-01T08:00:00\n", "[period] start", "a date and time"),
    ('[period]\nstart = "2021-02-01"\nend = "2021-01-01"\n', "[period]", "start on or before end"),
    ('[plausible]\nearliest = ["2019-12-01"]\n', "[plausible] earliest", "a date such as"),
    ("[plausible]\nlatest_days_ahead = 100000\n", "[plausible] latest_days_ahead", "expected 0 to 3,660 days"),
    ("[plausible.max]\ntests_done = 1e30\n", "[plausible.max] tests_done", "whole number"),
    ("[headers.daily]\nunit = [1, 2]\n", "[headers.daily] unit", "a name or a list of names"),
    ('[headers]\ndaily = "x"\n', "[headers]", "a table [headers.daily]"),
    ('[aliases]\n"440199001001" = {name = "x"}\n', "[aliases] '440199001001'", "a name or a list of names"),
    ('[filter.daily]\n"國家" = [1.5]\n', "[filter.daily] 國家", "a value or a list of values"),
    ('[levels]\n"片區" = ["community"]\n', "[levels] '片區'", "is not one of"),
    ("[site]\ninspector_password_hash = 3\n", "[site] inspector_password_hash", "as a string"),
    ("[site]\nlogin_max_failures = 0\n", "[site] login_max_failures", "expected 1 to 1,000 failures"),
    ('[site]\nlogin_lockout_minutes = "15"\n', "[site] login_lockout_minutes", "expected 1 to 1,440 minutes"),
    ("[site]\nsession_hours = 8.5\n", "[site] session_hours", "whole number"),
    ("deadline = 3\n", ": deadline is 3", "a table [deadline]"),
])
def test_a_value_of_the_wrong_type_or_range_names_file_table_key_and_what_is_expected(tmp_path, text, where,
                                                                                      expected):
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(settings.SettingsError) as raised:
        settings.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}") and where in message and expected in message, message
    assert "\n" not in message


def test_a_settings_file_not_utf8_or_not_toml(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes('[aliases]\n"440199001001" = ["柳岸居委"]\n'.encode("gbk"))
    with pytest.raises(settings.SettingsError, match=r"is not UTF-8 text .*; save it as UTF-8"):
        settings.load(path)
    path.write_text("[deadline\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match=r"is not valid TOML \(.*line 1"):
        settings.load(path)
    path.write_text("\ufeff[deadline]\ndays_after = 2\n", encoding="utf-8")       # as Notepad saves it
    assert settings.load(path).deadline_days_after == 2


def test_a_decimal_allowance_rate_is_kept(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("[allowance]\nrate_per_shift = 87.5\n", encoding="utf-8")
    assert settings.load(path).allowance_rate_per_shift == 87.5
    path.write_text("[allowance]\nrate_per_shift = 200.0\n", encoding="utf-8")
    rate = settings.load(path).allowance_rate_per_shift
    assert rate == 200 and type(rate) is int
