"""fangyi's Datasette plugin (registered as the `datasette` entry point `fangyi`): its hooks
only, each handing over to the module that does the work.

- prepare_connection: the SQL functions of fangyi.site.params on every connection.
- register_output_renderer: `.xlsx` and `.csvbom` (fangyi.site.exports).
- extra_template_vars: which database is which, whether the inspector is logged in
  (fangyi.site.actors), and the home page's variables (fangyi.site.home).
- asgi_wrapper: the response cache (fangyi.site.cache), around the marker of table and view
  pages, whose queries the served databases put in a total order (fangyi.site.paging).
- register_routes: every canned query's HTML page (fangyi.site.query_page)."""
from __future__ import annotations

from datasette import hookimpl

from fangyi.site import query_page
from fangyi.site.actors import is_inspector, site_names
from fangyi.site.cache import ResponseCache
from fangyi.site.exports import render_csvbom, render_xlsx
from fangyi.site.home import _home
from fangyi.site.opendata import check_labels
from fangyi.site.paging import PageMarker
from fangyi.site.params import SQL_FUNCTIONS

MMAP_BYTES = 1 << 34      # SQLite caps it at its build's maximum (2 GB for Python's)


@hookimpl
def prepare_connection(conn):
    # The served files are immutable: SQLite reads their pages from the OS cache through memory
    # mapping instead of copying every 16 KB page into each connection's own small cache, which
    # a request for another unit or day would otherwise do hundreds of times.
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    for name, function in SQL_FUNCTIONS.items():
        conn.create_function(name, 1, function, deterministic=True)


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": "xlsx", "render": render_xlsx, "can_render": lambda: True},
        {"extension": "csvbom", "render": render_csvbom, "can_render": lambda: True},
    ]


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette, columns):
    async def inner():
        full, open_ = site_names(datasette)
        out = {"fy_full": full, "fy_open": open_,
               "fy_inspector": is_inspector(request.actor if request else None),
               "fy_check_labels": check_labels()}
        if view_name == "index":
            out.update(await _home(datasette, request))
        return out
    return inner


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        return ResponseCache(PageMarker(app), datasette)
    return wrap


@hookimpl
def register_routes(datasette):
    """Every canned query's HTML page, rendered lean (fangyi.site.query_page)."""
    return query_page.route(datasette)
