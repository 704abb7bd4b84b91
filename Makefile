# Two commands: `make run` (embedded SQLite + filesystem broker, or PostgreSQL/Redis
# when DATABASE_URL/CELERY_BROKER_URL are set) and `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# Tests run against the local PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/uploads
TEST_REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: run test lint bench deps system-deps clean

$(INSTALLED): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip > $(VENV)/pip.log 2>&1 \
		|| { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python scripts/requirements.py --dev > $(VENV)/requirements.txt
	@echo "Installing the pinned dependencies into $(VENV) (log: $(VENV)/pip.log)"
	@$(BIN)/python -m pip install -q --disable-pip-version-check -r $(VENV)/requirements.txt -c constraints.txt \
		> $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -c "import django, celery, rest_framework"
	@touch $@

deps: $(INSTALLED)

system-deps:
	@scripts/system-deps.sh

run: $(INSTALLED)
	@$(BIN)/python manage.py migrate --no-input -v0
	@$(BIN)/python manage.py collectstatic --no-input -v0
	@$(BIN)/python manage.py ensure_superuser
	@$(BIN)/python manage.py serve

lint: $(INSTALLED)
	$(BIN)/ruff check .

test: $(INSTALLED) system-deps
	@$(BIN)/python scripts/check_services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)
	$(BIN)/ruff check .
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL)/15 \
	REDIS_CACHE_URL=$(TEST_REDIS_URL)/14 $(BIN)/pytest

# Benchmarks on loopback (own database uploads_bench, Redis db 12), < 10 min on 2 cores;
# prints Markdown tables and records them in bench/README.md. BENCH_ARGS adds flags.
bench: $(INSTALLED)
	@$(BIN)/python scripts/check_services.py $(TEST_DATABASE_URL) $(TEST_REDIS_URL)
	$(BIN)/python -m bench.run --write-readme $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
