"""The open database: a copy of the workbench database without personal data, built by
`fangyi serve` for anonymous visitors.

Person names (reporters, leaders on duty, rostered staff, claimants, individual buyers) are
replaced by a role (填報人, 帶班領導, 個人買家) or a stable pseudonym (人員001: numbered by the
person's first appearance in the roster, then in claims); phone numbers are masked
(138****1234); every other text cell — unknown columns (`extra`), raw rows of rejected and
non-data rows, rejection reasons, finding messages and evidence, file paths — has every known
name replaced by its pseudonym and every known phone or mobile-looking number masked. The copy is
made with VACUUM INTO, scrubbed, and copied once more with VACUUM INTO, so nothing of the original is
left in free pages or in the unused space of a page.

The copy is cached beside the database (`<stem>.open.db`, or in a temporary folder when that one
is not writable) and rebuilt when the database file or its latest check run changes."""
from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path

BUILDER_VERSION = "3"
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
SPLIT = re.compile(r"[、，,；;/\s]+")
BRACKETS = re.compile(r"[（(][^（）()]*[)）]")
PERSONAL_KEY = re.compile(r"电话|電話|手机|手機|联系|聯系|聯繫|姓名|身份证|身份證|人$|人员|人員|领导|領導|负责|負責")
ROLE_REPORTER = "填報人"
ROLE_LEADER = "帶班領導"
ROLE_BUYER = "個人買家"

CHECK_LABELS = {
    "missing_report": "漏報：應報而未報",
    "late_report": "遲報：超過截止時間報送",
    "zero_report_contradiction": "零報告與數字矛盾",
    "blank_count": "數字欄留空",
    "unknown_unit": "名錄中沒有的單位",
    "ambiguous_unit": "單位不明確（同名多個）",
    "silent_streak": "連續多日未報",
    "shift_uncovered": "班次無人值守",
    "no_leader": "當日無帶班領導",
    "double_booked": "同一人同時排兩個班",
    "report_leader_off_roster": "日報的帶班領導不在值班表上",
    "allowance_overclaim": "值班補助多報",
    "cert_missing": "四證不全",
    "nat_positive": "核酸陽性或無陰性結果仍銷售",
    "cert_reused": "檢驗檢疫證明重複使用",
    "sold_unknown_batch": "銷售來源不可查的批次",
    "oversold": "銷售多於進貨",
    "sale_before_receipt": "先銷售後進貨",
    "buyer_missing": "去向不可追（無買家）",
    "chain_break": "商戶之間斷鏈",
}
SEVERITY_LABELS = {"error": "錯誤", "warning": "警告", "info": "提示"}


def mask_phone(text: str | None) -> str | None:
    """'13812341234' -> '138****1234'; any other number keeps its first 3 and last 4 characters."""
    if text is None:
        return None
    s = str(text).strip()
    if len(s) <= 7:
        return "*" * len(s)
    middle = re.sub(r"[0-9A-Za-z]", "*", s[3:-4])
    return s[:3] + middle + s[-4:]


_TEMP_FOLDERS: dict[Path, Path] = {}


def _cache_folder(db_path: Path) -> Path:
    """Beside the database if that folder is writable, else one temporary folder per database
    for this process, removed at exit."""
    db_path = Path(db_path).resolve()
    if os.access(db_path.parent, os.W_OK):
        return db_path.parent
    if db_path not in _TEMP_FOLDERS:
        import atexit
        import shutil
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="fangyi-open-"))
        atexit.register(shutil.rmtree, folder, True)
        _TEMP_FOLDERS[db_path] = folder
    return _TEMP_FOLDERS[db_path]


def open_path_for(db_path: Path) -> Path:
    """Where the open copy of db_path is cached: beside it if that folder is writable."""
    return _cache_folder(db_path) / (Path(db_path).stem + ".open.db")


def inspect_path_for(db_path: Path) -> Path:
    """Where the row counts of db_path and its open copy are cached (`<stem>.inspect.json`)."""
    return _cache_folder(db_path) / (Path(db_path).stem + ".inspect.json")


def _schema_names(path: Path, *types: str) -> set[str]:
    """The names of the objects of these types ('table', 'view') in the database file at path."""
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" * len(types))
        return {r[0] for r in conn.execute(f"SELECT name FROM sqlite_master WHERE type IN ({marks})", types)}
    finally:
        conn.close()


