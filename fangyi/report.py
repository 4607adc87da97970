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
import tempfile
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
    index: Path | None = None               # out_dir/index.html, linking the notebooks' pages

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


def notebook_defaults(notebooks: list[Path] | None = None) -> dict[str, dict]:
    """Per notebook file name, the values its cell tagged `parameters` assigns (literals only)."""
    import nbformat

    out = {}
    for path in notebooks or notebook_paths():
        nb = nbformat.read(path, as_version=4)
        values = {}
        for cell in nb.cells:
            if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
                for node in ast.parse(cell.source).body:
                    if (isinstance(node, ast.Assign) and len(node.targets) == 1
                            and isinstance(node.targets[0], ast.Name)):
                        try:
                            values[node.targets[0].id] = ast.literal_eval(node.value)
                        except ValueError:
                            pass
        out[path.name] = values
    return out


def check_parameters(db_path: Path | str, params: dict, notebooks: list[Path] | None = None) -> dict:
    """The parameters the notebooks will run with, checked against the database before any of
    them runs, so that a report is refused in a line instead of failing in its third notebook:
    the database has a check run; the week (given, or a notebook's default) is in its reporting
    period; the trace code has receipts or sales; a unit given is a unit of the registry (by
    code, or by a name only one unit has). Returns `params` with the week as an ISO week and a
    unit named by name as its code; raises ReportError."""
    from fangyi.checks.coldchain.trace import TraceError, trace_batch
    from fangyi.keys import typed_week

    db_path = Path(db_path)
    params = dict(params)
    latest_run(db_path)                         # ReportError without a check run
    defaults = notebook_defaults(notebooks)
    used = {name for values in defaults.values() for name in values}

    def effective(name):
        if params.get(name) is not None:
            return params[name], ""
        given = [values[name] for values in defaults.values() if values.get(name) is not None]
        return (given[0], " (the notebook's default; give another with --" + name.replace("_", "-") + ")") \
            if given else (None, "")

    week, note = effective("week")
    if "week" in used and week:                 # empty: the notebook picks one
        iso = typed_week(week)
        if iso is None:
            raise ReportError(f"week {week!r}{note}: not a week; expected an ISO week such as 2021-W03")
        conn = db.connect(db_path, readonly=True)
        try:
            found = conn.execute("SELECT 1 FROM calendar WHERE iso_week = ? LIMIT 1", (iso,)).fetchone()
            start, end = conn.execute("SELECT start_date, end_date FROM reporting_period").fetchone()
        finally:
            conn.close()
        if not found:
            raise ReportError(f"week {iso}{note} is outside the reporting period of {db_path} ({start} to {end})")
        if params.get("week") is not None:
            params["week"] = iso
    code, note = effective("trace_code")
    if "trace_code" in used and code:           # empty: the batch with the most findings
        try:
            trace_batch(db_path, str(code))
        except TraceError as exc:
            raise ReportError(f"trace code {code}{note}: {exc}") from exc
    unit = params.get("unit_code")
    if unit is not None and "unit_code" in used:
        conn = db.connect(db_path, readonly=True)
        try:
            codes = [c for (c,) in conn.execute(
                "SELECT unit_code FROM units_current WHERE unit_code = ?1 "
                "UNION SELECT unit_code FROM units_current WHERE name = ?1 AND NOT EXISTS "
                "(SELECT 1 FROM units_current WHERE unit_code = ?1)", (unit.strip(),))]
        finally:
            conn.close()
        if not codes:
            raise ReportError(f"unit {unit!r}: no unit of that code or name in {db_path}; give a unit code of its "
                              "registry with --unit-code")
        if len(codes) > 1:
            raise ReportError(f"unit {unit!r}: {len(codes)} units have that name ({', '.join(codes[:5])}); "
                              "give the unit code with --unit-code")
        params["unit_code"] = codes[0]
    return params


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


def _kernel_manager(sockets: str | None = None):
    """A kernel manager whose `python3` is ipykernel on this very Python (this venv's), whatever
    kernel specs the user has installed elsewhere. With `sockets` (a private folder), the kernel
    talks over Unix sockets there (IPC) instead of TCP on localhost: nothing another user of the
    machine can connect to, and no "Kernel is running over TCP without encryption" warning from
    every kernel (one per notebook) on the report's terminal."""
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict

            spec = get_kernel_dict()
            spec["argv"][0] = sys.executable
            return KernelSpec(resource_dir=RESOURCES, **spec)

    if sockets is None:
        return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython())
    return KernelManager(kernel_name="python3", kernel_spec_manager=ThisPython(), transport="ipc",
                         ip=os.path.join(sockets, "kernel"))


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
    with tempfile.TemporaryDirectory(prefix="fangyi-kernel-") as sockets:
        km = _kernel_manager(sockets if os.name == "posix" else None)     # no Unix sockets on Windows
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
    if out is not None:                     # the front page linking them
        from fangyi.report_index import write_index

        report.index = write_index(report, out)
    return report
