"""What leaves for a supplier is checked when it leaves: scope at send time, the customer id of now."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tests.conftest import MANAGER
from tests.integration.hostile_supplier import TOKEN, HostileRig, hostile_rig
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.models import AuditEntry, OutboxMessage, OutboxStatus, SupplyAgreement, Vendor, utcnow
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.sync import outbox
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine, SyncReport


def _sync(h: HostileRig) -> SyncReport:
    return SyncEngine(h.db, timeout=5.0, wait_for_retries_s=0).sync_vendor(h.acme, VendorCredentials(token=TOKEN))


def _end_agreement(h: HostileRig, sku: str, location: str) -> None:
    with h.db.transaction() as s:
        s.get_one(SupplyAgreement, h.world.agreements[("ACME", sku, location)]).active = False


def _lines(h: HostileRig, path: str) -> list[tuple[str, str]]:
    return [(ln["location_code"], ln["sku"]) for r in h.supplier.posts(path) for ln in r.json()["lines"]]


def _no_new_full_report(h: HostileRig) -> None:
    with h.db.transaction() as s:
        outbox.sync_state(s, h.acme).last_full_report_at = utcnow()


def test_a_queued_stock_report_line_whose_agreement_ended_is_left_out_and_recorded(db: Database) -> None:
    with hostile_rig(db) as h:
        stock.receive(db, MANAGER, "P-2", "WH-1", "4")
        with db.transaction() as s:
            queued = outbox.enqueue_stock_report(s, h.acme, "full")
            assert queued == 1
            outbox.enqueue_usage(s, h.acme, utcnow().replace(year=2000))
        _no_new_full_report(h)
        _end_agreement(h, "P-2", "WH-1")  # while the supplier was unreachable

        report = _sync(h)

        assert report.error is None, report
        sent = _lines(h, "/v1/stock-reports")
        assert ("WH-1", "P-1") in sent and ("VAN-7", "P-1") in sent
        assert ("WH-1", "P-2") not in sent
        assert ("WH-1", "P-2") not in _lines(h, "/v1/usage")
        with db.transaction() as s:
            entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.scope_at_send")).all()
            assert entries, "the left-out line is recorded"
            detail = json.loads(entries[0].detail)
            assert detail["left_out"] == ["P-2 at WH-1"]
            # What the row keeps is what was sent.
            kept = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "stock_report")).one()
            assert ("WH-1", "P-2") not in [(ln["location_code"], ln["sku"]) for ln in json.loads(kept.payload)["lines"]]


def test_a_message_left_with_no_line_in_scope_is_discarded_not_sent(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        with sqlite_db.transaction() as s:
            outbox.enqueue_stock_report(s, h.acme, "full")
        _no_new_full_report(h)
        for sku, location in (("P-1", "WH-1"), ("P-2", "WH-1"), ("P-1", "VAN-7")):
            _end_agreement(h, sku, location)
        report = _sync(h)
        assert report.error is None and report.sent == 0, report
        assert h.supplier.posts("/v1/stock-reports") == []
        with sqlite_db.transaction() as s:
            msg = s.scalars(select(OutboxMessage)).one()
            assert msg.status is OutboxStatus.DISCARDED
            assert "scope" in msg.last_error
            assert s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.scope_at_send")).all()


def test_queued_bodies_carry_the_customer_id_of_when_they_are_sent(db: Database) -> None:
    with hostile_rig(db) as h:
        with db.unit_of_work() as uow:
            po = order_commands.create(
                uow,
                MANAGER,
                vendor_id=h.acme,
                location_id=h.world.locations["WH-1"],
                lines=[NewLine(sku_id=h.world.skus["P-1"], quantity=Decimal(6))],
                send=True,
            )
            po_id = po.id
        with db.transaction() as s:
            outbox.enqueue_stock_report(s, h.acme, "full")
        with db.unit_of_work() as uow:
            order_commands.cancel(uow, MANAGER, po_id, "not needed")
        with db.transaction() as s:
            s.get_one(Vendor, h.acme).customer_id = "C-NEW-7"  # the supplier renumbered its customers

        assert _sync(h).error is None

        posts = [r for r in h.supplier.requests if r.method == "POST"]
        kinds: dict[str, Any] = {r.path.split("/")[-1]: r for r in posts}
        assert {"stock-reports", "purchase-orders", "cancel"} <= set(kinds)
        for request in posts:
            assert request.headers["x-vmi-customer"] == "C-NEW-7"
            assert request.json()["customer_id"] == "C-NEW-7", request.path
