"""User settings: one TOML file (default ./fangyi.toml, or --settings / $FANGYI_SETTINGS).

Every setting has a default here; the bundled fangyi.toml documents them. Unknown keys are an
error, so a typo does not silently fall back to a default.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = Path("fangyi.toml")


@dataclass
class Settings:
    period_start: dt.date | None = None       # None: first report date in the data
    period_end: dt.date | None = None         # None: last report date in the data
    deadline_days_after: int = 1              # report for day D due by D+1 ...
    deadline_time: dt.time = dt.time(9, 0)    # ... at 09:00
    silent_streak_min_days: int = 3
    allowance_rate_per_shift: int | float = 200
    chain_match_window_days: int = 3
    retail_max_kg: int | float = 10           # [coldchain]: a sale to the public up to this weight ends the chain
    returnees: "ReturneeSettings" = field(default_factory=lambda: ReturneeSettings())
    header_synonyms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    unit_aliases: dict[str, list[str]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)                  # extra level word -> level
    row_filters: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> column -> values kept
    inspector_password_hash: str | None = None  # for `fangyi serve`; $FANGYI_INSPECTOR_PASSWORD_HASH wins
    login_max_failures: int = 5        # failed logins (per account, per address) before the lockout
    login_lockout_minutes: int = 15    # how long a lockout lasts
    session_hours: int = 8             # how long a login lasts
    # [site.accounts.NAME] password_hash, town: a town's inspector (marks its findings, signs off its weeks)
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    # [site] source, source_url, license, license_url: what the site says the data is and under
    # which licence (fangyi.site.attribution); none by default, the demo's text only for the demo
    site_text: dict[str, str] = field(default_factory=dict)
    plausible_earliest: dt.date = dt.date(2019, 12, 1)   # no record dated before this
    plausible_latest_days_ahead: int = 1                 # ... nor after today + this many days
    plausible_max: dict[str, int] = field(default_factory=dict)   # count field -> plausible maximum
    max_cell_chars: int = 32_767             # [limits]: a longer cell rejects its row (ingest.kinds.MAX_CELL_CHARS)
    time_zone: str = "Asia/Shanghai"         # [time] zone: a time written with an offset (Z, +08:00) is converted to it
    gathering_family_limit: int = 10         # [gatherings] family_limit: a family gathering is advised to stay within it
    gathering_limit: int = 50                # [gatherings] limit: any other event must stay within it
    gathering_approval_exempt_types: list[str] = field(default_factory=lambda: ["婚", "喪"])   # reported, not approved
    gathering_banquet_types: list[str] = field(default_factory=lambda: ["婚", "喪", "壽"])     # private banquets
    gathering_banquet_bans: list[tuple[dt.date, dt.date]] = field(default_factory=list)      # [[gatherings.banquet_ban]]
    # [disinfection]: the window of the every_2h slots, and the places expected to be disinfected
    disinfection_opening_hours: tuple[dt.time, dt.time] = (dt.time(8, 0), dt.time(20, 0))
    disinfection_places: list[dict] = field(default_factory=list)   # [[disinfection.places]], validated
    source: Path | None = None

    def ingest_options(self):
        from fangyi.ingest.kinds import IngestOptions

        return IngestOptions(self.header_synonyms, self.levels, self.row_filters,
                             earliest=self.plausible_earliest, latest_days_ahead=self.plausible_latest_days_ahead,
                             period_start=self.period_start, period_end=self.period_end,
                             maxima=dict(self.plausible_max), max_cell_chars=self.max_cell_chars,
                             zone=self.time_zone)


@dataclass
class ReturneeSettings:
    """[returnees]: the rules for returnees under health management (data contract 1.6)."""
    notice_hours: int = 24              # notified at least this long before arriving
    registration_hours: int = 12        # registered within this long after arriving
    certificate_days: int = 7           # negative certificate taken within this many days before arrival
    first_test_hours: int = 24          # without a certificate: tested within this long after registering
    monitoring_days: int = 14
    test_days: list[int] = field(default_factory=lambda: [7, 14])   # day N = arrival date + N days
    medium_high_risk_tests: int = 3
    test_late_tolerance_days: int = 1

    def schedule(self, risk: str) -> list[int]:
        """The days of the tests owed: test_days for low risk; for medium and high risk
        medium_high_risk_tests tests, the test_days preceded by days 1, 2 ... when more are owed
        (default 1, 7, 14), or the last of them when fewer."""
        if risk == "low":
            return list(self.test_days)
        extra = self.medium_high_risk_tests - len(self.test_days)
        if extra <= 0:
            return list(self.test_days[len(self.test_days) - self.medium_high_risk_tests:])
        return list(range(1, extra + 1)) + list(self.test_days)


SITE_TEXT_KEYS = ("source", "source_url", "license", "license_url")     # [site]: the site's attribution


class SettingsError(ValueError):
    """A settings file that cannot be used: one line naming the file, the table and the key, and
    what is expected there."""


# The ranges of the numbers: what a district can mean, not what the code would survive.
DAYS_AFTER = (0, 365)           # [deadline] days_after: due the same day .. a year later
STREAK_DAYS = (2, 366)          # [silent_streak] min_days: a streak is two days or more
RATE = (0, 100_000)             # [allowance] rate_per_shift, yuan
WINDOW_DAYS = (0, 365)          # [coldchain] match_window_days
RETAIL_KG = (0, 100_000)        # [coldchain] retail_max_kg
DAYS_AHEAD = (0, 3660)          # [plausible] latest_days_ahead
HOURS = (0, 24 * 30)            # [returnees] notice_hours, registration_hours, first_test_hours
RETURNEE_DAYS = (1, 366)        # [returnees] certificate_days, monitoring_days, test_days
RETURNEE_TESTS = (1, 30)        # [returnees] medium_high_risk_tests
TOLERANCE_DAYS = (0, 30)        # [returnees] test_late_tolerance_days
MAXIMUM = (0, 2**63 - 1)        # [plausible.max] <field>: SQLite's largest integer
GATHERING_LIMIT = (1, 100_000)  # [gatherings] family_limit, limit: people
GATHERING_TYPES = ("婚", "喪", "壽", "其他")    # what [gatherings] approval_exempt_types, banquet_types may list


def _date(value, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        raise SettingsError(f"{where}: {value.isoformat()} is a date and time; expected a date such as 2021-01-20")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise SettingsError(f"{where}: {_shown(value)} is not a date; expected a date such as 2021-01-20 "
                            "(or \"\" for none)")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise SettingsError(f"{where}: {value!r} is not a date; expected a date such as 2021-01-20 "
                            "(or \"\" for none)") from exc


def _shown(value) -> str:
    """A value as the file has it, kinds named: a list, a table, a number, a string."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _table(data: dict, key: str, where: str, within: str = "") -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        name = f"{within}.{key}" if within else key
        raise SettingsError(f"{where}: {key} is {_shown(value)}; expected a table [{name}] of settings")
    return value


