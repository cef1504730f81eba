# Two commands on a fresh machine (README): `make run` and `make test`. Both create .venv and install into it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch is pinned through constraints.txt: torch==2.13.0 is the CPU build here; a range would pull CUDA wheels.
INSTALL := $(PIP) install --quiet --constraint constraints.txt

.PHONY: run test bench screenshots lint venv install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(INSTALL) -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/lmscope

test: install-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow"

lint: install-test
	$(BIN)/lint-imports

bench: install-test
	$(INSTALL) -e '.[bench]'
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

screenshots: install
	QT_QPA_PLATFORM=offscreen $(BIN)/lmscope --screenshot docs/screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
