"""Users: who may sign in, with which role (a supplier bound to its vendor); parts managers only.

On PostgreSQL each user is a database login: adding one creates it, disabling one stops it at once,
a new role moves it to the role's group. On the built-in SQLite database the page says that users
other than parts managers are previews there.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.commands import users as user_commands
from vmi_desktop.errors import VmiError
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.users import ROLE_TEXT, AddUserDialog, PasswordDialog, RoleDialog
from vmi_desktop.ui.widgets import error_label
from vmi_desktop.users import UserRow

COLUMNS = ["User", "Name", "Role", "Vendor", "Active", "Login"]


class UsersPage(QWidget):
    """The user list with Add, Disable/Enable, Change role and Reset password."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[UserRow] = []
        self.dialog: Any = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("users")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        if ctx.db.is_postgresql:
            text = (
                "Each user is a PostgreSQL login of its own; row-level security gives a supplier's login only its "
                "vendor's rows, whatever program it uses."
            )
        else:
            text = (
                "Built-in database: the OS account owning its folder is the parts manager. Users of other roles "
                "are previews here (read-only, and labelled so); give them logins on a PostgreSQL server."
            )
        self.note = QLabel(text)
        self.note.setObjectName("usersNote")
        self.note.setWordWrap(True)
        self.add_button = QPushButton("Add user…")
        self.active_button = QPushButton("Disable")
        self.role_button = QPushButton("Change role…")
        self.password_button = QPushButton("Reset password…")
        for name, button, slot in (
            ("add", self.add_button, self.open_add),
            ("active", self.active_button, self.toggle_active),
            ("role", self.role_button, self.open_role),
            ("password", self.password_button, self.open_password),
        ):
            button.setObjectName(name)
            button.clicked.connect(slot)
        self.password_button.setVisible(ctx.db.is_postgresql)
        self.error = error_label()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.active_button, self.role_button, self.password_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Reload the list (F5)."""
        keep = self.selected()
        try:
            self.rows = user_commands.list_users(self.ctx.db, self.ctx.actor)
        except VmiError as exc:
            self.error.setText(str(exc))
            self.rows = []
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            values = [
                row.username,
                row.display_name,
                ROLE_TEXT[row.role],
                row.vendor or "",
                "yes" if row.active else "no",
                row.login_state or "no login (built-in database)",
            ]
            for c, text in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(text))
            if keep is not None and row.username == keep.username:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> UserRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def select_user(self, username: str) -> bool:
        """Select a user by name (keyboard users and tests)."""
        for r, row in enumerate(self.rows):
            if row.username == username:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        row = self.selected()
        self.active_button.setEnabled(row is not None)
        self.active_button.setText("Enable" if row is not None and not row.active else "Disable")
        self.role_button.setEnabled(row is not None)
        self.password_button.setEnabled(row is not None and self.ctx.db.is_postgresql)

    def _open(self, dialog: Any, message: str) -> Any:
        def done() -> None:
            self.refresh()
            self.status_message.emit(message)

        dialog.accepted.connect(done)
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_add(self) -> AddUserDialog:
        """Add a user (window-modal, not blocking)."""
        return self._open(AddUserDialog(self.ctx, self), "user added")

    def open_role(self) -> RoleDialog | None:
        row = self.selected()
        if row is None:
            return None
        return self._open(RoleDialog(self.ctx, row.username, self), f"role of {row.username} changed")

    def open_password(self) -> PasswordDialog | None:
        row = self.selected()
        if row is None:
            return None
        return self._open(PasswordDialog(self.ctx, row.username, self), f"new password set for {row.username}")

    def toggle_active(self) -> None:
        """Disable the selected user (its login stops at once), or enable it again."""
        row = self.selected()
        if row is None:
            return
        try:
            user_commands.set_active(self.ctx.db, self.ctx.actor, row.username, not row.active)
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        self.status_message.emit(f"{row.username} {'enabled' if not row.active else 'disabled'}")
        self.refresh()
