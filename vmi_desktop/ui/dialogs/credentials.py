"""A vendor's supplier credentials: masked entry, saved to the OS keyring, "Test connection".

Which fields appear depends on the vendor's connection settings: an API token
for bearer auth, a client secret for OAuth2, a key password when a client
certificate is configured. A stored secret is never shown back: the dialog
says "stored" or "not set", and an empty field keeps what is stored. Keyring
access and the health check run off the UI thread (an unlock prompt or a
hanging supplier never freezes the window).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import AuthKind, Vendor
from vmi_desktop.scope import Action, require
from vmi_desktop.secrets import (
    CredentialStore,
    MasterPasswordRequired,
    NoSecureKeyringError,
    SecretKind,
    WrongMasterPasswordError,
)

if TYPE_CHECKING:
    from vmi_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

STORED = "stored"
NOT_SET = "not set"


@dataclass(frozen=True)
class VendorConnection:
    """The non-secret connection settings of a vendor, read once when the dialog opens."""

    id: int
    code: str
    name: str
    base_url: str
    customer_id: str
    auth_kind: AuthKind
    token_url: str
    client_id: str
    client_cert_path: str

    def kinds(self) -> list[SecretKind]:
        """The secrets this connection needs, in display order."""
        kinds = []
        if self.auth_kind is AuthKind.BEARER:
            kinds.append(SecretKind.TOKEN)
        elif self.auth_kind is AuthKind.OAUTH2:
            kinds.append(SecretKind.CLIENT_SECRET)
        if self.client_cert_path:
            kinds.append(SecretKind.KEY_PASSWORD)
        return kinds


def load_connection(ctx: AppContext, vendor_id: int) -> VendorConnection:
    with ctx.db.sessions() as session:
        v = session.get(Vendor, vendor_id)
        if v is None:
            raise NotFoundError(f"unknown vendor id {vendor_id}")
        return VendorConnection(
            v.id,
            v.code,
            v.name,
            v.base_url,
            v.customer_id,
            AuthKind(v.auth_kind),
            v.token_url,
            v.client_id,
            v.client_cert_path,
        )


class CredentialsDialog(QDialog):
    """Masked fields per secret kind, Save to the keyring, Test connection in the background."""

    status_loaded = Signal()
    saved = Signal()
    tested = Signal(bool, str)  # ok, message

    def __init__(
        self, ctx: AppContext, vendor_id: int, *, store: CredentialStore, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        require(ctx.actor, Action.EDIT_CREDENTIALS)
        self.ctx = ctx
        self.store = store
        self.vendor = load_connection(ctx, vendor_id)
        self.setWindowTitle(f"Credentials — {self.vendor.code} {self.vendor.name}")
        self.setObjectName("credentialsDialog")
        self.is_loaded = False
        self.test_handle: Any = None
        #: whether a secret was stored (the Sync page then offers to retry what failed)
        self.stored_any = False
        self.setMinimumWidth(560)

        self.fields: dict[SecretKind, QLineEdit] = {}
        self.state_labels: dict[SecretKind, QLabel] = {}
        self.forget_boxes: dict[SecretKind, QCheckBox] = {}

        intro = QLabel(
            f"Secrets for <b>{self.vendor.code}</b> ({self.vendor.name}) are kept in the system keyring, never "
            "in the database or the settings. A stored secret is not shown again; leave a field empty to keep it."
        )
        intro.setObjectName("credentialsIntro")
        intro.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        url = QLabel(self.vendor.base_url or "(not set)")
        url.setWordWrap(True)
        url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Supplier URL:", url)
        form.addRow("Authentication:", QLabel(self.vendor.auth_kind.value))
        if self.vendor.auth_kind is AuthKind.OAUTH2:
            client = QLabel(self.vendor.client_id or "(not set)")
            client.setWordWrap(True)
            form.addRow("Client id:", client)
        for kind in self.vendor.kinds():
            edit = QLineEdit()
            edit.setObjectName(f"secret_{kind.value}")
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.setPlaceholderText("checking…")
            state = QLabel("…")
            state.setObjectName(f"state_{kind.value}")
            widest = max(state.fontMetrics().horizontalAdvance(t) for t in (STORED, NOT_SET, "unknown"))
            state.setMinimumWidth(widest + 6)  # room for every state it will say
            forget = QCheckBox("Forget")
            forget.setObjectName(f"forget_{kind.value}")
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(state)
            row.addWidget(forget)
            form.addRow(f"{kind.label[0].upper()}{kind.label[1:]}:", row)
            self.fields[kind] = edit
            self.state_labels[kind] = state
            self.forget_boxes[kind] = forget
        if not self.fields:
            form.addRow(QLabel("This vendor's connection needs no secret."))

        self.keyring_label = QLabel()
        self.keyring_label.setObjectName("keyringState")
        self.keyring_label.setWordWrap(True)
        self.fallback_button = QPushButton("Use an encrypted file…")
        self.fallback_button.setVisible(False)
        self.fallback_button.clicked.connect(self._ask_master_password)
        self.result_label = QLabel()
        self.result_label.setObjectName("testResult")
        self.result_label.setWordWrap(True)
        self.test_button = QPushButton("&Test connection")
        self.test_button.setEnabled(bool(self.vendor.base_url))
        self.test_button.clicked.connect(self.test_connection)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        keyring_row = QHBoxLayout()
        keyring_row.addWidget(self.keyring_label, 1)
        keyring_row.addWidget(self.fallback_button)
        layout.addLayout(keyring_row)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result_label, 1)
        layout.addLayout(test_row)
        layout.addWidget(self.buttons)
        self.resize(max(560, self.sizeHint().width()), self.sizeHint().height())
        self.load_status()

    # -- keyring state ---------------------------------------------------------------------------

    def load_status(self) -> None:
        """Ask the keyring which secrets are stored (in the background)."""
        kinds = list(self.fields)
        vendor = self.vendor
        store = self.store

        def work(_report: Any) -> tuple[str, dict[SecretKind, bool]]:
            return store.backend_name, store.status(vendor, kinds)

        self.ctx.runner.run(work, on_result=self._show_status, on_error=self._show_keyring_error)

    def _show_status(self, result: tuple[str, dict[SecretKind, bool]]) -> None:
        backend_name, status = result
        for kind, stored in status.items():
            self.state_labels[kind].setText(STORED if stored else NOT_SET)
            self.fields[kind].setPlaceholderText(
                "stored — leave empty to keep" if stored else "not set — type to store"
            )
        warning = " ⚠ (fallback: no secure system keyring here)" if self.store.uses_encrypted_file else ""
        self.keyring_label.setText(f"Saved in {backend_name}.{warning}")
        self.fallback_button.setVisible(False)
        self.save_button.setEnabled(True)
        self.is_loaded = True
        self.status_loaded.emit()

    def _show_keyring_error(self, exc: BaseException) -> None:
        self.keyring_label.setText(str(exc))
        needs_file = isinstance(exc, NoSecureKeyringError | MasterPasswordRequired)
        self.fallback_button.setText(
            "Unlock encrypted file…" if isinstance(exc, MasterPasswordRequired) else "Use an encrypted file…"
        )
        self.fallback_button.setVisible(needs_file)
        self.save_button.setEnabled(False)
        for kind, label in self.state_labels.items():
            label.setText("unknown")
            self.fields[kind].setPlaceholderText("keyring not available")
        self.is_loaded = True
        self.status_loaded.emit()

    def _ask_master_password(self) -> None:
        password, ok = QInputDialog.getText(
            self,
            "Encrypted credentials file",
            "Master password for the encrypted credentials file\n(you will need it each time VMI Desktop starts):",
            QLineEdit.EchoMode.Password,
        )
        if ok and password:
            self.use_master_password(password)

    def use_master_password(self, password: str, **kdf: Any) -> None:
        """Opt in to / unlock the encrypted-file fallback, then reload the status."""
        store = self.store

        def work(_report: Any) -> None:
            store.use_encrypted_file(password, **kdf)

        def failed(exc: BaseException) -> None:
            text = "Wrong master password." if isinstance(exc, WrongMasterPasswordError) else str(exc)
            self.keyring_label.setText(text)

        self.ctx.runner.run(work, on_result=lambda _r: self.load_status(), on_error=failed)

    # -- save ------------------------------------------------------------------------------------

    def _entered(self) -> dict[SecretKind, str]:
        return {kind: edit.text() for kind, edit in self.fields.items() if edit.text()}

    def save(self) -> None:
        """Store typed secrets, forget ticked ones, audit which kinds changed (never the values)."""
        entered = self._entered()
        forget = [k for k, box in self.forget_boxes.items() if box.isChecked() and k not in entered]
        if not entered and not forget:
            self.accept()
            return
        store, vendor = self.store, self.vendor
        self.save_button.setEnabled(False)

        def work(_report: Any) -> None:
            for kind, value in entered.items():
                store.set(vendor, kind, value)
            for kind in forget:
                store.delete(vendor, kind)

        self.ctx.runner.run(work, on_result=lambda _r: self._saved(list(entered), forget), on_error=self._save_failed)

    def _saved(self, stored: list[SecretKind], forgotten: list[SecretKind]) -> None:
        with self.ctx.db.transaction() as session:
            audit.record(
                session,
                self.ctx.actor,
                "vendor.credentials",
                "vendor",
                self.vendor.id,
                stored=[k.value for k in stored],
                forgotten=[k.value for k in forgotten],
            )
        for edit in self.fields.values():
            edit.clear()
        self.stored_any = bool(stored)
        self.saved.emit()
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.keyring_label.setText(f"Not saved: {exc}")

    # -- test connection -------------------------------------------------------------------------

    def test_connection(self) -> None:
        """``GET /v1/health`` with the typed (or else stored) secrets, off the UI thread."""
        entered = self._entered()
        vendor, store = self.vendor, self.store
        self.test_button.setEnabled(False)
        self.result_label.setText("Testing…")

        def work(_report: Any) -> dict[str, Any]:
            from vmi_desktop.sync.auth import VendorCredentials
            from vmi_desktop.sync.client import VmiConnectClient

            def secret(kind: SecretKind) -> str | None:
                if kind in entered:
                    return entered[kind]
                if kind not in vendor.kinds():
                    return None
                return store.get(vendor, kind)

            credentials = VendorCredentials(
                token=secret(SecretKind.TOKEN),
                client_secret=secret(SecretKind.CLIENT_SECRET),
                key_password=secret(SecretKind.KEY_PASSWORD),
            )
            with VmiConnectClient(
                vendor.base_url,
                vendor.customer_id,
                credentials,
                vendor.auth_kind.value,
                token_url=vendor.token_url,
                client_id=vendor.client_id,
                cert_path=vendor.client_cert_path,
                timeout=10.0,
            ) as client:
                return client.health()

        self.test_handle = self.ctx.runner.run(
            work,
            on_result=self._test_ok,
            on_error=self._test_failed,
            on_finished=lambda: self.test_button.setEnabled(bool(self.vendor.base_url)),
        )

    def _test_ok(self, answer: dict[str, Any]) -> None:
        text = f"OK — {answer.get('supplier', 'supplier')} speaks {answer.get('protocol', '?')}"
        self.result_label.setText(text)
        self.tested.emit(True, text)

    def _test_failed(self, exc: BaseException) -> None:
        text = f"Failed — {exc}"
        self.result_label.setText(text)
        self.tested.emit(False, text)

    def reject(self) -> None:
        if self.test_handle is not None:
            self.test_handle.cancel()
        super().reject()


def open_credentials_dialog(
    parent: QWidget | None, ctx: AppContext, vendor_id: int, *, store: CredentialStore | None = None
) -> CredentialsDialog | None:
    """Open the vendor's credentials dialog modally; None (and a message) when the role may not."""
    from PySide6.QtWidgets import QMessageBox

    from vmi_desktop.ui.sync_worker import store_for_settings

    try:
        dialog = CredentialsDialog(ctx, vendor_id, store=store or store_for_settings(ctx.settings), parent=parent)
    except (PermissionDenied, NotFoundError) as exc:
        QMessageBox.warning(parent, "Credentials", str(exc))
        return None
    dialog.exec()
    return dialog
