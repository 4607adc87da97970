"""The inspectors' site: `fangyi serve` (Datasette 0.65) and what it serves.

serve.py builds the site (the full database for the inspector, its open copy for everyone);
opendata.py builds the open copy; plugin.py is the Datasette plugin (the `datasette` entry point
`fangyi`) and holds only its hooks, which hand over to params.py (SQL functions: forgiving
parameters, labels), exports.py (.xlsx and .csvbom), home.py (the home page), cache.py (the
response cache), paging.py (every table and view page in a total order, with serve.py's
ServedDatabase), actors.py (the inspector, which database is which), query_page.py (the
canned queries' pages, which read their parameters with params.py), login.py (the inspector's
login and logout pages, sessions and throttling) and surface.py (the gate in front of the site:
methods, the /-/ pages, SQL on the open copy); datadocs.py serves GX's Data Docs offline;
charts.py is the notebooks' offline charts; templates/ and static/ are the site's Jinja
templates and vendored files. Every import points one way: plugin -> query_page -> params;
plugin -> home -> actors; plugin -> exports, cache, paging; plugin -> surface -> login ->
actors; cache, exports, serve -> login; serve -> paging (tests/test_import_graph.py)."""
