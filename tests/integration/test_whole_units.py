"""Whole units (EA) refuse fractions at every entry point, and nothing is written when they do."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import LEAD, MANAGER
from tests.world import World, build_world, measure_in
from vmi_desktop import catalog_service, ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import AuditEntry, InboxEvent, InboxStatus, PurchaseOrder, StockMovement, utcnow
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import vendor_actor
from vmi_desktop.sync.inbox import apply_page

FRACTION = "has a fraction, but EA is counted in whole units"


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", 10)
        return w


def _rows(db: Database, model: type) -> int:
    with db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    "post",
    [
        lambda db: stock.consume(db, LEAD, "P-1", "WH-1", "1.5"),
        lambda db: stock.receive(db, LEAD, "P-1", "WH-1", "1.5"),
        lambda db: stock.adjust(db, LEAD, "P-1", "WH-1", "-0.5", reason="broken"),
        lambda db: stock.transfer(db, LEAD, "P-1", "WH-1", "VAN-7", "2.5"),
        lambda db: stock.count(db, LEAD, "P-1", "WH-1", "9.999"),
    ],
    ids=["consume", "receive", "adjust", "transfer", "count"],
)
def test_ledger_postings_of_a_fraction_of_a_whole_unit_are_refused(db: Database, world: World, post: object) -> None:
    before = _rows(db, StockMovement)
    with pytest.raises(ValidationError, match=FRACTION):
        post(db)  # type: ignore[operator]
    assert _rows(db, StockMovement) == before


def test_thresholds_pack_and_moq_of_a_whole_unit_take_no_fraction(db: Database, world: World) -> None:
    agreement = world.agreements[("ACME", "P-1", "WH-1")]
    for field, value in (("min_qty", "6.6"), ("max_qty", "50.5"), ("pack_size", "0.5"), ("moq", "2.25")):
        with pytest.raises(ValidationError, match="counted in whole units"), db.transaction() as s:
            catalog_service.update_agreement(s, MANAGER, agreement, None, **{field: value})
    with pytest.raises(ValidationError, match="counted in whole units"), db.transaction() as s:
        catalog_service.create_agreement(
            s, MANAGER, vendor="BOLT", sku="P-1", location="VAN-7", min_qty="1.5", max_qty="4", is_primary=False
        )


def test_a_measured_unit_takes_three_decimals_where_a_whole_one_does_not(db: Database, world: World) -> None:
    with db.transaction() as s:
        measure_in(s, world.skus["P-1"], "M")
        catalog_service.update_agreement(s, MANAGER, world.agreements[("ACME", "P-1", "WH-1")], None, min_qty="6.6")
    assert stock.consume(db, LEAD, "P-1", "WH-1", "1.5").posting.on_hand_after == Decimal("8.5")


def test_order_lines_acknowledgements_shipments_and_receipts_refuse_fractions(db: Database, world: World) -> None:
    acme = world.vendors["ACME"]
    wh1 = world.locations["WH-1"]
    with pytest.raises(ValidationError, match=FRACTION):
        order_commands.create(
            db, MANAGER, vendor_id=acme, location_id=wh1, lines=[NewLine(world.skus["P-1"], Decimal("1.5"))]
        )
    po = order_commands.create(
        db, MANAGER, vendor_id=acme, location_id=wh1, lines=[NewLine(world.skus["P-1"], Decimal(12))], send=True
    )
    supplier = vendor_actor(acme, "ACME")
    with pytest.raises(ValidationError, match=FRACTION):
        order_commands.acknowledge(db, supplier, po.id, status="changed", lines={1: (Decimal("11.5"), None)})
    order_commands.acknowledge(db, supplier, po.id)
    with pytest.raises(ValidationError, match=FRACTION):
        order_commands.ship(db, supplier, po.id, shipment_id="S-1", lines={1: Decimal("0.5")})
    with pytest.raises(ValidationError, match=FRACTION):
        order_commands.receive(db, LEAD, po.id, {1: Decimal("2.5")})
    assert order_commands.receive(db, LEAD, po.id, {1: Decimal(3)}).receipt_number


def test_supplier_events_with_fractions_of_whole_units_are_rejected_and_the_rest_applied(
    db: Database, world: World
) -> None:
    acme = world.vendors["ACME"]
    at = (utcnow() - timedelta(minutes=1)).isoformat()
    events = [
        {
            "event_id": "E1",
            "type": "order.created",
            "occurred_at": at,
            "data": {
                "supplier_order_id": "SO-1",
                "location_code": "WH-1",
                "lines": [{"line": 1, "sku": "P-2", "quantity": Decimal("2.5")}],
            },
        },
        {
            "event_id": "E2",
            "type": "thresholds.proposed",
            "occurred_at": at,
            "data": {"location_code": "WH-1", "sku": "P-2", "min": Decimal("6.6"), "max": 20, "reason": "usage"},
        },
        {
            "event_id": "E3",
            "type": "order.created",
            "occurred_at": at,
            "data": {
                "supplier_order_id": "SO-2",
                "location_code": "WH-1",
                "lines": [{"line": 1, "sku": "P-2", "quantity": 3}],
            },
        },
    ]
    with db.unit_of_work() as uow:
        result = apply_page(uow, acme, events, "c1")
    assert (result.applied, result.rejected) == (1, 2)
    with db.sessions() as s:
        reasons = dict(s.execute(select(InboxEvent.event_id, InboxEvent.reason)).all())
        statuses = dict(s.execute(select(InboxEvent.event_id, InboxEvent.status)).all())
        orders = list(s.scalars(select(PurchaseOrder.supplier_order_id)))
    assert FRACTION in reasons["E1"] and FRACTION in reasons["E2"]
    assert statuses["E3"] == InboxStatus.APPLIED and orders == ["SO-2"]


def test_a_sku_with_fractional_stock_cannot_become_a_whole_unit(db: Database, world: World) -> None:
    with db.transaction() as s:
        measure_in(s, world.skus["P-3"], "KG")
        ledger.post_receipt(s, MANAGER, "P-3", "WH-1", "2.5")
    refused = r"cannot be counted in EA \(whole units\): it has on hand 2\.5"
    with pytest.raises(ValidationError, match=refused), db.transaction() as s:
        catalog_service.update_sku(s, MANAGER, world.skus["P-3"], None, uom="EA")
    with pytest.raises(ValidationError, match="unknown unit of measure 'FATHOMS'"), db.transaction() as s:
        catalog_service.update_sku(s, MANAGER, world.skus["P-3"], None, uom="FATHOMS")
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "sku.update")) == 0
