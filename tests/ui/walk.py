"""Everything a window shows as text: every page's models (all rows fetched), labels, buttons, fields.

Used to prove what a user does *not* see: a foreign vendor's code, thresholds or price must not be
anywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QTabWidget, QWidget

from vmi_desktop.ui.main_window import MainWindow

_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)


def model_texts(model: QAbstractItemModel, *, max_rows: int = 20000) -> list[str]:
    """Every header and cell text of a (table) model, after fetching all its rows."""
    while model.canFetchMore(QModelIndex()) and model.rowCount() < max_rows:
        before = model.rowCount()
        model.fetchMore(QModelIndex())
        if model.rowCount() == before:
            break
    texts: list[str] = []
    for c in range(model.columnCount()):
        header = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
        if header is not None:
            texts.append(str(header))
    for r in range(model.rowCount()):
        for c in range(max(model.columnCount(), 1)):
            index = model.index(r, c)
            for role in _ROLES:
                value = index.data(role)
                if value is not None and str(value):
                    texts.append(str(value))
    return texts


def widget_texts(root: QWidget) -> list[str]:
    """Texts of ``root`` and every widget inside it: models, labels, buttons, line edits, tab titles."""
    texts: list[str] = []
    models: set[int] = set()
    for model in root.findChildren(QAbstractItemModel):
        if id(model) not in models:
            models.add(id(model))
            texts += model_texts(model)
    for widget in [root, *root.findChildren(QWidget)]:
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QAbstractButton):
            texts += [widget.text(), widget.toolTip()]
        elif isinstance(widget, QLineEdit):
            texts += [widget.text(), widget.placeholderText()]
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
            if id(widget.model()) not in models:
                models.add(id(widget.model()))
                texts += model_texts(widget.model())
        elif isinstance(widget, QTabWidget):
            texts += [widget.tabText(i) for i in range(widget.count())]
        for view_model in _view_models(widget):
            if id(view_model) not in models:
                models.add(id(view_model))
                texts += model_texts(view_model)
    return [t for t in texts if t]


def _view_models(widget: QWidget) -> Iterable[QAbstractItemModel]:
    model = getattr(widget, "model", None)
    if callable(model) and not isinstance(widget, QComboBox):
        try:
            found = model()
        except TypeError:
            return []
        if isinstance(found, QAbstractItemModel):
            return [found]
    return []


def window_texts(window: MainWindow) -> dict[str, list[str]]:
    """The texts of every page of the window (each page built and shown once)."""
    texts: dict[str, list[str]] = {}
    for key in window.page_keys():
        window.show_page(key)
        QApplication.processEvents()
        texts[key] = widget_texts(window.page(key))
    return texts


def forbidden_in(texts: Iterable[str], patterns: Iterable[str]) -> list[tuple[str, str]]:
    """(pattern, text) for every text matching one of the regular expressions."""
    compiled = [re.compile(p) for p in patterns]
    return [(p.pattern, t) for t in texts for p in compiled if p.search(t)]
