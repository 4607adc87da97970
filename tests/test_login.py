"""The inspector's login (fangyi.site.login), in process: throttling and lockout before any
hashing, the CSRF token and the Origin, the session cookie's flags, logout ending the session
on the server, Datasette's signed actor cookie refused, and the hash checked in a thread while
other pages are answered. The clock is the login's own, set by each test: nothing waits."""
from __future__ import annotations

import asyncio
import re
import threading

import httpx
import pytest
from datasette_auth_passwords.utils import hash_password

from conftest import site
from fangyi.site import login

PASSWORD = "督查-right-pass"
LOCKOUT_MINUTES = 10


@pytest.fixture
def ds(demo_db, monkeypatch):
    """The demo site with an inspector password (a cheap hash: 1,000 rounds), at most 3 failed
    logins and a 10-minute lockout, on a clock the test moves (clock[0], seconds)."""
    monkeypatch.setenv(login.PASSWORD_ENV, hash_password(PASSWORD, iterations=1000))
    monkeypatch.setenv(login.SETTINGS_ENV["max_failures"], "3")
    monkeypatch.setenv(login.SETTINGS_ENV["lockout_minutes"], str(LOCKOUT_MINUTES))
    monkeypatch.setenv(login.SETTINGS_ENV["session_hours"], "2")
    ds = site(demo_db)
    clock = [1_700_000_000.0]
    login.of(ds).clock = lambda: clock[0]
    ds.test_clock = clock
    return ds


@pytest.fixture
def hashed(monkeypatch) -> list:
    """Every password the login hashed (verify_password's calls, in order)."""
    calls = []
    real = login.verify_password

    def counting(password, stored):
        calls.append(password)
        return real(password, stored)
    monkeypatch.setattr(login, "verify_password", counting)
    return calls


async def form(ds, base="http://localhost") -> tuple[str, dict]:
    """(the login form's csrftoken, the cookies that go with it)."""
    page = await ds.client.request("GET", f"{base}/-/login", avoid_path_rewrites=True)
    assert page.status_code == 200, page.text[-1500:]
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    return token, {"ds_csrftoken": page.cookies["ds_csrftoken"]}


async def attempt(ds, password, token_jar, username="inspector", headers=None, base="http://localhost",
                  client=None):
    token, jar = token_jar
    data = {"username": username, "password": password, "csrftoken": token}
    if client is not None:                   # an httpx client of its own, with the form's cookies
        return await client.post(f"{base}/-/login", data=data, headers=headers or {})
    return await ds.client.request("POST", f"{base}/-/login", data=data, cookies=jar, headers=headers or {},
                                   avoid_path_rewrites=True)


def error(resp) -> str:
    import html

    found = re.findall(r'class="message-error">([^<]*)<', resp.text)
    return html.unescape(found[0]) if found else ""


def set_cookie(resp, name: str) -> str:
    return next(c for c in resp.headers.get_list("set-cookie") if c.startswith(name + "="))


