# moto_forge: run `make help` for the targets.
# The first of python3.13, python3.12, python3.11, python3 that is 3.11-3.13 (or PYTHON=...).
SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c '$(SUPPORTED)' 2>/dev/null && echo $$p && break; done)
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
DATA_DIR ?=

.DEFAULT_GOAL := help
.PHONY: help install test fast test-go moto-suite lint bench bench-peers serve clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(RUNTIME): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: moto-forge needs Python 3.11, 3.12 or 3.13, and none was found \
	(tried python3.13, python3.12, python3.11, python3): install one, or give make PYTHON=/path/to/python" >&2; exit 1; }
	@$(PYTHON) -c '$(SUPPORTED)' || { echo "make: $(PYTHON) is $$($(PYTHON) --version 2>&1); moto-forge needs \
	Python 3.11, 3.12 or 3.13 (give make PYTHON=/path/to/python)" >&2; exit 1; }
	@echo "make: installing moto-forge into $(VENV) with $$($(PYTHON) --version) (about a minute the first time)"
	@$(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet -e . \
	  || { rm -rf $(VENV); echo "make: the install failed; $(VENV) was removed, so the next make starts clean" >&2; exit 1; }
	@touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	@echo "make: installing the test tools (pytest, ruff, mypy, boto3, the aws CLI, ...) into $(VENV)"
	@$(PY) -m pip install --quiet -e '.[test]' \
	  || { rm -rf $(VENV); echo "make: the install failed; $(VENV) was removed, so the next make starts clean" >&2; exit 1; }
	@touch $(STAMP)

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
	$(PY) -m bench.peers
	$(PY) -m bench.profile
	@scripts/ensure-test-deps
	$(PY) -m bench.instances

bench-profile: $(STAMP) ## where a small PUT and GET spend their time (py-spy over one serve worker)
	$(PY) -m bench.profile

bench-peers: $(STAMP) ## moto_forge against moto_server, versitygw and MinIO, from the Go load generator (bench/peers.py)
	$(PY) -m bench.peers

serve: $(RUNTIME) ## run the S3 server on the embedded store (HOST=, PORT=, DATA_DIR=; installs only what serving needs)
	$(VENV)/bin/moto-forge serve --host $(HOST) --port $(PORT) $(if $(DATA_DIR),--data-dir $(DATA_DIR))

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
