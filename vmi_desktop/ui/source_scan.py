"""PySide6 reads the whole source of every module the process imports after it; this stops that.

Once ``PySide6.QtCore`` is loaded, shiboken's import hook asks, the first time an import statement names a
module, whether that module's source mentions ``PySide6`` (``inspect.getsource`` and a text search:
``shibokensupport.feature._mod_uses_pyside``), to keep per-module ``from __feature__ import snake_case``
switches apart. The answer only picks between "normal Qt names" (0) and "leave the switch as it is" (-1),
and no module of this app, nor any library it ships, ever turns a feature on (a test keeps it so), so both
answers mean the same here. Reading and tokenizing some 330 files cost 60-100 ms of CPU of the window's
start on the benchmark machine (napari/napari#8584 found the same on Windows). The module's package
decides instead: the Qt-facing packages answer as PySide6 would for them, every other module is left alone.

Only shiboken's own private hook is replaced, and only when it has the shape this was written against;
anything else leaves PySide6 as it is (the start is then slower, never wrong).
"""

from __future__ import annotations

import sys
from types import ModuleType

import PySide6.QtCore  # noqa: F401  (loads shiboken's import hook and its feature module)

#: Top-level packages whose modules use Qt (they get PySide6's "normal names" answer, as a read would give).
QT_PACKAGES = frozenset({"PySide6", "shiboken6", "vmi_desktop", "pyqtgraph", "pytestqt"})
FEATURE_MODULES = ("shibokensupport.feature", "PySide6.support.feature")


def _uses_qt(module: ModuleType) -> bool:
    return getattr(module, "__name__", "").partition(".")[0] in QT_PACKAGES


def stop_source_scan() -> bool:
    """Answer shiboken's per-import question from the module's package; True when the hook was replaced."""
    for name in FEATURE_MODULES:
        feature = sys.modules.get(name)
        if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
            if not isinstance(getattr(feature, "pyside_feature_dict", None), dict):
                return False
            feature._mod_uses_pyside = _uses_qt  # type: ignore[attr-defined]
            return True
    return False
