# Two commands do everything (see README.md):
#   make book   create .venv, install the pinned lock, execute every chapter (book profile), build HTML
#   make test   create .venv, install the pinned lock, unit tests + doctests + chapters under nbval (CI profile)
#   make test-fast  the development loop: unit tests and doctests without the slow ones, no chapters
# Incremental: a chapter is re-executed only when it, its profile, the helpers or the data change.

SHELL := /bin/bash

# Two jobs by default (CI and most laptops have two cores or more): chapters execute side by side
# and pytest runs on JOBS workers (pytest-xdist; --dist loadfile keeps a notebook's cells on one kernel). Each
# job's output lines are printed whole. One at a time: make JOBS=1 test.
JOBS ?= 2
# (set at the top level only: `make test` runs a sub-make, which shares the top level's job slots)
ifeq ($(MAKELEVEL),0)
MAKEFLAGS += --jobs=$(JOBS) --output-sync=line
endif

# Dask logs errors only in every kernel (papermill and nbval) and in the workers it spawns: a busy
# machine's time-stamped shutdown warnings must never reach a cell's output (helpers.studies.quiet).
export DASK_DISTRIBUTED__LOGGING__DISTRIBUTED := error

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# The chapters that take longest (measured in the book and CI profiles) are queued first, so
# the two jobs finish together instead of one waiting on a long chapter started last.
LONGEST := chapters/08_study_size.ipynb chapters/05_findings.ipynb chapters/04_mechanism.ipynb \
  chapters/06b_china_cities.ipynb chapters/06d_broadband_china.ipynb
