"""The PySide6 signal work-around: emitting and disconnecting signals keeps the bool singletons' references."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import vmi_desktop.ui  # noqa: F401 - importing the UI package installs the work-around


class _Emitter(QObject):
    fired = Signal(int)


def _bool_refs() -> int:
    return sys.getrefcount(True) + sys.getrefcount(False)


def test_many_emits_and_disconnects_do_not_drain_bool_references(qtbot: object) -> None:
    emitter = _Emitter()
    got: list[int] = []

    def slot(value: int) -> None:
        got.append(value)

    before = _bool_refs()
    for i in range(3000):
        emitter.fired.connect(slot)
        emitter.fired.emit(i)
        emitter.fired.disconnect(slot)
    after = _bool_refs()
    assert len(got) == 3000
    assert after - before > -100  # unpatched PySide6 6.12 loses 6000 here and later aborts the interpreter
