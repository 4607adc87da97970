"""Page latency of the served database: `fangyi serve` in the background, then concurrent
clients (asyncio + httpx) on 127.0.0.1 only, p50 / p95 per page."""
from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import yaml

HOST = "127.0.0.1"
SLOW_PROBE_S = 1.0          # a page slower than this alone gets one request per client
REQUEST_TIMEOUT_S = 60.0


@dataclass
class PageResult:
    page: str
    latencies: list[float] = field(default_factory=list)     # seconds, every request
    statuses: Counter = field(default_factory=Counter)        # "200", "400", "timeout", ...
    first: float | None = None                                # seconds, the first request alone
    load: float | None = None                                 # 1-minute load average after the page

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    def percentile_ms(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def pages(db_path: Path, metadata_path: Path, params: dict[str, str], db: str | None = None,
          metadata_db: str = "workbench") -> list[str]:
    """/, the database page, every table and view of the database listed in metadata.yml that
    exists in it, /db/findings, and every canned query with `params` filled in. db: the name it
    is served under (default the file's stem; `<stem>_open` for the open copy)."""
    db = db or db_path.stem
    meta = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))["databases"][metadata_db]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    finally:
        conn.close()
    urls = ["/", f"/{db}"]
    urls += [f"/{db}/{quote(t)}" for t in meta.get("tables", {}) if t in present]
    if f"/{db}/findings" not in urls:
        urls.append(f"/{db}/findings")
    for name, query in meta.get("queries", {}).items():
        missing = [p for p in query.get("params", []) if p not in params]
        if missing:
            raise KeyError(f"canned query {name}: no benchmark value for {', '.join(missing)}")
        args = {p: params[p] for p in query.get("params", [])}
        urls.append(f"/{db}/{name}" + (f"?{urlencode(args)}" if args else ""))
    return urls


def varied_pages(db_path: Path, metadata_path: Path, n: int, db: str | None = None,
                 metadata_db: str = "workbench") -> dict[str, list[str]]:
    """Every canned query that takes parameters, with n different realistic values (n units that
    report daily, n days of the period, the period's weeks): {label: [url, ...]}, so that each
    request asks for something another has not (as inspectors do), and no cache answers it."""
    import random

    db = db or db_path.stem
    meta = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))["databases"][metadata_db]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rng = random.Random(2021)
        units = [u for (u,) in conn.execute("SELECT unit_code FROM units_in_force WHERE reports_daily = 1")]
        days = [d for (d,) in conn.execute("SELECT day FROM calendar_days ORDER BY day")]
        weeks = [w for (w,) in conn.execute("SELECT DISTINCT iso_week FROM calendar_days ORDER BY iso_week")]
    finally:
        conn.close()
    if not (units and days and weeks):
        return {}
    out = {}
    for name, query in meta.get("queries", {}).items():
        names = query.get("params", [])
        if not names:
            continue
        urls = []
        for i in range(n):
            day = rng.randrange(len(days))
            values = {"unit_code": rng.choice(units), "date": days[day], "start_date": days[day],
                      "end_date": days[min(day + 6, len(days) - 1)], "iso_week": rng.choice(weeks)}
            urls.append(f"/{db}/{name}?" + urlencode({p: values.get(p, "") for p in names}))
        out[f"/{db}/{name}?… ({n} different values)"] = urls
    return out


def link_pages(db_path: Path, n: int, db: str | None = None) -> dict[str, list[str]]:
    """The pages an inspector reaches by a link or keeps as one, each with n fresh values: the
    findings table filtered by a unit or by a day, the daily reports filtered by a unit (the site
    sends these on to its own pages: the requests follow the redirect), and the downloads of a
    day's answers (CSV, CSV with BOM, XLSX). {label: [url, ...]}"""
    import random

    db = db or db_path.stem
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rng = random.Random(2022)
        units = [u for (u,) in conn.execute("SELECT unit_code FROM units_in_force WHERE reports_daily = 1")]
        days = [d for (d,) in conn.execute("SELECT day FROM calendar_days ORDER BY day")]
    finally:
        conn.close()
    if not (units and days):
        return {}
    shapes = {"findings?unit_code=": lambda: f"/{db}/findings?unit_code={rng.choice(units)}",
              "findings?date=": lambda: f"/{db}/findings?date={rng.choice(days)}",
              "daily_reports?unit_code=": lambda: f"/{db}/daily_reports?unit_code={rng.choice(units)}",
              "missed_on_day.csv?date=": lambda: f"/{db}/missed_on_day.csv?date={rng.choice(days)}",
              "missed_on_day.csvbom?date=": lambda: f"/{db}/missed_on_day.csvbom?date={rng.choice(days)}",
              "missed_on_day.xlsx?date=": lambda: f"/{db}/missed_on_day.xlsx?date={rng.choice(days)}",
              "findings_on_day.csv?date=": lambda: f"/{db}/findings_on_day.csv?date={rng.choice(days)}"}
    return {f"/{db}/{label}… ({n} different values)": [make() for _ in range(n)] for label, make in shapes.items()}


def home_links(port: int) -> list[str]:
    """The pages the home page links to, as an anonymous visitor sees it (fangyi.site.warm)."""
    from fangyi.site.warm import links

    return [u for u in links(httpx.get(f"http://{HOST}:{port}/", timeout=REQUEST_TIMEOUT_S).text) if u != "/"]


