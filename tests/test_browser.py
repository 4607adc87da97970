"""`fangyi serve` in a real headless Chromium (Debian chromium + chromium-driver, installed by
`make test`), driven by Selenium: log in, the home page, a dashboard, a canned query with a date
typed as 2021/1/22; screenshots in test-artifacts/. Then SIGTERM leaves nothing listening."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import accepts, free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
FANGYI = Path(sys.executable).parent / "fangyi"
PASSWORD = "督查-test-pass"

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="chromium and chromedriver are installed by `make test`")


@pytest.fixture(scope="module")
def browser(chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    return chromium


def _hash(password: str) -> str:
    """A datasette-auth-passwords hash (what /-/password-tool makes)."""
    from datasette_auth_passwords.utils import hash_password

    return hash_password(password)


@pytest.fixture(scope="module")
def server(checked_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "workbench.db"
    shutil.copy(checked_db, path)
    port = free_port()
    env = dict(os.environ, FANGYI_INSPECTOR_PASSWORD_HASH=_hash(PASSWORD))
    proc = subprocess.Popen([str(FANGYI), "serve", "--db", str(path), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
            break
        except OSError:
            assert time.monotonic() < deadline, "fangyi serve did not answer within 30 s"
            time.sleep(0.2)
    yield {"proc": proc, "port": port, "db": path}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()


def _wait(driver, condition, timeout=30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def test_inspector_in_a_real_browser(server, browser):
    from selenium.webdriver.common.by import By

    base = f"http://127.0.0.1:{server['port']}"
    # log in
    browser.get(base + "/-/login")
    browser.find_element(By.NAME, "username").send_keys("inspector")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form input[type=submit], form button[type=submit]").click()
    _wait(browser, lambda d: "login" not in d.current_url)

    # the home page: the day's missed units, with whom to call
    browser.get(base + "/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#missed tr.fy-missed-row")
    browser.save_screenshot(str(ARTIFACTS / "home.png"))
    assert rows, browser.page_source[:2000]
    assert "已登錄為督查員" in browser.page_source
    assert any("漏報" in r.text for r in rows)

    # a dashboard renders its charts
    browser.get(base + "/-/dashboards/reporting")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".vega-embed canvas, .vega-embed svg")) >= 3, 60)
    browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".vega-embed canvas, .vega-embed svg")) >= 3

    # a canned query with a date typed as people type it
    db = server["db"].stem
    browser.get(f"{base}/{db}/missed_on_day")
    box = browser.find_element(By.CSS_SELECTOR, "input[name=date]")
    assert browser.find_elements(By.CSS_SELECTOR, "input.fy-date-picker[type=date]")
    box.clear()
    box.send_keys("2021/1/22")
    box.submit()
    _wait(browser, lambda d: "date=2021" in d.current_url)
    table_rows = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    browser.save_screenshot(str(ARTIFACTS / "missed_on_day.png"))
    assert table_rows and "2021-01-22" in browser.page_source


def test_sigterm_stops_everything(server, browser):
    proc, port = server["proc"], server["port"]
    assert accepts(port)
    proc.terminate()
    assert proc.wait(15) is not None
    deadline = time.monotonic() + 2
    while accepts(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not accepts(port)
