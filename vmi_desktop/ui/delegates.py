"""Cell editors by column kind: numbers with a validator, enums and yes/no in a combo, dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from vmi_desktop.queries.base import Column, Kind
from vmi_desktop.ui.models.table import ERROR_ROLE, RAW_ROLE
from vmi_desktop.ui.numbers import format_decimal, read_number

Index = QModelIndex | QPersistentModelIndex

#: The selection colour of an invalid cell (white text on it reads on light and dark palettes).
SELECTED_ERROR = QColor(176, 0, 32)

#: Decimals a number column takes.
DECIMALS = {Kind.QTY: 3, Kind.MONEY: 4}


def _column(index: Index) -> Column | None:
    model = index.model()
    columns = getattr(model, "columns", None)
    if columns is None or not 0 <= index.column() < len(columns):
        return None
    return columns[index.column()]


class CellDelegate(QStyledItemDelegate):
    """Picks the editor from the model's column description.

    Numbers are typed freely and parsed in the user's locale when the edit is
    committed (``ui.numbers``): what does not parse reaches the model as an
    ``InvalidInput`` and its reason shows at the cell, instead of a validator
    silently swallowing keys ("1e3" used to become 13).
    """

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        """An invalid cell stays red when selected: the selection colour becomes a strong red."""
        super().initStyleOption(option, index)
        if getattr(index.model(), "has_invalid_cells", True) and index.data(ERROR_ROLE):
            palette = QPalette(option.palette)
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                palette.setColor(group, QPalette.ColorRole.Highlight, SELECTED_ERROR)
                palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
            option.palette = palette

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        column = _column(index)
        if column is None:
            return super().createEditor(parent, option, index)
        if column.kind is Kind.ENUM and column.choices is not None:
            combo = QComboBox(parent)
            for member in column.choices:
                combo.addItem(str(member.value).replace("_", " "), str(member.value))
            return combo
        if column.kind is Kind.BOOL:
            combo = QComboBox(parent)
            combo.addItem("Yes", True)
            combo.addItem("No", False)
            return combo
        if column.kind is Kind.INT:
            spin = QSpinBox(parent)
            spin.setRange(-1, 2_000_000_000)
            return spin
        if column.kind is Kind.DATE:
            edit = QDateEdit(parent)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            return edit
        return QLineEdit(parent)

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value: Any = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            found = editor.findData(value)
            editor.setCurrentIndex(max(found, 0))
        elif isinstance(editor, QSpinBox):
            try:
                editor.setValue(int(value))
            except (TypeError, ValueError):
                editor.setValue(0)
        elif isinstance(editor, QDateEdit):
            date = QDate.fromString(str(value), "yyyy-MM-dd")
            editor.setDate(date if date.isValid() else QDate.currentDate())
        elif isinstance(editor, QLineEdit):
            raw = index.data(RAW_ROLE)
            if isinstance(raw, Decimal):
                editor.setText(format_decimal(raw, grouping=False))
            else:
                editor.setText("" if value is None else str(value))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QSpinBox):
            model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QDateEdit):
            model.setData(index, editor.date().toString("yyyy-MM-dd"), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            column = _column(index)
            text = editor.text()
            if column is not None and column.kind in DECIMALS:
                model.setData(index, read_number(text, what=column.title, decimals=DECIMALS[column.kind]))
            else:
                model.setData(index, text, Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)
