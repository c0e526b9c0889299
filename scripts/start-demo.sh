#!/usr/bin/env bash
# Set up a virtualenv, fill the built-in SQLite database with demo data (first run only) and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
.venv/bin/vmi-desktop demo --if-empty
exec .venv/bin/vmi-desktop "$@"
