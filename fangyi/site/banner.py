"""What `fangyi serve` says when it starts: where the site is and who can see what, so that a
first-time user does not have to find out by trying (the open copy for everyone, the full
database and the SQL box only after the inspector's login, and whether a password is set)."""
from __future__ import annotations

from pathlib import Path

from fangyi.site.login import LOGIN_PATH, PASSWORD_ENV
from fangyi.site.serve import OPEN_SUFFIX


def lines(db_path: Path, host: str, port: int, password_set: bool) -> list[str]:
    """The lines printed before the server starts (Chinese, then English)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{shown}:{port}"
    stem = Path(db_path).stem
    out = [f"fangyi serve: {db_path} 在 / at {base}/",
           f"  首頁 home:                                   {base}/",
           f"  公開數據（所有人可看，無個人信息） open copy, for everyone, no personal data: {base}/{stem}{OPEN_SUFFIX}",
           f"  完整數據庫與 SQL 查詢框（僅限登入的督查員） full database and SQL box, inspector only: {base}/{stem}",
           f"  督查員登入 inspector login:                  {base}{LOGIN_PATH}"]
    if password_set:
        out.append("  督查員密碼已設置 / the inspector password is set")
    else:
        out.append(f"  尚未設置督查員密碼，無人能登入：用 README「Serving」的命令生成密碼散列，設到環境變量 {PASSWORD_ENV} "
                   "或 fangyi.toml 的 [site] inspector_password_hash，再啟動 / no inspector password is set, so "
                   f"nobody can log in: make a hash as README \"Serving\" shows and set {PASSWORD_ENV} or [site] "
                   "inspector_password_hash in fangyi.toml, then start again")
    if host in ("0.0.0.0", "::"):
        out.append(f"  監聽所有網絡接口 / listening on every interface ({host})")
    out.append("  按 Ctrl+C 停止 / Ctrl+C stops it")
    return out
