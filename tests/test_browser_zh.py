"""The inspector's site in Chinese, in a real headless Chromium (tests/test_browser.py's server
and browser): as the logged-in inspector and as an anonymous visitor, every page (both
databases' pages, every table and view, a row, every canned query with the demo's parameters,
login, forbidden, the dashboards) shows no English column header, label or button; on a phone
(390 px) a result table keeps its labels and a date stays on one line; screenshots of every page
at 1366 and 390 px wide in test-artifacts/zh/ (ignored by git).

What "no English" means here, precisely: every visible <th>, <button>, <label>, <legend>,
<summary>, submit button, heading (h1-h3), link of the crumbs and text of the footer, with its
text trimmed and non-empty, holds a CJK character. The bilingual form "套用 / Apply" passes; a
stored name shown beside its label (街鎮編碼 town_code) too. Exceptions: EXCEPTIONS below, and
what a page shows of the data itself (a unit's name as a heading is the data, not a label)."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from urllib.parse import quote, urlencode

import pytest

from test_browser import ARTIFACTS, PASSWORD, _wait, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not __import__("shutil").which("chromedriver"), reason="needs chromedriver")

SHOTS = ARTIFACTS / "zh"
CJK = re.compile(r"[\u3400-\u9fff]")
# Texts a checked element may show without Chinese: not a word of the interface.
EXCEPTIONS = {
    "…", "……", "-", "▼", "▲", "✖",
    "JSON", "CSV", "SQL",
}

VISIBLE_TEXTS = """
const seen = [];
const visible = el => {
  if (!el.getClientRects().length) return false;
  const s = getComputedStyle(el);
  if (s.visibility === 'hidden' || s.display === 'none') return false;
  const r = el.getBoundingClientRect();
  return r.right > 0 && r.bottom > 0 && r.left > -1000 && r.top > -1000;
};
const add = (kind, el, text) => { text = (text || '').trim(); if (text && visible(el)) seen.push([kind, text]); };
document.querySelectorAll('th, button, label, legend, summary, h1, h2, h3, .crumbs a, footer')
  .forEach(el => add(el.tagName.toLowerCase(), el, el.innerText));
document.querySelectorAll('input[type=submit], input[type=button]').forEach(el => add('submit', el, el.value));
return seen;
"""

CARDS = """
const table = document.querySelector('table.rows-and-columns');
if (!table) return null;
const row = table.querySelector('tbody tr');
if (!row) return null;
const tds = [...row.querySelectorAll('td')].filter(td => getComputedStyle(td).display !== 'none');
const head = table.querySelector('thead tr');
return {
  head_left: head ? head.getBoundingClientRect().left : null,
  labels: tds.map(td => getComputedStyle(td, '::before').content),
  visible: tds.length,
  table_width: table.getBoundingClientRect().width,
  viewport: document.documentElement.clientWidth,
};
"""

# How many lines the text of a cell takes: one rect per line of its text.
LINES = """
const td = arguments[0];
const range = document.createRange();
range.selectNodeContents(td);
const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
return tops.size;
"""


def _english(texts) -> list:
    return [(kind, text) for kind, text in texts if not CJK.search(text) and text not in EXCEPTIONS]


def _demo_params(path) -> dict:
    """Parameters an inspector would type, taken from the demo: a day with missed reports and
    one of its units, that day's ISO week and month, a trace code with many movements, a
    returnee."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        day, unit = conn.execute("SELECT report_date, unit_code FROM expected_report_status WHERE reported = 0 "
                                 "ORDER BY report_date, unit_code LIMIT 1").fetchone()
        week = conn.execute("SELECT iso_week FROM calendar_days WHERE day = ?", (day,)).fetchone()[0]
        trace = conn.execute("SELECT trace_code FROM coldchain_trace GROUP BY trace_code "
                             "ORDER BY count(*) DESC, trace_code LIMIT 1").fetchone()[0]
        returnee = conn.execute("SELECT min(returnee_id) FROM returnees_current").fetchone()[0]
    finally:
        conn.close()
    end = (dt.date.fromisoformat(day) + dt.timedelta(days=7)).isoformat()
    return {"date": day, "unit_code": unit, "iso_week": week, "month": day[:7], "trace_code": trace,
            "start_date": day, "end_date": end, "returnee_id": str(returnee)}


