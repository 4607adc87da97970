"""The fuzz suite in small (tests/fuzz.py; `make fuzz` runs 2,000 cases and ten kill -9 trials):
30 seeded malformed variants of the demo files, each ingested by `fangyi ingest` in its own
process, and two kill -9 trials during an ingest."""
from __future__ import annotations

import fuzz


def test_thirty_fuzz_cases(demo_data, tmp_path):
    out, _ = demo_data
    result = fuzz.fuzz(out, tmp_path, cases=30, seed=20210120, jobs=2)
    figures = result["figures"]
    details = [(o.case.source, o.case.mutations, o.problems, o.output[-2000:]) for o in result["problems"]]
    assert not details, details
    assert figures["cases"] == 30 and figures["loaded"] + figures["failed"] == 30
    assert figures["loaded"] and figures["failed"]            # both outcomes were exercised
    assert figures["peak memory MB"] < 1024


def test_kill_9_during_an_ingest(demo_data, tmp_path):
    out, _ = demo_data
    result = fuzz.kill_trials(out, tmp_path, trials=2, seed=7, rows=60_000)
    assert result["trials"] == 2
    assert (result["temporary files left"], result["reruns differing"], result["integrity failures"]) == (0, 0, 0), result
