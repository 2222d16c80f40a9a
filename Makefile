# Two commands do everything (see README.md):
#   make book   create .venv, install the pinned lock, execute every chapter (book profile), build HTML
#   make test   create .venv, install the pinned lock, unit tests + chapters under nbval (CI profile)
# Incremental: a chapter is re-executed only when it, its profile, the helpers or the data change.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

CHAPTERS := $(sort $(wildcard chapters/*.ipynb))
PAGES := $(sort $(wildcard chapters/*.md))
HELPERS := $(sort $(wildcard src/helpers/*.py))
DATA := $(sort $(wildcard data/*.csv))
BOOK_FILES := _config.yml _toc.yml references.bib $(PAGES) $(sort $(wildcard chapters/images/*)) \
  $(sort $(wildcard _ext/*.py _static/*))

STAGE := _build/stage
BOOK_NB := $(patsubst chapters/%,$(STAGE)/chapters/%,$(CHAPTERS))
CI_NB := $(patsubst chapters/%,_build/ci/chapters/%,$(CHAPTERS))
STAGED := $(addprefix $(STAGE)/,$(BOOK_FILES))

# A failed recipe must not leave a half-written target that looks up to date.
.DELETE_ON_ERROR:
.PHONY: book test env data bench lock clean

book: $(STAMP) $(BOOK_NB) $(STAGED)
	$(BIN)/jupyter-book build $(STAGE) --path-output . --warningiserror --keep-going
	@echo "HTML: $(CURDIR)/_build/html/index.html"

test: $(STAMP) $(CI_NB)
	$(BIN)/python -m pytest tests $(CI_NB) --nbval --nbval-sanitize-with tools/nbval_sanitize.cfg \
	  --nbval-cell-timeout=600 -p no:cacheprovider

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

bench: $(STAMP)
	$(BIN)/python tools/benchmark.py

# Re-resolve the lock from requirements.in (needs network to PyPI).
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -r requirements.in
	/tmp/lock-venv/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf _build
