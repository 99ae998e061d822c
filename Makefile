# Eurasian fiber corridor planner. `make` builds everything; `make test` runs the tests.
# The stage rules are generated from pipeline/catalogue.py, which declares each stage's input
# and output files and config sections once: every output is a target, every input and the code
# a stage runs are prerequisites, and each stage's slice of the config (data/processed/.config/)
# is rewritten only when that part of the config changes, so a stage reruns only when something
# it depends on changed.
# A failed or interrupted build deletes no output. Every write is atomic (a temporary file
# beside the target, then a rename), so a stage that fails or is stopped leaves its outputs as
# they were, and make must not delete them: there is no .DELETE_ON_ERROR, and the stage outputs
# and config slices are .PRECIOUS (else, on an error or Ctrl-C, make 4.3 deletes every output of
# the stage but the one it was building, changed or not). A stage that did not finish leaves
# $(OUT)/.make/<stage>.running, so the next make runs it again even if it had already replaced
# the output make checks.
.DEFAULT_GOAL := all
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
GDAL_UTILS := 3.13.3.0
CONFIG ?=
CFGARG := $(if $(CONFIG),--config $(CONFIG))
RAW    := data/raw
OUT    := data/processed
SLICES := $(OUT)/.config
RULES  := $(OUT)/.make/stages.mk
STAGE_NAMES := fetch ingest cost route score uncertainty onward network export report
SLICE_FILES := $(foreach s,$(STAGE_NAMES),$(SLICES)/$(s).json)

.PHONY: all help venv test bench lint clean distclean FORCE

all: $(OUT)/report/index.html ## Build everything: venv, fetch, ingest ... export, report

ifeq ($(filter help clean distclean,$(MAKECMDGOALS)),)
include $(RULES)
endif

# The stage rules, from the catalogue (standard library only: no venv needed to write them).
# Written again whenever a module changes: a stage's prerequisites are the modules it imports.
$(RULES): $(wildcard pipeline/*.py)
	@mkdir -p $(@D)
	$(PYTHON) -m pipeline.catalogue > $@.tmp && mv $@.tmp $@

# Every build checks the config and rewrites the slices that changed (a bad config stops here,
# with its message as written); an unchanged slice keeps its timestamp, so nothing reruns.
.PRECIOUS: $(SLICE_FILES)
$(SLICE_FILES) &: FORCE | $(STAMP)
	@$(PY) -m pipeline $(CFGARG) config --slices $(SLICES)

# Every build verifies data/raw against the lock (a replaced or damaged file fails with the
# fix); the lock keeps its timestamp unless a file was fetched.
$(FETCH_OUT): FORCE

FORCE:

help: ## List the targets (the stages' from pipeline/catalogue.py)
	@{ grep -hE '^[a-z-]+:.*## ' Makefile; $(PYTHON) -m pipeline.catalogue; } \
	  | grep -E '^[a-z-]+:.*## ' | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install the pinned dependencies

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@# GDAL's current GeoPackage validator (pure Python; the tests run it with Debian's GDAL
	@# bindings). --no-deps: its dependency is the GDAL bindings themselves, not built here.
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --upgrade \
	  --target $(VENV)/gdal-utils gdal-utils==$(GDAL_UTILS)
	touch $@

# Two processes, a test file each at a time (a file's module fixtures, such as the end-to-end
# build, stay in one process), in the order collected (tests/conftest.py puts the end-to-end
# file, the longest, first); TEST_WORKERS=0 runs them all in this one.
TEST_WORKERS ?= 2
test: $(STAMP) ## Run the test suite (the end-to-end test uses $PIPELINE_MIRROR or ../shared/data)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: $(STAMP) ## Router and build benchmarks: prints tables of ratios (about 45 min)
	$(PY) benchmarks/bench_router.py
	$(PY) benchmarks/bench_build.py

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check pipeline tests benchmarks
	$(VENV)/bin/ruff format --check pipeline tests benchmarks

clean: ## Remove the processed outputs (keeps data/raw)
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

distclean: clean ## Also remove the fetched data and the virtual environment
	find $(RAW) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	rm -rf $(VENV)