def test_wrong_passwords_wait_longer_then_lock_out_the_right_one_too(ds, hashed):
    clock = ds.test_clock

    async def go():
        tj = await form(ds)
        first = await attempt(ds, "wrong-1", tj)
        assert first.status_code == 401 and "再錯 2 次" in error(first)
        # at once again: refused before hashing, the right password too
        early = await attempt(ds, PASSWORD, tj)
        assert early.status_code == 429 and early.headers["retry-after"] == "1" and "再試" in error(early)
        assert hashed == ["wrong-1"] and "fy_session" not in early.cookies
        clock[0] += 1                                   # the delay after one failure: 1 s
        assert (await attempt(ds, "wrong-2", tj)).status_code == 401
        clock[0] += 1
        assert (await attempt(ds, "wrong-3", tj)).status_code == 429        # the delay now is 2 s
        clock[0] += 1
        third = await attempt(ds, "wrong-3", tj)                             # the third failure: locked
        assert third.status_code == 429 and "已鎖定" in error(third)
        assert third.headers["retry-after"] == str(LOCKOUT_MINUTES * 60)
        assert hashed == ["wrong-1", "wrong-2", "wrong-3"]
        # during the lockout the right password gets the same answer as a wrong one, unhashed
        clock[0] += 5 * 60
        right, wrong = await attempt(ds, PASSWORD, tj), await attempt(ds, "wrong-4", tj)
        assert right.status_code == wrong.status_code == 429
        assert right.text == wrong.text and "正確的密碼也不能登錄" in error(right)
        assert right.headers["retry-after"] == str(LOCKOUT_MINUTES * 60 - 5 * 60)
        assert re.search(r"請於 \d\d:\d\d:\d\d（約 5 分鐘後）再試", error(right)), error(right)
        # another username from the same address is locked out too (the address is)
        other = await attempt(ds, PASSWORD, tj, username="admin")
        assert other.status_code == 429
        assert hashed == ["wrong-1", "wrong-2", "wrong-3"]
        assert (await ds.client.get("/-/actor.json", cookies=right.cookies)).json() == {"actor": None}
        # after the window the right password is accepted, and the count starts again
        clock[0] += 5 * 60
        ok = await attempt(ds, PASSWORD, tj)
        assert ok.status_code == 302 and ok.headers["location"] == "/"
        assert (await ds.client.get("/-/actor.json", cookies={"fy_session": ok.cookies["fy_session"]})).json() \
            == {"actor": {"id": "inspector"}}
        again = await attempt(ds, "wrong-5", tj)
        assert again.status_code == 401 and "再錯 2 次" in error(again)

    asyncio.run(go())


def test_the_account_is_locked_from_every_address(ds, hashed):
    """Failures from one address lock the account out for another address too; an unknown
    username counts against the address, not the inspector's account."""
    clock = ds.test_clock

    async def go():
        await ds.invoke_startup()
        tj = await form(ds)
        far = httpx.AsyncClient(transport=httpx.ASGITransport(app=ds.app(), client=("10.0.0.9", 4321)),
                                cookies=tj[1])
        async with far:
            for n in range(3):
                resp = await attempt(ds, f"wrong-{n}", tj, username="nobody", client=far)
                assert resp.status_code in (401, 429), resp.status_code
                clock[0] += 10
            assert (await attempt(ds, PASSWORD, tj, client=far)).status_code == 429     # that address is locked
            assert (await attempt(ds, PASSWORD, tj)).status_code == 302                 # the account is not
            clock[0] += LOCKOUT_MINUTES * 60                   # the address's lockout is over
            for n in range(3):
                await attempt(ds, f"wrong-{n}", tj, client=far)
                clock[0] += 10
            assert (await attempt(ds, PASSWORD, tj)).status_code == 429                 # now it is, from here too

    asyncio.run(go())


def test_throttle_delays_grow_and_are_forgotten():
    throttle = login.Throttle(max_failures=4, lockout_s=600)
    keys = [("account", "inspector"), ("address", "10.0.0.1")]
    assert throttle.retry_at(keys, 0) is None
    waits = []
    now = 0.0
    for _ in range(4):
        throttle.failed(keys, now)
        waits.append(throttle.retry_at(keys, now) - now)
        now = throttle.retry_at(keys, now)
    assert waits == [1, 2, 4, 600]
    assert throttle.locked(keys) and throttle.retry_at([("address", "10.0.0.1")], now - 1) == now
    assert throttle.retry_at([("address", "10.0.0.2")], now - 1) is None           # another address
    assert throttle.retry_at(keys, now) is None and throttle.records == {}        # forgotten after the window
    throttle.failed(keys, now)
    throttle.succeeded(keys)
    assert throttle.retry_at(keys, now) is None


@pytest.mark.parametrize("case", ["no cookie", "no token", "other token", "other origin", "null origin",
                                  "cross-site fetch"])
def test_a_login_without_this_sites_token_is_refused(ds, hashed, case):
    async def go():
        token, jar = await form(ds)
        other_token, _ = await form(ds)
        headers = {}
        if case == "no cookie":
            jar = {}
        elif case == "no token":
            token = ""
        elif case == "other token":
            token = other_token
        elif case == "other origin":
            headers = {"Origin": "http://evil.example"}
        elif case == "null origin":
            headers = {"Origin": "null"}
        elif case == "cross-site fetch":
            headers = {"Sec-Fetch-Site": "cross-site"}
        resp = await attempt(ds, PASSWORD, (token, jar), headers=headers)
        assert resp.status_code == 403, (case, resp.status_code, resp.text[:300])
        assert "fy_session" not in resp.cookies and hashed == []
        assert "登錄被拒絕" in error(resp)
        # the same form from this site's own page is accepted
        ok = await attempt(ds, PASSWORD, await form(ds), headers={"Origin": "http://localhost",
                                                                   "Sec-Fetch-Site": "same-origin"})
        assert ok.status_code == 302

    asyncio.run(go())


