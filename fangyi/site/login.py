"""The inspector's login: fangyi's own /-/login and /-/logout pages, its sessions and its
throttling (the hooks are fangyi.site.plugin's: register_routes, actor_from_request, skip_csrf,
forbidden, menu_links).

- The password: the same PBKDF2 hash as before (datasette-auth-passwords' hash_password and
  verify_password, `[site] inspector_password_hash` or $FANGYI_INSPECTOR_PASSWORD_HASH, which
  `fangyi serve` passes to the site as the plugin configuration `plugins: fangyi:`). That
  plugin's own login page, password tool and HTTP Basic login are switched off
  (fangyi.site.plugin blocks it): none of them was throttled, and each hashed on the event loop.
- Throttling before hashing: every failed attempt is counted for the account and for the
  client's address; after n failures the next attempt of either waits 1, 2, 4 ... seconds, and
  after max_failures it waits the lockout window (the count is forgotten a lockout window after
  the last failure, and on success). An attempt that comes too early, or while another attempt
  of the same account or address is being checked, is refused without hashing, whatever the
  password: the right one too, with the same answer (429, when to try again) and in the same
  time. Usernames other than the inspector's share one account of their own, so guessing costs
  at most one hash at a time per account and per address.
- Hashing in a thread (asyncio.to_thread; hashlib releases the GIL): other pages are answered
  while a login is checked.
- CSRF: the form carries Datasette's csrftoken(); a POST is refused (403) unless its token
  equals the `ds_csrftoken` cookie and that cookie is one Datasette signed, and unless its
  Origin (when sent) is this site. Datasette's own check (asgi-csrf) lets a POST without any
  cookie through, which is how datasette-auth-passwords' form accepted a bare POST; these two
  pages are therefore checked here (skip_csrf) with a Chinese answer.
- Sessions: a login opens a session, a random id (secrets.token_urlsafe) kept in this process
  with its expiry (session_hours); the cookie `fy_session` carries the id only, HttpOnly,
  SameSite=Strict, Max-Age the session's length, Secure when the request came over https. The
  actor (`{"id": "inspector"}`) is the live session's; logging out ends the session here, so
  the old cookie, replayed, is nobody's. A restart of `fangyi serve` ends every session.
  Datasette's own signed `ds_actor` cookie is never accepted (fangyi.site.surface removes it).
"""
from __future__ import annotations

import asyncio
import json
import os
import datetime as dt
import secrets
import time
import weakref
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from datasette_auth_passwords.utils import verify_password

from fangyi.site.actors import INSPECTOR_ID, site_names

SESSION_COOKIE = "fy_session"
LOGIN_PATH = "/-/login"
LOGOUT_PATH = "/-/logout"
PASSWORD_ENV = "FANGYI_INSPECTOR_PASSWORD_HASH"
# The towns' inspectors: JSON {name: {"password_hash": ..., "town": town code}} ([site.accounts.NAME])
ACCOUNTS_ENV = "FANGYI_ACCOUNTS"
# The login settings: their names in fangyi.settings ([site]), and the environment variables
# by which `fangyi serve` passes them to the site.
SETTINGS = {"max_failures": "login_max_failures", "lockout_minutes": "login_lockout_minutes",
            "session_hours": "session_hours"}
SETTINGS_ENV = {"max_failures": "FANGYI_LOGIN_MAX_FAILURES", "lockout_minutes": "FANGYI_LOGIN_LOCKOUT_MINUTES",
                "session_hours": "FANGYI_SESSION_HOURS"}
DEFAULTS = {"max_failures": 5, "lockout_minutes": 15, "session_hours": 8}
FIRST_DELAY_S = 1.0         # after the first failure; doubled after each further one
OTHER_ACCOUNT = "\0other"    # the one throttling account of every username that is not an account
INSPECTOR = {"id": INSPECTOR_ID}


def environ(settings) -> dict[str, str]:
    """The login settings ([site] of fangyi.settings) as the environment `fangyi serve` hands the
    site (fangyi.cli; the password hash travels the same way, as $FANGYI_INSPECTOR_PASSWORD_HASH)."""
    out = {env: str(getattr(settings, SETTINGS[name])) for name, env in SETTINGS_ENV.items()}
    if getattr(settings, "accounts", None) and not os.environ.get(ACCOUNTS_ENV):   # [site.accounts.NAME]; the variable wins
        out[ACCOUNTS_ENV] = json.dumps(settings.accounts, ensure_ascii=False)
    return out


