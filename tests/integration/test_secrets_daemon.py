"""Credentials against a real Secret Service daemon (gnome-keyring under dbus-run-session).

CI runs these through ``.ci/keyring-session.sh``; elsewhere they skip with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vmi_desktop.secrets import SERVICE_NAME, CredentialStore, SecretKind

SECRET = "daemon-secret-7f3a9"
ROOT = Path(__file__).resolve().parents[2]


# Without a reachable Secret Service these skip with the reason (fail in CI): tests/conftest.py.
pytestmark = pytest.mark.keyring_daemon


def test_secret_service_is_chosen_remembered_and_round_trips(tmp_path: Path) -> None:
    from keyring.backends import SecretService

    store = CredentialStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    assert isinstance(store.backend, SecretService.Keyring)
    store.set("ACME", SecretKind.TOKEN, SECRET)
    try:
        assert store.get("ACME", SecretKind.TOKEN) == SECRET
        # Really in the daemon, under our service name and per-vendor key:
        assert SecretService.Keyring().get_password(SERVICE_NAME, "ACME:token") == SECRET
        assert json.loads((tmp_path / "config" / "keyring.json").read_text()) == {
            "backend": "keyring.backends.SecretService.Keyring"
        }
        again = CredentialStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
        assert again.get("ACME", SecretKind.TOKEN) == SECRET
    finally:
        store.delete("ACME", SecretKind.TOKEN)
    assert store.get("ACME", SecretKind.TOKEN) is None
    assert not (tmp_path / "data").exists()  # nothing on disk but the choice of backend


def test_locked_keyring_gives_clear_error(tmp_path: Path) -> None:
    """Runs in a nested private session: locking the shared daemon would break the other tests."""
    script = textwrap.dedent(
        f"""
        import pathlib, secretstorage
        from vmi_desktop.secrets import CredentialStore, KeyringLockedError, SecretKind
        store = CredentialStore(config_dir=pathlib.Path({str(tmp_path)!r}))
        store.set("ACME", SecretKind.TOKEN, {SECRET!r})
        secretstorage.get_default_collection(secretstorage.dbus_init()).lock()
        try:
            store.get("ACME", SecretKind.TOKEN)
        except KeyringLockedError as exc:
            assert {SECRET!r} not in str(exc)
            print("LOCKED:", exc)
        """
    )
    result = subprocess.run(
        [str(ROOT / ".ci" / "keyring-session.sh"), sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        # With a display, gnome-keyring would wait for someone to type the password into a prompt window.
        env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "LOCKED: Could not read the API token for vendor ACME" in result.stdout
    assert "is locked. Unlock it and try again." in result.stdout
