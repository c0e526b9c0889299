"""Fleet health for the dashboard: a few set-based aggregations (no Qt).

These run on a worker thread; each is one statement over all pairs or
orders, filtered by the actor's scope, so the cost does not grow with a
loop of per-row queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from vmi_desktop import order_status
from vmi_desktop.db.search_sql import sqlite_index
from vmi_desktop.models import (
    Alert,
    Location,
    MovementKind,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockMovement,
    SupplyAgreement,
    Vendor,
    alert_is_open,
    utcnow,
)
from vmi_desktop.order_status import NOT_PLACED
from vmi_desktop.queries._sql import day_of, days_between
from vmi_desktop.scope import Actor, agreement_of, covers, location_filter, vendor_filter, visible


@dataclass(frozen=True)
class SupplierScore:
    """One vendor's recent performance; ``None`` where there is nothing to measure yet."""

    vendor_id: int
    code: str
    name: str
    fill_rate: float | None
    ack_hours: float | None
    cycle_days: float | None
    open_orders: int


@dataclass(frozen=True)
class PairRow:
    """A SKU x location that needs attention (below min or out of stock)."""

    sku_id: int
    location_id: int
    part_number: str
    location: str
    on_hand: Decimal
    min_qty: Decimal
    max_qty: Decimal


@dataclass(frozen=True)
class FleetHealth:
    """The dashboard's figures (the page assembles them from the statements below, run off the UI thread)."""

    pairs: int
    #: at or below min on the inventory position (the reorder check's and the worklist's measure)
    below_min: int
    stock_outs: int
    over_max: int
    open_alerts: int
    open_orders: dict[POStatus, int] = field(default_factory=dict)
    worst_suppliers: list[SupplierScore] = field(default_factory=list)
    attention: list[PairRow] = field(default_factory=list)
    #: rows of the replenishment worklist
    on_worklist: int = 0


#: The active primary agreements (an alias, so the scope's EXISTS over supply_agreements does not correlate
#: with it), and their WHERE spelled as the partial indexes' (``models.catalog.PRIMARY_SQL``).
_PA = aliased(SupplyAgreement, name="pa")
_PRIMARY = text("pa.is_primary AND pa.active")


def _own(actor: Actor) -> Any:
    """A supplier's own active agreements (its thresholds, never the primary vendor's of a pair it
    shares). Each is its own proof of scope (``scope.pair_filter`` asks for exactly such an agreement),
    so no EXISTS per row."""
    return agreement_of(actor, _PA)


