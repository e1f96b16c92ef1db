# Two commands: `make demo` and `make test`. Everything else is what they build on.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export SYNCMON_HOME ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
PIP_QUIET := --quiet --disable-pip-version-check
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install chromium demo api test test-fast test-nightly run-once benchmark benchmark-refresh benchmark-alerts benchmark-alert-latency benchmark-reports benchmark-api wrk clean

install: $(VENV)/.installed dbt_models/target/manifest.json $(DAGSTER_HOME)/dagster.yaml chromium

# Headless Chromium renders report PDFs and e-mail chart images, and the browser tests drive it:
# Debian's package (playwright only drives it; it never downloads a browser).
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { echo "installing Debian's chromium package"; \
	    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
	    echo "WARNING: could not install chromium (run: sudo apt-get install chromium); PDFs are skipped and the browser tests fail"; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -e '.[test]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
	$(BIN)/python -c "import dagster, dagster_dbt, duckdb, syncmon_pipeline"
	touch $@

# dagster-dbt needs the manifest before it can load the code location outside `dagster dev`.
dbt_models/target/manifest.json: $(VENV)/.installed dbt_models/dbt_project.yml $(wildcard dbt_models/models/*/*) $(wildcard dbt_models/macros/*)
	cd dbt_models && ../$(BIN)/dbt parse --quiet --profiles-dir . --log-path target/logs

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: install
	./scripts/demo.sh

test: install
	$(BIN)/python -m pytest

# The fast tier: everything but whole-pipeline runs and the browser (a developer's inner loop).
test-fast: install
	$(BIN)/python -m pytest -m "not slow and not browser"

# Nightly-style: the generated-stream suite with many more examples.
test-nightly: install
	HYPOTHESIS_PROFILE=nightly $(BIN)/python -m pytest tests/test_contract_space.py tests/test_health_rules.py

run-once: install
	$(BIN)/syncmon run-once

# The live service alone (make demo starts it beside dagster dev).
api: install
	$(BIN)/syncmon api

benchmark: install
	$(BIN)/python benchmarks/ingest_benchmark.py

benchmark-refresh: install
	$(BIN)/python benchmarks/refresh_benchmark.py

benchmark-alerts: install
	$(BIN)/python benchmarks/alert_benchmark.py

benchmark-alert-latency: install
	$(BIN)/python benchmarks/alert_latency_benchmark.py --incidents 30
	$(BIN)/python benchmarks/alert_latency_benchmark.py --kind latency-anomaly

benchmark-reports: install
	$(BIN)/python benchmarks/report_benchmark.py

# The API benchmark drives its reads with wrk (Python clients cannot load the service enough to measure it).
wrk:
	@command -v wrk >/dev/null || { echo "installing Debian's wrk package"; \
	  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; } || \
	  echo "WARNING: could not install wrk (run: sudo apt-get install wrk); the benchmark skips its reads"; }

benchmark-api: install wrk
	$(BIN)/python benchmarks/api_benchmark.py

clean:
	rm -rf $(VENV) .dagster_home dbt_models/target dbt_models/logs
