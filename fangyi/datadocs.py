"""Great Expectations Data Docs readable offline.

GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs. The GX
package ships none of them, so `offline_copy` writes a copy of the Data Docs folder in which
every page keeps GX's own local stylesheets (static/styles), the CDN <link> and <script> tags
are removed, and a small stylesheet (fangyi/static/datadocs-offline.css, inlined) lays out the
tables, cards and navigation Bootstrap would have. Vega charts of the Data Docs are not drawn
offline; the tables that carry the same numbers are."""
from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from pathlib import Path

EXTERNAL_LINK = re.compile(r"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*>", re.I)
EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*src=\"https?://[^\"]*\"[^>]*>\s*</script>", re.I | re.S)
CSS = Path(__file__).parent / "static" / "datadocs-offline.css"


def make_offline(html: str) -> str:
    html = EXTERNAL_LINK.sub("", html)
    html = EXTERNAL_SCRIPT.sub("", html)
    style = f"<style>{CSS.read_text(encoding='utf-8')}</style>"
    return html.replace("</head>", style + "</head>", 1) if "</head>" in html else style + html


def offline_copy(folder: Path) -> Path:
    """A copy of the Data Docs folder without CDN references, in a temporary folder removed at exit."""
    out = Path(tempfile.mkdtemp(prefix="fangyi-datadocs-"))
    atexit.register(shutil.rmtree, out, True)
    for src in Path(folder).rglob("*"):
        dst = out / src.relative_to(folder)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif src.suffix == ".html":
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(make_offline(src.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return out
