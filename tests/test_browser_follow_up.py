"""Following a finding up in a real headless Chromium against `fangyi serve`: log in, open a
missed report from the findings table, mark it 已整改 with its date and a note; then a later file
is ingested and `fangyi check` runs again while the site is up, the site switches to the new
run, and the same finding (a new row of the new run) carries the mark. At a phone's width the
follow-up form fits the screen. Screenshots in test-artifacts/."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FANGYI, fangyi_serve

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "督查-follow-up-pass"
FENGLIN = "440199003003"         # 楓林社區: missed its report of 2021-01-14

pytestmark = pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("chromedriver")),
                                reason="chromium and chromedriver are installed by `make test`")


@pytest.fixture
def server(checked_db, tmp_path):
    from datasette_auth_passwords.utils import hash_password

    path = tmp_path / "workbench.db"
    shutil.copy(checked_db, path)
    env = dict(os.environ, FANGYI_INSPECTOR_PASSWORD_HASH=hash_password(PASSWORD, iterations=1000))
    with fangyi_serve(path, env) as (_, port, _index):
        yield {"port": port, "db": path}


def _wait(driver, condition, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def _open_follow_up(browser, base: str, db: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/{db}/findings?check_id=missing_report&unit_code={FENGLIN}")
    links = browser.find_elements(By.CSS_SELECTOR, "a.fy-follow-up-link")
    assert len(links) == 1, browser.page_source[:3000]
    links[0].click()
    _wait(browser, lambda d: "/-/follow-up" in d.current_url)


def test_a_mark_made_in_the_browser_is_on_the_same_finding_after_a_new_check_run(server, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    browser = chromium
    browser.set_window_size(1280, 900)
    base, db = f"http://127.0.0.1:{server['port']}", server["db"].stem
    browser.get(base + "/-/login")
    browser.find_element(By.NAME, "username").send_keys("inspector")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.fy-login input[type=submit]").click()
    _wait(browser, lambda d: "login" not in d.current_url)

    browser.get(base + "/")
    run = int(re.search(r"第 (\d+) 次檢查", browser.page_source).group(1))
    _open_follow_up(browser, base, db)
    first_url = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "input[name=mark][value=put_right]").click()
    browser.execute_script("document.getElementById('fy_put_right_on').value = '2021-01-16'")
    browser.find_element(By.ID, "fy_note").send_keys("已約談社區書記，補齊值班安排")
    browser.find_element(By.CSS_SELECTOR, "form.fy-mark input[type=submit]").click()
    _wait(browser, lambda d: "已約談社區書記" in d.page_source)
    assert "已整改 / put right" in browser.find_element(By.CSS_SELECTOR, ".fy-state").text
    browser.save_screenshot(str(ARTIFACTS / "follow_up.png"))

    browser.set_window_size(390, 844)                     # a phone: the form fits, nothing scrolls sideways
    browser.get(first_url)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    submit = browser.find_element(By.CSS_SELECTOR, "form.fy-mark input[type=submit]")
    assert submit.is_displayed() and submit.rect["x"] + submit.rect["width"] <= 391
    browser.save_screenshot(str(ARTIFACTS / "follow_up_phone.png"))
    browser.set_window_size(1280, 900)

    # a later file: another community's late report; then a new check run while the site is up
    late = tmp_path / "湖濱社區補報.csv"
    late.write_text("單位編碼,單位名稱,統計日期,新增確診,新增疑似,是否零報告,報送時間,填報人,帶班領導\n"
                    "440199003001,湖濱社區,2021-01-12,0,0,是,2021-01-13 15:00,王芳,李明\n", encoding="utf-8-sig")
    for args in (["ingest", "--db", str(server["db"]), str(late)],
                 ["check", "--db", str(server["db"]), "--no-gx", "--fail-on", "never"]):
        done = subprocess.run([str(FANGYI), *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    assert "1 followed up" in done.stdout                 # `fangyi check` counts the mark

    def switched(driver):
        driver.get(base + "/")
        return f"第 {run + 1} 次檢查" in driver.page_source
    _wait(browser, switched, 120)
    _open_follow_up(browser, base, db)
    assert browser.current_url != first_url               # the finding's row of the new run
    assert "已約談社區書記，補齊值班安排" in browser.page_source
    assert "已整改 / put right" in browser.find_element(By.CSS_SELECTOR, ".fy-state").text
    browser.save_screenshot(str(ARTIFACTS / "follow_up_next_run.png"))
