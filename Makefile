# `make run` and `make test` each do the whole set-up on their own, on a fresh machine or again.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KB := $(VENV)/bin/kb
STAMP := $(VENV)/.installed
# The CPU build of PyTorch goes in first so that nothing pulls a CUDA build. Off this project's
# machines, add e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu".
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=

.PHONY: setup run test bench clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)
	$(KB) models prepare

run: setup
	$(KB) ingest --sample
	$(KB) serve

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) -m eval.bench_service

clean:
	rm -rf $(VENV) data .pytest_cache