async def _at_once(port: int, urls: list[str], clients: int) -> list[PageResult]:
    """Each url asked by `clients` visitors without cookies at the same moment, one url after
    the other: the first requests after a new run. (The clients are made before: making one
    costs the benchmark ~10 ms of its own CPU, which is not the site's time.)"""
    out = []
    visitors = [httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=REQUEST_TIMEOUT_S,
                                  follow_redirects=True) for _ in range(clients)]
    try:
        for url in urls:
            result = PageResult(url)
            for client in visitors:
                client.cookies.clear()
            await asyncio.gather(*(_get(client, url, result) for client in visitors))
            result.first = max(result.latencies)
            result.load = os.getloadavg()[0]
            out.append(result)
    finally:
        for client in visitors:
            await client.aclose()
    return out


def at_once(port: int, urls: list[str], clients: int = 20) -> list[PageResult]:
    return asyncio.run(_at_once(port, urls, clients))


def served_run(port: int, db: str, cookies: dict) -> int | None:
    """The check run the site serves (the open copy's latest finished run), asked as the inspector."""
    sql = "select max(run_id) from check_runs where finished_at is not null"
    try:
        r = httpx.get(f"http://{HOST}:{port}/{db}.json", params={"sql": sql, "_shape": "array"},
                      cookies=cookies, timeout=10)
        return list(r.json()[0].values())[0] if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError, IndexError, KeyError):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """`cmd` started in its own process group (fangyi serve runs datasette as its child), so
    stopping it stops both."""

    def __init__(self, cmd: list[str], port: int, log: Path, cwd: Path, env: dict | None = None):
        self.port = port
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd,
                                     start_new_session=True, env=env)

    def wait_ready(self, timeout: float) -> float:
        """Seconds until / answers 200; raises RuntimeError if it does not in time."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(f"http://{HOST}:{self.port}/", timeout=5).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


async def _get(client: httpx.AsyncClient, url: str, result: PageResult | None) -> float:
    start = time.perf_counter()
    try:
        status = str((await client.get(url)).status_code)
    except httpx.TimeoutException:
        status = "timeout"
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    seconds = time.perf_counter() - start
    if result is not None:
        result.latencies.append(seconds)
        result.statuses[status] += 1
    return seconds


async def _idle(client: httpx.AsyncClient, idle_url: str, limit: float = 300) -> None:
    """Wait until a trivial query answers quickly: requests a client gave up on still run on
    the server's few SQL threads and would otherwise slow the next page."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit and await _get(client, idle_url, None) > 0.2:
        await asyncio.sleep(1)


def login(port: int, password: str, username: str = "inspector") -> dict[str, str]:
    """The cookies of a logged-in inspector (fangyi.site.login's /-/login form)."""
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=REQUEST_TIMEOUT_S) as client:
        client.get("/-/login")
        token = client.cookies.get("ds_csrftoken")
        resp = client.post("/-/login", data={"username": username, "password": password, "csrftoken": token})
        if "fy_session" not in client.cookies:
            raise RuntimeError(f"login failed: {resp.status_code}")
        return dict(client.cookies)


def wait_for(port: int, url: str, timeout: float, cookies: dict | None = None) -> float:
    """Seconds until url answers 200 (e.g. the open copy, built in the background)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if httpx.get(f"http://{HOST}:{port}{url}", cookies=cookies, timeout=10).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


async def _measure(port: int, urls: list[str], idle_url: str, clients: int, per_client: int,
                   log, cookies: dict | None = None) -> list[PageResult]:
    results = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=REQUEST_TIMEOUT_S,
                                 limits=limits, cookies=cookies, follow_redirects=True) as client:
        items = urls.items() if isinstance(urls, dict) else ((u, [u]) for u in urls)
        for url, variants in items:
            await _idle(client, idle_url)
            result = PageResult(url)
            # A first request warms caches and tells a slow page, which then gets one request
            # per client (a page that does not answer at all, none) so that the run stays bounded.
            # With several variants (different parameter values), request i asks for variant i.
            probe = await _get(client, variants[0], None)
            result.first = probe
            n = per_client if probe < SLOW_PROBE_S else 1 if probe < REQUEST_TIMEOUT_S else 0
            turn = iter(range(1, 10**9))

            async def one_client():
                for _ in range(n):
                    await _get(client, variants[next(turn) % len(variants)], result)

            if n:
                await asyncio.gather(*(one_client() for _ in range(clients)))
            else:
                result.latencies.append(probe)
                result.statuses["timeout"] += 1
            result.load = os.getloadavg()[0]
            log(f"    {url}: first {1000 * probe:.0f} ms, {len(result.latencies)} requests, "
                f"p50 {result.percentile_ms(50):.0f} ms, p95 {result.percentile_ms(95):.0f} ms, "
                f"{dict(result.statuses)}, load {result.load:.1f}")
            results.append(result)
    return results


def measure(port: int, urls: list[str] | dict[str, list[str]], idle_url: str, clients: int = 20,
            per_client: int = 10, log=print, cookies: dict | None = None) -> list[PageResult]:
    """Per url: p50/p95 over `clients` concurrent clients of `per_client` requests each (with
    `cookies`: as that visitor, e.g. the logged-in inspector). urls may map a label to variants
    of a page (varied_pages): then each request asks for the next variant."""
    return asyncio.run(_measure(port, urls, idle_url, clients, per_client, log, cookies))