def plugin_config() -> dict:
    """What site_metadata puts into `plugins: fangyi:` for the login (read from the environment
    when the site asks)."""
    return {"inspector_password_hash": {"$env": PASSWORD_ENV}, "accounts": {"$env": ACCOUNTS_ENV},
            "login": {name: {"$env": env} for name, env in SETTINGS_ENV.items()}}


@dataclass
class Throttle:
    """Failed attempts per key (("account", name) or ("address", ip)): (count, last failure)."""
    max_failures: int = DEFAULTS["max_failures"]
    lockout_s: float = DEFAULTS["lockout_minutes"] * 60
    first_delay_s: float = FIRST_DELAY_S
    records: dict = field(default_factory=dict)
    busy: set = field(default_factory=set)

    def delay(self, failures: int) -> float:
        """How long after the last of `failures` failures the next attempt waits."""
        if failures <= 0:
            return 0.0
        if failures >= self.max_failures:
            return self.lockout_s
        return min(self.first_delay_s * 2 ** (failures - 1), self.lockout_s)

    def retry_at(self, keys, now: float) -> float | None:
        """When every key may try again; None: now."""
        latest = None
        for key in keys:
            record = self.records.get(key)
            if record is None:
                continue
            failures, last = record
            if now - last >= self.lockout_s:                 # forgotten
                del self.records[key]
                continue
            at = last + self.delay(failures)
            if at > now and (latest is None or at > latest):
                latest = at
        return latest

    def locked(self, keys) -> bool:
        return any(self.records.get(k, (0, 0))[0] >= self.max_failures for k in keys)

    def failed(self, keys, now: float) -> None:
        for key in keys:
            failures = self.records.get(key, (0, now))[0]
            self.records[key] = (failures + 1, now)
        if len(self.records) > 10_000:                      # addresses of long ago
            for key in [k for k, (_, last) in self.records.items() if now - last >= self.lockout_s]:
                del self.records[key]

    def succeeded(self, keys) -> None:
        for key in keys:
            self.records.pop(key, None)


@dataclass
class Sessions:
    """Live sessions of this process: id -> (actor, expires at)."""
    live: dict = field(default_factory=dict)

    def open(self, actor: dict, now: float, seconds: float) -> str:
        for sid in [s for s, (_, until) in self.live.items() if until <= now]:
            del self.live[sid]
        sid = secrets.token_urlsafe(32)
        self.live[sid] = (dict(actor), now + seconds)
        return sid

    def actor(self, sid: str | None, now: float) -> dict | None:
        entry = self.live.get(sid) if sid else None
        if entry is None:
            return None
        actor, until = entry
        if until <= now:
            del self.live[sid]
            return None
        return dict(actor)

    def close(self, sid: str | None) -> None:
        if sid:
            self.live.pop(sid, None)


class Login:
    """The login state of one site: its throttle, its sessions, its clock (tests set their own)."""

    def __init__(self, datasette, clock=time.time):
        self.datasette = datasette
        self.clock = clock
        config = self.config()
        self.throttle = Throttle(max_failures=max(1, config["max_failures"]),
                                 lockout_s=config["lockout_minutes"] * 60)
        self.session_s = config["session_hours"] * 3600
        self.sessions = Sessions()

    def config(self) -> dict:
        """The login settings of the plugin configuration, else DEFAULTS."""
        given = (self.datasette.plugin_config("fangyi") or {}).get("login") or {}
        out = {}
        for name, default in DEFAULTS.items():
            value = given.get(name)
            out[name] = float(value) if value not in (None, "") else default
        out["max_failures"] = int(out["max_failures"])
        return out

    def accounts(self) -> dict[str, dict]:
        """name -> {"password_hash", "actor"}: the district's inspector, and each town's
        inspectors ([site.accounts.NAME] password_hash and town), whose actor names the town."""
        config = self.datasette.plugin_config("fangyi") or {}
        out = {INSPECTOR_ID: {"password_hash": config.get(f"{INSPECTOR_ID}_password_hash") or None,
                              "actor": dict(INSPECTOR)}}
        try:
            towns = json.loads(config.get("accounts") or "{}")
        except ValueError:
            towns = {}
        for name, account in (towns if isinstance(towns, dict) else {}).items():
            if name != INSPECTOR_ID and isinstance(account, dict) and account.get("town"):
                out[str(name)] = {"password_hash": account.get("password_hash") or None,
                                  "actor": {**INSPECTOR, "account": str(name), "town": str(account["town"])}}
        return out

    def password_hash(self, username: str) -> str | None:
        account = self.accounts().get(username)
        return account["password_hash"] if account else None

    def any_account(self) -> bool:
        return any(a["password_hash"] for a in self.accounts().values())


