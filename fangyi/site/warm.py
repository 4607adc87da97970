"""Pages answered once when `fangyi serve` switches to a check run, before any visitor asks: the
home page and the pages it links to, as a visitor without a session sees them, through the run's
own app and so into its response cache (fangyi.site.cache). The first visitors after a new run
(twenty arriving at once included) are then answered from memory instead of each waiting while
the page is computed, and the database files' pages those queries read are in the page cache.

Links that differ only in their parameters (a unit's page for each unit listed) are answered for
the first WARM_PER_PAGE of them: each is a small query on its own."""
from __future__ import annotations

import asyncio
import re
import threading
from urllib.parse import urlsplit

WARM_PER_PAGE = 3
WARM_LIMIT_S = 120.0            # the switch does not wait longer than this for the warm-up
SKIPPED = ("/-/login", "/-/logout", "/-/static", "/fangyi-static", "/data-docs", "/-/actor")


def links(html: str) -> list[str]:
    """The site's own pages an HTML page links to (paths with their query), in order, once."""
    out, per_page = [], {}
    for href in re.findall(r'href="([^"#]+)"', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIPPED):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if url in out:
            continue
        per_page[parts.path] = per_page.get(parts.path, 0) + 1
        if per_page[parts.path] <= WARM_PER_PAGE:
            out.append(url)
    return out


async def _warm(app) -> int:
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        home = await client.get("/")
        urls = links(home.text) if home.status_code == 200 else []
        for url in urls:
            await client.get(url)
    return 1 + len(urls)


def warm(app) -> int:
    """Ask the home page and the pages it links to of `app` (a Datasette's app, as served), in a
    thread with its own event loop; how many pages were asked (0 when it failed)."""
    done: dict = {}

    def run():
        try:
            done["pages"] = asyncio.run(_warm(app))
        except Exception as exc:        # noqa: BLE001 - a page that fails is answered when asked
            done["error"] = exc
    worker = threading.Thread(target=run, name="fangyi-warm", daemon=True)
    worker.start()
    worker.join(WARM_LIMIT_S)
    return done.get("pages", 0)
