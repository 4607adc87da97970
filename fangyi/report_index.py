"""The front page of `fangyi report`'s folder: index.html, linking each notebook's page with its
title and its result summary, under the check run and data SHA-256 the report describes; an
auditor opens one file and finds the rest from there. Self-contained like the pages it links
(no script, no style or font from the network)."""
from __future__ import annotations

import html
from pathlib import Path

from fangyi.notebook_summary import as_html

INDEX = "index.html"
STYLE = """body{font-family:"Noto Sans CJK TC","Noto Sans CJK SC","PingFang TC","Microsoft JhengHei",sans-serif;
max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1{font-size:1.5rem}li{margin:1rem 0}table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.2rem .5rem;vertical-align:top}code{font-size:.85rem;word-break:break-all}"""


def notebook_title(nb, fallback: str) -> str:
    """The first heading of the notebook's first markdown cell (not the stamp), else fallback."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "report-stamp" not in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def write_index(report, out_dir: Path) -> Path:
    """Write out_dir/index.html for a built report (fangyi.report.Report) whose pages are in out_dir."""
    items = []
    for nb in report.notebooks:
        if nb.html is None:
            continue
        title = notebook_title(nb.notebook, Path(nb.name).stem)
        summary = as_html(nb.result) if nb.result else ""
        items.append(f'<li><a href="{html.escape(nb.html.name)}"><strong>{html.escape(title)}</strong></a>'
                     f"<details open><summary>結果摘要 summary</summary>{summary}</details></li>")
    page = f"""<!DOCTYPE html>
<html lang="zh-Hant"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>審計報告 Audit report — 檢查運行 check run {report.run_id}</title><style>{STYLE}</style></head>
<body><h1>審計報告 Audit report</h1>
<p>檢查運行 check run <strong>{report.run_id}</strong>，數據 data SHA-256 <code>{html.escape(report.data_sha256)}</code><br>
數據庫 database <code>{html.escape(str(report.db_path))}</code>；由 <code>fangyi report</code> 生成 generated.</p>
<p>每個筆記本一頁，在本地打開即可（不需網絡） / one page per notebook, readable offline:</p>
<ol>{"".join(items)}</ol></body></html>
"""
    path = Path(out_dir) / INDEX
    path.write_text(page, encoding="utf-8")
    return path
