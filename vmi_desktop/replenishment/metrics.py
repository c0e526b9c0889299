"""Supplier and inventory metrics for a period, aggregated in SQL (never by loading every row).

Definitions (the period is ``since`` .. ``until``, both dates inclusive, UTC):

- average order cycle time: mean of (received_at - created_at) over orders fully received in the period;
- fill rate (units): units received on or before each line's need-by date / units ordered, over lines
  of sent orders (not cancelled by us) whose need-by falls in the period; (lines): share of those lines
  received complete by their need-by date;
- order accuracy: share of received lines of finished orders (closed in the period) whose received
  quantity equals the quantity as acknowledged (or ordered, when never acknowledged);
- stock accuracy per SKU: share of cycle counts in the period whose counted quantity is within
  ``tolerance`` (a fraction of the system quantity) plus ``tolerance_abs`` of the system quantity;
- supplier response latency: sent -> acknowledged for orders we sent; for supplier-managed pairs,
  below-min alert -> the supplier's order that answered it. Median and 90th percentile are computed
  by the database: ``percentile_cont`` on PostgreSQL, an ordered window query on SQLite (same
  linear interpolation);
- per SKU x location: stock-outs (decrements that left on hand at or below zero), consumption, days
  of supply (on hand / average daily consumption), turns (consumption / average on hand after the
  period's movements, or on hand now without movements), slow mover (stock held, nothing consumed),
  excess (on hand above max, in units and at unit cost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from vmi_desktop.db.rls import own_movements, own_stock_levels, reads_as_supplier
from vmi_desktop.db.sqlfuncs import day_of, seconds_between
from vmi_desktop.models import (
    Alert,
    AlertKind,
    CycleCount,
    Location,
    MovementKind,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.models.base import Quantity
from vmi_desktop.replenishment._sql import to_decimal
from vmi_desktop.scope import Actor, agreement_of, may_see_vendor, pair_filter, vendor_filter, visible

RATIO = Decimal("0.0001")


@dataclass(frozen=True)
class Period:
    """Inclusive date range, with its UTC timestamp bounds."""

    since: date
    until: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """Exclusive upper bound."""
        return datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def _period(since: date, until: date | None) -> Period:
    until = until or utcnow().date()
    if until < since:
        from vmi_desktop.errors import ValidationError

        raise ValidationError(f"the period ends ({until}) before it starts ({since})")
    return Period(since, until)


def _ratio(num: Any, den: Any) -> Decimal | None:
    den_d = to_decimal(den) if den is not None else Decimal(0)
    if den_d == 0:
        return None
    return (Decimal(str(num or 0)) / den_d).quantize(RATIO)


@dataclass(frozen=True)
class VendorMetrics:
    """One vendor's scorecard for the period. Ratios are 0..1, None when there is nothing to measure."""

    vendor_id: int
    vendor_code: str
    vendor_name: str
    orders_received: int
    avg_cycle_days: float | None
    units_due: Decimal
    units_on_time: Decimal
    fill_rate_units: Decimal | None
    lines_due: int
    lines_complete: int
    fill_rate_lines: Decimal | None
    lines_received: int
    lines_accurate: int
    order_accuracy: Decimal | None
    response_samples: int
    response_median_hours: float | None
    response_p90_hours: float | None
    sla_fill_rate: Decimal | None
    sla_response_hours: int | None


@dataclass(frozen=True)
class SkuMetrics:
    """Inventory health and supplier fill rate of one SKU x location over the period."""

    vendor_id: int
    sku_id: int
    part_number: str
    location_id: int
    location_code: str
    on_hand: Decimal
    max_qty: Decimal
    consumed: Decimal
    stock_outs: int
    days_of_supply: Decimal | None
    turns: Decimal | None
    slow_mover: bool
    excess_qty: Decimal
    excess_value: Decimal
    units_due: Decimal
    units_on_time: Decimal
    fill_rate_units: Decimal | None
    fill_rate_lines: Decimal | None


