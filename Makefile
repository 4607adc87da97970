# fangyi: the two commands are `make demo` and `make test`; both set up .venv first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo lab report test fuzz bench bench-ingest sqlite3-shell lock clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Generate the demo district, ingest it into db/workbench.db and serve it at http://127.0.0.1:8001
demo: install
	$(BIN)/fangyi demo --db db/workbench.db --port 8001

## Open JupyterLab on notebooks/ with the demo database (built first if missing)
lab: install
	test -f db/workbench.db || $(BIN)/fangyi demo --no-serve --db db/workbench.db
	FANGYI_DB=$(CURDIR)/db/workbench.db $(BIN)/jupyter lab --notebook-dir=notebooks

## Execute the notebooks against the demo database and write report/*.html
report: install
	test -f db/workbench.db || $(BIN)/fangyi demo --no-serve --db db/workbench.db
	$(BIN)/fangyi report --db db/workbench.db --out report

## Run the test suite (installs Debian chromium, chromium-driver and a CJK font for the browser test when missing; root in CI)
test: install
	(command -v chromium && command -v chromedriver && fc-list :lang=zh | grep -q .) >/dev/null 2>&1 || \
	  (apt-get update && apt-get install -y chromium chromium-driver fonts-noto-cjk)
	$(BIN)/python -m pytest -q

## Province benchmark (scales 1 and 0.1: ingest, check, serve; results in benchmarks/README.md)
bench: install sqlite3-shell
	$(BIN)/python benchmarks/bench.py

## Fuzz the ingest: FUZZ_CASES malformed variants of the demo files (default 2000) and ten kill -9
## trials; prints the figures (not part of `make test`)
FUZZ_CASES ?= 2000
fuzz: install
	FUZZ_CASES=$(FUZZ_CASES) $(BIN)/python tests/fuzz.py --kill-trials 10

## Ingest benchmark (1,000,000 rows against sqlite3 .import and sqlite-utils)
bench-ingest: install sqlite3-shell
	$(BIN)/python benchmarks/ingest.py --rows 1000000

# The benchmarks' floor is the sqlite3 shell's .import (installed as root on Debian if missing)
sqlite3-shell:
	@command -v sqlite3 >/dev/null || (apt-get update -qq && apt-get install -y -qq sqlite3)

## Re-pin exact versions after changing dependencies in pyproject.toml
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^fangyi' > requirements.lock

clean:
	rm -rf $(VENV) db/workbench.db* demo/data benchmarks/out test-artifacts report