def count_rows(path: Path, only: set[str] | None = None) -> dict[str, int]:
    """{table or view: rows} of the database file at path (a view that fails is left out)."""
    names = sorted(n for n in _schema_names(path, "table", "view") if not n.startswith("sqlite_"))
    conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    counts = {}
    try:
        for name in names:
            if only is not None and name not in only:
                continue
            try:
                counts[name] = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            except sqlite3.Error:
                pass
    finally:
        conn.close()
    return counts


def ensure_inspect(db_path: Path, open_path: Path | None, name: str, open_name: str | None) -> dict:
    """Datasette's inspect data (`datasette inspect`: file, size, row counts) of db_path and of its
    open copy, with every view counted too, so that no table or view page counts its rows while
    served. Counted once per state of the data (the open copy's source key) and cached in
    `<stem>.inspect.json`; the open copy has the same rows, so only its own tables are counted."""
    db_path = Path(db_path).resolve()
    key = source_key(db_path)
    cache = inspect_path_for(db_path)
    data = None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("source_key") != key:
            data = None
    except (OSError, ValueError):
        pass
    if data is None:
        data = {"source_key": key, "full": count_rows(db_path)}
        _save(cache, data)
    out = {name: _inspect_entry(db_path, data["full"])}
    if open_path is not None and open_name:
        own = data.get("open")
        if own is None:
            own = count_rows(open_path, _schema_names(open_path, "table", "view") - set(data["full"]))
            data["open"] = own
            _save(cache, data)
        out[open_name] = _inspect_entry(Path(open_path), {**data["full"], **own})
    return out


def _save(cache: Path, data: dict) -> None:
    """Write the row counts' cache; a folder that cannot be written only means counting again."""
    try:
        cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    except OSError:
        pass


def quick_inspect(db_path: Path) -> dict:
    """The inspect data of db_path with its tables counted (not its views): about a second."""
    return _inspect_entry(Path(db_path), count_rows(db_path, _schema_names(db_path, "table")))


def _inspect_entry(path: Path, counts: dict[str, int]) -> dict:
    """hash None: Datasette would otherwise hash the whole file for the index page. "tables"
    holds the views too (a view page reads its count there); "views" names them, so that the
    database page's list of tables can leave them out."""
    return {"file": str(path), "size": path.stat().st_size, "hash": None,
            "tables": {t: {"count": n} for t, n in counts.items()}, "views": sorted(_schema_names(path, "view"))}


def source_key(db_path: Path) -> str:
    """What the open copy is built from: the file's size and mtime and its latest check run."""
    st = Path(db_path).stat()
    run = None
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        run = conn.execute("SELECT max(run_id), max(finished_at) FROM check_runs").fetchone()
    except sqlite3.Error:
        pass
    finally:
        conn.close()
    return json.dumps([BUILDER_VERSION, st.st_size, st.st_mtime_ns, run], ensure_ascii=False)


