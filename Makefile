# scsmap — make targets. `make help` lists them.
#   make demo        environment + run on the embedded sample -> out/demo/
#   make test        environment + import contracts, ruff, mypy and the test suite
#   make <region>    configs/regions/<region>.yaml -> out/<region>/: maps -> stats.csv -> report.html,
#                    incrementally (e.g. make mkd, make btn); make report REGION=<region>

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.scsmap-installed
REGIONS := $(basename $(notdir $(wildcard configs/regions/*.yaml)))
OUT    ?= out

.PHONY: help venv demo test all clean report $(REGIONS)
# never delete a region's manifest or statistics as "intermediate" files
.SECONDARY:

help:
	@echo "make demo      run the embedded North Macedonia sample -> out/demo/"
	@echo "make test      import contracts, ruff, mypy and the test suite"
	@echo "make <region>  maps, statistics and report of configs/regions/<region>.yaml; regions: $(REGIONS)"
	@echo "make all       every region"
	@echo "make report REGION=<region>  the region's report.html (and what it needs)"
	@echo "make clean     remove out/"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# every configs/regions/<name>.yaml gets a `make <name>` target: maps -> statistics -> report.
# One recipe makes the three (a pattern rule with several targets): `scsmap build`, in one process, brings
# up to date each that is not (the maps when the config or an input changed, the statistics after the maps,
# the report after the statistics), and makes all three again (--force) when they are new or the
# environment (scsmap itself) changed. out/<name>/.inputs.mk (written after each build by `scsmap inputs`)
# makes the three depend on every file the config reads, so nothing is rebuilt while they are unchanged.
$(REGIONS): %: $(OUT)/%/report.html
	@$(BIN)/scsmap summary $(OUT)/$*

$(OUT)/%/manifest.json $(OUT)/%/stats.csv $(OUT)/%/report.html: configs/regions/%.yaml $(STAMP)
	$(BIN)/scsmap build $< --out $(OUT)/$* --no-summary $$(test $(STAMP) -nt $(OUT)/$*/manifest.json && echo --force)
	$(BIN)/scsmap inputs $< --make "$(OUT)/$*/manifest.json $(OUT)/$*/stats.csv $(OUT)/$*/report.html" \
		> $(OUT)/$*/.inputs.mk

-include $(wildcard $(OUT)/*/.inputs.mk)

report:
	@test -n "$(REGION)" || { echo "usage: make report REGION=<one of: $(REGIONS)>"; exit 2; }
	$(MAKE) $(OUT)/$(REGION)/report.html
	@echo "$(OUT)/$(REGION)/report.html"

all: $(REGIONS)

# static checks, then the test suite. Every step runs (so one report shows every failure); the
# target fails when any of them failed.
CHECK_PATHS = scsmap tests benchmarks scripts

test: $(STAMP)
	@failed=""; \
	echo "$(BIN)/lint-imports"; $(BIN)/lint-imports || failed="$$failed lint-imports"; \
	echo "$(BIN)/ruff check $(CHECK_PATHS)"; $(BIN)/ruff check $(CHECK_PATHS) || failed="$$failed ruff-check"; \
	echo "$(BIN)/ruff format --check $(CHECK_PATHS)"; \
	$(BIN)/ruff format --check $(CHECK_PATHS) || failed="$$failed ruff-format"; \
	echo "$(BIN)/mypy"; $(BIN)/mypy || failed="$$failed mypy"; \
	echo "$(BIN)/python -m pytest $(PYTEST_ARGS)"; $(BIN)/python -m pytest $(PYTEST_ARGS) || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: failed:$$failed" >&2; exit 1; fi

clean:
	rm -rf $(OUT)
