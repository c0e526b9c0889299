"""The stock ledger's rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.conftest import D
from tests.world import measure_in
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.models import AuditEntry, CycleCount, MovementKind, Role, StockLevel, StockMovement
from vmi_desktop.scope import Actor


def _on_hand(db: Database, sku_id: int, loc_id: int) -> Decimal:
    with db.sessions() as s:
        return ledger.current_on_hand(s, sku_id, loc_id)


def _movement_count(db: Database) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count(StockMovement.id))) or 0)


def test_receipt_then_consumption_moves_level_and_appends_rows(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        measure_in(s, world.skus["P-1"], "L")
        ledger.post_receipt(s, lead, "P-1", "WH-1", "12.5")
    with db.transaction() as s:
        p = ledger.post_consumption(s, lead, "P-1", "WH-1", 2)
    assert p.on_hand_after == D("10.5")
    assert _on_hand(db, world.skus["P-1"], world.locations["WH-1"]) == D("10.5")
    with db.sessions() as s:
        rows = s.execute(
            select(StockMovement.kind, StockMovement.quantity, StockMovement.on_hand_after).order_by(StockMovement.id)
        ).all()
    assert rows == [(MovementKind.RECEIPT, D("12.5"), D("12.5")), (MovementKind.CONSUMPTION, D(-2), D("10.5"))]


def test_consumption_below_zero_is_refused_and_nothing_written(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 3)
    before = _movement_count(db)
    with pytest.raises(ValidationError, match="would take on hand from 3 to -1"), db.transaction() as s:
        ledger.post_consumption(s, lead, "P-1", "WH-1", 4)
    assert _movement_count(db) == before
    assert _on_hand(db, world.skus["P-1"], world.locations["WH-1"]) == D(3)


def test_location_allowing_negative_stock_accepts_overdraw(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        from vmi_desktop.models import Location

        s.get_one(Location, world.locations["VAN-7"]).allow_negative_stock = True
    with db.transaction() as s:
        p = ledger.post_consumption(s, lead, "P-1", "VAN-7", 2)
    assert p.on_hand_after == D(-2)


@pytest.mark.parametrize("bad", ["0", 0, "abc", None, "1e400", "NaN", "1.0005", True, float("inf")])
def test_bad_quantities_are_refused_with_a_reason(db: Database, world, lead: Actor, bad: object) -> None:
    with pytest.raises(ValidationError) as info, db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", bad)
    assert "quantity" in str(info.value)
    assert _movement_count(db) == 0


def test_negative_receipt_is_refused(db: Database, world, lead: Actor) -> None:
    with pytest.raises(ValidationError, match="must not be negative"), db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", "-5")


@pytest.mark.parametrize(
    ("sku", "loc", "message"),
    [("NOPE", "WH-1", "unknown SKU 'NOPE'"), ("P-1", "NOWHERE", "unknown location 'NOWHERE'")],
)
def test_unknown_sku_or_location_is_refused(db: Database, world, lead: Actor, sku: str, loc: str, message: str) -> None:
    with pytest.raises(NotFoundError, match=message), db.transaction() as s:
        ledger.post_consumption(s, lead, sku, loc, 1)
    assert _movement_count(db) == 0


def test_adjustment_needs_a_reason(db: Database, world, lead: Actor) -> None:
    with pytest.raises(ValidationError, match="needs a reason"), db.transaction() as s:
        ledger.post_adjustment(s, lead, "P-1", "WH-1", 5, reason="  ")
    with db.transaction() as s:
        p = ledger.post_adjustment(s, lead, "P-1", "WH-1", 5, reason="found in returns bin")
    assert p.on_hand_after == D(5)


def test_transfer_writes_two_rows_with_one_reference(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 10)
        out, into = ledger.post_transfer(s, lead, "P-1", "WH-1", "VAN-7", 4)
    assert (out.on_hand_after, into.on_hand_after) == (D(6), D(4))
    with db.sessions() as s:
        refs = s.scalars(
            select(StockMovement.reference).where(
                StockMovement.kind.in_([MovementKind.TRANSFER_OUT, MovementKind.TRANSFER_IN])
            )
        ).all()
    assert len(refs) == 2 and refs[0] == refs[1]


def test_transfer_to_same_location_is_refused(db: Database, world, lead: Actor) -> None:
    with pytest.raises(ValidationError, match="two different locations"), db.transaction() as s:
        ledger.post_transfer(s, lead, "P-1", "WH-1", "WH-1", 1)


def test_cycle_count_posts_variance_and_keeps_both_quantities(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-2", "WH-1", 10)
    with db.transaction() as s:
        count, posting = ledger.post_cycle_count(s, lead, "P-2", "WH-1", 8)
    assert (count.system_qty, count.counted_qty, count.variance) == (D(10), D(8), D(-2))
    assert posting.quantity == D(-2) and posting.on_hand_after == D(8)
    with db.sessions() as s:
        stored = s.scalars(select(CycleCount)).one()
        assert stored.movement_id == posting.movement_id


def test_every_posting_writes_an_audit_entry_with_who(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 3)
        ledger.post_consumption(s, lead, "P-1", "WH-1", 1)
    with db.sessions() as s:
        entries = s.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id)).all()
    assert entries == [("lead", "stock.receipt"), ("lead", "stock.consumption")]


def test_supplier_may_not_post_ledger_entries(db: Database, world) -> None:
    supplier = Actor(name="acme-rep", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with pytest.raises(PermissionDenied), db.transaction() as s:
        ledger.post_receipt(s, supplier, "P-1", "WH-1", 3)


def test_ledger_rows_cannot_be_updated_or_deleted_even_in_sql(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 3)
    for statement in (
        "UPDATE stock_movements SET quantity = 99",
        "DELETE FROM stock_movements",
        "DELETE FROM audit_entries",
    ):
        with pytest.raises((IntegrityError, DBAPIError), match="append-only"), db.transaction() as s:
            s.execute(text(statement))
    assert _movement_count(db) == 1


def test_level_equals_sum_of_movements(db: Database, world, lead: Actor) -> None:
    with db.transaction() as s:
        measure_in(s, world.skus["P-3"], "KG")
        for qty in ("5", "2.25", "7"):
            ledger.post_receipt(s, lead, "P-3", "WH-1", qty)
        ledger.post_consumption(s, lead, "P-3", "WH-1", "3.125")
        ledger.post_cycle_count(s, lead, "P-3", "WH-1", "11")
    with db.sessions() as s:
        total = s.scalar(select(func.sum(StockMovement.quantity)).where(StockMovement.sku_id == world.skus["P-3"]))
        level = s.scalar(select(StockLevel.on_hand).where(StockLevel.sku_id == world.skus["P-3"]))
    assert total is not None and Decimal(total).quantize(D("0.001")) == level == D(11)


def test_concurrent_postings_from_two_workstations_lose_no_update(db: Database, world, lead: Actor) -> None:
    """Two threads (two connections) posting receipts at once: the level is the exact sum."""
    import threading

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                for attempt in range(50):
                    try:
                        with db.transaction() as s:
                            ledger.post_receipt(s, lead, "P-1", "WH-1", 1)
                        break
                    except Exception as exc:  # SQLite may say "database is locked": retry like a user would
                        if "locked" not in str(exc) or attempt == 49:
                            raise
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _on_hand(db, world.skus["P-1"], world.locations["WH-1"]) == D(40)
    with db.sessions() as s:
        afters = sorted(s.scalars(select(StockMovement.on_hand_after)).all())
    assert afters == [D(n) for n in range(1, 41)]
