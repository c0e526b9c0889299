"""Small widget builders every page and dialog uses the same way."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel

ERROR_COLOUR = "#b00020"


def error_label(*, word_wrap: bool = True) -> QLabel:
    """The red line where a page or dialog says what was refused and why (object name ``error``)."""
    label = QLabel("")
    label.setObjectName("error")
    label.setWordWrap(word_wrap)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    return label


def ok_cancel_buttons(dialog: QDialog, ok_text: str | None = None) -> QDialogButtonBox:
    """OK/Cancel wired to the dialog's accept/reject, with an optional verb on OK."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    if ok_text:
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons
