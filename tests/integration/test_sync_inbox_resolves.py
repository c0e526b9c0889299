"""An open alert that a page's supplier order answers is resolved with the run's other writes (no flush of
everything pending in the middle of a run), exactly as when each event is applied on its own; a refused
event among them and a replay of the page change nothing of it. And the rows a page writes through the
driver's executemany (``db.rows``) are stored as Core would store them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from tests.integration import test_sync_inbox_batched
from tests.integration.test_sync_inbox_batched import Rig, _ack, _cancel, _created, _inbox, _page
from tests.integration.test_sync_inbox_objects import _one_by_one, _snapshot
from vmi_desktop.db.rows import insert_many, update_many
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertStatus,
    AuditEntry,
    InboxStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
)
from vmi_desktop.replenishment import alerts
from vmi_desktop.replenishment.alerts import pair_key
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import vendor_actor

rig = test_sync_inbox_batched.rig  # the same ACME world with two sent customer orders


def _open_below_min(r: Rig) -> str:
    cause = pair_key("below_min", r.world.skus["P-2"], r.world.locations["WH-1"])
    with r.db.transaction() as s:
        alerts.raise_alert(
            s,
            kind=AlertKind.BELOW_MIN,
            cause_key=cause,
            message="P-2 at WH-1: position 0 is at or below min 5",
            vendor_id=r.acme,
            sku_id=r.world.skus["P-2"],
            location_id=r.world.locations["WH-1"],
        )
    return cause


def _alerts(s: Session) -> list[tuple[Any, ...]]:
    """Every alert without ids and times, the order it links to by its supplier order id or number."""
    rows = []
    for a in s.scalars(select(Alert).order_by(Alert.cause_key, Alert.status)):
        po = s.get(PurchaseOrder, a.purchase_order_id) if a.purchase_order_id is not None else None
        linked = None if po is None else (po.supplier_order_id or po.po_number)
        cause = a.cause_key.split(":")[0] if a.cause_key.startswith(("held:", "overdue:")) else a.cause_key
        rows.append((a.kind, cause, a.status, a.resolved_by, linked, a.resolved_at is not None, a.message))
    return sorted(rows, key=repr)


def test_an_open_alert_a_supplier_order_answers_is_resolved_as_when_applied_one_by_one(rig: Rig) -> None:
    r = rig
    cause = _open_below_min(r)
    events = [
        _created("e1", "SO-1", 3),  # answers the open below-min alert of P-2 at WH-1: resolved, linked to SO-1
        _ack("bad", {"po_number": "PO-999999"}, 1),  # refused: unknown order
        _created("e2", "SO-2", 2),  # the same pair: nothing open to resolve any more
        _ack("e3", {"po_number": r.po_a}, 6),
        _created("e4", "SO-3", 30),  # held (above max): its held alert is raised in the same run
        _cancel("e5", {"supplier_order_id": "SO-1"}),
    ]
    # The reference: each event dispatched in its own savepoint, nothing primed or deferred.
    with r.db.unit_of_work() as uow:
        s = uow.session
        refused = _one_by_one(uow, r.acme, events)
        s.flush()
        expected, expected_alerts = _snapshot(s), _alerts(s)
        s.rollback()
    assert refused == ["bad"]
    result = _page(r, events, "c1")
    assert (result.applied, result.rejected) == (len(events) - 1, 1)
    with r.db.transaction() as s:
        got, got_alerts = _snapshot(s), _alerts(s)
        answered = s.scalars(select(Alert).where(Alert.cause_key == cause)).one()
        so1 = s.scalars(select(PurchaseOrder).where(PurchaseOrder.supplier_order_id == "SO-1")).one()
        assert (answered.status, answered.purchase_order_id, answered.resolved_by) == (
            AlertStatus.RESOLVED,
            so1.id,
            vendor_actor(r.acme, "ACME").name,  # the supplier that answered it
        )
        audit_rows = s.scalar(select(func.count()).select_from(AuditEntry))
    # the inbox's own alert for the refused event is the page's (no reference event is kept in an inbox)
    assert [a for a in got_alerts if a[0] is not AlertKind.EVENT_REJECTED] == expected_alerts
    assert [a[0] for a in got_alerts if a[0] is AlertKind.EVENT_REJECTED] == [AlertKind.EVENT_REJECTED]
    assert got["orders"] == expected["orders"] and got["audit"] == expected["audit"]
    assert got["orders"]["SO-3"][1] is POStatus.AWAITING_APPROVAL and got["orders"]["SO-1"][1] is POStatus.CANCELLED
    stored = _inbox(r.db)
    assert stored["bad"].status is InboxStatus.REJECTED and "PO-999999" in stored["bad"].reason
    # The page again (a replay): every event known, nothing applied twice, the alerts as they were.
    again = _page(r, events, "c2")
    assert (again.applied, again.rejected, again.skipped) == (0, 0, len(events))
    with r.db.transaction() as s:
        assert _alerts(s) == got_alerts
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows


def test_an_alert_raised_again_after_a_deferred_resolution_in_the_same_run_is_a_new_one(rig: Rig) -> None:
    """The resolution kept back for the run is written before the same cause is raised again."""
    r = rig
    cause = _open_below_min(r)
    with r.db.unit_of_work() as uow:
        s = uow.session
        ws = WorkingSet.of(s)
        ws.defer_alerts = True
        ws.prime_causes(s, [cause])
        assert alerts.resolve_cause(s, cause, by="test")
        assert cause in ws.deferred_resolves  # kept back: nothing written yet
        assert s.scalar(select(Alert.status).where(Alert.cause_key == cause)) is AlertStatus.OPEN
        alerts.raise_alert(s, kind=AlertKind.BELOW_MIN, cause_key=cause, message="below min again", vendor_id=r.acme)
        alerts.write_deferred(s)
        WorkingSet.forget(s)
    with r.db.transaction() as s:
        rows = s.execute(select(Alert.status, Alert.message, Alert.resolved_by).where(Alert.cause_key == cause))
        assert sorted(rows, key=repr) == sorted(
            [
                (AlertStatus.RESOLVED, "P-2 at WH-1: position 0 is at or below min 5", "test"),
                (AlertStatus.OPEN, "below min again", None),
            ],
            key=repr,
        )


def test_rows_written_by_the_drivers_executemany_are_stored_as_core_stores_them(rig: Rig) -> None:
    r = rig
    table: Table = AuditEntry.__table__  # type: ignore[assignment]
    when = datetime(2026, 11, 24, 8, 30, 0, 123456, tzinfo=UTC)
    rows = [
        {"occurred_at": when, "actor": "t", "login": "t", "vendor_id": r.acme, "action": "a", "entity": "e"},
        {"occurred_at": when, "actor": "t", "login": "t", "vendor_id": None, "action": "b", "entity": "e"},
    ]
    with r.db.transaction() as s:
        connection = s.connection()
        connection.execute(insert(table), [{**row, "entity_id": "core"} for row in rows])
        assert insert_many(connection, table, [{**row, "entity_id": "rows"} for row in rows]) == 2
        stored = connection.execute(
            text("SELECT entity_id, occurred_at, vendor_id, action, detail FROM audit_entries WHERE actor = 't'")
        ).all()
    by_kind: dict[str, list[tuple[Any, ...]]] = {}
    for entity_id, *values in stored:
        by_kind.setdefault(entity_id, []).append(tuple(values))
    assert sorted(by_kind["rows"], key=repr) == sorted(by_kind["core"], key=repr)  # the defaults ("" detail) too
    lines: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]
    with r.db.transaction() as s:
        line_id = s.scalar(select(func.min(PurchaseOrderLine.id)))
        connection = s.connection()
        matched = update_many(connection, lines, ["quantity_shipped"], ["id"], [(Decimal("1.250"), line_id)])
        assert matched == 1
        assert update_many(connection, lines, ["quantity_shipped"], ["id"], [(Decimal(2), -1)]) == 0  # no such row
        assert s.get_one(PurchaseOrderLine, line_id).quantity_shipped == Decimal("1.250")
