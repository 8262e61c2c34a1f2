# pigp — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test quality bench env migrate demo clean format totp

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment is (re)synced from the lock file whenever it changes.
$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --quiet
	touch $@

env: $(VENV)/.synced

migrate: env
	$(PY) manage.py migrate --noinput -v0

demo: migrate
	$(PY) manage.py demo

run: migrate
	@if [ ! -f var/.demo-loaded ]; then $(PY) manage.py demo && touch var/.demo-loaded; fi
	@bash scripts/run.sh $(HOST) $(PORT)

test: env
	$(VENV)/bin/pytest $(PYTEST_ARGS)

quality: env
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run -v1

format: env
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: env
	@set -e; for script in benchmarks/*.py; do \
		[ -e "$$script" ] || continue; \
		echo "== $$script"; $(PY) "$$script" $(BENCH_ARGS); \
	done

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache

totp: env
	@$(PY) manage.py demo_totp $(EMAIL)
