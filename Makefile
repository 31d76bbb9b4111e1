# planview — the two commands are `make run` and `make test`; both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian 12 has postgresql-15-postgis-3; other releases get their own postgresql-NN-postgis-3
# WeasyPrint (the PDF reports) needs pango and fonts with Vietnamese glyphs; tests read PDFs with pdftotext;
# the server prints map sheets (/api/print.pdf) with headless chromium
APT_RUN := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium
APT_TEST := gdal-bin chromium poppler-utils python3-qgis qgis-providers
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup-run setup-test lint bench stop

run: setup-run  ## install what is missing, start PostGIS, migrate, load, serve on :8000
	$(BIN)/planview up

test: setup-test  ## the whole suite on a throwaway PostGIS, browser tests included
	$(BIN)/pytest

bench: setup-test  ## planview vs tipg on the same data (prints a table)
	$(BIN)/planview bench

lint: $(VENV)/.installed  ## ruff, and the import contracts of pyproject.toml
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports --no-logo

stop:
	-$(BIN)/planview db stop

setup-run: apt-run $(VENV)/.installed
setup-test: apt-test $(VENV)/.installed

# apt: install only what is missing. PostGIS: any installed /usr/lib/postgresql/NN with postgis-3
# will do; otherwise the release's default PostgreSQL major gets its postgresql-NN-postgis-3.
apt-run:
	@if ! ls /usr/lib/postgresql/*/lib/postgis-3.so >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -q; \
	  major=$$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9][0-9]*\)$$/\1/p' | head -1); \
	  echo "installing: postgresql-$${major:-15}-postgis-3"; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql-$${major:-15}-postgis-3; fi
	@missing=$$(for p in $(APT_RUN); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

apt-test: apt-run
	@missing=$$(for p in $(APT_TEST); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if ! $(PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then missing="$$missing python3-venv"; fi; \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

.PHONY: apt-run apt-test

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv; }
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@
