"""The vendor credentials dialog: masked fields by auth kind, saved to the keyring only, test connection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import select, update

from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import AuditEntry, AuthKind, Vendor
from vmi_desktop.scope import Actor
from vmi_desktop.secrets import CredentialStore, SecretKind, VendorKey
from vmi_desktop.supplier_server import SupplierServer
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.credentials import NOT_SET, STORED, CredentialsDialog

TOKEN = "tok-dialog-secret-5521"
CLIENT_SECRET = "cs-dialog-secret-8812"
KEY_PASSWORD = "kp-dialog-secret-3307"
FAST_KDF = {"kdf_time_cost": 1, "kdf_memory_cost": 1024}


@pytest.fixture
def store() -> CredentialStore:
    return CredentialStore.in_memory()


@pytest.fixture
def make_dialog(qtbot: Any, store: CredentialStore) -> Callable[..., CredentialsDialog]:
    def make(ctx: AppContext, vendor_id: int, *, wait: bool = True, **kwargs: Any) -> CredentialsDialog:
        dialog = CredentialsDialog(ctx, vendor_id, store=kwargs.pop("store", store))
        qtbot.addWidget(dialog)
        dialog.show()
        if wait:
            qtbot.waitUntil(lambda: dialog.is_loaded, timeout=5000)
        return dialog

    return make


def _set_vendor(db: Database, vendor_id: int, **values: Any) -> None:
    with db.transaction() as session:
        session.execute(update(Vendor).where(Vendor.id == vendor_id).values(**values))


@pytest.fixture
def supplier() -> Iterator[SupplierServer]:
    server = SupplierServer(token=TOKEN, vendor_name="Acme Parts").start()
    try:
        yield server
    finally:
        server.stop()


def _all_bytes_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_bearer_vendor_shows_one_masked_token_field(
    make_dialog: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    _set_vendor(sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.BEARER)
    dialog = make_dialog(ctx, world.vendors["ACME"])
    assert list(dialog.fields) == [SecretKind.TOKEN]
    assert dialog.fields[SecretKind.TOKEN].echoMode() is QLineEdit.EchoMode.Password
    assert dialog.state_labels[SecretKind.TOKEN].text() == NOT_SET


def test_oauth2_vendor_with_client_certificate_asks_for_secret_and_key_password(
    make_dialog: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    _set_vendor(
        sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.OAUTH2, client_id="cid", client_cert_path="/etc/acme.pem"
    )
    dialog = make_dialog(ctx, world.vendors["ACME"])
    assert list(dialog.fields) == [SecretKind.CLIENT_SECRET, SecretKind.KEY_PASSWORD]
    assert all(f.echoMode() is QLineEdit.EchoMode.Password for f in dialog.fields.values())


def test_save_stores_in_keyring_only_and_never_shows_it_back(
    qtbot: Any,
    make_dialog: Any,
    ctx: AppContext,
    world: World,
    sqlite_db: Database,
    store: CredentialStore,
    tmp_path: Path,
    _isolated_qsettings: Path,
) -> None:
    acme = world.vendors["ACME"]
    _set_vendor(sqlite_db, acme, auth_kind=AuthKind.BEARER, client_cert_path="/etc/acme.pem")
    dialog = make_dialog(ctx, acme)
    qtbot.keyClicks(dialog.fields[SecretKind.TOKEN], TOKEN)
    qtbot.keyClicks(dialog.fields[SecretKind.KEY_PASSWORD], KEY_PASSWORD)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert store.get(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN) == TOKEN
    assert store.get(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.KEY_PASSWORD) == KEY_PASSWORD

    with sqlite_db.sessions() as session:
        detail = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "vendor.credentials")).one()
    assert "token" in detail and TOKEN not in detail and KEY_PASSWORD not in detail

    sqlite_db.dispose()  # flush WAL into the file before reading its bytes
    path = sqlite_db.sqlite_path
    assert path is not None
    db_bytes = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    settings_bytes = _all_bytes_under(_isolated_qsettings)
    for secret in (TOKEN, KEY_PASSWORD):
        assert secret.encode() not in db_bytes
        assert secret.encode() not in settings_bytes

    again = make_dialog(ctx, acme)  # reopened: says "stored", shows nothing
    assert again.state_labels[SecretKind.TOKEN].text() == STORED
    assert again.fields[SecretKind.TOKEN].text() == ""
    assert TOKEN not in again.fields[SecretKind.TOKEN].placeholderText()


def test_forget_removes_the_stored_secret(
    qtbot: Any, make_dialog: Any, ctx: AppContext, world: World, sqlite_db: Database, store: CredentialStore
) -> None:
    _set_vendor(sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.BEARER)
    store.set(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN, TOKEN)
    dialog = make_dialog(ctx, world.vendors["ACME"])
    assert dialog.state_labels[SecretKind.TOKEN].text() == STORED
    dialog.forget_boxes[SecretKind.TOKEN].setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert store.get(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN) is None


def test_warehouse_lead_cannot_open_credentials(
    make_ctx: Callable[[Actor], AppContext], world: World, lead: Actor, store: CredentialStore
) -> None:
    with pytest.raises(PermissionDenied):
        CredentialsDialog(make_ctx(lead), world.vendors["ACME"], store=store)


def test_test_connection_reports_ok_with_typed_token(
    qtbot: Any, make_dialog: Any, ctx: AppContext, world: World, sqlite_db: Database, supplier: SupplierServer
) -> None:
    _set_vendor(sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.BEARER, base_url=supplier.url)
    dialog = make_dialog(ctx, world.vendors["ACME"])
    qtbot.keyClicks(dialog.fields[SecretKind.TOKEN], TOKEN)
    with qtbot.waitSignal(dialog.tested, timeout=15000) as tested:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert tested.args[0] is True
    assert dialog.result_label.text().startswith("OK — Acme Parts speaks vmi-connect/1")


def test_test_connection_with_stored_wrong_token_shows_error_without_it(
    qtbot: Any,
    make_dialog: Any,
    ctx: AppContext,
    world: World,
    sqlite_db: Database,
    supplier: SupplierServer,
    store: CredentialStore,
) -> None:
    wrong = "tok-wrong-secret-0001"
    store.set(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN, wrong)
    _set_vendor(sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.BEARER, base_url=supplier.url)
    dialog = make_dialog(ctx, world.vendors["ACME"])
    with qtbot.waitSignal(dialog.tested, timeout=15000) as tested:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert tested.args[0] is False
    text = dialog.result_label.text()
    assert text.startswith("Failed") and "401" in text
    assert wrong not in text


def test_no_secure_keyring_offers_encrypted_file_and_then_saves_there(
    qtbot: Any,
    make_dialog: Any,
    ctx: AppContext,
    world: World,
    sqlite_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vmi-test-bus")
    _set_vendor(sqlite_db, world.vendors["ACME"], auth_kind=AuthKind.BEARER)
    file_store = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    dialog = make_dialog(ctx, world.vendors["ACME"], store=file_store)
    assert "No secure keyring" in dialog.keyring_label.text()
    assert dialog.fallback_button.isVisibleTo(dialog)
    assert not dialog.save_button.isEnabled()

    dialog.is_loaded = False
    dialog.use_master_password("master pw", **FAST_KDF)
    qtbot.waitUntil(lambda: dialog.is_loaded, timeout=10000)
    assert "encrypted credentials file" in dialog.keyring_label.text()
    assert dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.fields[SecretKind.TOKEN], TOKEN)
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert file_store.get(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN) == TOKEN
    assert TOKEN.encode() not in _all_bytes_under(tmp_path / "data")
    assert TOKEN.encode() not in _all_bytes_under(tmp_path / "cfg")
