# Two targets a newcomer needs: `make demo` and `make test`. Both install what they need first.
# `make test` is the whole gate: lint, format and type checks (`make check`), then the suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Two processes: the whole suite in about 5 minutes on SQLite and 7 on PostgreSQL (2 cores, checks included).
PYTEST_ARGS ?= -n 2

.PHONY: demo check test test-postgres install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

# The demo's webhooks may reach receivers on this machine (docs/webhooks.md#destinations).
demo: $(BIN)/.installed  ## Serve the demo on SQLite at http://127.0.0.1:8000
	GAZETTE_WEBHOOK_ALLOWED_NETWORKS="$${GAZETTE_WEBHOOK_ALLOWED_NETWORKS-127.0.0.0/8,::1/128}" $(BIN)/gazette serve --demo

check: $(BIN)/.installed  ## ruff (lint and format) over app, tests and bench; mypy over app
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy

test: check  ## The checks, then the whole suite (SQLite; set GAZETTE_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: check
	GAZETTE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) gazette.db gazette.db-* .pytest_cache .mypy_cache .ruff_cache