def pair_counts(session: Session, actor: Actor) -> tuple[int, int, int, int]:
    """(pairs, on hand below min, stock-outs, over max) over the actor's agreements, in one statement.

    On hand is the ledger's copy on the agreement (``pair_on_hand``: written with every posting, in its
    transaction, onto every agreement of the pair; ``replenishment.pair_figures``), equal to the stock
    level (0 where nothing was ever posted). For staff each figure is then a range of a partial index of
    the primary agreements (migration 0009) instead of a join of a million agreements to their levels.

    "On hand below min" is the attention list's measure; the dashboard's "at or below min" card counts
    on the inventory position instead (``queries.worklist.WorklistQuery.counts``), as reorder does.
    """
    a = _PA
    short = a.pair_on_hand - a.min_qty
    if actor.is_supplier:
        row = session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((short < 0, 1), else_=0)), 0),
                func.coalesce(func.sum(case((a.pair_on_hand <= 0, 1), else_=0)), 0),
                func.coalesce(func.sum(case((a.pair_on_hand > a.max_qty, 1), else_=0)), 0),
            ).where(_own(actor))
        ).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def count(*conds: Any) -> Any:
        return select(func.count()).select_from(a).where(_PRIMARY, *conds).scalar_subquery()

    # the narrowest index of the primary agreements: SQLite's planner walks the worklist's wide one
    # (a third of the time); PostgreSQL plans without the hint
    pairs = sqlite_index(
        select(func.count()).select_from(a).where(_PRIMARY), a, "uq_supply_agreements_primary"
    ).scalar_subquery()
    # a stock-out is short of min too (min is never negative): the same range, its on hand read off the index
    row = session.execute(
        select(
            pairs,
            count(short < 0),
            count(short <= 0, a.pair_on_hand <= 0),
            count(a.pair_on_hand - a.max_qty > 0),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def attention_pairs(session: Session, actor: Actor, limit: int = 200) -> list[PairRow]:
    """Pairs below min, stock-outs first, then by how far below min they are (then SKU and location).

    Read from the start of the primary agreements' index by ``pair_on_hand - min_qty`` (see ``pair_counts``).
    """
    a = _PA
    short = a.pair_on_hand - a.min_qty
    which = _own(actor) if actor.is_supplier else _PRIMARY
    rows = session.execute(
        select(a.sku_id, a.location_id, Sku.part_number, Location.code, a.pair_on_hand, a.min_qty, a.max_qty)
        .join(Sku, Sku.id == a.sku_id)
        .join(Location, Location.id == a.location_id)
        .where(which, short < 0)
        .order_by(short.asc(), Sku.part_number, Location.code)
        .limit(limit)
    ).all()
    return [PairRow(r[0], r[1], r[2], r[3], Decimal(r[4]), Decimal(r[5]), Decimal(r[6])) for r in rows]


def open_orders_by_status(session: Session, actor: Actor) -> dict[POStatus, int]:
    """How many orders are in each open status."""
    rows = session.execute(
        select(PurchaseOrder.status, func.count())
        .where(PurchaseOrder.status.in_(order_status.OPEN), vendor_filter(actor, PurchaseOrder.vendor_id))
        .group_by(PurchaseOrder.status)
    ).all()
    counts = {status: 0 for status in POStatus if status in order_status.OPEN}
    counts.update({POStatus(r[0]): int(r[1]) for r in rows})
    return counts


def supplier_scores(session: Session, actor: Actor, *, days: int = 365, limit: int = 10) -> list[SupplierScore]:
    """Vendors by fill rate (worst first), with acknowledgement latency and cycle time.

    Fill rate = units received by the need-by day / units ordered, over orders
    placed in the last ``days`` days.
    """
    since = utcnow() - timedelta(days=days)
    placed = and_(
        PurchaseOrder.status.not_in(NOT_PLACED),
        PurchaseOrder.created_at >= since,
        vendor_filter(actor, PurchaseOrder.vendor_id),
    )
    ordered = dict(
        session.execute(
            select(PurchaseOrder.vendor_id, func.sum(PurchaseOrderLine.quantity_ordered))
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .where(placed, PurchaseOrderLine.status != POLineStatus.CANCELLED)
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    )
    due = func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by)
    on_time = dict(
        session.execute(
            select(PurchaseOrder.vendor_id, func.sum(StockMovement.quantity))
            .select_from(PurchaseOrder)
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .join(StockMovement, StockMovement.purchase_order_line_id == PurchaseOrderLine.id)
            .where(
                placed,
                StockMovement.kind == MovementKind.RECEIPT,
                or_(due.is_(None), day_of(session, StockMovement.occurred_at) <= due),
                visible(actor, StockMovement),
            )
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    )
    timing = {
        r[0]: (r[1], r[2])
        for r in session.execute(
            select(
                PurchaseOrder.vendor_id,
                func.avg(days_between(session, PurchaseOrder.sent_at, PurchaseOrder.acknowledged_at)),
                func.avg(days_between(session, PurchaseOrder.created_at, PurchaseOrder.received_at)),
            )
            .where(placed)
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    }
    open_counts = dict(
        session.execute(
            select(PurchaseOrder.vendor_id, func.count())
            .where(PurchaseOrder.status.in_(order_status.OPEN), vendor_filter(actor, PurchaseOrder.vendor_id))
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    )
    vendors = session.execute(
        select(Vendor.id, Vendor.code, Vendor.name).where(Vendor.active.is_(True), vendor_filter(actor, Vendor.id))
    ).all()
    scores = []
    for vid, code, name in vendors:
        units = float(ordered.get(vid) or 0)
        ack, cycle = timing.get(vid, (None, None))
        scores.append(
            SupplierScore(
                vendor_id=vid,
                code=code,
                name=name,
                fill_rate=min(1.0, float(on_time.get(vid) or 0) / units) if units else None,
                ack_hours=float(ack) * 24 if ack is not None else None,
                cycle_days=float(cycle) if cycle is not None else None,
                open_orders=int(open_counts.get(vid, 0)),
            )
        )
    # Worst first: measured vendors by fill rate, then slow acknowledgers; unmeasured last.
    scores.sort(
        key=lambda s: (
            s.fill_rate is None,
            s.fill_rate if s.fill_rate is not None else 2.0,
            -(s.ack_hours or 0.0),
            s.code,
        )
    )
    return scores[:limit]


def scores_from_metrics(session: Session, actor: Actor, *, days: int = 365, limit: int = 10) -> list[SupplierScore]:
    """Worst suppliers from the replenishment metrics module (its definitions: need-by in the period,
    median response latency; only the three figures shown: ``metrics.vendor_scores``); falls back to
    ``supplier_scores`` where that module is not installed."""
    try:
        from vmi_desktop.replenishment.metrics import vendor_scores
    except ImportError:
        return supplier_scores(session, actor, days=days, limit=limit)
    open_counts = dict(
        session.execute(
            select(PurchaseOrder.vendor_id, func.count())
            .where(PurchaseOrder.status.in_(order_status.OPEN), vendor_filter(actor, PurchaseOrder.vendor_id))
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    )
    since = (utcnow() - timedelta(days=days)).date()
    scores = [
        SupplierScore(
            vendor_id=m.vendor_id,
            code=m.vendor_code,
            name=m.vendor_name,
            fill_rate=float(m.fill_rate_units) if m.fill_rate_units is not None else None,
            ack_hours=m.response_median_hours,
            cycle_days=m.avg_cycle_days,
            open_orders=int(open_counts.get(m.vendor_id, 0)),
        )
        for m in vendor_scores(session, actor, since=since)
    ]
    scores.sort(
        key=lambda s: (
            s.fill_rate is None,
            s.fill_rate if s.fill_rate is not None else 2.0,
            -(s.ack_hours or 0.0),
            s.code,
        )
    )
    return scores[:limit]


def open_alert_count(session: Session, actor: Actor) -> int:
    """Alerts not yet resolved, in the actor's scope."""
    return int(
        session.scalar(select(func.count(Alert.id)).where(alert_is_open(), vendor_filter(actor, Alert.vendor_id))) or 0
    )


def find_pair(session: Session, actor: Actor, part_number: str, location_code: str) -> tuple[int, int] | None:
    """Ids of a SKU x location by codes, or None when unknown or out of scope."""
    sku_id = session.scalar(select(Sku.id).where(Sku.part_number == part_number.strip()))
    location_id = session.scalar(select(Location.id).where(Location.code == location_code.strip()))
    if sku_id is None or location_id is None:
        return None
    if actor.is_supplier and not covers(session, actor.vendor_id or 0, sku_id, location_id):
        return None
    return int(sku_id), int(location_id)


def location_codes(session: Session, actor: Actor) -> list[str]:
    """Active location codes the actor may see, for pickers."""
    return list(
        session.scalars(
            select(Location.code)
            .where(Location.active.is_(True), location_filter(actor, Location.id))
            .order_by(Location.code)
        )
    )
