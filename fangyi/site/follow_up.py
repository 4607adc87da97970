"""The site's one write path: inspectors mark findings (/-/follow-up) and towns sign off their
weeks (/-/sign-off), into the marks database beside the workbench database (fangyi.followup);
the served files are never written.

- Logged-in inspectors only: an anonymous GET is the forbidden page (with the way to log in), an
  anonymous POST is refused the same way and writes nothing.
- Every POST carries the form's CSRF token, checked as the login page checks it
  (fangyi.site.login.csrf_problem); these paths skip Datasette's own check (skip_csrf) so the
  refusal is ours, in Chinese.
- A town's account (its actor names the town) marks only its own town's findings and signs off
  only its own town's weeks; the district's inspector marks any finding and signs off none.
- A finding is named by its finding_id in the run being served; the mark is kept under the
  finding's key, which later runs share (fangyi.followup)."""
from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from fangyi import followup
from fangyi.site import login
from fangyi.site.actors import is_inspector, marks_file, site_names

FOLLOW_UP_PATH = "/-/follow-up"
SIGN_OFF_PATH = "/-/sign-off"
MARKS_XLSX_PATH = "/-/marks.xlsx"
PATHS = (FOLLOW_UP_PATH, SIGN_OFF_PATH)
MARKS_COLUMNS = (("mark_id", "標記編號"), ("marked_at", "時間"), ("account", "賬號"), ("check_id", "檢查"),
                 ("unit_code", "單位編碼"), ("town_code", "街鎮編碼"), ("date", "日期"), ("subject_key", "對象"),
                 ("mark", "標記"), ("put_right_on", "整改日期"), ("note", "備註"), ("state", "現在的狀態"),
                 ("second_look", "數據已變"), ("run_id", "標記時的檢查運行"))


def routes():
    return [(rf"^{FOLLOW_UP_PATH}$", follow_up_page), (rf"^{SIGN_OFF_PATH}$", sign_off_page),
            (rf"^{MARKS_XLSX_PATH}$", marks_xlsx)]


def account_of(actor) -> followup.Account | None:
    if not is_inspector(actor):
        return None
    return followup.Account(actor.get("account") or actor["id"], actor.get("town"))


def _read_marks(datasette):
    path = marks_file(datasette)
    return followup.connect_marks(path) if path else None


async def _workbench(datasette, fn):
    """fn(workbench connection, marks connection or None), in a thread on the served full database."""
    full, _ = site_names(datasette)

    def run(conn):
        marks = _read_marks(datasette)
        try:
            return fn(conn, marks)
        finally:
            if marks is not None:
                marks.close()
    try:
        return await datasette.get_database(full).execute_fn(run)
    except sqlite3.DatabaseError as exc:
        raise followup.FollowUpError(f"跟進記錄無法讀取（{exc}） / the marks cannot be read ({exc})") from exc


async def _write(datasette, fn):
    """fn(workbench connection, writable marks connection), the marks in one transaction."""
    path = marks_file(datasette)
    if not path:
        raise followup.FollowUpError("這個網站沒有跟進數據庫 / this site has no marks database")

    def run(conn):
        try:
            marks = followup.connect_marks(path, write=True)
        except sqlite3.Error as exc:
            raise followup.FollowUpError(f"跟進記錄無法寫入（{exc}）：請檢查數據庫所在文件夾是否可寫 / the marks cannot be "
                                         f"written ({exc}): the database's folder must be writable") from exc
        try:
            marks.execute("BEGIN IMMEDIATE")
            try:
                out = fn(conn, marks)
                marks.execute("COMMIT")
                return out
            except BaseException:
                marks.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise followup.FollowUpError(f"跟進記錄無法寫入（{exc}） / the marks cannot be written ({exc})") from exc
        finally:
            marks.close()
    full, _ = site_names(datasette)
    return await datasette.get_database(full).execute_fn(run)


async def _refused(datasette, request, status: int, message: str):
    if status == 403 and not is_inspector(request.actor):
        return await login.forbidden_page(datasette, request, message)
    return await _render(datasette, request, "fy_refused.html", {"error": message}, status)


