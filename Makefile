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

# Every test on SQLite, and every test that opens a store (the `store` mark) on a throw-away
# PostgreSQL cluster (tests/postgres.py; needs initdb from the postgresql package), each on
# $(WORKERS) and $(PG_WORKERS) processes (pytest-xdist; the PostgreSQL phase waits on the
# database more than on the two cores). The PostgreSQL phase, mypy and the bare install run
# beside the SQLite phase in a cgroup marked `cpu.idle` (.ci/beside.py): they take the cores
# when the SQLite phase leaves them idle (about a tenth of its time: waits on browsers,
# servers, schedules) and run at full speed once it ends. Where no such cgroup can be made,
# the PostgreSQL phase waits for the SQLite phase. (At the same priority, side by side, the two
# phases took 19 minutes against 12 one after the other: load stretches every test; `nice`
# does not help, each new session gets its own share.)
# `--dist worksteal`: each process takes a contiguous part of the run, the longest tests dealt
# in turn to the parts' fronts (tests/conftest.py), and an idle one takes half of another's
# rest (`--dist load` had handed one process every long test).
# What runs beside fails the run if it fails; its output: build/postgresql.log, build/mypy.log,
# build/bare.log (printed at the end). CI's whole run has 12 minutes.
WORKERS ?= 2
PG_WORKERS ?= 3
BESIDE := $(PYTHON) .ci/beside.py
test: style docs
	@mkdir -p build
	$(BIN)/pytest -q -n $(WORKERS) --dist worksteal --durations=25 & sqlite=$$!; \
	$(BESIDE) --after $$sqlite --else-now -- $(BIN)/mypy > build/mypy.log 2>&1 & types=$$!; \
	$(BESIDE) --after $$sqlite --else-now -- $(PYTHON) .ci/bare_install.py \
		> build/bare.log 2>&1 & bare=$$!; \
	PODIUM_TEST_STORE=postgresql $(BESIDE) --after $$sqlite -- $(BIN)/pytest -q \
		-n $(PG_WORKERS) --dist worksteal -m store --durations=15 -p no:cacheprovider \
		> build/postgresql.log 2>&1 & pg=$$!; \
	wait $$sqlite; failed=$$?; \
	if wait $$types; then tail -1 build/mypy.log; else cat build/mypy.log; failed=1; fi; \
	if wait $$bare; then tail -1 build/bare.log; else cat build/bare.log; failed=1; fi; \
	echo "--- PostgreSQL phase (build/postgresql.log)"; \
	if wait $$pg; then tail -20 build/postgresql.log; else cat build/postgresql.log; failed=1; fi; \
	exit $$failed
