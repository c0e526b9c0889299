"""The alerts page: severity, status filter, acknowledge/resolve through the service, notifications."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, AlertSeverity, AlertStatus
from vmi_desktop.replenishment import alerts as alert_service
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages.alerts import AlertsPage


def _raise(
    db: Database,
    world: World,
    key: str,
    *,
    vendor: str | None = "ACME",
    severity: AlertSeverity = AlertSeverity.WARNING,
    kind: AlertKind = AlertKind.BELOW_MIN,
) -> int:
    with db.transaction() as s:
        alert = alert_service.raise_alert(
            s,
            kind=kind,
            cause_key=key,
            message=f"alert {key}",
            severity=severity,
            vendor_id=world.vendors[vendor] if vendor else None,
            sku_id=world.skus["P-1"],
            location_id=world.locations["WH-1"],
        )
        assert alert is not None
        return alert.id


def _page(qtbot: QtBot, ctx: AppContext, poll_ms: int = 20000) -> AlertsPage:
    page = AlertsPage(ctx, poll_ms=poll_ms)
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    return page


def test_acknowledge_then_resolve_the_selected_alert(
    qtbot: QtBot, sqlite_db: Database, world: World, lead: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    first = _raise(sqlite_db, world, "below:1", severity=AlertSeverity.CRITICAL)
    _raise(sqlite_db, world, "below:2")
    page = _page(qtbot, make_ctx(lead))
    assert page.model.rowCount() == 2
    assert page.select_alert(first)
    assert page.ack_button.isEnabled()
    qtbot.mouseClick(page.ack_button, Qt.MouseButton.LeftButton)
    with sqlite_db.transaction() as s:
        alert = s.get(Alert, first)
        assert alert is not None and alert.status is AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == "lead"
    assert page.select_alert(first)
    assert not page.ack_button.isEnabled() and page.resolve_button.isEnabled()
    qtbot.mouseClick(page.resolve_button, Qt.MouseButton.LeftButton)
    assert [r.id for r in page.rows if r.id == first] == []  # resolved ones are hidden by default
    page.status_boxes[AlertStatus.RESOLVED].setChecked(True)
    assert {r.id: r.status for r in page.rows}[first] is AlertStatus.RESOLVED


def test_severity_shows_as_icon_and_colour(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _raise(sqlite_db, world, "c", severity=AlertSeverity.CRITICAL)
    page = _page(qtbot, make_ctx(manager))
    index = page.model.index(0, page.model.column_index("severity"))
    assert page.model.data(index) == "critical"
    assert not page.model.data(index, Qt.ItemDataRole.DecorationRole).isNull()
    assert page.model.data(index, Qt.ItemDataRole.ForegroundRole).red() == 176


def test_supplier_sees_only_its_vendors_alerts_and_cannot_handle_them(
    qtbot: QtBot, sqlite_db: Database, world: World, supplier_actor: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    mine = _raise(sqlite_db, world, "acme", vendor="ACME")
    _raise(sqlite_db, world, "bolt", vendor="BOLT")
    _raise(sqlite_db, world, "sync", vendor=None, kind=AlertKind.SYNC_FAILED)
    page = _page(qtbot, make_ctx(supplier_actor))
    assert [r.id for r in page.rows] == [mine]
    qtbot.waitUntil(lambda: page.count_label.text() == "1 row", timeout=3000)
    page.select_alert(mine)
    assert not page.ack_button.isEnabled() and not page.resolve_button.isEnabled()


def test_new_alert_is_notified_when_the_window_is_not_active(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    _raise(sqlite_db, world, "old")
    page = _page(qtbot, make_ctx(manager), poll_ms=100000)
    page.notifier.window_active = lambda: False  # the user is in another application
    with qtbot.waitSignal(page.notifier.notified, timeout=5000) as blocker:
        new = _raise(sqlite_db, world, "new", severity=AlertSeverity.CRITICAL)  # the sink triggers the poll
    assert blocker.args == ["VMI alert: below min", "alert new"]
    assert page.notifier.notifications == [("VMI alert: below min", "alert new")]  # "old" is not news
    qtbot.waitUntil(lambda: any(r.id == new for r in page.rows), timeout=2000)


def test_polling_finds_alerts_raised_elsewhere_and_batches_them(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    page = _page(qtbot, make_ctx(manager), poll_ms=100000)
    page.notifier.window_active = lambda: False
    with sqlite_db.transaction() as s:  # written without the service's sink: another workstation
        for i in range(6):
            s.add(
                Alert(
                    kind=AlertKind.ORDER_OVERDUE,
                    cause_key=f"x{i}",
                    message=f"PO {i} overdue",
                    severity=AlertSeverity.CRITICAL if i == 0 else AlertSeverity.WARNING,
                )
            )
    with qtbot.waitSignal(page.notifier.new_alerts, timeout=5000):
        page.notifier.poll()
    title, body = page.notifier.notifications[-1]
    assert title == "6 new VMI alerts (1 critical)"
    assert body.endswith("…") and body.count("\n") == 4


def test_no_notification_while_the_user_is_looking_at_the_app(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    page = _page(qtbot, make_ctx(manager), poll_ms=100000)
    page.notifier.window_active = lambda: True
    with qtbot.waitSignal(page.notifier.new_alerts, timeout=5000):
        new = _raise(sqlite_db, world, "seen")
    assert page.notifier.notifications == []
    assert any(r.id == new for r in page.rows)
