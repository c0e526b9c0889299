"""Alerts: severity, status filter, acknowledge and resolve; new alerts also as a tray notification."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from vmi_desktop.errors import VmiError
from vmi_desktop.models import AlertSeverity, AlertStatus
from vmi_desktop.queries.alerts import AlertRow, count_alerts, fetch_alerts
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages._lazy import Column, LazyRowsModel
from vmi_desktop.ui.tray import AlertNotifier
from vmi_desktop.ui.widgets import error_label

_COLOURS = {
    AlertSeverity.CRITICAL: QColor(176, 0, 32),
    AlertSeverity.WARNING: QColor(170, 100, 0),
    AlertSeverity.INFO: QColor(40, 90, 160),
}
_ICONS = {
    AlertSeverity.CRITICAL: QStyle.StandardPixmap.SP_MessageBoxCritical,
    AlertSeverity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    AlertSeverity.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
}
_icon_cache: dict[AlertSeverity, QIcon] = {}


def severity_icon(severity: AlertSeverity) -> QIcon:
    """The platform's standard icon for a severity (cached)."""
    if severity not in _icon_cache:
        _icon_cache[severity] = QApplication.style().standardIcon(_ICONS[severity])
    return _icon_cache[severity]


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[attr-defined]


ALERT_COLUMNS = [
    Column(
        "Severity",
        lambda r: r.severity.value,
        "severity",
        decorate=lambda r: severity_icon(r.severity),
        foreground=lambda r: _COLOURS[r.severity],
    ),
    Column("Status", lambda r: r.status.value, "status"),
    Column("Kind", lambda r: r.kind.value.replace("_", " "), "kind"),
    Column("Raised (UTC)", lambda r: _when(r.created_at), "created_at"),
    Column("Vendor", lambda r: r.vendor or "", None),
    Column("SKU", lambda r: r.part_number or "", None),
    Column("Location", lambda r: r.location or "", None),
    Column("Handled by", lambda r: r.resolved_by or r.acknowledged_by or "", None),
    Column("Message", lambda r: r.message, "message"),
]


class AlertsPage(QWidget):
    """The alert list; acknowledging and resolving need the manage-alerts right."""

    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, poll_ms: int = 20000) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.status_boxes: dict[AlertStatus, QCheckBox] = {}
        self._sized = False
        self._count_generation = 0
        #: Alerts matching the filter (None while counting).
        self.total: int | None = None
        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        for status in AlertStatus:
            box = QCheckBox(status.value.capitalize())
            box.setObjectName(f"show_{status.value}")
            box.setChecked(status is not AlertStatus.RESOLVED)
            box.toggled.connect(lambda _c: self.refresh())
            self.status_boxes[status] = box
            top.addWidget(box)
        top.addStretch(1)
        self.count_label = QLabel("")
        top.addWidget(self.count_label)

        self.model = LazyRowsModel(ctx.db, ALERT_COLUMNS, self._fetch, page_size=200)
        self.table = QTableView()
        self.table.setObjectName("alerts")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(3, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setObjectName("acknowledge")
        self.resolve_button = QPushButton("Resolve")
        self.resolve_button.setObjectName("resolve")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.resolve_button.clicked.connect(self.resolve_selected)
        if not ctx.can(Action.MANAGE_ALERTS):
            for b in (self.ack_button, self.resolve_button):
                b.setToolTip("Your role does not handle alerts")
        self.error = error_label(word_wrap=False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.resolve_button)
        buttons.addWidget(self.error, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.notifier = AlertNotifier(ctx, self.window, interval_ms=poll_ms, parent=self)
        self.notifier.new_alerts.connect(self._on_new_alerts)
        self.notifier.notified.connect(lambda title, _body: self.status_message.emit(title))
        self.refresh()
        self.notifier.start()
        self._update_buttons()

    # -- list ----------------------------------------------------------------------------------

    def statuses(self) -> frozenset[AlertStatus]:
        return frozenset(s for s, box in self.status_boxes.items() if box.isChecked())

    def _fetch(self, session: Session, sort: str, descending: bool, offset: int, limit: int) -> list[AlertRow]:
        return fetch_alerts(
            session, self.ctx.actor, self.statuses(), sort=sort, descending=descending, offset=offset, limit=limit
        )

    def refresh(self) -> None:
        """Reload from the first page (F5)."""
        self.model.reload()
        self._count()
        if not self._sized and self.model.rowCount():
            # Once, from the first page only: later pages never trigger a relayout.
            self.table.horizontalHeader().setResizeContentsPrecision(50)  # look at 50 rows, not all
            self.table.resizeColumnsToContents()
            self._sized = True
        self._update_buttons()

    def _count(self) -> None:
        """Count the matching alerts on the task runner; only the newest count is shown."""
        self._count_generation += 1
        generation = self._count_generation
        self.total = None
        db, actor, statuses = self.ctx.db, self.ctx.actor, self.statuses()

        def work(_report: Callable[[float, str], None]) -> int:
            with db.sessions() as session:
                return count_alerts(session, actor, statuses)

        def done(total: int) -> None:
            if generation == self._count_generation:
                self.total = total
                self.count_label.setText(f"{total:,} alerts")

        self.ctx.runner.run(work, on_result=done)

    def save_state(self, settings: QSettings) -> None:
        """Column layout (widths, order, sort) for the next start."""
        settings.setValue("columns/alerts", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("columns/alerts")
        if header is not None and self.table.horizontalHeader().restoreState(header):
            self._sized = True

    def _on_new_alerts(self, rows: list[AlertRow]) -> None:
        self.refresh()
        self.status_message.emit(f"{len(rows)} new alert(s)")

    def selected(self) -> list[AlertRow]:
        return [self.model.row(i.row()) for i in self.table.selectionModel().selectedRows()]

    def select_alert(self, alert_id: int) -> bool:
        for i, row in enumerate(self.model.rows):
            if row.id == alert_id:
                self.table.selectRow(i)
                return True
        return False

    def _selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        self.error.setText("")
        self._update_buttons()

    def _update_buttons(self) -> None:
        rows = self.selected()
        allowed = self.ctx.can(Action.MANAGE_ALERTS)
        self.ack_button.setEnabled(allowed and any(r.status is AlertStatus.OPEN for r in rows))
        self.resolve_button.setEnabled(allowed and any(r.status is not AlertStatus.RESOLVED for r in rows))

    # -- actions -------------------------------------------------------------------------------

    def _apply(self, verb: str, fn_name: str) -> int:
        from vmi_desktop.replenishment import alerts as alert_service

        rows = self.selected()
        fn = getattr(alert_service, fn_name)
        try:
            with self.ctx.db.transaction() as session:
                for row in rows:
                    fn(session, self.ctx.actor, row.id)
        except VmiError as exc:
            self.error.setText(str(exc))
            return 0
        self.status_message.emit(f"{len(rows)} alert(s) {verb}")
        self.refresh()
        return len(rows)

    def acknowledge_selected(self) -> int:
        """Acknowledge the selected alerts (one transaction); returns how many."""
        return self._apply("acknowledged", "acknowledge")

    def resolve_selected(self) -> int:
        """Resolve the selected alerts (one transaction); returns how many."""
        return self._apply("resolved", "resolve")

    def closeEvent(self, event: QCloseEvent) -> None:
        self.notifier.stop()
        super().closeEvent(event)
