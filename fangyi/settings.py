"""User settings: one TOML file (default ./fangyi.toml, or --settings / $FANGYI_SETTINGS).

Every setting has a default here; the bundled fangyi.toml documents them. Unknown keys are an
error, so a typo does not silently fall back to a default.
"""
from __future__ import annotations

import datetime as dt
import os
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
    allowance_rate_per_shift: int = 200
    chain_match_window_days: int = 3
    header_synonyms: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    unit_aliases: dict[str, list[str]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)                  # extra level word -> level
    row_filters: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # kind -> column -> values kept
    inspector_password_hash: str | None = None  # for `fangyi serve`; $FANGYI_INSPECTOR_PASSWORD_HASH wins
    plausible_earliest: dt.date = dt.date(2019, 12, 1)   # no record dated before this
    plausible_latest_days_ahead: int = 1                 # ... nor after today + this many days
    plausible_max: dict[str, int] = field(default_factory=dict)   # count field -> plausible maximum
    source: Path | None = None

    def ingest_options(self):
        from fangyi.ingest.kinds import IngestOptions

        return IngestOptions(self.header_synonyms, self.levels, self.row_filters,
                             earliest=self.plausible_earliest, latest_days_ahead=self.plausible_latest_days_ahead,
                             period_start=self.period_start, period_end=self.period_end,
                             maxima=dict(self.plausible_max))


class SettingsError(ValueError):
    pass


def _date(value, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise SettingsError(f"{where}: {value!r} is not an ISO date (2021-01-20)") from exc


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
            raise SettingsError(f"{path}: settings file not found")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
    where = str(path)
    _check_keys(data, {"period", "deadline", "silent_streak", "allowance", "coldchain", "headers", "aliases",
                       "levels", "filter", "site", "plausible"}, where)
    s = Settings(source=path)
    period = data.get("period", {})
    _check_keys(period, {"start", "end"}, f"{where} [period]")
    s.period_start = _date(period.get("start"), f"{where} [period] start")
    s.period_end = _date(period.get("end"), f"{where} [period] end")
    deadline = data.get("deadline", {})
    _check_keys(deadline, {"days_after", "time"}, f"{where} [deadline]")
    s.deadline_days_after = int(deadline.get("days_after", s.deadline_days_after))
    try:
        s.deadline_time = dt.time.fromisoformat(str(deadline.get("time", "09:00")))
    except ValueError as exc:
        raise SettingsError(f"{where} [deadline] time: expected HH:MM") from exc
    streak = data.get("silent_streak", {})
    _check_keys(streak, {"min_days"}, f"{where} [silent_streak]")
    s.silent_streak_min_days = int(streak.get("min_days", s.silent_streak_min_days))
    allowance = data.get("allowance", {})
    _check_keys(allowance, {"rate_per_shift"}, f"{where} [allowance]")
    s.allowance_rate_per_shift = int(allowance.get("rate_per_shift", s.allowance_rate_per_shift))
    coldchain = data.get("coldchain", {})
    _check_keys(coldchain, {"match_window_days"}, f"{where} [coldchain]")
    s.chain_match_window_days = int(coldchain.get("match_window_days", s.chain_match_window_days))
    from fangyi.ingest import kinds as registry

    kinds = registry.all_kinds()
    headers = data.get("headers", {})
    _check_keys(headers, set(kinds), f"{where} [headers]")
    for kind, fields in headers.items():
        _check_keys(fields, {f.name for f in kinds[kind].fields}, f"{where} [headers.{kind}]")
        s.header_synonyms[kind] = {f: [str(w) for w in _list(words)] for f, words in fields.items()}
    filters = data.get("filter", {})
    _check_keys(filters, set(kinds), f"{where} [filter]")
    for kind, rules in filters.items():
        s.row_filters[kind] = {str(col): [str(v) for v in _list(values)] for col, values in rules.items()}
    site = data.get("site", {})
    _check_keys(site, {"inspector_password_hash"}, f"{where} [site]")
    s.inspector_password_hash = str(site["inspector_password_hash"]) if site.get("inspector_password_hash") else None
    levels = registry.values_of("level")
    for word, level in data.get("levels", {}).items():
        if level not in levels:
            raise SettingsError(f"{where} [levels] {word!r}: level {level!r} is not one of {', '.join(levels)}")
        s.levels[str(word)] = level
    plausible = data.get("plausible", {})
    _check_keys(plausible, {"earliest", "latest_days_ahead", "max"}, f"{where} [plausible]")
    s.plausible_earliest = _date(plausible.get("earliest"), f"{where} [plausible] earliest") or s.plausible_earliest
    s.plausible_latest_days_ahead = _int(plausible.get("latest_days_ahead", s.plausible_latest_days_ahead),
                                         f"{where} [plausible] latest_days_ahead", minimum=0)
    bounded = {f.name for k in kinds.values() for f in k.fields if f.maximum is not None}
    maxima = plausible.get("max", {})
    if not isinstance(maxima, dict):
        raise SettingsError(f"{where} [plausible] max: expected a table [plausible.max] of field = maximum")
    _check_keys(maxima, bounded, f"{where} [plausible.max]")
    s.plausible_max = {str(name): _int(value, f"{where} [plausible.max] {name}", minimum=0)
                       for name, value in maxima.items()}
    s.unit_aliases = {str(code): [str(a) for a in _list(names)] for code, names in data.get("aliases", {}).items()}
    return s


def _int(value, where: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}: {value!r} is not a whole number")
    if minimum is not None and value < minimum:
        raise SettingsError(f"{where}: {value} is below {minimum}")
    return value


def _list(value) -> list:
    return value if isinstance(value, list) else [value]
