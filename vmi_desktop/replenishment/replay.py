"""Replay a min/max policy on real daily demand: what fill rate and stock it would have given.

Exactly the reorder trigger's rules, day by day, for many pairs at once (numpy over pairs, one
step per day):

1. the day's demand is served from on hand; what is missing is backordered;
2. orders due that day arrive (an order placed on day t arrives on day t + lead, after that
   day's demand; with no lead time it arrives at once) and fill the backorders first;
3. when the position (on hand - backorders + on order) is at or below min, an order for
   max - position, rounded up to the pack and at least the MOQ, is placed.

A replay starts with on hand = max and nothing on order, as right after a delivery. On hand is
measured at the end of each day. No database here: ``replenishment.thresholds`` reads the
ledger and calls this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vmi_desktop.errors import ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ReplayResult:
    """Per pair: units demanded and filled from stock, stock-out days, mean on hand, orders placed."""

    demanded: FloatArray
    filled: FloatArray
    stockout_days: IntArray
    mean_on_hand: FloatArray  # units, end of day
    orders: IntArray
    on_hand: FloatArray | None = None  # (pairs, days) end-of-day on hand, when asked for

    @property
    def fill_rate(self) -> FloatArray:
        """Filled / demanded per pair (NaN where nothing was demanded)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.demanded > 0, self.filled / np.where(self.demanded > 0, self.demanded, 1), np.nan)

    def total_fill_rate(self) -> float:
        """Units filled / units demanded over every pair (1.0 when nothing was demanded)."""
        demanded = float(self.demanded.sum())
        return float(self.filled.sum()) / demanded if demanded > 0 else 1.0


def order_quantities(need: FloatArray, pack: FloatArray, moq: FloatArray) -> FloatArray:
    """``reorder.order_quantity`` over arrays: need rounded up to packs, at least the MOQ in packs."""
    packs = np.ceil(need / pack - 1e-9)
    qty = packs * pack
    moq_qty = np.ceil(moq / pack - 1e-9) * pack
    return np.where(need > 0, np.maximum(qty, moq_qty), 0.0)


def replay(
    demand: npt.ArrayLike,
    min_qty: npt.ArrayLike,
    max_qty: npt.ArrayLike,
    lead_days: npt.ArrayLike,
    *,
    pack: npt.ArrayLike = 1.0,
    moq: npt.ArrayLike = 0.0,
    keep_on_hand: bool = False,
) -> ReplayResult:
    """Simulate (min, max) on each row of ``demand`` (pairs x days, oldest first)."""
    matrix = np.asarray(demand, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    n, days = matrix.shape
    low = np.broadcast_to(np.asarray(min_qty, dtype=np.float64), (n,))
    high = np.broadcast_to(np.asarray(max_qty, dtype=np.float64), (n,))
    leads = np.broadcast_to(np.asarray(lead_days, dtype=np.int64), (n,))
    packs = np.broadcast_to(np.asarray(pack, dtype=np.float64), (n,))
    moqs = np.broadcast_to(np.asarray(moq, dtype=np.float64), (n,))
    if np.any(low > high):
        raise ValidationError("a replay needs min at or below max for every pair")
    if np.any(leads < 0) or np.any(packs <= 0):
        raise ValidationError("a replay needs lead times of zero or more days and packs above zero")
    ring = int(leads.max(initial=0)) + 1
    pipeline = np.zeros((n, ring))
    rows = np.arange(n)
    net = high.astype(np.float64).copy()  # on hand minus backorders
    on_order = np.zeros(n)
    filled = np.zeros(n)
    stockouts = np.zeros(n, dtype=np.int64)
    orders = np.zeros(n, dtype=np.int64)
    total_on_hand = np.zeros(n)
    trace = np.zeros((n, days)) if keep_on_hand else None
    immediate = leads == 0
    for day in range(days):
        d = matrix[:, day]
        available = np.maximum(net, 0.0)
        served = np.minimum(d, available)
        filled += served
        stockouts += d > served + 1e-12
        net -= d
        slot = day % ring
        arriving = pipeline[:, slot]
        net += arriving
        on_order -= arriving
        pipeline[:, slot] = 0.0
        position = net + on_order
        qty = np.where(position <= low + 1e-9, order_quantities(high - position, packs, moqs), 0.0)
        placed = qty > 0
        if placed.any():
            orders += placed
            now = placed & immediate
            net += np.where(now, qty, 0.0)
            later = placed & ~immediate
            if later.any():
                target_slot = (day + leads[later]) % ring
                pipeline[rows[later], target_slot] += qty[later]
                on_order += np.where(later, qty, 0.0)
        on_hand = np.maximum(net, 0.0)
        total_on_hand += on_hand
        if trace is not None:
            trace[:, day] = on_hand
    return ReplayResult(
        demanded=matrix.sum(axis=1),
        filled=filled,
        stockout_days=stockouts,
        mean_on_hand=total_on_hand / max(days, 1),
        orders=orders,
        on_hand=trace,
    )
