"""Each check keeps its own colour on the dashboards (datasette-dashboards, Vega-Lite charts).

Vega-Lite's default categorical scheme has 10 colours and gives them out in the order the labels
appear in a chart's data, so with 30-odd checks 漏報 and 先銷售後進貨 came out the same blue, and a
check's colour changed from one chart (or one filter) to the next. Every chart coloured by check
(its colour field is check_label or check_id) gets a fixed scale when the site is built
(fangyi.site.serve.site_metadata): the checks of the registry in their order, each with its
own colour of PALETTE. A chart whose SQL names some checks (`'cert_missing', ...`) lists only
those in its legend, with the same colours."""
from __future__ import annotations

import colorsys
import re

# Tableau 20 (dark shades first, then the light ones), then d3's category20b: 40 distinct colours
PALETTE = (
    "#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2", "#b79a20", "#439894", "#d67195", "#9e765f",
    "#79706e", "#9ecae9", "#ffbf79", "#88d27a", "#ff9d98", "#d6a5c9", "#f2cf5b", "#83bcb6", "#fcbfd2",
    "#d8b5a5", "#bab0ac",
    "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#5254a3", "#8ca252", "#bd9e39", "#ad494a",
    "#a55194", "#6b6ecf", "#b5cf6b", "#e7ba52", "#d6616b", "#ce6dbd", "#9c9ede", "#cedb9c", "#e7cb94",
    "#e7969c", "#de9ed6",
)
CHECK_FIELDS = ("check_label", "check_id")     # a chart coloured by one of these is coloured by check
# the first colours (blue, orange) go to these, as 漏報 and 遲報 on the chart of missed and late
# reports (metadata.yml's missed-late says so in its scale); the others follow in registry order
FIRST = ("missing_report", "late_report")


def colours(n: int) -> list[str]:
    """n distinct colours: PALETTE, then hues spaced by the golden angle."""
    out = list(PALETTE[:n])
    i = 0
    while len(out) < n:
        i += 1
        r, g, b = colorsys.hls_to_rgb((i * 0.618033988749895) % 1, 0.35 + 0.2 * (i % 3), 0.65)
        colour = "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))
        if colour not in out:
            out.append(colour)
    return out


LONG_LEGEND = 12      # more entries than this: below the chart, in two columns


def legend(n: int) -> dict:
    """A legend showing all n entries (Vega's default stops at 30 and the chart's height cut it
    at about 25); a long one below the chart in two columns."""
    if n <= LONG_LEGEND:
        return {"symbolLimit": n}
    return {"symbolLimit": n, "orient": "bottom", "direction": "vertical", "columns": 2, "labelLimit": 190}


def check_colours(by: str = "check_label") -> dict[str, str]:
    """{check label (or id): its colour}, every check of the registry, in its order."""
    from fangyi.site.opendata import check_labels

    labels = check_labels()
    ids = [i for i in FIRST if i in labels] + [i for i in labels if i not in FIRST]
    keys = [labels[i] for i in ids] if by == "check_label" else ids
    return dict(zip(keys, colours(len(keys))))


def fix_check_colours(dashboards: dict) -> None:
    """Give every chart of the dashboards (metadata.yml's datasette-dashboards) that is coloured
    by check a fixed scale, in place; a scale written in metadata.yml stays as written."""
    from fangyi.site.opendata import check_labels

    ids = check_labels()
    for dashboard in (dashboards or {}).values():
        for chart in ((dashboard or {}).get("charts") or {}).values():
            color = ((chart.get("display") or {}).get("encoding") or {}).get("color")
            if not isinstance(color, dict) or color.get("field") not in CHECK_FIELDS or "scale" in color:
                continue
            mapping = check_colours(color["field"])
            named = [i for i in ids if re.search(rf"'{re.escape(i)}'", chart.get("query") or "")]
            if named:
                wanted = {ids[i] if color["field"] == "check_label" else i for i in named}
                mapping = {k: v for k, v in mapping.items() if k in wanted}
            color["scale"] = {"domain": list(mapping), "range": list(mapping.values())}
            if color.get("legend", {}) is not None:          # legend: null stays without one
                color["legend"] = {**legend(len(mapping)), **(color.get("legend") or {})}
