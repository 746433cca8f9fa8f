# Two commands a newcomer needs: `make run` (the daemon on SQLite) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run check demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## the daemon on SQLite under ./var/
	$(BIN)/regwatch run

check: $(STAMP)  ## one tick now, in the foreground
	$(BIN)/regwatch check

demo: $(STAMP)  ## replay thymosin alpha-1's real history offline (under a minute)
	$(BIN)/regwatch demo --dir var/demo

test: $(STAMP)  ## everything CI runs: ruff, mypy, and pytest with its services
	bash scripts/test.sh

bench: $(STAMP)  ## regwatch vs urlwatch and changedetection.io on a loopback farm (installs the peers; ~15 min; ARGS=--quick)
	$(BIN)/python -m bench $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check monitor spiders tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
