# Tokenboard: `make run` serves the demo, `make test` runs the suite. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The first Python 3.12+ found: $PYTHON, the version in .python-version, python3.13/3.12 on
# PATH, then pyenv's installs. pyenv shims answer even when the version is not active, so
# each candidate is run to prove it works.
define find_python
for c in "$$PYTHON" "python$$(cat .python-version 2>/dev/null)" python3.13 python3.12 \
    $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV) python3; do \
  [ -n "$$c" ] && "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$c"; exit 0; }; \
done; exit 1
endef

.PHONY: help install run test bench lint check clean

help:
	@echo "make run      set up, load demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test     set up, run make lint, then the test suite (SQLite, or DATABASE_URL/REDIS_URL)"
	@echo "make install  create .venv and install the locked dependencies"
	@echo "make bench    run the benchmarks"
	@echo "make lint     what make test checks before pytest: ruff, Django's checks and"
	@echo "              makemigrations --check, import contracts (import-linter), mypy"

$(VENV)/.installed: requirements.lock
	@python=$$($(find_python)) || { \
	  echo "Tokenboard needs Python 3.12 or newer (3.13 recommended) and found none."; \
	  echo "Install one, e.g. 'pyenv install 3.13' or your system's python3.13 package,"; \
	  echo "or point PYTHON at it: make install PYTHON=/path/to/python3.13"; exit 1; }; \
	echo "Using $$python ($$($$python --version))"; \
	[ -x $(PY) ] || $$python -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@touch $@

install: $(VENV)/.installed

run: install
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	@echo
	@echo "Tokenboard demo: open http://127.0.0.1:$(PORT)/ and pick any demo person to sign in as."
	@echo
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The checks load the settings with DEBUG off (as deployed), which refuses the development key.
CHECK_SECRET_KEY ?= tokenboard-checks-only-key-7c2e9a41d05b4f3e8a6d1c9b0e2f4a7d
CHECK_ENV := SECRET_KEY=$(CHECK_SECRET_KEY)

test: lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks (tests/bench/) build their own data in a PostgreSQL database of their own; goals and
# past runs: tests/bench/RESULTS.md.
SCALE ?= quick
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tokenboard_bench
# gunicorn runs with DEBUG off, which refuses the development key; this one serves only the bench
BENCH_SECRET_KEY ?= tokenboard-benchmark-only-key-b1f0c3e2a9d84c7f96e5a4b3c2d1e0f9
export BENCH_SECRET_KEY
# DB_STATEMENT_TIMEOUT=0: no statement limit for the bench's own bulk writes (a million-fact
# merge runs past the 10 s default)
bench: install
	@command -v wrk >/dev/null || { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	@mkdir -p var
	@psql "$(BENCH_DATABASE_URL)" -qc "SELECT 1" >/dev/null 2>&1 || \
	  psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))" || \
	  { echo "make bench needs PostgreSQL at $(BENCH_DATABASE_URL)"; exit 1; }
	DEBUG=true DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v 0
	DEBUG=true DB_STATEMENT_TIMEOUT=0 DATABASE_URL=$(BENCH_DATABASE_URL) SECRET_KEY=$(BENCH_SECRET_KEY) $(PY) -m tests.bench --scale $(SCALE)

# Everything `make test` checks before pytest; the contracts are configured in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check --quiet .
	$(VENV)/bin/ruff format --check --quiet .
	$(CHECK_ENV) $(PY) manage.py check
	$(CHECK_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/lint-imports --no-logo
	$(CHECK_ENV) $(VENV)/bin/mypy

clean:
	rm -rf $(VENV) db.sqlite3 var .pytest_cache .mypy_cache .import_linter_cache
