# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app webapp
# What running needs (WeasyPrint's libraries), and what the tests add (PDF tools, the browser of tests/browser).
RUN_PACKAGES := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
TEST_PACKAGES := $(RUN_PACKAGES) poppler-utils zbar-tools qpdf chromium
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-test system-deps system-deps-test lint test-embedded test-production test-s3 migrate \
  seed clean messages apt

## `make run` installs what running needs; `make test` adds the test tools (pytest, linters, reportlab for the
## benchmarks, Playwright).
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## Installs, then compiles the Vietnamese message catalogue (.po in git → .mo, which git ignores); the app refuses to
## start without it.
install: $(BIN)/.installed
	$(BIN)/pybabel compile -d webapp/translations

## axe-core, the accessibility checker the browser tests run in each page they visit: fetched from the npm registry
## into .cache/ (not kept in the repository), when npm is there.
AXE_VERSION := 4.11.1
AXE := .cache/axe-core-$(AXE_VERSION)/axe.min.js
$(AXE):
	@if command -v npm >/dev/null; then \
	  rm -rf .cache/npm && mkdir -p .cache/npm $(dir $(AXE)) && cd .cache/npm && \
	  npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz && \
	  cp package/axe.min.js ../../$(AXE) && cd ../.. && rm -rf .cache/npm; \
	else echo "npm is missing: the browser tests skip their accessibility checks (required under CI=true)"; fi

install-test: install $(BIN)/.installed-test $(AXE)


## Re-extract the English message ids (python, templates, N_ labels of workflows/vocabulary.py) and merge them into
## the Vietnamese catalogue; new or changed ids come out empty or fuzzy for a translator (tests/webapp/test_i18n.py
## fails until they are translated following docs/glossary.md).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --add-location=file --sort-output -w 120 \
	  --project=CDHT -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations -l vi -w 120 --ignore-obsolete
	$(BIN)/pybabel compile -d webapp/translations --statistics

## Debian packages: WeasyPrint's libraries (system-deps), and with them the PDF tools the tests use and the browser
## of tests/browser (system-deps-test).
system-deps:
	@$(MAKE) -s --no-print-directory apt PACKAGES="$(RUN_PACKAGES)"

system-deps-test:
	@$(MAKE) -s --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"

apt:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
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

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy workflows certificates webapp worker.py
	$(BIN)/lint-imports
	$(BIN)/python tests/migration_rules.py

## The embedded run's own Redis database (a few of its tests use Redis): the production run flushes its own at start.
test-embedded: install-test
	@echo "== embedded runtime: SQLite + file transport =="
	CDHT_TEST_RUNTIME=embedded CDHT_TEST_REDIS=redis://127.0.0.1:6379/15 $(BIN)/pytest -q

test-production: install-test
	@if [ "$$CI" = "true" ] || $(BIN)/python -m tests.services_up; then \
	  echo "== production runtime: PostgreSQL + Redis (and RabbitMQ) =="; \
	  CDHT_TEST_RUNTIME=production $(BIN)/pytest -q; \
	else echo "PostgreSQL, Redis or RabbitMQ not reachable: production run skipped (required under CI=true)"; fi

## The whole suite with documents stored in S3 (moto's local server, started by the tests) instead of a folder; by
## hand, not part of `make test` (whose storage and integration tests run on S3 anyway, ADR 44).
test-s3: install-test
	@echo "== embedded runtime, S3 storage =="
	CDHT_TEST_RUNTIME=embedded CDHT_TEST_STORAGE=s3 $(BIN)/pytest -q

## The two runtimes' suites run side by side, one on each core (each prints its report when it ends).
test: system-deps-test install-test lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-embedded test-production

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
