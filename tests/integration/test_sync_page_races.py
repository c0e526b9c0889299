"""A supplier's event page and a workstation's posting on the same pair at once (PostgreSQL).

The page's lookups are read once up front (``sync.applying.prime``); a supplier order is then checked
against its agreement's max under the pair's reorder lock. A posting another workstation commits
between the page's first read and that lock must still count: the check is made on what the
database holds once the lock is held, not on what the page read before it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import LEAD, MANAGER
from tests.integration.hostile_supplier import wait_until
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.models import POOrigin, POStatus, PurchaseOrder, SyncState
from vmi_desktop.replenishment._sql import lock_reorder
from vmi_desktop.replenishment.orders import NewLine, create_order, get_order
from vmi_desktop.sync.inbox import PageResult, apply_page

pytestmark = pytest.mark.postgres


@dataclass
class Rig:
    db: Database
    world: World
    acme: int
    pair: tuple[int, int]  # P-2 at WH-1: ACME, supplier managed, min 5, max 20, pack 1


@pytest.fixture
def rig(pg_db: Database) -> Iterator[Rig]:
    with pg_db.transaction() as s:
        world = build_world(s)
        acme = world.vendors["ACME"]
        s.add(SyncState(vendor_id=acme, last_error=""))
        ledger.post_receipt(s, MANAGER, "P-2", "WH-1", 2)
    yield Rig(pg_db, world, acme, (world.skus["P-2"], world.locations["WH-1"]))


def _created(event_id: str, so: str, quantity: int, sku: str = "P-2") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": "order.created",
        "occurred_at": "2026-11-24T08:30:00Z",
        "data": {
            "supplier_order_id": so,
            "location_code": "WH-1",
            "lines": [{"line": 1, "sku": sku, "quantity": quantity}],
        },
    }


def _waiting(db: Database, locktype: str = "") -> bool:
    """Whether some connection waits for a lock (of ``locktype`` when given: 'advisory')."""
    kind = "AND locktype = :kind" if locktype else ""
    with db.sessions() as s:
        return bool(s.scalar(text(f"SELECT count(*) FROM pg_locks WHERE NOT granted {kind}"), {"kind": locktype}))


def _page_in_a_thread(r: Rig, events: list[dict[str, Any]]) -> Callable[[], PageResult]:
    """Start applying ``events`` as one page; the returned call waits for it and gives its result."""
    done: list[PageResult | BaseException] = []

    def run() -> None:
        try:
            with r.db.unit_of_work() as uow:
                done.append(apply_page(uow, r.acme, events, "c1"))
        except BaseException as exc:  # surfaced by the test
            done.append(exc)

    thread = threading.Thread(target=run)
    thread.start()

    def finished() -> PageResult:
        thread.join(30)
        assert not thread.is_alive(), "the page hung"
        assert isinstance(done[0], PageResult), done[0]
        return done[0]

    return finished


def _order_now(session: Session, r: Rig, quantity: int) -> None:
    """The parts manager's "order now" of ``quantity`` for the rig's pair, sent."""
    create_order(
        session,
        MANAGER,
        vendor_id=r.acme,
        location_id=r.pair[1],
        lines=[NewLine(sku_id=r.pair[0], quantity=Decimal(quantity))],
        origin=POOrigin.MANUAL,
        status=POStatus.SENT,
    )


def _order(db: Database, so: str) -> PurchaseOrder:
    with db.transaction() as s:
        po = s.scalars(select(PurchaseOrder).where(PurchaseOrder.supplier_order_id == so)).one()
        s.expunge(po)
        return po


def test_a_receipt_committed_while_the_page_waits_for_the_pair_counts_against_max(rig: Rig) -> None:
    r = rig
    # Another workstation holds the pair's reorder lock (as its posting's reorder does) ...
    with r.db.transaction() as other:
        lock_reorder(other, [r.pair])
        # ... while the page reads its lookups and then waits for that lock before checking max.
        finished = _page_in_a_thread(r, [_created("e1", "SO-1", 15)])  # 2 + 15 = 17 <= 20 as read
        assert wait_until(lambda: _waiting(r.db, "advisory"), 20), "the page never waited for the pair's lock"
        ledger.post_receipt(other, LEAD, "P-2", "WH-1", 10)  # 12 on hand once committed: 12 + 15 = 27 > 20
    assert finished().applied == 1
    po = _order(r.db, "SO-1")
    assert po.status is POStatus.AWAITING_APPROVAL, "accepted on the position read before the receipt"
    assert "27" in (po.hold_reason or ""), po.hold_reason


def test_an_order_raised_while_the_page_waits_for_the_pair_counts_as_on_order(rig: Rig) -> None:
    r = rig
    with r.db.transaction() as other:
        lock_reorder(other, [r.pair])
        finished = _page_in_a_thread(r, [_created("e1", "SO-1", 15)])
        assert wait_until(lambda: _waiting(r.db, "advisory"), 20), "the page never waited for the pair's lock"
        _order_now(other, r, 8)  # commits meanwhile: 2 + 8 on order + 15 = 25 > 20
    finished()
    po = _order(r.db, "SO-1")
    assert po.status is POStatus.AWAITING_APPROVAL, "accepted without the order raised meanwhile"


def test_a_page_of_several_orders_and_an_order_now_on_one_pair_neither_deadlock_nor_overfill(rig: Rig) -> None:
    r = rig
    events = [_created("e1", "SO-1", 15), _created("e2", "SO-2", 6, sku="P-1")]
    with r.db.transaction() as other:
        lock_reorder(other, [r.pair])
        finished = _page_in_a_thread(r, events)  # two orders: the page reserves two order numbers
        assert wait_until(lambda: _waiting(r.db, "advisory"), 20), "the page never waited for the pair's lock"
        _order_now(other, r, 8)  # takes an order number while the page waits: the page must not hold the counter
    result = finished()
    assert (result.applied, result.rejected) == (2, 0)
    assert _order(r.db, "SO-1").status is POStatus.AWAITING_APPROVAL  # 2 + 8 + 15 = 25 > 20
    assert _order(r.db, "SO-2").status is POStatus.ACKNOWLEDGED  # P-1: 0 + 6 <= 50


def test_a_receipt_on_an_order_the_page_acknowledges_and_a_new_order_on_its_pair_do_not_deadlock(rig: Rig) -> None:
    r = rig
    p1 = (r.world.skus["P-1"], r.pair[1])  # ACME's P-1 at WH-1: min 10, max 50, pack 6
    with r.db.unit_of_work() as uow:
        sent = order_commands.create(
            uow,
            MANAGER,
            vendor_id=r.acme,
            location_id=p1[1],
            lines=[NewLine(sku_id=p1[0], quantity=Decimal(6))],
            send=True,
        )
        po_id, po_number = sent.id, sent.po_number
    events = [
        _created("e1", "SO-1", 6, sku="P-1"),
        {
            "event_id": "e2",
            "type": "order.acknowledged",
            "occurred_at": "2026-11-24T08:31:00Z",
            "data": {"po_number": po_number, "status": "accepted", "lines": [{"line": 1, "quantity": 6}]},
        },
    ]
    # The warehouse lead's receipt on that order: it locks the order first, then its pair's reorder lock ...
    with r.db.transaction() as other:
        get_order(other, LEAD, po_id, for_update=True)
        finished = _page_in_a_thread(r, events)
        assert wait_until(lambda: _waiting(r.db), 20), "the page never waited for the order"
        lock_reorder(other, [p1])  # ... which the page must not be holding while it waits for the order
    result = finished()
    assert (result.applied, result.rejected) == (2, 0)
