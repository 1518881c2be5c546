# The two commands: `make run` (set up, run every suite, write reports) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench load clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# Every family (component, integration, end_to_end, performance = every load file's quick
# profile, security, migration) and the reports, as the run configuration selects (all six
# by default; docs/readiness.md).
run: $(STAMP)
	$(BIN)/prism-scenarios run

# The load files' own models (minutes each); `--profile soak` for the long ones.
load: $(STAMP)
	$(BIN)/prism-scenarios load scenarios/load/*.yaml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
