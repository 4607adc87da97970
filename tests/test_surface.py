"""What reaches the site (fangyi.site.surface): other methods than GET are 405."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import run_site
from fangyi.site.serve import open_name

CRAFTED = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def crafted_db(checked_db, tmp_path_factory) -> Path:
    """The checked demo with a finding whose message and subject are formulas (both reach the
    open copy: a silent streak's message is open)."""
    path = tmp_path_factory.mktemp("crafted") / "workbench.db"
    shutil.copy(checked_db, path)
    conn = sqlite3.connect(path)
    with conn:
        run = conn.execute("SELECT max(run_id) FROM check_runs WHERE finished_at IS NOT NULL").fetchone()[0]
        conn.execute("INSERT INTO findings_history (run_id, check_id, severity, unit_code, date, subject_key, "
                     "message, evidence) VALUES (?, 'silent_streak', 'warning', NULL, '2021-01-22', '@SUM(1+1)', ?, "
                     "NULL)", (run, CRAFTED))
    conn.close()
    return path


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]



@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(crafted_db, method):
    full, public = crafted_db.stem, open_name(crafted_db)

    async def go(ds, inspector):
        out = {}
        for url in (f"/{public}/findings", f"/{public}/findings.json", f"/{full}/findings", f"/{public}",
                    f"/{public}/missed_on_day", "/", "/-/metadata.json", "/-/dashboards/reporting"):
            for who, cookies in (("anonymous", {}), ("inspector", inspector)):
                resp = await ds.client.request(method, url, data={"a": "b"}, cookies=cookies)
                out[f"{who} {url}"] = (resp.status_code, resp.headers.get("allow"))
        login = await ds.client.request(method, "/-/login", data={"a": "b"})
        return out, login

    out, login = run_site(crafted_db, go)
    assert {k: v for k, v in out.items() if v != (405, "GET, HEAD")} == {}
    assert login.status_code == (403 if method == "POST" else 405)      # POST: refused for its missing token