def test_session_cookie_flags_and_a_new_session_at_every_login(ds):
    async def go():
        ok = await attempt(ds, PASSWORD, await form(ds))
        cookie = set_cookie(ok, "fy_session")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict", "path=/", "max-age=7200"} <= flags, cookie
        assert "secure" not in flags
        again = await attempt(ds, PASSWORD, await form(ds))
        assert again.cookies["fy_session"] != ok.cookies["fy_session"]
        # over https (the scheme as uvicorn gives it, behind a trusted proxy too): Secure
        secure = await attempt(ds, PASSWORD, await form(ds, base="https://localhost"), base="https://localhost",
                               headers={"Origin": "https://localhost"})
        assert secure.status_code == 302
        assert "secure" in {p.strip().lower() for p in set_cookie(secure, "fy_session").split(";")}
        assert len(login.of(ds).sessions.live) == 3

    asyncio.run(go())


def test_logout_ends_the_session_on_the_server(ds):
    async def go():
        ok = await attempt(ds, PASSWORD, await form(ds))
        session = {"fy_session": ok.cookies["fy_session"]}
        home = await ds.client.get("/", cookies=session)
        assert "已登錄為督查員" in home.text
        assert (await ds.client.get(f"/{ds.plugin_config('fangyi')['full_database']}", cookies=session)).status_code == 200
        # the logout page's form, with its token; without the token the session lives on
        page = await ds.client.get("/-/logout", cookies=session)
        assert page.status_code == 200 and 'method="post"' in page.text
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
        jar = {"ds_csrftoken": page.cookies["ds_csrftoken"], **session}
        refused = await ds.client.post("/-/logout", data={}, cookies=jar)
        assert refused.status_code == 403
        assert (await ds.client.get("/-/actor.json", cookies=session)).json()["actor"] == {"id": "inspector"}
        out = await ds.client.post("/-/logout", data={"csrftoken": token}, cookies=jar)
        assert out.status_code == 302
        cleared = set_cookie(out, "fy_session").lower()
        assert "max-age=0" in cleared and "httponly" in cleared
        # the old cookie, replayed, is nobody's
        assert (await ds.client.get("/-/actor.json", cookies=session)).json() == {"actor": None}
        full = ds.plugin_config("fangyi")["full_database"]
        assert (await ds.client.get(f"/{full}", cookies=session)).status_code == 403
        assert "已登錄為督查員" not in (await ds.client.get("/", cookies=session)).text
        assert login.of(ds).sessions.live == {}

    asyncio.run(go())


def test_a_session_ends_after_its_hours(ds):
    async def go():
        ok = await attempt(ds, PASSWORD, await form(ds))
        session = {"fy_session": ok.cookies["fy_session"]}
        ds.test_clock[0] += 2 * 3600 - 1
        assert (await ds.client.get("/-/actor.json", cookies=session)).json()["actor"] == {"id": "inspector"}
        ds.test_clock[0] += 1
        assert (await ds.client.get("/-/actor.json", cookies=session)).json() == {"actor": None}

    asyncio.run(go())


def test_only_a_live_session_is_someone(ds):
    """Datasette's own signed actor cookie (what datasette-auth-passwords set, valid forever) and
    HTTP Basic credentials (its other login) make nobody the inspector."""
    import base64

    full = ds.plugin_config("fangyi")["full_database"]

    async def go():
        signed = {"ds_actor": ds.sign({"a": {"id": "inspector"}}, "actor")}
        basic = {"Authorization": "Basic " + base64.b64encode(f"inspector:{PASSWORD}".encode()).decode()}
        for kwargs in ({"cookies": signed}, {"headers": basic}, {"cookies": {"fy_session": "made-up"}}):
            assert (await ds.client.get("/-/actor.json", **kwargs)).json() == {"actor": None}
            assert (await ds.client.get(f"/{full}", **kwargs)).status_code == 403
        assert (await ds.client.get("/-/password-tool")).status_code in (403, 404)

    asyncio.run(go())


