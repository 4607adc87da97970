"""The imports between fangyi's modules, as grimp reads them: every import statement of every
module, those inside functions too, in the package as the wheel lays it out (pyproject's
packages and package-dir: ingest/ is fangyi.ingest, db/ fangyi.db, checks/ fangyi.checks).

- No circle: no module imports itself back through others.
- Layers: fangyi.ingest -> fangyi.db -> fangyi.checks -> fangyi.site. The site is built on the
  data and the checks, never the reverse: no module of fangyi.ingest, fangyi.db or
  fangyi.checks imports fangyi.site, directly or through any other module."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = "fangyi.site"
BELOW_SITE = ("fangyi.ingest", "fangyi.db", "fangyi.checks")

# Run in a fresh interpreter: grimp finds a package through the import system, and in this one
# `fangyi` is the editable install, whose fangyi/ folder holds neither ingest nor db nor checks.
GRAPH = """
import json, sys
import grimp

sys.path.insert(0, sys.argv[1])
graph = grimp.build_graph("fangyi", cache_dir=None)
edges = []
for importer in sorted(graph.modules):
    for imported in sorted(graph.find_modules_directly_imported_by(importer)):
        line = graph.get_import_details(importer=importer, imported=imported)
        edges.append([importer, imported, line[0]["line_number"] if line else None])
layers = [sys.argv[2], grimp.Layer(*sys.argv[3:], independent=False)]
illegal = [{"from": dep.importer, "to": dep.imported,
            "routes": [[sorted(r.heads), list(r.middle), sorted(r.tails)] for r in dep.routes]}
           for dep in graph.find_illegal_dependencies_for_layers(layers=layers)]
# a circle: an arrow a -> b and a chain back from b to a
circles = [[a, b, graph.find_shortest_chain(importer=b, imported=a)] for a, b, _ in edges
           if a != b and graph.chain_exists(importer=b, imported=a)]
print(json.dumps({"modules": sorted(graph.modules), "edges": edges, "illegal": illegal, "circles": circles}))
"""


def _wheel_layout(out: Path) -> Path:
    """The .py files of every package pyproject names, where the wheel puts them, under out."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = setuptools["package-dir"]
    for package in setuptools["packages"]:
        parent = package
        while parent not in folders:
            parent = parent.rsplit(".", 1)[0]
        source = ROOT / folders[parent] / Path(*package.split(".")[len(parent.split(".")):])
        target = out.joinpath(*package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for module in source.glob("*.py"):
            shutil.copyfile(module, target / module.name)
    return out


@pytest.fixture(scope="module")
def graph(tmp_path_factory) -> dict:
    layout = _wheel_layout(tmp_path_factory.mktemp("layout"))
    out = subprocess.run([sys.executable, "-c", GRAPH, str(layout), SITE, *BELOW_SITE], cwd=layout,
                         capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    modules = set(data["modules"])
    # the graph is the whole package: a layer missing from it would make its test pass by default
    for package in (SITE, *BELOW_SITE):
        assert package in modules, package
    assert {"fangyi.site.plugin", "fangyi.site.query_page", "fangyi.site.params", "fangyi.cli"} <= modules
    return data


def test_no_import_circle(graph):
    lines = {(a, b): line for a, b, line in graph["edges"]}
    problems = [f"{a} -> {b} (line {lines[a, b]}), and back: {' -> '.join(back)}" for a, b, back in graph["circles"]]
    assert not problems, "\n".join(problems)


def test_imports_inside_functions_are_in_the_graph(graph):
    """serve.py imports opendata inside make_datasette, check runs import GX inside run_checks:
    both arrows are in the graph, so a circle closed by such an import would be found
    (site_plugin.py and query_page.py once imported each other that way)."""
    edges = [e[:2] for e in graph["edges"]]
    assert ["fangyi.site.serve", "fangyi.site.opendata"] in edges
    assert ["fangyi.checks.run", "fangyi.checks.gx"] in edges


def test_ingest_db_and_checks_never_import_the_site(graph):
    assert not graph["illegal"], json.dumps(graph["illegal"], indent=1)
