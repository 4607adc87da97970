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
a name that is an identity number wherever it is declared (id_number, id_key).

- Every answer of a served database that holds identity numbers (`mask_results`), whatever
  computed it (SQL typed by hand, `main.<table>`, a cast, a text quoting a number): each
  18-character identity number in a cell masked, unless the request is a canned query marked
  `full_id_numbers: true` (FULL_IDS, set by fangyi.site.surface.Gate).
- A filter comparing an identity-number column with a masked number (a facet's link) matches
  the numbers of that masked form (`masked_filters`)."""
from __future__ import annotations

import contextvars
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
# In any answer: an 18-character identity number (its birth date a date). Not the 15-digit
# form: customs certificate numbers have 15 digits too.
ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                        r"(?![0-9A-Za-z])")
MASKED_FORM = re.compile(r"[0-9]{4}\*{7,10}[0-9]{3}[0-9Xx]")
FULL_IDS: contextvars.ContextVar[bool] = contextvars.ContextVar("fangyi_full_ids", default=False)


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


async def masked_filters(db, sql, params):
    """(sql, params) where a filter compares an identity-number column with a masked number
    (`?id_number=4501**********1234`, the link of a facet or a number copied from a page) as
    matching the numbers of that masked form; anything else unchanged."""
    if not isinstance(params, dict) or not any(isinstance(v, str) and MASKED_FORM.fullmatch(v) for v in params.values()):
        return sql, params
    _, names = id_columns()
    params = dict(params)
    for key, value in list(params.items()):
        if not (isinstance(value, str) and MASKED_FORM.fullmatch(value)):
            continue
        for column in names:
            compare = f'"{column}" = :{key}'
            if re.search(re.escape(compare) + r"(?![0-9A-Za-z_])", sql):
                sql = re.sub(re.escape(compare) + r"(?![0-9A-Za-z_])", f'"{column}" LIKE :{key}', sql)
                params[key] = value.replace(MASK, "_")
    return sql, params


def _row_type(keys: tuple[str, ...]):
    """A row class like sqlite3.Row's (by position or by column name, any case; keys())."""
    index = {}
    for i, key in enumerate(keys):
        index.setdefault(key, i)
        index.setdefault(key.lower(), i)

    class Row(tuple):
        __slots__ = ()

        def keys(self):
            return list(keys)

        def __getitem__(self, key):
            if isinstance(key, str):
                at = index.get(key, index.get(key.lower()))
                if at is None:
                    raise IndexError("No item with that key")
                return tuple.__getitem__(self, at)
            return tuple.__getitem__(self, key)
    return Row


def _masked_cell(value):
    if type(value) is str:
        if len(value) >= 18:
            return ID_IN_TEXT.sub(lambda m: _masked(m.group(0)), value)
    elif type(value) is int and value >= 10 ** 17:
        text = str(value)
        if ID_IN_TEXT.fullmatch(text):
            return _masked(text)
    return value


def mask_rows(rows: list) -> list:
    """The rows (tuples) with every 18-character identity number in them masked."""
    out = []
    for row in rows:
        values = tuple(_masked_cell(v) for v in row)
        out.append(values if values != tuple(row) else row)
    return out


async def shows_full_ids(db) -> bool:
    """Whether an answer of db on this request may show identity numbers as stored: a canned
    query marked `full_id_numbers: true` (FULL_IDS), or a database that holds none."""
    return FULL_IDS.get() or not await _holds_ids(db)


async def mask_results(db, results):
    """Datasette's results with every identity number in them masked, whatever the SQL that
    computed them (typed by hand, or a cell of text that quotes one), unless the request is a
    canned query that shows them in full (FULL_IDS); only on a database that holds them."""
    if FULL_IDS.get() or not results.rows or not await _holds_ids(db):
        return results
    masked = mask_rows(results.rows)
    if any(m is not r for m, r in zip(masked, results.rows)):
        row_type = _row_type(tuple(results.rows[0].keys()))
        results.rows = [r if m is r else row_type(m) for m, r in zip(masked, results.rows)]
    return results


async def _holds_ids(db) -> bool:
    cache = _CACHE.setdefault(db, {}) if not db.is_mutable else {}
    if "" not in cache:
        tables, _ = id_columns()
        present = await db.execute_fn(lambda conn: {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")})
        cache[""] = bool(present & set(tables))
    return cache[""]
