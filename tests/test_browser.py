"""`fangyi serve` in a real headless Chromium (Debian chromium + chromium-driver, installed by
`make test`), driven by Selenium: log in, the home page, a dashboard, a canned query with a date
typed as 2021/1/22, the Great Expectations Data Docs with their styles and scripts and no failed
load; screenshots in test-artifacts/. Then SIGTERM leaves nothing listening."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import accepts, fangyi_serve

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
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
    env = dict(os.environ, FANGYI_INSPECTOR_PASSWORD_HASH=_hash(PASSWORD))
    with fangyi_serve(path, env) as (proc, port, _index):
        yield {"proc": proc, "port": port, "db": path}


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
    # the session cookie: out of the page's scripts' reach, never sent from another site
    cookie = browser.get_cookie("fy_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"], cookie
    assert "fy_session" not in browser.execute_script("return document.cookie")

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


@pytest.fixture(scope="module")
def docs_server(docs_db):
    """`fangyi serve` on the demo checked with Great Expectations, whose Data Docs lie in
    gx/data_docs beside it (the working directory of the server)."""
    with fangyi_serve(docs_db, cwd=docs_db.parent) as (_, port, _index):
        yield port


def test_dashboard_draws_for_an_anonymous_visitor(docs_server, browser):
    """The dashboard's charts fetch their own SQL from the open copy, which anonymous visitors
    may run (and no other SQL): they draw."""
    from selenium.webdriver.common.by import By

    base = f"http://127.0.0.1:{docs_server}"
    browser.get(base + "/-/actor.json")
    browser.delete_all_cookies()
    browser.get(base + "/-/actor.json")
    assert '"actor": null' in browser.page_source
    browser.get(base + "/-/dashboards/reporting")
    charts = ".vega-embed canvas, .vega-embed svg"
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, charts)) >= 3, 60)
    browser.save_screenshot(str(ARTIFACTS / "dashboard_anonymous.png"))
    assert len(browser.find_elements(By.CSS_SELECTOR, charts)) >= 3


PAGE_STATE = """
const sheets = [...document.querySelectorAll('link[rel=stylesheet]')];
const btn = document.querySelector('.btn-primary');
const icon = document.querySelector('.fas');
return {
  sheets: sheets.map(l => [l.getAttribute('href'), !!l.sheet && l.sheet.cssRules.length]),
  scripts: [...document.querySelectorAll('script[src]')].map(s => s.getAttribute('src')),
  images: [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]),
  resources: performance.getEntriesByType('resource').map(e => e.name),
  fonts: [...document.fonts].map(f => [f.family, f.status]),
  primary: btn && getComputedStyle(btn).backgroundColor,
  navbar: getComputedStyle(document.querySelector('.navbar')).display,
  hidden_tab: [...document.querySelectorAll('.tab-pane')].filter(t => !t.classList.contains('active'))
                  .map(t => getComputedStyle(t).display),
  icon_font: icon && getComputedStyle(icon, '::before').fontFamily,
  libraries: {jquery: typeof window.jQuery, table: typeof (window.jQuery && jQuery.fn.bootstrapTable),
              tooltip: typeof (window.jQuery && jQuery.fn.tooltip), popper: typeof window.Popper,
              datepicker: typeof (window.jQuery && jQuery.fn.datepicker), vegaEmbed: typeof window.vegaEmbed},
};
"""


def _page_state(driver, url):
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    _wait(driver, lambda d: d.execute_script("return document.fonts.status") == "loaded")
    return driver.execute_script(PAGE_STATE), driver.get_log("browser")


def test_data_docs_render_offline_with_their_styles(docs_server, browser):
    """The Data Docs pages the site links to: every stylesheet, script, image and font is served
    from the site itself (the browser resolves no other host), Bootstrap's styles apply, and the
    browser logs no failed load."""
    from selenium.webdriver.common.by import By

    base = f"http://127.0.0.1:{docs_server}"
    browser.get(base + "/")
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Data Docs")
    assert link.get_attribute("href") == base + "/data-docs/index.html"
    browser.get_log("browser")                                   # only the Data Docs' own entries below
    state, log = _page_state(browser, base + "/data-docs/index.html")
    browser.save_screenshot(str(ARTIFACTS / "data_docs_index.png"))
    # a validation result: the reporting suite's page, which the index table's rows open
    validation = base + "/data-docs/" + re.search(r"validations/reporting/[^'\"]+?\.html", browser.page_source).group(0)
    page, page_log = _page_state(browser, validation)
    browser.save_screenshot(str(ARTIFACTS / "data_docs_validation.png"))
    for url, (s, entries) in {"index": (state, log), validation: (page, page_log)}.items():
        assert [e for e in entries if e["level"] == "SEVERE"] == [], (url, entries)
        assert len(s["sheets"]) >= 6 and all(n for _, n in s["sheets"]), (url, s["sheets"])
        assert {h.split("/")[-1] for h, _ in s["sheets"]} >= {"bootstrap.min.css", "all.min.css",
                                                            "bootstrap-table.min.css"}, s["sheets"]
        assert len(s["scripts"]) >= 9 and not [x for x in s["scripts"] if "://" in x], s["scripts"]
        assert s["images"] and all(ok for _, ok in s["images"]), s["images"]
        assert s["resources"] and all(r.startswith(base + "/data-docs/") for r in s["resources"]), s["resources"]
        assert not [f for f in s["fonts"] if f[1] == "error"], s["fonts"]
        # Bootstrap's own rules: its primary blue, a flex navbar, inactive tabs hidden; Font Awesome's font
        assert s["navbar"] == "flex", s
        assert s["icon_font"] and "Font Awesome" in s["icon_font"], s
        assert set(s["libraries"].values()) == {"function"}, s["libraries"]
    assert state["primary"] == "rgb(0, 123, 255)" and state["hidden_tab"] == ["none"], state
    assert any(f[0].strip('"').startswith("Font Awesome") and f[1] == "loaded" for f in state["fonts"]), state["fonts"]
    assert "missing_report" in browser.page_source


def test_sigterm_stops_everything(server, browser):
    """SIGTERM stops the server as a terminated process should: up to then the browser is shown the
    site; then the process shuts down, removes what it made in temporary folders and ends with
    status 143 (128 + SIGTERM), writes no traceback, leaves no process of its session behind and nothing listening,
    and the browser can no longer load the page."""
    import yaml
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    from fangyi.site.serve import METADATA

    proc, port = server["proc"], server["port"]
    base = f"http://127.0.0.1:{port}"
    browser.get(base + "/")
    title = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["title"]
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    assert accepts(port)

    proc.terminate()
    try:
        code = proc.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("fangyi serve still runs 15 s after SIGTERM")
    output = proc.stdout.read().decode(errors="replace")
    assert code == 128 + signal.SIGTERM, (code, output)
    assert "Traceback" not in output, output
    with pytest.raises(ProcessLookupError):          # no process of the server's session is left
        os.killpg(proc.pid, 0)
    assert not accepts(port)
    try:
        browser.get(base + "/")
        shown = browser.page_source
    except WebDriverException as exc:                # chromedriver reports the failed navigation
        shown = str(exc)
    assert "ERR_CONNECTION_REFUSED" in shown and title not in shown, shown[:500]