async def _render(datasette, request, template: str, context: dict, status: int = 200):
    from datasette.utils.asgi import Response

    full, open_ = site_names(datasette)
    context = {"fy_full": full, "fy_open": open_, "marks": followup.MARKS, "states": followup.STATES,
               "week_states": followup.WEEK_STATES, **context}
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)


async def _guard(datasette, request):
    """(account, form) of an allowed request, or the refusal to answer with."""
    from datasette.utils.asgi import Response

    if request.method not in ("GET", "HEAD", "POST"):
        return None, None, Response.text("405 Method Not Allowed", status=405, headers={"Allow": "GET, HEAD, POST"})
    account = account_of(request.actor)
    if account is None:
        return None, None, await _refused(datasette, request, 403, "跟進和審核須由督查員登錄後進行 / "
                                          "following up and signing off need an inspector's login")
    form = None
    if request.method == "POST":
        form = await request.post_vars()
        problem = login.csrf_problem(request, form)
        if problem:
            return None, None, await _refused(datasette, request, 403, f"提交被拒絕：{problem}")
    return account, form, None


async def follow_up_page(request, datasette):
    from datasette.utils.asgi import Response

    account, form, refusal = await _guard(datasette, request)
    if refusal is not None:
        return refusal
    source = form if form is not None else request.args
    try:
        finding_id = int(source.get("finding") or "")
    except ValueError:
        return await _refused(datasette, request, 400, "請從問題清單打開跟進頁 / open this page from a finding")

    def find(conn, marks):
        found, resolved = followup.finding_by_id(conn, finding_id), False
        if found is None:           # a finding of an earlier run that the latest no longer finds
            found, resolved = followup.historical(conn, finding_id), True
        return found, resolved, (followup.marks_of(marks, found["finding_key"]) if found else [])
    try:
        found, resolved, history = await _workbench(datasette, find)
    except followup.FollowUpError as exc:
        return await _refused(datasette, request, 503, str(exc))
    if found is None:
        return await _refused(datasette, request, 404, f"沒有這個問題：{finding_id}（可能已在新的檢查中消失） / no "
                              f"finding {finding_id} in the run served (a later run may no longer find it)")
    error = None
    if resolved:
        if form is not None:
            return await _refused(datasette, request, 409, "這個問題在最新的檢查中已經沒有了（數據已更正），不能再標記 / the "
                                  "latest check run no longer finds this finding (resolved by the data): it takes no mark")
        return await _render(datasette, request, "fy_follow_up.html", {
            "finding": found, "history": history, "state": "resolved_by_data", "second_look": False,
            "error": None, "may_mark": False, "resolved": True, "account": account})
    if form is not None and not account.may_mark(found["town_code"]):
        return await _refused(datasette, request, 403, f"賬號 {account.name} 只能跟進本街鎮的問題 / account "
                              f"{account.name} may only follow up its own town's findings")
    if form is not None:
        def add(conn, marks):
            return followup.add_mark(marks, found, form.get("mark") or "", account, form.get("note"),
                                     form.get("put_right_on"))
        try:
            await _write(datasette, add)
            return Response.redirect(f"{FOLLOW_UP_PATH}?{urlencode({'finding': found['finding_id']})}", status=303)
        except followup.FollowUpError as exc:
            error = str(exc)
    latest = followup.state_mark(history)
    return await _render(datasette, request, "fy_follow_up.html", {
        "finding": found, "history": history, "state": followup.state_of(latest),
        "second_look": followup.changed_since(latest, found["message"], found["evidence"]), "error": error,
        "may_mark": account.may_mark(found["town_code"]), "account": account}, 400 if error else 200)