def _time(value, where: str) -> dt.time:
    if isinstance(value, dt.time) and not isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = dt.time.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise SettingsError(f"{where}: {_shown(value)} is not a time of day; expected HH:MM such as \"09:00\"")
    return parsed


def _zone(value, where: str) -> str:
    """An IANA time zone name such as Asia/Shanghai, as zoneinfo (and polars) know it."""
    import zoneinfo

    expected = "expected a time zone name such as \"Asia/Shanghai\" or \"Europe/Berlin\""
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{where}: {_shown(value)} is not a time zone; {expected}")
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise SettingsError(f"{where}: {_shown(value)} is not a known time zone; {expected}") from None
    try:            # the parsers convert with polars, whose zone database is its own
        import polars as pl

        pl.Series([0], dtype=pl.Datetime("us")).dt.replace_time_zone(name)
    except Exception:
        raise SettingsError(f"{where}: {_shown(value)} is not a time zone the parsers know; {expected}") from None
    return name


def _words(value, where: str) -> list[str]:
    """A string or a list of strings (header synonyms, aliases)."""
    values = _list(value)
    if not all(isinstance(v, str) for v in values):
        raise SettingsError(f"{where}: {_shown(value)} is not a list of names; expected a name or a list of names, "
                            "such as [\"a\", \"b\"]")
    return values


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(sorted(allowed))}")