_logins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def of(datasette) -> Login:
    """The login state of the site `datasette` (made on first use)."""
    state = _logins.get(datasette)
    if state is None:
        state = _logins[datasette] = Login(datasette)
    return state


def carry_over(old, new) -> None:
    """The site `new` takes over the sessions and the throttle of `old` (fangyi serve switching
    to the next check run's Datasette): nobody is logged out, and a guesser's failures count on."""
    state = of(new)
    before = of(old)
    state.sessions, state.throttle = before.sessions, before.throttle


def actor_of(datasette, request) -> dict | None:
    """The actor of a live session named by the request's cookie, else None."""
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid:
        return None
    state = of(datasette)
    return state.sessions.actor(sid, state.clock())


def open_session(datasette, actor: dict | None = None) -> str:
    """A new session of `actor` (the inspector): its id, the value of the cookie SESSION_COOKIE."""
    state = of(datasette)
    return state.sessions.open(actor or INSPECTOR, state.clock(), state.session_s)


# ---------------------------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------------------------

def routes():
    return [(rf"^{LOGIN_PATH}$", login_page), (rf"^{LOGOUT_PATH}$", logout_page)]


def skip_csrf(scope) -> bool:
    """The login and logout pages check their own token (csrf_problem), with a Chinese answer."""
    return scope.get("path") in (LOGIN_PATH, LOGOUT_PATH)


def csrf_problem(request, form: dict) -> str | None:
    """Why a POST is refused as cross-site (None: it is not): a foreign Origin or Sec-Fetch-Site,
    no token, or a token that is not this visitor's `ds_csrftoken` cookie as Datasette signed it."""
    origin = request.headers.get("origin")
    if origin is not None:                  # "null" too: a sandboxed page, a redirect from elsewhere
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != request.host.lower():
            return "請求來自其他網站 / the request came from another site"
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return "請求來自其他網站 / the request came from another site"
    token = form.get("csrftoken") or ""
    cookie = request.cookies.get("ds_csrftoken") or ""
    # scope["csrftoken"]() is the cookie's token when Datasette signed it, else a new one
    signed = request.scope.get("csrftoken", lambda: "")()
    if not token or not cookie or not secrets.compare_digest(token, cookie) \
            or not secrets.compare_digest(token, signed):
        return "表單已過期或缺少令牌，請重新打開登錄頁 / the form's token is missing or stale: open the page again"
    return None


def _local(next_url: str | None) -> str:
    """A path on this site to go to after logging in (never another site)."""
    if next_url and next_url.startswith("/") and not next_url.startswith(("//", "/\\")):
        return next_url
    return "/"


def _client(request) -> str:
    client = request.scope.get("client")
    return str(client[0]) if client else "?"


