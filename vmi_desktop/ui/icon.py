"""The app's icon, in a module of its own: the window sets it at start without importing the About dialog."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

#: Beside the package's modules, in a wheel and in the bundle alike (``importlib.resources`` would add
#: its own imports, about 10 ms, to the start for one file that is always a plain file).
ICON_FILE = Path(__file__).resolve().parent.parent / "resources" / "vmi-desktop.png"


def app_icon() -> QIcon:
    """The app's icon (a PNG in the package: the bundle carries no SVG support)."""
    return QIcon(str(ICON_FILE))