def load(path: Path | str | None = None) -> Settings:
    """Settings from `path`, else $FANGYI_SETTINGS, else ./fangyi.toml if present, else defaults."""
    explicit = path or os.environ.get("FANGYI_SETTINGS")
    path = Path(explicit) if explicit else DEFAULT_PATH
    if not path.exists():
        if explicit:
            raise SettingsError(f"{path}: settings file not found; give an existing file with --settings "
                                "(or $FANGYI_SETTINGS), or leave it out for the defaults")
        return Settings()
    data = _read(path)
    where = str(path)
    _check_keys(data, {"period", "deadline", "silent_streak", "allowance", "coldchain", "headers", "aliases",
                       "levels", "filter", "site", "plausible", "limits", "time", "gatherings",
                       "returnees", "disinfection"}, where)
    s = Settings(source=path)
    for name in data:                   # every setting lives in a table: [period], [deadline], ...
        _table(data, name, where)
    limits = data.get("limits", {})
    _check_keys(limits, {"max_cell_chars"}, f"{where} [limits]")
    s.max_cell_chars = _int(limits.get("max_cell_chars", s.max_cell_chars), f"{where} [limits] max_cell_chars", 1,
                            unit="characters")
    time = data.get("time", {})
    _check_keys(time, {"zone"}, f"{where} [time]")
    s.time_zone = _zone(time.get("zone", s.time_zone), f"{where} [time] zone")
    period = data.get("period", {})
    _check_keys(period, {"start", "end"}, f"{where} [period]")
    s.period_start = _date(period.get("start"), f"{where} [period] start")
    s.period_end = _date(period.get("end"), f"{where} [period] end")
    if s.period_start and s.period_end and s.period_start > s.period_end:
        raise SettingsError(f"{where} [period]: start {s.period_start} is after end {s.period_end}; "
                            "expected start on or before end")
    deadline = data.get("deadline", {})
    _check_keys(deadline, {"days_after", "time"}, f"{where} [deadline]")
    s.deadline_days_after = _int(deadline.get("days_after", s.deadline_days_after), f"{where} [deadline] days_after",
                                 *DAYS_AFTER, unit="days")
    s.deadline_time = _time(deadline.get("time", "09:00"), f"{where} [deadline] time")
    streak = data.get("silent_streak", {})
    _check_keys(streak, {"min_days"}, f"{where} [silent_streak]")
    s.silent_streak_min_days = _int(streak.get("min_days", s.silent_streak_min_days),
                                    f"{where} [silent_streak] min_days", *STREAK_DAYS, unit="days")
    allowance = data.get("allowance", {})
    _check_keys(allowance, {"rate_per_shift"}, f"{where} [allowance]")
    s.allowance_rate_per_shift = _number(allowance.get("rate_per_shift", s.allowance_rate_per_shift),
                                         f"{where} [allowance] rate_per_shift", *RATE, unit="yuan")
    coldchain = data.get("coldchain", {})
    _check_keys(coldchain, {"match_window_days", "retail_max_kg"}, f"{where} [coldchain]")
    s.chain_match_window_days = _int(coldchain.get("match_window_days", s.chain_match_window_days),
                                     f"{where} [coldchain] match_window_days", *WINDOW_DAYS, unit="days")
    s.retail_max_kg = _number(coldchain.get("retail_max_kg", s.retail_max_kg),
                              f"{where} [coldchain] retail_max_kg", *RETAIL_KG, unit="kg")
    _gatherings(s, data.get("gatherings", {}), f"{where} [gatherings]")
    s.returnees = _returnees(data.get("returnees", {}), f"{where} [returnees]")
    from fangyi.ingest import kinds as registry

    kinds = registry.all_kinds()
    headers = data.get("headers", {})
    _check_keys(headers, set(kinds), f"{where} [headers]")
    for kind, fields in headers.items():
        fields = _table(headers, kind, f"{where} [headers]", "headers")
        _check_keys(fields, {f.name for f in kinds[kind].fields}, f"{where} [headers.{kind}]")
        s.header_synonyms[kind] = {f: _words(words, f"{where} [headers.{kind}] {f}") for f, words in fields.items()}
    filters = data.get("filter", {})
    _check_keys(filters, set(kinds), f"{where} [filter]")
    for kind, rules in filters.items():
        rules = _table(filters, kind, f"{where} [filter]", "filter")
        s.row_filters[kind] = {str(col): _kept(values, f"{where} [filter.{kind}] {col}")
                               for col, values in rules.items()}
    site = data.get("site", {})
    _check_keys(site, {"inspector_password_hash", "login_max_failures", "login_lockout_minutes", "session_hours",
                       "accounts", *SITE_TEXT_KEYS}, f"{where} [site]")
    for name, account in _table(site, "accounts", f"{where} [site]", "site").items():
        here = f"{where} [site.accounts.{name}]"
        if not isinstance(account, dict):
            raise SettingsError(f"{here}: expected a table with password_hash and town")
        _check_keys(account, {"password_hash", "town"}, here)
        for key, example in (("password_hash", '"pbkdf2_sha256$..."'), ("town", '"440106003000", the town\'s code')):
            if not isinstance(account.get(key), str) or not account[key].strip():
                raise SettingsError(f"{here} {key}: {_shown(account.get(key))}; expected text such as {example}")
        if name == "inspector":
            raise SettingsError(f"{here}: the name inspector is the district's account ([site] "
                                "inspector_password_hash); give the town's account another name")
        s.accounts[str(name)] = {"password_hash": account["password_hash"].strip(), "town": account["town"].strip()}
    for key in SITE_TEXT_KEYS:
        value = site.get(key)
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{where} [site] {key}: {_shown(value)}; expected text in quotes")
        if value and value.strip():
            s.site_text[key] = value.strip()
    password_hash = site.get("inspector_password_hash")
    if password_hash is not None and not isinstance(password_hash, str):
        raise SettingsError(f"{where} [site] inspector_password_hash: {_shown(password_hash)}; expected the hash "
                            "as a string, \"pbkdf2_sha256$...\"")
    s.inspector_password_hash = password_hash or None
    for name, (low, high, unit) in {"login_max_failures": (1, 1000, "failures"),
                                    "login_lockout_minutes": (1, 1440, "minutes"),
                                    "session_hours": (1, 720, "hours")}.items():
        setattr(s, name, _int(site.get(name, getattr(s, name)), f"{where} [site] {name}", low, high, unit=unit))
    levels = registry.values_of("level")
    for word, level in data.get("levels", {}).items():
        if not isinstance(level, str) or level not in levels:
            raise SettingsError(f"{where} [levels] {word!r}: level {_shown(level)} is not one of {', '.join(levels)}")
        s.levels[str(word)] = level
    plausible = data.get("plausible", {})
    _check_keys(plausible, {"earliest", "latest_days_ahead", "max"}, f"{where} [plausible]")
    s.plausible_earliest = _date(plausible.get("earliest"), f"{where} [plausible] earliest") or s.plausible_earliest
    s.plausible_latest_days_ahead = _int(plausible.get("latest_days_ahead", s.plausible_latest_days_ahead),
                                         f"{where} [plausible] latest_days_ahead", *DAYS_AHEAD, unit="days")
    bounded = {f.name for k in kinds.values() for f in k.fields if f.maximum is not None}
    maxima = plausible.get("max", {})
    if not isinstance(maxima, dict):
        raise SettingsError(f"{where} [plausible] max: expected a table [plausible.max] of field = maximum")
    _check_keys(maxima, bounded, f"{where} [plausible.max]")
    s.plausible_max = {str(name): _int(value, f"{where} [plausible.max] {name}", *MAXIMUM)
                       for name, value in maxima.items()}
    s.unit_aliases = {str(code): _words(names, f"{where} [aliases] {code!r}")
                      for code, names in data.get("aliases", {}).items()}
    _disinfection(data.get("disinfection", {}), s, where)
    return s


