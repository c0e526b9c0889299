"""Supplier and inventory metrics against a small hand-computed January."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from tests.conftest import MANAGER, D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, POOrigin, POStatus, PurchaseOrder, Role, SupplyAgreement
from vmi_desktop.replenishment import alerts, metrics, orders
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.replenishment.supplier_orders import SupplierLine, accept_supplier_order
from vmi_desktop.scope import Actor

JAN1, JAN31 = date(2026, 1, 1), date(2026, 1, 31)


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def _stamp(s: Session, po_id: int, **values: datetime) -> None:
    s.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == po_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


@pytest.fixture
def january(db: Database, manager: Actor, lead: Actor) -> World:
    """Three orders of ACME, one supplier-raised order answering a below-min alert, movements and counts.

    A: P-1@WH-1 10 due 01-10, sent 01-01 00h, ack +10h, received 10 on 01-09 (cycle 8 d)
    B: P-2@WH-1 20 due 01-15, sent 01-05 00h, ack +20h, received 15 on 01-14 and 5 on 01-20 (cycle 15 d)
    C: P-1@VAN-7 4 due 01-20, sent 01-10 00h, ack +30h, received 2 on 01-25, cancelled 01-26
    S: supplier order 4 h after the below-min alert of P-2@WH-1
    """
    with db.transaction() as s:
        w = build_world(s)
        acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=w.vendors["ACME"])
        alerts.raise_alert(
            s,
            kind=AlertKind.BELOW_MIN,
            cause_key=alerts.pair_key("below_min", w.skus["P-2"], w.locations["WH-1"]),
            message="below",
            vendor_id=w.vendors["ACME"],
        )
        out = accept_supplier_order(
            s,
            acme,
            supplier_order_id="SO-1",
            location_code="WH-1",
            lines=[SupplierLine(line=1, sku="P-2", quantity=D(5))],
        )
        assert out.status == "accepted" and out.order is not None
        s.execute(update(Alert).values(created_at=t(12)).execution_options(synchronize_session=False))
        _stamp(s, out.order.id, created_at=t(12, 4))

        def make(sku: str, loc: str, qty: int, due: int) -> int:
            po = orders.create_order(
                s,
                manager,
                vendor_id=w.vendors["ACME"],
                location_id=w.locations[loc],
                lines=[NewLine(sku_id=w.skus[sku], quantity=D(qty), need_by=date(2026, 1, due))],
                origin=POOrigin.MANUAL,
                status=POStatus.SENT,
            )
            orders.acknowledge(s, acme, po.id)
            return po.id

        a, b, c = make("P-1", "WH-1", 10, 10), make("P-2", "WH-1", 20, 15), make("P-1", "VAN-7", 4, 20)
        orders.receive(s, lead, a, {1: D(10)}, received_at=t(9))
        orders.receive(s, lead, b, {1: D(15)}, received_at=t(14))
        orders.receive(s, lead, b, {1: D(5)}, received_at=t(20))
        orders.receive(s, lead, c, {1: D(2)}, received_at=t(25))
        orders.cancel(s, manager, c, "rest not needed")
        _stamp(s, a, created_at=t(1), sent_at=t(1), acknowledged_at=t(1, 10), received_at=t(9), closed_at=t(9))
        _stamp(s, b, created_at=t(5), sent_at=t(5), acknowledged_at=t(5, 20), received_at=t(20), closed_at=t(20))
        _stamp(s, c, created_at=t(10), sent_at=t(10), acknowledged_at=t(11, 6), closed_at=t(26))
        ledger.post_consumption(s, lead, "P-1", "WH-1", 4, occurred_at=t(20))
        ledger.post_consumption(s, lead, "P-1", "WH-1", 6, occurred_at=t(25))
        ledger.post_receipt(s, lead, "P-2", "WH-1", 5, occurred_at=t(21))
        ledger.post_cycle_count(s, lead, "P-2", "WH-1", 25, occurred_at=t(26))
        ledger.post_cycle_count(s, lead, "P-2", "WH-1", 24, occurred_at=t(27))
        return w


def test_vendor_scorecard_matches_hand_computation(db: Database, january: World, manager: Actor) -> None:
    with db.sessions() as s:
        (m,) = metrics.vendor_metrics(s, manager, since=JAN1, until=JAN31, vendor_id=january.vendors["ACME"])
    assert m.orders_received == 2 and m.avg_cycle_days == pytest.approx(11.5)
    # C was cancelled by us: it does not count against the supplier's fill rate, but its short line is inaccurate.
    assert (m.units_due, m.units_on_time, m.fill_rate_units) == (D(30), D(25), D("0.8333"))
    assert (m.lines_due, m.lines_complete, m.fill_rate_lines) == (2, 1, D("0.5"))
    assert (m.lines_received, m.lines_accurate, m.order_accuracy) == (3, 2, D("0.6667"))
    # samples 4 h (supplier-managed), 10 h, 20 h, 30 h: median 15 h, p90 at rank 2.7 -> 27 h
    assert m.response_samples == 4
    assert m.response_median_hours == pytest.approx(15.0)
    assert m.response_p90_hours == pytest.approx(27.0)


def test_period_outside_the_activity_measures_nothing(db: Database, january: World, manager: Actor) -> None:
    with db.sessions() as s:
        (m,) = metrics.vendor_metrics(
            s, manager, since=date(2025, 6, 1), until=date(2025, 6, 30), vendor_id=january.vendors["ACME"]
        )
    assert m.orders_received == 0 and m.fill_rate_units is None and m.response_median_hours is None


def test_sku_health_figures(db: Database, january: World, manager: Actor) -> None:
    with db.sessions() as s:
        rows = {(r.part_number, r.location_code): r for r in metrics.sku_metrics(s, manager, since=JAN1, until=JAN31)}
    p1 = rows[("P-1", "WH-1")]
    assert (p1.consumed, p1.stock_outs, p1.on_hand, p1.slow_mover) == (D(10), 1, D(0), False)
    assert p1.days_of_supply == D("0.0")
    assert p1.turns == D("1.88")  # 10 consumed / average of 10, 6, 0 on hand
    assert p1.fill_rate_units == D(1) and p1.fill_rate_lines == D(1)
    p2 = rows[("P-2", "WH-1")]
    assert (p2.on_hand, p2.consumed, p2.slow_mover, p2.days_of_supply) == (D(24), D(0), True, None)
    assert (p2.excess_qty, p2.excess_value) == (D(4), D("10.00"))
    assert p2.fill_rate_units == D("0.75") and p2.fill_rate_lines == D(0)


def test_stock_accuracy_with_tolerance(db: Database, january: World, manager: Actor) -> None:
    with db.sessions() as s:
        strict = metrics.stock_accuracy(s, manager, since=JAN1, until=JAN31, tolerance=D("0.02"))
        loose = metrics.stock_accuracy(s, manager, since=JAN1, until=JAN31, tolerance=D("0.05"))
        absolute = metrics.stock_accuracy(s, manager, since=JAN1, until=JAN31, tolerance=D(0), tolerance_abs=D(1))
    assert [(r.part_number, r.counts, r.within_tolerance, r.rate) for r in strict] == [("P-2", 2, 1, D("0.5"))]
    assert [r.rate for r in loose] == [D(1)] and [r.rate for r in absolute] == [D(1)]


def test_supplier_sees_only_its_own_scorecard_and_pairs(db: Database, january: World) -> None:
    bolt = Actor("vendor:BOLT", Role.SUPPLIER, vendor_id=january.vendors["BOLT"])
    with db.sessions() as s:
        assert [m.vendor_code for m in metrics.vendor_metrics(s, bolt, since=JAN1, until=JAN31)] == ["BOLT"]
        assert metrics.vendor_metrics(s, bolt, since=JAN1, until=JAN31, vendor_id=january.vendors["ACME"]) == []
        assert {r.part_number for r in metrics.sku_metrics(s, bolt, since=JAN1, until=JAN31)} == {"P-3"}
        assert metrics.stock_accuracy(s, bolt, since=JAN1, until=JAN31) == []


def test_sla_breach_alert_raised_and_resolved_when_met(db: Database, january: World) -> None:
    with db.transaction() as s:
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.vendor_id == january.vendors["ACME"])
            .values(sla_fill_rate=Decimal("0.95"), sla_response_hours=12)
        )
        breaches = metrics.sla_breaches(s, MANAGER, since=JAN1, until=JAN31)
    assert sorted(k for k, _, _ in breaches) == [
        f"sla:fill:{january.vendors['ACME']}",
        f"sla:response:{january.vendors['ACME']}",
    ]
    assert "83.3%" in dict((k, m) for k, _, m in breaches)[f"sla:fill:{january.vendors['ACME']}"]
    with db.transaction() as s:
        s.execute(update(SupplyAgreement).values(sla_fill_rate=Decimal("0.5"), sla_response_hours=48))
        assert metrics.sla_breaches(s, MANAGER, since=JAN1, until=JAN31) == []


def _worst_first(health: list[metrics.SkuMetrics]) -> list[metrics.SkuMetrics]:
    """The reference ranking: slow movers first, then the largest excess, then part number and location."""
    return sorted(health, key=lambda h: (not h.slow_mover, -h.excess_qty, h.part_number, h.location_code))


@pytest.mark.parametrize("who", ["manager", "ACME", "one vendor"])
def test_the_database_ranks_the_worst_pairs_first_as_the_reference_does(
    db: Database, january: World, manager: Actor, who: str
) -> None:
    actor = manager if who != "ACME" else Actor("vendor:ACME", Role.SUPPLIER, vendor_id=january.vendors["ACME"])
    vendor_id = january.vendors["ACME"] if who == "one vendor" else None
    with db.sessions() as s:
        every = metrics.sku_metrics(s, actor, since=JAN1, until=JAN31, vendor_id=vendor_id)
        worst = metrics.sku_metrics(s, actor, since=JAN1, until=JAN31, vendor_id=vendor_id, worst_first=True)
        first_two = metrics.sku_metrics(
            s, actor, since=JAN1, until=JAN31, vendor_id=vendor_id, worst_first=True, limit=2
        )
        count = metrics.sku_metrics_count(s, actor, vendor_id=vendor_id)
    assert worst == _worst_first(every) != every  # the slow mover P-2@WH-1 comes before P-1
    assert first_two == worst[:2]
    assert count == len(every) >= 3


#: The planner statistics of the million-pair benchmark world (``sqlite_stat1`` after its ANALYZE, the
#: pair index's with the column migration 0013 added): 10 million movements, 1.1 million agreements.
LARGE_WORLD_STATS = """
locations|sqlite_autoindex_locations_1|20 1
purchase_order_lines|ix_purchase_order_lines_open_sku|31294 2 1
purchase_order_lines|ix_purchase_order_lines_sku_id|125466 4
purchase_order_lines|sqlite_autoindex_purchase_order_lines_1|125466 26 1
purchase_orders|ix_purchase_orders_created_at|4848 66
purchase_orders|ix_purchase_orders_location_id|4848 243
purchase_orders|ix_purchase_orders_status|4848 485
purchase_orders|ix_purchase_orders_vendor_status|4848 808 87
purchase_orders|sqlite_autoindex_purchase_orders_1|4848 1
purchase_orders|uq_purchase_orders_vendor_supplier_order|1676 280 1
skus|ix_skus_search|50001 1 1 1 1
skus|sqlite_autoindex_skus_1|50001 1
stock_levels|ix_stock_levels_location_sku|1000001 50001 1
stock_levels|ix_stock_levels_on_hand|1000001 4902 3 1
stock_levels|sqlite_autoindex_stock_levels_1|1000001 20 1
stock_movements|ix_stock_movements_occurred_at|9958528 23
stock_movements|ix_stock_movements_pair_time|9958528 200 10 1 1 1 1
stock_movements|ix_stock_movements_purchase_order_line_id|9958528 106
stock_movements|ix_stock_movements_receipts|98490 1 1 1 1
supply_agreements|ix_supply_agreements_candidates_location|40113 2006 1 1 1 1 1 1 1 1 1
supply_agreements|ix_supply_agreements_candidates_vendor|40113 6686 2 1 1 1 1 1 1 1 1
supply_agreements|ix_supply_agreements_location_id|1100022 55002
supply_agreements|ix_supply_agreements_over_max|1000001 4879
supply_agreements|ix_supply_agreements_short|1000001 4831 1271 3 1 1 1
supply_agreements|ix_supply_agreements_sku_location|1100022 22 2
supply_agreements|ix_supply_agreements_worklist_location|1100022 55002 2 1 1 1 1 1 1 1 1 1 1
supply_agreements|ix_supply_agreements_worklist_sku|1100022 22 2 1 1 1 1 1 1 1 1 1 1
supply_agreements|sqlite_autoindex_supply_agreements_1|1100022 183337 7 1
supply_agreements|uq_supply_agreements_primary|1000001 20 1
"""


def test_a_suppliers_pair_health_reads_each_pair_by_the_ledger_pair_index(sqlite_db: Database) -> None:
    # With a large ledger's statistics: the period's movements grouped over the whole ledger were read by
    # the time index, each from the table (12.8 s for the largest supplier of the benchmark world); read
    # pair by pair from the index that covers what is summed, about 1 s.
    with sqlite_db.transaction() as s:
        w = build_world(s)
        acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=w.vendors["ACME"])
        lead = Actor("lead", Role.WAREHOUSE_LEAD)
        ledger.post_receipt(s, lead, "P-1", "WH-1", 8, occurred_at=t(2))
        ledger.post_consumption(s, lead, "P-1", "WH-1", 8, occurred_at=t(3))  # a stock-out
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
        for line in LARGE_WORLD_STATS.strip().splitlines():
            conn.exec_driver_sql("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", tuple(line.split("|")))
    sqlite_db.engine.dispose()  # connections read the statistics when they open
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "stock_movements" in statement:
            statements.append((statement, parameters))

    event.listen(sqlite_db.engine, "before_cursor_execute", record)
    try:
        with sqlite_db.sessions() as s:
            health = metrics.sku_metrics(s, acme, since=JAN1, until=JAN31, worst_first=True, limit=500)
    finally:
        event.remove(sqlite_db.engine, "before_cursor_execute", record)
    p1 = next(h for h in health if h.part_number == "P-1" and h.location_code == "WH-1")
    assert (p1.consumed, p1.stock_outs) == (D(8), 1)
    ((statement, parameters),) = statements
    with sqlite_db.engine.connect() as conn:
        plan = [str(row[3]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    reads = [step for step in plan if "stock_movements" in step and "receipts" not in step]
    assert reads and all("COVERING INDEX ix_stock_movements_pair_time" in step for step in reads), plan
