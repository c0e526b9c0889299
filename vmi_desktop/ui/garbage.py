"""Cyclic garbage collected on the UI thread only.

CPython's collector runs in whichever thread crosses its allocation threshold, in a desktop app often
a worker (a background count, a sync page). Cyclic garbage holding Qt objects (a closed dialog's
wrapper, a page's lambda) is then destroyed off the UI thread: Qt deletes a widget from the wrong
thread, and PySide's destructor waits for the interpreter lock that the UI thread, waiting on Qt,
cannot give back, which freezes the window (seen in the test suite: a count's thread collecting a
menu). calibre and pyqtgraph do the same: automatic collection stays off, and a UI-thread timer
collects each generation once its threshold is crossed (``db.collector.collect_due``), so cycles
wait at most one tick.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

from vmi_desktop.db import collector


class UiThreadCollector(QObject):
    """Owns garbage collection for the process while it runs (one per QApplication)."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 500) -> None:
        super().__init__(parent)
        #: Collections this collector ran (the start-up report tells them from automatic ones).
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._collect)
        self.start()

    def _collect(self) -> None:
        if collector.collect_due() >= 0:
            self.collections += 1

    def start(self) -> None:
        """Take collection over from the interpreter (again, after ``stop``)."""
        collector.hold_for_ui_thread(True)
        self._timer.start()

    def stop(self) -> None:
        """Hand collection back to the interpreter (the application is ending)."""
        self._timer.stop()
        collector.hold_for_ui_thread(False)


def install(app: QObject) -> UiThreadCollector:
    """The application's collector, collecting (created once; a later call starts it again)."""
    existing = app.findChild(UiThreadCollector)
    if isinstance(existing, UiThreadCollector):
        existing.start()
        return existing
    return UiThreadCollector(app)
