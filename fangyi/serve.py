"""Serving the database with Datasette and the project's metadata.yml."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

METADATA = Path(__file__).parent / "metadata.yml"     # in a checkout, a link to the top-level file


def datasette_args(db_path: Path, port: int = 8001, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", str(db_path), "--metadata", str(METADATA),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000",
            "--setting", "facet_time_limit_ms", "1000"]


def serve(db_path: Path, port: int = 8001, host: str = "127.0.0.1") -> int:
    """Run Datasette in the foreground until interrupted; returns its exit code."""
    try:
        return subprocess.call(datasette_args(db_path, port, host))
    except KeyboardInterrupt:
        return 0
