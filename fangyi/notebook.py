"""What the auditors' notebooks (notebooks/*.ipynb) share: which database, opened read-only,
queried into polars frames, and the one result a notebook hands to its runner.

The database is `$FANGYI_DB`, else db/workbench.db (looked for from the working directory up,
so a notebook opened in notebooks/ finds the project's database)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from fangyi import db

ENV = "FANGYI_DB"
DEFAULT = Path("db/workbench.db")
RESULT_MIMETYPE = "application/json"
RESULT_TAG = "results"


def database_path() -> Path:
    """$FANGYI_DB, else db/workbench.db in the working directory or the nearest parent that has one."""
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / DEFAULT).is_file():
            return folder / DEFAULT
    return DEFAULT


def connect(path: Path | str | None = None):
    """The database opened read-only (stdlib sqlite3): a notebook never changes it. It works
    where nothing can be written too (a read-only folder or archive: see fangyi.db.connect)."""
    return db.connect(path or database_path(), readonly=True)


# An empty answer (a database without rosters, say) has no value to infer a column's type from:
# such a column is a number when its name says so, else text, so that a notebook's filters,
# sums and charts run on it as on a full one.
NUMERIC_NAME = re.compile(r"(^|_)(count|counts|amount|kg|shifts|difference|days|day_number|number|n|row|"
                          r"expected|actual|on_time|rate|rank|reported|late|zero_report|quantity|registered|"
                          r"missed|findings|total|sales|receipts)$|^(file|run|report|batch|sale)_id$|^(has|is)_")


def frame(conn, sql: str, params=()):
    """A query's rows as a polars DataFrame (types inferred from every row; see NUMERIC_NAME for
    the columns of an empty answer)."""
    import polars as pl

    out = pl.read_database(sql, conn, execute_options={"parameters": tuple(params)}, infer_schema_length=None)
    return out.with_columns(pl.col(c).cast(pl.Float64 if NUMERIC_NAME.search(c) else pl.String)
                            for c, dtype in out.schema.items() if dtype == pl.Null)


def publish(**values) -> None:
    """Show the notebook's result (the cell tagged `results`): a JSON object the runner and the
    tests read from the executed notebook, and for people a labelled summary of it (HTML, and
    text for a terminal; fangyi.notebook_summary), not the JSON."""
    from IPython.display import display

    from fangyi.notebook_summary import as_html, as_text

    payload = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    display({RESULT_MIMETYPE: payload, "text/html": as_html(payload), "text/plain": as_text(payload)}, raw=True)


def result_of(nb) -> dict:
    """The result a notebook published (see publish), from its executed form."""
    for cell in nb.cells:
        if cell.cell_type == "code" and RESULT_TAG in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if RESULT_MIMETYPE in data:
                    value = data[RESULT_MIMETYPE]
                    return json.loads(value) if isinstance(value, str) else dict(value)
    raise LookupError("the notebook published no result (no output in a cell tagged 'results')")
