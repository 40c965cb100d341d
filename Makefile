# YTEMPIRE analytics warehouse. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OPS    := $(BIN)/ytempire-ops
STAMP  := $(VENV)/.installed
# make bench: scale 1, 90 days, 3 runs; more options after them, e.g. BENCH_ARGS="--scale 0.1 --days 7"
BENCH_SCALE ?= 1
BENCH_DAYS  ?= 90
BENCH_RUNS  ?= 3
BENCH_ARGS  ?=
# make bench-curve: the same figures at several scales, fitted and plotted (docs/scale_curve.svg)
CURVE_SCALES ?= 0.25,0.5,1,2
CURVE_ARGS   ?=
# make test runs the test modules in this many processes (pytest-xdist), each with its own stack
TEST_WORKERS ?= 3

.PHONY: help install timescaledb alerting demo test test-fast test-shuffled lint pytest clean down bench bench-curve

help:
	@echo "make demo         local stack + small dataset + dbt build + summary"
	@echo "make test         ruff, pytest (throwaway stack: stack, generator, sqlfluff lint, dbt build)"
	@echo "make test-fast    ruff and the tests that need no PostgreSQL or Redis (pytest -m 'not stack')"
	@echo "make test-shuffled  pytest in a random order (SEED=n replays one; the seed is printed)"
	@echo "make timescaledb  build and install TimescaleDB (Apache-2) for PostgreSQL 15 if missing"
	@echo "make alerting     install Prometheus Alertmanager, Pushgateway and promtool from Debian if missing"
	@echo "make lint         ruff + sqlfluff against the local stack"
	@echo "make bench        benchmarks on a throwaway stack (scale 1, 90 days, 3 runs: over an hour);"
	@echo "                  BENCH_ARGS=\"--scale 0.1 --days 7\" to change it; figures in docs/benchmarks.md"
	@echo "make bench-curve  the costs at scales 0.25, 0.5, 1 and 2 (CURVE_SCALES), fitted, plotted and"
	@echo "                  extrapolated to 1,000 channels and 10 M rows a day (about an hour; 45 GB of /tmp)"
	@echo "make down         stop the local stack"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Builds TimescaleDB only when it is missing; without root it says so and the
# project runs on plain PostgreSQL (hypertables are skipped with a warning).
timescaledb:
	@bash scripts/install_timescaledb.sh || echo "make: continuing without TimescaleDB (see the message above)"

# Alertmanager, Pushgateway and promtool from Debian when missing; without them the stack runs without alerting.
alerting:
	@bash scripts/install_alerting.sh || echo "make: continuing without Alertmanager/Pushgateway (see the message above)"

demo: install timescaledb alerting
	$(OPS) demo

test: install timescaledb alerting
	$(BIN)/ruff check ytempire_ops tests scripts benchmarks
	$(BIN)/ruff format --check ytempire_ops tests scripts benchmarks
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# The tier without the stack: what can be checked in a couple of minutes (pytest markers, conftest.py).
test-fast: install
	$(BIN)/ruff check ytempire_ops tests scripts benchmarks
	$(BIN)/ruff format --check ytempire_ops tests scripts benchmarks
	$(BIN)/python -m pytest -m "not stack"

# The same suite in a random order: no test depends on what another left behind.
SEED ?= random
test-shuffled: install timescaledb
	$(BIN)/python -m pytest -p randomly --randomly-seed=$(SEED) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check ytempire_ops tests scripts benchmarks
	eval "$$($(OPS) local env)" && $(BIN)/sqlfluff lint models tests/singular analyses snapshots

down: install
	$(OPS) local down

# Benchmarks print numbers and assert nothing about time (docs/benchmarks.md).
bench: install timescaledb
	$(BIN)/python benchmarks/bench.py --scale $(BENCH_SCALE) --days $(BENCH_DAYS) --runs $(BENCH_RUNS) $(BENCH_ARGS)

bench-curve: install timescaledb
	$(BIN)/python benchmarks/scale_curve.py --scales $(CURVE_SCALES) $(CURVE_ARGS)

clean:
	-$(OPS) local down --purge
	rm -rf target logs .ytempire
