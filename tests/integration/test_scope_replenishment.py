"""Every forbidden path of the replenishment engine, tried: roles and supplier scope through scope.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import LEAD, D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import POOrigin, POStatus, Role, StockLevel
from vmi_desktop.replenishment import alerts, metrics, orders, reorder
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Action, Actor, pair_filter, require, require_vendor


@pytest.fixture
def world(db: Database, manager: Actor) -> World:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, manager, "P-1", "WH-1", 5)
        ledger.post_receipt(s, manager, "P-3", "WH-1", 5)
        return w


def _po(s: Session, w: World, manager: Actor, vendor: str, sku: str, status: POStatus) -> int:
    return orders.create_order(
        s,
        manager,
        vendor_id=w.vendors[vendor],
        location_id=w.locations["WH-1"],
        lines=[NewLine(sku_id=w.skus[sku], quantity=D(2))],
        origin=POOrigin.MANUAL,
        status=status,
    ).id


Attempt = Callable[[Session, World, Actor, Actor, Actor], Any]

FORBIDDEN: dict[str, Attempt] = {
    "lead edits agreements": lambda s, w, m, lead, sup: require(lead, Action.EDIT_AGREEMENTS),
    "lead edits vendors": lambda s, w, m, lead, sup: require(lead, Action.EDIT_MASTER_DATA),
    "lead views credentials": lambda s, w, m, lead, sup: require(lead, Action.VIEW_CREDENTIALS),
    "lead creates an order": lambda s, w, m, lead, sup: _po(s, w, lead, "ACME", "P-1", POStatus.DRAFT),
    "lead approves": lambda s, w, m, lead, sup: orders.approve(
        s, lead, _po(s, w, m, "ACME", "P-1", POStatus.AWAITING_APPROVAL)
    ),
    "lead rejects": lambda s, w, m, lead, sup: orders.reject(
        s, lead, _po(s, w, m, "ACME", "P-1", POStatus.AWAITING_APPROVAL), "no"
    ),
    "lead cancels": lambda s, w, m, lead, sup: orders.cancel(s, lead, _po(s, w, m, "ACME", "P-1", POStatus.SENT), "no"),
    "lead runs reorder": lambda s, w, m, lead, sup: reorder.evaluate(s, lead),
    "supplier runs reorder": lambda s, w, m, lead, sup: reorder.evaluate(s, sup),
    "supplier approves own order": lambda s, w, m, lead, sup: orders.approve(
        s, sup, _po(s, w, m, "ACME", "P-1", POStatus.AWAITING_APPROVAL)
    ),
    "supplier receives": lambda s, w, m, lead, sup: orders.receive(
        s, sup, _po(s, w, m, "ACME", "P-1", POStatus.SENT), {1: Decimal(1)}
    ),
    "supplier orders for another vendor": lambda s, w, m, lead, sup: orders.create_order(
        s,
        sup,
        vendor_id=w.vendors["BOLT"],
        location_id=w.locations["WH-1"],
        lines=[NewLine(sku_id=w.skus["P-3"], quantity=D(1))],
        origin=POOrigin.SUPPLIER,
    ),
    "supplier orders outside its pairs": lambda s, w, m, lead, sup: orders.create_order(
        s,
        sup,
        vendor_id=w.vendors["ACME"],
        location_id=w.locations["VAN-7"],
        lines=[NewLine(sku_id=w.skus["P-2"], quantity=D(1))],
        origin=POOrigin.SUPPLIER,
    ),
    "supplier acts for another vendor": lambda s, w, m, lead, sup: require_vendor(sup, w.vendors["BOLT"]),
    "supplier manages alerts": lambda s, w, m, lead, sup: alerts.acknowledge(s, sup, 1),
    "supplier posts to the ledger": lambda s, w, m, lead, sup: ledger.post_consumption(s, sup, "P-1", "WH-1", 1),
    "supplier edits agreements": lambda s, w, m, lead, sup: require(sup, Action.EDIT_AGREEMENTS),
}


@pytest.mark.parametrize("name", sorted(FORBIDDEN))
def test_forbidden_path_is_denied(db: Database, world: World, manager: Actor, name: str) -> None:
    supplier = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with pytest.raises(PermissionDenied), db.transaction() as s:
        FORBIDDEN[name](s, world, manager, LEAD, supplier)


HIDDEN: dict[str, Attempt] = {
    "another vendor's order to acknowledge": lambda s, w, m, lead, sup: orders.acknowledge(
        s, sup, _po(s, w, m, "BOLT", "P-3", POStatus.SENT)
    ),
    "another vendor's order to ship": lambda s, w, m, lead, sup: orders.record_shipment(
        s, sup, _po(s, w, m, "BOLT", "P-3", POStatus.SENT), shipment_id="S", lines={1: Decimal(1)}
    ),
    "another vendor's order to cancel": lambda s, w, m, lead, sup: orders.cancel(
        s, sup, _po(s, w, m, "BOLT", "P-3", POStatus.SENT), "mine now"
    ),
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_another_vendors_order_does_not_exist_for_a_supplier(
    db: Database, world: World, manager: Actor, name: str
) -> None:
    supplier = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with pytest.raises(NotFoundError, match="unknown purchase order"), db.transaction() as s:
        HIDDEN[name](s, world, manager, LEAD, supplier)


def test_supplier_sees_only_its_pairs_everywhere(db: Database, world: World, manager: Actor) -> None:
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    with db.transaction() as s:
        _po(s, world, manager, "BOLT", "P-3", POStatus.SENT)
        stock = (
            s.execute(select(StockLevel.sku_id).where(pair_filter(acme, StockLevel.sku_id, StockLevel.location_id)))
            .scalars()
            .all()
        )
        assert stock == [world.skus["P-1"]]
        assert orders.list_orders(s, acme) == []
        assert {r.part_number for r in metrics.sku_metrics(s, acme, since=date(2026, 1, 1))} == {"P-1", "P-2"}
        assert [m.vendor_code for m in metrics.vendor_metrics(s, acme, since=date(2026, 1, 1))] == ["ACME"]


def test_lead_may_receive_and_manage_alerts(db: Database, world: World, manager: Actor, lead: Actor) -> None:
    with db.transaction() as s:
        po_id = _po(s, world, manager, "ACME", "P-1", POStatus.SENT)
        orders.receive(s, lead, po_id, {1: D(2)})
        alert = alerts.raise_alert(s, kind=alerts.AlertKind.STOCK_OUT, cause_key="k", message="m")
        assert alert is not None
        alerts.acknowledge(s, lead, alert.id)
