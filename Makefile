# Two targets a newcomer needs: `make demo` and `make test`. Both install what they need first.
# `make test` is the whole gate: lint, format and type checks (`make check`), then the suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Two processes: the whole suite in about 10 minutes on SQLite and 15 on PostgreSQL (the multi-node
# test bed, the browser test and the mirror included), measured with both running at once on 2 cores.
PYTEST_ARGS ?= -n 2

.PHONY: demo check test test-postgres testbed install clean

# Quiet: pip says nothing but errors (-qq), and make does not echo the commands.
PIP = $(BIN)/pip install -qq --disable-pip-version-check

$(BIN)/.installed: pyproject.toml examples/frontend/pyproject.toml
	@echo "Installing Gazette and what it needs into $(VENV) (a minute or two, the first time)..."
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip
	@$(PIP) -e ".[test]" -e examples/frontend
	@touch $@

install: $(BIN)/.installed

# The demo's webhooks may reach receivers on this machine (docs/webhooks.md#destinations).
demo: $(BIN)/.installed  ## Serve the demo on SQLite at http://127.0.0.1:8000 (the command: .venv/bin/gazette)
	@test -e .env || printf '%s\n' "# Written by make demo: the gazette command finds this database from anywhere below here." \
		"GAZETTE_DATABASE_URL=sqlite:///gazette.db" > .env
	@GAZETTE_WEBHOOK_ALLOWED_NETWORKS="$${GAZETTE_WEBHOOK_ALLOWED_NETWORKS-127.0.0.0/8,::1/128}" $(BIN)/gazette serve --demo

check: $(BIN)/.installed  ## ruff (lint and format) over app, tests, bench and examples; mypy over app and the example front end
	$(BIN)/ruff check app tests bench examples
	$(BIN)/ruff format --check app tests bench examples
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/frontend/gazette_frontend

test: check  ## The checks, then the whole suite (SQLite; set GAZETTE_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: check
	GAZETTE_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(PYTEST_ARGS)

testbed: $(BIN)/.installed  ## Many nodes behind Varnish on this machine (PostgreSQL primary and replica, Redis), until Ctrl-C
	$(BIN)/python -m tests.support.testbed

clean:
	rm -rf $(VENV) gazette.db gazette.db-* .pytest_cache .mypy_cache .ruff_cache
