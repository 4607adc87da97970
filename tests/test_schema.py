"""The schema: created on connect, views renewed in older databases."""
from __future__ import annotations


def test_views_are_renewed_in_an_older_database(tmp_path):
    """A database whose views were made by an older version gets the current definitions."""
    import db

    path = tmp_path / "w.db"
    conn = db.connect(path)
    conn.executescript("DROP VIEW calendar; CREATE VIEW calendar AS SELECT 'old' AS day;")
    conn.close()
    conn = db.connect(path)
    assert "iso_week" in [c[1] for c in conn.execute("PRAGMA table_info(calendar)")]
