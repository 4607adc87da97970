"""`fangyi report`: execute the auditors' notebooks against a database and write each as one
self-contained HTML file.

Each notebook runs top to bottom in a real Jupyter kernel (ipykernel, on the Python running
fangyi) with `FANGYI_DB` set to the database; parameters given by the caller are injected after
the notebook's cell tagged `parameters` (as papermill does), in a cell tagged
`injected-parameters`. A first cell stamps the report with the latest check run's id and the
SHA-256 of the data it checked. The HTML embeds its images and the charts' script; it loads
nothing from the network.
"""
from __future__ import annotations

import ast
import datetime as dt
import os
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from fangyi import db

TEMPLATES = Path(__file__).resolve().parent / "site" / "templates"
TEMPLATE_FILE = "fangyi_report.html.j2"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
STAMP_TAG = "report-stamp"
EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", re.I)
CELL_TIMEOUT = 600


class ReportError(Exception):
    pass


@dataclass
class NotebookReport:
    name: str                     # file name, e.g. 01_reporting_completeness.ipynb
    html: Path | None
    notebook: object              # the executed nbformat NotebookNode
    result: dict                  # what its cell tagged `results` published


@dataclass
class Report:
    db_path: Path
    run_id: int
    data_sha256: str
    notebooks: list[NotebookReport] = field(default_factory=list)

    def result(self, name_prefix: str) -> dict:
        return next(n.result for n in self.notebooks if n.name.startswith(name_prefix))


def notebooks_dir() -> Path:
    """The notebooks: the installed package's (fangyi.notebooks), which in a checkout is notebooks/."""
    try:
        folder = resources.files("fangyi.notebooks")
    except ModuleNotFoundError:
        folder = None
    if folder is not None and folder.is_dir():
        return Path(str(folder))
    return Path(__file__).resolve().parent.parent / "notebooks"


def notebook_paths() -> list[Path]:
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def parameter_names(nb) -> list[str]:
    """The names a notebook's cell tagged `parameters` assigns."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                    if isinstance(t, ast.Name)]
    return []


def inject_parameters(nb, params: dict) -> None:
    """Add a cell tagged `injected-parameters` after the `parameters` cell assigning those of
    `params` the notebook declares (papermill's convention); unknown names are left out."""
    import nbformat

    names = parameter_names(nb)
    chosen = {k: v for k, v in params.items() if k in names and v is not None}
    if not chosen:
        return
    index = next(i for i, c in enumerate(nb.cells) if PARAMETERS_TAG in c.metadata.get("tags", []))
    source = "# Parameters set by the runner (fangyi report)\n" + "".join(f"{k} = {v!r}\n" for k, v in chosen.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})
    nb.cells.insert(index + 1, cell)


def latest_run(db_path: Path) -> tuple[int, str]:
    from fangyi.checks.run import latest_check_run

    conn = db.connect(db_path, readonly=True)
    try:
        run = latest_check_run(conn)
    finally:
        conn.close()
    if run is None:
        raise ReportError(f"{db_path}: no check run yet; run `fangyi check` first")
    return run.run_id, run.data_sha256


def _stamp(nb, db_path: Path, run_id: int, sha: str) -> None:
    import nbformat

    when = dt.datetime.now().isoformat(timespec="seconds")
    text = (f"> **審計報告 Audit report** — 檢查運行 check run **{run_id}**, "
            f"數據 data SHA-256 `{sha}`  \n"
            f"> 數據庫 database `{db_path}`, 生成於 generated {when} by `fangyi report`.")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text, metadata={"tags": [STAMP_TAG]}))
    nb.metadata["fangyi"] = {"run_id": run_id, "data_sha256": sha, "database": str(db_path), "generated": when}


def _kernel_manager():
    """A kernel manager whose `python3` is ipykernel on this very Python (this venv's), whatever
    kernel specs the user has installed elsewhere."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            spec = get_kernel_dict()
            spec["argv"][0] = sys.executable
            return KernelSpec(resource_dir=RESOURCES, **spec)

    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())


def execute(path: Path, db_path: Path, params: dict | None = None, stamp: tuple[int, str] | None = None,
            timeout: int = CELL_TIMEOUT):
    """Execute one notebook against the database; returns the executed NotebookNode."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    inject_parameters(nb, params or {})
    if stamp:
        _stamp(nb, db_path, *stamp)
    env = dict(os.environ, FANGYI_DB=str(db_path), PYDEVD_DISABLE_FILE_VALIDATION="1")
    km = _kernel_manager()
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env)
    finally:
        if km.has_kernel:                  # the client does not stop a kernel it was handed
            km.shutdown_kernel(now=True)
    return nb


def to_html(nb, title: str) -> str:
    """One self-contained HTML page: images embedded, no script loaded from elsewhere."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", template_file=TEMPLATE_FILE,
                            extra_template_paths=[str(TEMPLATES)], embed_images=True)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    found = EXTERNAL_SCRIPT.search(body)
    if found:
        raise ReportError(f"{title}: the HTML would load a script from the network: {found.group(0)}")
    return body


def build_report(db_path: Path | str, out_dir: Path | str | None = None, params: dict | None = None,
                 notebooks: list[Path] | None = None, timeout: int = CELL_TIMEOUT) -> Report:
    """Execute every notebook (or those given) against the database; with out_dir, write
    NAME.html for each there. Raises ReportError without a check run, and nbclient's
    CellExecutionError when a cell fails."""
    from fangyi.notebook import result_of

    db_path = Path(db_path).resolve()
    run_id, sha = latest_run(db_path)
    report = Report(db_path, run_id, sha)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for path in notebooks or notebook_paths():
        nb = execute(path, db_path, params, (run_id, sha), timeout)
        html_path = None
        if out is not None:
            html_path = out / f"{path.stem}.html"
            html_path.write_text(to_html(nb, f"{path.stem} — check run {run_id}"), encoding="utf-8")
        report.notebooks.append(NotebookReport(path.name, html_path, nb, result_of(nb)))
    return report