CHAPTERS := $(filter $(wildcard chapters/*.ipynb),$(LONGEST)) \
  $(filter-out $(LONGEST),$(sort $(wildcard chapters/*.ipynb)))
PAGES := $(sort $(wildcard chapters/*.md))
HELPERS := $(sort $(shell find src/helpers -name '*.py'))
DATA := $(sort $(wildcard data/*.csv))
POWER := $(sort $(wildcard data/power/*.parquet data/power/*.csv data/power/study.json \
  data/power/broadband/*.parquet data/power/broadband/*.csv))
FINDINGS := $(sort $(wildcard data/findings/*.parquet data/findings/SHA256SUMS data/findings/study.json))
TRUTHS := $(sort $(wildcard data/twin_truths/*.parquet data/twin_truths/SHA256SUMS data/twin_truths/study.json))
MOMENT_STORE := $(sort $(wildcard data/moments/*.parquet data/moments/SHA256SUMS data/moments/study.json))
POLICY := $(sort $(wildcard data/policy/*.parquet data/policy/SHA256SUMS data/policy/study.json))
BOOK_FILES := _config.yml _toc.yml references.bib $(PAGES) $(sort $(wildcard chapters/images/*)) \
  $(sort $(wildcard _ext/*.py _static/*))

STAGE := _build/stage
BOOK_NB := $(patsubst chapters/%,$(STAGE)/chapters/%,$(CHAPTERS))
CI_NB := $(patsubst chapters/%,_build/ci/chapters/%,$(CHAPTERS))
STAGED := $(addprefix $(STAGE)/,$(BOOK_FILES))

# A failed recipe must not leave a half-written target that looks up to date.
.DELETE_ON_ERROR:
.PHONY: book test test-chapters test-fast lint env data accounts china io bench bench-design power power-broadband findings truths moments policy lock clean pdf html-ci

ARCHIVE := $(STAGE)/_downloads/virtual-agglomeration-book.tar.gz

# The source archive linked from "Run this book" is rewritten only when its bytes change.
book: $(STAMP) $(BOOK_NB) $(STAGED)
	$(BIN)/python tools/make_archive.py $(ARCHIVE)
	$(BIN)/jupyter-book build $(STAGE) --path-output . --warningiserror --keep-going
	@echo "HTML: $(CURDIR)/_build/html/index.html"

# Doctests of src/helpers are collected by --doctest-modules (the chapters by --nbval only).
DOCTEST := src/helpers --doctest-modules

# The whole book as one PDF with Jupyter Book's LaTeX builder (XeLaTeX; README lists the
# Debian packages). Uses the same executed chapters as `make book`.
pdf: $(STAMP) $(BOOK_NB) $(STAGED)
	$(BIN)/python tools/make_archive.py $(ARCHIVE)
	$(BIN)/jupyter-book build $(STAGE) --path-output . --builder pdflatex --keep-going
	@ls -l _build/latex/book.pdf && echo "PDF: $(CURDIR)/_build/latex/book.pdf"

# The browser test (tests/test_browser.py) reads an HTML build of the CI-executed chapters
# (fast profile, ~40 s), built only when Chromium is installed; otherwise it says so and skips.
CI_STAGE := _build/ci-book
CI_HTML := $(CI_STAGE)/_build/html
CHROMIUM := $(shell command -v chromium 2>/dev/null)

# nbval re-executes the chapters with an empty cache folder, so it checks a recomputation of every
# cached result (helpers._cache), not the pickles the CI execution just wrote.
NBVAL_CACHE := _build/nbval-cache

# The test files that read the CI-profile HTML build (BOOK_HTML): they run after it is built.
HTML_TESTS := tests/test_browser.py tests/test_numbers.py tests/test_pages.py tests/test_phone_tables.py
UNIT_TESTS := $(filter-out $(HTML_TESTS),$(sort $(wildcard tests/test_*.py)))
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider -n $(JOBS) --dist loadfile --durations=10
UNIT_LOG := _build/test-units.log

# Two pytest runs side by side. The unit tests and doctests need no executed chapter, so they
# start at once, beside the chapters' CI execution, their HTML build, then nbval on every chapter
# and the tests of the built pages; the two paths take about as long (the unit run is the longer
# one on a quiet machine, so it gets no lower priority: at nice 5 beside other work it starved).
# The unit run's report is printed whole when both are done; either run failing fails `make test`.
test: $(STAMP) lint
	@mkdir -p _build; rm -f $(UNIT_LOG)
	@$(PYTEST) $(UNIT_TESTS) $(DOCTEST) > $(UNIT_LOG) 2>&1 & units=$$!; \
	  $(MAKE) --no-print-directory test-chapters; chapters=$$?; \
	  wait $$units; unit_rc=$$?; \
	  echo "---- unit tests and doctests (run beside the chapters; log $(UNIT_LOG)) ----"; cat $(UNIT_LOG); \
	  echo "make test: unit tests and doctests exit $$unit_rc, chapters and built pages exit $$chapters"; \
	  test $$unit_rc -eq 0 -a $$chapters -eq 0

test-chapters: $(STAMP) $(CI_NB) html-ci
	rm -rf $(NBVAL_CACHE)
	HELPERS_CACHE=$(CURDIR)/$(NBVAL_CACHE) BOOK_HTML=$(CURDIR)/$(CI_HTML) $(PYTEST) $(HTML_TESTS) $(CI_NB) --nbval \
	  --nbval-sanitize-with tools/nbval_sanitize.cfg --nbval-cell-timeout=600

html-ci: $(STAMP) $(CI_NB) $(addprefix $(CI_STAGE)/,$(BOOK_FILES))
ifeq ($(CHROMIUM),)
	@echo "browser test: Chromium is not installed -- skipping the HTML build; tests/test_browser.py will skip"
else
	@mkdir -p $(CI_STAGE)/chapters && cp -p $(CI_NB) $(CI_STAGE)/chapters/
	$(BIN)/python tools/make_archive.py $(CI_STAGE)/_downloads/virtual-agglomeration-book.tar.gz
	$(BIN)/jupyter-book build $(CI_STAGE) --path-output $(CI_STAGE) --warningiserror --keep-going -q
endif

$(CI_STAGE)/%: %
	@mkdir -p $(dir $@)
	cp -p $< $@

# ruff (configured in pyproject.toml): zero findings.
lint: $(STAMP)
	$(BIN)/ruff check src tests tools _ext

# Everything but tests marked slow (Monte Carlo, heavy bootstraps, the wheel install) and the chapters.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests $(DOCTEST) -m "not slow" -p no:cacheprovider -n $(JOBS) --dist loadfile

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

# The design-study chapter reads the stored study: re-execute it when the study changes.
$(STAGE)/chapters/08_study_size.ipynb _build/ci/chapters/08_study_size.ipynb: $(POWER)

# The Findings chapter reads its Monte Carlo studies from data/findings (book profile; the CI
# profile computes a tiny grid live): re-execute it when the store changes.
$(STAGE)/chapters/05_findings.ipynb: $(FINDINGS)

# The Mechanism and Findings chapters read the bundled twin's truths (and Mechanism its identifiable
# channels) from data/twin_truths in the book profile (the CI profile computes them live).
$(STAGE)/chapters/04_mechanism.ipynb $(STAGE)/chapters/05_findings.ipynb: $(TRUTHS)

# Appendix A reads its calibration check's moments from data/moments in the book profile (the CI
# profile computes them live).
$(STAGE)/chapters/a1_data.ipynb: $(MOMENT_STORE)

# The Policy chapter reads its scenario runs, budget optimisations and detectability twins from
# data/policy (book profile; the CI profile computes tiny runs live): re-execute it when the store changes.
$(STAGE)/chapters/07_policy.ipynb: $(POLICY)

# Regenerate the bundled simulated twin (byte-identical for the same generator version and seed).
data: $(STAMP)
	$(BIN)/python -m helpers.simulate --write data/guangdong_twin_panel.csv

# Rebuild the shipped real-data extracts (official city accounts, census) from ../shared/realdata;
# refuses to write a file that fails its checks (tools/build_accounts.py).
accounts: $(STAMP)
	$(BIN)/python tools/build_accounts.py

# Derive the shipped input-output coefficients (data/io_*.csv) from China's national tables in
# ../shared/realdata/china_input_output; refuses to write when a check fails (tools/build_io.py).
io: $(STAMP)
	$(BIN)/python tools/build_io.py

# Rebuild the national city-year panel (data/china_city_panel.csv, its list of kept level breaks
# and the inter-city connectivity file) from ../shared/realdata; refuses to write when a check fails.
china: $(STAMP)
	$(BIN)/python tools/build_china.py

# Per-twin analysis time (21/100/336 cities), each chapter's execution time, the whole book and the
# test command; writes _build/bench/report.md and .csv (BENCH_ARGS="--skip-make" for the quick part).
bench: $(STAMP)
	$(BIN)/python tools/benchmark.py $(BENCH_ARGS)

# Cost of one design-study twin by N and T, and the speed-up of 2 Dask workers over 1
# (writes data/power/benchmark.csv, which the design chapter reads).
bench-design: $(STAMP)
	$(BIN)/python tools/bench_design.py

# The design study of the chapter "How large must a study be?" (Dask; a LocalCluster sized to the
# machine; about 35 minutes on 2 cores). Finished cells in data/power are skipped; a changed
# generator version recomputes them. Options: make power POWER_ARGS="--scheduler tcp://host:8786".
power: $(STAMP)
	$(BIN)/python -m helpers.studies.power run --out data/power $(POWER_ARGS)

# The Broadband China design as cells of the design study (helpers.studies.broadband_study):
# 336 x 9 national twins in three worlds (effect, threshold no-effect, random no-effect) into
# data/power/broadband, fingerprinted with the analysis digest; finished cells are skipped.
# Options: make power-broadband BROADBAND_ARGS="--reps 200 --workers 2".
power-broadband: $(STAMP)
	$(BIN)/python -m helpers.studies.broadband_study run --out data/power/broadband $(BROADBAND_ARGS)

# The Findings chapter's Monte Carlo and coverage studies (SIMULATED; helpers.studies.findings):
# 280 twins with the book's settings into data/findings, fingerprinted and hashed; parts whose
# settings and analysis code are unchanged are kept. Measured: 14 s on 2 cores at load ~1 (generator
# 2.0.0; 332 s on generator 1.2.0 at load ~10).
findings: $(STAMP)
	$(BIN)/python -m helpers.studies.findings run --out data/findings $(FINDINGS_ARGS)

# The bundled twin's estimand-matched truths (measured scale) and identifiable channels (CRV3)
# (SIMULATED; helpers.studies.truth_store) into data/twin_truths, fingerprinted and hashed; parts
# whose settings and analysis code are unchanged are kept. Measured: 12 s on 2 cores at load ~1.
truths: $(STAMP)
	$(BIN)/python -m helpers.studies.truth_store run --out data/twin_truths

# Appendix A's calibration check (helpers.studies.moment_store): the real Guangdong's and the
# national panel's moments with cluster-bootstrap SEs (derived statistics of REAL data, reading
# ../shared/realdata's PKU index where it lies) and the moments of SIMULATED twins, into data/moments;
# fingerprinted with the real inputs' content digests; current parts are kept. Measured: 25 s on 2 cores at load
# ~1.5 (72 s at load ~6).
moments: $(STAMP)
	$(BIN)/python -m helpers.studies.moment_store run --out data/moments

# The Policy chapter's scenario runs (SIMULATED; helpers.scenarios.policy): the scenarios under 20
# parameter draws x 4 twin seeds, the budget optimiser on one twin and on 4 seeds x 5 parameter sets,
# and the detectability twins, with the book's settings into data/policy, fingerprinted and hashed;
# parts whose settings and analysis code are unchanged are kept. Other settings:
# make policy POLICY_ARGS="--n-draws 40 --twin-seeds 1 2" (the chapter then needs the same parameters).
policy: $(STAMP)
	$(BIN)/python -m helpers.scenarios.policy run --out data/policy $(POLICY_ARGS)

# Re-resolve the lock from requirements.in (needs network to PyPI).
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet -r requirements.in
	/tmp/lock-venv/bin/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf _build
