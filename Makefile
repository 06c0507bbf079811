# Peyvand — the targets read like the README.
SHELL := /bin/bash
PY := .venv/bin/python
PYTEST := $(PY) -m pytest

.PHONY: help venv protos run test test-unit test-integration test-e2e test-faults lint typecheck bench bench-report clean

help:
	@echo "make run    - the whole stack with demo data (prints where to look)"
	@echo "make test   - every test (installs what it needs, starts private brokers)"
	@echo "make bench  - benchmarks with baselines measured in the same run"
	@echo "make bench-report - one summary table from suites run one at a time (bench/results/*-latest.json)"
	@echo "make lint   - ruff; make typecheck - mypy"

venv:
	@bash scripts/bootstrap.sh

protos: venv
	@$(PY) -m peyvand_runtime.protogen

run: venv
	@$(PY) -m peyvand_stack.run

test: venv
	@bash scripts/ensure-rabbitmq-installed.sh
	@$(PYTEST) $(wildcard tests/unit tests/integration tests/e2e tests/faults tests/security)

test-unit: venv
	@$(PYTEST) tests/unit

test-integration: venv
	@bash scripts/ensure-rabbitmq-installed.sh
	@$(PYTEST) tests/integration

test-e2e: venv
	@bash scripts/ensure-rabbitmq-installed.sh
	@$(PYTEST) tests/e2e

test-faults: venv
	@bash scripts/ensure-rabbitmq-installed.sh
	@$(PYTEST) tests/faults

lint: venv
	@$(PY) -m ruff check libs services tests bench

typecheck: venv
	@$(PY) -m mypy libs/peyvand_runtime

bench: venv
	@bash scripts/ensure-rabbitmq-installed.sh
	@$(PY) -m bench

bench-report: venv
	@$(PY) -m bench.report $(wildcard bench/results/*-latest.json)

clean:
	rm -rf gen run .pytest_cache .mypy_cache .ruff_cache
