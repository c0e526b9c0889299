"""End to end over loopback: the VMI loop between the app and the reference supplier."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import MANAGER
from tests.integration.sync_support import rig
from vmi_desktop import commands
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Changes, Database, UnitOfWork
from vmi_desktop.models import (
    ExchangeFile,
    OutboxMessage,
    OutboxStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    Shipment,
    SyncState,
)
from vmi_desktop.replenishment import orders
from vmi_desktop.sync.outbox import list_messages, queue_summary


def test_first_sync_reports_full_stock_and_supplier_orders_come_back(db: Database) -> None:
    with rig(db) as r:
        report = r.sync()
        assert report.error is None, report
        stats = r.server.state
        # Full report with ACME's three pairs only (BOLT's P-3 never leaves the building).
        assert set(stats.positions) == {("WH-1", "P-1"), ("WH-1", "P-2"), ("VAN-7", "P-1")}
        assert stats.applied["stock-reports"] == 1
        # Everything was at zero, below min: the supplier raised an order per pair, pulled back in the same run.
        assert report.events_applied == 3 and report.events_rejected == 0
        with db.transaction() as s:
            pos = s.scalars(select(PurchaseOrder).where(PurchaseOrder.origin == POOrigin.SUPPLIER)).all()
            by_pair = {(p.location_id, p.lines[0].sku_id): p for p in pos}
            state = s.get(SyncState, r.acme)
            assert state is not None and state.cursor == "3" and state.last_success_at is not None
        w = r.world
        # P-2 at WH-1: 20 up to max, accepted. P-1 at WH-1: 50 rounds up to 54 > max 50, held.
        assert by_pair[(w.locations["WH-1"], w.skus["P-2"])].status == POStatus.ACKNOWLEDGED
        assert by_pair[(w.locations["WH-1"], w.skus["P-1"])].status == POStatus.AWAITING_APPROVAL
        assert by_pair[(w.locations["VAN-7"], w.skus["P-1"])].status == POStatus.ACKNOWLEDGED
        # A second run applies nothing twice.
        again = r.sync()
        assert again.events_applied == 0 and r.inbox_count() == 3


def test_stock_change_reaches_the_supplier_as_a_delta_report(sqlite_db: Database) -> None:
    with rig(sqlite_db, replenish=False) as r:
        assert r.sync().error is None
        stock.receive(sqlite_db, MANAGER, "P-2", "WH-1", "17")
        stock.receive(sqlite_db, MANAGER, "P-3", "WH-1", "5")  # BOLT's pair: not ACME's business
        report = r.sync()
        assert report.error is None and report.sent == 1
        deltas = [c for c in r.server.state.captured if c["kind"] == "stock-reports" and c["body"]["mode"] == "delta"]
        assert len(deltas) == 1
        lines = deltas[0]["body"]["lines"]
        assert [(ln["location_code"], ln["sku"], ln["on_hand"]) for ln in lines] == [("WH-1", "P-2", 17)]
        assert r.server.state.positions[("WH-1", "P-2")]["on_hand"] == 17
        # Nothing moved since: the next run sends no report.
        assert r.sync().sent == 0


def test_customer_po_is_sent_acknowledged_and_shipped(db: Database) -> None:
    with rig(db, replenish=False) as r:
        w = r.world

        def raise_and_send(uow: UnitOfWork) -> str:
            po = order_commands.create(
                uow,
                MANAGER,
                vendor_id=r.acme,
                location_id=w.locations["WH-1"],
                lines=[orders.NewLine(sku_id=w.skus["P-1"], quantity=Decimal(12))],
            )
            order_commands.mark_sent(uow, MANAGER, po.id)
            return po.po_number

        po_number = commands.run(db, raise_and_send)
        with db.transaction() as s:
            assert [m.kind for m in list_messages(s, r.acme)] == ["purchase_order"]
        report = r.sync()
        assert report.error is None, report
        assert r.server.state.orders[po_number]["lines"][1]["quantity"] == 12
        with db.transaction() as s:
            po = s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == po_number)).one()
            assert po.status == POStatus.SHIPPED
            assert po.lines[0].quantity_acknowledged == Decimal(12)
            assert po.lines[0].quantity_shipped == Decimal(12)
            assert s.scalar(select(Shipment.carrier).where(Shipment.purchase_order_id == po.id)) == "REF"
            assert queue_summary(s, r.acme)[OutboxStatus.SENT.value] >= 2  # the order and the full report
        # Receiving it queues a receipt; cancelling another sent order queues a cancel.
        with db.unit_of_work() as uow:
            po = uow.session.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == po_number)).one()
            order_commands.receive(uow, MANAGER, po.id, {1: Decimal(12)})
            other = order_commands.create(
                uow,
                MANAGER,
                vendor_id=r.acme,
                location_id=w.locations["WH-1"],
                lines=[orders.NewLine(sku_id=w.skus["P-2"], quantity=Decimal(3))],
                send=True,
            )
            order_commands.cancel(uow, MANAGER, other.id, "ordered by mistake")
            other_number = other.po_number
        assert r.sync().error is None
        state = r.server.state
        assert len(state.receipts) == 1
        receipt = next(iter(state.receipts.values()))
        assert receipt["lines"] == [{"po_number": po_number, "line": 1, "sku": "P-1", "quantity": 12}]
        with db.transaction() as s:  # a REST vendor's receipt went over REST: no file was written for it
            sent = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt")).one()
            assert (sent.status, sent.path) == (OutboxStatus.SENT, "/v1/receipts")
            assert s.scalar(select(func.count()).select_from(ExchangeFile)) == 0
        assert state.orders[other_number]["status"] == "cancelled"
        assert state.orders[other_number]["cancel_reason"] == "ordered by mistake"
        assert state.double_applied == 0


def test_observers_hear_of_committed_postings_only_with_the_pairs_touched(sqlite_db: Database) -> None:
    calls: list[Changes] = []
    sqlite_db.add_commit_observer(calls.append)
    with rig(sqlite_db, replenish=False) as r:
        w = r.world
        with sqlite_db.unit_of_work() as uow:
            stock.receive(uow, MANAGER, "P-1", "WH-1", "3")
            assert calls == []  # not before the commit
        assert calls[0].pairs == {(w.skus["P-1"], w.locations["WH-1"])}
        with pytest.raises(RuntimeError), sqlite_db.unit_of_work() as uow:
            stock.receive(uow, MANAGER, "P-3", "WH-1", "3")
            raise RuntimeError("rolled back")
        assert len(calls) == 1  # nothing for a rolled-back posting
        stock.transfer(sqlite_db, MANAGER, "P-1", "WH-1", "VAN-7", "2")
        assert calls[-1].pairs == {(w.skus["P-1"], w.locations["WH-1"]), (w.skus["P-1"], w.locations["VAN-7"])}


def test_bodies_over_64_kib_are_sent_gzip_encoded(sqlite_db: Database) -> None:
    import uuid

    with rig(sqlite_db, replenish=False) as r, r.engine.client_for(r.acme, r.creds) as client:
        lines = [
            {
                "location_code": "WH-1",
                "sku": "P-1",
                "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "consumed": i % 7 + 1,
            }
            for i in range(1000)
        ]
        small_id, big_id = str(uuid.uuid4()), str(uuid.uuid4())
        small = {"message_id": small_id, "customer_id": "C-42", "lines": lines[:10]}
        big = {"message_id": big_id, "customer_id": "C-42", "lines": lines}
        assert client.post_json("/v1/usage", small, small_id).accepted == 10
        assert client.post_json("/v1/usage", big, big_id).accepted == 1000
        encodings = [c["headers"].get("content-encoding") for c in r.server.state.captured if c["kind"] == "usage"]
        assert encodings == [None, "gzip"]
        assert all(
            c["headers"]["user-agent"].startswith("vmi-desktop/") and c["headers"]["x-vmi-customer"] == "C-42"
            for c in r.server.state.captured
        )
