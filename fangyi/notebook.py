"""What the auditors' notebooks (notebooks/*.ipynb) share: which database, opened read-only,
queried into polars frames, and the one result a notebook hands to its runner.

The database is `$FANGYI_DB`, else db/workbench.db (looked for from the working directory up,
so a notebook opened in notebooks/ finds the project's database)."""
from __future__ import annotations

import json
import os
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


def frame(conn, sql: str, params=()):
    """A query's rows as a polars DataFrame (types inferred from every row)."""
    import polars as pl

    return pl.read_database(sql, conn, execute_options={"parameters": tuple(params)}, infer_schema_length=None)


def publish(**values) -> None:
    """Show the notebook's result (the cell tagged `results`): a JSON object the runner and the
    tests read from the executed notebook, and a plain-text view of it for people."""
    from IPython.display import display

    payload = json.loads(json.dumps(values, ensure_ascii=False, default=str))
    display({RESULT_MIMETYPE: payload,
             "text/plain": json.dumps(payload, ensure_ascii=False, indent=1)}, raw=True)


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