def test_hashing_does_not_hold_up_other_pages(ds, monkeypatch):
    """While a login's hash is being checked (here: until the test lets it finish), another
    page is answered, and a second login meanwhile is refused without hashing."""
    started, release = threading.Event(), threading.Event()
    real = login.verify_password
    hashed = []

    def slow(password, stored):
        hashed.append(password)
        started.set()
        release.wait(10)           # a hash on the event loop would hold every request this long
        return real(password, stored)
    monkeypatch.setattr(login, "verify_password", slow)
    finished = []
    public = ds.plugin_config("fangyi")["open_database"]

    async def log_in(tj):
        resp = await attempt(ds, PASSWORD, tj)
        finished.append(("login", resp.status_code))

    async def meanwhile(tj):
        await asyncio.to_thread(started.wait, 10)
        page = await ds.client.get(f"/{public}/check_labels.json")
        finished.append(("page", page.status_code))
        second = await attempt(ds, PASSWORD, tj)
        finished.append(("second login", second.status_code))
        release.set()

    async def go():
        await ds.invoke_startup()
        tj = await form(ds)
        await asyncio.gather(log_in(tj), meanwhile(tj))

    asyncio.run(go())
    assert finished == [("page", 200), ("second login", 429), ("login", 302)]
    assert hashed == [PASSWORD]


def test_pages_in_chinese(ds):
    async def go():
        full = ds.plugin_config("fangyi")["full_database"]
        public = ds.plugin_config("fangyi")["open_database"]
        page = await ds.client.get("/-/login")
        assert "督查員登錄" in page.text and 'type="password"' in page.text and "鎖定 10 分鐘" in page.text
        denied = await ds.client.get(f"/{full}/duty_shifts?_size=1")
        assert denied.status_code == 403
        assert "沒有權限 / Forbidden" in denied.text
        assert f'href="/-/login?next=%2F{full}%2Fduty_shifts%3F_size%3D1"' in denied.text
        assert f'href="/{public}"' in denied.text
        # after logging in from that link, back to the page asked for
        token, jar = await form(ds)
        resp = await ds.client.post("/-/login", data={"username": "inspector", "password": PASSWORD,
                                                      "csrftoken": token, "next": f"/{full}/duty_shifts?_size=1"},
                                    cookies=jar)
        assert resp.headers["location"] == f"/{full}/duty_shifts?_size=1"
        away = await ds.client.post("/-/login", data={"username": "inspector", "password": PASSWORD,
                                                      "csrftoken": token, "next": "//evil.example/"}, cookies=jar)
        assert away.headers["location"] == "/"

    asyncio.run(go())


def test_login_settings(tmp_path):
    from fangyi import settings

    path = tmp_path / "s.toml"
    path.write_text("[site]\nlogin_max_failures = 3\nlogin_lockout_minutes = 30\nsession_hours = 12\n",
                    encoding="utf-8")
    s = settings.load(path)
    assert (s.login_max_failures, s.login_lockout_minutes, s.session_hours) == (3, 30, 12)
    assert login.environ(s) == {"FANGYI_LOGIN_MAX_FAILURES": "3", "FANGYI_LOGIN_LOCKOUT_MINUTES": "30",
                                "FANGYI_SESSION_HOURS": "12"}
    path.write_text("[site]\nsession_hours = 0\n", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="session_hours"):
        settings.load(path)


def test_the_hash_is_shown_nowhere(ds):
    """The configuration names the environment variable; its value, the hash, is on no page."""
    import os

    stored = os.environ[login.PASSWORD_ENV]

    async def go():
        pages = [await ds.client.get(url) for url in ("/-/metadata.json", "/-/metadata", "/-/login", "/")]
        assert all(p.status_code == 200 for p in pages)
        assert not [p.url for p in pages if stored in p.text or stored.split("$")[-1] in p.text]
        assert login.PASSWORD_ENV in pages[0].text

    asyncio.run(go())
