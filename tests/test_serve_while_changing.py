"""The daily cycle without a restart: `fangyi serve` answers while another process ingests a new
day's file and checks it, never with anything but the page, and shows the new run when it is
done (fangyi.site.published)."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from conftest import accepts, free_port

FANGYI = Path(sys.executable).with_name("fangyi")
NEW_DAY = "2021-02-08"          # the day after the demo's period


def _get(port: int, path: str) -> tuple[int | str, bytes]:
    try:
        with urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
            return resp.status, resp.read()
    except HTTPError as e:
        return e.code, e.read()
    except (URLError, OSError) as e:
        return type(e).__name__, b""


def _new_day_file(folder: Path, db_path: Path) -> tuple[Path, int]:
    """A town's reports for NEW_DAY, from five of its communities; the others miss the day.
    Returns the file and how many units are expected to report that day."""
    conn = sqlite3.connect(db_path)
    units = conn.execute("SELECT unit_code, name FROM units_in_force WHERE reports_daily = 1 "
                         "AND (closed_on IS NULL OR closed_on >= ?) ORDER BY unit_code", (NEW_DAY,)).fetchall()
    conn.close()
    path = folder / "東華街道疫情防控日報_2021年2月8日.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["日期", "單位編碼", "單位", "新增確診", "密切接觸者", "是否零報告", "填報人", "報送時間"])
        for code, name in units[:5]:
            w.writerow([NEW_DAY, code, name, "0", "0", "是", "王芳", f"{NEW_DAY} 18:00"])
    return path, len(units)


def test_ingest_and_check_while_the_site_answers(checked_db, tmp_path):
    db_path = tmp_path / "workbench.db"
    shutil.copy(checked_db, db_path)
    new_file, expected = _new_day_file(tmp_path, db_path)
    port = free_port()
    server = subprocess.Popen([FANGYI, "serve", "--db", str(db_path), "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    statuses: Counter = Counter()
    stop = threading.Event()
    pages = ["/", "/workbench_open/findings.json?_shape=objects&_size=50", "/workbench_open/daily_reports_current",
             "/workbench_open/missed_on_day?date=2021-02-01", "/workbench_open/units.json",
             "/workbench_open/reporting_rates", "/workbench_open/findings?check_id=missing_report"]

    phase = ["before"]                # what the daily cycle is doing while a request is answered
    answered: Counter = Counter()

    def client(i: int) -> None:
        n = i
        while not stop.is_set():
            asked_in = phase[0]
            status, _ = _get(port, pages[n % len(pages)])
            statuses[status] += 1
            if phase[0] == asked_in:      # asked and answered within one step of the cycle
                answered[asked_in] += 1
            n += 1

    try:
        deadline = time.monotonic() + 60
        while _get(port, "/workbench_open.json")[0] != 200:
            assert server.poll() is None, server.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "fangyi serve did not serve the open copy within 60 s"
            time.sleep(0.3)
        before = json.loads(_get(port, f"/workbench_open/findings.json?_shape=objects&date={NEW_DAY}")[1])["rows"]
        assert before == []
        clients = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(10)]
        for c in clients:
            c.start()
        # the daily cycle, in other processes, while the ten clients read pages
        phase[0] = "ingest"
        ingest = subprocess.run([FANGYI, "ingest", "--db", str(db_path), str(new_file)], cwd=tmp_path,
                                capture_output=True, text=True, timeout=300)
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        phase[0] = "check"
        check = subprocess.run([FANGYI, "check", "--no-gx", "--fail-on", "never", "--db", str(db_path)],
                               cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert check.returncode == 0, check.stdout + check.stderr
        run = sqlite3.connect(db_path).execute("SELECT max(run_id) FROM check_runs").fetchone()[0]
        phase[0] = "switch"
        checked = time.monotonic()
        # the new run's findings on the site within a minute, without a restart
        while True:
            rows = json.loads(_get(port, f"/workbench_open/findings.json?_shape=objects&_size=max"
                                         f"&date={NEW_DAY}&check_id=missing_report")[1])["rows"]
            if rows:
                break
            if time.monotonic() - checked > 60:
                os.killpg(server.pid, signal.SIGTERM)
                raise AssertionError("the new run is not on the site a minute after it finished:\n"
                                     + server.communicate(timeout=30)[0].decode()[-3000:])
            time.sleep(0.5)
        stop.set()
        for c in clients:
            c.join(30)
        assert len(rows) == expected - 5 and {r["run_id"] for r in rows} == {run}
        home = _get(port, "/")[1].decode()
        assert f"數據截至第 {run} 次檢查" in home
        # every request answered, and pages answered while each step of the cycle ran (a count,
        # not a rate: how many depends on the machine)
        assert set(statuses) == {200}, statuses
        assert all(answered[step] >= 1 for step in ("ingest", "check", "switch")), answered
    finally:
        stop.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    assert not accepts(port)
