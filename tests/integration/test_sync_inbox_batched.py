"""A page of mixed supplier events is applied in runs (lookups read once, writes flushed together), and
still each event in feed order, once, rejected on its own: what a later event sees is what the earlier
ones of the same page did."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from tests.conftest import MANAGER
from tests.world import World, build_world
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database, UnitOfWork
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertStatus,
    AuditEntry,
    Counter,
    InboxEvent,
    InboxStatus,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    Shipment,
    SyncState,
    ThresholdProposal,
)
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor
from vmi_desktop.sync import applying
from vmi_desktop.sync.events import EventData, OrderAcknowledged, OrderCreated
from vmi_desktop.sync.inbox import PageResult, apply_page


@dataclass
class Rig:
    db: Database
    world: World
    acme: int
    po_a: str  # P-1 at WH-1, 6, sent
    po_b: str  # P-1 at VAN-7, 2, sent


@pytest.fixture
def rig(db: Database) -> Iterator[Rig]:
    with db.transaction() as s:
        world = build_world(s)
        acme = world.vendors["ACME"]
        s.add(SyncState(vendor_id=acme, last_error=""))
    numbers = []
    for location, quantity in (("WH-1", 6), ("VAN-7", 2)):
        with db.unit_of_work() as uow:
            po = order_commands.create(
                uow,
                MANAGER,
                vendor_id=acme,
                location_id=world.locations[location],
                lines=[NewLine(sku_id=world.skus["P-1"], quantity=Decimal(quantity))],
                send=True,
            )
            numbers.append(po.po_number)
    yield Rig(db, world, acme, numbers[0], numbers[1])


def _event(event_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": event_id, "type": kind, "occurred_at": "2026-11-24T08:30:00Z", "data": data}


def _created(event_id: str, so: str, quantity: int, *, sku: str = "P-2") -> dict[str, Any]:
    return _event(
        event_id,
        "order.created",
        {"supplier_order_id": so, "location_code": "WH-1", "lines": [{"line": 1, "sku": sku, "quantity": quantity}]},
    )


def _ack(event_id: str, ref: dict[str, str], quantity: int, status: str = "accepted") -> dict[str, Any]:
    return _event(
        event_id, "order.acknowledged", {**ref, "status": status, "lines": [{"line": 1, "quantity": quantity}]}
    )


def _ship(event_id: str, po: str, shipment: str, quantity: int) -> dict[str, Any]:
    return _event(
        event_id,
        "shipment.dispatched",
        {"shipment_id": shipment, "po_number": po, "lines": [{"line": 1, "sku": "P-1", "quantity": quantity}]},
    )


def _cancel(event_id: str, ref: dict[str, str]) -> dict[str, Any]:
    return _event(event_id, "order.cancelled", {**ref, "reason": "not needed"})


def _proposal(event_id: str, sku: str, mn: int, mx: int) -> dict[str, Any]:
    return _event(
        event_id, "thresholds.proposed", {"location_code": "WH-1", "sku": sku, "min": mn, "max": mx, "reason": "r"}
    )


def _page(r: Rig, events: list[dict[str, Any]], cursor: str) -> PageResult:
    with r.db.unit_of_work() as uow:
        return apply_page(uow, r.acme, events, cursor)


def _inbox(db: Database) -> dict[str, InboxEvent]:
    with db.transaction() as s:
        return {e.event_id: e for e in s.scalars(select(InboxEvent))}


def _orders(db: Database) -> dict[str, PurchaseOrder]:
    with db.transaction() as s:
        found = list(s.scalars(select(PurchaseOrder)))
        for po in found:
            _ = [(line.quantity_acknowledged, line.status) for line in po.lines]  # loaded while open
        return {po.supplier_order_id or po.po_number: po for po in found}


def test_a_mixed_page_applies_in_feed_order_and_rejects_each_bad_event_alone(rig: Rig) -> None:
    r = rig
    so1 = {"supplier_order_id": "SO-1"}
    page1 = [
        _created("e01", "SO-1", 3),  # P-2 at WH-1 (max 20): accepted, position 3
        _ack("e02", so1, 5, status="changed"),  # the order of e01, same page: its line now expects 5
        _ack("bad-unknown", {"po_number": "PO-999999"}, 1),  # unknown order
        _created("e03", "SO-2", 16),  # 5 (after e02) + 16 = 21 > 20: held; 3 + 16 would have been accepted
        _ack("e04", {"po_number": r.po_a}, 6),
        _created("bad-scope", "SO-X", 1, sku="P-3"),  # BOLT's pair: outside ACME's scope
        _ship("e05", r.po_a, "SH-1", 6),  # po_a shipped in full
        _ack("bad-shipped", {"po_number": r.po_a}, 6),  # acknowledged after its shipment (e05): illegal now
        _ship("e06", r.po_a, "SH-1", 6),  # the same ship notice again: taken once
        _proposal("e07", "P-2", 4, 18),
        _proposal("bad-proposal", "P-3", 1, 9),  # BOLT's pair
        _cancel("e08", so1),  # the order of e01, e02
        _created("e09", "SO-3", 4),  # 0 (SO-1 cancelled) + 16 (SO-2 held, on order) + 4 = 20: accepted
        _ack("e10", {"po_number": r.po_b}, 2),
        _ack("e04", {"po_number": r.po_a}, 6),  # a duplicate event id in the page: skipped
    ]
    first = _page(r, page1, "c1")
    assert (first.applied, first.rejected, first.skipped) == (10, 4, 1)

    page2 = [
        _created("e01", "SO-1", 3),  # applied on page 1: skipped
        _ship("bad-shipped", r.po_a, "SH-2", 1),  # a rejected event id comes again: skipped too
        _cancel("e11", {"po_number": r.po_b}),
        _created("e12", "SO-4", 1, sku="NOPE"),  # unknown SKU: rejected
        _ack("e13", {"supplier_order_id": "SO-3"}, 4),
    ]
    second = _page(r, page2, "c2")
    assert (second.applied, second.rejected, second.skipped) == (2, 1, 2)

    stored = _inbox(r.db)
    rejected = {"bad-unknown", "bad-scope", "bad-shipped", "bad-proposal", "e12"}
    assert {e for e, row in stored.items() if row.status is InboxStatus.REJECTED} == rejected
    assert len(stored) == 14 + 3  # every event id once
    for event_id in rejected:
        assert stored[event_id].reason and "internal error" not in stored[event_id].reason, stored[event_id].reason
    assert "unknown order" in stored["bad-unknown"].reason
    assert "shipped" in stored["bad-shipped"].reason

    orders = _orders(r.db)
    assert orders["SO-1"].status is POStatus.CANCELLED
    assert orders["SO-1"].lines[0].quantity_acknowledged == Decimal(5)
    assert orders["SO-2"].status is POStatus.AWAITING_APPROVAL
    assert orders["SO-3"].status is POStatus.ACKNOWLEDGED
    assert orders[r.po_a].status is POStatus.SHIPPED
    assert orders[r.po_b].status is POStatus.CANCELLED
    assert "SO-X" not in orders and "SO-4" not in orders

    with r.db.transaction() as s:
        history = [
            (h.from_status, h.to_status)
            for h in s.scalars(
                select(POStatusChange)
                .where(POStatusChange.purchase_order_id == orders["SO-1"].id)
                .order_by(POStatusChange.id)
            )
        ]
        assert history == [(None, POStatus.ACKNOWLEDGED), (POStatus.ACKNOWLEDGED, POStatus.CANCELLED)]
        assert [
            h.to_status
            for h in s.scalars(
                select(POStatusChange)
                .where(POStatusChange.purchase_order_id == orders[r.po_a].id)
                .order_by(POStatusChange.id)
            )
        ][-2:] == [POStatus.ACKNOWLEDGED, POStatus.SHIPPED]
        assert s.scalar(select(func.count()).select_from(Shipment)) == 1
        assert s.scalar(select(func.count()).select_from(ThresholdProposal)) == 1
        # Order numbers stay without gaps: the rejected and held orders took none they did not keep.
        numbers = sorted(int(po.po_number.split("-")[1]) for po in orders.values())
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        assert s.scalar(select(Counter.value).where(Counter.name == "purchase_order")) == numbers[-1]
        # Alerts as one event at a time raises them: one per rejected event, the held order's own.
        event_alerts = s.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.kind.in_([AlertKind.EVENT_REJECTED, AlertKind.SCOPE_VIOLATION]))
        )
        assert event_alerts == len(rejected)
        held = s.scalars(select(Alert).where(Alert.cause_key == f"held:{orders['SO-2'].id}")).all()
        assert [a.status for a in held] == [AlertStatus.OPEN]
        # Audit entries of what was applied, none of what was not.
        actions = [
            (a.action, a.entity_id)
            for a in s.scalars(select(AuditEntry).where(AuditEntry.actor.like("%ACME%")).order_by(AuditEntry.id))
        ]
        assert ("supplier_order.accept", orders["SO-1"].po_number) in actions
        assert ("supplier_order.hold", orders["SO-2"].po_number) in actions
        assert ("order.transition", orders["SO-1"].po_number) in actions
        assert sum(1 for action, _ in actions if action == "order.ship") == 1
        assert s.get_one(SyncState, r.acme).cursor == "c2"


def test_a_bug_in_one_event_rejects_that_event_only(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    real = applying.dispatch

    def buggy(uow: UnitOfWork, actor: Actor, data: EventData) -> Any:
        result = real(uow, actor, data)  # it wrote something before failing: none of it may stay
        if isinstance(data, OrderCreated) and data.supplier_order_id == "SO-BUG":
            raise KeyError("a bug")
        return result

    monkeypatch.setattr(applying, "dispatch", buggy)
    r = rig
    result = _page(
        r,
        [
            _created("before", "SO-1", 2),
            _created("bug", "SO-BUG", 2),
            _ack("after", {"supplier_order_id": "SO-1"}, 3),
            _ack("ack-bug", {"supplier_order_id": "SO-BUG"}, 3),  # the order the bug left out: unknown
            _created("later", "SO-2", 2),
        ],
        "c1",
    )
    assert (result.applied, result.rejected) == (3, 2)
    stored = _inbox(r.db)
    assert "internal error" in stored["bug"].reason and "KeyError" in stored["bug"].reason
    assert "unknown order" in stored["ack-bug"].reason
    orders = _orders(r.db)
    assert "SO-BUG" not in orders
    assert orders["SO-1"].lines[0].quantity_acknowledged == Decimal(3)
    assert orders["SO-2"].status is POStatus.ACKNOWLEDGED
    with r.db.transaction() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.detail.like("%SO-BUG%"))).all()
        numbers = sorted(int(po.po_number.split("-")[1]) for po in orders.values())
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_a_database_in_trouble_fails_the_whole_page(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    real = applying.dispatch

    def unreachable(uow: UnitOfWork, actor: Actor, data: EventData) -> Any:
        if isinstance(data, OrderAcknowledged):
            orig = sqlite3.OperationalError("disk I/O error")
            orig.sqlite_errorcode = sqlite3.SQLITE_IOERR
            raise sa_exc.OperationalError("UPDATE ...", {}, orig)
        return real(uow, actor, data)

    monkeypatch.setattr(applying, "dispatch", unreachable)
    r = rig
    with pytest.raises(sa_exc.OperationalError):
        _page(r, [_created("e1", "SO-1", 2), _ack("e2", {"supplier_order_id": "SO-1"}, 3)], "c1")
    assert _inbox(r.db) == {}
    assert "SO-1" not in _orders(r.db)
    with r.db.transaction() as s:
        assert s.get_one(SyncState, r.acme).cursor is None

    monkeypatch.setattr(applying, "dispatch", real)  # the page pulled again applies as if the first try never was
    result = _page(r, [_created("e1", "SO-1", 2), _ack("e2", {"supplier_order_id": "SO-1"}, 3)], "c1")
    assert (result.applied, result.rejected) == (2, 0)


def test_a_long_page_with_a_bad_event_every_few_keeps_every_good_one(rig: Rig) -> None:
    """Runs split at each failure and go on after it; the good events of a run before a failure are kept."""
    r = rig
    events: list[dict[str, Any]] = []
    for i in range(60):
        so = {"supplier_order_id": f"SO-{i}"}
        events += [_created(f"c{i}", f"SO-{i}", 1), _ack(f"a{i}", so, 1)]
        if i % 7 == 3:
            events.append(_ack(f"x{i}", {"po_number": f"PO-9{i:05d}"}, 1))  # unknown order
        events.append(_cancel(f"k{i}", so))
    result = _page(r, events, "c1")
    bad = sum(1 for i in range(60) if i % 7 == 3)
    assert (result.applied, result.rejected) == (180, bad)
    orders = _orders(r.db)
    assert all(orders[f"SO-{i}"].status is POStatus.CANCELLED for i in range(60))
    with r.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(POStatusChange)) == 2 * 2 + 60 * 2  # the two sent, SO-*


@pytest.mark.postgres
def test_a_refusal_at_the_flush_of_a_run_rejects_only_the_event_that_caused_it(pg_db: Database) -> None:
    """PostgreSQL refuses a value at the run's flush, not at the event: the run is applied again event by
    event, and only the one that wrote the value is rejected."""
    from sqlalchemy import text

    with pg_db.transaction() as s:
        world = build_world(s)
        acme = world.vendors["ACME"]
        s.add(SyncState(vendor_id=acme, last_error=""))
        s.execute(text("ALTER TABLE shipments ALTER COLUMN carrier TYPE varchar(3)"))  # a trap the models miss
    with pg_db.unit_of_work() as uow:
        po = order_commands.create(
            uow,
            MANAGER,
            vendor_id=acme,
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus["P-1"], quantity=Decimal(6))],
            send=True,
        ).po_number
    r = Rig(pg_db, world, acme, po, "")
    long_carrier = _ship("too-long", po, "SH-1", 6)
    long_carrier["data"]["carrier"] = "LONGCARRIER"
    events = [
        _created("c1", "SO-1", 2),
        _ack("a1", {"supplier_order_id": "SO-1"}, 3),
        long_carrier,
        _ack("a2", {"po_number": po}, 6),
        _ship("short", po, "SH-2", 6),
        _cancel("k1", {"supplier_order_id": "SO-1"}),
    ]
    result = _page(r, events, "c1")
    assert (result.applied, result.rejected) == (5, 1)
    stored = _inbox(pg_db)
    assert stored["too-long"].status is InboxStatus.REJECTED
    assert "out of range" in stored["too-long"].reason or "too long" in stored["too-long"].reason
    orders = _orders(pg_db)
    assert orders["SO-1"].status is POStatus.CANCELLED
    assert orders["SO-1"].lines[0].quantity_acknowledged == Decimal(3)
    assert orders[po].status is POStatus.SHIPPED
    with pg_db.transaction() as s:
        assert list(s.scalars(select(Shipment.external_id))) == ["SH-2"]


def test_a_page_of_supplier_orders_is_written_in_one_flush_not_one_per_order(rig: Rig) -> None:
    """Each supplier order reads its vendor: from the working set, so that no query flushes the orders before it."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    flushes: list[int] = []

    def counted(session: Session, context: Any) -> None:
        flushes.append(1)

    events = [_created(f"E-{i}", f"SO-F{i}", 3) for i in range(8)]  # P-2 at WH-1: max 20, nothing on hand
    event.listen(Session, "after_flush", counted)
    try:
        result = _page(rig, events, "c-flush")
    finally:
        event.remove(Session, "after_flush", counted)
    assert result == PageResult(8, 0, 0)
    orders = _orders(rig.db)
    # each order's position counts the ones before it in the page, not yet flushed: 6 x 3 = 18, then above 20
    statuses = [orders[f"SO-F{i}"].status for i in range(8)]
    assert statuses == [POStatus.ACKNOWLEDGED] * 6 + [POStatus.AWAITING_APPROVAL] * 2
    assert len(flushes) <= 4, flushes  # the cursor row, the run, the inbox rows: not one per order
