# Bazhong public resource trading platform. `make run` and `make test` do all set-up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(REQ_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# `make run` serves with DEBUG off (DEBUG=true to opt in), over plain HTTP, with secrets made once in var/.
LOCAL := bash scripts/local-env.sh
# Benchmarks run on the PostgreSQL server of DATABASE_URL (default: this machine's), each in a throwaway
# database of its own (bench/benchdb.py).
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres)

.PHONY: install system-packages messages run serve test lint bench bench-smoke clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

system-packages:
	@bash scripts/system-packages.sh

install: $(STAMP) system-packages

messages: install
	@$(BIN)/python manage.py compilemessages --ignore '.venv' --verbosity 0

run: install messages
	$(LOCAL) $(BIN)/python manage.py migrate --no-input
	$(LOCAL) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(LOCAL) $(BIN)/python manage.py init_pki
	$(LOCAL) $(BIN)/python manage.py load_demo
	$(LOCAL) $(BIN)/python manage.py load_demo_green
	$(LOCAL) $(BIN)/python manage.py load_demo_experts
	$(LOCAL) $(BIN)/python manage.py load_demo_session
	$(LOCAL) $(BIN)/python manage.py load_demo_award
	$(LOCAL) $(BIN)/python manage.py load_demo_service
	$(LOCAL) $(BIN)/python manage.py backfill_announcements
	$(LOCAL) $(BIN)/python manage.py scan_alerts
	$(LOCAL) $(BIN)/python manage.py publish_sth --schedule
	@$(MAKE) --no-print-directory serve

# daphne serves HTTP and websockets. Without Redis the task worker runs inside it (the in-memory
# channel layer reaches only its own process); with REDIS_URL a separate db_worker process runs.
serve:
	@echo "DEBUG=$${DEBUG:-false} (DEBUG=true make run: debug pages for development)"
	@if [ -n "$$REDIS_URL" ]; then \
	  $(LOCAL) $(BIN)/python manage.py db_worker --queue-name '*' & worker=$$!; \
	  trap "kill $$worker" EXIT INT TERM; \
	  $(LOCAL) $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application; \
	else \
	  echo "serving on http://$(HOST):$(PORT)/ (task worker inside the server)"; \
	  RUN_TASK_WORKER=1 $(LOCAL) $(BIN)/daphne -b $(HOST) -p $(PORT) config.asgi:application; \
	fi

# pytest's exit code 5 means no test ran: that is a failure here, never a green run.
test: install messages
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "no tests were collected: failing"; exit 1; fi; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Every benchmark runs, even after one fails; the failures are named at the end. bench-smoke runs each at
# tiny sizes (about a minute in all) so that CI notices a benchmark that no longer runs.
define run_benchmarks
	@failed=""; start=$$(date +%s); \
	for b in bench/bench_*.py; do \
	  echo "== $$b $(1)"; \
	  DJANGO_SETTINGS_MODULE=config.settings DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python $$b $(1) || failed="$$failed $$b"; \
	done; \
	echo "== benchmarks took $$(( $$(date +%s) - start )) s"; \
	if [ -n "$$failed" ]; then echo "benchmarks that failed:$$failed"; exit 1; fi
endef

bench: install messages
	$(call run_benchmarks,)

bench-smoke: install messages
	$(call run_benchmarks,--smoke)

clean:
	rm -rf var/test*.sqlite3 var/static