def _gathering_types(value, where: str) -> list[str]:
    """A non-empty list of the four event types (婚, 喪, 壽, 其他; simplified forms read too)."""
    from fangyi.keys import norm

    forms = {norm(t): t for t in GATHERING_TYPES}
    expected = "expected a non-empty list of the types 婚, 喪, 壽, 其他, such as [\"婚\", \"喪\"]"
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{where}: {_shown(value)} is not a list of types; {expected}")
    unknown = [v for v in value if norm(v) not in forms]
    if unknown:
        raise SettingsError(f"{where}: {', '.join(map(repr, unknown))} is not a type; {expected}")
    return list(dict.fromkeys(forms[norm(v)] for v in value))


def _gatherings(s: Settings, table: dict, where: str) -> None:
    """[gatherings]: family_limit, limit, approval_exempt_types, banquet_types, and the periods in
    which private banquets are banned ([[gatherings.banquet_ban]] start, end)."""
    _check_keys(table, {"family_limit", "limit", "approval_exempt_types", "banquet_types", "banquet_ban"}, where)
    s.gathering_family_limit = _int(table.get("family_limit", s.gathering_family_limit), f"{where} family_limit",
                                    *GATHERING_LIMIT, unit="people")
    s.gathering_limit = _int(table.get("limit", s.gathering_limit), f"{where} limit", *GATHERING_LIMIT, unit="people")
    if "approval_exempt_types" in table:
        s.gathering_approval_exempt_types = _gathering_types(table["approval_exempt_types"],
                                                             f"{where} approval_exempt_types")
    if "banquet_types" in table:
        s.gathering_banquet_types = _gathering_types(table["banquet_types"], f"{where} banquet_types")
    bans = table.get("banquet_ban", [])
    if not isinstance(bans, list):
        raise SettingsError(f"{where} banquet_ban: {_shown(bans)}; expected [[gatherings.banquet_ban]] tables "
                            "with start and end dates")
    s.gathering_banquet_bans = []
    for i, ban in enumerate(bans, 1):
        at = f"{where} banquet_ban #{i}"
        if not isinstance(ban, dict):
            raise SettingsError(f"{at}: {_shown(ban)}; expected a table with start and end dates")
        _check_keys(ban, {"start", "end"}, at)
        start, end = _date(ban.get("start"), f"{at} start"), _date(ban.get("end"), f"{at} end")
        if start is None or end is None:
            raise SettingsError(f"{at}: needs both start and end, dates such as 2021-02-06")
        if start > end:
            raise SettingsError(f"{at}: start {start} is after end {end}; expected start on or before end")
        s.gathering_banquet_bans.append((start, end))