@dataclass(frozen=True)
class StockAccuracy:
    """Cycle counts of one SKU in the period and how many were within tolerance."""

    sku_id: int
    part_number: str
    counts: int
    within_tolerance: int
    rate: Decimal | None


# ---------------------------------------------------------------------------------------------- building blocks


def _line_fill(session: Session, actor: Actor, p: Period) -> Any:
    """Per due line: vendor, pair, ordered, received by need-by (capped at ordered), complete flag.

    Each line's receipts are summed once, by a join grouped per line (the receipts' index covers what
    it reads); a correlated subquery per use read them three times per line.
    """
    need_by = func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by)
    received = (
        select(
            PurchaseOrder.vendor_id.label("vendor_id"),
            PurchaseOrderLine.sku_id.label("sku_id"),
            PurchaseOrder.location_id.label("location_id"),
            PurchaseOrderLine.quantity_ordered.label("ordered"),
            type_coerce(func.coalesce(func.sum(StockMovement.quantity), 0), Quantity).label("received_by"),
        )
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .outerjoin(
            StockMovement,
            and_(
                StockMovement.purchase_order_line_id == PurchaseOrderLine.id,
                StockMovement.kind == MovementKind.RECEIPT,
                day_of(session, StockMovement.occurred_at) <= need_by,
                visible(actor, StockMovement),
            ),
        )
        .where(
            need_by >= p.since,
            need_by <= p.until,
            PurchaseOrder.status.not_in([POStatus.DRAFT, POStatus.AWAITING_APPROVAL, POStatus.CANCELLED]),
            or_(PurchaseOrder.sent_at.is_not(None), PurchaseOrder.acknowledged_at.is_not(None)),
            visible(actor, PurchaseOrder),
        )
        .group_by(
            PurchaseOrderLine.id,
            PurchaseOrder.vendor_id,
            PurchaseOrderLine.sku_id,
            PurchaseOrder.location_id,
            PurchaseOrderLine.quantity_ordered,
        )
        .subquery("received_by_line")
    )
    r = received.c
    return select(
        r.vendor_id,
        r.sku_id,
        r.location_id,
        r.ordered,
        case((r.received_by > r.ordered, r.ordered), else_=r.received_by).label("on_time"),
        case((r.received_by >= r.ordered, 1), else_=0).label("complete"),
    ).subquery("line_fill")


def _latency_samples(session: Session, actor: Actor, p: Period, vendor_ids: list[int] | None) -> Any:
    """(vendor_id, seconds): sent -> acknowledged, and below-min alert -> supplier's answering order."""
    sent = select(
        PurchaseOrder.vendor_id.label("vendor_id"),
        seconds_between(session, PurchaseOrder.sent_at, PurchaseOrder.acknowledged_at).label("secs"),
    ).where(
        visible(actor, PurchaseOrder),
        PurchaseOrder.sent_at.is_not(None),
        PurchaseOrder.acknowledged_at.is_not(None),
        PurchaseOrder.origin != POOrigin.SUPPLIER,
        PurchaseOrder.acknowledged_at >= p.start,
        PurchaseOrder.acknowledged_at < p.end,
    )
    vmi = (
        select(
            PurchaseOrder.vendor_id.label("vendor_id"),
            seconds_between(session, Alert.created_at, PurchaseOrder.created_at).label("secs"),
        )
        .select_from(Alert)
        .join(PurchaseOrder, PurchaseOrder.id == Alert.purchase_order_id)
        .where(
            Alert.kind == AlertKind.BELOW_MIN,
            visible(actor, Alert),
            PurchaseOrder.origin == POOrigin.SUPPLIER,
            PurchaseOrder.created_at >= p.start,
            PurchaseOrder.created_at < p.end,
        )
    )
    if vendor_ids is not None:
        sent = sent.where(PurchaseOrder.vendor_id.in_(vendor_ids))
        vmi = vmi.where(PurchaseOrder.vendor_id.in_(vendor_ids))
    return union_all(sent, vmi).subquery("samples")


