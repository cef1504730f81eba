# Two commands on a fresh machine (README): `make run` and `make test`. Both create .venv and install into it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
# torch is pinned through constraints.txt: torch==2.13.0 is the CPU build here; a range would pull CUDA wheels.
INSTALL := $(PIP) install --quiet --constraint constraints.txt

.PHONY: run test bench screenshots lint venv install install-test clean translations

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

# The zh_CN interface: re-extract every tr() string into the .ts (kept in git, translated by hand or in Linguist:
# `pyside6-linguist resources/i18n/lmscope_zh_CN.ts`), then compile the .qm the app loads (also kept in git).
# `-locations none` keeps line numbers out of the .ts, so an edit elsewhere in a file does not touch it.
LUPDATE ?= $(BIN)/pyside6-lupdate
LRELEASE ?= $(BIN)/pyside6-lrelease
TS := resources/i18n/lmscope_zh_CN.ts
translations:
	$(LUPDATE) -locations none -no-obsolete $$(git ls-files 'gui/*.py' 'widgets/*.py') -ts $(TS)
	$(LRELEASE) $(TS) -qm $(TS:.ts=.qm)
