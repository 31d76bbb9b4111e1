# planview — the two commands are `make run` and `make test`; both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_RUN := postgresql-15-postgis-3
APT_TEST := $(APT_RUN) gdal-bin chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup-run setup-test lint bench clean-db stop

run: setup-run  ## install what is missing, start PostGIS, migrate, load, serve on :8000
	$(BIN)/planview up

test: setup-test  ## the whole suite on a throwaway PostGIS, browser tests included
	$(BIN)/pytest

bench: setup-test  ## planview vs tipg on the same data (prints a table)
	$(BIN)/planview bench

lint: $(VENV)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

stop:
	-$(BIN)/planview db stop

setup-run: apt-run $(VENV)/.installed
setup-test: apt-test $(VENV)/.installed

# apt: install only the packages that are missing (dpkg -s fails for them)
apt-run:
	@missing=$$(for p in $(APT_RUN); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing: $$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; fi

apt-test:
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
