# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
SYSTEM_PACKAGES := poppler-utils zbar-tools qpdf libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install system-deps lint test-embedded test-production migrate seed clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

## System libraries WeasyPrint needs and the PDF tools the tests use (Debian packages).
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed

run: system-deps install migrate
	$(FLASK) demo
	$(BIN)/python -m webapp.devserver

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy workflows certificates webapp worker.py
	$(BIN)/lint-imports

test-embedded: install
	@echo "== embedded runtime: SQLite + file transport =="
	CDHT_TEST_RUNTIME=embedded $(BIN)/pytest -q

test-production: install
	@if [ "$$CI" = "true" ] || $(BIN)/python -m tests.services_up; then \
	  echo "== production runtime: PostgreSQL + Redis =="; \
	  CDHT_TEST_RUNTIME=production $(BIN)/pytest -q; \
	else echo "PostgreSQL or Redis not reachable: production run skipped (required under CI=true)"; fi

test: system-deps install lint test-embedded test-production

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
