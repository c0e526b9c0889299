"""Alerts: each one opens its order or part; filters by kind, vendor, location and state; bulk handling.

The list is a ``TablePage`` over ``queries.alerts.AlertsQuery``, so it searches (Ctrl+F), sorts,
exports, prints and refreshes itself after a commit like every table. Enter or a double-click on
an alert opens what it is about: its purchase order, else its part (SKU x location). Acknowledge
and Resolve act on every selected alert in one unit of work (``commands.alerts``). New alerts also
arrive as a tray notification while the window is not in front (``ui.tray.AlertNotifier``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QCloseEvent, QColor, QIcon
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QMenu, QStyle, QWidget

from vmi_desktop.commands import alerts as alert_commands
from vmi_desktop.errors import VmiError
from vmi_desktop.models import AlertKind, AlertSeverity, AlertStatus
from vmi_desktop.queries.alerts import AlertRow, AlertsQuery
from vmi_desktop.queries.catalog import location_choices, vendor_choices
from vmi_desktop.scope import Action
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.models.table import RAW_ROLE, SqlTableModel
from vmi_desktop.ui.pages.table_page import TablePage
from vmi_desktop.ui.tray import AlertNotifier

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

#: The states shown when the page opens (resolved alerts are history).
DEFAULT_STATES = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED})


def severity_icon(severity: AlertSeverity) -> QIcon:
    """The platform's standard icon for a severity (cached)."""
    if severity not in _icon_cache:
        _icon_cache[severity] = QApplication.style().standardIcon(_ICONS[severity])
    return _icon_cache[severity]


