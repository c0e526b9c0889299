"""System mode: spread service over many parts so an aggregate fill rate costs the least stock value.

Per-part targets give every part the same fill rate, so an expensive slow mover gets as much
protection as a cheap fast one. The "system approach" of spare-parts inventory (Sherbrooke's
METRIC) sets one target for the whole assortment instead and buys each extra unit of service
where it is cheapest: greedy marginal analysis, adding stock to the part with the most units
filled per day per unit of stock value added, until the aggregate target is met.

Fill curves of intermittent parts are not concave (the first units of a lumpy part's min buy
little), so the greedy walks each part's upper concave hull, which is what marginal analysis on
the hull's segments amounts to. It is solved in its Lagrangian form: for a price ``λ`` of stock
value each part independently takes the min maximising ``units filled per day - λ * value``
(the end of the last hull segment steeper than ``λ``), and ``λ`` is bisected until the aggregate
target is just met. That is vectorised over all parts, and exact on the hull; the one part whose
segment straddles the target is then trimmed to the smallest min that still meets it.

The order cycle (max - min) of each part is the per-part one: only the mins move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vmi_desktop.errors import ValidationError
from vmi_desktop.replenishment.policy import Curves

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_BISECTIONS = 48


@dataclass(frozen=True)
class Allocation:
    """The chosen min of each part (as an index on its curve and in units) and what it is expected to give."""

    index: IntArray
    min_qty: FloatArray
    fill: FloatArray
    on_hand: FloatArray  # units
    aggregate_fill: float
    value: float  # expected stock value, sum of unit cost x on hand


class _Bucket:
    """Parts whose curves have similar lengths, padded to one array."""

    def __init__(self, members: IntArray, curves: Sequence[Curves], demand: FloatArray, cost: FloatArray) -> None:
        self.members = members
        width = max(len(curves[i].fill) for i in members)
        self.filled = np.full((len(members), width), -np.inf)
        self.value = np.full((len(members), width), np.inf)
        for row, i in enumerate(members):
            c = curves[i]
            self.filled[row, : len(c.fill)] = demand[i] * c.fill
            self.value[row, : len(c.fill)] = cost[i] * c.on_hand
        # padding never wins: -inf filled, +inf value (so a zero price cannot pick it either)
        self.rows = np.arange(len(members))

    def choose(self, price: float) -> IntArray:
        # padding: -inf - price * inf is -inf (price is never zero)
        objective = self.filled - price * self.value
        return np.argmax(objective, axis=1).astype(np.int64)

    def filled_at(self, index: IntArray) -> FloatArray:
        return self.filled[self.rows, index]


def allocate(curves: Sequence[Curves], demand: npt.ArrayLike, unit_cost: npt.ArrayLike, target: float) -> Allocation:
    """Mins for every part so that the expected aggregate unit fill reaches ``target`` at the least value.

    ``curves`` come from ``policy.suggest_many(..., keep_curves=True)``; ``demand`` is each part's
    mean demand per day (the weight of its fill in the aggregate) and ``unit_cost`` its value per unit.
    """
    if not 0 < target <= 1:
        raise ValidationError(f"the aggregate fill target is a share above 0 and at most 1, got {target}")
    n = len(curves)
    mu = np.broadcast_to(np.asarray(demand, dtype=np.float64), (n,)).copy()
    cost = np.broadcast_to(np.asarray(unit_cost, dtype=np.float64), (n,)).copy()
    if np.any(mu < 0) or np.any(cost < 0) or not np.all(np.isfinite(cost)):
        raise ValidationError("demand and unit costs must be numbers at or above zero")
    cost = np.maximum(cost, 1e-9)  # a free part still should not hold stock for nothing
    lengths = np.array([len(c.fill) for c in curves], dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    buckets: list[_Bucket] = []
    start = 0
    while start < n:
        # a bucket spans lengths within a factor of two, so padding wastes at most half
        limit = 2 * lengths[order[start]]
        stop = int(np.searchsorted(lengths[order], limit, side="right"))
        stop = max(stop, start + 1)
        buckets.append(_Bucket(order[start:stop], curves, mu, cost))
        start = stop
    total = float(mu.sum())
    need = target * total

    def solve(price: float) -> tuple[list[IntArray], float]:
        picks = [b.choose(price) for b in buckets]
        filled = sum(float(b.filled_at(p).sum()) for b, p in zip(buckets, picks, strict=True))
        return picks, filled

    index = np.zeros(n, dtype=np.int64)
    if total > 0:
        low, high = -30.0, 30.0  # log10 of the price of stock value, in units filled per day per unit value
        picks_low, filled_low = solve(10.0**low)
        if filled_low < need - 1e-9:
            picks = picks_low  # the target is beyond full service: take the most there is
        else:
            picks_high, filled_high = solve(10.0**high)
            if filled_high >= need - 1e-9:
                picks_low = picks_high
            else:
                for _ in range(_BISECTIONS):
                    mid = (low + high) / 2
                    picks_mid, filled_mid = solve(10.0**mid)
                    if filled_mid >= need - 1e-9:
                        low, picks_low, filled_low = mid, picks_mid, filled_mid
                    else:
                        high, picks_high, filled_high = mid, picks_mid, filled_mid
                picks_low = _trim(buckets, picks_low, picks_high, filled_low, need)
            picks = picks_low
        for b, p in zip(buckets, picks, strict=True):
            index[b.members] = p
    fill = np.array([curves[i].fill[index[i]] for i in range(n)])
    on_hand = np.array([curves[i].on_hand[index[i]] for i in range(n)])
    aggregate = float((mu * fill).sum() / total) if total > 0 else 1.0
    return Allocation(
        index=index,
        min_qty=np.array([index[i] * curves[i].step for i in range(n)]),
        fill=fill,
        on_hand=on_hand,
        aggregate_fill=aggregate,
        value=float((cost * on_hand).sum()),
    )


def _trim(
    buckets: list[_Bucket], picks_ok: list[IntArray], picks_short: list[IntArray], filled_ok: float, need: float
) -> list[IntArray]:
    """Lower the parts that differ between the two bracketing prices as far as the target allows."""
    picks = [p.copy() for p in picks_ok]
    surplus = filled_ok - need
    for b, ok, short in zip(buckets, picks, picks_short, strict=True):
        for row in np.flatnonzero(ok != short):
            for candidate in range(int(short[row]), int(ok[row])):
                gain_lost = b.filled[row, ok[row]] - b.filled[row, candidate]
                if gain_lost <= surplus + 1e-12 and b.value[row, candidate] <= b.value[row, ok[row]]:
                    surplus -= gain_lost
                    ok[row] = candidate
                    break
    return picks
