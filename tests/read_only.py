"""Run a command where a folder really is read-only — also as root, which CI runs the tests as
and which ignores file permissions (a 0555 folder is writable to root).

The folder is made 0555 and its files 0444 in every case; then, the first way that works here:

- `chmod`: not root — the permissions are enough.
- `unshare`: root (or a user allowed user namespaces: `unshare --map-root-user`) runs the command
  in a mount namespace of its own, where the folder is bind-mounted read-only over itself: every
  write fails with EROFS whatever the permissions, exactly as on a mounted archive, and nothing
  changes outside that one process tree.
- `setpriv`: root without mount namespaces (a container without CAP_SYS_ADMIN) runs the command
  as the unprivileged user nobody (`setpriv --reuid nobody`), to whom the permissions apply; the
  folder must then be reachable by others, so `place()` makes it under /tmp, mode 0755.

`FANGYI_TEST_READ_ONLY=chmod|unshare|setpriv` forces one (to try the others by hand); when none
works the tests that need one are skipped, saying why.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

FANGYI = str(Path(sys.executable).with_name("fangyi"))
NOBODY = "nobody"


def _unshare_prefix(user_ns: bool) -> list[str]:
    flags = ["--map-root-user"] if user_ns else []
    # $1 is the folder, the command follows it
    return ["unshare", *flags, "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"', "sh"]


def _setpriv_prefix() -> list[str]:
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={_nogroup()}", "--clear-groups", "--"]


def _nogroup() -> str:
    import grp

    for name in ("nogroup", "nobody"):
        try:
            grp.getgrnam(name)
            return name
        except KeyError:
            continue
    return "65534"


def _works(prefix: list[str], folder: Path, needs_folder_arg: bool) -> bool:
    """Whether, with this prefix, the folder can be read and not written."""
    probe = ["sh", "-c", f'cat "{folder}/probe" && ! touch "{folder}/new" 2>/dev/null && ! rm -f "{folder}/probe"'
             f' 2>/dev/null && test -f "{folder}/probe"']
    argv = [*prefix, str(folder), *probe] if needs_folder_arg else [*prefix, *probe]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and not (folder / "new").exists()


@functools.cache
def method() -> tuple[str, str]:
    """(name, why) of the way used here; name '' when there is none."""
    forced = os.environ.get("FANGYI_TEST_READ_ONLY")
    candidates = [forced] if forced else ["chmod", "unshare", "unshare-user", "setpriv"]
    tried = []
    for name in candidates:
        folder = Path(tempfile.mkdtemp(prefix="fangyi-ro-probe-", dir="/tmp"))
        try:
            folder.chmod(0o755)
            (folder / "probe").write_text("x")
            seal(folder)
            if name == "chmod":
                ok = os.geteuid() != 0 and _works([], folder, False)
            elif name in ("unshare", "unshare-user"):
                ok = bool(shutil.which("unshare")) and _works(_unshare_prefix(name == "unshare-user"), folder, True)
            elif name == "setpriv":
                ok = os.geteuid() == 0 and bool(shutil.which("setpriv")) and _works(_setpriv_prefix(), folder, False)
            else:
                ok = False
            if ok:
                return name, ""
            tried.append(name)
        finally:
            unseal(folder)
            shutil.rmtree(folder, ignore_errors=True)
    return "", f"no way to make a folder read-only for a command here (tried {', '.join(tried)})"


def require() -> str:
    name, why = method()
    if not name:
        pytest.skip(why)
    return name


def place(tmp_path: Path) -> Path:
    """A new folder to be made read-only: under tmp_path, or for `setpriv` under /tmp where the
    user nobody can reach it. Give it back with release()."""
    if require() == "setpriv":
        folder = Path(tempfile.mkdtemp(prefix="fangyi-ro-", dir="/tmp"))
        folder.chmod(0o755)
        return folder
    folder = tmp_path / "read-only"
    folder.mkdir()
    return folder


def release(folder: Path, tmp_path: Path) -> None:
    """Undo seal(), so the folder can be removed (and remove one made outside tmp_path)."""
    if folder.exists():
        unseal(folder)
        if not folder.is_relative_to(tmp_path):
            shutil.rmtree(folder, ignore_errors=True)


def seal(folder: Path) -> None:
    """0444 files, a 0555 folder (what a read-only share or archive looks like)."""
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o444)
    folder.chmod(0o555)


def unseal(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.iterdir():
        if path.is_file():
            path.chmod(0o644)


def command(folder: Path, argv: list[str], cwd: Path, env: dict | None = None) -> tuple[list[str], Path, dict]:
    """(argv, cwd, env) that run argv (its first item `fangyi` means the console script) with
    `folder` read-only. As nobody (`setpriv`) the command runs in /tmp: give it absolute paths."""
    name = require()
    argv = [FANGYI if argv[0] == "fangyi" else argv[0], *argv[1:]]
    if name in ("unshare", "unshare-user"):
        argv = [*_unshare_prefix(name == "unshare-user"), str(folder), *argv]
    elif name == "setpriv":
        argv, cwd = [*_setpriv_prefix(), *argv], Path("/tmp")
    return argv, cwd, {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}


def run(folder: Path, argv: list[str], cwd: Path, env: dict | None = None, timeout: float = 300):
    """Run argv to its end with `folder` read-only (see command())."""
    argv, cwd, env = command(folder, argv, cwd, env)
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def start(folder: Path, argv: list[str], cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """Start argv with `folder` read-only (see command()), in a session of its own."""
    argv, cwd, env = command(folder, argv, cwd, env)
    return subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
