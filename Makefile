# fangyi: the two commands are `make demo` and `make test`; both set up .venv first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test fuzz bench lock clean

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

## Run the test suite
test: install
	$(BIN)/python -m pytest -q

## Fuzz the ingest: FUZZ_CASES malformed variants of the demo files (default 2000) and ten kill -9
## trials; prints the figures (not part of `make test`)
FUZZ_CASES ?= 2000
fuzz: install
	FUZZ_CASES=$(FUZZ_CASES) $(BIN)/python tests/fuzz.py --kill-trials 10

## Ingest benchmark (1,000,000 rows; needs the sqlite3 shell)
bench: install
	$(BIN)/python benchmarks/ingest.py --rows 1000000

## Re-pin exact versions after changing dependencies in pyproject.toml
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^fangyi' > requirements.lock

clean:
	rm -rf $(VENV) db/workbench.db* demo/data benchmarks/out
