"""Series for the charts: stock on hand, consumption, vendor performance (no Qt).

Everything is aggregated in SQL and returned as numpy arrays of float64
(x = seconds since 1970 UTC), ready for ``PlotDataItem.setData``. Floats are
fine here: they are only drawn or exported, never posted back to the ledger.
Each function applies the actor's scope; an out-of-scope pair gives empty
series rather than an error, exactly as if it had no history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import chain

import numpy as np
from sqlalchemy import and_, exists, func, or_, select, true
from sqlalchemy.orm import Session

from vmi_desktop.db.sqlfuncs import as_float, epoch_seconds
from vmi_desktop.models import (
    MovementKind,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    SupplyAgreement,
    utcnow,
)
from vmi_desktop.order_status import NOT_PLACED
from vmi_desktop.queries._sql import day_of, days_between, epoch, month_of
from vmi_desktop.scope import Actor, agreement_of, pair_filter, vendor_filter, visible

_EMPTY = np.zeros(0, dtype=np.float64)


def _arr(values: list[float]) -> np.ndarray:
    return np.asarray(values, dtype=np.float64) if values else _EMPTY.copy()


@dataclass(frozen=True)
class StockSeries:
    """On hand of one SKU x location after every movement, with thresholds and markers."""

    times: np.ndarray
    on_hand: np.ndarray
    min_qty: Decimal | None = None
    max_qty: Decimal | None = None
    order_times: np.ndarray = field(default_factory=lambda: _EMPTY.copy())
    order_quantities: np.ndarray = field(default_factory=lambda: _EMPTY.copy())
    order_numbers: tuple[str, ...] = ()
    receipt_times: np.ndarray = field(default_factory=lambda: _EMPTY.copy())
    receipt_quantities: np.ndarray = field(default_factory=lambda: _EMPTY.copy())
    receipt_on_hand: np.ndarray = field(default_factory=lambda: _EMPTY.copy())

    def on_hand_at(self, times: np.ndarray) -> np.ndarray:
        """The step value in force at each of ``times`` (0 before the first movement)."""
        if not len(self.times):
            return np.zeros(len(times))
        idx = np.searchsorted(self.times, times, side="right") - 1
        return np.where(idx >= 0, self.on_hand[np.clip(idx, 0, None)], 0.0)


def thresholds(session: Session, actor: Actor, sku_id: int, location_id: int) -> tuple[Decimal, Decimal] | None:
    """Min and max the actor goes by for the pair: the active primary agreement's (staff), a supplier's own."""
    row = session.execute(
        select(SupplyAgreement.min_qty, SupplyAgreement.max_qty)
        .where(
            SupplyAgreement.sku_id == sku_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.active.is_(True),
            agreement_of(actor, SupplyAgreement),
        )
        .order_by(SupplyAgreement.is_primary.desc(), SupplyAgreement.id)
        .limit(1)
    ).first()
    return (Decimal(row[0]), Decimal(row[1])) if row else None


def stock_series(
    session: Session,
    actor: Actor,
    sku_id: int,
    location_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> StockSeries:
    """On hand after each movement (``stock_movements.on_hand_after``), in time order."""
    in_scope = pair_filter(actor, StockMovement.sku_id, StockMovement.location_id)
    conds = [StockMovement.sku_id == sku_id, StockMovement.location_id == location_id, in_scope]
    if start is not None:
        conds.append(StockMovement.occurred_at >= start)
    if end is not None:
        conds.append(StockMovement.occurred_at <= end)
    # floats straight from SQL: ten years of movements are thousands of rows, only drawn
    # (Core, not the ORM's row loading; values straight into the array: a Row handed to numpy is
    # probed for array attributes, which cost more than the query)
    rows = (
        session.connection()
        .execute(
            select(
                epoch_seconds(session, StockMovement.occurred_at),
                as_float(session, StockMovement.on_hand_after),
                StockMovement.kind == MovementKind.RECEIPT,
                as_float(session, StockMovement.quantity),
            )
            .where(*conds)
            .order_by(StockMovement.occurred_at, StockMovement.id)
        )
        .all()
    )
    table = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=4 * len(rows)).reshape(-1, 4)
    table[:, 0] = np.round(table[:, 0], 3)  # julianday() on SQLite is exact to ~20 µs
    times, on_hand = table[:, 0].copy(), table[:, 1].copy()
    if not rows:
        return StockSeries(times, on_hand)
    receipts = table[table[:, 2] != 0]
    limits = thresholds(session, actor, sku_id, location_id)
    orders = session.execute(
        select(PurchaseOrder.created_at, PurchaseOrder.po_number, func.sum(PurchaseOrderLine.quantity_ordered))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            PurchaseOrderLine.sku_id == sku_id,
            PurchaseOrder.location_id == location_id,
            PurchaseOrder.status.not_in([POStatus.REJECTED]),
            vendor_filter(actor, PurchaseOrder.vendor_id),
        )
        .group_by(PurchaseOrder.id, PurchaseOrder.created_at, PurchaseOrder.po_number)
        .order_by(PurchaseOrder.created_at)
    ).all()
    series = StockSeries(
        times=times,
        on_hand=on_hand,
        min_qty=limits[0] if limits else None,
        max_qty=limits[1] if limits else None,
        order_times=_arr([o[0].timestamp() for o in orders]),
        order_quantities=_arr([float(o[2]) for o in orders]),
        order_numbers=tuple(o[1] for o in orders),
        receipt_times=receipts[:, 0].copy(),
        receipt_quantities=receipts[:, 3].copy(),
        receipt_on_hand=receipts[:, 1].copy(),
    )
    return series


@dataclass(frozen=True)
class BucketSeries:
    """Quantities per period; ``starts`` are the periods' first days (epoch seconds, UTC)."""

    starts: np.ndarray
    quantities: np.ndarray
    width_s: float

    @property
    def days(self) -> list[date]:
        return [datetime.fromtimestamp(t, UTC).date() for t in self.starts]


