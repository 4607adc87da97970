"""fangyi's Datasette plugin (registered as the `datasette` entry point `fangyi`): its hooks
only, each handing over to the module that does the work.

- prepare_connection: the SQL functions of fangyi.site.params on every connection.
- register_output_renderer: `.xlsx` and `.csvbom` (fangyi.site.exports).
- extra_template_vars: which database is which, whether the inspector is logged in
  (fangyi.site.actors), and the home page's variables (fangyi.site.home).
- asgi_wrapper: the gate in front of everything (fangyi.site.surface: methods, cookies, who may
  see which /-/ page), then the response cache (fangyi.site.cache), around the marker of table
  and view pages, whose queries the served databases put in a total order (fangyi.site.paging).
- register_routes: every canned query's HTML page (fangyi.site.query_page); the login and
  logout pages (fangyi.site.login); the follow-up and sign-off pages, the site's one write
  path (fangyi.site.follow_up).
- actor_from_request, skip_csrf, forbidden, menu_links: the inspector's session, the login
  pages' own CSRF check, the Chinese forbidden page, the login and logout links
  (fangyi.site.login).
- permission_allowed: the permissions that depend on the request (fangyi.site.surface).
- startup: Datasette's plain .csv neutralises formulas as the exports do (fangyi.site.exports).

datasette-auth-passwords stays installed for its hash_password and verify_password, but its
hooks are switched off (at the end of this module): fangyi.site.login replaces its login page,
and its password tool and HTTP Basic login had no throttling."""
from __future__ import annotations

from datasette import hookimpl

from fangyi.site import cells, follow_up, labels, login, masking, query_page, surface
from fangyi.site.actors import is_inspector, site_names
from fangyi.site.cache import ResponseCache
from fangyi.site.exports import neutralise_datasette_csv, render_csvbom, render_xlsx
from fangyi.site.home import _home
from fangyi.site.opendata import check_labels
from fangyi.site.paging import PageMarker
from fangyi.site.redirects import UnitRedirect
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
def render_cell(datasette, value, column, table, database, row):
    """A cell of a table, view or row page as fangyi.site.cells shows it (also on the canned
    queries' pages, fangyi.site.query_page); None: Datasette's own rendering."""
    from markupsafe import Markup

    shown = cells.show(value, column, table, datasette.urls.database(database), row)
    return Markup(shown) if shown is not None else None


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
        out.update(labels.TEMPLATE_VARS)          # Chinese labels of columns, tables, Datasette's words
        if view_name == "index":
            out.update(await _home(datasette, request))
        return out
    return inner


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        return surface.Gate(UnitRedirect(ResponseCache(PageMarker(app), datasette), datasette), datasette)
    return wrap


@hookimpl
def register_routes(datasette):
    """Every canned query's HTML page, rendered lean (fangyi.site.query_page); the login and
    logout pages (fangyi.site.login)."""
    return query_page.route(datasette) + login.routes() + follow_up.routes()


@hookimpl
def actor_from_request(datasette, request):
    return login.actor_of(datasette, request)


@hookimpl
def skip_csrf(datasette, scope):
    return login.skip_csrf(scope) or follow_up.skip_csrf(scope)


@hookimpl
def forbidden(datasette, request, message):
    return login.forbidden_page(datasette, request, message)


@hookimpl
def menu_links(datasette, actor):
    return login.menu_links(actor)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    return surface.permission_allowed(datasette, actor, action, resource)


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """A sort Datasette refuses (a column not in sortable_columns: an identity number, whose
    pages would be walked by their masked values) is the request's fault: 400, said in Chinese."""
    from datasette.views.base import DatasetteError

    if isinstance(exception, DatasetteError) and str(exception.message).startswith("Cannot sort table by "):
        column = str(exception.message)[len("Cannot sort table by "):]
        exception.status = 400
        if column in masking.id_columns()[1]:
            exception.message = (f"不能按「{column}」排序：身份證號在頁面上是遮蔽的 / cannot sort by {column}: "
                                 "identity numbers are shown masked")
        else:
            exception.message = f"不能按「{column}」排序：沒有這一列或它不可排序 / cannot sort by {column}"
    return None


@hookimpl
def startup(datasette):
    neutralise_datasette_csv()

    async def home_figures():
        # a run's files are immutable: what its home page shows is computed once, now
        from fangyi.site.home import precompute
        await precompute(datasette)
    return home_figures


def _switch_off(*names):
    """Block the named plugins' hooks (their modules stay importable). At the end of this module:
    when Datasette loads its plugins while this module is imported, every hook above exists."""
    from datasette.plugins import pm

    for name in names:
        pm.set_blocked(name)


_switch_off("auth_passwords")         # datasette-auth-passwords' entry point
