"""The open copy: the database anonymous visitors read, built from an allowlist.

Every column reaches the open copy only as its privacy class says (fangyi.ingest.kinds.PRIVACY):
the kinds declare the classes of their tables' columns in the kind registry, db/privacy.yml
those of the workbench's own tables, each check's SQL header what of its findings is open. A
table declared nowhere is left out; a column declared nowhere is empty (NULL, or '' where the
table says NOT NULL). Raw text that may hold anything (rows that are not data, rejected rows,
unknown columns, headers, titles) is withheld; file and sheet names become their positions, a
unit as written the registry's name of the unit it resolved to; names become a stable pseudonym
(人員001, by first appearance, the same person under the same pseudonym everywhere) or a role
(填報人); phones are masked (138****1234).

The copy is written row by row from the source with `INSERT ... SELECT` of the transformed
columns into an empty file: no original value is ever written to it, so none can survive in its
free pages. Tables keep their definitions, rowids and indexes; views are made again (a view over
a table left out is dropped)."""
from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fangyi import db

SEPARATORS = re.compile(r"[、，,；;/\s]+")
ROLE_NAME_WORD = "人員"
PHONE_MASK = ("CASE WHEN {c} IS NULL OR {c} = '' THEN {c} WHEN length({c}) <= 7 THEN '****' "
              "ELSE substr({c}, 1, 3) || '****' || substr({c}, -4) END")


@dataclass(frozen=True)
class Declared:
    privacy: str
    role: str | None = None


def declarations() -> dict[str, dict[str, Declared]]:
    """{table: {column: Declared}} of every table that may reach the open copy: the registered
    kinds' tables and the tables db/privacy.yml declares."""
    import yaml

    from fangyi.ingest import kinds

    out: dict[str, dict[str, Declared]] = {}
    text = resources.files("fangyi.db").joinpath("privacy.yml").read_text(encoding="utf-8")
    for table, columns in (yaml.safe_load(text) or {}).items():
        out[table] = {}
        for column, value in columns.items():
            if isinstance(value, dict):
                out[table][column] = Declared(value["privacy"], value.get("role"))
            else:
                out[table][column] = Declared(str(value))
    for _, table in kinds.tables().values():
        out[table.name] = {c.name: Declared(c.privacy, c.role) for c in table.all_columns()}
    return out