class AlertsModel(SqlTableModel):
    """Alert rows with the severity as an icon and a colour."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role in (Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ForegroundRole)
            and index.isValid()
            and self.columns[index.column()].key == "severity"
        ):
            severity = super().data(index, RAW_ROLE)
            if isinstance(severity, AlertSeverity):
                return severity_icon(severity) if role == Qt.ItemDataRole.DecorationRole else _COLOURS[severity]
        return super().data(index, role)


class AlertsPage(TablePage):
    """The alert list; acknowledging and resolving need the manage-alerts right."""

    state_key = "alerts"
    export_title = "Alerts"
    search_hint = "Search message, SKU, vendor, location or order"
    default_descending = True
    model_class = AlertsModel
    filters_on_own_row = True

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, poll_ms: int = 20000) -> None:
        self.status_boxes: dict[AlertStatus, QCheckBox] = {}
        super().__init__(ctx, AlertsQuery(), page_size=200, parent=parent)
        self.view.activated.connect(lambda index: self.open_alert(index.row()))
        self.notifier = AlertNotifier(ctx, self.window, interval_ms=poll_ms, parent=self)
        self.notifier.new_alerts.connect(self._on_new_alerts)
        self.notifier.notified.connect(lambda title, _body: self.status_message.emit(title))
        self.notifier.start()

    # -- filters and buttons ---------------------------------------------------------------------

    def build_extras(self) -> None:
        for status in AlertStatus:
            box = QCheckBox(status.value.capitalize())
            box.setObjectName(f"show_{status.value}")
            box.setChecked(status in DEFAULT_STATES)
            box.toggled.connect(lambda _c: self._states_changed())
            self.status_boxes[status] = box
            self.filters.addWidget(box)
        self.model.request = replace(self.model.request, filters={"statuses": DEFAULT_STATES})
        self.kind_combo = self._combo("kindFilter", "All kinds", [(k.value.replace("_", " "), k) for k in AlertKind])
        self.kind_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("kind", self.kind_combo.currentData())
        )
        with self.ctx.db.sessions() as session:
            vendors = [(code, vid) for vid, code in vendor_choices(session, self.ctx.actor)]
            locations = [(code, lid) for lid, code in location_choices(session, self.ctx.actor)]
        self.vendor_combo = self._combo("vendorFilter", "All vendors", vendors)
        self.vendor_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("vendor_id", self.vendor_combo.currentData())
        )
        self.location_combo = self._combo("locationFilter", "All locations", locations)
        self.location_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filter("location_id", self.location_combo.currentData())
        )
        allowed = self.ctx.can(Action.MANAGE_ALERTS)
        why = "" if allowed else "your role does not handle alerts"
        self.open_button = self.add_button("Open", lambda: self.open_alert(), enabled=False)
        self.open_button.setObjectName("openAlert")
        self.open_button.setToolTip("Open the order or part this alert is about (Enter, double-click)")
        self.ack_button = self.add_button("Acknowledge", self.acknowledge_selected, enabled=False, tooltip=why)
        self.ack_button.setObjectName("acknowledge")
        self.resolve_button = self.add_button("Resolve", self.resolve_selected, enabled=False, tooltip=why)
        self.resolve_button.setObjectName("resolve")

    def _combo(self, name: str, everything: str, items: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(everything, None)
        for text, data in items:
            combo.addItem(text, data)
        self.filters.addWidget(combo)
        return combo

    def statuses(self) -> frozenset[AlertStatus]:
        """The states ticked under Show."""
        return frozenset(s for s, box in self.status_boxes.items() if box.isChecked())

    def _states_changed(self) -> None:
        self.model.set_filter("statuses", self.statuses())

    def filter_description(self) -> str:
        states = "states: " + (", ".join(s.value for s in AlertStatus if s in self.statuses()) or "none")
        rest = super().filter_description()
        return " · ".join(p for p in (rest, states) if p)

    def update_selection_buttons(self) -> None:
        if not hasattr(self, "resolve_button"):
            return
        rows = self.selected()
        allowed = self.ctx.can(Action.MANAGE_ALERTS)
        self.open_button.setEnabled(len(rows) == 1)
        self.ack_button.setEnabled(allowed and any(r.status is AlertStatus.OPEN for r in rows))
        self.resolve_button.setEnabled(allowed and any(r.status is not AlertStatus.RESOLVED for r in rows))

    def context_actions(self, menu: QMenu, rows: list[int]) -> None:
        if len(rows) == 1:
            row = self.alert(rows[0])
            what = f"order {row.po_number}" if row.po_number else (f"part {row.part_number}" if row.part_number else "")
            if what:
                row_no = rows[0]
                menu.addAction(f"Open {what}", lambda: self.open_alert(row_no))

    # -- rows ------------------------------------------------------------------------------------

    def alert(self, row: int) -> AlertRow:
        """The alert shown in ``row``."""
        values = self.model.row(row).values
        return AlertRow(
            id=int(self.model.key_of(row)[0]),
            severity=values["severity"],
            status=values["status"],
            kind=values["kind"],
            message=values["message"],
            vendor=values["vendor"],
            part_number=values["part_number"],
            location=values["location"],
            created_at=values["created_at"],
            acknowledged_by=None,
            resolved_by=values["handled_by"],
            po_number=values["po_number"],
            purchase_order_id=values["purchase_order_id"],
            sku_id=values["sku_id"],
            location_id=values["location_id"],
        )

    @property
    def rows(self) -> list[AlertRow]:
        """The loaded alerts, in table order."""
        return [self.alert(r) for r in range(self.model.rowCount())]

    def selected(self) -> list[AlertRow]:
        return [self.alert(r) for r in self.selected_rows()]

    def select_alert(self, alert_id: int) -> bool:
        row = self.model.row_of_key((alert_id,))
        if row is None:
            return False
        self.select_row(row)
        self.view.setCurrentIndex(self.model.index(row, 0))
        return True

    def _on_new_alerts(self, rows: list[AlertRow]) -> None:
        self.model.reload()
        self.status_message.emit(f"{len(rows)} new alert(s)")

    # -- actions ---------------------------------------------------------------------------------

    def open_alert(self, row: int | None = None) -> bool:
        """Open what the alert is about: its order, else its part; True when something opened."""
        if row is None:
            rows = self.selected_rows()
            if len(rows) != 1:
                return False
            row = rows[0]
        alert = self.alert(row)
        window: Any = self.window()
        opens_order = alert.purchase_order_id is not None and hasattr(window, "open_order")
        if opens_order and window.open_order(alert.purchase_order_id):
            return True
        if alert.sku_id is not None and hasattr(window, "open_part"):
            return bool(window.open_part(alert.sku_id, alert.location_id))
        if (
            alert.kind in (AlertKind.SYNC_FAILED, AlertKind.EVENT_REJECTED)
            and "sync" in getattr(window, "page_keys", lambda: [])()
        ):
            window.show_page("sync")
            return True
        self.status_message.emit("This alert names no order or part to open.")
        return False

    def _handle(self, verb: str, command: Any) -> int:
        rows = self.selected()
        try:
            done = int(command(self.ctx.db, self.ctx.actor, [r.id for r in rows]))
        except VmiError as exc:
            self.status_message.emit(f"Not {verb}: {exc}")
            return 0
        self.status_message.emit(f"{done} alert(s) {verb}")
        self.apply_commits_now()  # the commit's change reloads the list at once
        return done

    def acknowledge_selected(self) -> int:
        """Acknowledge every selected open alert (one unit of work); returns how many."""
        return self._handle("acknowledged", alert_commands.acknowledge)

    def resolve_selected(self) -> int:
        """Resolve every selected unresolved alert (one unit of work); returns how many."""
        return self._handle("resolved", alert_commands.resolve)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.notifier.stop()
        super().closeEvent(event)
