# Two commands: `make run` (set up + run the baseline Kunming scenario) and
# `make test` (set up + run the test suite). Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SCENARIO ?= scenarios/baseline.toml
OUT    ?= outputs/baseline
PYTEST_ARGS ?= -m "not slow"

.PHONY: setup run rollover test test-all bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(VENV)/bin/capacity run $(SCENARIO) --out $(OUT) --force

# the next plan's data folder from the baseline run (committed: data/kunming_2026; see its ROLLOVER.md)
ROLLED ?= data/kunming_2026
rollover: setup
	$(VENV)/bin/capacity rollover $(OUT) --out $(ROLLED) --force
	$(VENV)/bin/capacity validate $(ROLLED)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-all: setup
	$(PY) -m pytest

clean:
	rm -rf $(VENV) outputs .pytest_cache
