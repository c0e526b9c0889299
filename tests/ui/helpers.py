"""Typed access to the widgets UI tests look into."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QTableWidget, QWidget

from vmi_desktop.ui.main_window import MainWindow

P = TypeVar("P", bound=QWidget)


def page_of(window: MainWindow, key: str, cls: type[P]) -> P:
    """The window's page ``key``, checked to be a ``cls``."""
    page = window.page(key)
    assert isinstance(page, cls), f"page {key!r} is a {type(page).__name__}, not a {cls.__name__}"
    return page


def show_page(window: MainWindow, key: str, cls: type[P]) -> P:
    """Show the window's page ``key`` and return it, checked to be a ``cls``."""
    window.show_page(key)
    return page_of(window, key, cls)


def cell_text(table: QTableWidget, row: int, column: int) -> str:
    """The text of a table widget's cell (a missing item fails the test, it is not an empty cell)."""
    item = table.item(row, column)
    assert item is not None, f"no item at row {row}, column {column}"
    return item.text()
