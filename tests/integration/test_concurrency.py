"""Two workstations at once: the level always equals the sum of its movements, nothing deadlocks for the user.

Real parallel connections (threads, one session each) against a SQLite file and a PostgreSQL server,
doing different kinds of posting on the same pairs through the commands (which own the transaction
and retry what the database says may be retried).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import LEAD, MANAGER
from tests.world import World, build_world
from vmi_desktop import catalog_service, ledger
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.models import (
    CycleCount,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    StockLevel,
    StockMovement,
)


def _in_parallel(*jobs: Callable[[], None], timeout: float = 120) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def wrap(job: Callable[[], None]) -> None:
        try:
            start.wait(timeout=30)
            job()
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a posting hung"
    return errors


def _assert_levels_equal_ledger(db: Database) -> None:
    with db.sessions() as s:
        levels = {(lv.sku_id, lv.location_id): lv.on_hand for lv in s.scalars(select(StockLevel))}
        totals = {
            (sku, loc): total
            for sku, loc, total in s.execute(
                select(StockMovement.sku_id, StockMovement.location_id, func.sum(StockMovement.quantity)).group_by(
                    StockMovement.sku_id, StockMovement.location_id
                )
            )
        }
    assert totals == {k: v for k, v in levels.items() if k in totals}


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, MANAGER, "P-2", "WH-1", 1000)
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", 1000)
        ledger.post_receipt(s, MANAGER, "P-1", "VAN-7", 1000)
        return w


def test_a_cycle_count_racing_consumptions_keeps_the_level_on_its_ledger(db: Database, world: World) -> None:
    rng = random.Random(5)
    counted = [rng.randint(700, 900) for _ in range(15)]

    def counts() -> None:
        for qty in counted:
            stock.count(db, LEAD, "P-2", "WH-1", qty)

    def consumptions() -> None:
        for _ in range(45):
            stock.consume(db, LEAD, "P-2", "WH-1", 1, reference="WO-1")

    assert _in_parallel(counts, consumptions) == []
    _assert_levels_equal_ledger(db)
    with db.sessions() as s:
        for cc in s.scalars(select(CycleCount)):
            movement = s.get(StockMovement, cc.movement_id)
            assert movement is not None
            # the variance posted is counted - system as of the lock, and the count set the level
            assert movement.quantity == cc.counted_qty - cc.system_qty
            assert movement.on_hand_after == cc.counted_qty
        assert s.scalar(select(func.count()).select_from(CycleCount)) == len(counted)


def test_transfers_in_opposite_directions_neither_deadlock_nor_lose_a_unit(db: Database, world: World) -> None:
    def there() -> None:
        for _ in range(30):
            stock.transfer(db, LEAD, "P-1", "WH-1", "VAN-7", 1)

    def back() -> None:
        for _ in range(30):
            stock.transfer(db, LEAD, "P-1", "VAN-7", "WH-1", 2)

    assert _in_parallel(there, back) == []
    _assert_levels_equal_ledger(db)
    with db.sessions() as s:
        wh1 = ledger.current_on_hand(s, world.skus["P-1"], world.locations["WH-1"])
        van = ledger.current_on_hand(s, world.skus["P-1"], world.locations["VAN-7"])
    assert (wh1, van) == (Decimal(1030), Decimal(970))


def test_postings_extending_the_same_proposal_at_once_number_its_lines_without_collision(
    db: Database, world: World
) -> None:
    parts = [f"Q-{i:02d}" for i in range(12)]
    with db.transaction() as s:
        for part in parts:
            catalog_service.create_sku(s, MANAGER, part_number=part)
            catalog_service.create_agreement(
                s,
                MANAGER,
                vendor="BOLT",
                sku=part,
                location="WH-1",
                min_qty=5,
                max_qty=10,
                mode=ReplenishmentMode.PROPOSAL,
            )
            ledger.post_receipt(s, MANAGER, part, "WH-1", 6)

    def consume(subset: list[str]) -> Callable[[], None]:
        def job() -> None:
            for part in subset:
                stock.consume(db, LEAD, part, "WH-1", 1)  # 6 -> 5: at min, the proposal gets a line

        return job

    assert _in_parallel(consume(parts[0::2]), consume(parts[1::2])) == []
    with db.sessions() as s:
        proposals = list(
            s.scalars(
                select(PurchaseOrder).where(
                    PurchaseOrder.origin == POOrigin.PROPOSAL, PurchaseOrder.status == POStatus.AWAITING_APPROVAL
                )
            )
        )
        assert len(proposals) == 1  # one proposal per vendor x location, extended by both
        lines = list(s.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == proposals[0].id)))
    assert sorted(line.line_no for line in lines) == list(range(1, len(parts) + 1))
    assert len({line.sku_id for line in lines}) == len(parts)
