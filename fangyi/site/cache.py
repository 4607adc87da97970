"""The response cache wrapped around the site (fangyi.site.plugin's asgi_wrapper).

Both databases are immutable while served, so a page is the same every time it is asked for by
the same visitor. The first request runs its queries; the same URL again, by the same actor
(anonymous, or the inspector of a live session, fangyi.site.login, with the same CSRF cookie),
is answered from memory,
gzip-compressed (once, when it is first asked for again) for a client that accepts it. Only
GET/HEAD 200 responses without Set-Cookie, below CACHE_ITEM_BYTES, of the home page and the
database pages are kept; at most CACHE_BYTES in all, least recently used first out; an entry
lives CACHE_TTL_S (the home page names today's date)."""
from __future__ import annotations

CACHE_BYTES = 64 * 1024 * 1024
CACHE_ITEM_BYTES = 2 * 1024 * 1024
CACHE_TTL_S = 600


def _marks_version(datasette):
    """The marks database as it stands (size and time of its files): a new mark, a new home page."""
    import os

    from fangyi.site.actors import marks_file

    path = marks_file(datasette)
    out = []
    for p in (path, f"{path}-wal") if path else ():
        try:
            st = os.stat(p)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


class ResponseCache:
    def __init__(self, app, datasette):
        from collections import OrderedDict

        self.app = app
        self.datasette = datasette
        self.entries: OrderedDict = OrderedDict()
        self.size = 0
        self.computing: dict = {}          # key -> asyncio.Event: a page being computed, once

    def _key(self, scope):
        from datasette.utils.asgi import Request

        from fangyi.site.login import actor_of

        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return None
        if any(db.is_mutable for db in self.datasette.databases.values() if db.name != "_internal"):
            return None
        path = scope.get("path", "")
        first = path.strip("/").split("/", 1)[0].split(".", 1)[0]
        if path != "/" and first not in self.datasette.databases:
            return None
        query = scope.get("query_string", b"")
        if b"_trace=1" in query or b"_stream" in query:
            return None
        headers = dict(scope.get("headers") or [])
        if b"authorization" in headers:
            return None
        request = Request(scope, None)
        actor = actor_of(self.datasette, request)         # a live session's, else anonymous
        return (path, query, scope.get("method"), repr(sorted(actor.items())) if actor else "",
                request.cookies.get("ds_csrftoken", ""),
                tuple((name, db.path) for name, db in self.datasette.databases.items()),   # a new run: new files
                _marks_version(self.datasette) if path == "/" else None)     # the home page counts the marks



    async def __call__(self, scope, receive, send):
        import asyncio

        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        if await self._answer(key, scope, send):
            return
        # Visitors asking for the same page while it is computed wait for it (twenty at once
        # after a new run: one computation, not twenty on two cores).
        computing = self.computing.get(key)
        if computing is not None:
            await computing.wait()
            if await self._answer(key, scope, send):
                return
        event = self.computing[key] = asyncio.Event()
        try:
            await self._compute(key, scope, receive, send)
        finally:
            event.set()
            if self.computing.get(key) is event:
                del self.computing[key]

    async def _answer(self, key, scope, send) -> bool:
        """Send the cached page, if there is one."""
        import time

        hit = self.entries.get(key)
        if hit is None or time.monotonic() - hit[0] >= CACHE_TTL_S:
            return False
        self.entries.move_to_end(key)
        _, start, body, gz = hit
        if gz is None:                                  # compressible, not compressed yet
            import gzip

            gz = gzip.compress(body, compresslevel=6, mtime=0)
            self.entries[key] = (hit[0], start, body, gz)
            self.size += len(gz)
        if gz and _accepts_gzip(scope):
            start, body = _gzipped(start, gz), gz
        await send(start)
        await send({"type": "http.response.body", "body": body})
        return True

    async def _compute(self, key, scope, receive, send) -> None:
        import time

        parts, start_msg = [], {}
        cacheable = True

        async def capture(message):
            nonlocal cacheable
            if message["type"] == "http.response.start":
                start_msg.update(message)
                if message.get("status") != 200 or any(k.lower() == b"set-cookie" for k, _ in message.get("headers", [])):
                    cacheable = False
            elif message["type"] == "http.response.body" and cacheable:
                parts.append(message.get("body", b""))
                if sum(map(len, parts)) > CACHE_ITEM_BYTES:
                    cacheable = False
                    parts.clear()
            await send(message)

        await self.app(scope, receive, capture)
        if cacheable and start_msg:
            body = b"".join(parts)
            gz = None if _compressible(start_msg, body) else b""      # compressed when asked again
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[2]) + len(old[3] or b"")
            self.entries[key] = (time.monotonic(), dict(start_msg), body, gz)
            self.size += len(body) + len(gz or b"")
            while self.size > CACHE_BYTES and self.entries:
                _, (_, _, dropped, dropped_gz) = self.entries.popitem(last=False)
                self.size -= len(dropped) + len(dropped_gz or b"")


COMPRESSIBLE = {b"text/html", b"application/json", b"text/csv", b"text/plain", b"application/javascript"}


def _compressible(start: dict, body: bytes) -> bool:
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    return (len(body) > 1024 and b"content-encoding" not in headers
            and headers.get(b"content-type", b"").split(b";")[0].strip() in COMPRESSIBLE)


def _accepts_gzip(scope) -> bool:
    for k, v in scope.get("headers") or []:
        if k.lower() == b"accept-encoding" and b"gzip" in v.lower():
            return True
    return False


def _gzipped(start: dict, gz: bytes) -> dict:
    """The response start of a cached page sent gzip-compressed."""
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-length", b"vary")]
    headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(gz)).encode()),
                (b"vary", b"Accept-Encoding, Cookie")]
    return dict(start, headers=headers)
