"""Charts in the auditors' notebooks that render offline: in JupyterLab and in the HTML that
`fangyi report` writes, with no script fetched from the network.

Altair's own HTML renderer loads vega, vega-lite and vega-embed from a CDN. `enable()` instead
registers the renderer "fangyi_offline": it shows the vega-embed bundle (vega, vega-lite and
vega-embed in one script, shipped inside the vl-convert-python wheel) once, as the output of the
cell that calls it, and then every chart as its Vega-Lite spec (JSON) plus a few lines calling
the bundle's `vegaEmbed`. Usage in a notebook::

    from fangyi.site import charts
    charts.enable()          # first output of the notebook: the script, no network
    alt.Chart(frame).mark_rect().encode(...)
"""
from __future__ import annotations

import html
import json
import uuid

RENDERER = "fangyi_offline"
_BUNDLE: str | None = None


def bundle() -> str:
    """The vega-embed bundle (vega, vega-lite, vega-embed) for the Vega-Lite version Altair writes."""
    global _BUNDLE
    if _BUNDLE is None:
        import vl_convert as vlc
        from altair.utils._importers import vl_version_for_vl_convert

        _BUNDLE = vlc.javascript_bundle(vl_version=vl_version_for_vl_convert())
    return _BUNDLE


def script_html() -> str:
    """The bundle as one inline <script>: it defines window.vegaEmbed (wrapped in a function, so
    that showing it twice on a page does not declare its names twice)."""
    code = bundle().replace("</script", "<\\/script")
    return ('<script type="text/javascript">\n'
            f"if (typeof window.vegaEmbed === 'undefined') {{ (function () {{\n{code}\n}})(); }}\n</script>"
            '<div class="fangyi-charts-ready" style="font-size:smaller;color:#888">'
            "圖表腳本已內嵌 chart scripts embedded (offline)</div>")


def chart_html(spec: dict) -> str:
    """One chart: a div, its Vega-Lite spec as JSON, and the call that draws it."""
    div = f"vis-{uuid.uuid4().hex[:12]}"
    payload = json.dumps(spec, ensure_ascii=False).replace("</", "<\\/")
    return (f'<div id="{div}" class="fangyi-chart"></div>\n'
            f'<script type="application/json" id="{div}-spec">{payload}</script>\n'
            '<script type="text/javascript">\n'
            "(function () {\n"
            f"  var spec = JSON.parse(document.getElementById('{div}-spec').textContent);\n"
            f"  var el = document.getElementById('{div}');\n"
            "  if (typeof window.vegaEmbed === 'undefined') {\n"
            "    el.textContent = 'Chart script not loaded: run the cell that calls charts.enable() first.';\n"
            "    return;\n"
            "  }\n"
            "  window.vegaEmbed(el, spec, {actions: false}).catch(function (e) { el.textContent = String(e); });\n"
            "})();\n"
            "</script>")


def _render(spec: dict, **metadata) -> dict:
    title = spec.get("title")
    text = f"<Chart{': ' + html.escape(str(title)) if title else ''}>"
    return {"text/html": chart_html(spec), "text/plain": text}


def enable(show_script: bool = True):
    """Register and enable the offline renderer; display the bundle's script (once per notebook)."""
    import altair as alt

    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _render)
    alt.renderers.enable(RENDERER)
    if show_script:
        from IPython.display import HTML, display

        display(HTML(script_html()))
