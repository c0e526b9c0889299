"""Credentials stay safe: the token URL follows the base URL's rule, vendors never share a keyring entry,
and no secret reaches a log line or a stored supplier answer, even when the supplier echoes it back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.hostile_supplier import TOKEN, HostileRig, _Handler, event, hostile_rig, page_bytes
from vmi_desktop import catalog_service
from vmi_desktop.db import Database
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import AuthKind, InboxEvent, OutboxMessage
from vmi_desktop.secrets import SERVICE_NAME, CredentialStore, MemoryKeyring, SecretKind, VendorKey
from vmi_desktop.sync.auth import OAuth2ClientCredentials, VendorCredentials
from vmi_desktop.sync.client import InsecureUrlError, VmiConnectClient
from vmi_desktop.sync.engine import SyncEngine

FAST_KDF = {"kdf_time_cost": 1, "kdf_memory_cost": 1024}


# -- the OAuth2 token URL ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://auth.supplier.example/oauth/token", "http://10.1.2.3/token", "ftp://auth.example/x", "token"]
)
def test_an_oauth2_token_url_that_is_not_https_or_loopback_is_refused_at_use(url: str) -> None:
    credentials = VendorCredentials(client_secret="cs-never-sent")
    with pytest.raises(InsecureUrlError, match="token URL"):
        VmiConnectClient(
            "https://erp.supplier.example/vmi", "C-1", credentials, AuthKind.OAUTH2, token_url=url, client_id="me"
        )
    with pytest.raises(InsecureUrlError):
        OAuth2ClientCredentials(url, "me", "cs-never-sent")


def test_the_token_url_and_base_url_are_checked_when_saved() -> None:
    for field, what in (("token_url", "token URL"), ("base_url", "supplier URL")):
        with pytest.raises(ValidationError, match=what):
            catalog_service.parse_field("vendor", field, "http://erp.supplier.example/x")
        for fine in ("https://erp.supplier.example/x", "http://127.0.0.1:8765/x", "http://localhost/x", ""):
            assert catalog_service.parse_field("vendor", field, fine) == fine


# -- one keyring entry per vendor ---------------------------------------------------------------


def test_vendor_codes_differing_only_in_case_keep_their_own_secrets_in_the_encrypted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vmi-test-bus")
    upper, lower = VendorKey(1, "ACME"), VendorKey(2, "acme")
    store = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    store.use_encrypted_file("master pw", **FAST_KDF)  # type: ignore[arg-type]
    store.set(upper, SecretKind.TOKEN, "token-of-upper")
    store.set(lower, SecretKind.TOKEN, "token-of-lower")
    later = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")  # the next start
    later.use_encrypted_file("master pw", **FAST_KDF)  # type: ignore[arg-type]
    assert later.get(upper, SecretKind.TOKEN) == "token-of-upper"
    assert later.get(lower, SecretKind.TOKEN) == "token-of-lower"
    later.delete(lower, SecretKind.TOKEN)
    assert later.get(upper, SecretKind.TOKEN) == "token-of-upper"


def test_entries_of_the_code_keyed_version_move_to_the_vendor_id_key_when_provably_that_vendors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vmi-test-bus")
    store = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    store.use_encrypted_file("master pw", **FAST_KDF)  # type: ignore[arg-type]
    ring = store.backend
    # What the previous version wrote: keyed by code. Its file compared names without case, so the
    # second write replaced the first: ACME's token is already gone, acme's is there.
    ring.set_password(SERVICE_NAME, "BOLT:client_secret", "bolt-secret")
    ring.set_password(SERVICE_NAME, "ACME:token", "token-of-upper")
    ring.set_password(SERVICE_NAME, "acme:token", "token-of-lower")
    bolt, upper, lower = VendorKey(3, "BOLT"), VendorKey(1, "ACME"), VendorKey(2, "acme")
    assert store.get(bolt, SecretKind.CLIENT_SECRET) == "bolt-secret"
    assert store.get(upper, SecretKind.TOKEN) is None  # never acme's token for ACME
    assert store.get(lower, SecretKind.TOKEN) == "token-of-lower"
    assert ring.get_password(SERVICE_NAME, "vendor-2:token") == "token-of-lower"
    assert ring.get_password(SERVICE_NAME, "BOLT:client_secret") is None  # moved, not copied
    assert ring.get_password(SERVICE_NAME, "vendor-3:client_secret") == "bolt-secret"


def test_entries_of_the_code_keyed_version_move_exactly_in_a_case_sensitive_keyring() -> None:
    ring = MemoryKeyring()
    ring.set_password(SERVICE_NAME, "ACME:token", "token-of-upper")
    ring.set_password(SERVICE_NAME, "acme:token", "token-of-lower")
    store = CredentialStore(backend=ring)
    assert store.get(VendorKey(1, "ACME"), SecretKind.TOKEN) == "token-of-upper"
    assert store.get(VendorKey(2, "acme"), SecretKind.TOKEN) == "token-of-lower"
    assert store.get(VendorKey(1, "RENAMED"), SecretKind.TOKEN) == "token-of-upper"  # a renamed vendor keeps it


# -- nothing secret in logs or stored answers, even echoed back -----------------------------------


def _echo(handler: _Handler) -> str:
    return handler.headers.get("Authorization", "")


def _echoing(h: HostileRig) -> None:
    """A supplier that echoes the Authorization header everywhere it can."""
    calls = {"n": 0}

    def answer(handler: _Handler, after: str | None, limit: int) -> None:
        calls["n"] += 1
        auth = _echo(handler)  # "Bearer <token>"
        token = auth.removeprefix("Bearer ")
        if calls["n"] == 1:
            handler.answer(500, json.dumps({"error": f"upstream refused {auth}", "token": token}).encode())
            return
        events = [
            event("thresholds.proposed", {"location_code": "WH-1", "sku": token, "min": 1, "max": 2}, f"ev-{token}"),
            event("order.cancelled", {"po_number": "PO-1", "reason": f"you sent {token}"}, "ev-2"),
        ]
        handler.answer(200, page_bytes(events, "2", False))

    h.supplier.events_answer = answer


def _post_echo(handler: _Handler, body: bytes) -> None:
    """POST answers that echo the header too (and are accepted)."""
    auth = _echo(handler)
    handler.answer(202, json.dumps({"accepted": 1, "echo": auth, "raw": auth.split()[-1]}).encode())


def test_no_secret_reaches_logs_or_stored_answers_when_the_supplier_echoes_it(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with hostile_rig(sqlite_db) as h:
        _echoing(h)  # the first pull is a 500 echoing the header, the next one echoes it in events
        h.supplier.post_answer = _post_echo
        engine = SyncEngine(sqlite_db, timeout=5.0, wait_for_retries_s=0)
        first = engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))
        assert first.error is not None and "500" in first.error
        second = engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))
        assert second.error is None, second
        assert second.events_rejected == 2
        with sqlite_db.transaction() as s:
            sent = s.scalars(select(OutboxMessage)).all()
            assert sent and all("***" in m.response_body for m in sent if m.response_body)
            assert s.scalar(select(InboxEvent.event_id).where(InboxEvent.type == "thresholds.proposed")) == "ev-***"
        assert TOKEN not in caplog.text
        for report in (first, second):
            assert TOKEN not in (report.error or "")
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    for path in db_path.parent.glob(db_path.name + "*"):
        assert TOKEN.encode() not in path.read_bytes(), f"the token is in {path.name}"


def test_secrets_held_by_a_client_are_scrubbed_from_any_log_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with VmiConnectClient("http://127.0.0.1:9", "C-1", VendorCredentials(token="held-secret-42")):
        logging.getLogger("some.library").debug("request headers: %s", {"authorization": "Bearer held-secret-42"})
        logging.getLogger("vmi_desktop.x").warning("the answer said held-secret-42 back")
        try:
            raise RuntimeError("boom held-secret-42")
        except RuntimeError:
            logging.getLogger("vmi_desktop.y").exception("failed")
    assert "held-secret-42" not in caplog.text
    assert caplog.text.count("***") >= 3
