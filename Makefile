# Two commands, both from a fresh clone: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: install demo test lint style docs bare

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python .ci/install.py $(VENV) test,hub,baseline
	touch $@

install: $(BIN)/.installed

# Builds a throw-away competition and runs it end to end. ARGS="--data ../shared/xtreme-sample"
demo: install
	$(BIN)/podium demo $(ARGS)

lint: style
	$(BIN)/mypy

# The lint steps that take a second (ruff, the import contracts); mypy takes about 21 s.
style: install
	$(BIN)/ruff check src tests benchmarks examples docs/hooks
	$(BIN)/ruff format --check src tests benchmarks examples docs/hooks
	$(BIN)/lint-imports

# The documentation site (mkdocs.yml, docs/), strict and offline, into the ignored build/site.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

# A bare install (no extras) in a fresh venv runs init to demo and serves, importing no module
# of an extra (.ci/bare_install.py, about 2 minutes; uv installs when there is one). `make
# test` runs it beside the SQLite phase and fails if it fails (its output: build/bare.log).
bare:
	$(PYTHON) .ci/bare_install.py

# Every test on SQLite, then every test that opens a store (the `store` mark) on a throw-away
# PostgreSQL cluster (tests/postgres.py; needs initdb from the postgresql package), each on
# $(WORKERS) and $(PG_WORKERS) processes (pytest-xdist; the PostgreSQL phase waits on the
# database more than on the two cores). Side by side, the two phases took 19 minutes against
# 13 one after the other: the cores are busier than the tests' CPU time shows (the database
# server's own time is not counted), and load stretches every test.
# `--dist worksteal`: each process takes a contiguous part of the run, the longest tests dealt
# in turn to the parts' fronts (tests/conftest.py), and an idle one takes half of another's
# rest (`--dist load` had handed one process every long test).
# mypy and the bare install run beside the SQLite phase and fail the run if they fail (their
# output: build/mypy.log, build/bare.log): CI's whole run has 12 minutes.
WORKERS ?= 2
PG_WORKERS ?= 3
test: style docs
	@mkdir -p build
	$(BIN)/mypy > build/mypy.log 2>&1 & types=$$!; \
	$(PYTHON) .ci/bare_install.py > build/bare.log 2>&1 & bare=$$!; \
	$(BIN)/pytest -q -n $(WORKERS) --dist worksteal --durations=25; tests=$$?; \
	if wait $$types; then tail -1 build/mypy.log; else cat build/mypy.log; exit 1; fi; \
	if wait $$bare; then tail -1 build/bare.log; else cat build/bare.log; exit 1; fi; \
	exit $$tests
	PODIUM_TEST_STORE=postgresql $(BIN)/pytest -q -n $(PG_WORKERS) --dist worksteal -m store --durations=15
