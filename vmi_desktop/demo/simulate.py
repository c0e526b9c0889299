"""Vectorised simulation of daily consumption and replenishment over every SKU x location.

One loop over days, numpy arrays over all pairs: demand arrives (smooth,
intermittent or lumpy), stock is consumed (never below zero: unmet demand is
lost), cycle counts find small variances, and when on hand falls to or below
min an order is placed that arrives after the lead time (sometimes late,
sometimes in two parts). Every change is emitted as a movement with the
running on-hand level, so the ledger written from it is consistent by
construction. No database access here: the generator writes what is emitted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Movement kind codes; the generator maps them to ``MovementKind`` values.
OPENING, RECEIPT, CONSUMPTION, COUNT = 0, 1, 2, 3
SMOOTH, INTERMITTENT, LUMPY = 0, 1, 2
WEEKEND_FACTOR = 0.3


@dataclass
class PairParams:
    """Per SKU x location inputs of the simulation (all arrays have one entry per pair)."""

    p: np.ndarray  # weekday probability of a demand event
    pattern: np.ndarray  # SMOOTH / INTERMITTENT / LUMPY
    size: np.ndarray  # size parameter (Poisson mean for smooth, lognormal median for lumpy)
    min_qty: np.ndarray
    max_qty: np.ndarray
    pack: np.ndarray
    moq: np.ndarray
    lead: np.ndarray
    group: np.ndarray  # vendor x location index: one purchase order per group and day
    mode: np.ndarray  # per pair: 0 supplier managed, 1 auto PO, 2 proposal
    count_p: np.ndarray
    initial: np.ndarray
    late_p: np.ndarray  # probability that the vendor delivers late (per pair, from its vendor)

    def subset(self, idx: np.ndarray) -> PairParams:
        """The same parameters for a sample of pairs (used to calibrate the movement target)."""
        return PairParams(**{k: getattr(self, k)[idx] for k in self.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.p)


@dataclass
class DayBatch:
    """Movements of one day, in ledger order (ids are assigned by the caller in this order)."""

    day: int
    kind: np.ndarray
    pair: np.ndarray
    quantity: np.ndarray
    after: np.ndarray
    minute: np.ndarray
    line: np.ndarray  # purchase order line id, 0 = none
    po: np.ndarray  # purchase order id, 0 = none
    receipt: np.ndarray  # receipt id, 0 = none
    count_system: np.ndarray  # system quantity before a count (only meaningful for COUNT rows)
    receipts: list[tuple[int, int]]  # (receipt id, purchase order id) created this day

    def __len__(self) -> int:
        return len(self.kind)


class _Grow:
    """A growable int64 column store for the purchase-order book."""

    def __init__(self, names: list[str]) -> None:
        self.n = 0
        self.cols = {name: np.zeros(1024, dtype=np.int64) for name in names}

    def append(self, **values: np.ndarray) -> None:
        k = len(next(iter(values.values())))
        need = self.n + k
        if need > len(next(iter(self.cols.values()))):
            cap = max(need, 2 * len(next(iter(self.cols.values()))))
            for name, col in self.cols.items():
                new = np.zeros(cap, dtype=np.int64)
                new[: self.n] = col[: self.n]
                self.cols[name] = new
        for name, v in values.items():
            self.cols[name][self.n : need] = v
        self.n = need

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name][: self.n]


@dataclass
class OrderBook:
    """Replenishment orders placed inside the purchase-order window, for the generator to write."""

    orders: _Grow = field(
        default_factory=lambda: _Grow(
            ["id", "group", "created", "due", "arrive", "first_receipt", "last_receipt", "mode"]
        )
    )
    lines: _Grow = field(default_factory=lambda: _Grow(["id", "po", "line_no", "pair", "ordered", "received"]))


@dataclass
class SimulationResult:
    """Final state per pair plus counters."""

    on_hand: np.ndarray
    last_movement: np.ndarray  # 0-based position in emission order of each pair's last movement, -1 none
    last_minute: np.ndarray  # day * 1440 + minute of that movement
    pending_qty: np.ndarray
    pending_line: np.ndarray
    book: OrderBook
    movements: int
    orders: int
    lost_demand_events: int


_COLS = ("kind", "pair", "quantity", "after", "minute", "line", "po", "receipt", "count_system")


class _Day:
    """Collects one day's movements in emission order and tracks each pair's last movement."""

    def __init__(self, d: int, emitted: int, last_pos: np.ndarray, last_minute: np.ndarray) -> None:
        self.d = d
        self.emitted = emitted
        self.last_pos = last_pos
        self.last_minute = last_minute
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in _COLS}

    def emit(
        self,
        kind: int,
        idx: np.ndarray,
        qty: np.ndarray,
        after: np.ndarray,
        minute: np.ndarray,
        line: np.ndarray | None = None,
        po: np.ndarray | None = None,
        receipt: np.ndarray | None = None,
        system: np.ndarray | None = None,
    ) -> None:
        k = len(idx)
        if k == 0:
            return
        zeros = np.zeros(k, dtype=np.int64)
        values = (np.full(k, kind, dtype=np.int8), idx, qty, after, minute, line, po, receipt, system)
        for name, v in zip(_COLS, values, strict=True):
            self.cols[name].append(zeros if v is None else v)
        # Each kind touches a pair at most once a day, and kinds are emitted in time order.
        self.last_pos[idx] = self.emitted + np.arange(k)
        self.last_minute[idx] = self.d * 1440 + minute
        self.emitted += k


def _sizes(rng: np.random.Generator, pattern: np.ndarray, size: np.ndarray) -> np.ndarray:
    out = np.ones(len(pattern), dtype=np.int64)
    sm = pattern == SMOOTH
    if sm.any():
        out[sm] = 1 + rng.poisson(size[sm])
    it = pattern == INTERMITTENT
    if it.any():
        out[it] = 1 + (rng.random(int(it.sum())) < 0.15)
    lu = pattern == LUMPY
    if lu.any():
        out[lu] = np.ceil(rng.lognormal(np.log(size[lu]), 0.8)).astype(np.int64)
    return out


class _Sampler:
    """Draws the pairs that have an event today, each with its own daily probability."""

    def __init__(self, p: np.ndarray) -> None:
        rate = -np.log1p(-np.clip(p, 0.0, 0.999))
        self.cdf = np.cumsum(rate)
        self.total = float(self.cdf[-1]) if len(self.cdf) else 0.0

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        hits = rng.poisson(self.total)
        if hits == 0:
            return np.zeros(0, dtype=np.int64)
        idx = np.searchsorted(self.cdf, rng.random(hits) * self.total, side="right")
        return np.unique(np.minimum(idx, len(self.cdf) - 1))


def simulate(
    params: PairParams,
    days: int,
    rng: np.random.Generator,
    sink: Callable[[DayBatch], None],
    *,
    first_weekday: int = 0,
    po_from_day: int | None = None,
    split_p: float = 0.05,
) -> SimulationResult:
    """Run ``days`` days over all pairs, calling ``sink`` once per day with that day's movements.

    Orders placed on or after ``po_from_day`` are recorded in the returned order book with purchase
    order and line ids (1-based, in placement order); earlier ones arrive as receipts without an order.
    """
    n = len(params)
    po_from = days if po_from_day is None else po_from_day
    on_hand = params.initial.astype(np.int64).copy()
    pend_qty = np.zeros(n, dtype=np.int64)
    pend_arrive = np.full(n, -1, dtype=np.int64)
    pend_line = np.zeros(n, dtype=np.int64)
    pend_po = np.zeros(n, dtype=np.int64)
    last_pos = np.full(n, -1, dtype=np.int64)
    last_minute = np.zeros(n, dtype=np.int64)
    book = OrderBook()
    emitted = 0
    orders = 0
    lost = 0
    next_receipt = 1
    mode_delay_by_mode = np.array([1, 0, 1], dtype=np.int64)  # supplier reaction / approval take a day
    # Events are drawn per day as Poisson hits spread over the pairs by rate (searchsorted on the
    # cumulative rates): cost grows with the events, not with the pairs. With rate -log(1 - p) a pair
    # is hit at least once with probability exactly p, independently of the others.
    demand = (_Sampler(params.p), _Sampler(params.p * WEEKEND_FACTOR))
    count_sampler = _Sampler(params.count_p)
    arrivals: dict[int, list[np.ndarray]] = {}
    final_day = days - 1

    for d in range(days):
        weekend = (first_weekday + d) % 7 >= 5
        day = _Day(d, emitted, last_pos, last_minute)
        emit = day.emit
        receipt_rows: list[tuple[int, int]] = []

        if d == 0:
            idx = np.flatnonzero(on_hand > 0)
            emit(OPENING, idx, on_hand[idx].copy(), on_hand[idx].copy(), np.zeros(len(idx), dtype=np.int64))

        # 1. Deliveries arrive in the morning; a few come in two parts.
        bucket = arrivals.pop(d, [])
        arr = np.unique(np.concatenate(bucket)) if bucket else np.zeros(0, dtype=np.int64)
        arr = arr[pend_arrive[arr] == d]
        if len(arr):
            q = pend_qty[arr]
            split = (rng.random(len(arr)) < split_p) & (q >= 2) & (pend_line[arr] > 0)
            rq = np.where(split, q // 2, q)
            on_hand[arr] += rq
            pend_qty[arr] -= rq
            po = pend_po[arr].copy()
            line = pend_line[arr].copy()
            receipt = np.zeros(len(arr), dtype=np.int64)
            with_po = po > 0
            if with_po.any():
                upo, inv = np.unique(po[with_po], return_inverse=True)
                rids = next_receipt + np.arange(len(upo))
                next_receipt += len(upo)
                receipt[with_po] = rids[inv]
                receipt_rows.extend(zip(rids.tolist(), upo.tolist(), strict=True))
                oi = upo - 1
                first = book.orders.cols["first_receipt"]
                first[oi] = np.where(first[oi] < 0, d, first[oi])
                book.orders.cols["last_receipt"][oi] = d
                book.lines.cols["received"][line[with_po] - 1] += rq[with_po]
            late = split
            rest = arr[late]
            pend_arrive[rest] = d + rng.integers(2, 9, size=len(rest))
            for day_ in np.unique(pend_arrive[rest]).tolist():
                arrivals.setdefault(day_, []).append(rest[pend_arrive[rest] == day_])
            done = arr[~late]
            pend_arrive[done] = -1
            pend_line[done] = 0
            pend_po[done] = 0
            emit(
                RECEIPT,
                arr,
                rq,
                on_hand[arr].copy(),
                420 + rng.integers(0, 120, size=len(arr)),
                line=line,
                po=po,
                receipt=receipt,
            )

        # 2. Demand during the day; what is not on the shelf is lost, not back-ordered.
        ev = demand[1 if weekend else 0].draw(rng)
        if len(ev):
            want = _sizes(rng, params.pattern[ev], params.size[ev])
            take = np.minimum(want, on_hand[ev])
            lost += int((take < want).sum())
            ok = take > 0
            ev, take = ev[ok], take[ok]
            on_hand[ev] -= take
            emit(CONSUMPTION, ev, -take, on_hand[ev].copy(), 540 + rng.integers(0, 470, size=len(ev)))

        # 3. Cycle counts on working days: mostly right, sometimes a unit or two off.
        cc = count_sampler.draw(rng) if not weekend else np.zeros(0, dtype=np.int64)
        if len(cc):
            system = on_hand[cc].copy()
            r = rng.random(len(cc))
            var = np.where(r < 0.06, 1, 0) - np.where((r >= 0.06) & (r < 0.14), 1, 0)
            var -= np.where(r >= 0.97, 2, 0)
            counted = np.maximum(0, system + var)
            on_hand[cc] = counted
            emit(COUNT, cc, counted - system, counted.copy(), 1020 + rng.integers(0, 30, size=len(cc)), system=system)

        # 4. End-of-day reorder check on the inventory position (one open order per pair at most).
        # Only pairs touched today can have crossed min (all pairs on the first day).
        touched = np.arange(n) if d == 0 else np.unique(np.concatenate([arr, ev, cc]))
        need = touched[(pend_qty[touched] == 0) & (on_hand[touched] <= params.min_qty[touched])]
        if d == final_day:
            # Suppliers react to yesterday's levels: their orders for today's drops come tomorrow.
            need = need[params.mode[need] != 0]
        if len(need):
            pack = params.pack[need]
            qty = np.maximum(params.max_qty[need] - on_hand[need], params.moq[need])
            qty = np.maximum(pack, -(-qty // pack) * pack)
            ug, first_idx, inv = np.unique(params.group[need], return_index=True, return_inverse=True)
            r = rng.random(len(ug))
            late_p = params.late_p[need[first_idx]]
            noise = np.where(r < 0.08, -1, 0) + np.where(r >= 1 - late_p, rng.integers(1, 4, len(ug)), 0)
            noise += np.where(r >= 1 - late_p / 6, rng.integers(5, 21, len(ug)), 0)
            mode = params.mode[need]
            due_days = params.lead[need] + mode_delay_by_mode[mode]
            arrive = d + np.maximum(1, due_days + noise[inv])
            pend_qty[need] = qty
            pend_arrive[need] = arrive
            for day_ in np.unique(arrive).tolist():
                arrivals.setdefault(day_, []).append(need[arrive == day_])
            orders += len(need)
            if d >= po_from:
                po_ids = book.orders.n + 1 + np.arange(len(ug))
                order = np.argsort(inv, kind="stable")
                counts = np.bincount(inv)
                starts = np.cumsum(counts) - counts
                line_no = np.empty(len(need), dtype=np.int64)
                line_no[order] = np.arange(len(need)) - starts[inv[order]] + 1
                line_ids = book.lines.n + 1 + np.arange(len(need))
                first_of_group = order[starts]
                book.orders.append(
                    id=po_ids,
                    group=ug,
                    created=np.full(len(ug), d),
                    due=d + due_days[first_of_group],
                    arrive=arrive[first_of_group],
                    first_receipt=np.full(len(ug), -1),
                    last_receipt=np.full(len(ug), -1),
                    mode=mode[first_of_group],
                )
                book.lines.append(
                    id=line_ids,
                    po=po_ids[inv],
                    line_no=line_no,
                    pair=need,
                    ordered=qty,
                    received=np.zeros(len(need), dtype=np.int64),
                )
                pend_line[need] = line_ids
                pend_po[need] = po_ids[inv]

        emitted = day.emitted
        if day.cols["kind"]:
            sink(DayBatch(day=d, receipts=receipt_rows, **{k: np.concatenate(v) for k, v in day.cols.items()}))
    return SimulationResult(on_hand, last_pos, last_minute, pend_qty, pend_line, book, emitted, orders, lost)
