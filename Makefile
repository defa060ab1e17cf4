# The two commands from the README: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_DB := sample_data/demo/demo.duckdb
PORT   ?= 8501
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup demo chromium screenshots bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

setup: $(STAMP)

$(DEMO_DB): | $(STAMP)
	$(PY) -m analytics demo --db $(DEMO_DB)

demo: setup
	$(PY) -m analytics demo --db $(DEMO_DB)

## make run: install, open the dashboard on $ANOMALY_DB if set, else on the demo (built on first run).
run: setup
	@[ -n "$$ANOMALY_DB" ] || $(MAKE) --no-print-directory $(DEMO_DB)
	ANOMALY_DB="$${ANOMALY_DB:-$(DEMO_DB)}" $(VENV)/bin/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(PORT)

## Debian's chromium, for the end-to-end browser test (Playwright drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

## make test: the same set-up, then every test.
test: setup chromium
	$(PY) -m pytest -n 2 --dist loadfile -q

## make screenshots: the README's images, from the browser test on the full demo (taken into a temporary
## folder, copied into docs/screenshots/ once the run has passed: the tests' guard allows no tracked change).
screenshots: setup chromium
	@shots=$$(mktemp -d) && UPDATE_SCREENSHOTS=$$shots $(PY) -m pytest -q -s tests/test_browser.py \
	  && cp $$shots/watchlist.png $$shots/seller.png $$shots/meeting.png docs/screenshots/ && rm -rf $$shots

bench: setup $(DEMO_DB)
	$(PY) -m analytics.bench ingest
	$(PY) -m analytics.bench score --sellers 100000
	$(PY) -m analytics.bench pages --db $(DEMO_DB)

clean:
	rm -rf $(VENV) sample_data/demo
