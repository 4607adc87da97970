"""Who is asking and which database is which: the inspector's actor id, and the names of the
full database and of its open copy, which `fangyi serve` writes into the plugin's configuration
(metadata `plugins: fangyi: {full_database: ..., open_database: ...}`, see
fangyi.site.serve.site_metadata)."""
from __future__ import annotations

import weakref

INSPECTOR_ID = "inspector"


def site_names(datasette):
    """(full database name, open database name) as `fangyi serve` configured them; (None, None)
    for a Datasette not started by `fangyi serve`."""
    config = datasette.plugin_config("fangyi") or {}
    return config.get("full_database"), config.get("open_database")


def is_inspector(actor) -> bool:
    return bool(actor) and actor.get("id") == INSPECTOR_ID


# The marks database of each site (fangyi.site.serve attaches it; fangyi.site.follow_up writes
# it): kept here, not in the plugin configuration, which /-/metadata shows to everyone, and a
# file's path is nobody's business.
_MARKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach_marks(datasette, path) -> None:
    _MARKS[datasette] = str(path)


def marks_file(datasette) -> str | None:
    return _MARKS.get(datasette)
