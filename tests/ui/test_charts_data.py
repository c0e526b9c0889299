"""Chart and dashboard queries against real ledger postings, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlalchemy import select

from tests.world import build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import (
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Role,
    StockMovement,
    SupplyAgreement,
)
from vmi_desktop.queries import charts, dashboard
from vmi_desktop.scope import Actor

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _post_history(db: Database, actor: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, actor, "P-1", "WH-1", 40, occurred_at=T0)
        for i, qty in enumerate([3, 5, 2, 7, 1, 4, 6, 2, 3]):
            ledger.post_consumption(s, actor, "P-1", "WH-1", qty, occurred_at=T0 + timedelta(days=i, hours=2))
        ledger.post_consumption(s, actor, "P-1", "WH-1", 1, occurred_at=T0 + timedelta(days=8, hours=5))
        assert w.skus["P-1"]


def test_stock_series_follows_the_ledger_on_hand_after(db: Database, manager: Actor) -> None:
    _post_history(db, manager)
    with db.transaction() as s:
        sku_id = ledger.resolve_sku(s, "P-1").id
        loc_id = ledger.resolve_location(s, "WH-1").id
        posted = s.execute(
            select(StockMovement.occurred_at, StockMovement.on_hand_after)
            .where(StockMovement.sku_id == sku_id, StockMovement.location_id == loc_id)
            .order_by(StockMovement.occurred_at, StockMovement.id)
        ).all()
        series = charts.stock_series(s, manager, sku_id, loc_id)
    assert list(series.times) == [p[0].timestamp() for p in posted]
    assert list(series.on_hand) == [float(p[1]) for p in posted]
    assert series.on_hand[-1] == 40 - 34
    assert (series.min_qty, series.max_qty) == (Decimal(10), Decimal(50))
    assert list(series.receipt_times) == [T0.timestamp()]
    assert list(series.receipt_on_hand) == [40.0]


def test_consumption_is_summed_per_day_and_per_monday_week(db: Database, manager: Actor) -> None:
    _post_history(db, manager)
    with db.transaction() as s:
        sku_id = ledger.resolve_sku(s, "P-1").id
        loc_id = ledger.resolve_location(s, "WH-1").id
        daily = charts.consumption_daily(s, manager, sku_id, loc_id)
    assert daily.days == [date(2026, 3, 2) + timedelta(days=i) for i in range(9)]
    assert list(daily.quantities) == [3, 5, 2, 7, 1, 4, 6, 2, 4]
    week = charts.weekly(daily)
    assert week.days == [date(2026, 3, 2), date(2026, 3, 9)]
    assert list(week.quantities) == [28, 6]


def test_vendor_fill_rate_counts_only_units_received_by_need_by(db: Database, manager: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        po = PurchaseOrder(
            po_number="PO-1",
            vendor_id=w.vendors["ACME"],
            location_id=w.locations["WH-1"],
            status=POStatus.PARTLY_RECEIVED,
            origin=POOrigin.MANUAL,
            created_at=T0,
            sent_at=T0,
            acknowledged_at=T0 + timedelta(hours=6),
            need_by=date(2026, 3, 10),
        )
        po.lines.append(PurchaseOrderLine(line_no=1, sku_id=w.skus["P-1"], quantity_ordered=Decimal(10)))
        s.add(po)
        s.flush()
        line_id = po.lines[0].id
        ledger.post_receipt(s, manager, "P-1", "WH-1", 6, occurred_at=T0 + timedelta(days=3), po_line_id=line_id)
        ledger.post_receipt(s, manager, "P-1", "WH-1", 4, occurred_at=T0 + timedelta(days=20), po_line_id=line_id)
        agreement = s.get(SupplyAgreement, w.agreements[("ACME", "P-1", "WH-1")])
        assert agreement is not None
        agreement.sla_fill_rate = Decimal("0.95")
        s.flush()
        series = charts.vendor_monthly(s, manager, w.vendors["ACME"])
        scores = dashboard.supplier_scores(s, manager, days=100000)
    assert series.ordered.tolist() == [10.0]
    assert series.fill_rate.tolist() == [0.6]
    assert series.sla_fill_rate == 0.95
    acme = next(sc for sc in scores if sc.code == "ACME")
    assert acme.fill_rate == 0.6
    assert abs((acme.ack_hours or 0) - 6.0) < 0.01


def test_fleet_health_counts_below_min_and_stock_outs_in_scope(db: Database, manager: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, manager, "P-1", "WH-1", 5)  # min 10 -> below
        ledger.post_receipt(s, manager, "P-2", "WH-1", 30)  # max 20 -> over
        # P-3 @ WH-1 and P-1 @ VAN-7 never posted: on hand 0 -> stock-outs and below min
    supplier = Actor(name="bolt", role=Role.SUPPLIER, vendor_id=w.vendors["BOLT"])
    with db.transaction() as s:  # the statements the dashboard page runs
        counts = dashboard.pair_counts(s, manager)
        attention = dashboard.attention_pairs(s, manager)
        open_orders = dashboard.open_orders_by_status(s, manager)
        bolt_counts = dashboard.pair_counts(s, supplier)
        bolt_suppliers = dashboard.scores_from_metrics(s, supplier)
    assert counts == (4, 3, 2, 1)  # pairs, below min, stock-outs, over max
    assert (attention[0].part_number, attention[0].location) in {("P-1", "WH-1"), ("P-3", "WH-1")}
    assert bolt_counts[:3] == (1, 1, 1)
    assert [sc.code for sc in bolt_suppliers] == ["BOLT"]
    assert open_orders[POStatus.SENT] == 0


def test_out_of_scope_pair_gives_an_empty_series(db: Database, manager: Actor) -> None:
    _post_history(db, manager)
    with db.transaction() as s:
        from vmi_desktop.models import Vendor

        bolt = s.scalar(select(Vendor.id).where(Vendor.code == "BOLT"))
        sku_id = ledger.resolve_sku(s, "P-1").id
        loc_id = ledger.resolve_location(s, "WH-1").id
        series = charts.stock_series(s, Actor(name="b", role=Role.SUPPLIER, vendor_id=bolt), sku_id, loc_id)
    assert len(series.times) == 0 and np.asarray(series.on_hand).size == 0
