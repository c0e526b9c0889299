"""Receipts against an order: over-delivery accepted with a reason, under-delivery left open or closed short."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import D
from tests.world import World, build_world, sent_order
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import (
    AuditEntry,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    Receipt,
    StockMovement,
)
from vmi_desktop.replenishment import orders
from vmi_desktop.scope import Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        return build_world(s)


def _two_line_order(db: Database, world: World, manager: Actor) -> int:
    return sent_order(db, manager, world, "ACME", "WH-1", ("P-1", 12), ("P-2", 5)).id


def _order(db: Database, po_id: int) -> PurchaseOrder:
    with db.sessions() as s:
        po = s.get_one(PurchaseOrder, po_id)
        _ = po.lines, po.history
        return po


def test_over_delivery_without_a_reason_is_refused_and_nothing_written(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _two_line_order(db, world, manager)
    with pytest.raises(ValidationError, match="give a reason to accept the over-delivery; nothing was received"):
        order_commands.receive(db, lead, po_id, {1: D(14), 2: D(5)})
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert s.scalar(select(func.count()).select_from(Receipt)) == 0


def test_over_delivery_with_a_reason_is_received_and_the_reason_recorded(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _two_line_order(db, world, manager)
    order_commands.receive(db, lead, po_id, {1: D(14), 2: D(5)}, over_reason="supplier sent a full carton")
    po = _order(db, po_id)
    assert po.status == POStatus.RECEIVED
    assert [ln.quantity_received for ln in po.lines] == [D(14), D(5)]
    assert all(ln.status == POLineStatus.CLOSED for ln in po.lines)
    with db.sessions() as s:
        notes = list(s.scalars(select(StockMovement.note).order_by(StockMovement.id)))
        audit = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "order.receive")).one()
    assert notes == ["over-delivery of 2: supplier sent a full carton", ""]
    assert '"over_delivered": {"1": "2.000"}' in audit and "full carton" in audit
    assert "line 1 over-delivered by 2" in po.history[-1].note


def test_under_delivery_leaves_the_line_open_unless_it_is_closed_short(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _two_line_order(db, world, manager)
    order_commands.receive(db, lead, po_id, {1: D(10), 2: D(3)}, close_short={2})
    po = _order(db, po_id)
    assert po.status == POStatus.PARTLY_RECEIVED
    assert [ln.status for ln in po.lines] == [POLineStatus.OPEN, POLineStatus.CLOSED]
    assert po.lines[0].open_quantity == D(2) and po.lines[1].open_quantity == D(0)
    assert "line 2 closed short (3 of 5)" in po.history[-1].note
    with db.sessions() as s:
        assert orders.open_quantity_by_pair(s) == {(world.skus["P-1"], world.locations["WH-1"]): D(2)}
    # the rest of line 1 will not come either: closed with nothing more received, the order is complete
    order_commands.receive(db, lead, po_id, {1: D(1)}, close_short={1})
    po = _order(db, po_id)
    assert po.status == POStatus.RECEIVED
    assert [ln.quantity_received for ln in po.lines] == [D(11), D(3)]


def test_a_line_closed_short_with_nothing_received_is_cancelled(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _two_line_order(db, world, manager)
    order_commands.receive(db, lead, po_id, {1: D(12)}, close_short={2})
    po = _order(db, po_id)
    assert [ln.status for ln in po.lines] == [POLineStatus.CLOSED, POLineStatus.CANCELLED]
    assert po.status == POStatus.RECEIVED


@pytest.mark.parametrize(
    ("close", "message"),
    [({9}, "has no line 9 to close"), ({1}, "line 1 of PO-\\d+ is closed already")],
)
def test_closing_an_unknown_or_closed_line_refuses_the_whole_receipt(
    db: Database, world: World, manager: Actor, lead: Actor, close: set[int], message: str
) -> None:
    po_id = _two_line_order(db, world, manager)
    order_commands.receive(db, lead, po_id, {1: D(12)})
    with pytest.raises(ValidationError, match=message):
        order_commands.receive(db, lead, po_id, {2: D(1)}, close_short=close)
    po = _order(db, po_id)
    assert po.lines[1].quantity_received == 0
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Receipt)) == 1
