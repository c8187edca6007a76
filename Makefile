# The two commands: `make run` and `make test`. Everything they need is
# installed into .venv from the pinned requirements files.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench install install-dev translations check clean

# Translations are kept as .po files and compiled into .mo files here, with
# Babel (installed from requirements.txt), so no gettext tools are needed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	$(BIN)/pybabel --quiet compile --locale $* --input-file $< --output-file $@

translations: $(MO_FILES)

install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py loaddata fixtures/seed.json
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py ensure_dev_admin --url http://$(HOST):$(PORT)
	@# The background worker (imports, bulk publishing) runs beside the web
	@# server and stops with it.
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py db_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Page timings at 10,000 and 100,000 synthetic cases, served by gunicorn as
# in production. The databases are built once into .bench/ (a few minutes).
# With DATABASE_URL=postgres://... they are made on that PostgreSQL server.
bench: install
	DEBUG=1 nice -n 10 $(BIN)/python manage.py bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