DAY_S = 86400.0


def consumption_daily(
    session: Session, actor: Actor, sku_id: int, location_id: int, *, start: date | None = None, end: date | None = None
) -> BucketSeries:
    """Units consumed per UTC day (days without consumption are left out)."""
    day = day_of(session, StockMovement.occurred_at)
    conds = [
        StockMovement.sku_id == sku_id,
        StockMovement.location_id == location_id,
        StockMovement.kind == MovementKind.CONSUMPTION,
        pair_filter(actor, StockMovement.sku_id, StockMovement.location_id),
    ]
    if start is not None:
        conds.append(StockMovement.occurred_at >= datetime(start.year, start.month, start.day, tzinfo=UTC))
    if end is not None:
        after = end + timedelta(days=1)
        conds.append(StockMovement.occurred_at < datetime(after.year, after.month, after.day, tzinfo=UTC))
    # each day's midnight as epoch seconds and the units as floats, computed in SQL (what is drawn)
    rows = (
        session.connection()
        .execute(
            select(epoch_seconds(session, day), as_float(session, -func.sum(StockMovement.quantity)))
            .where(*conds)
            .group_by(day)
            .order_by(day)
        )
        .all()
    )
    table = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=2 * len(rows)).reshape(-1, 2)
    return BucketSeries(np.round(table[:, 0]), table[:, 1].copy(), DAY_S)


def weekly(daily: BucketSeries) -> BucketSeries:
    """Roll daily buckets up to ISO weeks (Monday starts) with one vectorised pass."""
    if not len(daily.starts):
        return BucketSeries(_EMPTY.copy(), _EMPTY.copy(), 7 * DAY_S)
    day_index = np.floor(daily.starts / DAY_S).astype(np.int64)
    # 1970-01-01 was a Thursday: shift by 3 so Monday is day 0 of each week.
    week_index = (day_index + 3) // 7
    weeks, inverse = np.unique(week_index, return_inverse=True)
    sums = np.bincount(inverse, weights=daily.quantities)
    starts = (weeks * 7 - 3).astype(np.float64) * DAY_S
    return BucketSeries(starts, sums.astype(np.float64), 7 * DAY_S)


