"""What reaches the site (fangyi.site.plugin's asgi_wrapper, outermost).

- Methods: GET, HEAD and OPTIONS everywhere, POST to the login and logout pages only, with a
  form of at most FORM_BYTES; anything else is 405 (Datasette answered a POST to a table page
  with a 500 from an assertion).
- Who asks: Datasette takes any `ds_actor` cookie signed with its secret as the actor it
  names, for as long as the cookie says; fangyi's sessions (fangyi.site.login) are the only way
  to be someone, so that cookie is removed from every request before Datasette reads it."""
from __future__ import annotations

from fangyi.site.login import LOGIN_PATH, LOGOUT_PATH

FORM_PATHS = (LOGIN_PATH, LOGOUT_PATH)
FORM_BYTES = 16 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
DROPPED_COOKIES = ("ds_actor",)


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
        return await self.app(scope, receive, send)


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

