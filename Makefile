# MBRL Lessons — the commands of the README.
#   make book   install (first time), run the notebooks, build the website
#   make test   install (first time), then the whole test suite in FAST mode
#   make lab    open the notebooks in JupyterLab
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONHASHSEED := 0
export SDL_VIDEODRIVER := dummy
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: browser-deps help install book test test-py test-nb test-book test-colab lint lab reproduce reproduce-fast exercises sync clean

help:
	@echo "make book | make test | make lab | make reproduce | make exercises"

define cpu_torch
	if $(1) -c "import torch" 2>/dev/null; then :; \
	elif $(1) -m pip install -q --dry-run --no-index --no-deps "torch==2.13.0" >/dev/null 2>&1; then \
	  $(1) -m pip install -q "torch==2.13.0"; \
	else $(1) -m pip install -q "torch>=2.2,<2.14" \
	  --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple; fi
endef

# The CPU torch wheel goes in first, so the range in requirements.txt is already
# satisfied and pip never pulls a multi-GB CUDA build: a local CPU wheel of
# 2.13.0 if pip can find one without an index (find-links), else the newest
# admitted release from PyTorch's CPU-only index.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
	$(call cpu_torch,$(PY))
	$(PY) -m pip install -q -r requirements.txt 2>&1 | grep -v 'is ignored' || true
	$(PY) -m pip install -q --no-deps -e . 2>&1 | grep -v 'is ignored' || true
	$(PY) -c "import torch, mbrl_lessons; assert '+cpu' in torch.__version__ or not torch.cuda.is_available(); print('installed: torch', torch.__version__)"
	touch $(STAMP)

install: $(STAMP)

# The website runs every notebook at the FAST budget (the pages show the
# committed full-budget results beside the live run); `make book FULL=1` runs
# the notebooks at the full budget instead (much slower).
FULL ?=
book: install
	MBRL_LESSONS_NO_PROGRESS=1 MBRL_LESSONS_FAST=$(if $(FULL),0,1) $(BIN)/jupyter-book build .
	@echo
	@echo "The book is built. Open: file://$(abspath _build/html/index.html)"

# The whole suite, FAST budgets (nbval runs each notebook whole on one worker).  Each stage prints its own timing.
test: install
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint test-py test-nb test-book test-colab; \
	echo "make test: all stages passed in $$(( $$(date +%s) - start )) s"

lint: install
	$(BIN)/ruff check mbrl_lessons tests benchmarks tools

test-py: install
	MBRL_LESSONS_FAST=1 $(BIN)/pytest -q -n 2 --ignore=tests/site tests

