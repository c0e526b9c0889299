"""Light and dark palettes that follow the OS, and the cell colours that must read on both."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)


def is_dark() -> bool:
    """Whether the OS asks for a dark colour scheme (falls back to the palette's window lightness)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    """A Fusion dark palette with readable disabled text and links."""
    p = QPalette()
    window, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(230, 230, 230)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(40, 40, 43))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor(60, 60, 64))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor(255, 80, 80))
    p.setColor(QPalette.ColorRole.Link, QColor(100, 160, 255))
    p.setColor(QPalette.ColorRole.Highlight, QColor(42, 130, 218))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 140, 140))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def apply_palette(app: QApplication) -> None:
    """Use Fusion with a light or dark palette matching the OS, and follow later OS changes."""
    app.setStyle("Fusion")

    def update(*_args: object) -> None:
        dark = is_dark()
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
        log.debug("palette: %s", "dark" if dark else "light")

    update()
    QGuiApplication.styleHints().colorSchemeChanged.connect(update)


def cell_colors() -> dict[str, QColor]:
    """Background colours for table cells: an invalid edit, a pending edit and a conflict."""
    if is_dark():
        return {"error": QColor(120, 35, 35), "dirty": QColor(90, 80, 25), "conflict": QColor(110, 60, 20)}
    return {"error": QColor(255, 205, 205), "dirty": QColor(255, 244, 190), "conflict": QColor(255, 222, 180)}