@dataclass
class Build:
    tables: list[str]             # copied
    left_out: list[str]           # tables of the source declared nowhere
    people: int                   # distinct people given a pseudonym
    phones: int                   # phone cells masked
    counts: dict = field(default_factory=dict)    # table -> rows copied


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _schema(conn, schema: str) -> list[tuple[str, str, str, str]]:
    return conn.execute(f"SELECT type, name, tbl_name, sql FROM {schema}.sqlite_master "
                        "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()


def _columns(conn, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA {schema}.table_info({_q(table)})")]


def _not_null(conn, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA src.table_info({_q(table)})") if r[3]}


def _names(text: str) -> list[str]:
    return [p for p in (s.strip() for s in SEPARATORS.split(text)) if p]


class Pseudonyms:
    """人員001, 人員002, ... by a person's first appearance; one person (by name_key) one pseudonym."""

    def __init__(self):
        self.by_key: dict[str, str] = {}

    def of(self, name: str) -> str | None:
        from fangyi.keys import name_key

        key = name_key(name)
        if not key:
            return None
        if key not in self.by_key:
            self.by_key[key] = f"{ROLE_NAME_WORD}{len(self.by_key) + 1:03d}"
        return self.by_key[key]

    def of_list(self, text: str) -> str:
        return "、".join(p for p in (self.of(n) for n in _names(text)) if p)


def _fill_maps(conn, plan: list[tuple[str, list[str], dict[str, Declared]]]) -> Pseudonyms:
    """temp.fy_map(class, value, new): what each name, list of names, sheet, file path, unit
    and unresolved unit group of the source becomes."""
    conn.execute("CREATE TEMP TABLE fy_map (class TEXT NOT NULL, value NOT NULL, new, PRIMARY KEY (class, value))"
                 " WITHOUT ROWID")
    people = Pseudonyms()
    rows: dict[tuple[str, object], object] = {}
    # names from the kinds' tables first (in the registry's order), then the derived tables, each
    # value in the order of its first row: pseudonyms are numbered the same way every time
    from fangyi.ingest import kinds

    first = {name: i for i, name in enumerate(kinds.tables())}
    order = sorted(plan, key=lambda p: (first.get(p[0], len(first)), p[0]))
    for table, _, declared in order:
        for column, d in declared.items():
            if d.privacy in ("name", "names") and not d.role:
                for (value,) in conn.execute(f"SELECT {_q(column)} FROM src.{_q(table)} WHERE {_q(column)} <> '' "
                                             f"GROUP BY {_q(column)} ORDER BY min(rowid)" if _has_rowid(conn, table)
                                             else f"SELECT DISTINCT {_q(column)} FROM src.{_q(table)} "
                                                  f"WHERE {_q(column)} <> '' ORDER BY 1"):
                    if (d.privacy, value) not in rows:
                        rows[(d.privacy, value)] = (people.of(str(value)) if d.privacy == "name"
                                                    else people.of_list(str(value)))
            elif d.privacy == "group_key":
                for (value,) in conn.execute(f"SELECT DISTINCT {_q(column)} FROM src.{_q(table)} "
                                             f"WHERE {_q(column)} LIKE '?%' ORDER BY 1"):
                    rows.setdefault(("group_key", value), None)
    groups = sorted(v for c, v in rows if c == "group_key")
    for i, value in enumerate(groups, start=1):
        rows[("group_key", value)] = f"?{i}"
    declared_classes = {d.privacy for _, _, cols in plan for d in cols.values()}
    if "unit_name" in declared_classes:
        # a unit as written: the registry's name of the unit it resolved to, by code or by name_id
        for code, name in conn.execute("SELECT unit_code, name FROM src.units_in_force"):
            rows[("unit", code)] = name
        # by name_id: a table of its own, searched by its integer key (the daily reports' 5
        # million rows each look theirs up: a third less time than through fy_map's text keys)
        conn.execute("CREATE TEMP TABLE fy_unit_of_name (name_id INTEGER PRIMARY KEY, new TEXT)")
        conn.execute("INSERT INTO temp.fy_unit_of_name SELECT r.name_id, u.name FROM src.unit_resolutions r "
                     "JOIN src.units_in_force u ON u.unit_code = r.unit_code")
    if "source_files" in {p[0] for p in plan}:
        for file_id, path, sheets in conn.execute("SELECT file_id, path, sheets FROM src.source_files"):
            suffix = Path(str(path or "")).suffix.lower()
            suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""
            rows[("file", str(file_id))] = f"文件{file_id}{suffix}"
            try:
                names = json.loads(sheets or "[]")
            except ValueError:
                names = []
            labels = []
            for i, name in enumerate(names if isinstance(names, list) else [], start=1):
                label = "" if name == "" else f"工作表{i}"
                rows[("sheet", f"{file_id}\x1f{name}")] = label
                labels.append(label)
            rows[("sheets", str(file_id))] = json.dumps(labels, ensure_ascii=False)
    conn.executemany("INSERT INTO temp.fy_map VALUES (?, ?, ?)", [(c, v, n) for (c, v), n in rows.items()])
    return people


def _has_rowid(conn, table: str) -> bool:
    sql = conn.execute("SELECT sql FROM src.sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return bool(sql) and "WITHOUT ROWID" not in sql[0].upper()


def _lookup(cls: str, value: str) -> str:
    # `+(...)` takes the value's column affinity away: compared with an INTEGER column (name_id),
    # SQLite would apply numeric affinity to m.value and could no longer search fy_map by it (a
    # scan of the class per row: 36 minutes for a province's daily reports instead of seconds)
    return f"(SELECT m.new FROM temp.fy_map m WHERE m.class = '{cls}' AND m.value = +({value}))"


def expression(column: str, d: Declared | None, columns: list[str]) -> str:
    """The SQL of what the open copy holds for `column` of a row of `t` (the source table)."""
    c = f"t.{_q(column)}"
    if d is None:
        return "NULL"
    if d.privacy == "open":
        return c
    if d.privacy in ("name", "names") and d.role:
        role = d.role.replace("'", "''")
        return f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE '{role}' END"
    if d.privacy in ("name", "names"):
        return f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE {_lookup(d.privacy, c)} END"
    if d.privacy == "phone":
        return PHONE_MASK.format(c=c)
    if d.privacy == "group_key":
        return f"CASE WHEN {c} LIKE '?%' THEN {_lookup('group_key', c)} ELSE {c} END"
    if d.privacy == "sheet" and "file_id" in columns:
        if column == "sheets":
            return _lookup("sheets", "CAST(t.file_id AS TEXT)")
        return (f"CASE WHEN {c} IS NULL OR {c} = '' THEN {c} ELSE COALESCE("
                f"{_lookup('sheet', 'CAST(t.file_id AS TEXT) || char(31) || ' + c)}, '工作表') END")
    if d.privacy == "unit_name" and "unit_code" in columns:
        return _lookup("unit", "t.unit_code")
    if d.privacy == "unit_name" and "name_id" in columns:
        return "(SELECT m.new FROM temp.fy_unit_of_name m WHERE m.name_id = t.name_id)"
    if d.privacy == "file" and "file_id" in columns:
        return _lookup("file", "CAST(t.file_id AS TEXT)")
    return "NULL"      # id_number, address, free_text, private, and anything not declared


def _findings_select(conn, table: str, columns: list[str], declared: dict[str, Declared]) -> str:
    """The findings (findings_history) as each check's header declares them open
    (fangyi.checks.Check: subject, open, open_evidence)."""
    from fangyi import checks

    conn.execute("CREATE TEMP TABLE fy_checks (check_id TEXT PRIMARY KEY, label TEXT, message_open INTEGER, "
                 "subject TEXT, evidence_keys TEXT)")
    conn.executemany("INSERT INTO temp.fy_checks VALUES (?, ?, ?, ?, ?)", [
        (c.id, c.label, int("message" in c.open), c.subject, json.dumps(list(c.open_evidence)))
        for c in checks.all_checks()])
    summary = ("COALESCE(k.label, t.check_id) || COALESCE('：' || u.name, '：' || t.unit_code, '') "
               "|| COALESCE(' ' || t.date, '')")
    special = {
        "message": f"CASE WHEN k.message_open = 1 THEN t.message ELSE {summary} END",
        "subject_key": ("CASE k.subject WHEN 'open' THEN t.subject_key WHEN 'name' THEN "
                        f"{_lookup('name', 't.subject_key')} END"),
        "evidence": ("CASE WHEN k.evidence_keys IS NULL OR k.evidence_keys = '[]' OR json_valid(t.evidence) = 0 "
                     "THEN NULL ELSE (SELECT json_group_object(e.key, CASE WHEN e.type IN ('object', 'array') "
                     "THEN json(e.value) ELSE e.value END) FROM json_each(t.evidence) e "
                     "WHERE e.key IN (SELECT value FROM json_each(k.evidence_keys))) END"),
    }
    exprs = [special[c] if declared.get(c, Declared("")).privacy.startswith("check_") else
             expression(c, declared.get(c), columns) for c in columns]
    # the latest finished run's findings only: the history of every run is the inspector's (each
    # run adds a province's 300,000 findings, and the open copy is rebuilt after every run)
    return (f"SELECT {', '.join(exprs)} FROM src.{_q(table)} t "
            "LEFT JOIN temp.fy_checks k ON k.check_id = t.check_id "
            "LEFT JOIN src.units_in_force u ON u.unit_code = t.unit_code "
            "WHERE t.run_id = (SELECT max(run_id) FROM src.check_runs WHERE finished_at IS NOT NULL)")


def building(out: Path) -> Path:
    """Where this process writes `out` before renaming it into place (its own name: two processes
    preparing the same run do not write over each other)."""
    tmp = out.with_name(f"{out.name}.building-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    return tmp


def running(pid: int) -> bool:
    """Whether a process of this id runs (a file it is writing is not a leftover)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def build(db_path: Path, out: Path, extra_schema: str = "", extra_rows=None) -> Build:
    """Write the open copy of the database at db_path to out (replacing it, atomically), with
    the tables and views of extra_schema beside it, filled by extra_rows(connection, Build)."""
    out = Path(out)
    tmp = building(out)
    for suffix in ("-journal", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    declared = declarations()
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (Path(db_path).resolve().as_uri() + "?mode=ro",))
        conn.execute(f"PRAGMA main.page_size = {conn.execute('PRAGMA src.page_size').fetchone()[0]}")
        conn.execute("PRAGMA main.journal_mode = OFF")
        conn.execute("PRAGMA main.synchronous = OFF")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA main.cache_size = -262144")
        objects = _schema(conn, "src")
        plan, left_out = [], []
        for type_, name, _, sql in objects:
            if type_ == "table":
                if name in declared:
                    plan.append((name, _columns(conn, "src", name), declared[name]))
                else:
                    left_out.append(name)
        conn.execute("BEGIN")
        people = _fill_maps(conn, plan)
        for type_, name, _, sql in objects:
            if type_ == "table" and name in declared:
                conn.execute(sql)
        phones = 0
        counts: dict[str, int] = {}
        for name, columns, decl in plan:
            cols = ", ".join(_q(c) for c in columns)
            if any(d.privacy.startswith("check_") for d in decl.values()):     # the findings
                select = _findings_select(conn, name, columns, decl)
            else:
                required = _not_null(conn, name)        # withheld there: '' (the column says NOT NULL)
                exprs = [expression(c, decl.get(c), columns) for c in columns]
                exprs = [e if c not in required or e == f"t.{_q(c)}" else f"COALESCE({e}, '')"
                         for c, e in zip(columns, exprs)]
                select = f"SELECT {', '.join(exprs)} FROM src.{_q(name)} t"
            if _has_rowid(conn, name):
                cols = "rowid, " + cols
                select = select.replace("SELECT ", "SELECT t.rowid, ", 1)
            counts[name] = conn.execute(f"INSERT INTO main.{_q(name)} ({cols}) {select}").rowcount
            phones += sum(conn.execute(f"SELECT count({_q(c)}) FROM main.{_q(name)}").fetchone()[0]
                          for c, d in decl.items() if d.privacy == "phone" and c in columns)
        copied = {p[0] for p in plan}
        for type_, name, table, sql in objects:
            if type_ == "index" and table in copied:
                conn.execute(sql)
        for type_, name, _, sql in objects:
            if type_ == "view":
                conn.execute(sql)
        for type_, name, _, sql in objects:      # a view over a table left out does not work: dropped
            if type_ == "view":
                try:
                    conn.execute(f"SELECT * FROM main.{_q(name)} LIMIT 0").fetchall()
                except sqlite3.Error:
                    conn.execute(f"DROP VIEW main.{_q(name)}")
        if extra_schema:
            for statement in db.statements(extra_schema):
                conn.execute(statement)
        done = Build(sorted(copied), left_out, len(people.by_key), phones, counts)
        if extra_rows:
            extra_rows(conn, done)
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    os.replace(tmp, out)
    return done