def response_latency(
    session: Session, actor: Actor, since: date, until: date | None = None, vendor_ids: list[int] | None = None
) -> dict[int, tuple[int, float | None, float | None]]:
    """Per vendor ``actor`` sees: (samples, median hours, 90th percentile hours), percentiles by the database."""
    p = _period(since, until)
    s = _latency_samples(session, actor, p, vendor_ids)
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(
            s.c.vendor_id,
            func.count(),
            func.percentile_cont(0.5).within_group(s.c.secs),
            func.percentile_cont(0.9).within_group(s.c.secs),
        ).group_by(s.c.vendor_id)
    else:
        # percentile_cont by hand: ordered window, then interpolate between the two neighbouring ranks.
        ranked = select(
            s.c.vendor_id,
            s.c.secs,
            (func.row_number().over(partition_by=s.c.vendor_id, order_by=s.c.secs) - 1).label("rn"),
            func.count().over(partition_by=s.c.vendor_id).label("n"),
        ).subquery("ranked")

        def pct(q: float) -> Any:
            pos = literal(q) * (ranked.c.n - 1)
            floor = cast(pos, Integer)
            frac = pos - floor
            return func.sum(
                case(
                    (ranked.c.rn == floor, ranked.c.secs * (1 - frac)),
                    (ranked.c.rn == floor + 1, ranked.c.secs * frac),
                    else_=0.0,
                )
            )

        stmt = select(ranked.c.vendor_id, func.max(ranked.c.n), pct(0.5), pct(0.9)).group_by(ranked.c.vendor_id)
    return {
        vendor_id: (
            int(n),
            float(med) / 3600 if med is not None else None,
            float(p90) / 3600 if p90 is not None else None,
        )
        for vendor_id, n, med, p90 in session.execute(stmt)
    }


# ---------------------------------------------------------------------------------------------- per vendor


def _vendors(session: Session, actor: Actor, vendor_id: int | None) -> list[Any]:
    """(id, code, name) of the vendors ``actor`` may see (or of one), by code."""
    stmt = select(Vendor.id, Vendor.code, Vendor.name).where(vendor_filter(actor, Vendor.id))
    if vendor_id is not None:
        stmt = stmt.where(Vendor.id == vendor_id)
    return list(session.execute(stmt.order_by(Vendor.code)).all())


def _cycle(session: Session, p: Period, ids: list[int]) -> dict[int, tuple[int, Any]]:
    """Per vendor: (orders fully received in the period, mean seconds from creation to receipt)."""
    return {
        r[0]: (int(r[1]), r[2])
        for r in session.execute(
            select(
                PurchaseOrder.vendor_id,
                func.count(),
                func.avg(seconds_between(session, PurchaseOrder.created_at, PurchaseOrder.received_at)),
            )
            .where(
                PurchaseOrder.status == POStatus.RECEIVED,
                PurchaseOrder.received_at >= p.start,
                PurchaseOrder.received_at < p.end,
                PurchaseOrder.vendor_id.in_(ids),
            )
            .group_by(PurchaseOrder.vendor_id)
        )
    }


