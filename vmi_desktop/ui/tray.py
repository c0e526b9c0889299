"""Desktop notifications for new alerts, through the system tray, when the window is not focused.

Two sources feed it: the alert sink of the replenishment service (alerts
raised by this process, delivered right after their transaction commits,
possibly on a worker thread) and a poll of the database on the task runner
(alerts raised by other workstations or the sync service). Both end in the
same query, "unresolved alerts after the last id seen", so nothing is shown
twice. Where the platform has no tray, the notifier still emits
``new_alerts`` and keeps the texts in ``notifications``: the page shows them
in its status line instead; nothing ever blocks.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QStyle, QSystemTrayIcon, QWidget

from vmi_desktop.models import AlertSeverity
from vmi_desktop.queries.alerts import AlertRow, latest_alert_id, open_alerts_after
from vmi_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

_TRAY_ICON = {
    AlertSeverity.CRITICAL: QSystemTrayIcon.MessageIcon.Critical,
    AlertSeverity.WARNING: QSystemTrayIcon.MessageIcon.Warning,
    AlertSeverity.INFO: QSystemTrayIcon.MessageIcon.Information,
}


def notification_text(rows: list[AlertRow]) -> tuple[str, str]:
    """Title and body of one notification for a batch of new alerts."""
    if len(rows) == 1:
        row = rows[0]
        return f"VMI alert: {row.kind.value.replace('_', ' ')}", row.message
    critical = sum(1 for r in rows if r.severity is AlertSeverity.CRITICAL)
    title = f"{len(rows)} new VMI alerts" + (f" ({critical} critical)" if critical else "")
    body = "\n".join(r.message for r in rows[:4]) + ("\n…" if len(rows) > 4 else "")
    return title, body


class AlertNotifier(QObject):
    """Watches for new alerts and notifies (tray balloon) while the app window is not active."""

    new_alerts = Signal(list)  # list[AlertRow], on the UI thread
    notified = Signal(str, str)  # title, body: shown (or would have been, without a tray)
    _sink_fired = Signal()

    def __init__(
        self,
        ctx: AppContext,
        window: Callable[[], QWidget | None],
        *,
        interval_ms: int = 20000,
        parent: QObject | None = None,
        use_tray: bool = True,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._window = window
        #: Whether the user is looking at the app (then the page shows new alerts and no balloon pops up).
        self.window_active: Callable[[], bool] = self._window_is_active
        self.last_id: int | None = None
        self.notifications: list[tuple[str, str]] = []
        self._polling = False
        self._again = False
        self.tray: QSystemTrayIcon | None = None
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            style = QApplication.style()
            self.tray = QSystemTrayIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), self)
            self.tray.setToolTip("VMI Desktop")
            self.tray.messageClicked.connect(self._raise_window)
            self.tray.show()
        else:
            log.info("no system tray: alert notifications go to the status bar only")
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self._sink_fired.connect(self.poll)
        self._sink: Callable[[Any], None] | None = None

    @property
    def has_tray(self) -> bool:
        return self.tray is not None

    def start(self) -> None:
        """Remember the newest alert now (old ones are not news), then poll and listen to the sink."""
        with self.ctx.db.sessions() as session:
            self.last_id = latest_alert_id(session, self.ctx.actor)
        self.timer.start()
        try:
            from vmi_desktop.replenishment import alerts as alert_service
        except ImportError:  # the service is optional; polling still works
            return
        # Emitting a signal is thread-safe: the poll itself runs on the UI thread's event loop.
        # The sink holds the notifier weakly and removes itself once the notifier is gone.
        me = weakref.ref(self)

        def sink(_notice: Any) -> None:
            notifier = me()
            try:
                if notifier is None:
                    raise RuntimeError("notifier gone")
                notifier._sink_fired.emit()
            except RuntimeError:
                alert_service.remove_alert_sink(sink)

        self._sink = sink
        alert_service.add_alert_sink(sink)

    def stop(self) -> None:
        self.timer.stop()
        if self._sink is not None:
            from vmi_desktop.replenishment import alerts as alert_service

            alert_service.remove_alert_sink(self._sink)
            self._sink = None
        if self.tray is not None:
            self.tray.hide()

    def poll(self) -> None:
        """Look for new alerts on the task runner (at most one query in flight)."""
        if self.last_id is None:
            return
        if self._polling:
            self._again = True
            return
        self._polling = True
        after, actor, db = self.last_id, self.ctx.actor, self.ctx.db

        def work(_report: Callable[[float, str], None]) -> list[AlertRow]:
            with db.sessions() as session:
                return open_alerts_after(session, actor, after)

        self.ctx.runner.run(work, on_result=self._arrived, on_error=self._failed, on_finished=self._done)

    def _failed(self, exc: BaseException) -> None:
        log.warning("alert poll failed: %s", exc)

    def _done(self) -> None:
        self._polling = False
        if self._again:
            self._again = False
            self.poll()

    def _arrived(self, rows: list[AlertRow]) -> None:
        if not rows:
            return
        self.last_id = max(self.last_id or 0, *(r.id for r in rows))
        self.new_alerts.emit(rows)
        if self.window_active():
            return  # the user is looking at the app; the page itself shows them
        self.notify(rows)

    def _window_is_active(self) -> bool:
        window = self._window()
        return window is not None and window.isVisible() and window.isActiveWindow()

    def notify(self, rows: list[AlertRow]) -> None:
        """Show one tray message for the batch (non-blocking); remember it either way."""
        title, body = notification_text(rows)
        self.notifications.append((title, body))
        if self.tray is not None and self.tray.supportsMessages():
            worst = min(
                rows,
                key=lambda r: [AlertSeverity.CRITICAL, AlertSeverity.WARNING, AlertSeverity.INFO].index(r.severity),
            )
            self.tray.showMessage(title, body, _TRAY_ICON[worst.severity], 10000)
        self.notified.emit(title, body)

    def notice(self, title: str, body: str, *, critical: bool = True) -> None:
        """A desktop notice about something other than a new alert (a sync that failed)."""
        self.notifications.append((title, body))
        if self.tray is not None and self.tray.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Critical if critical else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(title, body, icon, 10000)
        self.notified.emit(title, body)

    def _raise_window(self) -> None:
        window = self._window()
        if window is not None:
            window.showNormal()
            window.raise_()
            window.activateWindow()
