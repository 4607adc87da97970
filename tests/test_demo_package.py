"""fangyi.demo as a package: ``python -m fangyi.demo`` (its __main__) writes the same drop as
generate() and wires --seed and --clean through."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from fangyi import demo


def _sha256_tree(root) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_module_entry_point_matches_generate(tmp_path):
    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    done = subprocess.run([sys.executable, "-m", "fangyi.demo", str(cli_out), "--seed", "7", "--clean"],
                          capture_output=True, text=True, check=True)
    manifest = demo.generate(api_out, seed=7, clean=True)
    assert json.loads((cli_out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifest["seed"] == 7 and not any(manifest["defects"].values())
    assert _sha256_tree(cli_out) == _sha256_tree(api_out)
    assert all(f["path"] in done.stdout for f in manifest["files"])  # one line per file
