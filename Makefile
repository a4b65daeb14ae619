# Guichet — the README's commands. `make run` installs and serves with demo data on SQLite;
# `make test` installs the development tools and runs the whole suite on SQLite and PostgreSQL.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second test run; pytest-django creates (and drops) test_<name> on it.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/guichet
TEST_ENV := GUICHET_VAR_DIR=$(CURDIR)/var/test SECRET_KEY=test-only-not-secret GUICHET_TASKS_BACKEND=database
PYTEST_ARGS ?=

.PHONY: run install dev frontend test test-sqlite test-postgres lint format messages bench clean

run: install frontend
	$(BIN)/guichet init
	$(BIN)/guichet serve --host $(HOST) --port $(PORT)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .

dev: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,redis]"

# Front-end libraries from the npm registry, exactly as package-lock.json pins them.
frontend: node_modules/.package-lock.json
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

lint: dev
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/ruff format --check src tests $(wildcard benchmarks)
	mkdir -p var/test
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

test: dev frontend lint test-sqlite test-postgres

test-sqlite: dev frontend
	$(TEST_ENV) $(BIN)/pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: dev frontend
	$(TEST_ENV) DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

format: dev
	$(BIN)/ruff check --fix src tests $(wildcard benchmarks)
	$(BIN)/ruff format src tests $(wildcard benchmarks)

# Every folder of src/guichet with a locale/ keeps its own catalogue (Django loads each installed
# app's locale/); src/guichet/locale is the project's, for templates/ and config/. A folder's run
# leaves out its sub-folders that keep their own catalogue (the project's run: every app folder).
# Run without settings: with LOCALE_PATHS set, makemessages would put every string in the project's.
# Then every catalogue is compiled; the .mo files are committed (gettext may be missing at install).
messages: dev
	@set -e; for dir in $$(find src/guichet -type d -name locale -not -path '*/locale/*' | sed 's|/locale$$||' | sort); do \
	  if [ "$$dir" = src/guichet ]; then \
	    skip=$$(cd $$dir && find . -mindepth 1 -maxdepth 1 -type d ! -name templates ! -name config ! -name locale); \
	  else \
	    skip=$$(cd $$dir && find . -mindepth 2 -type d -name locale -not -path '*/locale/*' | sed 's|/locale$$||'); \
	  fi; \
	  echo "makemessages in $$dir"; \
	  (cd $$dir && env -u DJANGO_SETTINGS_MODULE $(CURDIR)/$(BIN)/django-admin makemessages -l fr -l en --no-obsolete \
	    $$(for s in $$skip; do printf -- '--ignore=%s/* ' "$${s#./}"; done) >/dev/null); \
	done
	cd src/guichet && env -u DJANGO_SETTINGS_MODULE $(CURDIR)/$(BIN)/django-admin compilemessages

bench: dev
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) node_modules var/static var/test