@dataclass(frozen=True)
class VendorSeries:
    """Monthly fill rate (0..1) and mean cycle time (days) of one vendor; NaN where undefined."""

    months: np.ndarray  # epoch seconds of the first day of each month
    fill_rate: np.ndarray
    cycle_days: np.ndarray
    ordered: np.ndarray
    received_on_time: np.ndarray
    #: The agreed fill rate (lowest over the vendor's active agreements that set one), for a target line.
    sla_fill_rate: float | None = None


def _month_start(key: str) -> float:
    year, month = key.split("-")[:2]
    return epoch(date(int(year), int(month), 1))


def vendor_monthly(session: Session, actor: Actor, vendor_id: int, sku_id: int | None = None) -> VendorSeries:
    """Fill rate by month of order (units received by the need-by day / units ordered)
    and mean cycle time (creation to full receipt) by month of receipt.

    With ``sku_id``: the vendor's performance on that part only (its lines, the orders holding one).
    """
    in_scope = vendor_filter(actor, PurchaseOrder.vendor_id)
    placed = and_(PurchaseOrder.vendor_id == vendor_id, PurchaseOrder.status.not_in(NOT_PLACED), in_scope)
    part = true() if sku_id is None else PurchaseOrderLine.sku_id == sku_id
    holds_part = (
        true()
        if sku_id is None
        else exists(
            select(PurchaseOrderLine.id).where(
                PurchaseOrderLine.purchase_order_id == PurchaseOrder.id, PurchaseOrderLine.sku_id == sku_id
            )
        )
    )
    month = month_of(session, PurchaseOrder.created_at)
    ordered_rows = session.execute(
        select(month, func.sum(PurchaseOrderLine.quantity_ordered))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(placed, part, PurchaseOrderLine.status != POLineStatus.CANCELLED)
        .group_by(month)
    ).all()
    due = func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by)
    on_time_rows = session.execute(
        select(month, func.sum(StockMovement.quantity))
        .select_from(PurchaseOrder)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .join(StockMovement, StockMovement.purchase_order_line_id == PurchaseOrderLine.id)
        .where(
            placed,
            part,
            StockMovement.kind == MovementKind.RECEIPT,
            or_(due.is_(None), day_of(session, StockMovement.occurred_at) <= due),
            visible(actor, StockMovement),
        )
        .group_by(month)
    ).all()
    recv_month = month_of(session, PurchaseOrder.received_at)
    cycle_rows = session.execute(
        select(recv_month, func.avg(days_between(session, PurchaseOrder.created_at, PurchaseOrder.received_at)))
        .where(placed, holds_part, PurchaseOrder.received_at.is_not(None))
        .group_by(recv_month)
    ).all()
    ordered = {r[0]: float(r[1] or 0) for r in ordered_rows}
    on_time = {r[0]: float(r[1] or 0) for r in on_time_rows}
    cycle = {r[0]: float(r[1]) for r in cycle_rows if r[1] is not None}
    sla = session.scalar(
        select(func.min(SupplyAgreement.sla_fill_rate)).where(
            SupplyAgreement.vendor_id == vendor_id,
            SupplyAgreement.active.is_(True),
            true() if sku_id is None else SupplyAgreement.sku_id == sku_id,
            vendor_filter(actor, SupplyAgreement.vendor_id),
        )
    )
    keys = sorted(set(ordered) | set(cycle))
    fill = [min(1.0, on_time.get(k, 0.0) / ordered[k]) if ordered.get(k) else np.nan for k in keys]
    return VendorSeries(
        months=_arr([_month_start(k) for k in keys]),
        fill_rate=_arr(fill),
        cycle_days=_arr([cycle.get(k, np.nan) for k in keys]),
        ordered=_arr([ordered.get(k, 0.0) for k in keys]),
        received_on_time=_arr([on_time.get(k, 0.0) for k in keys]),
        sla_fill_rate=float(sla) if sla is not None else None,
    )


def default_window_start(years: int = 10) -> datetime:
    """Start of the default chart window (the whole history for most pairs)."""
    return utcnow() - timedelta(days=365 * years)
