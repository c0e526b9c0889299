"""Reversing a posting by a counter-posting: the ledger stays append-only, nothing is reversed twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied, ValidationError
from vmi_desktop.models import AuditEntry, MovementKind, POOrigin, Role, StockMovement, utcnow
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        w = build_world(s)
    return w


def _on_hand(db: Database, world: World, sku: str, loc: str) -> Decimal:
    with db.sessions() as s:
        return ledger.current_on_hand(s, world.skus[sku], world.locations[loc])


def _movements(db: Database) -> list[tuple[MovementKind, Decimal, int | None]]:
    with db.sessions() as s:
        return [
            (m.kind, m.quantity, m.reverses_movement_id)
            for m in s.scalars(select(StockMovement).order_by(StockMovement.id))
        ]


def test_reversing_a_consumption_posts_the_opposite_quantity_naming_the_original(
    db: Database, world: World, lead: Actor
) -> None:
    stock.receive(db, lead, "P-1", "WH-1", 20)
    used = stock.consume(db, lead, "P-1", "WH-1", 5, reference="WO-17")
    result = stock.reverse(db, lead, used.posting.movement_id, reason="wrong part scanned")
    assert result.posting.on_hand_after == D(20)
    assert result.posting.quantity == D(5)
    assert _on_hand(db, world, "P-1", "WH-1") == D(20)
    assert _movements(db)[-1] == (MovementKind.CONSUMPTION, D(5), used.posting.movement_id)
    with db.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "stock.reverse")).one()
        assert f'"reverses": {used.posting.movement_id}' in entry.detail
        assert "wrong part scanned" in entry.detail


def test_a_movement_cannot_be_reversed_twice_and_nothing_is_written(db: Database, world: World, lead: Actor) -> None:
    stock.receive(db, lead, "P-1", "WH-1", 20)
    used = stock.consume(db, lead, "P-1", "WH-1", 5)
    stock.reverse(db, lead, used.posting.movement_id, reason="typo")
    before = _movements(db)
    with pytest.raises(ValidationError, match="was already reversed by movement #"):
        stock.reverse(db, lead, used.posting.movement_id, reason="typo again")
    assert _movements(db) == before
    assert _on_hand(db, world, "P-1", "WH-1") == D(20)


def test_the_database_itself_refuses_a_second_reversal(db: Database, world: World, lead: Actor) -> None:
    """Two workstations reversing at once: the unique index stops the one that commits second."""
    stock.receive(db, lead, "P-1", "WH-1", 20)
    used = stock.consume(db, lead, "P-1", "WH-1", 5)
    stock.reverse(db, lead, used.posting.movement_id, reason="typo")
    row = {
        "sku_id": world.skus["P-1"],
        "location_id": world.locations["WH-1"],
        "kind": MovementKind.CONSUMPTION,
        "quantity": D(5),
        "on_hand_after": D(25),
        "occurred_at": utcnow(),
        "recorded_at": utcnow(),
        "recorded_by": "other",
        "reference": "",
        "note": "",
        "reverses_movement_id": used.posting.movement_id,
    }
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(StockMovement).values(**row))


def test_reversing_a_transfer_moves_the_stock_back_on_both_sides(db: Database, world: World, lead: Actor) -> None:
    stock.receive(db, lead, "P-1", "WH-1", 10)
    moved = stock.transfer(db, lead, "P-1", "WH-1", "VAN-7", 4)
    result = stock.reverse(db, lead, moved.postings[1].movement_id, reason="van did not leave")  # the "in" side
    assert _on_hand(db, world, "P-1", "WH-1") == D(10)
    assert _on_hand(db, world, "P-1", "VAN-7") == D(0)
    reversed_ids = {p.movement_id for p in moved.postings}
    assert {m[2] for m in _movements(db)[-2:]} == reversed_ids
    assert len(result.postings) == 2
    with pytest.raises(ValidationError, match="already reversed"):
        stock.reverse(db, lead, moved.postings[0].movement_id, reason="again from the other side")


def test_a_reversal_that_would_take_stock_negative_is_refused(db: Database, world: World, lead: Actor) -> None:
    received = stock.receive(db, lead, "P-1", "VAN-7", 3)  # VAN-7 does not allow negative stock
    stock.consume(db, lead, "P-1", "VAN-7", 2)
    before = _movements(db)
    with pytest.raises(ValidationError, match="does not allow negative stock"):
        stock.reverse(db, lead, received.posting.movement_id, reason="delivery note was wrong")
    assert _movements(db) == before


def test_reversals_refused_for_reversals_order_receipts_and_matching_counts(
    db: Database, world: World, lead: Actor, manager: Actor
) -> None:
    stock.receive(db, lead, "P-2", "WH-1", 10)
    used = stock.consume(db, lead, "P-2", "WH-1", 1)
    back = stock.reverse(db, lead, used.posting.movement_id, reason="typo")
    with pytest.raises(ValidationError, match="is itself the reversal of movement"):
        stock.reverse(db, lead, back.posting.movement_id, reason="undo the undo")
    matched = stock.count(db, lead, "P-2", "WH-1", 10)
    with pytest.raises(ValidationError, match="the count matched"):
        stock.reverse(db, lead, matched.posting.movement_id, reason="x")
    po = order_commands.create(
        db,
        manager,
        vendor_id=world.vendors["ACME"],
        location_id=world.locations["WH-1"],
        lines=[NewLine(sku_id=world.skus["P-2"], quantity=D(5))],
        origin=POOrigin.MANUAL,
        send=True,
    )
    order_commands.receive(db, lead, po.id, {1: D(5)})
    with db.sessions() as s:
        receipt_id = s.scalar(select(func.max(StockMovement.id)))
    assert receipt_id is not None
    with pytest.raises(ValidationError, match="receipt against an order"):
        stock.reverse(db, lead, receipt_id, reason="x")
    with pytest.raises(ValidationError, match="needs a reason"):
        stock.reverse(db, lead, used.posting.movement_id, reason="  ")


def test_a_supplier_may_not_reverse(db: Database, world: World, lead: Actor) -> None:
    used = stock.receive(db, lead, "P-1", "WH-1", 3)
    supplier = Actor(name="acme", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with pytest.raises(PermissionDenied):
        stock.reverse(db, supplier, used.posting.movement_id, reason="x")


def test_reversing_a_count_restores_the_level_before_it(db: Database, world: World, lead: Actor) -> None:
    stock.receive(db, lead, "P-3", "WH-1", 12)
    counted = stock.count(db, lead, "P-3", "WH-1", 9)
    assert counted.count is not None and counted.count.variance == D(-3)
    stock.reverse(db, lead, counted.posting.movement_id, reason="counted the wrong bin")
    assert _on_hand(db, world, "P-3", "WH-1") == D(12)
    assert _movements(db)[-1] == (MovementKind.COUNT, D(3), counted.posting.movement_id)
