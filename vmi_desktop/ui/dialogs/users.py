"""Add a user, change a user's role, set a new password (parts managers; see ``vmi_desktop.users``)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from vmi_desktop.commands import users as user_commands
from vmi_desktop.errors import ValidationError, VmiError
from vmi_desktop.models import Role, User
from vmi_desktop.queries.catalog import vendor_choices
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.widgets import error_label, ok_cancel_buttons

ROLE_TEXT = {Role.PARTS_MANAGER: "parts manager", Role.WAREHOUSE_LEAD: "warehouse lead", Role.SUPPLIER: "supplier"}


def _password_edit(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _RoleFields:
    """A role combo and the vendor combo a supplier needs."""

    def __init__(self, ctx: AppContext) -> None:
        self.role = QComboBox()
        self.role.setObjectName("role")
        for role, text in ROLE_TEXT.items():
            self.role.addItem(text, role)
        self.vendor = QComboBox()
        self.vendor.setObjectName("vendor")
        with ctx.db.sessions() as session:
            for _vendor_id, code in vendor_choices(session, ctx.actor):
                self.vendor.addItem(code, code)
        self.role.currentIndexChanged.connect(lambda _i: self._update())
        self._update()

    def _update(self) -> None:
        self.vendor.setEnabled(self.chosen[0] is Role.SUPPLIER)

    @property
    def chosen(self) -> tuple[Role, str | None]:
        role = Role(self.role.currentData())  # Qt hands the enum back as its string value
        return role, (self.vendor.currentData() if role is Role.SUPPLIER else None)


class AddUserDialog(QDialog):
    """A new user; on PostgreSQL its own login with the password typed twice."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.user: User | None = None
        self.setWindowTitle("Add a user")
        self.logins = ctx.db.is_postgresql
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.display = QLineEdit()
        self.display.setObjectName("displayName")
        self.fields = _RoleFields(ctx)
        self.password = _password_edit("password")
        self.again = _password_edit("passwordAgain")
        form = QFormLayout()
        form.addRow("User name", self.name)
        form.addRow("Full name", self.display)
        form.addRow("Role", self.fields.role)
        form.addRow("Vendor (suppliers)", self.fields.vendor)
        if self.logins:
            form.addRow("Password", self.password)
            form.addRow("Again", self.again)
            note = (
                "The user name is also their PostgreSQL login. They keep the password in their OS keyring "
                "(vmi-desktop login) or in ~/.pgpass; it is never stored by VMI Desktop."
            )
        else:
            note = (
                "The built-in database has no logins: on this workstation only its owner signs in, and users "
                "of other roles are previews of what that role sees."
            )
        hint = QLabel(note)
        hint.setWordWrap(True)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Add user"))

    def accept(self) -> None:
        role, vendor = self.fields.chosen
        password: str | None = None
        try:
            if self.logins:
                password = self.password.text()
                if password != self.again.text():
                    raise ValidationError("the two passwords differ")
            self.user = user_commands.add_user(
                self.ctx.db, self.ctx.actor, self.name.text(), role, vendor, self.display.text(), password=password
            )
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class RoleDialog(QDialog):
    """Another role for a user; its login's privileges follow at once."""

    def __init__(self, ctx: AppContext, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.username = username
        self.setWindowTitle(f"Role of {username}")
        self.fields = _RoleFields(ctx)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Role", self.fields.role)
        form.addRow("Vendor (suppliers)", self.fields.vendor)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Change role"))

    def accept(self) -> None:
        role, vendor = self.fields.chosen
        try:
            user_commands.set_role(self.ctx.db, self.ctx.actor, self.username, role, vendor)
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class PasswordDialog(QDialog):
    """A new password for a user's PostgreSQL login, typed twice."""

    def __init__(self, ctx: AppContext, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.username = username
        self.setWindowTitle(f"New password for {username}")
        self.password = _password_edit("password")
        self.again = _password_edit("passwordAgain")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Password", self.password)
        form.addRow("Again", self.again)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(ok_cancel_buttons(self, "Set password"))

    def accept(self) -> None:
        try:
            if self.password.text() != self.again.text():
                raise ValidationError("the two passwords differ")
            user_commands.reset_password(self.ctx.db, self.ctx.actor, self.username, self.password.text())
        except VmiError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
