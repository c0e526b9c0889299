"""A page's new orders, lines and shipments are built as rows and its changed orders and lines written in
batches, yet the database ends up exactly as when each event is applied through the mapped objects
and the ORM's flush; objects built as rows behave as any other (flushed, rolled back, changed later)."""

from __future__ import annotations

import gc
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from tests.integration import test_sync_inbox_batched
from tests.integration.test_sync_inbox_batched import Rig, _ack, _cancel, _created, _event, _page, _ship
from vmi_desktop import wire
from vmi_desktop.db import UnitOfWork
from vmi_desktop.db.collector import collector_paused
from vmi_desktop.db.pending_rows import add_new, insert_pending, new_row_object, update_changed
from vmi_desktop.models import (
    AuditEntry,
    POLineStatus,
    POOrigin,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    Shipment,
    Vendor,
    utcnow,
)
from vmi_desktop.scope import vendor_actor
from vmi_desktop.sync import inbox
from vmi_desktop.sync.dispatch import dispatch
from vmi_desktop.sync.events import read_event

rig = test_sync_inbox_batched.rig  # the same ACME world with two sent customer orders


def _feed(r: Rig) -> list[dict[str, Any]]:
    so1, so2 = {"supplier_order_id": "SO-1"}, {"supplier_order_id": "SO-2"}
    return [
        _created("e1", "SO-1", 3),
        _ack("e2", so1, 5, status="changed"),  # created and acknowledged in the same page
        _created("e3", "SO-2", 16),  # held: above max after SO-1's 5
        _ack("e4", {"po_number": r.po_a}, 6),
        _ship("e5", r.po_a, "SH-1", 4),  # partly shipped
        _ship("e6", r.po_a, "SH-2", 2),  # the rest: shipped
        _cancel("e7", so1),
        _ack("e8", so2, 16),  # a held order cannot be acknowledged: refused (as one at a time)
        _cancel("e9", {"po_number": r.po_b}),
        _created("e10", "SO-3", 2),
        _event(
            "e11",
            "shipment.dispatched",
            {"shipment_id": "SH-3", "supplier_order_id": "SO-3", "lines": [{"line": 1, "sku": "P-2", "quantity": 1}]},
        ),
    ]


def _snapshot(s: Session) -> dict[str, Any]:
    """What the events wrote, without ids and times (which differ between two runs) and versions."""
    orders = {}
    for po in s.scalars(select(PurchaseOrder).order_by(PurchaseOrder.po_number)):
        orders[po.supplier_order_id or po.po_number] = (
            po.po_number,
            po.status,
            po.origin,
            po.hold_reason,
            po.note,
            po.currency,
            po.need_by,
            po.expected_delivery,
            # not po.version: it counts writes (one per run of a page; here one per savepoint), not events
            po.updated_by,
            po.acknowledged_at is not None,
            po.shipped_at is not None,
            po.closed_at is not None,
            [
                (
                    ln.line_no,
                    ln.sku_id,
                    ln.agreement_id,
                    ln.quantity_ordered,
                    ln.quantity_acknowledged,
                    ln.quantity_shipped,
                    ln.quantity_received,
                    ln.unit_price,
                    ln.supplier_sku,
                    ln.uom,
                    ln.need_by,
                    ln.expected_delivery,
                    ln.status,
                )
                for ln in po.lines
            ],
            [
                (h.from_status, h.to_status, h.changed_by, h.note)
                for h in s.scalars(
                    select(POStatusChange).where(POStatusChange.purchase_order_id == po.id).order_by(POStatusChange.id)
                )
            ],
        )
    shipments = sorted(
        (sh.external_id, sh.carrier, sh.tracking, sh.eta, s.get_one(PurchaseOrder, sh.purchase_order_id).po_number)
        for sh in s.scalars(select(Shipment))
    )
    audit = [
        (a.action, a.entity, a.entity_id, a.detail, a.actor)
        for a in s.scalars(select(AuditEntry).where(AuditEntry.actor.like("%ACME%")).order_by(AuditEntry.id))
    ]
    return {"orders": orders, "shipments": shipments, "audit": audit}


