"""Who is asking and which database is which: the inspector's actor id, and the names of the
full database and of its open copy as `fangyi serve` (fangyi.site.serve) registered them."""
from __future__ import annotations

INSPECTOR_ID = "inspector"


def site_names(datasette):
    """(full database name, open database name) as `fangyi serve` registered them."""
    return getattr(datasette, "_fangyi_names", (None, None))


def is_inspector(actor) -> bool:
    return bool(actor) and actor.get("id") == INSPECTOR_ID