def _fill(session: Session, actor: Actor, p: Period, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Per vendor: (units due, units on time, lines due, lines complete) over the period's due lines."""
    lf = _line_fill(session, actor, p)
    return {
        r[0]: tuple(r[1:])
        for r in session.execute(
            select(
                lf.c.vendor_id, func.sum(lf.c.ordered), func.sum(lf.c.on_time), func.count(), func.sum(lf.c.complete)
            )
            .where(lf.c.vendor_id.in_(ids))
            .group_by(lf.c.vendor_id)
        )
    }


@dataclass(frozen=True)
class VendorScore:
    """The part of a vendor's scorecard the dashboard ranks suppliers by (``VendorMetrics``' definitions)."""

    vendor_id: int
    vendor_code: str
    vendor_name: str
    fill_rate_units: Decimal | None
    response_median_hours: float | None
    avg_cycle_days: float | None


def vendor_scores(session: Session, actor: Actor, *, since: date, until: date | None = None) -> list[VendorScore]:
    """Fill rate (units), median response and cycle time of every vendor the actor may see, exactly as
    ``vendor_metrics`` gives them, without the rest of the scorecard (order accuracy, SLA terms over
    every agreement: most of its time on a large database)."""
    p = _period(since, until)
    base = _score_base(session, actor, p, None)
    if base is None:
        return []
    vendors, _ids, cycle, fill, latency = base
    out = []
    for v in vendors:
        _received, avg_secs = cycle.get(v.id, (0, None))
        ordered, on_time, _lines, _complete = fill.get(v.id, (0, 0, 0, 0))
        _samples, med, _p90 = latency.get(v.id, (0, None, None))
        out.append(
            VendorScore(
                vendor_id=v.id,
                vendor_code=v.code,
                vendor_name=v.name,
                fill_rate_units=_ratio(to_decimal(on_time), ordered),
                response_median_hours=_hours(med),
                avg_cycle_days=_days(avg_secs),
            )
        )
    return out


def _score_base(
    session: Session, actor: Actor, p: Period, vendor_id: int | None
) -> tuple[list[Any], list[int], dict[int, Any], dict[int, Any], dict[int, Any]] | None:
    """What ``vendor_scores`` and ``vendor_metrics`` both read: the vendors, their ids, cycle times, fill
    and response latency over the period (None when the actor sees no vendor)."""
    vendors = _vendors(session, actor, vendor_id)
    ids = [v.id for v in vendors]
    if not ids:
        return None
    cycle = _cycle(session, p, ids)
    fill = _fill(session, actor, p, ids)
    latency = response_latency(session, actor, p.since, p.until, ids)
    return vendors, ids, cycle, fill, latency


def _days(seconds: Any) -> float | None:
    """An average cycle in seconds as days, rounded as the scorecards show it."""
    return round(float(seconds) / 86400, 4) if seconds is not None else None


def _hours(hours: float | None) -> float | None:
    """Response hours rounded as the scorecards show them."""
    return round(hours, 4) if hours is not None else None


def vendor_metrics(
    session: Session, actor: Actor, *, since: date, until: date | None = None, vendor_id: int | None = None
) -> list[VendorMetrics]:
    """Scorecards of every vendor the actor may see (a supplier: its own), or of one vendor."""
    p = _period(since, until)
    base = _score_base(session, actor, p, vendor_id)
    if base is None:
        return []
    vendors, ids, cycle, fill, latency = base
    expected = func.coalesce(PurchaseOrderLine.quantity_acknowledged, PurchaseOrderLine.quantity_ordered)
    accuracy = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                PurchaseOrder.vendor_id,
                func.count(),
                func.sum(case((PurchaseOrderLine.quantity_received == expected, 1), else_=0)),
            )
            .select_from(PurchaseOrderLine)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(
                PurchaseOrder.status.in_([POStatus.RECEIVED, POStatus.CANCELLED]),
                PurchaseOrder.closed_at >= p.start,
                PurchaseOrder.closed_at < p.end,
                PurchaseOrderLine.quantity_received > 0,
                PurchaseOrder.vendor_id.in_(ids),
            )
            .group_by(PurchaseOrder.vendor_id)
        )
    }
    sla = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                SupplyAgreement.vendor_id,
                func.max(SupplyAgreement.sla_fill_rate),
                func.min(SupplyAgreement.sla_response_hours),
            )
            .where(SupplyAgreement.active.is_(True), SupplyAgreement.vendor_id.in_(ids))
            .group_by(SupplyAgreement.vendor_id)
        )
    }
    out = []
    for v in vendors:
        n_received, avg_secs = cycle.get(v.id, (0, None))
        ordered, on_time, lines_due, complete = fill.get(v.id, (0, 0, 0, 0))
        received_lines, accurate = accuracy.get(v.id, (0, 0))
        samples, med, p90 = latency.get(v.id, (0, None, None))
        sla_fill, sla_hours = sla.get(v.id, (None, None))
        out.append(
            VendorMetrics(
                vendor_id=v.id,
                vendor_code=v.code,
                vendor_name=v.name,
                orders_received=n_received,
                avg_cycle_days=_days(avg_secs),
                units_due=to_decimal(ordered),
                units_on_time=to_decimal(on_time),
                fill_rate_units=_ratio(to_decimal(on_time), ordered),
                lines_due=int(lines_due or 0),
                lines_complete=int(complete or 0),
                fill_rate_lines=_ratio(complete, lines_due),
                lines_received=int(received_lines or 0),
                lines_accurate=int(accurate or 0),
                order_accuracy=_ratio(accurate, received_lines),
                response_samples=samples,
                response_median_hours=_hours(med),
                response_p90_hours=_hours(p90),
                sla_fill_rate=Decimal(str(sla_fill)).quantize(RATIO) if sla_fill is not None else None,
                sla_response_hours=int(sla_hours) if sla_hours is not None else None,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------- per SKU


def sku_metrics(
    session: Session,
    actor: Actor,
    *,
    since: date,
    until: date | None = None,
    vendor_id: int | None = None,
    limit: int | None = None,
    worst_first: bool = False,
) -> list[SkuMetrics]:
    """Inventory health and fill rate per SKU x location: of the primary agreements (staff), of one vendor's
    agreements (``vendor_id``), or of a supplier's own agreements (its max and price, never the primary
    vendor's for a pair it shares; another vendor's figures are not its to see).

    In part number and location order; ``worst_first``: slow movers first, then the largest excess (what
    a supplier looks at first), sorted by the database so that ``limit`` reads only those rows."""
    p = _period(since, until)
    if vendor_id is not None and not may_see_vendor(actor, vendor_id):
        return []
    own = actor.is_supplier and actor.vendor_id is not None and reads_as_supplier(session, actor.vendor_id)
    mv = _period_movements(actor, vendor_id, p, own=own)
    lf = _line_fill(session, actor, p)
    fill = (
        select(
            lf.c.vendor_id,
            lf.c.sku_id,
            lf.c.location_id,
            func.sum(lf.c.ordered).label("ordered"),
            func.sum(lf.c.on_time).label("on_time"),
            func.count().label("lines"),
            func.sum(lf.c.complete).label("complete"),
        )
        .group_by(lf.c.vendor_id, lf.c.sku_id, lf.c.location_id)
        .subquery("fill")
    )
    a = SupplyAgreement
    # on a supplier's own login its stock rows come from migration 0015's function: the same rows without
    # the policy's probe of the agreements per row
    levels: Any = own_stock_levels() if own else StockLevel
    stock = levels.c if own else StockLevel
    level = func.coalesce(stock.on_hand, 0)
    stmt = (
        select(
            a.vendor_id,
            a.sku_id,
            Sku.part_number,
            a.location_id,
            Location.code,
            a.max_qty,
            # a supplier values excess at its own price: the customer's cost may be another vendor's price
            (a.unit_price if actor.is_supplier else Sku.unit_cost).label("unit_cost"),
            level.label("on_hand"),
            mv.c.consumed,
            mv.c.stock_outs,
            mv.c.avg_on_hand,
            fill.c.ordered,
            fill.c.on_time,
            fill.c.lines,
            fill.c.complete,
        )
        .join(Sku, Sku.id == a.sku_id)
        .join(Location, Location.id == a.location_id)
        .outerjoin(levels, and_(stock.sku_id == a.sku_id, stock.location_id == a.location_id))
        .outerjoin(mv, and_(mv.c.sku_id == a.sku_id, mv.c.location_id == a.location_id))
        .outerjoin(
            fill, and_(fill.c.vendor_id == a.vendor_id, fill.c.sku_id == a.sku_id, fill.c.location_id == a.location_id)
        )
        .where(*_health_pairs(actor, vendor_id))
    )
    if worst_first:
        unused = and_(level > 0, func.coalesce(mv.c.consumed, 0) == 0)  # a slow mover
        above_max = case((level > a.max_qty, level - a.max_qty), else_=0)
        stmt = stmt.order_by(case((unused, 0), else_=1), above_max.desc(), Sku.part_number, Location.code)
    else:
        stmt = stmt.order_by(Sku.part_number, Location.code)
    if limit is not None:
        stmt = stmt.limit(limit)
    days, zero, tenth, cent, no_value = p.days, Decimal(0), Decimal("0.1"), Decimal("0.01"), Decimal("0.00")
    out = []
    # rows unpacked by position and the constants above made once: an export reads every pair of a
    # supplier (198,232 in the benchmark world), and this loop was half of its time
    for (
        vendor_of,
        sku_id,
        part_number,
        location_id,
        location_code,
        max_raw,
        unit_cost,
        on_hand_raw,
        consumed_raw,
        stock_outs,
        avg_raw,
        ordered,
        on_time_raw,
        lines,
        complete,
    ) in session.execute(stmt).tuples():
        on_hand = to_decimal(on_hand_raw)
        consumed = to_decimal(consumed_raw)
        max_qty = to_decimal(max_raw)
        avg_on_hand = to_decimal(avg_raw) if avg_raw is not None else on_hand
        daily = consumed / days
        excess = on_hand - max_qty if on_hand > max_qty else zero
        on_time = to_decimal(on_time_raw)
        out.append(
            SkuMetrics(
                vendor_id=vendor_of,
                sku_id=sku_id,
                part_number=part_number,
                location_id=location_id,
                location_code=location_code,
                on_hand=on_hand,
                max_qty=max_qty,
                consumed=consumed,
                stock_outs=int(stock_outs or 0),
                days_of_supply=(on_hand / daily).quantize(tenth) if daily > 0 else None,
                turns=(consumed / avg_on_hand).quantize(cent) if avg_on_hand > 0 else None,
                slow_mover=on_hand > 0 and consumed == 0,
                excess_qty=excess,
                excess_value=(excess * Decimal(str(unit_cost or 0))).quantize(cent) if excess else no_value,
                units_due=to_decimal(ordered),
                units_on_time=on_time,
                fill_rate_units=_ratio(on_time, ordered) if ordered is not None else None,
                fill_rate_lines=_ratio(complete, lines) if lines else None,
            )
        )
    return out


def _period_movements(actor: Actor, vendor_id: int | None, p: Period, *, own: bool) -> Subquery:
    """Each reported pair's consumption, stock-outs (a movement that left nothing on hand) and average on
    hand after its movements over the period.

    Read pair by pair from the ledger's pair index (which covers what is summed), not the whole ledger's
    period by time: a supplier's pairs are a fifth of it. ``own``: the session is the supplier's own
    login (``db.rls.reads_as_supplier``), whose movements come from migration 0015's function: the same
    rows without the policy's probe of the agreements per movement."""
    rows: Any
    if own:
        rows = own_movements(p.start, p.end).c
        keys = (rows.sku_id, rows.location_id)
        source = select(*keys)
    else:
        ha = aliased(SupplyAgreement, name="ha")
        rows = StockMovement
        period = and_(
            rows.sku_id == ha.sku_id,
            rows.location_id == ha.location_id,
            rows.occurred_at >= p.start,
            rows.occurred_at < p.end,
        )
        keys = (ha.sku_id, ha.location_id)
        source = select(*keys).select_from(ha).join(rows, period).where(*_health_pairs(actor, vendor_id, ha))
    return (
        source.with_only_columns(
            keys[0].label("sku_id"),
            keys[1].label("location_id"),
            func.sum(case((rows.kind == MovementKind.CONSUMPTION, -rows.quantity), else_=0)).label("consumed"),
            func.sum(case((and_(rows.quantity < 0, rows.on_hand_after <= 0), 1), else_=0)).label("stock_outs"),
            type_coerce(func.avg(rows.on_hand_after), Quantity).label("avg_on_hand"),
            maintain_column_froms=True,
        )
        .group_by(*keys)
        .subquery("mv")
    )


def _health_pairs(actor: Actor, vendor_id: int | None, a: Any = SupplyAgreement) -> list[ColumnElement[bool]]:
    """Which agreements ``sku_metrics`` reports: one vendor's all, a supplier's own, else each pair's primary
    (at most one agreement per pair in each case)."""
    conds = [a.active.is_(True), pair_filter(actor, a.sku_id, a.location_id), vendor_filter(actor, a.vendor_id)]
    if vendor_id is not None:
        conds.append(a.vendor_id == vendor_id)
    elif actor.is_supplier:
        conds.append(agreement_of(actor, a))
    else:
        conds.append(a.is_primary.is_(True))
    return conds


def sku_metrics_count(session: Session, actor: Actor, *, vendor_id: int | None = None) -> int:
    """How many rows ``sku_metrics`` gives (without reading a single movement)."""
    if vendor_id is not None and not may_see_vendor(actor, vendor_id):
        return 0
    stmt = select(func.count()).select_from(SupplyAgreement).where(*_health_pairs(actor, vendor_id))
    return int(session.scalar(stmt) or 0)


def stock_accuracy(
    session: Session,
    actor: Actor,
    *,
    since: date,
    until: date | None = None,
    tolerance: Decimal = Decimal("0.02"),
    tolerance_abs: Decimal = Decimal(0),
    vendor_id: int | None = None,
) -> list[StockAccuracy]:
    """Per SKU: cycle counts within ``tolerance_abs + tolerance * system quantity`` / all counts."""
    p = _period(since, until)
    if vendor_id is not None and not may_see_vendor(actor, vendor_id):
        return []
    # abs() keeps the quantity type so both engines compare in the same units
    variance = type_coerce(func.abs(CycleCount.counted_qty - CycleCount.system_qty), Quantity)
    system = type_coerce(func.abs(CycleCount.system_qty), Quantity)
    within = variance <= literal(tolerance_abs, Quantity) + system * tolerance
    stmt = (
        select(CycleCount.sku_id, Sku.part_number, func.count(), func.sum(case((within, 1), else_=0)))
        .join(Sku, Sku.id == CycleCount.sku_id)
        .where(
            CycleCount.counted_at >= p.start,
            CycleCount.counted_at < p.end,
            pair_filter(actor, CycleCount.sku_id, CycleCount.location_id),
        )
        .group_by(CycleCount.sku_id, Sku.part_number)
        .order_by(Sku.part_number)
    )
    if vendor_id is not None:
        stmt = stmt.where(
            select(SupplyAgreement.id)
            .where(
                SupplyAgreement.vendor_id == vendor_id,
                SupplyAgreement.sku_id == CycleCount.sku_id,
                SupplyAgreement.location_id == CycleCount.location_id,
            )
            .exists()
        )
    return [
        StockAccuracy(sku_id, pn, int(n), int(ok or 0), _ratio(ok, n)) for sku_id, pn, n, ok in session.execute(stmt)
    ]


# ---------------------------------------------------------------------------------------------- SLA


def sla_breaches(
    session: Session, actor: Actor, *, since: date, until: date | None = None
) -> list[tuple[str, int, str]]:
    """(cause_key, vendor_id, message) for every vendor ``actor`` sees measured worse than its agreed service level."""
    out = []
    for m in vendor_metrics(session, actor, since=since, until=until):
        if m.sla_fill_rate is not None and m.fill_rate_units is not None and m.fill_rate_units < m.sla_fill_rate:
            out.append(
                (
                    f"sla:fill:{m.vendor_id}",
                    m.vendor_id,
                    f"{m.vendor_code}: fill rate {m.fill_rate_units:.1%} is below the agreed {m.sla_fill_rate:.1%}",
                )
            )
        if (
            m.sla_response_hours is not None
            and m.response_median_hours is not None
            and m.response_median_hours > m.sla_response_hours
        ):
            out.append(
                (
                    f"sla:response:{m.vendor_id}",
                    m.vendor_id,
                    f"{m.vendor_code}: median response {m.response_median_hours:.1f} h exceeds the agreed "
                    f"{m.sla_response_hours} h",
                )
            )
    return out