def _pages(db_path, base_db: str, open_db: str, base: str) -> dict[str, list[str]]:
    """{who: [path, ...]}: every page of the site each visitor can reach."""
    import json
    import urllib.request

    from fangyi.site.serve import site_metadata

    metadata = site_metadata(db_path, open_db)
    params = _demo_params(db_path)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY type, name")]
    conn.close()
    common = ["/", "/-/login", "/-/dashboards", "/-/dashboards/reporting", "/-/dashboards/reporting/rate-by-town"]
    pages = {"inspector": list(common), "anonymous": list(common)}
    for who, db in (("inspector", base_db), ("anonymous", open_db), ("inspector", open_db)):
        pages[who].append(f"/{db}")
        for name, query in (metadata["databases"][db].get("queries") or {}).items():
            args = {p: params.get(p, "") for p in query.get("params") or []}
            pages[who].append(f"/{db}/{name}" + ("?" + urlencode(args) if args else ""))
    for name in names:
        pages["inspector"].append(f"/{base_db}/{quote(name)}")
    with urllib.request.urlopen(f"{base}/{open_db}.json") as resp:          # what anyone may open
        listing = json.load(resp)
    open_names = [t["name"] for t in listing["tables"] + listing.get("views", []) if not t.get("hidden")]
    assert len(open_names) > 20, open_names
    pages["anonymous"] += [f"/{open_db}/{quote(name)}" for name in open_names]
    pages["inspector"].append(f"/{base_db}/units/1")
    sql = "SELECT unit_code, name, level, opened_on FROM units_current WHERE level = :level"
    pages["inspector"] += [f"/{db}?" + urlencode({"sql": sql, "level": "community"}) for db in (base_db, open_db)]
    pages["anonymous"] += [f"/{base_db}", f"/{base_db}/units"]          # the forbidden page
    return pages


def _shot(driver, who: str, path: str, width: int) -> None:
    name = re.sub(r"[^\w.-]+", "_", path.strip("/") or "home")[:120]
    driver.save_screenshot(str(SHOTS / f"{width}-{who}-{name}.png"))


def _load(driver, url: str) -> None:
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    if "/-/dashboards/" in url:
        _wait(driver, lambda d: d.find_elements("css selector", ".vega-embed canvas, .vega-embed svg"), 60)


