"""A supplier acting through its own PostgreSQL login runs the same commands as its sync, with the same outcome.

Row-level security hides the other vendor's orders from the login, yet the check of a supplier-raised
order against max counts every vendor's open orders (the inventory position), exactly as over sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.logins import SharedWorld, add_logins, connect_as, order_of, shared_world
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock as stock_commands
from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.identity import login_postgresql
from vmi_desktop.models import POStatus, Shipment, ThresholdProposal
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.replenishment.supplier_orders import SupplierLine
from vmi_desktop.scope import Actor, vendor_actor

pytestmark = pytest.mark.postgres


@pytest.fixture
def sw(pg_db: Database) -> SharedWorld:
    return add_logins(pg_db, shared_world(pg_db))


@pytest.fixture
def acme_db(pg_db: Database, sw: SharedWorld) -> Iterator[Database]:
    db = connect_as(pg_db, sw, "acme")
    yield db
    db.dispose()


@pytest.fixture
def acme(acme_db: Database) -> Actor:
    return login_postgresql(acme_db)


class _Undo(Exception):
    pass


def _as_over_sync(pg_db: Database, sw: SharedWorld, order_id: str, sku: str, qty: int) -> str:
    """The outcome the vendor's sync would get for the same order (then rolled back)."""
    outcome = ""
    try:
        with pg_db.unit_of_work() as uow:
            result = order_commands.raise_supplier_order(
                uow,
                vendor_actor(sw.acme, "ACME"),
                supplier_order_id=order_id,
                location_code="WH-1",
                lines=[SupplierLine(line=1, sku=sku, quantity=Decimal(qty))],
            )
            outcome = result.status
            raise _Undo()
    except _Undo:
        pass
    return outcome


def test_an_order_above_max_only_because_of_another_vendors_order_is_held_as_over_sync(
    pg_db: Database, sw: SharedWorld, acme_db: Database, acme: Actor
) -> None:
    # P-1 at WH-1: ACME's max 50, pack 6; on hand 40 after this; BOLT (backup) has 8 on order, unseen by ACME
    stock_commands.consume(pg_db, sw.manager, "P-1", "WH-1", Decimal(5))
    order_commands.create(
        pg_db,
        sw.manager,
        vendor_id=sw.bolt,
        location_id=sw.world.locations["WH-1"],
        lines=[NewLine(sku_id=sw.world.skus["P-1"], quantity=Decimal(8))],
        send=True,
    )
    expected = _as_over_sync(pg_db, sw, "SO-HELD", "P-1", 1)
    assert expected == "held"  # 40 + 8 + 6 = 54 > 50
    outcome = order_commands.raise_supplier_order(
        acme_db,
        acme,
        supplier_order_id="SO-HELD",
        location_code="WH-1",
        lines=[SupplierLine(line=1, sku="P-1", quantity=Decimal(1))],
    )
    assert outcome.status == expected and "above max 50" in outcome.reason
    assert _as_over_sync(pg_db, sw, "SO-OK", "P-2", 4) == "accepted"
    accepted = order_commands.raise_supplier_order(
        acme_db,
        acme,
        supplier_order_id="SO-OK",
        location_code="WH-1",
        lines=[SupplierLine(line=1, sku="P-2", quantity=Decimal(4), expected_delivery=date(2026, 12, 24))],
    )
    assert accepted.status == "accepted" and accepted.order is not None
    assert order_of(pg_db, accepted.order.id).created_by == acme.name


def test_a_supplier_login_acknowledges_and_ships_its_order_and_the_manager_sees_both(
    pg_db: Database, sw: SharedWorld, acme_db: Database, acme: Actor
) -> None:
    po_id = sw.orders["ACME"][1]  # sent, P-2 x 4
    order_commands.acknowledge(
        acme_db, acme, po_id, status="changed", lines={1: (Decimal(3), date(2026, 12, 22))}, reason="short"
    )
    order_commands.ship(
        acme_db, acme, po_id, shipment_id="ASN-77", lines={1: Decimal(3)}, carrier="UPS", tracking="1Z9", eta=None
    )
    po = order_of(pg_db, po_id)
    assert po.status == POStatus.SHIPPED and po.lines[0].quantity_acknowledged == Decimal(3)
    with pg_db.sessions() as s:
        shipment = s.scalars(select(Shipment).where(Shipment.external_id == "ASN-77")).one()
        assert (shipment.carrier, shipment.tracking, shipment.vendor_id) == ("UPS", "1Z9", sw.acme)


def test_a_supplier_login_proposes_thresholds_for_its_own_agreements_only(
    pg_db: Database, sw: SharedWorld, acme_db: Database, acme: Actor
) -> None:
    own = sw.world.agreements[("ACME", "P-2", "WH-1")]
    other = sw.world.agreements[("BOLT", "P-1", "WH-1")]
    (pid,) = propose_thresholds(acme_db, acme, [ProposedThresholds(own, Decimal(6), Decimal(24), "new contract")])
    with pg_db.sessions() as s:
        proposal = s.get_one(ThresholdProposal, pid)
        assert (proposal.proposed_min, proposal.proposed_max, proposal.reason) == (
            Decimal(6),
            Decimal(24),
            "new contract",
        )
    with pytest.raises(PermissionDenied):
        propose_thresholds(acme_db, acme, [ProposedThresholds(other, Decimal(0), Decimal(1), "mine?")])


def test_another_vendors_order_does_not_exist_for_a_supplier_login(
    sw: SharedWorld, acme_db: Database, acme: Actor
) -> None:
    with pytest.raises(NotFoundError):
        order_commands.cancel(acme_db, acme, sw.orders["BOLT"][1], "not mine")


def test_a_warehouse_lead_login_posts_stock_and_the_reorder_it_triggers_goes_through(
    pg_db: Database, sw: SharedWorld
) -> None:
    """What follows a lead's posting (an automatic order, its outbox message) is written under the lead's login."""
    from sqlalchemy import func

    from vmi_desktop.models import OutboxMessage, PurchaseOrder, StockLevel

    lead_db = connect_as(pg_db, sw, "lead")
    try:
        lead = login_postgresql(lead_db)
        with pg_db.sessions() as s:
            orders_before = s.scalar(select(func.count(PurchaseOrder.id)))
            outbox_before = s.scalar(select(func.count(OutboxMessage.id)))
        # P-1 at WH-1 (ACME, automatic PO, min 10): 45 on hand, 40 used leaves 5
        result = stock_commands.consume(lead_db, lead, "P-1", "WH-1", Decimal(40), reference="JOB-9")
        assert result.reorder.sent_orders
        with pg_db.sessions() as s:
            level = s.get_one(StockLevel, (sw.world.skus["P-1"], sw.world.locations["WH-1"]))
            assert level.on_hand == Decimal(5)
            assert s.scalar(select(func.count(PurchaseOrder.id))) == (orders_before or 0) + 1
            assert s.scalar(select(func.count(OutboxMessage.id))) == (outbox_before or 0) + 1
        with pytest.raises(PermissionDenied):  # and the app refuses a threshold change too, as the database would
            from vmi_desktop import catalog_service

            with lead_db.transaction() as s:
                catalog_service.update_agreement(
                    s, lead, sw.world.agreements[("ACME", "P-1", "WH-1")], None, min_qty=Decimal(1)
                )
    finally:
        lead_db.dispose()
