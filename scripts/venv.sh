# Sourced by scripts/test.sh and scripts/lint.sh: one .venv with the package, the test and the lint extras,
# so the tests and the static gates (ruff, mypy: exact versions pinned in pyproject.toml) share one set of
# installed versions.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,lint]'
