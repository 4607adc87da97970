"""How a cell is shown on the site's HTML pages, the same on Datasette's table, view and row
pages (the render_cell hook, fangyi.site.plugin) and on the canned queries' pages
(fangyi.site.query_page): a value shown as a label (a code in Chinese) or as a link (a unit to
its unit page, a trace code to its trace).

A renderer is chosen once per column: each function in RENDERERS is asked
`choose(column, table, base)` (table: the table or view of the page, or the canned query's name;
base: the database's path, such as "/workbench") and returns None, or a function
`show(value, row) -> str | None` giving the cell's HTML (escaped by the renderer; None: shown as
text). `row` maps the row's column names to its values. The first renderer that claims a column
shows it. JSON, CSV and the downloads are not touched: they keep the stored values."""
from __future__ import annotations

import functools
from typing import Callable

Show = Callable[[object, "dict | None"], "str | None"]
Choose = Callable[[str, "str | None", str], "Show | None"]

RENDERERS: list[Choose] = []


def renderer(choose: Choose) -> Choose:
    """Register a renderer (a decorator)."""
    RENDERERS.append(choose)
    return choose


@functools.lru_cache(maxsize=4096)
def for_column(column: str, table: str | None, base: str) -> Show | None:
    for choose in RENDERERS:
        show = choose(column, table, base)
        if show is not None:
            return show
    return None


def show(value, column: str, table: str | None, base: str, row) -> str | None:
    """The cell's HTML, or None when no renderer claims the column or the value."""
    fn = for_column(column, table, base)
    if fn is None:
        return None
    return fn(value, row)


from fangyi.site.links import choose as _links  # noqa: E402  (links between answers; it imports nothing of this module)
renderer(_links)


@renderer
def _follow_up(column: str, table: str | None, base: str) -> Show | None:
    """A finding's id, on the full database (the inspector's), links to its follow-up page
    (fangyi.site.follow_up): where it is marked from its row."""
    from html import escape

    from fangyi.site.links import is_open

    if column != "finding_id" or is_open(base):
        return None

    def show(value, row):
        if not isinstance(value, int):
            return None
        return (f'<a class="fy-follow-up-link" href="/-/follow-up?finding={value}" '
                f'title="跟進這個發現 / follow this finding up">{value}</a>')
    return show
