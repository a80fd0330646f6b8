# peaktrade — every set-up step lives here; README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CONFIG ?= config/config.toml

.PHONY: run test lint bench soak fuzz clean system-deps

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "peaktrade needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

## run: start the daemon in the foreground (paper mode on the built-in simulator)
run: $(STAMP)
	$(BIN)/peaktrade run --config $(CONFIG)

## test: the whole suite, on both cores (CI has two)
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -n 2

## lint: ruff and mypy (strict on peaktrade/ and ctl/)
lint: $(STAMP)
	$(BIN)/ruff check peaktrade ctl tests bench
	$(BIN)/ruff format --check peaktrade ctl tests bench
	$(BIN)/mypy

## bench: print every benchmark figure
bench: $(STAMP) system-deps
	$(BIN)/python bench/run_all.py

## soak: the reliability soaks (fault and crash campaigns, 1M-event daemon soak, 100 stops)
soak: $(STAMP) system-deps
	cd bench && ../$(BIN)/python soak_campaigns.py --submissions 10000 --kills 200
	cd bench && ../$(BIN)/python soak_daemon.py --events 1000000
	cd bench && ../$(BIN)/python soak_stop.py --runs 100

## fuzz: a million atheris runs each on the control decoder and the config loader
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.atheris_main control 1000000
	$(BIN)/python -m tests.fuzz.atheris_main config 1000000

## system-deps: Debian tools the tests use (systemd-analyze, ...), installed when missing
system-deps:
	@./deploy/system-deps.sh

clean:
	rm -rf $(VENV) var build *.egg-info .pytest_cache .mypy_cache .ruff_cache
