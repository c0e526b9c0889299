"""Ask for the password of a PostgreSQL login the server refused (kept in the OS keyring once accepted)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from vmi_desktop.bootstrap import LoginRefused
from vmi_desktop.ui.widgets import ok_cancel_buttons


class LoginDialog(QDialog):
    """The login's password, typed; said where it is kept (never in settings)."""

    def __init__(self, refused: LoginRefused, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to the database")
        where = f"{refused.host or 'this machine'}:{refused.port}/{refused.database}"
        text = QLabel(
            f"The server {where} asks for the password of <b>{refused.login}</b>, or refused the one it was "
            "given. Once accepted it is kept in your OS keyring (never in VMI Desktop's settings); "
            "vmi-desktop login does the same on the command line."
        )
        text.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow(f"Password of {refused.login}", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(ok_cancel_buttons(self, "Sign in"))

    def password_text(self) -> str:
        return self.password.text()
