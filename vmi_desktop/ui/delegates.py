"""Cell editors by column kind: numbers with a validator, enums and yes/no in a combo, dates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QDate, QModelIndex, QPersistentModelIndex, QRegularExpression, Qt
from PySide6.QtGui import QRegularExpressionValidator
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

Index = QModelIndex | QPersistentModelIndex

#: A decimal number with up to 3 (quantities) or 4 (money) decimals, '.' or ',' as separator.
QTY_PATTERN = QRegularExpression(r"^\s*-?\d{0,15}([.,]\d{0,3})?\s*$")
MONEY_PATTERN = QRegularExpression(r"^\s*-?\d{0,14}([.,]\d{0,4})?\s*$")


def _column(index: Index) -> Column | None:
    model = index.model()
    columns = getattr(model, "columns", None)
    if columns is None or not 0 <= index.column() < len(columns):
        return None
    return columns[index.column()]


class CellDelegate(QStyledItemDelegate):
    """Picks the editor from the model's column description.

    Numbers accept only what parses (the validator allows a minus sign so the
    domain can say "must not be negative" at the cell instead of silently
    swallowing the key).
    """

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
        line = QLineEdit(parent)
        if column.kind is Kind.QTY:
            line.setValidator(QRegularExpressionValidator(QTY_PATTERN, line))
        elif column.kind is Kind.MONEY:
            line.setValidator(QRegularExpressionValidator(MONEY_PATTERN, line))
        return line

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
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)
