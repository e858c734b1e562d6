# Two commands, both from a fresh clone: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install demo test lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,hub,baseline]'
	touch $@

install: $(BIN)/.installed

# Builds a throw-away competition and runs it end to end. ARGS="--data ../shared/xtreme-sample"
demo: install
	$(BIN)/podium demo $(ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/ruff format --check src tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports

# Every test on SQLite, then every test that opens a store (the `store` mark) on a throw-away
# PostgreSQL cluster (tests/postgres.py; needs initdb from the postgresql package).
test: lint
	$(BIN)/pytest -q
	PODIUM_TEST_STORE=postgresql $(BIN)/pytest -q -m store
