"""What reaches the site, and what an anonymous visitor may ask of it: the gate in front of
everything (fangyi.site.plugin's asgi_wrapper, outermost) and the permissions that depend on
the request (the permission_allowed hook).

- Methods: GET, HEAD and OPTIONS everywhere, POST to the login and logout pages only, with a
  form of at most FORM_BYTES; anything else is 405 (Datasette answered a POST to a table page
  with a 500 from an assertion).
- Who asks: Datasette takes any `ds_actor` cookie signed with its secret as the actor it
  names, for as long as the cookie says; fangyi's sessions (fangyi.site.login) are the only way
  to be someone, so that cookie is removed from every request before Datasette reads it.
- Introspection: of the /-/ pages, anonymous visitors get the login and logout pages, the
  dashboards, the static files, the metadata and their own actor; the others (databases with
  their file paths, plugins, versions, threads with source paths, settings, the debug pages,
  and any /-/ page a plugin adds) are the inspector's: anyone else is shown the forbidden page
  (403) here, whatever the page itself would check.
- SQL: on the open copy an anonymous visitor reads table pages and canned queries; SQL typed by
  hand (?sql=, _where=) is the inspector's (`allow_sql`, fangyi.site.serve.site_metadata), so
  nobody can hold the SQL threads with a query of their own. The dashboards' charts run their
  SQL from the browser (`/<open>.json?sql=...`): exactly that SQL, as datasette-dashboards
  writes it for any choice of filters, is allowed to everyone on the open copy, and so is the
  dashboard pages' own check of it.

The request's kind is kept in a context variable for the length of the request, where the
permission hook, which is given no request, reads it."""
from __future__ import annotations

import contextvars
import itertools
import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from datasette.utils.asgi import Request

from fangyi.site.actors import is_inspector, site_names
from fangyi.site.follow_up import FOLLOW_UP_PATH, SIGN_OFF_PATH
from fangyi.site.login import LOGIN_PATH, LOGOUT_PATH, actor_of, forbidden_page
from fangyi.site.masking import FULL_IDS

FORM_PATHS = (LOGIN_PATH, LOGOUT_PATH, FOLLOW_UP_PATH, SIGN_OFF_PATH)
FORM_BYTES = 32 * 1024        # a follow-up note of 2,000 Chinese characters is 18 KB form-encoded
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
DROPPED_COOKIES = ("ds_actor",)
# The /-/ pages everyone may see; every other /-/ page is the inspector's. (The follow-up and
# sign-off pages refuse anonymous visitors themselves, with the way to log in.)
PUBLIC_DASH = re.compile(r"^/-/(static|static-plugins|dashboards)(/|$)|^/-/(login|logout|follow-up|sign-off|marks\.xlsx)$|"
                         r"^/-/(metadata|actor)(\.json)?$")


@dataclass(frozen=True)
class Visit:
    inspector_only: bool = False     # a /-/ page for the inspector only
    chart: bool = False              # a dashboard page, or a chart's own SQL on the open copy
    full_ids: bool = False           # a canned query that shows identity numbers in full


VISIT: contextvars.ContextVar[Visit] = contextvars.ContextVar("fangyi_visit", default=Visit())


