"""A test CI must run (PostgreSQL, keyring daemon, X display) skips on a bare machine and fails in CI.

Runs pytest in a subprocess on a small test file with this suite's conftest as a plugin, on a machine
made bare on purpose: no PostgreSQL binaries (``VMI_TEST_PG_BIN`` names an empty folder), no D-Bus
session, no display.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import HOW_TO_ENABLE
from tests.required import REQUIRE_ALL_ENV

ROOT = Path(__file__).resolve().parents[2]

TESTS = """
import pytest

def test_on_postgres(pg_db):
    pass

@pytest.mark.keyring_daemon
def test_with_the_keyring_daemon():
    pass

@pytest.mark.xvfb
def test_on_a_display():
    pass

@pytest.mark.postgres
def test_required_but_skipped_inside():
    pytest.skip("the server is too old")

def test_optional_skip():
    pytest.skip("nice to have")

def test_plain():
    pass
"""

INI = """
[pytest]
markers =
    postgres: needs PostgreSQL
    keyring_daemon: needs a Secret Service daemon
    xvfb: needs a real X display
"""


@pytest.fixture
def bare_machine(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.Pytester:
    """A pytester folder with the test file, and an environment without PostgreSQL, D-Bus or display."""
    empty = tmp_path / "no-postgres"
    empty.mkdir()
    monkeypatch.setenv("VMI_TEST_PG_BIN", str(empty))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    for name in ("VMI_TEST_POSTGRES_URL", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY", REQUIRE_ALL_ENV):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini(INI)
    pytester.makepyfile(test_machine=TESTS)
    return pytester


def _run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:cacheprovider", "-rA", timeout=120)


def test_on_a_developer_machine_missing_pieces_skip_with_the_reason(bare_machine: pytest.Pytester) -> None:
    result = _run(bare_machine)
    result.assert_outcomes(passed=1, skipped=5)
    out = result.stdout.str()
    assert HOW_TO_ENABLE in out
    assert "no D-Bus session (run under .ci/keyring-session.sh)" in out
    assert "needs an X display: run under xvfb-run -a" in out
    assert REQUIRE_ALL_ENV not in out


def test_in_ci_a_required_test_that_cannot_run_fails_with_the_same_reason(
    bare_machine: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_ALL_ENV, "1")
    result = _run(bare_machine)
    # The three missing pieces fail at setup (errors), the skip inside a postgres test fails;
    # a skip in a test CI need not run stays a skip.
    result.assert_outcomes(passed=1, errors=3, failed=1, skipped=1)
    failing = f" ({REQUIRE_ALL_ENV}=1: this test must run here, so it fails instead of skipping)"
    for name, reason in (
        ("ERROR at setup of test_on_postgres", HOW_TO_ENABLE),
        ("ERROR at setup of test_with_the_keyring_daemon", "no D-Bus session (run under .ci/keyring-session.sh)"),
        ("ERROR at setup of test_on_a_display", "needs an X display: run under xvfb-run -a"),
        ("test_required_but_skipped_inside", "the server is too old"),
    ):
        result.stdout.fnmatch_lines([f"_* {name} _*", reason + failing], consecutive=True)
    result.stdout.fnmatch_lines(["SKIPPED * nice to have"])