test-nb: install
	MBRL_LESSONS_FAST=1 OMP_NUM_THREADS=1 $(BIN)/pytest -q -n 2 --dist loadfile \
	  --nbval-lax --nbval-current-env --nbval-kernel-startup-timeout=180 --timeout=600 \
	  -p no:cacheprovider book $(wildcard solutions/*.ipynb)

# Build from an empty cache (every notebook executes, FAST) into its own folder
# (so FAST outputs never land in the cache `make book` uses), warnings are
# errors; then check every page of the toc, in the HTML and in a browser.
FAST_SITE := _build/fast
test-book: install browser-deps
	rm -rf $(FAST_SITE)
	MBRL_LESSONS_NO_PROGRESS=1 MBRL_LESSONS_FAST=1 $(BIN)/jupyter-book build . -W --keep-going --path-output $(FAST_SITE)
	MBRL_LESSONS_FAST=1 MBRL_LESSONS_REQUIRE_SITE=1 MBRL_LESSONS_SITE=$(FAST_SITE)/_build/html \
	  $(BIN)/pytest -q -p no:cacheprovider tests/site

# The browser check needs Chromium (Debian package; installed here when run as
# root) and, because the site loads MathJax and the widget manager from CDNs,
# their npm packages served locally.  Without them the browser tests skip.
browser-deps: install
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "could not install chromium: browser tests will skip"; \
	  else echo "no chromium (install it to run the browser tests)"; fi; fi
	@if [ ! -d $(VENV)/site-assets/node_modules/mathjax ] && command -v npm >/dev/null; then \
	  mkdir -p $(VENV)/site-assets && npm install --prefix $(VENV)/site-assets --silent \
	    --no-audit --no-fund mathjax@3 requirejs@2 @jupyter-widgets/html-manager@1.0.6 \
	    >/dev/null || echo "could not install the site assets: browser tests will skip"; fi

# The notebooks in Colab's package versions (.ci/colab-packages.txt, and what
# that file says is not matched): a venv with those versions, the course package
# installed as each notebook's first cell installs it in Colab (not editable,
# with its dependencies), a check that pip changed none of Colab's packages,
# then every notebook at FAST on the installed package (the results it shows
# come from inside the wheel).
COLAB_VENV := .venv-colab
$(COLAB_VENV)/.installed: .ci/colab-packages.txt
	rm -rf $(COLAB_VENV) && $(PYTHON) -m venv $(COLAB_VENV)
	$(call cpu_torch,$(COLAB_VENV)/bin/python)
	$(COLAB_VENV)/bin/pip install -q -r .ci/colab-packages.txt 2>&1 | grep -v 'is ignored' || true
	touch $@

test-colab: install $(COLAB_VENV)/.installed
	$(COLAB_VENV)/bin/pip install -q --force-reinstall --no-deps . 2>&1 | grep -v 'is ignored' || true
	$(COLAB_VENV)/bin/pip install -q . "nbval>=0.11" "pytest-xdist>=3.5" "pytest-timeout>=2.3" \
	  2>&1 | grep -v 'is ignored' || true
	$(COLAB_VENV)/bin/python .ci/check_pins.py .ci/colab-packages.txt
	PYDEVD_DISABLE_FILE_VALIDATION=1 MBRL_LESSONS_FAST=1 OMP_NUM_THREADS=1 $(COLAB_VENV)/bin/pytest -q -n 2 --dist loadfile \
	  --nbval-lax --nbval-current-env --nbval-kernel-startup-timeout=180 --timeout=600 -p no:cacheprovider book

lab: install
	$(BIN)/jupyter lab book

# Full-budget benchmarks write results/<name>.json (see benchmarks/README.md).
# tools/reproduce.py runs them one after another; each runs its (variant x
# seed) jobs through mbrl_lessons.sweep on Ray: a local Ray on this machine's
# cores (in process if it cannot start), or the cluster at RAY_ADDRESS.
# Finished jobs are cached in .sweep_cache/, so an interrupted run resumes; a
# failing benchmark is reported and the others still run; the end prints the
# seconds of each and the total against the budget (3 h full, 2 min FAST).
# SEEDS=10 raises every benchmark's seed count to at least 10.
SEEDS ?=
reproduce: install
	MBRL_LESSONS_SEEDS=$(SEEDS) $(PY) tools/reproduce.py

reproduce-fast: install
	MBRL_LESSONS_SEEDS=$(SEEDS) $(PY) tools/reproduce.py --fast

exercises: install
	$(PY) -m mbrl_lessons.grading.generate

# Keep each notebook and its py:percent twin in step.
sync: install
	$(PY) tools/colab_cells.py
	$(PY) tools/course_plan.py
	$(BIN)/jupytext --sync book/*.ipynb $(wildcard solutions/*.ipynb)

clean:
	rm -rf _build .pytest_cache

# Answer keys of the prose exercises (instructors/answer_keys/, never on the
# website), gathered in the book's order into build/answer_keys.md; fails if an
# exercise of book/ has no key.
.PHONY: answer-keys
answer-keys: install
	$(PY) tools/answer_keys.py --out build/answer_keys.md

# Gradescope autograder bundles: build/gradescope/<notebook>.zip for every
# exercise notebook (setup.sh, run_autograder, config.json, the package wheel).
# NOTEBOOK=ch02_mdp builds one; HIDDEN=dir adds a folder of hidden checks.
.PHONY: gradescope
gradescope: install
	$(PY) -m mbrl_lessons.grading.gradescope build --out build/gradescope \
	  $(if $(NOTEBOOK),--notebook $(NOTEBOOK)) $(if $(HIDDEN),--hidden $(HIDDEN))
