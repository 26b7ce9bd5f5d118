# scsmap — make targets. `make help` lists them.
#   make demo        environment + run on the embedded sample -> out/demo/
#   make test        environment + test suite
#   make <region>    run configs/regions/<region>.yaml -> out/<region>/  (e.g. make mkd, make btn)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.scsmap-installed
REGIONS := $(basename $(notdir $(wildcard configs/regions/*.yaml)))

.PHONY: help venv demo test all clean $(REGIONS)

help:
	@echo "make demo      run the embedded North Macedonia sample -> out/demo/"
	@echo "make test      run the test suite"
	@echo "make <region>  run configs/regions/<region>.yaml; regions: $(REGIONS)"
	@echo "make all       run every region"
	@echo "make clean     remove out/"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# every configs/regions/<name>.yaml gets a `make <name>` target
$(REGIONS): %: configs/regions/%.yaml $(STAMP)
	$(BIN)/scsmap run $< --overwrite

all: $(REGIONS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf out
