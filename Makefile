# mamoru: `make run` serves the plan on http://127.0.0.1:8000 with embedded SQLite; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on every core (pytest-xdist): on these 2-core machines 9.5 minutes instead of 15.
PYTEST_ARGS ?= -n auto

.PHONY: run test install install-test serve setup lint docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

setup: install
	$(BIN)/mamoru setup

run: setup
	$(BIN)/mamoru run --host $(HOST) --port $(PORT)

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
