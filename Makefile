# Two commands for a fresh machine with Python 3.11 and make:
#   make run   - set up, build the data, serve the map at http://127.0.0.1:5000
#   make test  - set up (incl. headless Chromium from Debian), run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
GPKG   := build/kontum.gpkg
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint format build check bench browser postgis poppler gdal qgis nginx clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "python3.11 not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $(STAMP)

$(GPKG): $(STAMP) $(shell find geo data layers -type f \( -name '*.py' -o -name '*.csv' -o -name '*.geojson' -o -name '*.json' -o -name '*.toml' \) 2>/dev/null)
	$(PY) -m geo build
	@# the served caches too (app/warmstart.py): the next start answers in ~3 s, not ~15
	$(PY) -m app --prepare --host $(HOST) --port $(PORT)

build: $(GPKG)

check: $(GPKG)
	$(PY) -m geo check

run: $(GPKG)
	@echo "Serving the map at http://$(HOST):$(PORT)"
	$(PY) -m app --host $(HOST) --port $(PORT)

# Debian chromium for the real-browser tests; installed only when missing.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian PostgreSQL + PostGIS for the PostGIS backend tests; installed only when missing.
# Without them the PostGIS tests are skipped (under CI=true they fail).
postgis:
	@{ ls /usr/lib/postgresql/*/bin/initdb && ls /usr/share/postgresql/*/extension/postgis.control; } >/dev/null 2>&1 || { \
	  echo "Installing Debian PostgreSQL + PostGIS for the database tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    postgresql postgresql-15-postgis-3 >/dev/null \
	  || echo "warning: PostgreSQL/PostGIS could not be installed; the PostGIS tests will be skipped"; }

# Debian poppler-utils (pdftotext, pdftoppm) for the printed-map tests; installed only when missing.
poppler:
	@{ command -v pdftotext && command -v pdftoppm; } >/dev/null 2>&1 || { \
	  echo "Installing Debian poppler-utils for the printed-map tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

# Debian gdal-bin (ogrinfo, ogr2ogr: GDAL 3.6, what GIS staff run) for the GDAL client tests
# (tests/clients/test_ogc_gdal.py); installed only when missing.
gdal:
	@{ command -v ogrinfo && command -v ogr2ogr; } >/dev/null 2>&1 || { \
	  echo "Installing Debian gdal-bin for the GDAL client tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gdal-bin >/dev/null; }

# Debian QGIS 3.22 (python3-qgis and its data providers) for the QGIS client tests
# (tests/clients/test_qgis.py runs QGIS headless in Debian's python3); installed only when missing.
qgis:
	@/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || { \
	  echo "Installing Debian QGIS (python3-qgis) for the QGIS client tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    --no-install-recommends python3-qgis qgis-providers >/dev/null; }

# Debian nginx (and openssl) for the reverse-proxy tests (tests/app/test_nginx.py runs
# deploy/nginx.conf); installed only when missing. Without them those tests are skipped.
nginx:
	@{ command -v nginx || test -x /usr/sbin/nginx; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || { \
	  echo "Installing Debian nginx for the reverse-proxy tests"; \
	  SUDO=$$(command -v sudo >/dev/null 2>&1 && [ $$(id -u) -ne 0 ] && echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light openssl >/dev/null \
	  || echo "warning: nginx could not be installed; the reverse-proxy tests will be skipped"; }

# Both backends: unless TEST_DATABASE_URL or DATABASE_URL names a PostGIS database, a
# throwaway server (tests/pg/start.sh: a temp dir, a unix socket and a free loopback
# port) serves the test session and is stopped afterwards, whatever happens.
test: $(GPKG) browser postgis poppler gdal qgis nginx
	@if [ -n "$$TEST_DATABASE_URL$$DATABASE_URL" ]; then \
	  $(PY) -m pytest -q -n 2; \
	else \
	  PGDIR=$$(mktemp -d /tmp/kontum-pg.XXXXXX); \
	  trap 'tests/pg/stop.sh "$$PGDIR"' EXIT INT TERM; \
	  URL=$$(tests/pg/start.sh "$$PGDIR") || URL=; \
	  TEST_DATABASE_URL="$$URL" $(PY) -m pytest -q -n 2; \
	fi

# Style and mistakes (ruff), formatting (ruff format --check) and the import layers
# declared in pyproject.toml (import-linter). `make format` rewrites the files.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(GPKG)
	@$(MAKE) --no-print-directory browser
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf build