def test_a_page_writes_what_the_events_one_by_one_through_the_orm_write(rig: Rig) -> None:
    r = rig
    events = _feed(r)
    # The reference: each event dispatched in its own savepoint, no batch (mapped constructors, ORM flush).
    with r.db.unit_of_work() as uow:
        s = uow.session
        refused = _one_by_one(uow, r.acme, events)
        s.flush()
        expected = _snapshot(s)
        s.rollback()
    assert refused == ["e8"]
    result = _page(r, events, "c1")
    assert (result.applied, result.rejected) == (len(events) - 1, 1)
    with r.db.transaction() as s:
        got = _snapshot(s)
    assert got["orders"] == expected["orders"]
    assert got["shipments"] == expected["shipments"]
    assert got["audit"] == expected["audit"]
    assert got["orders"]["SO-1"][1] is POStatus.CANCELLED and got["orders"]["SO-3"][1] is POStatus.PARTLY_SHIPPED


def _raw(e: dict[str, Any]) -> bytes:
    return wire.dumpb(e)


def _one_by_one(uow: UnitOfWork, vendor_id: int, events: list[dict[str, Any]]) -> list[str]:
    """The reference for a page: each event dispatched in its own savepoint, nothing primed, batched or
    deferred; the ids of the events refused. The caller flushes, compares and rolls back."""
    s = uow.session
    vendor = s.get_one(Vendor, vendor_id)
    actor = vendor_actor(vendor.id, vendor.code)
    # a write first: pysqlite then has the transaction open, so no savepoint's release commits it
    s.execute(text("UPDATE vendors SET code = code WHERE id = :id"), {"id": vendor_id})
    refused = []
    for e in events:
        item = read_event(_raw(e), max_bytes=1 << 20)
        assert item.data is not None
        try:
            with s.begin_nested():
                dispatch(uow, actor, item.data)
        except Exception:
            refused.append(item.event_id)
    return refused


def _next_ids(s: Session) -> tuple[int, int]:
    if s.get_bind().dialect.name == "postgresql":
        return (
            int(s.scalar(text("SELECT nextval(pg_get_serial_sequence('purchase_orders', 'id'))"))),
            int(s.scalar(text("SELECT nextval(pg_get_serial_sequence('purchase_order_lines', 'id'))"))),
        )
    return (
        (s.scalar(select(func.max(PurchaseOrder.id))) or 0) + 1,
        (s.scalar(select(func.max(PurchaseOrderLine.id))) or 0) + 1,
    )


def _built(r: Rig, s: Session, number: str) -> tuple[PurchaseOrder, PurchaseOrderLine]:
    po_id, line_id = _next_ids(s)
    po = new_row_object(
        PurchaseOrder,
        {
            "id": po_id,
            "po_number": number,
            "vendor_id": r.acme,
            "location_id": r.world.locations["WH-1"],
            "status": POStatus.ACKNOWLEDGED,
            "origin": POOrigin.SUPPLIER,
            "created_at": utcnow(),
        },
    )
    line = new_row_object(
        PurchaseOrderLine,
        {
            "id": line_id,
            "purchase_order_id": po_id,
            "line_no": 1,
            "sku_id": r.world.skus["P-2"],
            "quantity_ordered": Decimal(4),
            "uom": "EA",
        },
        order=po,
    )
    set_committed_value(po, "lines", [line])
    return po, line


def _add(s: Session, adder: str, po: PurchaseOrder) -> None:
    """Add a built order: through ``session.add`` (its cascade brings the lines) or ``add_new`` (each given)."""
    if adder == "add":
        s.add(po)
    else:
        add_new(s, [po, *po.lines])


