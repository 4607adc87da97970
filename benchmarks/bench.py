"""Province benchmark: generate, load, check and serve the province scenario at several scales.

    .venv/bin/python benchmarks/bench.py [--scales 1,0.1] [--skip-serve] [--timeout 1800]

Per scale, in benchmarks/out/province-SCALE/: generate the data (province.py); time
`sqlite3 .import` of the daily CSV into a fresh database (the floor) and `fangyi ingest` of the
registry and the daily CSV into another (ratio to the floor, peak memory); time
`fangyi check --no-gx` and `fangyi check` (GX) and compare the missing_report and late_report
findings with the manifest; serve the database with `fangyi serve` and measure p50/p95 latency
of every page at 20 concurrent clients. A step that fails or runs past --timeout is reported
as such and the run goes on. The results are printed and written to the "Province scale"
section of benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import latency
import province

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BIN = Path(sys.executable).parent
SECTION = "## Province scale"
CLIENTS, PER_CLIENT = 20, 10
VERIFIED = {"missing_report": "missing_unit_days", "late_report": "late"}   # check_id -> manifest key


@dataclass
class Step:
    status: str                     # ok | failed | timeout | skipped
    seconds: float | None = None
    detail: str = ""
    maxrss_mb: float | None = None

    def cell(self) -> str:
        if self.status == "ok":
            return f"{self.seconds:.2f}"
        return f"{self.status.upper()}" + (f" ({self.detail})" if self.detail else "")


def run(cmd: list[str], log: Path, timeout: float, cwd: Path) -> Step:
    """Run cmd to completion or until timeout; wall time and peak RSS (wait4 rusage)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)
        except OSError as exc:
            return Step("failed", detail=str(exc)[:120])
        done: dict = {}

        def reap():
            _, status, usage = os.wait4(proc.pid, 0)
            done.update(seconds=time.perf_counter() - start, status=status, usage=usage)

        waiter = threading.Thread(target=reap)
        waiter.start()
        waiter.join(timeout)
        timed_out = waiter.is_alive()
        if timed_out:
            os.killpg(proc.pid, signal.SIGKILL)
            waiter.join()
    proc.returncode = code = os.waitstatus_to_exitcode(done["status"])   # reaped here, not by Popen
    rss = done["usage"].ru_maxrss / 1024                                 # KiB on Linux
    if timed_out:
        return Step("timeout", timeout, f"killed after {timeout:.0f} s", rss)
    if code != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return Step("failed", done["seconds"], f"exit {code}: {tail[0][:120]}", rss)
    return Step("ok", done["seconds"], "", rss)


def fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def expected(manifest: dict) -> dict[str, int]:
    """check_id -> the findings the manifest says the run must give: the missing and late
    reports, and with returnee registers each returnee check's injected cases."""
    want = {check_id: manifest[key] for check_id, key in VERIFIED.items()}
    return {**want, **manifest.get("returnees", {}).get("defects", {})}


def verify(db: Path, manifest: dict) -> dict[str, str]:
    """check_id -> 'OK n' or 'MISMATCH n (manifest m)' for the latest run's findings."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        for check_id, want in expected(manifest).items():
            found = conn.execute("SELECT count(*) FROM findings WHERE check_id = ?", (check_id,)).fetchone()[0]
            out[check_id] = f"OK {found:,}" if found == want else f"MISMATCH {found:,} (manifest {want:,})"
        return out
    finally:
        conn.close()


def largest_steps(db: Path, n: int = 8) -> str:
    """Where the latest run's time went (check_runs.step_seconds): its n largest steps."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (steps,) = conn.execute("SELECT step_seconds FROM check_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    steps = json.loads(steps or "{}")
    top = sorted(steps.items(), key=lambda kv: -kv[1])[:n]
    return ", ".join(f"{k} {v:.1f}" for k, v in top) + f" (of {sum(steps.values()):.1f} in steps)"