def _login(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/-/login")
    driver.find_element(By.NAME, "username").send_keys("inspector")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.fy-login input[type=submit]").click()
    _wait(driver, lambda d: "login" not in d.current_url)


def test_every_page_is_chinese_on_a_desk_and_on_a_phone(server, browser):  # noqa: F811
    from fangyi.site.serve import open_name

    SHOTS.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{server['port']}"
    db = server["db"].stem
    pages = _pages(server["db"], db, open_name(server["db"]), base)
    english, statuses = [], {}
    for who in ("anonymous", "inspector"):
        browser.delete_all_cookies()
        if who == "inspector":
            _login(browser, base)
        for width in (1366, 390):
            browser.set_window_size(width, 900)
            for path in pages[who]:
                _load(browser, base + path)
                texts = browser.execute_script(VISIBLE_TEXTS)
                english += [(who, width, path, kind, text) for kind, text in _english(texts)]
                cards = browser.execute_script(CARDS) if width == 390 else None
                if cards:                                          # a phone: each value's label
                    english += [(who, width, path, "card", c) for c in cards["labels"] if not CJK.search(c)]
                source = browser.page_source
                assert "🔒" not in source, path                           # no glyph the page's fonts lack
                assert "Traceback" not in source, path
                statuses[(who, path)] = browser.title
                if path == "/-/dashboards/reporting":             # vega's dates in Chinese
                    assert browser.execute_script("return vega.defaultLocale().timeFormat('%a %B')(new Date(2021, 1, 1))") == "週一 二月"
                _shot(browser, who, path, width)
    assert english == [], "\n".join(map(str, english[:60]))
    # the anonymous visitor's way into the full database is the Chinese forbidden page
    assert "沒有權限" in statuses[("anonymous", f"/{db}")]


def test_a_result_table_on_a_phone(server, browser):  # noqa: F811
    """390 px: result tables are cards, each value under its Chinese label; a date stays on one
    line; the batch trace shows its key columns and the rest behind 更多列; the home page's
    tables scroll sideways with their first column in view; the page asks for CJK fonts."""
    from selenium.webdriver.common.by import By

    base = f"http://127.0.0.1:{server['port']}"
    db = server["db"].stem
    params = _demo_params(server["db"])
    browser.delete_all_cookies()
    _login(browser, base)
    # the column menu under a header's cog (Datasette's table.js): in Chinese
    browser.set_window_size(1366, 900)
    _load(browser, base + f"/{db}/duty_shifts")
    browser.find_elements(By.CSS_SELECTOR, "th.col-shift svg.dropdown-menu-icon")[0].click()
    menu = browser.execute_script(
        "return [...document.querySelectorAll('.dropdown-menu a, .dropdown-menu p')]"
        ".filter(e => e.getClientRects().length && getComputedStyle(e).display !== 'none').map(e => e.innerText.trim())"
        ".filter(t => t)")
    assert len(menu) >= 3 and not [t for t in menu if not CJK.search(t)], menu
    browser.set_window_size(390, 900)
    try:
        for path in (f"/{db}/missed_on_day?date={params['date']}", f"/{db}/duty_shifts", f"/{db}/daily_reports"):
            _load(browser, base + path)
            cards = browser.execute_script(CARDS)
            assert cards, path
            assert cards["head_left"] < -1000, (path, cards)            # the header row is off screen ...
            labels = [c.strip('"') for c in cards["labels"]]
            assert labels and all(CJK.search(c) for c in labels), (path, labels)   # ... each value has its label
            assert cards["table_width"] <= cards["viewport"], (path, cards)        # no sideways scrolling
            dates = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr:first-child td")
            date_cells = [td for td in dates if re.fullmatch(r"\d{4}-\d\d-\d\d.*", td.text.strip())]
            assert date_cells, path
            assert all(browser.execute_script(LINES, td) == 1 for td in date_cells), path
            _shot(browser, "phone", path, 390)

        _load(browser, base + f"/{db}/batch_trace?trace_code={params['trace_code']}")
        first = browser.execute_script(CARDS)
        assert first["visible"] == 11, first                            # metadata.yml's key_columns
        browser.find_element(By.CSS_SELECTOR, "details.fy-more summary").click()
        assert browser.execute_script(CARDS)["visible"] == 32
        _shot(browser, "phone", "batch_trace_all_columns", 390)

        _load(browser, base + "/")
        table = browser.find_element(By.CSS_SELECTOR, "#missed table.fy")
        browser.execute_script("arguments[0].scrollLeft = 400", table)
        scrolled = browser.execute_script("return arguments[0].scrollLeft", table)
        cell = browser.find_element(By.CSS_SELECTOR, "#missed table.fy tbody tr td:first-child")
        left = browser.execute_script("return [arguments[0].getBoundingClientRect().left, "
                                      "arguments[1].getBoundingClientRect().left]", cell, table)
        assert scrolled > 0 and abs(left[0] - left[1]) < 2, (scrolled, left)   # the first column stays
        font = browser.execute_script("return getComputedStyle(document.body).fontFamily")
        assert "Noto Sans CJK TC" in font and "Noto Color Emoji" in font, font
    finally:
        browser.set_window_size(1400, 1000)
