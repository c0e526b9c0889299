"""The app's icon, in a module of its own: the window sets it at start without importing the About dialog."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon


def app_icon() -> QIcon:
    """The app's icon (a PNG in the package: the bundle carries no SVG support)."""
    path = resources.files("vmi_desktop") / "resources" / "vmi-desktop.png"
    return QIcon(str(path))
