"""Reorder evaluation: modes, rounding and MOQ, on-order position, grouping, idempotence, concurrency."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.conftest import D, row_count
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock
from vmi_desktop.commands.reorder import scheduled_run
from vmi_desktop.db import Database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import (
    Alert,
    AlertKind,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Role,
    Sku,
    SupplyAgreement,
)
from vmi_desktop.replenishment import orders, reorder
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor


def _orders(db: Database) -> list[tuple[str, str, str, list[tuple[str, Decimal]]]]:
    """(vendor id, location id, status, [(sku id, qty)]) per order, as strings for easy comparison."""
    with db.sessions() as s:
        result = []
        for po in s.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id)):
            result.append(
                (po.vendor_id, po.location_id, po.status, [(ln.sku_id, ln.quantity_ordered) for ln in po.lines])
            )
        return result  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("position", "max_qty", "pack", "moq", "expected"),
    [
        ("0", "50", "6", "0", "54"),  # 50 rounded up to packs of 6
        ("9", "50", "1", "0", "41"),  # no rounding needed
        ("4", "12", "5", "10", "10"),  # 8 -> 10 by pack, equals MOQ
        ("10", "12", "1", "5", "5"),  # 2 needed, MOQ lifts it to 5
        ("10", "12", "4", "5", "8"),  # MOQ 5 rounded up to whole packs of 4
        ("0", "2.5", "0.5", "0", "2.5"),  # fractional pack sizes
        ("12", "12", "1", "5", "0"),  # nothing needed: no MOQ order
    ],
)
def test_order_quantity_rounds_to_pack_and_respects_moq(
    position: str, max_qty: str, pack: str, moq: str, expected: str
) -> None:
    assert reorder.order_quantity(D(position), D(max_qty), D(pack), D(moq)) == D(expected)


def test_each_mode_raises_its_own_thing_grouped_per_vendor_and_location(db: Database, world: World) -> None:
    with db.transaction() as s:
        result = reorder.evaluate(s)
    assert len(result.needs) == 4 and result.alerts_raised == 1 and len(result.orders) == 3
    got = _orders(db)
    wh, van = world.locations["WH-1"], world.locations["VAN-7"]
    assert got == [
        (world.vendors["ACME"], wh, POStatus.SENT, [(world.skus["P-1"], D(54))]),
        (world.vendors["ACME"], van, POStatus.SENT, [(world.skus["P-1"], D(3))]),
        (world.vendors["BOLT"], wh, POStatus.AWAITING_APPROVAL, [(world.skus["P-3"], D(15))]),
    ]
    with db.sessions() as s:
        alert = s.scalar(select(Alert))
        assert alert is not None and alert.kind == AlertKind.BELOW_MIN and alert.vendor_id == world.vendors["ACME"]
        assert alert.sku_id == world.skus["P-2"] and "supplier to order 20" in alert.message
        auto = s.scalar(select(PurchaseOrder).where(PurchaseOrder.origin == POOrigin.AUTO))
        assert auto is not None and auto.sent_at is not None and auto.history[0].to_status == POStatus.SENT
        assert auto.lines[0].supplier_sku == "ACME-P-1" and auto.lines[0].unit_price == D("3.1")


def test_second_run_raises_nothing_twice(db: Database, world: World) -> None:
    with db.transaction() as s:
        reorder.evaluate(s)
    with db.transaction() as s:
        again = reorder.evaluate(s)
    # The supplier-managed pair is still below min (the supplier has not ordered) but alerted only once.
    assert [n.mode for n in again.needs] == [ReplenishmentMode.SUPPLIER_MANAGED]
    assert again.orders == [] and again.alerts_raised == 0
    assert row_count(db, PurchaseOrder) == 3 and row_count(db, Alert) == 1


def test_dry_run_reports_needs_and_writes_nothing(db: Database, world: World) -> None:
    with db.transaction() as s:
        result = reorder.evaluate(s, dry_run=True)
    assert sorted(n.quantity for n in result.needs) == [D(3), D(15), D(20), D(54)]
    assert row_count(db, PurchaseOrder) == 0 and row_count(db, Alert) == 0


def test_open_order_counts_towards_position_so_nothing_is_ordered_twice(
    db: Database, world: World, manager: Actor
) -> None:
    with db.transaction() as s:
        orders.create_order(
            s,
            manager,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus["P-1"], quantity=D(11))],
            origin=POOrigin.MANUAL,
            status=POStatus.DRAFT,
        )  # a draft counts too
        result = reorder.evaluate(s, pairs=[(world.skus["P-1"], world.locations["WH-1"])])
    assert result.needs == []


def test_position_exactly_at_min_triggers_and_one_above_does_not(db: Database, world: World, lead: Actor) -> None:
    pair = (world.skus["P-1"], world.locations["WH-1"])
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 11)
        assert reorder.evaluate(s, pairs=[pair]).needs == []
        ledger.post_consumption(s, lead, "P-1", "WH-1", 1)
        result = reorder.evaluate(s, pairs=[pair])
    assert [(n.position, n.quantity) for n in result.needs] == [(D(10), D(42))]


def test_moq_lifts_a_small_need(db: Database, world: World, lead: Actor) -> None:
    with db.transaction() as s:
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.id == world.agreements[("BOLT", "P-3", "WH-1")])
            .values(moq=D(17))
        )
        ledger.post_receipt(s, lead, "P-3", "WH-1", 4)
        result = reorder.evaluate(s, pairs=[(world.skus["P-3"], world.locations["WH-1"])])
    assert [n.quantity for n in result.needs] == [D(20)]  # need 8, MOQ 17 -> 4 packs of 5


def test_several_skus_of_one_vendor_and_location_share_one_order(db: Database, world: World) -> None:
    with db.transaction() as s:
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.id == world.agreements[("ACME", "P-2", "WH-1")])
            .values(mode=ReplenishmentMode.AUTO_PO)
        )
        reorder.evaluate(s)
    with db.sessions() as s:
        po = s.scalar(
            select(PurchaseOrder).where(
                PurchaseOrder.vendor_id == world.vendors["ACME"], PurchaseOrder.location_id == world.locations["WH-1"]
            )
        )
        assert po is not None and [(ln.line_no, ln.sku_id) for ln in po.lines] == [
            (1, world.skus["P-1"]),
            (2, world.skus["P-2"]),
        ]
    assert row_count(db, PurchaseOrder) == 3


def test_later_proposal_joins_the_open_proposal_of_that_vendor_and_location(db: Database, world: World) -> None:
    with db.transaction() as s:
        sku = Sku(part_number="P-4")
        s.add(sku)
        s.flush()
        s.add(
            SupplyAgreement(
                vendor_id=world.vendors["BOLT"],
                sku_id=sku.id,
                location_id=world.locations["WH-1"],
                min_qty=D(1),
                max_qty=D(4),
                mode=ReplenishmentMode.PROPOSAL,
            )
        )
        s.flush()
        p4 = sku.id
    with db.transaction() as s:
        first = reorder.evaluate(s, pairs=[(world.skus["P-3"], world.locations["WH-1"])])
    with db.transaction() as s:
        second = reorder.evaluate(s, pairs=[(p4, world.locations["WH-1"])])
    assert first.orders == second.orders
    with db.sessions() as s:
        po = s.scalar(select(PurchaseOrder).where(PurchaseOrder.origin == POOrigin.PROPOSAL))
        assert po is not None and [(ln.line_no, ln.quantity_ordered) for ln in po.lines] == [(1, D(15)), (2, D(4))]


def test_inactive_and_backup_agreements_are_ignored(db: Database, world: World) -> None:
    with db.transaction() as s:
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.id == world.agreements[("ACME", "P-1", "WH-1")])
            .values(active=False)
        )
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.id == world.agreements[("ACME", "P-1", "VAN-7")])
            .values(is_primary=False)
        )
        result = reorder.evaluate(s, dry_run=True)
    assert {n.sku_id for n in result.needs} == {world.skus["P-2"], world.skus["P-3"]}


def test_posting_command_evaluates_only_the_touched_pair(db: Database, world: World, lead: Actor) -> None:
    stock.receive(db, lead, "P-1", "WH-1", 20)
    assert row_count(db, PurchaseOrder) == 0
    result = stock.consume(db, lead, "P-1", "WH-1", 11)
    assert len(result.reorder.orders) == 1 and result.reorder.sent_orders
    got = _orders(db)
    assert got == [(world.vendors["ACME"], world.locations["WH-1"], POStatus.SENT, [(world.skus["P-1"], D(42))])]
    stock.consume(db, lead, "P-1", "WH-1", 1)
    assert row_count(db, PurchaseOrder) == 1  # the open order keeps the position above min


def test_a_bare_ledger_posting_raises_nothing_by_itself(db: Database, world: World, lead: Actor) -> None:
    """The ledger is a primitive: reorder follows a posting only where a command calls it."""
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 5)  # 5 is below min 10
    assert row_count(db, PurchaseOrder) == 0


def test_receipt_against_the_order_does_not_trigger_a_new_one(db: Database, world: World, lead: Actor) -> None:
    with db.transaction() as s:
        result = reorder.evaluate(s, pairs=[(world.skus["P-1"], world.locations["VAN-7"])])
        po = s.scalar(select(PurchaseOrder).where(PurchaseOrder.po_number == result.orders[0]))
        assert po is not None
        po_id = po.id
    order_commands.receive(db, lead, po_id, {1: D(1)})  # position stays 3 (1 on hand + 2 open)
    order_commands.receive(db, lead, po_id, {1: D(2)})
    assert row_count(db, PurchaseOrder) == 1


def test_lead_and_supplier_may_not_run_reorder(db: Database, world: World, lead: Actor) -> None:
    acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    for actor in (lead, acme):
        with pytest.raises(PermissionDenied), db.transaction() as s:
            reorder.evaluate(s, actor)


@pytest.mark.postgres
def test_two_workstations_evaluating_at_once_raise_one_set_of_orders(pg_db: Database) -> None:
    with pg_db.transaction() as s:
        build_world(s)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with pg_db.transaction() as s:
                barrier.wait(timeout=10)
                reorder.evaluate(s)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert (
        row_count(pg_db, PurchaseOrder) == 3
        and row_count(pg_db, PurchaseOrderLine) == 3
        and row_count(pg_db, Alert) == 1
    )


@pytest.mark.postgres
def test_concurrent_posting_commands_raise_one_order_per_pair(pg_db: Database, lead: Actor) -> None:
    with pg_db.transaction() as s:
        build_world(s)
        ledger.post_receipt(s, lead, "P-1", "WH-1", 30)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            with pg_db.unit_of_work() as uow:
                barrier.wait(timeout=10)
                stock.consume(uow, lead, "P-1", "WH-1", 10)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=consume) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with pg_db.sessions() as s:
        lines = s.execute(select(PurchaseOrderLine.quantity_ordered)).scalars().all()
    assert lines == [D(42)]  # on hand 10 -> 50 - 10 = 40, rounded up to packs of 6


def test_reorder_then_alerts_in_one_transaction_alert_only_what_the_new_orders_do_not_cover(
    db: Database, world: World
) -> None:
    # what `vmi-desktop reorder --alerts` runs
    result, alert_run = scheduled_run(db)
    assert len(result.orders) == 3
    with db.sessions() as s:
        kinds = sorted(str(k) for k in s.scalars(select(Alert.kind)))
    # one below-min (the supplier-managed pair: the others are covered by the new orders), four stock-outs
    assert kinds == ["below_min"] + ["stock_out"] * 4 and alert_run.raised == 4


def test_two_sqlite_connections_evaluating_at_once_raise_one_set_of_orders(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as s:
        build_world(s)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with sqlite_db.transaction() as s:
                barrier.wait(timeout=10)
                reorder.evaluate(s)  # its first statement takes SQLite's write lock, so the second waits
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert row_count(sqlite_db, PurchaseOrder) == 3 and row_count(sqlite_db, Alert) == 1
