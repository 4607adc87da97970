"""Identity numbers masked for everyone, the logged-in inspector included (4501**********1234):
on table, view and row pages, their facets, and every download of them (.json, .csv, .xlsx,
.csvbom), and in the canned queries. Only a returnee's own page (the canned query
returnee_detail, one register row by its returnee_id) shows the number in full.

How, through the plugin's hooks and the project's own served databases:

- `fangyi_mask_id(value)` is a SQL function of every connection (prepare_connection,
  fangyi.site.params.SQL_FUNCTIONS): an identity number (18 characters, the last a digit or X,
  or 15 digits), alone or inside a text such as returnees_current.person ('id:4501...'), keeps
  its first and last four characters, the others become *. A phone (11 digits) or any shorter
  number stays as it is. The canned queries call it on every identity-number column they show.
- The pages' own queries: the served databases (fangyi.site.serve.ServedDatabase) pass every
  query to `mask_sql`, which wraps the identity-number columns of a table or view in
  fangyi_mask_id wherever Datasette reads them by name or by `*` (`select <columns> from
  <table>`, the shape of its table, row, facet and export queries). Filters and sorts still
  compare the stored values; sorting by a masked column is switched off (`sortable_columns`, set
  by fangyi.site.serve.site_metadata), as its pages would be walked by the masked values.

Which columns: every column the privacy declarations (fangyi.site.open_copy.declarations: the
kind registry and db/privacy.yml) class as an identity number, and in a view every column of
a name that is an identity number wherever it is declared (id_number, id_key). SQL typed by hand (the inspector's) is masked where it has that shape too;
`main.<table>` reads the stored values."""
from __future__ import annotations

import functools
import re
import unicodedata
import weakref

MASK = "*"
ID_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
ID_COMPACT = re.compile(r"\d{12,19}[\dXx]")
_IDENT = r'(?:\[[^\]]*\]|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*|\*)'
SELECT = re.compile(rf"\bselect ({_IDENT}(?:, {_IDENT})*) from ({_IDENT})(?=\s|$|\))")
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()     # database -> {table: columns}


def _masked(text: str) -> str:
    return text[:4] + MASK * (len(text) - 8) + text[-4:]


def mask_id(value):
    """An identity number with its middle masked (4501**********1234); the identity numbers in a
    text likewise; anything else as it is."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        text = str(int(value))             # a number cell: masked only if it is an identity number
    else:
        return value
    out = ID_RUN.sub(lambda m: _masked(m.group(0)), text)
    if out != text:
        return out
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if ID_COMPACT.fullmatch(compact):      # written with spaces, or a digit too many or too few
        return _masked(compact)
    return value


@functools.lru_cache(maxsize=1)
def id_columns() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """({table: its identity-number columns}, every name such a column has)."""
    from fangyi.site.open_copy import declarations

    tables, other = {}, set()
    for table, columns in declarations().items():
        ids = frozenset(c for c, d in columns.items() if d.privacy == "id_number")
        other |= {c for c, d in columns.items() if d.privacy != "id_number"}
        if ids:
            tables[table] = ids
    # a view's column by the name of one that holds identity numbers wherever it is declared
    # (id_number, id_key; not person, a name in the rosters)
    return tables, frozenset(c for ids in tables.values() for c in ids) - other


def _unquote(ident: str) -> str:
    if ident.startswith("[") and ident.endswith("]"):
        return ident[1:-1]
    if ident.startswith('"') and ident.endswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident


async def masked_columns(db, table: str) -> frozenset[str]:
    """The columns of table (or view) in db that hold identity numbers."""
    cache = _CACHE.setdefault(db, {}) if not db.is_mutable else {}
    if table in cache:
        return cache[table]
    tables, names = id_columns()
    if table in tables:
        found = tables[table]
    elif table.lower().startswith("sqlite_"):
        found = frozenset()
    else:
        found = frozenset(c for c in await _view_columns(db, table) if c in names)
    cache[table] = found
    return found


async def _view_columns(db, view: str) -> list[str]:
    """The columns of a view of db, [] for anything else (read on a connection of its own:
    db.execute passes its queries here)."""
    def read(conn):
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ?", (view,)).fetchone():
            return []
        return [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (view,))]
    return await db.execute_fn(read)


async def _columns(db, table: str) -> list[str]:
    return await db.execute_fn(lambda conn: [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)",
                                                                        (table,))])


async def mask_sql(db, sql):
    """sql with the identity-number columns it selects by name (or by *) from a table or view
    wrapped in fangyi_mask_id; any other sql unchanged."""
    if not isinstance(sql, str) or "select " not in sql:
        return sql
    out, at = [], 0
    for m in SELECT.finditer(sql):
        table = _unquote(m.group(2))
        masked = await masked_columns(db, table)
        if not masked:
            continue
        terms = []
        for term in m.group(1).split(", "):
            if term == "*":
                terms += [_term(c, masked) for c in await _columns(db, table)]
            else:
                terms.append(_term(_unquote(term), masked, term))
        out += [sql[at:m.start(1)], ", ".join(terms)]
        at = m.end(1)
    if not out:
        return sql
    return "".join(out) + sql[at:]


def _term(column: str, masked: frozenset[str], written: str | None = None) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if column in masked:
        return f"fangyi_mask_id({quoted}) AS {quoted}"
    return written or quoted
