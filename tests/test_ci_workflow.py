"""The example CI workflow's fangyi steps, run as written on a demo drop: the build fails on
the demo data (it has errors) and passes on a clean drop, with Data Docs written both times."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).parent.parent / "examples" / "github-actions" / "fangyi-check.yml"
FANGYI = Path(sys.executable).parent / "fangyi"


def fangyi_steps() -> list[dict]:
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["check"]["steps"]
    return [s for s in steps if s.get("run", "").startswith("fangyi ") and "bulletin" not in s["run"]]


def run_workflow(repo: Path) -> list[int]:
    codes = []
    for step in fangyi_steps():
        args = shlex.split(step["run"])
        result = subprocess.run([str(FANGYI), *args[1:]], cwd=repo, capture_output=True, text=True)
        codes.append(result.returncode)
        if result.returncode and step.get("if") != "always()":
            break
    return codes


def data_repo(root: Path, data: Path) -> Path:
    """A data repository laid out as the workflow expects, from a generated demo drop."""
    repo = root / "repo"
    shutil.copytree(data / "units", repo / "registry")
    shutil.copytree(data / "daily", repo / "drops")
    return repo


def test_workflow_steps_are_the_documented_commands():
    runs = [s["run"] for s in fangyi_steps()]
    assert runs == ["fangyi ingest --db workbench.db registry drops",
                    "fangyi check --db workbench.db --fail-on error --docs data-docs"]


@pytest.mark.parametrize("drop,expected", [("demo_data", [0, 1]), ("clean_demo_data", [0, 0])])
def test_workflow_on_a_drop(request, tmp_path, drop, expected):
    data, _ = request.getfixturevalue(drop)
    repo = data_repo(tmp_path, data)
    assert run_workflow(repo) == expected
    assert (repo / "data-docs" / "index.html").exists()
