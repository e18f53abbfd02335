# Relais — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/relais
PYTEST_WORKERS ?= 2

.PHONY: install run test test-sqlite test-postgres lint bench clean services

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	scripts/test-services.sh --ldap-headers
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic,ldap]'
	@touch $(STAMP)

install: $(STAMP)
	$(BIN)/relais compiletranslations

run: install
	$(BIN)/relais run

services:
	scripts/test-services.sh

test: install services test-sqlite test-postgres

test-sqlite: install
	RELAIS_TESTING=1 $(BIN)/pytest -n $(PYTEST_WORKERS)

test-postgres: install
	@scripts/test-services.sh --postgres-available; rc=$$?; \
	if [ $$rc -eq 0 ]; then \
	  echo "== PostgreSQL run =="; \
	  RELAIS_TESTING=1 DATABASE_URL=$${DATABASE_URL_TEST:-$(PG_TEST_URL)} $(BIN)/pytest -n $(PYTEST_WORKERS) || exit 1; \
	elif [ $$rc -eq 2 ]; then \
	  exit 1; \
	else \
	  echo "PostgreSQL is not reachable: PostgreSQL run skipped (it is mandatory when CI=true)."; \
	fi

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	RELAIS_TESTING=1 $(BIN)/relais makemigrations --check --dry-run
	RELAIS_TESTING=1 $(BIN)/relais check --fail-level WARNING
	$(BIN)/python scripts/static_bans.py

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache test-artifacts src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