async def sign_off_page(request, datasette):
    from datasette.utils.asgi import Response

    account, form, refusal = await _guard(datasette, request)
    if refusal is not None:
        return refusal
    error = None
    if form is not None:
        town, week = (form.get("town") or "").strip(), (form.get("week") or "").strip()
        if account.town_code != town:
            return await _refused(datasette, request, 403, f"賬號 {account.name} 只能審核本街鎮的周報 / account "
                                  f"{account.name} may only sign off its own town's weeks")

        def sign(conn, marks):
            return followup.sign_off(conn, marks, town, week, account)
        try:
            await _write(datasette, sign)
            return Response.redirect(SIGN_OFF_PATH, status=303)
        except followup.FollowUpError as exc:
            error = str(exc)

    def weeks(conn, marks):
        return followup.town_weeks(conn, marks, town_code=account.town_code)
    try:
        rows = await _workbench(datasette, weeks)
    except followup.FollowUpError as exc:
        return await _refused(datasette, request, 503, str(exc))
    return await _render(datasette, request, "fy_sign_off.html", {"weeks": rows, "account": account,
                                                                  "error": error}, 400 if error else 200)


async def public_counts(datasette) -> dict | None:
    """Open and followed-up findings of the run served, for every visitor: counts only, never a
    note or who marked what (None: no marks yet)."""
    path = marks_file(datasette)
    if not path or not site_names(datasette)[0]:
        return None
    try:
        return await _workbench(datasette, lambda conn, marks: followup.quick_counts(conn, marks))
    except Exception:       # noqa: BLE001 - the home page does without the counts
        return None


HOME_WEEKS = 4


async def home_overview(datasette, actor) -> dict | None:
    """For an inspector's home page: each town's state in the last HOME_WEEKS weeks that have
    data (a town's account: its own town), as {"weeks": [...], "towns": [(name, [Week, ...])]}."""
    account = account_of(actor)
    if account is None or not site_names(datasette)[0]:
        return None

    def overview(conn, marks):
        end = conn.execute("SELECT max(report_date) FROM current_reports").fetchone()[0]
        weeks = [w for (w,) in conn.execute(
            "SELECT DISTINCT iso_week FROM calendar_days WHERE day <= ? ORDER BY iso_week DESC LIMIT ?",
            (end, HOME_WEEKS))][::-1] if end else []
        rows = followup.town_weeks(conn, marks, weeks, account.town_code) if weeks else []
        towns: dict[str, tuple] = {}
        for w in rows:
            towns.setdefault(w.town_code, (w.town_name or w.town_code, []))[1].append(w)
        labels = [(w, f"{w[:4]}年第{int(w[6:])}周") for w in weeks]     # 2021-W02: 2021年第2周
        return {"weeks": labels, "towns": list(towns.values())}
    try:
        return await _workbench(datasette, overview)
    except Exception:       # noqa: BLE001 - a database without a check run: the home page says so elsewhere
        return None


def skip_csrf(scope) -> bool:
    """These pages check their own token (login.csrf_problem), with a Chinese answer."""
    return scope.get("path") in PATHS


async def marks_xlsx(request, datasette):
    """Every mark (a town's account: its town's), oldest first, with the state its finding is in
    now in the run served, as XLSX like the findings' downloads."""
    from fangyi.site.exports import widths_of, workbook, xlsx_response

    account, _, refusal = await _guard(datasette, request)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        return await _refused(datasette, request, 405, "這是下載，不是表單 / a download, not a form")

    def rows(conn, marks):
        state = followup.follow_up(conn, marks)
        now = {f["finding_key"]: f for f in state.findings}
        out = []
        for m in (followup.all_marks(marks) if marks is not None else []):
            if account.town_code is not None and m["town_code"] != account.town_code:
                continue
            f = now.get(m["finding_key"])
            current = f["state"] if f else "resolved_by_data"
            m = dict(m, state=f"{followup.STATES[current][0]} {current}",
                     mark=f"{followup.MARKS[m['mark']][0]} {m['mark']}",
                     second_look="是" if f and f["second_look"] else "")
            out.append([m[c] for c, _ in MARKS_COLUMNS])
        return out
    try:
        body_rows = await _workbench(datasette, rows)
    except followup.FollowUpError as exc:
        return await _refused(datasette, request, 503, str(exc))
    header = [f"{zh} {c}" for c, zh in MARKS_COLUMNS]
    return xlsx_response(workbook("marks", header, body_rows, widths_of(header, body_rows)), "marks.xlsx")
