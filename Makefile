# The two commands: `make run` (set up, run every suite, write reports) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The suite runs shuffled (pytest-randomly); CI uses this seed, `make test TEST_SEED=N` another.
TEST_SEED ?= 2511017080
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench load mutate clean

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

# Coverage starts before pytest loads the pytest11 plugin and follows every Python child
# (xdist workers, CLI subprocesses): [tool.coverage.run] in pyproject.toml. Gate: >= 90% for
# the store and for the runner, each on its own; reports/coverage.json keeps the figures.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/mypy
	$(BIN)/coverage erase
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage run -m pytest -q -n 2 \
		-p randomly --randomly-seed=$(TEST_SEED)
	$(BIN)/coverage combine -q
	@mkdir -p reports && $(BIN)/coverage json -q -o reports/coverage.json
	@printf 'coverage flatfile_chat: '; $(BIN)/coverage report --format=total \
		--include='flatfile_chat/*' --fail-under=90
	@printf 'coverage prism_scenarios: '; $(BIN)/coverage report --format=total \
		--include='prism_scenarios/*' --fail-under=90

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Mutation testing, a seeded sample (docs/mutation.md): one run scores the whole in-process
# suite against the store and the runner, and the scenario suites alone (each mutant's scenario
# tests run first) against the store. Every mutant:
# `make mutate MUTATE_ARGS="--sample 0"` (hours). Figures: reports/mutation/*.json.
mutate: $(STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python tools/mutation.py --suite all $(MUTATE_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) reports build/mutation .pytest_cache .ruff_cache .mypy_cache .coverage .coverage.*
