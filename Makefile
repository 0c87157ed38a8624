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

.PHONY: setup apertium chromium run test bench clean vendor-chartjs

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP) apertium
	$(KB) models prepare

# Offline English<->Spanish translation (Debian packages; transfuse keeps markup on the words it
# belongs to, which glossary enforcement relies on); installed with apt-get when missing.
APERTIUM_PACKAGES := apertium apertium-eng-spa transfuse
apertium:
	@if command -v apertium >/dev/null 2>&1 && command -v tf-extract >/dev/null 2>&1 && [ -f /usr/share/apertium/modes/eng-spa.mode ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "Apertium is missing and apt-get is not available: install $(APERTIUM_PACKAGES) for offline translation" >&2; exit 1; \
	else \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
		echo "installing $(APERTIUM_PACKAGES) with apt-get"; \
		$$SUDO apt-get install -y -qq $(APERTIUM_PACKAGES) >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(APERTIUM_PACKAGES) >/dev/null; }; \
	fi

run: setup
	$(KB) ingest --sample
	$(KB) serve

# Headless Chromium for the web pages' end-to-end tests (Debian's package; Playwright drives it, it
# never downloads a browser of its own), and CJK fonts so that the screenshots show Japanese and
# Chinese tickets; installed with apt-get when missing.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ -x "$(CHROMIUM)" ] && [ -d /usr/share/fonts/opentype/noto ]; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "Chromium is missing and apt-get is not available: install chromium (or set CHROMIUM=/path/to/chromium)" >&2; exit 1; \
	else \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
		echo "installing chromium and fonts-noto-cjk with apt-get"; \
		$$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; \
	fi

test: setup chromium
	KB_TEST_CHROMIUM="$(CHROMIUM)" $(PY) -m pytest -q

bench: setup
	$(PY) -m eval.bench_service

# Refresh the vendored Chart.js (kb_service/web/static/vendor/README.md says what is there).
CHARTJS_VERSION ?= 4.6.1
vendor-chartjs:
	rm -rf .vendor-tmp && mkdir .vendor-tmp && cd .vendor-tmp && npm pack --silent chart.js@$(CHARTJS_VERSION) >/dev/null && tar xzf chart.js-*.tgz
	sed '/^\/\/# sourceMappingURL=/d' .vendor-tmp/package/dist/chart.umd.min.js > kb_service/web/static/vendor/chart.umd.min.js
	cp .vendor-tmp/package/LICENSE.md kb_service/web/static/vendor/chart.js.LICENSE.md
	rm -rf .vendor-tmp
	sha256sum kb_service/web/static/vendor/chart.umd.min.js

clean:
	rm -rf $(VENV) data .pytest_cache
