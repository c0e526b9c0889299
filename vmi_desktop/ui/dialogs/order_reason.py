"""Ask why an order is rejected or cancelled (a reason is required and goes into the history)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from vmi_desktop.ui.widgets import ok_cancel_buttons


class ReasonDialog(QDialog):
    """A one-line reason; OK stays disabled until something is typed."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.edit = QLineEdit()
        self.edit.setObjectName("reason")
        self.buttons = ok_cancel_buttons(self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setEnabled(False)
        self.edit.textChanged.connect(lambda t: self.ok.setEnabled(bool(t.strip())))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        layout.addWidget(self.edit)
        layout.addWidget(self.buttons)

    @property
    def reason(self) -> str:
        return self.edit.text().strip()
