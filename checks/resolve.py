"""Resolving the units that sheets name to the registry in force, once per check run.

A name is matched by code, then by its normalised form (NFKC, no spaces, simplified, lower
case) against every unit's name, aliases and name without its level suffix (柳岸 for 柳岸社區,
朝陽 for 朝陽區, 延邊 for 延邊朝鮮族自治州). Names are unique only within their parent, so:
1. a row with a parent column (街道/鄉鎮, province beside city ...) is resolved only among the
   units under that parent, strictly: a name that fits nothing there is unknown, never a unit of
   another parent, and a parent the registry does not know leaves the name unknown too. Without
   a parent column, the towns (or districts, cities) that the sheet's title, sheet name or file
   name mention narrow the same way (a place mentioned only inside the name of a unit the row
   may mean does not count: the sheet 那龍村日報 is not about the town 那龍鎮);
2. among several, the strongest kind of match: code, then name, then alias, then short name;
3. units that report daily: a report names a reporting unit, so 那龍 in a village list resolves
   to 那龍村 rather than to the town 那龍鎮.
A name that still fits several units is `ambiguous` (its candidates recorded); one that fits
none is `unknown`, with a hint naming the near names under its parent and where the name does
fit elsewhere ("朝陽 is not under 北京市; 遼寧省 has 朝陽"). Each distinct (sheet, name, code,
parent), one unit_names row written by the ingest, is resolved once, and written to
unit_resolutions with how it matched, so an inspector can see why.
"""
from __future__ import annotations

import difflib
import json
from collections import defaultdict
from dataclasses import dataclass

from fangyi.keys import norm, short_name, strip_brackets

STRENGTH = {"code": 0, "name": 1, "alias": 2, "settings_alias": 2, "short_name": 3}
NEAR = 3                # near matches named in an unknown unit's hint ...
NEAR_DEPTH = 2          # ... from this many levels under its parent


@dataclass(frozen=True)
class Resolution:
    unit_code: str | None
    status: str                         # resolved | ambiguous | unknown
    matched_by: str | None = None
    narrowed_by: str | None = None
    candidates: tuple[str, ...] = ()
    hint_zh: str | None = None          # unknown: where the name does fit, and near names in scope
    hint_en: str | None = None


