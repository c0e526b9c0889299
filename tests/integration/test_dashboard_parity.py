"""The dashboard's health figures read from indexes give exactly what the joins over every pair gave.

``queries.dashboard`` counts pairs below min, stock-outs and over max, and lists the pairs below min,
from the ledger's copy of on hand on the agreements; ``metrics.vendor_scores`` sums each due line's
receipts once. Here the statements they replaced (kept below as the reference) run beside them on a
generated world with every case: stock-outs, below min, over max, on order, a snoozed pair, fractional
units, a backup agreement shared with another vendor, and each supplier's scope.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from vmi_desktop import ledger, order_status
from vmi_desktop.db import Database
from vmi_desktop.db.sqlfuncs import day_of
from vmi_desktop.demo import generate
from vmi_desktop.models import (
    Location,
    MovementKind,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    UnitOfMeasure,
    Vendor,
    utcnow,
)
from vmi_desktop.queries import dashboard
from vmi_desktop.queries.base import PageRequest
from vmi_desktop.queries.worklist import WorklistQuery
from vmi_desktop.replenishment import metrics
from vmi_desktop.replenishment.snoozes import snooze
from vmi_desktop.scope import Actor, agreement_of, pair_filter, vendor_actor, vendor_filter, visible

# ------------------------------------------------------------------------------ the reference (main before)


def _old_pairs(actor: Actor) -> Any:
    sa = aliased(SupplyAgreement)
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    which = agreement_of(actor, sa) if actor.is_supplier else sa.is_primary.is_(True)
    return (
        select(sa.sku_id, sa.location_id, sa.min_qty, sa.max_qty, on_hand.label("on_hand"))
        .outerjoin(StockLevel, and_(StockLevel.sku_id == sa.sku_id, StockLevel.location_id == sa.location_id))
        .where(sa.active.is_(True), which, pair_filter(actor, sa.sku_id, sa.location_id))
    )


def old_pair_counts(session: Session, actor: Actor) -> tuple[int, int, int, int]:
    p = _old_pairs(actor).subquery()
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((p.c.on_hand < p.c.min_qty, 1), else_=0)), 0),
            func.coalesce(func.sum(case((p.c.on_hand <= 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((p.c.on_hand > p.c.max_qty, 1), else_=0)), 0),
        ).select_from(p)
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def old_attention(session: Session, actor: Actor) -> list[tuple[Any, ...]]:
    p = _old_pairs(actor).subquery()
    rows = session.execute(
        select(p.c.sku_id, p.c.location_id, Sku.part_number, Location.code, p.c.on_hand, p.c.min_qty, p.c.max_qty)
        .join(Sku, Sku.id == p.c.sku_id)
        .join(Location, Location.id == p.c.location_id)
        .where(p.c.on_hand < p.c.min_qty)
    ).all()
    return sorted((tuple(r) for r in rows), key=lambda r: (r[4] - r[5], r[2], r[3]))


def old_fill(session: Session, actor: Actor, since: Any) -> dict[int, tuple[Decimal, Decimal]]:
    """Units due and units on time per vendor, one correlated subquery per line (metrics before)."""
    need_by = func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by)
    received_by = (
        select(func.coalesce(func.sum(StockMovement.quantity), 0))
        .where(
            StockMovement.purchase_order_line_id == PurchaseOrderLine.id,
            StockMovement.kind == MovementKind.RECEIPT,
            day_of(session, StockMovement.occurred_at) <= need_by,
            visible(actor, StockMovement),
        )
        .correlate(PurchaseOrderLine, PurchaseOrder)
        .scalar_subquery()
    )
    capped = case(
        (received_by > PurchaseOrderLine.quantity_ordered, PurchaseOrderLine.quantity_ordered), else_=received_by
    )
    rows = session.execute(
        select(PurchaseOrder.vendor_id, func.sum(PurchaseOrderLine.quantity_ordered), func.sum(capped))
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            need_by >= since,
            need_by <= utcnow().date(),
            PurchaseOrder.status.not_in([POStatus.DRAFT, POStatus.AWAITING_APPROVAL, POStatus.CANCELLED]),
            or_(PurchaseOrder.sent_at.is_not(None), PurchaseOrder.acknowledged_at.is_not(None)),
            visible(actor, PurchaseOrder),
        )
        .group_by(PurchaseOrder.vendor_id)
    ).all()
    return {r[0]: (Decimal(r[1]), Decimal(r[2])) for r in rows}


# ------------------------------------------------------------------------------------------------ the world


@pytest.fixture
def world_db(db: Database, manager: Actor) -> Database:
    """A generated world (orders in every status, receipts, consumption) with the remaining cases added."""
    today = utcnow().date()
    generate(db, skus=40, locations=3, vendors=4, days=60, end=today)
    with db.transaction() as s:
        # fractional units: a SKU measured in a unit with decimals, posted in thousandths
        s.merge(UnitOfMeasure(code="KG", name="kilogram", whole=False))
        fractional = s.scalars(select(Sku).order_by(Sku.id)).first()
        assert fractional is not None
        fractional.uom = "KG"
        s.flush()
        pair = s.execute(
            select(SupplyAgreement.location_id, SupplyAgreement.min_qty)
            .where(SupplyAgreement.sku_id == fractional.id, SupplyAgreement.is_primary.is_(True))
            .limit(1)
        ).one()
        location = s.get(Location, pair[0])
        assert location is not None
        level = s.scalar(
            select(StockLevel.on_hand).where(StockLevel.sku_id == fractional.id, StockLevel.location_id == location.id)
        )
        # on hand exactly min - 0.001: below min by a thousandth
        delta = Decimal(pair[1]) - Decimal("0.001") - Decimal(level or 0)
        ledger.post_adjustment(s, manager, fractional.part_number, location.code, delta, reason="parity test")
        # a stock-out, exactly at zero, and one below zero where the location allows it
        agreements = s.execute(
            select(SupplyAgreement.sku_id, SupplyAgreement.location_id)
            .where(SupplyAgreement.is_primary.is_(True), SupplyAgreement.active.is_(True))
            .order_by(SupplyAgreement.id.desc())
            .limit(4)
        ).all()
        for n, (sku_id, location_id) in enumerate(agreements[:2]):
            s.execute(update(Location).where(Location.id == location_id).values(allow_negative_stock=True))
            sku = s.get(Sku, sku_id)
            loc = s.get(Location, location_id)
            assert sku is not None and loc is not None
            now_on = select(StockLevel.on_hand).where(
                StockLevel.sku_id == sku_id, StockLevel.location_id == location_id
            )
            on_hand = Decimal(s.scalar(now_on) or 0)
            ledger.post_adjustment(s, manager, sku.part_number, loc.code, -on_hand - n, reason="parity test")
        # a backup agreement of another vendor for a primary pair (the supplier sees its own thresholds)
        sku_id, location_id = agreements[2]
        primary_vendor = s.scalar(
            select(SupplyAgreement.vendor_id).where(
                SupplyAgreement.sku_id == sku_id, SupplyAgreement.location_id == location_id
            )
        )
        other = s.scalar(select(Vendor.id).where(Vendor.id != primary_vendor).order_by(Vendor.id).limit(1))
        s.add(
            SupplyAgreement(
                vendor_id=other,
                sku_id=sku_id,
                location_id=location_id,
                min_qty=Decimal(1_000_000),
                max_qty=Decimal(2_000_000),
                is_primary=False,
                pair_on_hand=s.scalar(
                    select(func.coalesce(StockLevel.on_hand, 0)).where(
                        StockLevel.sku_id == sku_id, StockLevel.location_id == location_id
                    )
                )
                or Decimal(0),
                updated_by="test",
            )
        )
        # an inactive agreement (counted nowhere)
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.sku_id == agreements[3][0], SupplyAgreement.location_id == agreements[3][1])
            .values(active=False)
        )
        # a snoozed pair short of stock
        short = s.execute(
            select(SupplyAgreement.sku_id, SupplyAgreement.location_id)
            .join(
                StockLevel,
                and_(
                    StockLevel.sku_id == SupplyAgreement.sku_id, StockLevel.location_id == SupplyAgreement.location_id
                ),
            )
            .where(SupplyAgreement.is_primary.is_(True), StockLevel.on_hand < SupplyAgreement.min_qty)
            .limit(1)
        ).first()
        assert short is not None
        snooze(s, manager, [(short[0], short[1])], until=today + timedelta(days=5), reason="parity test")
    return db


def _actors(db: Database, manager: Actor) -> list[Actor]:
    with db.sessions() as s:
        vendors = s.execute(select(Vendor.id, Vendor.code).order_by(Vendor.id)).all()
    return [manager, *(vendor_actor(v.id, v.code) for v in vendors)]


# ------------------------------------------------------------------------------------------------ the tests


def test_pair_counts_and_attention_list_equal_the_joins_over_every_pair(world_db: Database, manager: Actor) -> None:
    seen = set()
    for actor in _actors(world_db, manager):
        with world_db.sessions() as s:
            counts = dashboard.pair_counts(s, actor)
            assert counts == old_pair_counts(s, actor), actor.name
            new = [
                (p.sku_id, p.location_id, p.part_number, p.location, p.on_hand, p.min_qty, p.max_qty)
                for p in dashboard.attention_pairs(s, actor, limit=10_000)
            ]
            assert new == old_attention(s, actor), actor.name
            seen.add(counts)
    # the world holds every case the figures count, for staff
    with world_db.sessions() as s:
        pairs, below, outs, over = dashboard.pair_counts(s, manager)
        on_order = s.scalar(
            select(func.count())
            .where(PurchaseOrderLine.status == "open", PurchaseOrder.status.in_(order_status.OPEN))
            .select_from(PurchaseOrderLine)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        )
        fractional = [
            p for p in dashboard.attention_pairs(s, manager, limit=10_000) if p.on_hand != p.on_hand.to_integral()
        ]
    assert pairs > below > outs >= 2 and over > 0 and (on_order or 0) > 0
    assert fractional and fractional[0].min_qty - fractional[0].on_hand == Decimal("0.001")
    assert len(seen) > 2  # the suppliers' scopes differ from staff's and from each other


def test_worklist_card_still_counts_what_the_worklist_holds(world_db: Database, manager: Actor) -> None:
    """Issue 12: the dashboard's "at or below min" and "on the worklist" cards are the worklist's count."""
    with world_db.sessions() as s:
        counts = WorklistQuery().counts(s, manager)
        rows = WorklistQuery().page(s, manager, PageRequest(), 0, 10_000)
    assert counts.total == len(rows) > 0


def test_supplier_scores_equal_the_full_scorecards_and_the_per_line_receipts(
    world_db: Database, manager: Actor
) -> None:
    since = (utcnow() - timedelta(days=365)).date()
    measured = 0
    for actor in _actors(world_db, manager):
        with world_db.sessions() as s:
            scores = {sc.vendor_id: sc for sc in metrics.vendor_scores(s, actor, since=since)}
            cards = {m.vendor_id: m for m in metrics.vendor_metrics(s, actor, since=since)}
            reference = old_fill(s, actor, since)
            visible_vendors = set(s.scalars(select(Vendor.id).where(vendor_filter(actor, Vendor.id))))
        assert set(scores) == set(cards) == visible_vendors
        for vendor_id, score in scores.items():
            card = cards[vendor_id]
            assert (score.fill_rate_units, score.response_median_hours, score.avg_cycle_days) == (
                card.fill_rate_units,
                card.response_median_hours,
                card.avg_cycle_days,
            )
            due, on_time = reference.get(vendor_id, (Decimal(0), Decimal(0)))
            assert (card.units_due, card.units_on_time) == (due, on_time)
            measured += score.fill_rate_units is not None
    assert measured >= 2