def is_current(db_path: Path, out: Path | None = None) -> bool:
    """Whether the cached open copy of db_path (and the row counts) are of its present state."""
    out = Path(out) if out else open_path_for(db_path)
    key = source_key(db_path)
    try:
        counts = json.loads(inspect_path_for(db_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return counts.get("source_key") == key and "open" in counts and _built_from(out) == key


def _built_from(out: Path) -> str | None:
    if not out.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{out}?mode=ro", uri=True)
        try:
            (cached,) = conn.execute("SELECT source_key FROM open_data_build").fetchone()
        finally:
            conn.close()
        return cached
    except (sqlite3.Error, TypeError):
        return None


def ensure_open_db(db_path: Path, out: Path | None = None) -> Path:
    """The open copy of db_path, built unless an up-to-date one is cached."""
    out = Path(out) if out else open_path_for(db_path)
    key = source_key(db_path)
    if _built_from(out) != key:
        build_open_db(db_path, out, key)
    return out


# ---------------------------------------------------------------------------------------------

def _rows(conn, sql):
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:        # an older schema without the table
        return []


def _names(text: str | None) -> list[str]:
    if not text:
        return []
    out = []
    for part in SPLIT.split(str(text)):
        part = part.strip()
        if not part:
            continue
        out.append(part)
        bare = BRACKETS.sub("", part).strip()
        if bare and bare != part:
            out.append(bare)
    return out


def personal_data(conn) -> tuple[dict[str, str], set[str]]:
    """({name as written or normalised: pseudonym}, {phone numbers}) of the database behind conn."""
    from fangyi.keys import norm

    people: list[tuple[str, list[str]]] = []          # (key, names written)
    # Each distinct value once, in the order of its first appearance (a province's daily reports
    # name a few thousand reporters over millions of rows).
    for key, person in _rows(conn, "SELECT person_key, person FROM duty_shifts WHERE person IS NOT NULL "
                                   "GROUP BY person_key, person ORDER BY min(shift_id)"):
        people.append((key or norm(person), _names(person)))
    for key, person in _rows(conn, "SELECT person_key, person FROM allowance_claims "
                                   "GROUP BY person_key, person ORDER BY min(claim_id)"):
        people.append((key or norm(person), _names(person)))
    for col in ("duty_leader", "reporter"):
        for (person,) in _rows(conn, f"SELECT {col} FROM daily_reports WHERE {col} IS NOT NULL "
                                     f"GROUP BY {col} ORDER BY min(report_id)"):
            for n in _names(person):
                people.append((BRACKETS.sub("", norm(n)), [n]))
    for cols in ("day_staff", "night_staff", "leaders"):
        for (text,) in _rows(conn, f"SELECT {cols} FROM roster_unit_days WHERE {cols} IS NOT NULL "
                                   f"GROUP BY {cols} ORDER BY min(rowid)"):
            for n in _names(text):
                people.append((BRACKETS.sub("", norm(n)), [n]))
    for (buyer,) in _rows(conn, "SELECT buyer FROM coldchain_sales s WHERE buyer IS NOT NULL AND NOT EXISTS "
                                "(SELECT 1 FROM merchants m WHERE m.merchant_id = s.buyer_merchant_id "
                                "OR m.name = s.buyer) GROUP BY buyer ORDER BY min(sale_id)"):
        people.append((norm(buyer), [buyer]))

    pseudonym_of_key: dict[str, str] = {}
    names: dict[str, str] = {}
    for key, written in people:
        if not key:
            continue
        alias = pseudonym_of_key.setdefault(key, f"人員{len(pseudonym_of_key) + 1:03d}")
        for n in [key, *written]:
            if len(n) >= 2:
                names.setdefault(n, alias)

    phones: set[str] = set()
    for sql in ("SELECT DISTINCT phone FROM duty_shifts", "SELECT DISTINCT phone FROM roster_unit_days",
                "SELECT DISTINCT buyer_phone FROM coldchain_sales",
                "SELECT DISTINCT supplier_phone FROM coldchain_batches",
                "SELECT DISTINCT json_extract(evidence, '$.duty_phone') FROM findings_history "
                "WHERE evidence LIKE '%duty_phone%'"):
        for (p,) in _rows(conn, sql):
            for part in SPLIT.split(str(p or "")):
                if sum(c.isdigit() for c in part) >= 7:
                    phones.add(part)
    return names, phones


class Scrubber:
    """Replaces every known name by its pseudonym and masks every known or mobile-looking phone."""

    def __init__(self, names: dict[str, str], phones: set[str]):
        self.names = names
        self.phones = phones
        alts = sorted(set(names) | phones, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, alts))) if alts else None

    def _sub(self, m: re.Match) -> str:
        s = m.group(0)
        return self.names[s] if s in self.names else mask_phone(s)

    def text(self, value):
        if not isinstance(value, str) or not value:
            return value
        if self.pattern is not None:
            value = self.pattern.sub(self._sub, value)
        return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", value)

    def _json(self, value, edit):
        """A JSON text cell: `edit` changes its object, then the whole is scrubbed as text;
        a cell that is not JSON is scrubbed as text."""
        if not isinstance(value, str) or not value:
            return value
        try:
            obj = json.loads(value)
        except ValueError:
            return self.text(value)
        if isinstance(obj, dict):
            obj = edit(obj)
        return self.text(json.dumps(obj, ensure_ascii=False))

    def extra(self, value):
        """An `extra` JSON object: personal-looking keys lose their value, the rest is scrubbed."""
        return self._json(value, lambda obj: {
            k: (("已隱去" if v not in (None, "") else v) if PERSONAL_KEY.search(str(k)) else v)
            for k, v in obj.items()})

    def pseudonym(self, value):
        if value is None:
            return None
        from fangyi.keys import norm

        s = str(value).strip()
        return self.names.get(s) or self.names.get(BRACKETS.sub("", norm(s))) or self.text(s)

    def pseudonyms(self, value):
        if value is None:
            return None
        return "、".join(self.pseudonym(n) for n in SPLIT.split(str(value)) if n.strip())

    def evidence(self, value):
        """Finding evidence: the leader to call becomes the role, the phone is masked."""
        def edit(obj):
            if obj.get("duty_leader"):
                obj["duty_leader"] = ROLE_LEADER
            if obj.get("duty_phone"):
                obj["duty_phone"] = mask_phone(obj["duty_phone"])
            return obj
        return self._json(value, edit)