class Gate:
    """The ASGI app in front of the site (see the module's docstring)."""

    def __init__(self, app, datasette):
        self.app = app
        self.datasette = datasette

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        method, path = scope.get("method", "GET"), scope.get("path", "")
        if method not in SAFE_METHODS:
            refusal = _refusal(method, path, scope)
            if refusal:
                return await _send_text(send, *refusal)
        scope = _without_cookies(scope, DROPPED_COOKIES)
        visit = self.visit(method, path, scope)
        if visit.inspector_only and not is_inspector(actor_of(self.datasette, Request(scope, receive))):
            # whatever the page itself checks (/-/allow-debug checks nothing): the forbidden page
            request = Request(dict(scope, csrftoken=lambda: ""), receive)
            response = await forbidden_page(self.datasette, request, "這是服務器的內部信息 / server internals")
            return await response.asgi_send(send)
        token = VISIT.set(visit)
        unmasked = FULL_IDS.set(visit.full_ids)
        try:
            return await self.app(scope, receive, send)
        finally:
            FULL_IDS.reset(unmasked)
            VISIT.reset(token)

    def visit(self, method: str, path: str, scope) -> Visit:
        if path.startswith("/-/"):
            if path.startswith("/-/dashboards"):
                return Visit(chart=True)
            return Visit(inspector_only=not PUBLIC_DASH.match(path))
        if path.endswith(".json") and b"sql=" in scope.get("query_string", b"") and method in ("GET", "HEAD"):
            _, open_ = site_names(self.datasette)
            if open_ and path[1:-5] in _routes(self.datasette, open_):
                sql = parse_qs(scope["query_string"].decode("latin-1")).get("sql")
                if sql and len(sql) == 1 and sql[0] in chart_sql(self.datasette, open_):
                    return Visit(chart=True)
        return Visit(full_ids=self._full_id_query(path))

    def _full_id_query(self, path: str) -> bool:
        """Whether path is a page or download of a canned query on the full database that shows
        identity numbers in full (`full_id_numbers: true`, fangyi.site.serve.site_metadata)."""
        names = (self.datasette.plugin_config("fangyi") or {}).get("full_id_queries") or ()
        full, _ = site_names(self.datasette)
        parts = path.split("/")
        if not names or not full or len(parts) != 3 or parts[1] not in _routes(self.datasette, full):
            return False
        return parts[2].split(".", 1)[0] in names


def _routes(datasette, name: str) -> set[str]:
    """How a database's name appears in a path: as written (the dashboards' scripts) or
    tilde-encoded (Datasette's own links)."""
    from datasette.utils import tilde_encode

    db = datasette.databases.get(name)
    route = db.route if db is not None else name
    return {name, route, tilde_encode(route)}


def _refusal(method: str, path: str, scope) -> tuple[int, str, dict] | None:
    """(status, text, headers) for a request that is not let in; None: let in."""
    if method != "POST" or path not in FORM_PATHS:
        allow = "GET, HEAD, POST" if path in FORM_PATHS else "GET, HEAD"
        return 405, "405 不允許的請求方法 / Method Not Allowed", {"allow": allow}
    headers = dict(scope.get("headers") or [])
    length = headers.get(b"content-length")
    if length is None:
        return 411, "411 需要 Content-Length / Length Required", {}
    if not length.isdigit() or int(length) > FORM_BYTES:
        return 413, "413 表單太大 / Payload Too Large", {}
    return None


async def _send_text(send, status: int, text: str, headers: dict) -> None:
    body = (text + "\n").encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]
                + [(k.encode(), v.encode()) for k, v in headers.items()]})
    await send({"type": "http.response.body", "body": body})


def _without_cookies(scope, names) -> dict:
    """The scope with the named cookies taken out of its Cookie headers (the others as sent)."""
    names = {n.encode() for n in names}
    headers = scope.get("headers") or []
    if not any(k.lower() == b"cookie" and any(n in v for n in names) for k, v in headers):
        return scope
    kept = []
    for key, value in headers:
        if key.lower() == b"cookie":
            value = b";".join(p for p in value.split(b";") if p.split(b"=", 1)[0].strip() not in names).strip()
            if not value:
                continue
        kept.append((key, value))
    return dict(scope, headers=kept)


def chart_sql(datasette, open_db: str) -> set[str]:
    """Every SQL text the dashboards' charts on the open copy send from the browser: each chart's
    query with its optional [[ ... ]] parts kept or dropped as datasette-dashboards does for
    every choice of filters."""
    from datasette_dashboards import replace_opts_in_query

    out = set()
    for dashboard in (datasette.plugin_config("datasette-dashboards") or {}).values():
        filters = list((dashboard.get("filters") or {}).keys())
        for chart in (dashboard.get("charts") or {}).values():
            if chart.get("db") != open_db or not chart.get("query"):
                continue
            for n in range(len(filters) + 1):
                for chosen in itertools.combinations(filters, n):
                    out.add(replace_opts_in_query(chart["query"], {k: "1" for k in chosen}))
    return out


def permission_allowed(datasette, actor, action, resource):
    """The permissions that depend on the request (VISIT); None leaves the others as they are."""
    visit = VISIT.get()
    if action == "view-database-download":
        full, _ = site_names(datasette)
        if resource == full:      # it holds the identity numbers as stored (fangyi.site.masking)
            return False
    if action == "execute-sql" and visit.chart:
        _, open_ = site_names(datasette)
        if open_ and resource == open_:
            return True
    return None
