"""Supplier-raised orders: accepted within bounds, held above max, rejected out of scope, idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertStatus,
    AuditEntry,
    POStatus,
    PurchaseOrder,
    Role,
)
from vmi_desktop.replenishment import orders, reorder
from vmi_desktop.replenishment.supplier_orders import SupplierLine, accept_supplier_order
from vmi_desktop.scope import Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        return build_world(s)


def acme(world: World) -> Actor:
    return Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])


def _alerts(db: Database, kind: AlertKind) -> list[Alert]:
    with db.sessions() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == kind)))


def test_order_within_max_is_accepted_without_approval(db: Database, world: World) -> None:
    with db.transaction() as s:
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-1",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-2", quantity=D(15), expected_delivery=date(2026, 12, 2))],
        )
        assert out.status == "accepted" and out.reason == "" and out.order is not None
        po_id = out.order.id
    with db.sessions() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status == POStatus.ACKNOWLEDGED and po.supplier_order_id == "SO-1"
        assert po.lines[0].quantity_acknowledged == D(15) and po.expected_delivery == date(2026, 12, 2)
        assert po.created_by == "vendor:ACME"


def test_order_lifting_position_above_max_after_pack_rounding_is_held(db: Database, world: World, lead: Actor) -> None:
    # P-1 at WH-1: max 50, pack 6. On hand 40; ordering 7 rounds to 12 -> 52 > 50.
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 40)
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-2",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-1", quantity=D(7))],
        )
    assert out.status == "held" and "position after order 52 above max 50" in out.reason
    held = _alerts(db, AlertKind.ORDER_HELD)
    assert len(held) == 1 and held[0].purchase_order_id == out.order.id  # type: ignore[union-attr]
    with db.sessions() as s:
        po = s.get(PurchaseOrder, out.order.id)  # type: ignore[union-attr]
        assert po is not None and po.status == POStatus.AWAITING_APPROVAL and po.hold_reason


def test_order_exactly_reaching_max_is_accepted(db: Database, world: World, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 38)
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-3",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-1", quantity=D(7))],
        )  # 38 + 12 = 50
    assert out.status == "accepted"


def test_approving_a_held_order_accepts_it_and_resolves_the_alert(
    db: Database, world: World, lead: Actor, manager: Actor
) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 45)
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-4",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-1", quantity=D(12))],
        )
    assert out.order is not None
    with pytest.raises(PermissionDenied), db.transaction() as s:
        orders.approve(s, acme(world), out.order.id)
    with db.transaction() as s:
        po = orders.approve(s, manager, out.order.id)
        assert po.status == POStatus.ACKNOWLEDGED and po.hold_reason == ""
    (alert,) = _alerts(db, AlertKind.ORDER_HELD)
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_by == "pm"


def test_rejecting_a_held_order_resolves_the_alert(db: Database, world: World, lead: Actor, manager: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 45)
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-5",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-1", quantity=D(12))],
        )
        orders.reject(s, manager, out.order.id, "we have enough")  # type: ignore[union-attr]
    (alert,) = _alerts(db, AlertKind.ORDER_HELD)
    assert alert.status == AlertStatus.RESOLVED


@pytest.mark.parametrize(
    ("location", "sku", "reason"),
    [
        ("WH-1", "P-3", "P-3 at WH-1 not covered by an agreement of ACME"),  # BOLT's pair
        ("VAN-7", "P-2", "P-2 at VAN-7 not covered by an agreement of ACME"),  # ACME has P-2 only at WH-1
        ("WH-1", "NOPE", "NOPE at WH-1 not covered"),  # unknown SKU
        ("MOON", "P-1", "unknown location 'MOON'"),  # unknown location
    ],
)
def test_out_of_scope_order_is_rejected_logged_and_alerted(
    db: Database, world: World, location: str, sku: str, reason: str
) -> None:
    with db.transaction() as s:
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-X",
            location_code=location,
            lines=[SupplierLine(line=1, sku=sku, quantity=D(1))],
        )
    assert out.status == "rejected" and out.order is None and reason in out.reason
    (alert,) = _alerts(db, AlertKind.SCOPE_VIOLATION)
    assert alert.vendor_id == world.vendors["ACME"] and reason in alert.message
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PurchaseOrder)) == 0
        assert (
            s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "supplier_order.reject"))
            == 1
        )


def test_same_supplier_order_twice_is_stored_once(db: Database, world: World) -> None:
    lines = [SupplierLine(line=1, sku="P-2", quantity=D(5))]
    with db.transaction() as s:
        first = accept_supplier_order(s, acme(world), supplier_order_id="SO-9", location_code="WH-1", lines=lines)
    with db.transaction() as s:
        again = accept_supplier_order(s, acme(world), supplier_order_id="SO-9", location_code="WH-1", lines=lines)
    assert again.status == first.status == "accepted" and again.order.id == first.order.id  # type: ignore[union-attr]
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PurchaseOrder)) == 1


def test_staff_may_not_pose_as_supplier(db: Database, world: World, manager: Actor) -> None:
    with pytest.raises(PermissionDenied), db.transaction() as s:
        accept_supplier_order(
            s,
            manager,
            supplier_order_id="SO-1",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-2", quantity=D(1))],
        )


def test_supplier_order_answers_below_min_alert_and_links_it(db: Database, world: World) -> None:
    with db.transaction() as s:
        reorder.evaluate(s, pairs=[(world.skus["P-2"], world.locations["WH-1"])])
    (alert,) = _alerts(db, AlertKind.BELOW_MIN)
    assert alert.status == AlertStatus.OPEN
    with db.transaction() as s:
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-7",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-2", quantity=D(20))],
        )
    (alert,) = _alerts(db, AlertKind.BELOW_MIN)
    assert alert.status == AlertStatus.RESOLVED and alert.purchase_order_id == out.order.id  # type: ignore[union-attr]
    with db.transaction() as s:  # the position now includes the supplier's order
        assert reorder.evaluate(s, pairs=[(world.skus["P-2"], world.locations["WH-1"])]).needs == []


def test_held_order_also_answers_the_below_min_alert(db: Database, world: World, lead: Actor) -> None:
    with db.transaction() as s:
        reorder.evaluate(s, pairs=[(world.skus["P-2"], world.locations["WH-1"])])
        out = accept_supplier_order(
            s,
            acme(world),
            supplier_order_id="SO-8",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-2", quantity=D(25))],
        )  # 25 > max 20
    assert out.status == "held"
    (alert,) = _alerts(db, AlertKind.BELOW_MIN)
    assert alert.status == AlertStatus.RESOLVED and alert.purchase_order_id == out.order.id  # type: ignore[union-attr]


@pytest.mark.postgres
def test_two_supplier_orders_at_once_cannot_both_fill_to_max(pg_db: Database) -> None:
    import threading

    with pg_db.transaction() as s:
        w = build_world(s)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def send(order_id: str) -> None:
        try:
            with pg_db.transaction() as s:
                barrier.wait(timeout=10)
                # P-2 at WH-1: max 20, nothing on hand: either order alone fits, both together do not.
                out = accept_supplier_order(
                    s,
                    acme(w),
                    supplier_order_id=order_id,
                    location_code="WH-1",
                    lines=[SupplierLine(line=1, sku="P-2", quantity=D(15))],
                )
                outcomes.append(out.status)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"SO-{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert errors == [] and sorted(outcomes) == ["accepted", "held"]


@pytest.mark.postgres
def test_order_numbers_are_unique_across_concurrent_sessions(pg_db: Database) -> None:
    import threading

    numbers: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(20):
            with pg_db.transaction() as s:
                n = orders.next_number(s, "purchase_order", "PO-")
            with lock:
                numbers.append(n)

    threads = [threading.Thread(target=take) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(numbers) == 60 and len(set(numbers)) == 60
    assert sorted(numbers)[-1] == "PO-000060"
