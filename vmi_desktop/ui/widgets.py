"""Small widget builders every page and dialog uses the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from PySide6.QtWidgets import QAbstractItemView, QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem

ERROR_COLOUR = "#b00020"
_BAR_STYLE = {
    "error": "background: #fde7e9; color: #5f0010; border: 1px solid #e8a0a8;",
    "info": "background: #e8f1fb; color: #0b2e55; border: 1px solid #a9c6e8;",
    "ok": "background: #e6f4ea; color: #0d3d1c; border: 1px solid #9fd0ae;",
}


def error_label(*, word_wrap: bool = True) -> QLabel:
    """The red line where a page or dialog says what was refused and why (object name ``error``)."""
    label = QLabel("")
    label.setObjectName("error")
    label.setWordWrap(word_wrap)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    return label


def edit_on_typing(view: QAbstractItemView) -> None:
    """Editable cells take typing at once (a key starts the edit with that key), as at a scanner or a
    keyboard working down a column of quantities; a double click or F2 too."""
    from PySide6.QtWidgets import QAbstractItemView

    triggers = QAbstractItemView.EditTrigger
    view.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed | triggers.AnyKeyPressed)


def quantity_cell(tooltip: str) -> QTableWidgetItem:
    """An empty, right-aligned, editable cell a quantity is typed into (an order dialog's line)."""
    from PySide6.QtWidgets import QTableWidgetItem  # dialogs only: not before the window's first paint

    cell = QTableWidgetItem("")
    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    cell.setToolTip(tooltip)
    return cell


def ok_cancel_buttons(dialog: QDialog, ok_text: str | None = None) -> QDialogButtonBox:
    """OK/Cancel wired to the dialog's accept/reject, with an optional verb on OK."""
    from PySide6.QtWidgets import QDialogButtonBox  # dialogs only: not before the window's first paint

    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    if ok_text:
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


def message_bar(name: str, kind: str = "error") -> QLabel:
    """A persistent, wrapping message strip (above a table or a form) that stays until its cause is gone.

    Its colours are fixed light ones with dark text, readable on light and dark palettes alike.
    """
    label = QLabel("")
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setContentsMargins(6, 3, 6, 3)
    set_bar_kind(label, kind)
    label.hide()
    return label


def set_bar_kind(label: QLabel, kind: str) -> None:
    """Colour a message bar as an error, a piece of information or a success."""
    label.setStyleSheet(f"QLabel {{ {_BAR_STYLE[kind]} border-radius: 3px; padding: 3px 6px; }}")


class _SkuRow(Protocol):
    @property
    def part_number(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def supplier_sku(self) -> str: ...


def show_matching_skus(table: QTableWidget, skus: Sequence[_SkuRow], text: str) -> int:
    """Hide the rows (row ``r`` is ``skus[r]``) whose part number, description and supplier part all lack
    ``text`` (any case; empty shows every row): a long SKU list in an order dialog. Returns how many show."""
    needle = text.strip().casefold()
    shown = 0
    for r, sku in enumerate(skus):
        hit = not needle or any(needle in v.casefold() for v in (sku.part_number, sku.description, sku.supplier_sku))
        table.setRowHidden(r, not hit)
        shown += hit
    return shown