# (table, column, scrubber method) applied before the generic pass over every text cell.
COLUMN_RULES = [
    ("daily_reports", "reporter", "role_reporter"),
    ("daily_reports", "duty_leader", "role_leader"),
    ("daily_reports", "extra", "extra"),
    ("units", "extra", "extra"),
    ("duty_shifts", "person", "pseudonym"),
    ("duty_shifts", "person_key", "pseudonym"),
    ("duty_shifts", "phone", "phone"),
    ("duty_shifts", "extra", "extra"),
    ("duty_shifts_current", "person", "pseudonym"),
    ("duty_shifts_current", "person_key", "pseudonym"),
    ("duty_shifts_current", "phone", "phone"),
    ("roster_unit_days", "day_staff", "pseudonyms"),
    ("roster_unit_days", "night_staff", "pseudonyms"),
    ("roster_unit_days", "leaders", "pseudonyms"),
    ("roster_unit_days", "phone", "phone"),
    ("allowance_claims", "person", "pseudonym"),
    ("allowance_claims", "person_key", "pseudonym"),
    ("allowance_claims", "extra", "extra"),
    ("allowance_entitlement", "person", "pseudonym"),
    ("allowance_entitlement", "person_key", "pseudonym"),
    ("allowance_claims_reconciled", "person", "pseudonym"),
    ("allowance_claims_reconciled", "person_key", "pseudonym"),
    ("report_duty_leaders", "duty_leader", "pseudonym"),
    ("report_duty_leaders", "duty_leader_key", "pseudonym"),
    ("report_duty_leaders", "rostered_leaders", "pseudonyms"),
    ("coldchain_sales", "buyer_phone", "phone"),
    ("coldchain_sales", "extra", "extra"),
    ("coldchain_batches", "supplier_phone", "phone"),
    ("coldchain_batches", "extra", "extra"),
    ("findings_history", "evidence", "evidence"),
    ("rejected_rows", "raw", "extra"),
    ("non_data_rows", "raw", "extra"),
]


def build_open_db(db_path: Path, out: Path, key: str | None = None) -> Path:
    """Write the open copy of db_path to out (replacing it).

    The copy is made with VACUUM INTO, so none of the original's free pages come along, then
    scrubbed, then copied once more with VACUUM INTO: an UPDATE can leave pieces of the values it
    replaced in the unused space of a page, even with secure_delete on, and a copy made afresh
    holds only the rows as they are. Each text
    column is scrubbed value by value: its distinct values are read once, and only the rows
    holding a value that changes are rewritten (a province's daily reports repeat a few hundred
    thousand values over millions of rows)."""
    out = Path(out)
    tmp = out.with_name(out.name + ".building")
    tmp.unlink(missing_ok=True)
    for extra in ("-journal", "-wal", "-shm"):
        Path(str(tmp) + extra).unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        src.execute("VACUUM INTO ?", (str(tmp),))
        names, phones = personal_data(src)
    finally:
        src.close()
    dst = sqlite3.connect(tmp)
    try:
        scrub = Scrubber(names, phones)
        dst.execute("PRAGMA journal_mode = DELETE")
        dst.execute("CREATE TEMP TABLE fy_map (old PRIMARY KEY, new) WITHOUT ROWID")
        fns = {
            "role_reporter": lambda v: ROLE_REPORTER if v not in (None, "") else v,
            "role_leader": lambda v: ROLE_LEADER if v not in (None, "") else v,
            "extra": scrub.extra, "pseudonym": scrub.pseudonym, "pseudonyms": scrub.pseudonyms,
            "phone": mask_phone, "evidence": scrub.evidence, "text": scrub.text,
        }
        tables = [r[0] for r in dst.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        with dst:
            # Individual buyers: a buyer that is not a registered merchant.
            if "coldchain_sales" in tables and "merchants" in tables:
                dst.execute(f"UPDATE coldchain_sales SET buyer = '{ROLE_BUYER}' WHERE buyer IS NOT NULL AND NOT EXISTS "
                            "(SELECT 1 FROM merchants m WHERE m.merchant_id = coldchain_sales.buyer_merchant_id "
                            "OR m.name = coldchain_sales.buyer)")
            roles = [(t, c) for t, c, rule in COLUMN_RULES if rule.startswith("role_")]
            role_sets = {}
            for table, column, rule in COLUMN_RULES:
                if table in tables and column in _columns(dst, table) and rule.startswith("role_"):
                    role = ROLE_REPORTER if rule == "role_reporter" else ROLE_LEADER
                    role_sets.setdefault(table, []).append(
                        f"\"{column}\" = CASE WHEN \"{column}\" <> '' THEN '{role}' ELSE \"{column}\" END")
            for table, sets in role_sets.items():      # one pass over the reports for both roles
                dst.execute(f'UPDATE "{table}" SET {", ".join(sets)}')
            for table, column, rule in COLUMN_RULES:
                if table in tables and column in _columns(dst, table) and not rule.startswith("role_"):
                    _scrub_column(dst, table, column, fns[rule], "IS NOT NULL")
            for table in tables:
                for column in _text_columns(dst, table):
                    if (table, column) not in roles:
                        _scrub_column(dst, table, column, scrub.text, TEXT_NOT_ISO)
            dst.execute("DROP TABLE temp.fy_map")
            dst.executescript(_extra_schema())
            dst.executemany("INSERT INTO check_labels VALUES (?, ?)", CHECK_LABELS.items())
            dst.executemany("INSERT INTO severity_labels VALUES (?, ?, ?)",
                            [(k, v, i) for i, (k, v) in enumerate(SEVERITY_LABELS.items())])
            dst.execute("INSERT INTO open_data_build VALUES (?, datetime('now'), ?, ?)",
                        (key or source_key(db_path), len(set(names.values())), len(phones)))
        final = out.with_name(out.name + ".final")
        final.unlink(missing_ok=True)
        dst.execute("VACUUM INTO ?", (str(final),))
    finally:
        dst.close()
    tmp.unlink(missing_ok=True)
    os.replace(final, out)
    return out


# Text cells worth scrubbing: not the ISO dates and date-times the ingest writes (digits and
# separators only, no run of 7 digits: they hold no name and no phone number).
TEXT_NOT_ISO = ("IS NOT NULL AND typeof(\"{c}\") = 'text' "
                "AND \"{c}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' "
                "AND \"{c}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]' "
                "AND \"{c}\" NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]' "
                "AND \"{c}\" NOT GLOB '[0-9][0-9][0-9][0-9]-W[0-9][0-9]'")


def _text_columns(conn, table: str) -> list[str]:
    """The columns of table that hold at least one text value, found in one pass."""
    columns = _columns(conn, table)
    if not columns:
        return []
    flags = conn.execute("SELECT " + ", ".join(f'max(typeof("{c}") = \'text\')' for c in columns)
                         + f' FROM "{table}"').fetchone()
    return [c for c, f in zip(columns, flags) if f]


def _scrub_column(conn, table: str, column: str, fn, where: str) -> None:
    """column = fn(column) on every row where it is not NULL: fn runs once per distinct value,
    and only the rows whose value changes are written."""
    t, c = f'"{table}"', f'"{column}"'
    changed = []
    for (value,) in conn.execute(f"SELECT DISTINCT {c} FROM {t} WHERE {c} " + where.format(c=column)):
        new = fn(value)
        if new != value or type(new) is not type(value):
            changed.append((value, new))
    if not changed:
        return
    conn.execute("DELETE FROM temp.fy_map")
    conn.executemany("INSERT OR REPLACE INTO temp.fy_map VALUES (?, ?)", changed)
    conn.execute(f"UPDATE {t} SET {c} = (SELECT m.new FROM temp.fy_map m WHERE m.old = {t}.{c}) "
                 f"WHERE {c} IN (SELECT old FROM temp.fy_map)")


def _columns(conn, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def _extra_schema() -> str:
    return """
    CREATE TABLE IF NOT EXISTS check_labels (check_id TEXT PRIMARY KEY, label TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS severity_labels (severity TEXT PRIMARY KEY, label TEXT NOT NULL,
                                                severity_rank INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS open_data_build (source_key TEXT NOT NULL, built_at TEXT NOT NULL,
                                                people INTEGER NOT NULL, phones INTEGER NOT NULL);
    CREATE VIEW IF NOT EXISTS findings_by_severity AS
    SELECT f.finding_id, f.severity, sl.label AS severity_label, f.date, f.check_id,
           cl.label AS check_label, f.unit_code, u.name AS unit_name, f.subject_key, f.message,
           f.evidence, f.run_id
    FROM findings f
    LEFT JOIN severity_labels sl ON sl.severity = f.severity
    LEFT JOIN check_labels cl ON cl.check_id = f.check_id
    LEFT JOIN units_in_force u ON u.unit_code = f.unit_code
    ORDER BY sl.severity_rank, f.date DESC, f.check_id, f.unit_code;
    """
