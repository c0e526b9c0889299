"""Outbound payloads: built through scope (a vendor never sees another's pairs), split at 1000 lines."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from tests.conftest import MANAGER
from tests.world import build_world, measure_in
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import (
    Location,
    OutboxMessage,
    POLineStatus,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    SupplyAgreement,
    utcnow,
)
from vmi_desktop.sync import outbox, payloads
from vmi_desktop.sync.outbox import Backoff


def test_a_vendors_stock_report_never_contains_another_vendors_pairs(db: Database) -> None:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, MANAGER, "P-3", "WH-1", "7")
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", "4")
        acme = [ln for body in payloads.stock_report_bodies(s, w.vendors["ACME"], "full") for ln in body["lines"]]
        bolt = [ln for body in payloads.stock_report_bodies(s, w.vendors["BOLT"], "full") for ln in body["lines"]]
    assert {(ln["location_code"], ln["sku"]) for ln in acme} == {("WH-1", "P-1"), ("WH-1", "P-2"), ("VAN-7", "P-1")}
    assert {(ln["location_code"], ln["sku"]) for ln in bolt} == {("WH-1", "P-3")}
    assert "P-3" not in json.dumps(acme)
    p1 = next(ln for ln in acme if ln["sku"] == "P-1" and ln["location_code"] == "WH-1")
    assert (p1["on_hand"], p1["min"], p1["max"], p1["supplier_sku"], p1["uom"]) == (4, 10, 50, "ACME-P-1", "EA")
    assert p1["as_of"].endswith("Z")


def test_delta_report_lists_only_the_named_pairs(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as s:
        w = build_world(s)
        pairs = {(w.skus["P-2"], w.locations["WH-1"]), (w.skus["P-3"], w.locations["WH-1"])}
        bodies = list(payloads.stock_report_bodies(s, w.vendors["ACME"], "delta", pairs=pairs))
    assert len(bodies) == 1 and bodies[0]["mode"] == "delta"
    assert [(ln["location_code"], ln["sku"]) for ln in bodies[0]["lines"]] == [("WH-1", "P-2")]


def test_on_order_counts_open_lines_acknowledged_quantity_minus_received(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as s:
        w = build_world(s)
        po = PurchaseOrder(
            po_number="PO-T1",
            vendor_id=w.vendors["ACME"],
            location_id=w.locations["WH-1"],
            status=POStatus.ACKNOWLEDGED,
            origin=POOrigin.MANUAL,
        )
        po.lines = [
            PurchaseOrderLine(
                line_no=1,
                sku_id=w.skus["P-2"],
                quantity_ordered=Decimal(10),
                quantity_acknowledged=Decimal(8),
                quantity_received=Decimal(3),
            ),
            PurchaseOrderLine(
                line_no=2, sku_id=w.skus["P-2"], quantity_ordered=Decimal(4), status=POLineStatus.CANCELLED
            ),
        ]
        s.add(po)
        s.flush()
        lines = {(ln["location_code"], ln["sku"]): ln for ln in payloads.stock_lines(s, w.vendors["ACME"])}
    assert lines[("WH-1", "P-2")]["on_order"] == 5
    assert lines[("WH-1", "P-1")]["on_order"] == 0


def test_long_reports_are_split_into_messages_of_at_most_1000_lines(db: Database) -> None:
    with db.transaction() as s:
        w = build_world(s)
        s.execute(
            insert(Sku),
            [
                {
                    "part_number": f"X-{i:05d}",
                    "description": "",
                    "uom": "EA",
                    "unit_cost": 0,
                    "criticality": "normal",
                    "active": True,
                    "version": 1,
                    "updated_at": utcnow(),
                }
                for i in range(2497)
            ],
        )
        ids = s.scalars(select(Sku.id).where(Sku.part_number.like("X-%")).order_by(Sku.id)).all()
        s.execute(
            insert(SupplyAgreement),
            [
                {
                    "vendor_id": w.vendors["ACME"],
                    "sku_id": sku_id,
                    "location_id": w.locations["WH-1"],
                    "min_qty": 1,
                    "max_qty": 5,
                    "pack_size": 1,
                    "moq": 0,
                    "unit_price": 0,
                    "is_primary": True,
                    "active": True,
                    "version": 1,
                    "updated_at": utcnow(),
                    "mode": "proposal",
                    "lead_time_days": 3,
                    "currency": "EUR",
                    "supplier_sku": "",
                    "critical_priority": False,
                }
                for sku_id in ids
            ],
        )
        count = outbox.enqueue_stock_report(s, w.vendors["ACME"], "full")
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert count == 3 == len(rows)
    bodies = [json.loads(r.payload) for r in rows]
    assert [len(b["lines"]) for b in bodies] == [1000, 1000, 500]
    assert len({b["message_id"] for b in bodies}) == 3
    assert all(r.message_id == b["message_id"] for r, b in zip(rows, bodies, strict=True))
    assert all(b["customer_id"] == "C-42" and b["mode"] == "full" for b in bodies)


def test_an_order_with_a_line_outside_the_vendors_agreements_is_not_sent(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as s:
        w = build_world(s)
        po = PurchaseOrder(
            po_number="PO-T2",
            vendor_id=w.vendors["ACME"],
            location_id=w.locations["WH-1"],
            status=POStatus.SENT,
            origin=POOrigin.MANUAL,
        )
        po.lines = [PurchaseOrderLine(line_no=1, sku_id=w.skus["P-3"], quantity_ordered=Decimal(1))]
        s.add(po)
        s.flush()
        with pytest.raises(PermissionDenied, match="P-3"):
            payloads.purchase_order_bodies(s, po)


def test_usage_is_one_row_per_day_with_consumption_of_the_vendors_pairs(db: Database) -> None:
    now = utcnow()
    with db.transaction() as s:
        w = build_world(s)
        measure_in(s, w.skus["P-2"], "M")
        ledger.post_receipt(s, MANAGER, "P-2", "WH-1", "20")
        ledger.post_receipt(s, MANAGER, "P-3", "WH-1", "20")
        ledger.post_consumption(s, MANAGER, "P-2", "WH-1", "1.5", occurred_at=now - timedelta(days=1))
        ledger.post_consumption(s, MANAGER, "P-2", "WH-1", "2", occurred_at=now - timedelta(days=1))
        ledger.post_consumption(s, MANAGER, "P-2", "WH-1", "4", occurred_at=now)
        ledger.post_consumption(s, MANAGER, "P-3", "WH-1", "4", occurred_at=now)
        bodies = list(payloads.usage_bodies(s, w.vendors["ACME"], now - timedelta(days=3)))
        loc = s.scalar(select(Location.code).where(Location.id == w.locations["WH-1"]))
    lines = bodies[0]["lines"]
    assert lines == [
        {
            "location_code": loc,
            "sku": "P-2",
            "date": (now - timedelta(days=1)).date().isoformat(),
            "consumed": Decimal("3.5"),
        },
        {"location_code": loc, "sku": "P-2", "date": now.date().isoformat(), "consumed": 4},
    ]


def test_usage_leaves_out_a_pair_whose_agreement_is_inactive_and_another_vendors_pairs(db: Database) -> None:
    now = utcnow()
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", "20")
        ledger.post_receipt(s, MANAGER, "P-2", "WH-1", "20")
        ledger.post_receipt(s, MANAGER, "P-1", "VAN-7", "20")
        for part, location in (("P-1", "WH-1"), ("P-2", "WH-1"), ("P-1", "VAN-7")):
            ledger.post_consumption(s, MANAGER, part, location, "2", occurred_at=now)
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.sku_id == w.skus["P-2"], SupplyAgreement.location_id == w.locations["WH-1"])
            .values(active=False)
        )
        acme = [ln for b in payloads.usage_bodies(s, w.vendors["ACME"], now - timedelta(days=1)) for ln in b["lines"]]
        bolt = list(payloads.usage_bodies(s, w.vendors["BOLT"], now - timedelta(days=1)))
    assert sorted((ln["sku"], ln["location_code"]) for ln in acme) == [("P-1", "VAN-7"), ("P-1", "WH-1")]
    assert bolt == []  # BOLT's only pair (P-3) had no consumption


def test_quantities_are_json_numbers_with_at_most_three_decimals() -> None:
    assert payloads.qty(Decimal("3.000")) == 3 and isinstance(payloads.qty(Decimal("3.000")), int)
    assert payloads.qty(Decimal("2.125")) == 2.125
    assert payloads.rfc3339(utcnow()).endswith("Z")


def test_backoff_grows_with_full_jitter_and_honours_retry_after() -> None:
    b = Backoff(initial_s=1, max_s=60)
    for attempts in range(1, 10):
        cap = min(60, 1 * 2 ** (attempts - 1))
        assert all(0 <= b.delay(attempts) <= cap for _ in range(50))
    assert min(b.delay(1, retry_after=12) for _ in range(20)) >= 12
    assert len({round(b.delay(6), 6) for _ in range(20)}) > 1  # jittered
