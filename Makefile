# Eurasian fiber corridor planner. `make` builds everything; `make test` runs the tests.
# Targets are real files: a stage reruns only when its inputs, its code or its slice of the
# config change. The config is split into one JSON slice per stage (data/processed/.config/),
# rewritten only when that stage's part of the config changes.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONFIG ?=
CFGARG := $(if $(CONFIG),--config $(CONFIG))
RAW    := data/raw
OUT    := data/processed
SLICES := $(OUT)/.config
CORE   := pipeline/__init__.py pipeline/config.py pipeline/errors.py pipeline/io.py \
          pipeline/grid.py pipeline/cli.py

LOCK      := $(RAW)/sources.lock.json
INGESTED  := $(OUT)/ingest.gpkg
COSTED    := $(OUT)/cost/steer_cost_usd_per_km.tif
ROUTED    := $(OUT)/routes.gpkg
SCORED    := $(OUT)/scores.gpkg
UNCERTAIN := $(OUT)/uncertainty.gpkg
ONWARD    := $(OUT)/onward.gpkg
EXPORTED  := $(OUT)/corridor.gpkg
REPORTED  := $(OUT)/report/index.html

# Refresh the config slices before make decides what is out of date (needs the venv).
ifeq ($(filter help clean distclean lint,$(MAKECMDGOALS)),)
ifneq ($(wildcard $(STAMP)),)
SLICE_LOG := $(shell $(PY) -m pipeline $(CFGARG) config --slices $(SLICES) 2>&1 || echo FAILED)
ifneq ($(findstring FAILED,$(SLICE_LOG)),)
$(error $(SLICE_LOG))
endif
endif
endif

.PHONY: all help venv fetch ingest cost route score uncertainty onward export report test bench \
        lint clean distclean

all: $(REPORTED) ## Build everything: venv, fetch, ingest ... export, report

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install the pinned dependencies

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

$(SLICES)/%.json: | $(STAMP)
	$(PY) -m pipeline $(CFGARG) config --slices $(SLICES)

fetch: $(LOCK) ## Copy the mirror ($PIPELINE_MIRROR) or download the sources into data/raw
$(LOCK): pipeline/fetch.py pipeline/sources.yaml $(CORE) $(SLICES)/fetch.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) fetch

ingest: $(INGESTED) ## Validate, clip and reproject every dataset onto the analysis grid
$(INGESTED): $(LOCK) pipeline/ingest.py $(CORE) $(SLICES)/ingest.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) ingest

cost: $(COSTED) ## Cost surface (USD per km) and its component rasters
$(COSTED): $(INGESTED) pipeline/cost.py $(CORE) $(SLICES)/cost.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) cost

route: $(ROUTED) ## Least-cost routes per scenario, origin and landing station
$(ROUTED): $(COSTED) pipeline/route.py pipeline/router.py $(CORE) $(SLICES)/route.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) route

score: $(SCORED) ## Length, cost, latency, segments, sites, crossings per route
$(SCORED): $(ROUTED) pipeline/score.py pipeline/economics.py $(CORE) $(SLICES)/score.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) score

uncertainty: $(UNCERTAIN) ## Monte Carlo costs, route frequency, ranking and its sensitivity
$(UNCERTAIN): $(SCORED) pipeline/uncertainty.py $(CORE) $(SLICES)/uncertainty.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) uncertainty

onward: $(ONWARD) ## End-to-end paths to the world's hubs over the submarine cables, vs today's
$(ONWARD): $(SCORED) $(INGESTED) pipeline/onward.py pipeline/score.py $(CORE) \
           $(SLICES)/onward.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) onward

export: $(EXPORTED) ## corridor.gpkg and RFC 7946 GeoJSON in data/processed
$(EXPORTED): $(SCORED) $(UNCERTAIN) $(ONWARD) pipeline/export.py pipeline/styles.py \
             $(wildcard pipeline/qgis/*) $(CORE) $(SLICES)/export.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) export

report: $(REPORTED) ## report/index.html: map, profiles, tables, sources, changes since last build
$(REPORTED): $(EXPORTED) pipeline/report.py pipeline/webmap.py $(wildcard pipeline/web/*) $(CORE) $(SLICES)/report.json | $(STAMP)
	$(PY) -m pipeline $(CFGARG) report

test: $(STAMP) ## Run the test suite (the end-to-end test uses $PIPELINE_MIRROR or ../shared/data)
	$(PY) -m pytest

bench: $(STAMP) ## Router benchmark against scikit-image: prints a table of ratios
	$(PY) benchmarks/bench_router.py

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check pipeline tests benchmarks
	$(VENV)/bin/ruff format --check pipeline tests benchmarks

clean: ## Remove the processed outputs (keeps data/raw)
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

distclean: clean ## Also remove the fetched data and the virtual environment
	find $(RAW) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf $(VENV)
