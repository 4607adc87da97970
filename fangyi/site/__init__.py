"""The inspectors' site: `fangyi serve` (Datasette 0.65) and what it serves.

serve.py builds the site (the full database for the inspector, its open copy for everyone);
opendata.py builds the open copy; plugin.py is the Datasette plugin (the `datasette` entry point
`fangyi`); query_page.py renders the canned queries' pages; datadocs.py serves GX's Data Docs
offline; charts.py is the notebooks' offline charts; templates/ and static/ are the site's Jinja
templates and vendored files."""
