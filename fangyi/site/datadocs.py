"""Great Expectations Data Docs readable offline, with their styles.

GX's pages load Bootstrap, jQuery, Popper, bootstrap-table, bootstrap-datepicker, Font Awesome,
a dark-mode Bootstrap and Vega from CDNs, and their logo from S3. `offline_copy` writes a copy
of the Data Docs folder in which every such <link>, <script> and <img> points at a local copy
instead, relative to the page, so the copy is self-contained (served at /data-docs/ or opened as
files):

- the stylesheets, scripts and web fonts GX asks for, at the versions it asks for, are vendored
  in fangyi/site/static/datadocs/ (from their npm packages; see the README.md there) and copied to
  `static/vendor/` of the copy;
- Vega, Vega-Lite and Vega-Embed come from the installed datasette-dashboards package (the
  scripts the site's dashboards use), copied to `static/vendor/vega/`; without that package the
  Vega tags are dropped and GX's charts are not drawn (their tables still are);
- the logo comes from GX's own `static/images/`, and the favicon link of the deeper pages (one
  `../` short in GX's pages) is made to point there too.

A CDN reference not in the table is dropped rather than left to fail."""
from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "datadocs"
VENDOR_DIR = "static/vendor"                 # inside the Data Docs copy

# CDN address (without query) -> path under static/vendor/ of the copy
LOCAL = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark/bootstrap-prefers-dark.min.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
}
LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*/(logo-long\.png)(\?[^\"']*)?")
SRI = re.compile(r"\s(?:integrity|crossorigin)(?:=\"[^\"]*\"|=\'[^\']*\')?", re.I)
EXTERNAL_LINK = re.compile(r"<link\b[^>]*href=\"(https?://[^\"]*)\"[^>]*>", re.I)
EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*src=\"(https?://[^\"]*)\"[^>]*>\s*</script>", re.I | re.S)
FAVICON = re.compile(r"href=\"(?:\.\./)*static/images/favicon\.ico\"")   # GX's is one ../ short in deep pages
VEGA_FILES = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")


def _vega_source() -> Path | None:
    """The folder holding vega, vega-lite and vega-embed of the installed datasette-dashboards."""
    try:
        import datasette_dashboards
    except ImportError:
        return None
    folder = Path(datasette_dashboards.__file__).parent / "static"
    return folder if all((folder / f).exists() for f in VEGA_FILES) else None


def make_offline(html: str, root: str = "", vega: bool = True) -> str:
    """The page with every CDN stylesheet, script and the logo pointing at the local copies;
    `root` is the relative path from the page to the Data Docs folder ('' or '../' ...)."""
    def local(m: re.Match) -> str:
        url = m.group(1).split("?")[0]
        path = LOCAL.get(url)
        if path is None or (path.startswith("vega/") and not vega):
            return ""
        tag = SRI.sub("", m.group(0))           # the CDN's digests: the local copies are not byte-identical
        return tag.replace(m.group(1), f"{root}{VENDOR_DIR}/{path}")
    html = EXTERNAL_LINK.sub(local, html)
    html = EXTERNAL_SCRIPT.sub(local, html)
    html = FAVICON.sub(f'href="{root}static/images/favicon.ico"', html)
    return LOGO.sub(lambda m: f"{root}static/images/{m.group(1)}", html)


def offline_copy(folder: Path, out: Path | None = None) -> Path:
    """A self-contained copy of the Data Docs folder: into `out` (written over, for a newer check
    run's Data Docs), else into a temporary folder removed at exit."""
    folder = Path(folder)
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="fangyi-datadocs-"))
        atexit.register(shutil.rmtree, out, True)
    vega = _vega_source()
    for src in folder.rglob("*"):
        rel = src.relative_to(folder)
        dst = out / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif src.suffix == ".html":
            dst.parent.mkdir(parents=True, exist_ok=True)
            root = "../" * (len(rel.parts) - 1)
            dst.write_text(make_offline(src.read_text(encoding="utf-8"), root, vega is not None), encoding="utf-8")
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    vendor = out / VENDOR_DIR
    shutil.copytree(VENDOR, vendor, dirs_exist_ok=True, ignore=shutil.ignore_patterns("README.md"))
    if vega is not None:
        (vendor / "vega").mkdir(parents=True, exist_ok=True)
        for name in VEGA_FILES:
            shutil.copy2(vega / name, vendor / "vega" / name)
    return out
