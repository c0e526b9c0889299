"""Work-arounds for bugs in the Qt binding we ship, applied once when ``vmi_desktop.ui`` is imported.

PySide6 6.12.0 on Python 3.11: ``SignalInstance.emit()`` and
``SignalInstance.disconnect()`` return ``True``/``False`` without taking a
reference, so every call takes one reference away from the bool singleton.
After enough signals (a few thousand: a long sync session, a test suite) the
interpreter aborts with "Fatal Python error: bool_dealloc". We detect the bug
with a probe (so a fixed PySide6, or Python 3.12+ where bools are immortal,
is left alone) and give the reference back after each call.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

log = logging.getLogger(__name__)

_installed = False


class _Probe(QObject):
    fired = Signal()


def _steals_bool_reference(method: str) -> bool:
    probe = _Probe()
    instance = probe.fired

    def slot() -> None:
        return None

    before = sys.getrefcount(True) + sys.getrefcount(False)
    for _ in range(16):
        if method == "disconnect":
            instance.connect(slot)
            instance.disconnect(slot)
        else:
            instance.emit()
    after = sys.getrefcount(True) + sys.getrefcount(False)
    return before - after >= 8


def _give_back(result: Any) -> None:
    if result is True or result is False:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))


def _fixed(original: Any, name: str) -> Any:
    def fixed(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        _give_back(result)
        return result

    fixed.__name__ = name
    fixed.__doc__ = original.__doc__
    return fixed


def pin_singletons() -> bool:
    """Make ``None``, ``True`` and ``False`` effectively immortal on Python < 3.12.

    PySide6 6.12.0 on Python 3.11 also drops a reference to ``None`` on every
    Python override of a void virtual (``paintEvent``, pyqtgraph's ``paint``...):
    a few hundred repaints of a chart or table abort the interpreter with
    "Fatal Python error: none_dealloc". These singletons are never freed anyway
    (3.12 made them immortal); a very large reference count makes them so here.
    """
    if sys.version_info >= (3, 12):
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    return True


def install() -> bool:
    """Patch the signal methods that lose bool references; True if a patch was needed."""
    global _installed
    if _installed:
        return False
    _installed = True
    patched = False
    for name in ("emit", "disconnect"):
        try:
            broken = _steals_bool_reference(name)
        except Exception:  # a probe that fails tells us nothing; leave Qt as it is
            log.debug("could not probe SignalInstance.%s", name, exc_info=True)
            continue
        if not broken:
            continue
        setattr(SignalInstance, name, _fixed(getattr(SignalInstance, name), name))
        patched = True
        log.debug("patched SignalInstance.%s (bool reference bug)", name)
    if patched:
        # The same broken build also loses None references in paint overrides.
        pin_singletons()
    return patched
