"""Committed database changes as a Qt signal, delivered on the UI thread."""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Signal

from vmi_desktop.db import Changes


class CommitRelay(QObject):
    """Registered as a ``Database`` commit observer; re-emits each ``Changes`` as ``changed``.

    ``deliver`` may be called on any thread (a worker's unit of work commits there); the signal
    reaches slots of objects living on the UI thread through Qt's queued connection. Only work
    that committed is delivered: a rolled-back posting never refreshes a page.
    """

    changed = Signal(object)

    def deliver(self, changes: Changes) -> None:
        with contextlib.suppress(RuntimeError):  # the relay was deleted at shutdown
            self.changed.emit(changes)
