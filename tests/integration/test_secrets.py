"""Credentials in the keyring: in-memory backend, encrypted-file fallback, backend policy, error texts.

The Secret Service half (a real gnome-keyring daemon) is in ``test_secrets_daemon.py``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TypedDict

import keyring
import pytest
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from vmi_desktop.errors import ValidationError
from vmi_desktop.secrets import (
    SERVICE_NAME,
    CredentialStore,
    KeyringAccessError,
    KeyringError,
    KeyringLockedError,
    KeyringUnavailableError,
    MasterPasswordRequired,
    MemoryKeyring,
    NoSecureKeyringError,
    SecretKind,
    WrongMasterPasswordError,
)
from vmi_desktop.sync.auth import VendorCredentials

SECRET = "s3cr3t-token-value-0815"
MASTER = "correct horse battery staple"


class KdfCost(TypedDict):
    """The key-derivation cost arguments of ``CredentialStore.use_encrypted_file``."""

    kdf_time_cost: int
    kdf_memory_cost: int


FAST_KDF: KdfCost = {"kdf_time_cost": 1, "kdf_memory_cost": 1024}  # Argon2 defaults take ~1 s per call, on purpose


@pytest.fixture
def no_secure_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Secret Service/KWallet: no session bus to talk to."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vmi-test-bus")


def _store(tmp_path: Path) -> CredentialStore:
    return CredentialStore(config_dir=tmp_path / "config", data_dir=tmp_path / "data")


class _Vendor:
    def __init__(self, code: str) -> None:
        self.code = code


# -- in-memory backend ------------------------------------------------------------------------


def test_round_trip_in_memory_under_app_service_and_vendor_kind_username() -> None:
    ring = MemoryKeyring()
    store = CredentialStore(backend=ring)
    store.set("ACME", SecretKind.TOKEN, SECRET)
    assert store.get("ACME", SecretKind.TOKEN) == SECRET
    assert ring.get_password(SERVICE_NAME, "ACME:token") == SECRET
    assert store.get("ACME", SecretKind.CLIENT_SECRET) is None
    assert store.get("BOLT", SecretKind.TOKEN) is None
    assert store.status("ACME") == {
        SecretKind.TOKEN: True,
        SecretKind.CLIENT_SECRET: False,
        SecretKind.KEY_PASSWORD: False,
    }
    store.delete("ACME", SecretKind.TOKEN)
    assert store.get("ACME", "token") is None
    store.delete("ACME", SecretKind.TOKEN)  # deleting what is not there is fine


def test_credentials_for_vendor_gives_the_sync_client_its_values() -> None:
    store = CredentialStore.in_memory()
    store.set("ACME", SecretKind.CLIENT_SECRET, "cs-1")
    store.set("ACME", SecretKind.KEY_PASSWORD, "kp-1")
    creds = store.credentials_for(_Vendor("ACME"))
    assert isinstance(creds, VendorCredentials)
    assert (creds.token, creds.client_secret, creds.key_password) == (None, "cs-1", "kp-1")
    assert "cs-1" not in repr(creds)


def test_empty_value_and_missing_vendor_code_are_refused() -> None:
    store = CredentialStore.in_memory()
    with pytest.raises(ValidationError, match="empty"):
        store.set("ACME", SecretKind.TOKEN, "")
    with pytest.raises(ValidationError, match="vendor code"):
        store.get("", SecretKind.TOKEN)


def test_memory_keyring_is_never_picked_by_keyring_itself() -> None:
    assert not MemoryKeyring.viable
    assert not any(isinstance(b, MemoryKeyring) for b in keyring.backend.get_all_keyring())


def test_explicit_backend_is_not_remembered(tmp_path: Path) -> None:
    store = CredentialStore(backend=MemoryKeyring(), config_dir=tmp_path)
    store.set("ACME", SecretKind.TOKEN, SECRET)
    assert not (tmp_path / "keyring.json").exists()


# -- backend policy ---------------------------------------------------------------------------


def test_no_secure_backend_raises_clear_error_offering_the_encrypted_file(
    tmp_path: Path, no_secure_keyring: None
) -> None:
    store = _store(tmp_path)
    with pytest.raises(NoSecureKeyringError, match="encrypted file"):
        store.set("ACME", SecretKind.TOKEN, SECRET)
    assert not (tmp_path / "config" / "keyring.json").exists()
    assert not (tmp_path / "data").exists()  # nothing written anywhere, plaintext least of all


def test_remembered_backend_that_is_gone_is_not_silently_replaced(tmp_path: Path, no_secure_keyring: None) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "keyring.json").write_text(json.dumps({"backend": "keyring.backends.SecretService.Keyring"}))
    store = _store(tmp_path)
    with pytest.raises(KeyringUnavailableError, match="will not switch"):
        store.get("ACME", SecretKind.TOKEN)


def test_remembered_insecure_backend_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "keyring.json").write_text(json.dumps({"backend": "keyrings.alt.file.PlaintextKeyring"}))
    with pytest.raises(KeyringUnavailableError, match="not a secure backend"):
        _store(tmp_path).get("ACME", SecretKind.TOKEN)


# -- encrypted-file fallback ------------------------------------------------------------------


def test_encrypted_file_fallback_round_trip_and_file_holds_no_secret(tmp_path: Path, no_secure_keyring: None) -> None:
    store = _store(tmp_path)
    store.use_encrypted_file(MASTER, **FAST_KDF)
    store.set("ACME", SecretKind.TOKEN, SECRET)
    assert store.get("ACME", SecretKind.TOKEN) == SECRET
    assert store.uses_encrypted_file
    path = tmp_path / "data" / "secrets.cryptfile.cfg"
    raw = path.read_bytes()
    assert SECRET.encode() not in raw
    assert MASTER.encode() not in raw
    assert (path.stat().st_mode & 0o077) == 0  # readable by the owner only
    remembered = json.loads((tmp_path / "config" / "keyring.json").read_text())
    assert remembered == {"backend": "encrypted-file", "path": str(path)}
    assert SECRET not in json.dumps(remembered)


def test_encrypted_file_must_be_unlocked_with_the_right_master_password(
    tmp_path: Path, no_secure_keyring: None
) -> None:
    first = _store(tmp_path)
    first.use_encrypted_file(MASTER, **FAST_KDF)
    first.set("ACME", SecretKind.TOKEN, SECRET)

    later = _store(tmp_path)  # the next start of the app
    assert later.uses_encrypted_file
    with pytest.raises(MasterPasswordRequired, match="master password"):
        later.get("ACME", SecretKind.TOKEN)
    with pytest.raises(WrongMasterPasswordError) as wrong:
        later.use_encrypted_file("not the password", **FAST_KDF)
    assert "not the password" not in str(wrong.value)
    later.use_encrypted_file(MASTER, **FAST_KDF)
    assert later.get("ACME", SecretKind.TOKEN) == SECRET


def test_encrypted_file_is_refused_when_a_keyring_is_already_remembered(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "keyring.json").write_text(json.dumps({"backend": "keyring.backends.SecretService.Keyring"}))
    with pytest.raises(KeyringError, match="will not move"):
        _store(tmp_path).use_encrypted_file(MASTER, **FAST_KDF)


def test_blank_master_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot be empty"):
        _store(tmp_path).use_encrypted_file("   ", **FAST_KDF)


# -- errors never carry the value -------------------------------------------------------------


class _BrokenKeyring(KeyringBackend):
    """A backend that fails the way real ones do, echoing what it was given."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend, never chosen automatically")

    def __init__(self, exc_type: type[Exception]) -> None:
        super().__init__()
        self.exc_type = exc_type

    def get_password(self, service: str, username: str) -> str | None:
        raise self.exc_type(f"cannot read {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.exc_type(f"cannot store password {password!r} for {username}")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("nothing")


def test_backend_failure_is_wrapped_without_the_secret(caplog: pytest.LogCaptureFixture) -> None:
    store = CredentialStore(backend=_BrokenKeyring(RuntimeError))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(KeyringAccessError) as err:
        store.set("ACME", SecretKind.TOKEN, SECRET)
    assert "API token for vendor ACME" in str(err.value)
    assert SECRET not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert SECRET not in caplog.text


def test_locked_backend_gives_an_actionable_message() -> None:
    store = CredentialStore(backend=_BrokenKeyring(KeyringLocked))
    with pytest.raises(KeyringLockedError, match=r"is locked\. Unlock it and try again"):
        store.get("ACME", SecretKind.TOKEN)
    with pytest.raises(KeyringLockedError) as err:
        store.set("ACME", SecretKind.CLIENT_SECRET, SECRET)
    assert SECRET not in str(err.value)


def test_encrypted_file_values_are_decrypted_once_and_updates_replace_them(
    tmp_path: Path, no_secure_keyring: None
) -> None:
    store = _store(tmp_path)
    store.use_encrypted_file(MASTER, **FAST_KDF)
    store.set("ACME", SecretKind.TOKEN, "first-value")
    assert store.get("ACME", SecretKind.TOKEN) == "first-value"
    path = tmp_path / "data" / "secrets.cryptfile.cfg"
    kept = path.read_bytes()
    path.write_bytes(b"")  # a read now would find nothing: the value comes from memory
    assert store.get("ACME", SecretKind.TOKEN) == "first-value"
    path.write_bytes(kept)
    store.set("ACME", SecretKind.TOKEN, "second-value")
    assert store.get("ACME", SecretKind.TOKEN) == "second-value"
    store.delete("ACME", SecretKind.TOKEN)
    assert store.get("ACME", SecretKind.TOKEN) is None
    assert _store(tmp_path).remembered_backend() == "encrypted-file"
