# Two commands: `make run` (embedded SQLite + filesystem broker, or PostgreSQL/Redis
# when DATABASE_URL/CELERY_BROKER_URL are set) and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stamps: the runtime lock (make run) and the runtime + dev lock (make test).
INSTALLED := $(VENV)/.installed-base
INSTALLED_DEV := $(VENV)/.installed-dev
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes --no-deps
PIP_VERSION := 26.3

# Tests run against the local PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/uploads
TEST_REDIS_URL ?= redis://127.0.0.1:6379
TEST_BROKER_URL ?= $(TEST_REDIS_URL)/15
TEST_CACHE_URL ?= $(TEST_REDIS_URL)/14

.PHONY: run test lint bench deps dev-deps js-deps client-deps lock system-deps clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check pip==$(PIP_VERSION) > $(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }

# Every package, transitive ones included, at the version and hash of the lock.
$(INSTALLED): requirements/base.txt | $(BIN)/python
	@echo "Installing the runtime lock into $(VENV) (log: $(VENV)/pip.log)"
	@$(PIP) -r requirements/base.txt > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -c "import django, celery, rest_framework"
	@touch $@

$(INSTALLED_DEV): requirements/dev.txt $(INSTALLED)
	@echo "Installing the dev lock into $(VENV) (log: $(VENV)/pip.log)"
	@$(PIP) -r requirements/dev.txt > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -c "import pytest, pytest_django"
	@touch $@

deps: $(INSTALLED)

dev-deps: $(INSTALLED_DEV)

# Regenerate both locks from pyproject.toml with uv's resolver (registry only, hashed).
# The runtime lock is constrained by the dev lock, so the two agree on every version.
lock: $(INSTALLED_DEV)
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--no-emit-index-url -o requirements/dev.txt
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 --generate-hashes \
		--no-emit-index-url -c requirements/dev.txt -o requirements/base.txt

system-deps:
	@scripts/system-deps.sh

# The tus clients the tests drive (tus-js-client, Uppy): exactly the committed lock, from the npm registry.
JS_DIR := testing/js
$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@npm ci --prefix $(JS_DIR) --no-audit --no-fund --loglevel=error > /dev/null
	@touch $@

js-deps: $(JS_DIR)/node_modules/.installed

# npm packages of the client tests (generated SDKs, Uppy), exactly as clients/package-lock.json says.
CLIENT_DEPS := clients/node_modules/.installed
$(CLIENT_DEPS): clients/package-lock.json clients/package.json
	@echo "Installing clients/package-lock.json into clients/node_modules (log: clients/npm.log)"
	@cd clients && npm ci --no-audit --no-fund > npm.log 2>&1 || { cat npm.log; exit 1; }
	@touch $@

client-deps: $(CLIENT_DEPS)

# A developer's machine: DEBUG on (the settings default to off). `make run DJANGO_DEBUG=false`
# runs as production would, and then needs DJANGO_SECRET_KEY.
run: export DJANGO_DEBUG ?= true
run: $(INSTALLED)
	@$(BIN)/python manage.py migrate --no-input -v0
	@$(BIN)/python manage.py collectstatic --no-input -v0
	@$(BIN)/python manage.py ensure_superuser
	@$(BIN)/python manage.py serve

lint: $(INSTALLED_DEV)
	$(BIN)/ruff check .

test: $(INSTALLED_DEV) system-deps js-deps $(CLIENT_DEPS)
	@$(BIN)/python scripts/check_services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)
	$(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
	REDIS_CACHE_URL=$(TEST_CACHE_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks on loopback (own database uploads_bench, Redis db 12), < 10 min on 2 cores;
# prints Markdown tables and records them in bench/README.md. BENCH_ARGS adds flags.
bench: $(INSTALLED_DEV)
	@$(BIN)/python scripts/check_services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)
	$(BIN)/python -m bench.run --write-readme $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var clients/node_modules
