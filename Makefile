# Set-up and entry points. Each target creates (or reuses) .venv and installs
# the pinned requirements into it first, so a fresh machine needs only
# python3 (3.11 or 3.12) and make. ASSIGNMENTS_DATA_DIR is passed through.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run full test notebooks clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

# The main job: every built assignment in quick mode, with a summary table.
run: $(STAMP)
	$(PY) run_all.py --quick

# Every built assignment in full mode (hours on a CPU).
full: $(STAMP)
	$(PY) run_all.py

# Shape tests, real-data quick tests (when ASSIGNMENTS_DATA_DIR is set),
# pretrained-weight tests and bad-input tests.
test: $(STAMP)
	$(PY) -m pytest -m ""

# The assignments as Jupyter notebooks in notebooks/ (jupytext), with the Colab
# set-up lines of common/colab.py synced into each script first.
notebooks: $(STAMP)
	$(PY) -m common.notebooks

clean:
	rm -rf runs .pytest_cache
