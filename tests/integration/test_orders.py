"""Purchase orders: numbering, creation from agreements, the status machine, acknowledgements, receipts."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import IllegalTransitionError, PermissionDenied, ValidationError
from vmi_desktop.models import (
    AuditEntry,
    POLineStatus,
    POOrigin,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    Receipt,
    Role,
    StockMovement,
)
from vmi_desktop.replenishment import orders
from vmi_desktop.replenishment.orders import TRANSITIONS, NewLine
from vmi_desktop.scope import Actor


def _order(
    db: Database, world: World, actor: Actor, status: POStatus = POStatus.SENT, qty: str = "12", lines: int = 1
) -> int:
    skus = [world.skus["P-1"], world.skus["P-2"]][:lines]
    with db.transaction() as s:
        po = orders.create_order(
            s,
            actor,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=k, quantity=D(qty)) for k in skus],
            origin=POOrigin.MANUAL,
            status=status,
        )
        return po.id


def test_numbers_are_sequential_and_formatted(db: Database) -> None:
    with db.transaction() as s:
        a = orders.next_number(s, "purchase_order", "PO-")
        b = orders.next_number(s, "purchase_order", "PO-")
        r = orders.next_number(s, "receipt", "RC-")
    assert (a, b, r) == ("PO-000001", "PO-000002", "RC-000001")


def test_create_order_fills_lines_from_agreement_and_writes_history_and_audit(
    db: Database, world: World, manager: Actor
) -> None:
    po_id = _order(db, world, manager, status=POStatus.DRAFT, lines=2)
    with db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.DRAFT and po.created_by == "pm"
        assert [(ln.line_no, ln.supplier_sku, ln.unit_price, ln.quantity_ordered) for ln in po.lines] == [
            (1, "ACME-P-1", D("3.1"), D(12)),
            (2, "ACME-P-2", D("3.1"), D(12)),
        ]
        assert all(ln.agreement_id is not None and ln.need_by is not None for ln in po.lines)
        assert [(h.from_status, h.to_status) for h in po.history] == [(None, POStatus.DRAFT)]
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.create")) == 1


def test_order_for_sku_without_agreement_is_refused(db: Database, world: World, manager: Actor) -> None:
    with pytest.raises(ValidationError, match="ACME has no active agreement for P-3 at WH-1"), db.transaction() as s:
        orders.create_order(
            s,
            manager,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus["P-3"], quantity=D(1))],
            origin=POOrigin.MANUAL,
        )


def test_warehouse_lead_and_other_supplier_may_not_create_orders(db: Database, world: World, lead: Actor) -> None:
    with pytest.raises(PermissionDenied):
        _order(db, world, lead)
    bolt = Actor("vendor:BOLT", Role.SUPPLIER, vendor_id=world.vendors["BOLT"])
    with pytest.raises(PermissionDenied):
        _order(db, world, bolt)


LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
ILLEGAL = [(a, b) for a, b in itertools.product(POStatus, POStatus) if b not in TRANSITIONS[a]]


def test_status_machine_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(POStatus)
    assert not TRANSITIONS[POStatus.RECEIVED] and not TRANSITIONS[POStatus.CANCELLED]
    assert POStatus.SENT in TRANSITIONS[POStatus.AWAITING_APPROVAL]
    assert POStatus.DRAFT not in TRANSITIONS[POStatus.SENT]


@pytest.mark.parametrize(("start", "to"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_every_legal_transition_is_stamped_and_recorded(
    sqlite_db: Database, start: POStatus, to: POStatus, manager: Actor
) -> None:
    with sqlite_db.transaction() as s:
        world = build_world(s)
    po_id = _order(sqlite_db, world, manager, status=start)
    with sqlite_db.transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None
        orders.transition(s, manager, po, to, note="test")
    with sqlite_db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == to
        assert (po.history[-1].from_status, po.history[-1].to_status) == (start, to)
        stamp = {
            POStatus.SENT: po.sent_at,
            POStatus.ACKNOWLEDGED: po.acknowledged_at,
            POStatus.SHIPPED: po.shipped_at,
            POStatus.PARTLY_SHIPPED: po.shipped_at,
            POStatus.RECEIVED: po.received_at,
            POStatus.CANCELLED: po.closed_at,
            POStatus.REJECTED: po.closed_at,
        }.get(to, po.created_at)
        assert stamp is not None


@pytest.mark.parametrize(("start", "to"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_transition_is_refused_naming_both_states(
    sqlite_db: Database, start: POStatus, to: POStatus, manager: Actor
) -> None:
    with sqlite_db.transaction() as s:
        world = build_world(s)
    po_id = _order(sqlite_db, world, manager, status=start)
    with (
        pytest.raises(
            IllegalTransitionError, match=f"from {start.value.replace('_', ' ')} to {to.value.replace('_', ' ')}"
        ),
        sqlite_db.transaction() as s,
    ):
        po = s.get(PurchaseOrder, po_id)
        assert po is not None
        orders.transition(s, manager, po, to)
    with sqlite_db.sessions() as s:
        assert s.get(PurchaseOrder, po_id).status == start  # type: ignore[union-attr]


def test_illegal_transition_on_postgres_too(db: Database, world: World, manager: Actor) -> None:
    po_id = _order(db, world, manager, status=POStatus.RECEIVED)
    with pytest.raises(IllegalTransitionError, match="from received to sent"), db.transaction() as s:
        orders.mark_sent(s, manager, po_id)


def test_approve_sends_a_proposal_and_reject_needs_a_reason(db: Database, world: World, manager: Actor) -> None:
    a = _order(db, world, manager, status=POStatus.AWAITING_APPROVAL)
    b = _order(db, world, manager, status=POStatus.AWAITING_APPROVAL)
    with db.transaction() as s:
        assert orders.approve(s, manager, a).status == POStatus.SENT
        with pytest.raises(ValidationError, match="needs a reason"):
            orders.reject(s, manager, b, " ")
        assert orders.reject(s, manager, b, "too many").status == POStatus.REJECTED
    with db.sessions() as s:
        po = s.get(PurchaseOrder, b)
        assert po is not None and po.closed_at is not None and po.lines[0].status == POLineStatus.CANCELLED


def test_supplier_and_lead_may_not_approve(db: Database, world: World, manager: Actor, lead: Actor) -> None:
    po_id = _order(db, world, manager, status=POStatus.AWAITING_APPROVAL)
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    for actor in (acme, lead):
        with pytest.raises(PermissionDenied), db.transaction() as s:
            orders.approve(s, actor, po_id)


def test_acknowledge_changes_quantities_and_dates(db: Database, world: World, manager: Actor) -> None:
    po_id = _order(db, world, manager, lines=2)
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with db.transaction() as s:
        orders.acknowledge(s, acme, po_id, status="changed", lines={1: (D(10), date(2026, 12, 1)), 2: (D(0), None)})
    with db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.ACKNOWLEDGED and po.acknowledged_at is not None
        assert po.lines[0].quantity_acknowledged == D(10) and po.lines[0].expected_delivery == date(2026, 12, 1)
        assert po.lines[1].status == POLineStatus.CANCELLED
        assert po.expected_delivery == date(2026, 12, 1)


def test_other_vendor_cannot_acknowledge_or_ship_and_cannot_see_the_order(
    db: Database, world: World, manager: Actor
) -> None:
    po_id = _order(db, world, manager)
    bolt = Actor("vendor:BOLT", Role.SUPPLIER, vendor_id=world.vendors["BOLT"])
    with db.transaction() as s:
        with pytest.raises(ValidationError, match="unknown purchase order"):
            orders.acknowledge(s, bolt, po_id)
        with pytest.raises(ValidationError, match="unknown purchase order"):
            orders.record_shipment(s, bolt, po_id, shipment_id="X", lines={1: D(1)})
        assert orders.list_orders(s, bolt) == []
        assert [p.id for p in orders.list_orders(s, manager)] == [po_id]


def test_shipment_moves_to_partly_shipped_then_shipped_and_is_idempotent(
    db: Database, world: World, manager: Actor
) -> None:
    po_id = _order(db, world, manager)
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with db.transaction() as s:
        orders.record_shipment(s, acme, po_id, shipment_id="SH-1", lines={1: D(5)}, eta=date(2026, 12, 3))
        assert s.get(PurchaseOrder, po_id).status == POStatus.PARTLY_SHIPPED  # type: ignore[union-attr]
        orders.record_shipment(s, acme, po_id, shipment_id="SH-1", lines={1: D(5)})
        assert s.get(PurchaseOrder, po_id).lines[0].quantity_shipped == D(5)  # type: ignore[union-attr]
        orders.record_shipment(s, acme, po_id, shipment_id="SH-2", lines={1: D(7)})
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.SHIPPED and po.shipped_at is not None


def test_partial_then_full_receipt_posts_ledger_and_closes(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _order(db, world, manager, lines=2)
    with db.transaction() as s:
        r1 = orders.receive(s, lead, po_id, {1: D(5)})
    assert r1.receipt_number == "RC-000001"
    with db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.PARTLY_RECEIVED and po.received_at is None
        assert ledger.current_on_hand(s, world.skus["P-1"], world.locations["WH-1"]) == D(5)
        mv = s.scalar(select(StockMovement).where(StockMovement.receipt_id == r1.id))
        assert mv is not None and mv.purchase_order_line_id == po.lines[0].id
    with db.transaction() as s:
        orders.receive(s, lead, po_id, {1: D(7), 2: D(12)})
    with db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.RECEIVED and po.received_at and po.closed_at
        assert [(ln.quantity_received, ln.status) for ln in po.lines] == [
            (D(12), POLineStatus.CLOSED),
            (D(12), POLineStatus.CLOSED),
        ]
        assert s.scalar(select(func.count()).select_from(Receipt)) == 2


@pytest.mark.parametrize(
    ("quantities", "message"),
    [
        ({1: Decimal(13)}, "receiving 13 is more than the 12 still open"),
        ({1: Decimal(2), 9: Decimal(1)}, "has no line 9"),
        ({1: Decimal(0)}, "must not be zero"),
    ],
)
def test_bad_receipt_is_refused_and_nothing_written(
    db: Database, world: World, manager: Actor, lead: Actor, quantities: dict[int, Decimal], message: str
) -> None:
    po_id = _order(db, world, manager)
    with pytest.raises(ValidationError, match=message), db.transaction() as s:
        orders.receive(s, lead, po_id, quantities)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StockMovement)) == 0
        assert s.scalar(select(func.count()).select_from(Receipt)) == 0
        assert s.get(PurchaseOrder, po_id).lines[0].quantity_received == 0  # type: ignore[union-attr]


def test_receipt_against_acknowledged_lower_quantity_is_capped(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    po_id = _order(db, world, manager)
    with db.transaction() as s:
        orders.acknowledge(s, manager, po_id, status="changed", lines={1: (D(8), None)})
    with pytest.raises(ValidationError, match="more than the 8 still open"), db.transaction() as s:
        orders.receive(s, lead, po_id, {1: D(9)})
    with db.transaction() as s:
        orders.receive(s, lead, po_id, {1: D(8)})
        assert s.get(PurchaseOrder, po_id).status == POStatus.RECEIVED  # type: ignore[union-attr]


def test_receiving_a_draft_or_as_supplier_is_refused(db: Database, world: World, manager: Actor) -> None:
    po_id = _order(db, world, manager, status=POStatus.DRAFT)
    with pytest.raises(IllegalTransitionError, match="only be received against a sent order"), db.transaction() as s:
        orders.receive(s, manager, po_id, {1: D(1)})
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with pytest.raises(PermissionDenied), db.transaction() as s:
        orders.receive(s, acme, po_id, {1: D(1)})


def test_cancel_keeps_history_and_position_excludes_cancelled(db: Database, world: World, manager: Actor) -> None:
    po_id = _order(db, world, manager)
    pair = (world.skus["P-1"], world.locations["WH-1"])
    with db.transaction() as s:  # on hand is 0: the position is what is on order
        assert orders.open_quantity_by_pair(s, [pair[0]], [pair[1]]) == {pair: D(12)}
        orders.cancel(s, manager, po_id, "not needed")
    with db.sessions() as s:
        assert orders.open_quantity_by_pair(s, [pair[0]], [pair[1]]) == {}
        assert s.scalar(select(func.count()).select_from(POStatusChange)) == 2