@pytest.mark.parametrize("adder", ["add", "add_new"])
@pytest.mark.parametrize("writer", ["insert_pending", "flush"])
def test_objects_built_as_rows_are_written_alike_by_insert_pending_and_by_the_flush(
    rig: Rig, writer: str, adder: str
) -> None:
    with rig.db.transaction() as s:
        po, line = _built(rig, s, "PO-BUILT-1")
        _add(s, adder, po)
        assert po in s.new and line in s.new  # the order and its line
        if writer == "insert_pending":
            assert insert_pending(s, (PurchaseOrder, PurchaseOrderLine)) == 2
        else:
            s.flush()
        assert po in s and not s.new and po.version == 1 and line.quantity_shipped == 0
        po.status = POStatus.CANCELLED  # a later change is an update
        s.flush()
        po_id = po.id
    with rig.db.transaction() as s:
        stored = s.get_one(PurchaseOrder, po_id)
        assert (stored.po_number, stored.status, stored.version, stored.hold_reason) == (
            "PO-BUILT-1",
            POStatus.CANCELLED,
            2,
            "",
        )
        assert [(ln.line_no, ln.quantity_ordered, ln.status) for ln in stored.lines] == [
            (1, Decimal(4), POLineStatus.OPEN)
        ]


def test_a_built_object_refuses_a_key_that_is_not_a_column(rig: Rig) -> None:
    with pytest.raises(ValueError, match="no column attributes"):
        new_row_object(PurchaseOrder, {"po_number": "PO-X", "lines": []})


@pytest.mark.parametrize("adder", ["add", "add_new"])
def test_rows_written_in_a_savepoint_that_rolls_back_leave_the_session(rig: Rig, adder: str) -> None:
    with rig.db.transaction() as s:
        po, line = _built(rig, s, "PO-BUILT-2")
        with pytest.raises(RuntimeError), s.begin_nested():
            _add(s, adder, po)
            insert_pending(s, (PurchaseOrder, PurchaseOrderLine))
            assert po in s
            raise RuntimeError("the run stops")
        assert po not in s and line not in s  # gone with their rows, as after a flush
        assert s.scalar(select(func.count()).select_from(PurchaseOrder).where(PurchaseOrder.id == po.id)) == 0


def test_changed_lines_are_updated_in_batches_and_the_flush_has_nothing_left(rig: Rig) -> None:
    with rig.db.transaction() as s:
        lines = list(s.scalars(select(PurchaseOrderLine).order_by(PurchaseOrderLine.id)))
        assert len(lines) == 2
        for ln in lines:
            ln.quantity_acknowledged = ln.quantity_ordered
            ln.quantity_shipped = Decimal(1)
        assert update_changed(s, PurchaseOrderLine) == 2
        statements: list[str] = []
        event.listen(s.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
        s.flush()
        assert not [q for q in statements if q.startswith("UPDATE")], statements
        assert not s.dirty
    with rig.db.transaction() as s:
        assert [
            (ln.quantity_acknowledged, ln.quantity_shipped)
            for ln in s.scalars(select(PurchaseOrderLine).order_by(PurchaseOrderLine.id))
        ] == [(Decimal(6), Decimal(1)), (Decimal(2), Decimal(1))]
    with rig.db.transaction() as s:
        first = s.scalars(select(PurchaseOrderLine).order_by(PurchaseOrderLine.id)).first()
        assert first is not None
        ln = first
        # someone else removed the row meanwhile (the order's lines cascade)
        s.execute(
            delete(PurchaseOrderLine).where(PurchaseOrderLine.id == ln.id).execution_options(synchronize_session=False)
        )
        ln.quantity_shipped = Decimal(2)
        with pytest.raises(StaleDataError, match="expected to update 1 row"):
            update_changed(s, PurchaseOrderLine)
        s.rollback()


def test_the_collector_is_held_off_for_a_page_and_restored_after(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = inbox._apply_page

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(inbox, "_apply_page", watched)
    assert gc.isenabled()
    _page(rig, [_created("g1", "SO-G", 1)], "g")
    assert seen == [False] and gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    try:
        _page(rig, [_created("g2", "SO-H", 1)], "h")
        assert seen == [False, False] and not gc.isenabled()
    finally:
        gc.enable()


def test_nested_pauses_resume_collection_when_the_last_ends() -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