def returnee_seconds(db: Path) -> dict[str, float]:
    """The latest run's seconds of the returnee steps (check_runs.step_seconds): materialising
    returnees_current, returnee_test_results, returnee_tests_owed (6NN_*) and the returnee checks."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (steps,) = conn.execute("SELECT step_seconds FROM check_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return {k: v for k, v in json.loads(steps or "{}").items() if k.startswith(("6", "returnee_"))}


def floor_command(db: Path, daily: Path) -> list[str]:
    """sqlite3 .import of the daily rows: the one CSV, or each town file in turn into one table
    (its header row skipped after the first file's), bytes as they are."""
    files = province_files(daily)
    imports = [f".import --csv {'--skip 1 ' if i else ''}'{f}' daily" for i, f in enumerate(files)]
    return ["sqlite3", str(fresh(db)), *imports]


def province_files(daily: Path) -> list[Path]:
    return sorted(daily.rglob("*.csv")) if daily.is_dir() else [daily]


def run_label(r: dict) -> str:
    shape = r["manifest"].get("shape", "one") if "manifest" in r else "one"
    return f"scale {r['scale']:g}" + (", town files" if shape == "towns" else "")


def bench_scale(scale: float, args, log, shape: str = "one") -> dict:
    out = HERE / "out" / (f"province-{scale:g}" + ("-towns" if shape == "towns" else "")
                          + ("-no-returnees" if args.no_returnees else ""))
    res: dict = {"scale": scale}
    start = time.perf_counter()
    manifest = res["manifest"] = province.generate(out, scale, returnees=not args.no_returnees, shape=shape)
    res["generate"] = Step("ok", time.perf_counter() - start)
    log(f"{run_label(res)}: {manifest['daily_rows']:,} rows, {manifest['daily_bytes'] / 1e6:.0f} MB "
        f"generated in {res['generate'].seconds:.1f} s")
    settings = out / "settings.toml"
    settings.write_text(f'[period]\nstart = "{manifest["start"]}"\nend = "{manifest["end"]}"\n'
                        + manifest.get("settings", ""), encoding="utf-8")
    daily, units = out / manifest["files"]["daily"], out / manifest["files"]["registry"]
    db = out / "workbench.db"               # the stem must match metadata.yml's database name
    shutil.rmtree(out / f"{db.stem}.served", ignore_errors=True)      # a previous run's served files
    fangyi = [str(BIN / "fangyi"), "--settings", str(settings)]
    steps = {
        "floor": floor_command(out / "floor.db", daily),
        "ingest": [*fangyi, "ingest", "--db", str(fresh(db)), str(units), str(daily),
                   *([str(out / manifest["files"]["returnees"])] if "returnees" in manifest["files"] else [])],
        **({"ingest_drop": [*fangyi, "ingest", "--db", str(db), str(out / manifest["files"]["drop"])]}
           if "drop" in manifest["files"] else {}),
        "check_nogx": [*fangyi, "check", "--db", str(db), "--no-gx", "--fail-on", "never"],
        "check_gx": [*fangyi, "check", "--db", str(db), "--fail-on", "never", "--docs", str(out / "data_docs")],
    }
    for name, cmd in steps.items():
        if name != "floor" and res.get("ingest", Step("ok")).status != "ok":
            res[name] = Step("skipped", detail="ingest did not finish")
            continue
        if name == "check_gx" and res["check_nogx"].status == "timeout":
            # GX runs the same SQL and more: it would time out too
            res[name] = Step("skipped", detail="check --no-gx timed out")
            continue
        res[name] = step = run(cmd, out / f"{name}.log", args.timeout, out)
        peak = f", peak {step.maxrss_mb:.0f} MB" if step.maxrss_mb else ""
        log(f"  {name}: {step.cell()}" + (" s" if step.status == "ok" else "") + peak)
        if name.startswith("check") and step.status == "ok":
            res[f"verify_{name}"] = verify(db, manifest)
            log(f"    {res[f'verify_{name}']}")
            res[f"steps_{name}"] = largest_steps(db)
            log(f"    largest steps: {res[f'steps_{name}']}")
            res[f"returnee_seconds_{name}"] = returnee_seconds(db)
            log(f"    returnee steps: {sum(res[f'returnee_seconds_{name}'].values()):.2f} s "
                f"{res[f'returnee_seconds_{name}']}")
    if args.skip_serve:
        res["serve"] = Step("skipped", detail="--skip-serve")
    elif res["ingest"].status != "ok":
        res["serve"] = Step("skipped", detail="ingest did not finish")
    else:
        res["serve"], res["pages"] = serve(db, manifest, out, log)
    return res


PARAMS = {"date": "2021-06-15", "start_date": "2021-03-08", "end_date": "2021-03-14",
          "iso_week": "2021-W10", "month": "2021-06",
          "merchant_id": "91440199MA5CHT0011", "trace_code": "QL2101120001"}


def serve(db: Path, manifest: dict | None, out: Path, log) -> tuple[Step, list]:
    """`fangyi serve` on db; every page of the open copy as an anonymous visitor, then every page
    of the full database as the logged-in inspector."""
    import secrets

    from datasette_auth_passwords.utils import hash_password

    from fangyi.site.serve import METADATA, open_name

    # realistic values; the province scenario has no rosters or ledgers, so those queries
    # answer with their empty result
    params = dict(PARAMS, unit_code=(manifest or {}).get("sample_unit_code") or sample_unit(db),
                  returnee_id=sample_returnee(db))
    password = secrets.token_urlsafe(12)
    env = dict(os.environ, FANGYI_INSPECTOR_PASSWORD_HASH=hash_password(password))
    port = latency.free_port()
    server = latency.Server([str(BIN / "fangyi"), "serve", "--db", str(db), "--port", str(port)],
                            port, out / "serve.log", out, env=env)
    try:
        ready = server.wait_ready(900)
        log(f"  serve: answering after {ready:.1f} s on port {port} (load {os.getloadavg()[0]:.1f})")
        public = open_name(db)
        cookies = latency.login(port, password)
        # ?sql= is the inspector's on both databases (fangyi.site.surface)
        open_ready = latency.wait_for(port, f"/{public}.json?sql=select+1", 900, cookies=cookies) + ready
        log(f"  serve: open copy {public} answering after {open_ready:.1f} s")
        pages = []
        for name, jar in ((public, None), (db.stem, cookies)):
            urls = latency.pages(db, METADATA, params, db=name)
            if name == db.stem:
                urls = urls[1:]             # "/" once, as the anonymous visitor
            idle = f"/{name}.json?sql=select+1" if jar else f"/{name}.json"
            pages += latency.measure(port, urls, idle, CLIENTS, PER_CLIENT, log, cookies=jar)
            # the same canned queries, every request with other values: the response cache
            # answers none of them, so these are the pages' own times under 20 clients
            varied = latency.varied_pages(db, METADATA, CLIENTS * PER_CLIENT, db=name)
            pages += latency.measure(port, varied, idle, CLIENTS, PER_CLIENT, log, cookies=jar)
            # the tables filtered from a link and the downloads of a day's answers, fresh values
            links = latency.link_pages(db, CLIENTS * PER_CLIENT, db=name)
            pages += latency.measure(port, links, idle, CLIENTS, PER_CLIENT, log, cookies=jar)
        step = Step("ok", ready)
        step.open_seconds = open_ready
        step.new_run = new_run(db, port, public, cookies, out, log)
        pages += step.new_run.pop("cold", [])
        return step, pages
    except Exception as exc:     # noqa: BLE001 - any failure is reported and the run goes on
        log(f"  serve: FAILED: {exc}")
        return Step("failed", detail=str(exc)[:120]), []
    finally:
        server.stop()


def new_run(db: Path, port: int, public: str, cookies: dict, out: Path, log) -> dict:
    """A check run while the site answers (as a district's does after the day's files): its
    seconds, how long after it ended the site served its open copy, then CLIENTS new visitors at
    once on the home page and on each page the home page links to (their first requests)."""
    settings = out / "settings.toml"
    cmd = [str(BIN / "fangyi"), *(["--settings", str(settings)] if settings.exists() else []),
           "check", "--db", str(db), "--no-gx", "--fail-on", "never"]
    check = run(cmd, out / "check_while_served.log", 1800, out)
    ended = time.perf_counter()
    result: dict = {"check": check}
    if check.status != "ok":
        log(f"  new run while served: check {check.cell()}")
        return result
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (run_id,) = conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()
    finally:
        conn.close()
    while time.perf_counter() - ended < 900 and latency.served_run(port, public, cookies) != run_id:
        time.sleep(0.25)
    served = time.perf_counter() - ended
    if served >= 900:
        log("  new run while served: its open copy was not served within 900 s")
        return result
    result["served_after"] = served
    cold = latency.at_once(port, ["/"], CLIENTS)
    cold += latency.at_once(port, latency.home_links(port), CLIENTS)
    for r in cold:
        r.page = f"(new run, {CLIENTS} visitors at once) {r.page}"
    result["cold"] = cold
    worst = max(cold, key=lambda r: r.first)
    log(f"  new run while served: check {check.seconds:.1f} s; its open copy served {served:.1f} s after "
        f"the check ended; {CLIENTS} visitors at once: home {1000 * cold[0].first:.0f} ms, slowest of "
        f"{len(cold)} pages {1000 * worst.first:.0f} ms ({worst.page})")
    result["slowest"] = worst.first
    result["home"] = cold[0].first
    result["pages"] = len(cold)
    return result


def sample_unit(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT unit_code FROM expected_report_status LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def sample_returnee(db: Path) -> str:
    """A register row of a returnee (returnee_detail's parameter); "1" when there is none."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT min(returnee_id) FROM returnees_current").fetchone()
        return str(row[0]) if row and row[0] is not None else "1"
    except sqlite3.Error:
        return "1"
    finally:
        conn.close()


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    shell = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[:1]
    return (f"{os.cpu_count()} cores ({model}), {mem_kb / 2**20:.0f} GB memory, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version} (shell {' '.join(shell) or '?'}), {dt.date.today().isoformat()}")


def report(results: list[dict]) -> str:
    cols = [run_label(r) for r in results]
    lines = [SECTION, "", f"`{' '.join(['benchmarks/bench.py', *sys.argv[1:]])}` on {machine()}.", "",
             "| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]

    def row(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")

    row("units × days", lambda r: f"{r['manifest']['units']:,} × {r['manifest']['days']}")
    row("daily rows (CSV MB)", lambda r: f"{r['manifest']['daily_rows']:,} ({r['manifest']['daily_bytes'] / 1e6:.0f})")
    row("missing / late / resubmitted (manifest)", lambda r: "{missing_unit_days:,} / {late:,} / {resubmitted:,}"
        .format(**r["manifest"]))
    row("returnee registers: units / returnees / tests", lambda r: "{units:,} / {returnees:,} / {tests:,}".format(
        **r["manifest"]["returnees"], tests=r["manifest"]["returnees"]["register_test_cells"]
        + r["manifest"]["returnees"]["test_rows"]) if "returnees" in r["manifest"] else "none")
    row("generate, s", lambda r: r["generate"].cell())
    row("sqlite3 .import (floor), s", lambda r: r["floor"].cell())
    row("fangyi ingest, s", lambda r: r["ingest"].cell())
    row("ingest / floor", lambda r: f"{r['ingest'].seconds / r['floor'].seconds:.2f}×"
        if r["ingest"].status == r["floor"].status == "ok" else "—")
    row("ingest peak memory, MB", lambda r: f"{r['ingest'].maxrss_mb:.0f}" if r["ingest"].maxrss_mb else "—")
    row("a day's drop into the year (fangyi ingest of 20 town files), s",
        lambda r: f"{r['ingest_drop'].cell()} ({r['manifest']['drop_rows']:,} rows)" if "ingest_drop" in r else "—")
    for name, label in (("check_nogx", "fangyi check --no-gx"), ("check_gx", "fangyi check (GX)")):
        row(f"{label}, s", lambda r, n=name: r[n].cell())
        row(f"{label} / floor", lambda r, n=name: f"{r[n].seconds / r['floor'].seconds:.2f}×"
            if r[n].status == r["floor"].status == "ok" else "—")
        row("&nbsp;&nbsp;largest steps (check_run_steps), s", lambda r, n=name: r.get(f"steps_{n}", "—"))
        row("&nbsp;&nbsp;returnee steps (6NN_*, returnee_*), s",
            lambda r, n=name: f"{sum(r[f'returnee_seconds_{n}'].values()):.2f}"
            if r.get(f"returnee_seconds_{n}") else "—")
        for check_id in dict.fromkeys(c for r in results for c in expected(r["manifest"])):
            row(f"&nbsp;&nbsp;{check_id} vs manifest",
                lambda r, n=name, c=check_id: r.get(f"verify_{n}", {}).get(c, "—"))
    one_file = sorted((r for r in results if r["manifest"].get("shape", "one") == "one"), key=lambda r: r["scale"])
    for small, big in zip(one_file, one_file[1:]):
        lines += ["", f"Growth from scale {small['scale']:g} to {big['scale']:g} "
                  f"({big['scale'] / small['scale']:g}× the data), time ratio:", ""]
        for name, label in (("floor", "sqlite3 .import"), ("ingest", "fangyi ingest"),
                            ("check_nogx", "check --no-gx"), ("check_gx", "check (GX)")):
            ok = small[name].status == big[name].status == "ok"
            ratio = f"{big[name].seconds / small[name].seconds:.1f}×" if ok else "— (a run did not finish)"
            lines.append(f"- {label}: {ratio}")
    for r in results:
        lines += serve_lines(r)
    return "\n".join(lines) + "\n"


def serve_lines(r: dict) -> list[str]:
    where = run_label(r) if "scale" in r else f"`{r.get('db')}`"
    if r["serve"].status != "ok":
        return ["", f"Datasette at {where}: {r['serve'].cell()}."]
    opened = getattr(r["serve"], "open_seconds", None)
    lines = ["", f"Datasette at {where} (`fangyi serve`, answering after {r['serve'].seconds:.1f} s"
             + (f", the open copy after {opened:.1f} s" if opened is not None else "") + "): "
             f"{CLIENTS} concurrent clients, "
             f"{PER_CLIENT} requests each after a first request alone (its time is \"first\"); 1 each for a "
             f"page slower than {latency.SLOW_PROBE_S:g} s on the first request, none when that one times out "
             f"({latency.REQUEST_TIMEOUT_S:g} s). The open copy's pages as an anonymous visitor, the full "
             "database's as the logged-in inspector; load is the 1-minute load average after the page. "
             "A page \"(200 different values)\" is a canned query asked with another unit, day or week on "
             "every request, so the site's response cache answers none of them.", ""]
    fresh = getattr(r["serve"], "new_run", None) or {}
    if fresh.get("served_after") is not None:
        lines += [f"A new check run while the site answered (`fangyi check --no-gx`, {fresh['check'].seconds:.1f} s): "
                  f"its open copy was served **{fresh['served_after']:.1f} s after the check ended**; then "
                  f"{CLIENTS} new visitors at once on the home page and on each of the {fresh['pages'] - 1} pages it "
                  f"links to: home page {1000 * fresh['home']:.0f} ms, slowest page "
                  f"{1000 * fresh['slowest']:.0f} ms (the rows \"(new run, …)\" below: \"first\" is the slowest "
                  "of the twenty).", ""]
    elif fresh.get("check") is not None:
        lines += [f"A new check run while the site answered: {fresh['check'].cell()}.", ""]
    if r.get("pages"):
        lines += ["| page | requests | not 200 | first ms | p50 ms | p95 ms | load |", "|---|---|---|---|---|---|---|"]
        for p in r["pages"]:
            bad = ", ".join(f"{s}×{n}" for s, n in p.statuses.items() if s != "200") or "0"
            first = f"{1000 * p.first:.0f}" if p.first is not None else "—"
            load = f"{p.load:.1f}" if p.load is not None else "—"
            lines.append(f"| `{p.page}` | {len(p.latencies)} | {bad} | {first} | {p.percentile_ms(50):.0f} | "
                         f"{p.percentile_ms(95):.0f} | {load} |")
    return lines


def write_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8")
    head, found, rest = text.partition(SECTION)
    tail = rest[rest.find("\n## "):] if found and "\n## " in rest else ""
    README.write_text(head.rstrip("\n") + "\n\n" + section + tail, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,0.1", help="comma-separated scale factors (default 1,0.1)")
    parser.add_argument("--shapes", default="one,towns",
                        help="daily files: one (one UTF-8 CSV), towns (240 town-month files); default both")
    parser.add_argument("--skip-serve", action="store_true", help="do not serve and measure latency")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per step (default 1800)")
    parser.add_argument("--no-readme", action="store_true", help="print the results only")
    parser.add_argument("--no-returnees", action="store_true",
                        help="generate no returnee registers (out/province-S-no-returnees/)")
    parser.add_argument("--serve-only", type=Path, metavar="DB",
                        help="only serve DB (ingested and checked) and measure its pages; prints the results")
    args = parser.parse_args()
    if not os.access(BIN / "fangyi", os.X_OK):
        sys.exit(f"{BIN / 'fangyi'} not found: run with the project's .venv/bin/python (make bench)")
    if args.serve_only:
        db = args.serve_only.resolve()
        res = {"db": db.name}
        res["serve"], res["pages"] = serve(db, None, db.parent, lambda msg: print(msg, flush=True))
        print("\n".join(serve_lines(res)))
        return
    results = []
    for scale in (float(s) for s in args.scales.split(",")):
        for shape in args.shapes.split(","):
            try:
                results.append(bench_scale(scale, args, lambda msg: print(msg, flush=True), shape))
            except Exception as exc:     # noqa: BLE001 - e.g. generation failed: report the other runs
                print(f"scale {scale:g} {shape}: FAILED: {type(exc).__name__}: {exc}", flush=True)
    section = report(results)
    print("\n" + section)
    if not args.no_readme:
        write_readme(section)
        print(f"written to {README}")


if __name__ == "__main__":
    main()
