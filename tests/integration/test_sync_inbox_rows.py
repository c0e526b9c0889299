"""A page's new supplier orders, lines and shipments are written as rows (one statement per table), and
a row the database refuses there still rejects only the event that wrote it; the objects stay usable."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, text

from tests.integration import test_sync_inbox_batched
from tests.integration.test_sync_inbox_batched import (
    Rig,
    _ack,
    _cancel,
    _created,
    _inbox,
    _orders,
    _page,
    _ship,
)
from vmi_desktop.db import Database
from vmi_desktop.db.pending_rows import insert_pending, update_changed
from vmi_desktop.models import (
    Alert,
    AlertKind,
    Counter,
    InboxStatus,
    POLineStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    utcnow,
)

rig = test_sync_inbox_batched.rig  # the same ACME world with two sent customer orders


def _trap(db: Database) -> None:
    """The database refuses supplier order SO-TRAP and carrier BADCARRIER (a trap the checks before it miss)."""
    with db.transaction() as s:
        if db.engine.dialect.name == "sqlite":
            s.execute(
                text(
                    "CREATE TRIGGER trap_order BEFORE INSERT ON purchase_orders WHEN NEW.supplier_order_id = 'SO-TRAP' "
                    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: trap'); END"
                )
            )
            s.execute(
                text(
                    "CREATE TRIGGER trap_carrier BEFORE INSERT ON shipments WHEN NEW.carrier = 'BADCARRIER' "
                    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: trap'); END"
                )
            )
        else:
            s.execute(
                text(
                    "ALTER TABLE purchase_orders ADD CONSTRAINT trap_order "
                    "CHECK (supplier_order_id IS NULL OR supplier_order_id <> 'SO-TRAP')"
                )
            )
            s.execute(text("ALTER TABLE shipments ADD CONSTRAINT trap_carrier CHECK (carrier <> 'BADCARRIER')"))


def test_rows_refused_at_the_write_reject_only_their_events(rig: Rig) -> None:
    _trap(rig.db)
    bad_ship = _ship("s-bad", rig.po_b, "SH-2", 2)
    bad_ship["data"]["carrier"] = "BADCARRIER"
    events = [
        _created("c1", "SO-1", 2),
        _created("c-trap", "SO-TRAP", 2),  # refused when its row is written
        _ack("a1", {"supplier_order_id": "SO-1"}, 3),
        _ship("s1", rig.po_a, "SH-1", 6),
        bad_ship,  # refused when its row is written
        _created("c3", "SO-3", 1),
        _cancel("k1", {"supplier_order_id": "SO-1"}),  # the order of c1: created in the same page
    ]
    result = _page(rig, events, "c-rows")
    assert (result.applied, result.rejected) == (5, 2)
    stored = _inbox(rig.db)
    assert {e for e, row in stored.items() if row.status is InboxStatus.REJECTED} == {"c-trap", "s-bad"}
    for event_id in ("c-trap", "s-bad"):
        assert stored[event_id].reason and "internal error" not in stored[event_id].reason, stored[event_id].reason
    orders = _orders(rig.db)
    assert "SO-TRAP" not in orders
    assert orders["SO-1"].status is POStatus.CANCELLED
    assert orders["SO-1"].lines[0].quantity_acknowledged == Decimal(3)
    assert orders["SO-1"].lines[0].status is POLineStatus.CANCELLED
    assert orders["SO-3"].status is POStatus.ACKNOWLEDGED
    assert orders[rig.po_a].status is POStatus.SHIPPED
    assert orders[rig.po_b].status is POStatus.SENT
    with rig.db.transaction() as s:
        assert list(s.scalars(select(Shipment.external_id))) == ["SH-1"]
        # the refused order's number went back: the orders kept are numbered without a gap
        numbers = sorted(int(po.po_number.split("-")[1]) for po in orders.values())
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert s.scalar(select(Counter.value).where(Counter.name == "purchase_order")) == numbers[-1]
        rejected_alerts = s.scalar(
            select(func.count()).select_from(Alert).where(Alert.kind == AlertKind.EVENT_REJECTED)
        )
        assert rejected_alerts == 2


def test_pending_objects_written_as_rows_stay_persistent_and_later_changes_are_updates(rig: Rig) -> None:
    with rig.db.transaction() as s:
        if rig.db.engine.dialect.name == "postgresql":  # ids as the working set takes them: from the sequences
            next_id = s.scalar(text("SELECT nextval(pg_get_serial_sequence('purchase_orders', 'id'))"))
            next_line = s.scalar(text("SELECT nextval(pg_get_serial_sequence('purchase_order_lines', 'id'))"))
        else:
            next_id = (s.scalar(select(func.max(PurchaseOrder.id))) or 0) + 1
            next_line = (s.scalar(select(func.max(PurchaseOrderLine.id))) or 0) + 1
        line = PurchaseOrderLine(
            id=next_line, line_no=1, sku_id=rig.world.skus["P-2"], quantity_ordered=Decimal(4), uom="EA"
        )
        po = PurchaseOrder(
            id=next_id,
            po_number="PO-ROWS-1",
            vendor_id=rig.acme,
            location_id=rig.world.locations["WH-1"],
            status=POStatus.ACKNOWLEDGED,
            origin=POOrigin.SUPPLIER,
            created_at=utcnow(),
            lines=[line],
        )
        no_id = PurchaseOrder(po_number="PO-ROWS-2", vendor_id=rig.acme, location_id=rig.world.locations["WH-1"])
        s.add_all([po, no_id])
        assert insert_pending(s, (PurchaseOrder, PurchaseOrderLine)) == 2
        assert po in s and po not in s.new and line not in s.new and no_id in s.new  # the one without id: the ORM's
        assert (po.version, po.hold_reason, line.purchase_order_id, line.quantity_shipped) == (1, "", po.id, 0)
        po.status = POStatus.CANCELLED
        line.status = POLineStatus.CANCELLED
        s.flush()
        assert po.version == 2
    with rig.db.transaction() as s:
        stored = s.get_one(PurchaseOrder, next_id)
        assert (stored.status, stored.version, stored.origin) == (POStatus.CANCELLED, 2, POOrigin.SUPPLIER)
        assert [(ln.id, ln.status, ln.quantity_ordered) for ln in stored.lines] == [
            (next_line, POLineStatus.CANCELLED, Decimal(4))
        ]
        assert s.scalar(select(PurchaseOrder.id).where(PurchaseOrder.po_number == "PO-ROWS-2")) is not None


def test_changed_orders_are_updated_in_batches_with_their_version_checked(rig: Rig) -> None:
    from sqlalchemy import event, update
    from sqlalchemy.orm.exc import StaleDataError

    with rig.db.transaction() as s:
        a, b = (
            s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == n)).one() for n in (rig.po_a, rig.po_b)
        )
        versions, stamps = (a.version, b.version), (a.updated_at, b.updated_at)
        a.status = b.status = POStatus.ACKNOWLEDGED
        a.updated_by = b.updated_by = "ACME (supplier)"
        assert update_changed(s, PurchaseOrder) == 2
        assert (a.version, b.version) == (versions[0] + 1, versions[1] + 1)
        assert a.updated_at > stamps[0] and b.updated_at > stamps[1]
        statements: list[str] = []
        event.listen(s.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
        s.flush()  # nothing left to write for them
        assert not [q for q in statements if q.startswith("UPDATE purchase_orders")], statements
    with rig.db.transaction() as s:
        rows = s.execute(
            select(PurchaseOrder.status, PurchaseOrder.version, PurchaseOrder.updated_by).where(
                PurchaseOrder.po_number.in_([rig.po_a, rig.po_b])
            )
        ).all()
        assert sorted(rows) == sorted(
            [
                (POStatus.ACKNOWLEDGED, versions[0] + 1, "ACME (supplier)"),
                (POStatus.ACKNOWLEDGED, versions[1] + 1, "ACME (supplier)"),
            ]
        )
    with rig.db.transaction() as s:
        po = s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == rig.po_a)).one()
        # someone else's change since it was read: its version moved on
        s.execute(
            update(PurchaseOrder)
            .where(PurchaseOrder.id == po.id)
            .values(version=PurchaseOrder.version + 1)
            .execution_options(synchronize_session=False)
        )
        po.status = POStatus.SHIPPED
        try:
            update_changed(s, PurchaseOrder)
        except StaleDataError as exc:
            assert "expected to update 1 row(s); 0 were matched" in str(exc)
        else:
            raise AssertionError("a stale order was written over")
        s.rollback()
