"""The schema: created on connect, views renewed in older databases."""
from __future__ import annotations


def test_views_are_renewed_in_an_older_database(tmp_path):
    """A database whose views were made by an older version gets the current definitions."""
    from fangyi import db

    path = tmp_path / "w.db"
    conn = db.connect(path)
    conn.executescript("DROP VIEW calendar; CREATE VIEW calendar AS SELECT 'old' AS day;")
    conn.close()
    conn = db.connect(path)
    assert "iso_week" in [c[1] for c in conn.execute("PRAGMA table_info(calendar)")]


def test_calendar_iso_weeks_across_year_ends(tmp_path):
    import datetime as dt

    from fangyi import db

    conn = db.connect(tmp_path / "w.db")
    conn.executemany("INSERT INTO workbench_settings (key, value) VALUES (?, ?)",
                     [("period_start", "2020-12-20"), ("period_end", "2027-01-10")])
    rows = conn.execute("SELECT day, iso_week FROM calendar").fetchall()
    assert len(rows) == (dt.date(2027, 1, 10) - dt.date(2020, 12, 20)).days + 1
    for day, week in rows:
        year, number, _ = dt.date.fromisoformat(day).isocalendar()
        assert week == f"{year}-W{number:02d}", day
