# mamoru: `make run` serves the plan on http://127.0.0.1:8000 with embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PUBLIC_PORT ?= 8080
STAFF_PORT ?= 8081
# The suite runs on every core (pytest-xdist, 2 workers on these 2-core machines). Measured 2026-12-03
# with other work on the machine (load average 6-22): 57 minutes of pytest for h3-suite, 108 for main
# (211474e, a clean-clone CI run over the same hour); CPU time 28 and 40 minutes. It depends on the load.
# loadgroup: the tests of one xdist_group run on one worker (tests/e2e/conftest.py puts every test
# of the shared production layout in one, so it starts once, and first); the other tests are handed
# out one by one, in collection order (--no-loadscope-reorder).
PYTEST_ARGS ?= -n auto --dist loadgroup --no-loadscope-reorder

.PHONY: run run-production test install install-test serve setup lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

# The suite runs on exactly what requirements.lock pins (with hashes; scripts/lock.sh regenerates it):
# a dependency's new release cannot change what the tests run on (tests/unit/test_lock.py).
$(VENV)/.installed-test: $(VENV)/.installed requirements.lock
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

setup: install
	$(BIN)/mamoru setup

run: setup
	$(BIN)/mamoru run --host $(HOST) --port $(PORT)

# The production layout on one machine, from deploy/ (docs/deploy-postgresql.md): MAMORU_DATABASE_URL
# names the PostgreSQL database's owner; every role runs as its own process and database user, with
# the worker, behind nginx (public listener PUBLIC_PORT, staff listener STAFF_PORT). Ctrl-C stops it.
run-production: install
	$(BIN)/python scripts/run_production.py --host $(HOST) --public-port $(PUBLIC_PORT) --staff-port $(STAFF_PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests fuzz
	$(BIN)/mypy

docs: install
	$(BIN)/python -m mamoru.devtools.clidoc > docs/cli.md
	$(BIN)/python -m mamoru.devtools.settingsdoc > docs/settings.md

clean:
	rm -rf $(VENV) var .pytest_cache