def _returnees(table: dict, where: str) -> ReturneeSettings:
    r = ReturneeSettings()
    _check_keys(table, {"notice_hours", "registration_hours", "certificate_days", "first_test_hours",
                        "monitoring_days", "test_days", "medium_high_risk_tests", "test_late_tolerance_days"}, where)
    for name, (low, high), unit in (("notice_hours", HOURS, "hours"), ("registration_hours", HOURS, "hours"),
                                    ("first_test_hours", HOURS, "hours"),
                                    ("certificate_days", RETURNEE_DAYS, "days"),
                                    ("monitoring_days", RETURNEE_DAYS, "days"),
                                    ("medium_high_risk_tests", RETURNEE_TESTS, "tests"),
                                    ("test_late_tolerance_days", TOLERANCE_DAYS, "days")):
        setattr(r, name, _int(table.get(name, getattr(r, name)), f"{where} {name}", low, high, unit=unit))
    days = table.get("test_days", r.test_days)
    expected = (f"expected a list of days after arrival, each {RETURNEE_DAYS[0]} to {RETURNEE_DAYS[1]}, rising, "
                "such as [7, 14]")
    if not isinstance(days, list) or not days or not all(
            isinstance(d, int) and not isinstance(d, bool) and RETURNEE_DAYS[0] <= d <= RETURNEE_DAYS[1] for d in days):
        raise SettingsError(f"{where} test_days: {_shown(days)} is not a list of days; {expected}")
    if any(a >= b for a, b in zip(days, days[1:])):
        raise SettingsError(f"{where} test_days: {_shown(days)} does not rise; {expected}")
    r.test_days = list(days)
    extra = r.medium_high_risk_tests - len(r.test_days)
    if extra > 0 and extra >= r.test_days[0]:
        raise SettingsError(f"{where} medium_high_risk_tests: {r.medium_high_risk_tests} tests leave no room for "
                            f"{extra} test(s) on days 1 .. {extra} before the first of test_days ({r.test_days[0]}); "
                            "expected fewer tests or later test_days")
    return r


PLACE_KEYS = {"unit_code", "place", "frequency", "opened_on", "closed_on"}


