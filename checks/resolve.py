"""Resolving the units that sheets name to the registry in force, once per check run.

A name is matched by code, then by its normalised form (NFKC, no spaces, simplified, lower
case) against every unit's name, aliases and name without its suffix (柳岸 for 柳岸社區). Names
are unique only within their parent, so among several units a name fits, the run narrows by:
1. the row's parent column (街道/鄉鎮 beside the unit), else the towns (or districts, cities)
   that the sheet's title, sheet name or file name mentions: units under them are kept;
2. the strongest kind of match: code, then name, then alias, then short name;
3. units that report daily: a report names a reporting unit, so 那龍 in a village list resolves
   to 那龍村 rather than to the town 那龍鎮.
A name that still fits several units is `ambiguous` (its candidates recorded); one that fits
none is `unknown`. Each distinct (sheet, name, code, parent), one unit_names row written by the
ingest, is resolved once, and written to unit_resolutions with how it matched, so an inspector
can see why.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from fangyi.keys import norm, short_name

STRENGTH = {"code": 0, "name": 1, "alias": 2, "settings_alias": 2, "short_name": 3}


@dataclass(frozen=True)
class Resolution:
    unit_code: str | None
    status: str                         # resolved | ambiguous | unknown
    matched_by: str | None = None
    narrowed_by: str | None = None
    candidates: tuple[str, ...] = ()


class UnitIndex:
    def __init__(self, units: list[tuple], settings_aliases: dict[str, list[str]] | None = None):
        """units: (unit_code, name, level, parent_code, reports_daily, aliases JSON) in force."""
        self.parent = {code: parent for code, _, _, parent, _, _ in units}
        self.reports = {code: bool(rd) for code, _, _, _, rd, _ in units}
        self.codes = {norm(code): code for code, *_ in units}
        self.keys: dict[str, dict[str, str]] = defaultdict(dict)       # key -> {code: source}
        self.places: list[tuple[str, str]] = []                         # (key, code) of units above communities
        for code, name, level, _, _, aliases in units:
            self._add(norm(name), code, "name")
            self._add(short_name(norm(name)), code, "short_name")
            for alias in json.loads(aliases or "[]"):
                self._add(norm(alias), code, "alias")
                self._add(short_name(norm(alias)), code, "short_name")
            if level != "community":
                for key in {norm(name), short_name(norm(name))}:
                    if len(key) >= 2:
                        self.places.append((key, code))
        for code, names in (settings_aliases or {}).items():
            if code in self.parent:
                for alias in names:
                    self._add(norm(alias), code, "settings_alias")

    def _add(self, key: str, code: str, source: str) -> None:
        if key:
            known = self.keys[key].get(code)
            if known is None or STRENGTH[source] < STRENGTH[known]:
                self.keys[key][code] = source

    def ancestors(self, code: str) -> set[str]:
        out, seen = set(), code
        for _ in range(10):
            seen = self.parent.get(seen)
            if not seen or seen in out:
                break
            out.add(seen)
        return out

    def matches(self, raw: str | None) -> dict[str, str]:
        """{code: how} for a written name: the full form first, else its short form."""
        if not raw:
            return {}
        key = norm(raw)
        return dict(self.keys.get(key) or self.keys.get(short_name(key)) or {})

    def _under(self, candidates: dict[str, str], scopes: set[str]) -> dict[str, str]:
        return {c: how for c, how in candidates.items() if scopes & (self.ancestors(c) | {c})}

    def resolve(self, unit_raw: str | None, code_raw: str | None, parent_raw: str | None,
                context: str | None) -> Resolution:
        if code_raw and norm(code_raw) in self.codes:
            return Resolution(self.codes[norm(code_raw)], "resolved", "code")
        candidates = self.matches(unit_raw)
        if not candidates:
            return Resolution(None, "unknown")
        narrowed = None
        if len(candidates) > 1:
            parents = set(self.matches(parent_raw)) | ({self.codes[norm(parent_raw)]}
                                                     if parent_raw and norm(parent_raw) in self.codes else set())
            places = {code for key, code in self.places if key in norm(context or "")}
            for scope, why in ((parents, "parent"), (places, "sheet")):
                inside = self._under(candidates, scope) if scope else {}
                if inside:
                    candidates, narrowed = inside, why
                    break
        best = min(STRENGTH[how] for how in candidates.values())
        candidates = {c: how for c, how in candidates.items() if STRENGTH[how] == best}
        if len(candidates) > 1:
            reporting = {c: how for c, how in candidates.items() if self.reports.get(c)}
            if reporting and len(reporting) < len(candidates):
                candidates, narrowed = reporting, "reporting_unit"
        if len(candidates) == 1:
            (code, how), = candidates.items()
            return Resolution(code, "resolved", how, narrowed)
        return Resolution(None, "ambiguous", None, narrowed, tuple(sorted(candidates)))


def resolve_units(conn, settings_aliases: dict[str, list[str]] | None = None) -> dict[str, int]:
    """Refill unit_resolutions, one row per unit_names row, inside the caller's transaction;
    returns counts per status."""
    units = conn.execute(
        "SELECT unit_code, name, level, parent_code, reports_daily, aliases FROM units_current").fetchall()
    index = UnitIndex(units, settings_aliases)
    conn.execute("DELETE FROM unit_resolutions")
    names = conn.execute(
        "SELECT n.name_id, n.unit_raw, n.unit_code_raw, n.parent_raw, s.context FROM unit_names n "
        "LEFT JOIN source_sheets s ON s.file_id = n.file_id AND s.sheet = n.sheet").fetchall()
    counts: dict[str, int] = defaultdict(int)
    rows = []
    for name_id, unit_raw, code_raw, parent_raw, context in names:
        r = index.resolve(unit_raw, code_raw, parent_raw, context)
        counts[r.status] += 1
        # the versions of one unit-day: its unit, else the name as normalised (else the code as written)
        group = r.unit_code or "?" + (norm(unit_raw) or "#" + norm(code_raw))
        rows.append((name_id, r.unit_code, group, r.status, r.matched_by, r.narrowed_by,
                     json.dumps(r.candidates) if r.candidates else None))
    conn.executemany(
        "INSERT INTO unit_resolutions (name_id, unit_code, unit_group, status, matched_by, narrowed_by, candidates) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return dict(counts)
