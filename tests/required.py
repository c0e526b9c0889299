"""What CI must run: the tests that need a piece of the machine, and what happens when it is missing.

Tests that need PostgreSQL (initdb/pg_ctl), a Secret Service daemon (marker ``keyring_daemon``) or an X
display (marker ``xvfb``) skip with the reason on a developer's machine that lacks the piece. CI sets
``VMI_REQUIRE_ALL=1`` (``.ci/run``): there the same reason fails the test, so a broken CI image cannot
turn into a green run that silently tested less.
"""

from __future__ import annotations

import functools
import os
import shutil
from typing import NoReturn

import pytest

REQUIRE_ALL_ENV = "VMI_REQUIRE_ALL"
#: Markers of the tests CI must run (``postgres`` is added to every test that uses the PostgreSQL cluster).
REQUIRED_MARKERS = ("postgres", "keyring_daemon", "xvfb")


def require_all() -> bool:
    """Whether every test must run (``VMI_REQUIRE_ALL`` set to anything but empty or 0)."""
    return os.environ.get(REQUIRE_ALL_ENV, "") not in ("", "0")


def required_failure(reason: str) -> str:
    """The failure text for a required test that cannot run: the skip's reason, and why it fails."""
    return f"{reason} ({REQUIRE_ALL_ENV}=1: this test must run here, so it fails instead of skipping)"


def unavailable(reason: str) -> NoReturn:
    """A piece the test needs is missing: skip with ``reason``, or fail with it when every test must run."""
    if require_all():
        pytest.fail(required_failure(reason), pytrace=False)
    pytest.skip(reason)


@functools.cache
def secret_service_missing() -> str | None:
    """Why no real Secret Service is reachable on this session bus, or None when one answers."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no D-Bus session (run under .ci/keyring-session.sh)"
    if not shutil.which("gnome-keyring-daemon"):
        return "gnome-keyring is not installed (apt-get install gnome-keyring dbus-x11)"
    from keyring.backends import SecretService

    if not SecretService.Keyring.viable:
        return "no Secret Service answers on this D-Bus session"
    return None


def display_missing() -> str | None:
    """Why there is no X display for real windows, or None when there is one."""
    return None if os.environ.get("DISPLAY") else "needs an X display: run under xvfb-run -a"