def _disinfection(table: dict, s: Settings, where: str) -> None:
    """[disinfection] opening_hours = "HH:MM-HH:MM" and [[disinfection.places]] entries."""
    from fangyi.ingest.kinds import FREQUENCIES

    _check_keys(table, {"opening_hours", "places"}, f"{where} [disinfection]")
    if "opening_hours" in table:
        s.disinfection_opening_hours = _hours(table["opening_hours"], f"{where} [disinfection] opening_hours")
    places = table.get("places", [])
    if not isinstance(places, list) or not all(isinstance(p, dict) for p in places):
        raise SettingsError(f"{where} [disinfection] places: {_shown(places)}; expected a list of tables "
                            "[[disinfection.places]] with unit_code, place and frequency")
    s.disinfection_places = []
    for i, entry in enumerate(places, 1):
        at = f"{where} [[disinfection.places]] #{i}"
        _check_keys(entry, PLACE_KEYS, at)
        code, place = entry.get("unit_code"), entry.get("place")
        if not isinstance(code, str) or not code.strip():
            raise SettingsError(f"{at} unit_code: {_shown(code)}; expected the unit's code as text in quotes, "
                                "such as \"450103001001\"")
        if not isinstance(place, str) or not place.strip():
            raise SettingsError(f"{at} place: {_shown(place)}; expected the place's name, such as \"桃源小區\"")
        frequency = entry.get("frequency", "daily")
        if frequency not in FREQUENCIES:
            raise SettingsError(f"{at} frequency: {_shown(frequency)} is not one of {', '.join(FREQUENCIES)}")
        opened = _date(entry.get("opened_on"), f"{at} opened_on")
        closed = _date(entry.get("closed_on"), f"{at} closed_on")
        if opened and closed and closed < opened:
            raise SettingsError(f"{at}: closed_on {closed} is before opened_on {opened}; expected it on or after")
        s.disinfection_places.append({"unit_code": code.strip(), "place": place.strip(), "frequency": frequency,
                                      "opened_on": opened.isoformat() if opened else None,
                                      "closed_on": closed.isoformat() if closed else None})


def _hours(value, where: str) -> tuple[dt.time, dt.time]:
    """"08:00-20:00": opening and closing time, closing later than opening."""
    parts = value.replace("–", "-").split("-") if isinstance(value, str) else []
    if len(parts) != 2:
        raise SettingsError(f"{where}: {_shown(value)} is not a span of hours; expected \"HH:MM-HH:MM\" such as "
                            "\"08:00-20:00\"")
    start, end = (_time(p.strip(), where) for p in parts)
    if end <= start:
        raise SettingsError(f"{where}: {_shown(value)} closes before it opens; expected \"HH:MM-HH:MM\" with the "
                            "second time later, such as \"08:00-20:00\"")
    return start, end


def _read(path: Path) -> dict:
    """The TOML of a settings file, UTF-8 (a byte-order mark allowed, as Windows editors write)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        what = "is a folder" if path.is_dir() else f"cannot be read ({exc.strerror})"
        raise SettingsError(f"{path}: {what}; give a readable settings file with --settings") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                            "save it as UTF-8") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        twice = re.search(r"Cannot declare \((.*?)\) twice", str(exc))
        if twice:       # a section pasted below the one the bundled file already has
            section = ".".join(part.strip(" '\"") for part in twice.group(1).split(","))
            raise SettingsError(f"{path}: 設置中 [{section}] 出現了兩次，請把後一段的各行移到前一段之下，刪掉第二個 "
                                f"[{section}] / [{section}] is declared twice ({' '.join(str(exc).split())}); move "
                                f"the lines of the second one under the first [{section}] and delete the second "
                                "heading") from exc
        raise SettingsError(f"{path}: is not valid TOML ({' '.join(str(exc).split())}); fix it (the bundled "
                            "fangyi.toml shows every setting)") from exc


def _expected(minimum, maximum, unit: str) -> str:
    if maximum is None:
        return f"expected a whole number{'' if minimum is None else f' of at least {minimum}'}"
    return f"expected {minimum} to {maximum:,}{' ' + unit if unit else ''}"


def _int(value, where: str, minimum: int | None = None, maximum: int | None = None, unit: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}: {_shown(value)} is not a whole number; {_expected(minimum, maximum, unit)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{where}: {value} is out of range; {_expected(minimum, maximum, unit)}")
    return value


def _number(value, where: str, minimum: float, maximum: float, unit: str = "") -> int | float:
    """A whole or decimal number in range (not inf, not nan); a whole one stays an int."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{where}: {_shown(value)} is not a number; {_expected(minimum, maximum, unit)}")
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise SettingsError(f"{where}: {value} is out of range; {_expected(minimum, maximum, unit)}")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _kept(value, where: str) -> list[str]:
    """The values a [filter.<kind>] column keeps: strings or whole numbers, as cells hold them."""
    values = _list(value)
    if not all(isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)) for v in values):
        raise SettingsError(f"{where}: {_shown(value)} is not a list of values; expected a value or a list of "
                            "values (text or whole numbers), such as [\"中國\"]")
    return [str(v) for v in values]


def _list(value) -> list:
    return value if isinstance(value, list) else [value]
