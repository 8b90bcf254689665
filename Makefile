# moto_forge: run `make help` for the targets.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install test fast test-go moto-suite lint bench serve clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install moto_forge with its test tools

lint: $(STAMP) ## ruff (lint + format check) and mypy --strict
	$(PY) -m ruff check moto_forge tests bench scripts/moto_suite.py
	$(PY) -m ruff format --check moto_forge tests bench scripts/moto_suite.py
	$(PY) -m mypy

PEER := tests/forge/peer
PEER_STAMP := $(PEER)/node_modules/.installed

$(PEER_STAMP): $(PEER)/package-lock.json
	cd $(PEER) && npm ci --no-audit --no-fund --loglevel=error
	touch $(PEER_STAMP)

test: $(STAMP) $(PEER_STAMP) lint ## install what is needed (Python, npm and Debian packages), lint, run the whole suite
	scripts/ensure-test-deps
	$(PY) -m pytest
	$(MAKE) --no-print-directory moto-suite
	$(MAKE) --no-print-directory test-go

moto-suite: $(STAMP) ## moto's own tests/test_s3, server mode and in-process, checked against tests/moto_suite/
	$(PY) scripts/moto_suite.py --mode server
	$(PY) scripts/moto_suite.py --mode inprocess

fast: $(STAMP) lint ## the inner loop: lint and the unit tests (no servers, no Forge peer, nothing slow)
	$(PY) -m pytest -q -x -m "not slow" --ignore=tests/e2e --ignore=tests/forge

test-go: $(STAMP) $(PEER_STAMP) ## the Forge and e2e tests again, against the real Go services (piri + indexing-service)
	@scripts/ensure-test-deps
	@if command -v go >/dev/null; then \
	  tests/forge/gostack/build >/dev/null && $(PY) -m pytest --forge-stack=go; \
	else \
	  echo "NOT RUN: the Go Forge suite needs the go toolchain (tests/forge/gostack/README.md)" >&2; \
	fi

bench: $(STAMP) $(PEER_STAMP) ## benchmarks; prints tables and writes bench/results/*.json
	$(PY) -m bench.core
	$(PY) -m bench.engine
	$(PY) -m bench.s3
	$(PY) -m bench.mock
	$(PY) -m bench.forge

serve: $(STAMP) ## run the S3 server on the embedded store
	$(VENV)/bin/moto-forge serve

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