def _when(at: float, now: float) -> tuple[str, int, str, str]:
    """(the local time to try again at, whole seconds until then, that wait in Chinese and in
    English)."""
    seconds = max(1, int(-(-(at - now) // 1)))
    clock_time = dt.datetime.fromtimestamp(at).strftime("%H:%M:%S")
    if seconds < 120:
        return clock_time, seconds, f"{seconds} 秒", f"{seconds} s"
    minutes = -(-seconds // 60)
    return clock_time, seconds, f"{minutes} 分鐘", f"{minutes} min"


async def _render(datasette, request, template: str, context: dict, status: int = 200, headers=None):
    from datasette.utils.asgi import Response

    full, open_ = site_names(datasette)
    state = of(datasette)
    context = {"fy_open": open_ if open_ in datasette.databases else None, "fy_full": full,
               "fy_max_failures": state.throttle.max_failures,
               "fy_lockout_minutes": round(state.throttle.lockout_s / 60),
               "fy_session_hours": f"{state.session_s / 3600:g}", **context}
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status, headers=headers)


async def _page(datasette, request, status: int, error: str | None = None, headers=None, next_url: str = "/"):
    """The login page, with what happened to the last attempt."""
    return await _render(datasette, request, "fy_login.html",
                         {"error": error, "next": next_url, "no_account": not of(datasette).any_account()},
                         status, headers)


async def login_page(request, datasette):
    from datasette.utils.asgi import Response

    state = of(datasette)
    if request.method not in ("GET", "HEAD", "POST"):
        return Response.text("405 Method Not Allowed", status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method != "POST":
        return await _page(datasette, request, 200, next_url=_local(request.args.get("next")))
    form = await request.post_vars()
    next_url = _local(form.get("next"))
    problem = csrf_problem(request, form)
    if problem:
        return await _page(datasette, request, 403, f"登錄被拒絕：{problem}", next_url=next_url)
    username = form.get("username") or ""
    password = form.get("password") or ""
    accounts = state.accounts()
    stored = next((a["password_hash"] for a in accounts.values() if a["password_hash"]), None)
    if not stored:
        return await _page(datasette, request, 403, "沒有設定督查員密碼，無法登錄 / no inspector password is "
                           "configured: nobody can log in", next_url=next_url)
    account = username if username in accounts else OTHER_ACCOUNT
    keys = (("account", account), ("address", _client(request)))
    throttle = state.throttle
    now = state.clock()
    if any(k in throttle.busy for k in keys):
        return await _page(datasette, request, 429, "另一次登錄正在核對，請稍後再試 / another login is being "
                           "checked: try again in a moment", {"Retry-After": "1"}, next_url)
    at = throttle.retry_at(keys, now)
    if at is not None:
        return await _too_early(datasette, request, throttle, keys, at, now, next_url)
    # the hash of the account tried, or of another for any other name: the same work either way
    candidate = state.password_hash(account) if account != OTHER_ACCOUNT else None
    throttle.busy.update(keys)
    try:
        ok = await asyncio.to_thread(_verify, password, candidate or stored)
    finally:
        throttle.busy.difference_update(keys)
    ok = ok and candidate is not None
    now = state.clock()
    if not ok:
        throttle.failed(keys, now)
        left = throttle.max_failures - max(throttle.records[k][0] for k in keys)
        at = throttle.retry_at(keys, now)
        if left <= 0 and at is not None:
            return await _too_early(datasette, request, throttle, keys, at, now, next_url)
        return await _page(datasette, request, 401, f"用戶名或密碼錯誤；再錯 {left} 次將鎖定 "
                           f"{round(throttle.lockout_s / 60)} 分鐘 / wrong username or password; "
                           f"{left} more and logins are locked for {round(throttle.lockout_s / 60)} min",
                           next_url=next_url)
    throttle.succeeded(keys)
    state.sessions.close(request.cookies.get(SESSION_COOKIE))         # a new id at every login
    sid = state.sessions.open(accounts[account]["actor"], now, state.session_s)
    response = Response.redirect(next_url)
    _set_session_cookie(response, request, sid, int(state.session_s))
    return response


async def _too_early(datasette, request, throttle, keys, at, now, next_url):
    clock_time, seconds, zh, en = _when(at, now)
    if throttle.locked(keys):
        text = (f"登錄失敗次數過多，已鎖定：請於 {clock_time}（約 {zh}後）再試，在此之前正確的密碼也不能登錄 / "
                f"too many failed logins: locked until {clock_time} (in about {en}); until then even the "
                f"right password is refused")
    else:
        text = (f"請於 {clock_time}（{zh}後）再試 / too soon after a failed login: try again at {clock_time} "
                f"(in {en})")
    return await _page(datasette, request, 429, text, {"Retry-After": str(seconds)}, next_url)


def _verify(password: str, stored: str) -> bool:
    """verify_password, run in a thread; a malformed stored hash is a failed login."""
    try:
        return bool(verify_password(password, stored))
    except Exception:      # noqa: BLE001 - an unreadable configured hash lets nobody in
        return False


def _set_session_cookie(response, request, value: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.scheme == "https")


async def logout_page(request, datasette):
    from datasette.utils.asgi import Response

    state = of(datasette)
    if request.method not in ("GET", "HEAD", "POST"):
        return Response.text("405 Method Not Allowed", status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method != "POST":
        if not request.actor:
            return Response.redirect("/")
        return await _render(datasette, request, "fy_logout.html", {})
    form = await request.post_vars()
    problem = csrf_problem(request, form)
    if problem:
        return await _render(datasette, request, "fy_logout.html", {"error": f"退出被拒絕：{problem}"}, status=403)
    state.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = Response.redirect("/")
    _set_session_cookie(response, request, "", 0)
    return response


async def forbidden_page(datasette, request, message: str):
    """Datasette's 403, in Chinese, with the way to log in and the way to the open data."""
    login = LOGIN_PATH + "?" + urlencode({"next": request.full_path if request else "/"})
    return await _render(datasette, request, "fy_forbidden.html",
                         {"message": message, "login_url": login}, status=403)


def menu_links(actor) -> list[dict]:
    if actor and actor.get("id") == INSPECTOR_ID:
        return [{"href": LOGOUT_PATH, "label": "退出登錄 / Log out"}]
    return [{"href": LOGIN_PATH, "label": "督查員登錄 / Log in"}]
