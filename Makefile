# Two commands do everything (see README.md):
#   make book   create .venv, install the pinned lock, execute every chapter (book profile), build HTML
#   make test   create .venv, install the pinned lock, unit tests + doctests + chapters under nbval (CI profile)
#   make test-fast  the development loop: unit tests and doctests without the slow ones, no chapters
# Incremental: a chapter is re-executed only when it, its profile, the helpers or the data change.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
PAGES := $(sort $(wildcard chapters/*.md))
HELPERS := $(sort $(wildcard src/helpers/*.py src/helpers/*/*.py))
DATA := $(sort $(wildcard data/*.csv))
BOOK_FILES := _config.yml _toc.yml references.bib $(PAGES) $(sort $(wildcard chapters/images/*))

STAGE := _build/stage
BOOK_NB := $(patsubst chapters/%,$(STAGE)/chapters/%,$(CHAPTERS))
CI_NB := $(patsubst chapters/%,_build/ci/chapters/%,$(CHAPTERS))
STAGED := $(addprefix $(STAGE)/,$(BOOK_FILES))

# A failed recipe must not leave a half-written target that looks up to date.
.DELETE_ON_ERROR:
.PHONY: book test test-fast env data accounts bench lock clean

book: $(STAMP) $(BOOK_NB) $(STAGED)
	$(BIN)/jupyter-book build $(STAGE) --path-output . --warningiserror --keep-going
	@echo "HTML: $(CURDIR)/_build/html/index.html"

# Doctests of src/helpers are collected by --doctest-modules (the chapters by --nbval only).
DOCTEST := src/helpers --doctest-modules

test: $(STAMP) $(CI_NB)
	$(BIN)/python -m pytest tests $(DOCTEST) $(CI_NB) --nbval --nbval-sanitize-with tools/nbval_sanitize.cfg \
	  --nbval-cell-timeout=600 -p no:cacheprovider

# Everything but tests marked slow (Monte Carlo, heavy bootstraps, the wheel install) and the chapters.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests $(DOCTEST) -m "not slow" -p no:cacheprovider

env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

$(STAGE)/chapters/%.ipynb: chapters/%.ipynb profiles/book.yml $(HELPERS) $(DATA) | $(STAMP)
	$(BIN)/python tools/execute_chapters.py --profile profiles/book.yml --out $(STAGE)/chapters $<

_build/ci/chapters/%.ipynb: chapters/%.ipynb profiles/ci.yml $(HELPERS) $(DATA) | $(STAMP)
	$(BIN)/python tools/execute_chapters.py --profile profiles/ci.yml --out _build/ci/chapters $<

$(STAGE)/%: %
	@mkdir -p $(dir $@)
	cp -p $< $@

# Regenerate the bundled simulated twin (byte-identical for the same generator version and seed).
data: $(STAMP)
	$(BIN)/python -m helpers.simulate --write data/guangdong_twin_panel.csv

# Rebuild the shipped real-data extracts (official city accounts, census) from ../shared/realdata;
# refuses to write a file that fails its checks (tools/build_accounts.py).
accounts: $(STAMP)
	$(BIN)/python tools/build_accounts.py

bench: $(STAMP)
	$(BIN)/python tools/benchmark.py

# Re-resolve the lock from requirements.in (needs network to PyPI).
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -r requirements.in
	/tmp/lock-venv/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf _build
