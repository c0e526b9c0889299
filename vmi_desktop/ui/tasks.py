"""Run work off the UI thread and get results, progress and errors back on it.

A task is a plain callable ``fn(report)`` where ``report(fraction, text)``
publishes progress and raises ``Cancelled`` once the user pressed cancel.
It runs on a ``QThreadPool`` and must open its own database session (a
SQLAlchemy session is not shared across threads). Results come back through
Qt signals, so they are delivered on the UI thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from vmi_desktop.db.errors import DatabaseError
from vmi_desktop.errors import VmiError

log = logging.getLogger(__name__)

Report = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised inside a task by ``report`` after the user cancelled it."""


class TaskSignals(QObject):
    """Signals of one task (a QRunnable cannot have signals itself)."""

    progress = Signal(float, str)
    result = Signal(object)
    error = Signal(object)  # the exception instance
    cancelled = Signal()
    finished = Signal()


class TaskHandle:
    """What the caller keeps: the signals and a way to cancel."""

    def __init__(self, signals: TaskSignals, cancel_event: threading.Event) -> None:
        self.signals = signals
        self._cancel = cancel_event

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[Report], Any], signals: TaskSignals, cancel_event: threading.Event) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.cancel_event = cancel_event
        self.setAutoDelete(True)

    def run(self) -> None:
        def report(fraction: float, text: str = "") -> None:
            if self.cancel_event.is_set():
                raise Cancelled()
            self.signals.progress.emit(float(fraction), text)

        try:
            result = self.fn(report)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # delivered to the UI, which shows it; logged so IT sees it too
            name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
            if isinstance(exc, VmiError | DatabaseError):  # a refusal with a message a person can act on
                log.error("background task %s failed: %s", name, exc)
            else:  # a bug: the traceback goes to the log file
                log.error("background task %s failed: %s", name, "".join(traceback.format_exception(exc)).rstrip())
            self.signals.error.emit(exc)
        else:
            if self.cancel_event.is_set():
                self.signals.cancelled.emit()
            else:
                self.signals.result.emit(result)
        finally:
            self.signals.finished.emit()


def _guarded(callback: Callable[..., None], owner: QObject | None) -> Callable[..., None]:
    keeper = owner if owner is not None else getattr(callback, "__self__", None)
    if not isinstance(keeper, QObject):
        return callback

    def call(*args: Any) -> None:
        if shiboken6.isValid(keeper):
            callback(*args)

    return call


class TaskRunner(QObject):
    """Starts tasks on a thread pool; keeps their signal objects alive until they finish."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[TaskSignals] = set()

    def run(
        self,
        fn: Callable[[Report], Any],
        *,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle:
        """Run ``fn(report)`` off the UI thread; callbacks run on the UI thread.

        ``owner`` (a page or dialog): once it has been deleted, the callbacks are skipped, so a result
        arriving after its page closed touches no deleted widget. A callback that is a bound method
        of a QObject is guarded by that object in the same way.
        """
        signals = TaskSignals()
        self._live.add(signals)
        if on_result:
            signals.result.connect(_guarded(on_result, owner))
        if on_error:
            signals.error.connect(_guarded(on_error, owner))
        if on_progress:
            signals.progress.connect(_guarded(on_progress, owner))
        if on_cancelled:
            signals.cancelled.connect(_guarded(on_cancelled, owner))
        if on_finished:
            signals.finished.connect(_guarded(on_finished, owner))
        signals.finished.connect(lambda: self._live.discard(signals))
        cancel_event = threading.Event()
        self.pool.start(_Runnable(fn, signals, cancel_event))
        return TaskHandle(signals, cancel_event)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until all tasks are done (tests and shutdown only)."""
        return bool(self.pool.waitForDone(msecs))