class UnitIndex:
    def __init__(self, units: list[tuple], settings_aliases: dict[str, list[str]] | None = None):
        """units: (unit_code, name, level, parent_code, reports_daily, aliases JSON) in force."""
        self.parent = {code: parent for code, _, _, parent, _, _ in units}
        self.name = {code: name for code, name, *_ in units}
        self.reports = {code: bool(rd) for code, _, _, _, rd, _ in units}
        self.codes = {norm(code): code for code, *_ in units}
        self.children: dict[str, list[str]] = defaultdict(list)
        for code, parent in self.parent.items():
            if parent:
                self.children[parent].append(code)
        self.keys: dict[str, dict[str, str]] = defaultdict(dict)       # key -> {code: source}
        self.own: dict[str, set[str]] = defaultdict(set)                # code -> its keys
        self.places: dict[str, list[tuple[str, str]]] = defaultdict(list)   # first 2 chars -> (key, code)
        self._places_seen: dict[str, tuple[tuple[str, str], ...]] = {}      # per sheet context
        self._near_seen: dict[tuple[str, ...], dict[str, str]] = {}         # per scope: short name -> unit
        for code, name, level, _, _, aliases in units:
            self._add(norm(name), code, "name")
            self._add(short_name(norm(name)), code, "short_name")
            for alias in json.loads(aliases or "[]"):
                self._add(norm(alias), code, "alias")
                self._add(short_name(norm(alias)), code, "short_name")
            if level != "community":
                for key in {norm(name), short_name(norm(name))}:
                    if len(key) >= 2:
                        self.places[key[:2]].append((key, code))
        for code, names in (settings_aliases or {}).items():
            if code in self.parent:
                for alias in names:
                    self._add(norm(alias), code, "settings_alias")

    def _add(self, key: str, code: str, source: str) -> None:
        if key:
            self.own[code].add(key)
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

    def matches(self, raw: str | None, scope: set[str] | None = None) -> dict[str, str]:
        """{code: how} for a written name: the full form first, else its short form, else the
        same without a remark in brackets; with a scope, only units in it or below it."""
        if not raw:
            return {}
        key = norm(raw)
        bare = strip_brackets(key)          # 南陽(含鄧州): a remark in brackets is not the name
        for k in dict.fromkeys((key, short_name(key), bare, short_name(bare))):
            found = self.keys.get(k) or {}
            if scope is not None:
                found = self._under(found, scope)
            if found:
                return dict(found)
        return {}

    def _under(self, candidates: dict[str, str], scopes: set[str]) -> dict[str, str]:
        return {c: how for c, how in candidates.items() if scopes & (self.ancestors(c) | {c})}

    def places_in(self, context: str) -> tuple[tuple[str, str], ...]:
        """(key, code) of every unit above the communities whose name the context mentions."""
        known = self._places_seen.get(context)
        if known is not None:
            return known
        out = []
        for i in range(len(context) - 1):
            for key, code in self.places.get(context[i:i + 2], ()):
                if context.startswith(key, i):
                    out.append((key, code))
        self._places_seen[context] = tuple(out)
        return self._places_seen[context]

    def _scope(self, found: dict[str, str], parent_raw: str | None, context: str | None):
        """(units the name must be under, why), (None, None) when nothing narrows, or
        (set(), "parent") when the parent column names no unit."""
        if parent_raw and norm(parent_raw):
            parents = set(self.matches(parent_raw))
            if norm(parent_raw) in self.codes:
                parents.add(self.codes[norm(parent_raw)])
            return parents, "parent"
        ctx = norm(context or "")
        # a place mentioned only inside the name of a unit the row may mean does not narrow:
        # the sheet 那龍村日報 does not put its rows under the town 那龍鎮
        own = [k for c in found for k in self.own[c] if len(k) >= 2 and k in ctx]
        places = {code for key, code in self.places_in(ctx) if not any(key in k for k in own)}
        return (places, "sheet") if places else (None, None)

    def resolve(self, unit_raw: str | None, code_raw: str | None, parent_raw: str | None,
                context: str | None) -> Resolution:
        if code_raw and norm(code_raw) in self.codes:
            return Resolution(self.codes[norm(code_raw)], "resolved", "code")
        found = self.matches(unit_raw)
        scope, why = self._scope(found, parent_raw, context)
        candidates, narrowed = found, None
        if scope is not None:
            candidates = self.matches(unit_raw, scope)
            if set(candidates) != set(found):
                narrowed = why
        if not candidates:
            zh, en = self.hint(unit_raw, parent_raw, scope, why, found)
            return Resolution(None, "unknown", None, narrowed, (), zh, en)
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

    # -- what an unknown name's finding says ------------------------------------------------

    def _label(self, code: str) -> str:
        return self.name.get(code) or code

    def _where(self, code: str) -> tuple[str, str]:
        parent = self.parent.get(code)
        if parent in self.name:
            return f"{self._label(parent)} 有 {self._label(code)}", f"{self._label(parent)} has {self._label(code)}"
        return f"名錄有 {self._label(code)}", f"the registry has {self._label(code)}"

    def below(self, code: str, depth: int = NEAR_DEPTH) -> list[str]:
        out, level = [], [code]
        for _ in range(depth):
            level = [c for p in level for c in self.children.get(p, ())]
            out.extend(level)
        return out

    def near(self, unit_raw: str | None, scope: set[str]) -> list[str]:
        """The units up to two levels under the scope whose names are closest to the written one
        (a province's cities and districts, a town's villages: not a province's every village)."""
        key = short_name(norm(unit_raw or ""))
        if not key:
            return []
        which = tuple(sorted(scope))
        by_key = self._near_seen.get(which)
        if by_key is None:
            by_key = {}
            for top in which:
                for c in self.below(top):
                    by_key.setdefault(short_name(norm(self._label(c))), c)
            self._near_seen[which] = by_key
        return [by_key[k] for k in difflib.get_close_matches(key, list(by_key), n=NEAR, cutoff=0.6)]

    def hint(self, unit_raw, parent_raw, scope, why, found) -> tuple[str | None, str | None]:
        name = unit_raw or ""
        zh, en = [], []
        if scope is not None:
            if not scope:
                zh.append(f"上級「{parent_raw}」在名錄中找不到")
                en.append(f"the parent '{parent_raw}' matches no unit in the registry")
            else:
                within = "、".join(self._label(c) for c in sorted(scope))
                within_en = ", ".join(self._label(c) for c in sorted(scope))
                by = "上級列" if why == "parent" else "表名、工作表名或文件名"
                by_en = "the parent column" if why == "parent" else "the title, sheet or file name"
                zh.append(f"「{name}」不在 {within}（{by}）之下")
                en.append(f"{name} is not under {within_en} ({by_en})")
                for c in self.near(unit_raw, scope):
                    z, e = self._where(c)
                    zh.append(z)
                    en.append(e)
        for c in sorted(found):
            z, e = self._where(c)
            zh.append(z)
            en.append(e)
        if not zh:
            return None, None
        return "；".join(zh), "; ".join(en)


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
    # Each file writes its own unit_names (a province's 240 town files: 180,000 rows for 15,000
    # units), so one name is resolved once per distinct way of writing it. The sheet's context
    # matters only when no parent column narrows the name.
    seen: dict[tuple, tuple] = {}
    for name_id, unit_raw, code_raw, parent_raw, context in names:
        key = (unit_raw, code_raw, parent_raw, None if parent_raw and norm(parent_raw) else context)
        done = seen.get(key)
        if done is None:
            r = index.resolve(unit_raw, code_raw, parent_raw, context)
            # the versions of one unit-day: its unit, else the parent and the name as normalised
            # (else the code as written): 豐台 under 海南省 and 豐台 under 天津市 are two unknown units
            group = r.unit_code or "?" + (norm(parent_raw) + "/" if norm(parent_raw) else "") + (
                norm(unit_raw) or "#" + norm(code_raw))
            done = seen[key] = (r.status, (r.unit_code, group, r.status, r.matched_by, r.narrowed_by,
                                           json.dumps(r.candidates) if r.candidates else None, r.hint_zh, r.hint_en))
        counts[done[0]] += 1
        rows.append((name_id, *done[1]))
    conn.executemany(
        "INSERT INTO unit_resolutions (name_id, unit_code, unit_group, status, matched_by, narrowed_by, candidates, "
        "hint_zh, hint_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return dict(counts)
