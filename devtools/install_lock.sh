#!/bin/sh
# Usage: devtools/install_lock.sh LOCKFILE  (run by make from the repository root)
#
# Create .venv once and install a hashed lock file into it. uv does the work when it is on
# PATH or already in .venv; otherwise the venv's pip installs uv itself from
# requirements-uv.lock, and when even that fails pip installs the lock (slower, same pins).
# Both check every hash. Installing adds what is missing and never removes anything, so
# `make run` after `make test` keeps the test stack.
set -eu

lock=$1
venv=${VENV:-.venv}
python=${PYTHON:-python3}

uv=""
if [ -x "$venv/bin/uv" ]; then
    uv="$venv/bin/uv"
elif command -v uv >/dev/null 2>&1; then
    uv=$(command -v uv)
fi

if [ ! -x "$venv/bin/python" ]; then
    if [ -n "$uv" ]; then
        "$uv" venv --quiet --python "$python" "$venv"
    else
        "$python" -m venv "$venv"
        if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
                --require-hashes -r requirements-uv.lock; then
            uv="$venv/bin/uv"
        else
            echo "make: could not install uv; installing with pip instead (slower)" >&2
        fi
    fi
fi

if [ -n "$uv" ]; then
    "$uv" pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
fi
