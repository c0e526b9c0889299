#!/usr/bin/env bash
# The static gates CI runs before the tests: ruff lint, ruff format check, mypy over the code and the tests.
#
# Uses the .venv that scripts/test.sh uses, with ruff and mypy at the versions pinned in pyproject.toml
# (the `lint` extra), so a new release cannot change the verdict. Runs all three and fails if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh

status=0
echo "== ruff check" && .venv/bin/ruff check . || status=1
echo "== ruff format --check" && .venv/bin/ruff format --check . || status=1
echo "== mypy vmi_desktop tests" && .venv/bin/mypy vmi_desktop tests || status=1
exit "$status"
