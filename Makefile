# Accord: every target that needs Python tools creates the virtual environment first, from the lock.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
PY := $(BIN)/python
# The branch that `make breaking` compares against.
AGAINST ?= main

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Accord needs Python 3.11 or newer; set PYTHON=python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# Generated code lives in gen/python; the venv finds it there without an install step.
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "accord-gen.pth").write_text(str(pathlib.Path("gen/python").resolve()) + "\n")'
	@touch $@

.PHONY: venv
venv: $(STAMP) ## Create the virtual environment from requirements.lock

# The bench-only baselines (FastStream) go into the same venv, from their own lock.
$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-bench.lock
	@touch $@

.PHONY: lock
lock: $(STAMP) ## Re-resolve requirements.lock (and requirements-bench.lock) from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.11 --generate-hashes --quiet -o requirements-bench.lock

# The TypeScript SDK is generated with protoc-gen-es (an npm package, pinned in
# tools/typescript): codegen needs Node.js 20+ and installs it from its lock on first use.
.PHONY: codegen
codegen: $(STAMP) ## Generate gen/python and sdk/ (Python and TypeScript SDKs, API reference) from proto/ and asyncapi/
	$(PY) -m accord codegen

.PHONY: codegen-check
codegen-check: $(STAMP) ## Regenerate and fail if gen/ or sdk/ differs from what is committed
	$(PY) -m accord codegen --check

.PHONY: sdk
sdk: $(STAMP) ## Build the SDKs: dist/acme_sdk-*.whl (Python) and dist/acme-sdk-*.tgz (npm)
	$(PY) -m accord sdk --out dist

.PHONY: lint
lint: $(STAMP) ## buf lint and format, AsyncAPI validation, policy lint, ruff, mypy --strict
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code --exclude-path third_party
	$(PY) -m accord lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	cd sdk/python && ../../$(BIN)/mypy --cache-dir ../../.mypy_cache/sdk -p acme_sdk

.PHONY: breaking
breaking: $(STAMP) ## Compare contracts with $(AGAINST): buf breaking (FILE) plus policy, lifecycle and AsyncAPI checks
	$(PY) -m accord breaking --against $(AGAINST)

# `make run` and `make demo` are for development: keys and credentials missing under .accord/
# are created there. ACCORD_MODE=production make run uses only the keys it is given.
.PHONY: run
run: $(STAMP) ## Start NATS (embedded unless NATS_URL is set) and every service, in development mode
	ACCORD_MODE=$${ACCORD_MODE:-development} $(PY) -m accord run

.PHONY: streams
streams: $(STAMP) ## Create or update the streams, buckets and consumers the AsyncAPI documents declare
	$(PY) -m accord streams

# First client port of `make cluster` (n1; n2 and n3 take the next two); 0 picks free ports.
CLUSTER_PORT ?= 0

.PHONY: cluster
cluster: $(STAMP) ## Run a local 3-node JetStream cluster for trying failover (Ctrl-C stops it)
	ACCORD_MODE=$${ACCORD_MODE:-development} $(PY) -m accord cluster --port $(CLUSTER_PORT)

.PHONY: demo
demo: $(STAMP) ## Run the product brief's journeys against `make run`, printing a timeline of each
	ACCORD_MODE=$${ACCORD_MODE:-development} $(PY) -m demo

.PHONY: bench
bench: $(BENCH_STAMP) ## Run the benchmarks; figures are ratios against baselines from the same run
	@command -v h2load >/dev/null || echo "h2load is missing, the edge benchmarks need it: apt-get install nghttp2-client"
	ACCORD_MODE=$${ACCORD_MODE:-development} $(PY) -m bench

# `make soak` runs this long, at this rate, killing a random service this often.
SOAK_SECONDS ?= 180
SOAK_RATE ?= 20
SOAK_KILL_EVERY ?= 20

.PHONY: soak
soak: $(STAMP) ## The platform under make run, killed at random while it takes orders; audits every order (about 4 minutes)
	$(PY) -m bench.soak --duration $(SOAK_SECONDS) --rate $(SOAK_RATE) --kill-every $(SOAK_KILL_EVERY)

.PHONY: test
test: $(STAMP) ## Run every test: unit, integration and end-to-end
	$(BIN)/pytest

.PHONY: test-unit
test-unit: $(STAMP) ## Run the fast unit tests only
	$(BIN)/pytest -m "not integration and not e2e"

.PHONY: test-integration
test-integration: $(STAMP) ## Run the tests that start real servers
	$(BIN)/pytest -m "integration or e2e"

.PHONY: clean
clean: ## Remove local state (.accord/), caches and the virtual environment
	rm -rf .accord .venv .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
