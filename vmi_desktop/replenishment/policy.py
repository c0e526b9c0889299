"""Suggested min/max from a part's own demand history, at a target unit fill rate.

The policy is the reorder trigger's: each day, once that day's demand is booked, when the
inventory position (on hand + on order, backorders netted) is at or below ``min``, an order
brings it up to ``max`` (rounded up to the pack, at least the MOQ) and arrives ``L`` days later,
after that day's demand. Unmet demand is backordered. "Fill rate" is the unit fill rate: units
served from stock on the day they are demanded / units demanded.

Demand model (per pair, fitted by ``fit_many``)
    Daily demand is compound Bernoulli: on each day a demand occurs with probability ``p`` and
    its size is drawn from the empirical distribution of the sizes seen. Both are estimated with
    exponential weights of half-life ``half_life_days`` (default 365), which is TSB's smoothing of
    the demand probability (Teunter, Syntetos, Babai 2011) run over the whole history: a part
    that stopped selling loses its rate instead of keeping it as Croston's estimate would. The
    series is also classified by ADI (mean days per demand) and CV² of the sizes with the
    Syntetos-Boylan cut-offs 1.32 and 0.49 into smooth, erratic, intermittent and lumpy ("none"
    when there is no demand). For erratic and lumpy parts (CV² ≥ 0.49) the empirical sizes are
    smoothed with a log-normal kernel, because the largest of a few dozen lumpy demands is not
    the largest there will be, and the unit fill rate is decided by the large ones. The kernel is
    two standard errors of the mean log size wide (``2 sd / √n``), so it fades as history grows;
    that width was chosen on seed 0 of ``bench/policy.py`` (checked on seeds 3 to 5), and the
    bench reports seeds 1 and 2. Days are taken as independent: demand that clusters on weekdays
    is more regular than that over a lead time, so the model errs on the side of more stock there.

Fill rate of (s, S) under daily review (derivation)
    Let ``IP⁺ₜ`` be the position after ordering on day t and ``X_k`` the demand of k days. Every
    order placed up to day t has arrived by the end of day t+L and none placed later has, so the
    stock that meets day t+L+1's demand is ``IP⁺ₜ - X_L``, and the units short that day are
    ``(X_{L+1} - y)⁺ - (X_L - y)⁺`` for ``y = IP⁺ₜ``. Demand being independent of the past, ::

        E[short per day] = Σ_y π(y) (G_{L+1}(y) - G_L(y)),   G_k(y) = E[(X_k - y)⁺]
        E[on hand]       = Σ_y π(y) E[(y - X_L)⁺]            (end of day)
        fill             = 1 - E[short per day] / E[D]

    with ``π`` the long-run share of days the position (after ordering) is at ``y``. An order
    lifts the position to ``S`` (to ``S + j`` with pack rounding); it then falls with each day's
    demand until it is at or below ``s``, and that undershoot is why ``π`` is not uniform. By
    renewal theory, after a start at ``S`` the expected number of days the cumulative demand is
    exactly ``k`` is ``u(k) = Σₙ P(D₁ + … + Dₙ = k)`` (days without demand included), so
    ``π(S - k) ∝ u(k)`` for ``0 ≤ k < S - s``. Pack rounding is taken as an order lifting the
    position uniformly onto ``S … S + pack - 1`` (exact for an (s, nQ) policy, close for (s, S)),
    which makes ``π`` the box-average of ``u`` over one pack; an MOQ above ``S - s`` is treated as
    ``S - s = MOQ``. The replay (``replenishment.replay``) simulates the policy exactly, pack, MOQ
    and all; the bench compares the two.

Computation
    Quantities live on a grid of ``step`` units (1 for whole units while the range fits
    ``MAX_GRID`` cells, coarser otherwise; sizes round to the nearest cell, at least one). With
    FFTs over a batch of pairs: ``X_L`` and ``X_{L+1}`` are powers of the daily distribution's
    transform, ``u`` is the inverse of ``1 - Q(z)`` evaluated on a circle of radius below one
    (so the renewal sum does not alias), and ``E[short](s)`` for every ``s`` at once is one
    cross-correlation of ``π``'s shape with ``G_{L+1} - G_L``. Pairs are batched by lead time and
    transform length; 100,000 pairs take well under a minute (``bench/policy.py``).

Choice
    The order cycle is fixed: ``S - s`` is ``review_days`` of mean demand (or a given
    ``order_cycle``, such as an agreement's current max - min), never less than one pack, so a
    lower stock can only come from a better ``s``, never from ordering more often.
    ``s`` is the smallest min whose expected fill reaches the target (fill rises with ``s`` for a
    fixed ``S - s``). A part without demand gets ``min = 0`` and ``max`` = one pack.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from vmi_desktop.errors import ValidationError
from vmi_desktop.quantities import QUANTUM, round_for_unit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ProgressFn = Callable[[float, str], None]

ADI_CUT = 1.32
CV2_CUT = 0.49
CLASSES = ("none", "smooth", "erratic", "intermittent", "lumpy")
#: Largest transform length of one pair's grid (the grid coarsens beyond it).
MAX_GRID = 512
#: Elements of one batch's arrays (rows x transform length): bounds memory per batch.
_BATCH_CELLS = 1 << 21
#: The renewal transform is evaluated on radius r with r^N = this (aliasing below it).
_DAMPING = 1e-3
#: Log-normal kernel width (in log units) per unit of Silverman's rule, for high-CV sizes.
_KERNEL_SCALE = 2.0
_KERNEL_POINTS = 9
_KERNEL_POWER = 0.5
#: How far (in kernel widths) the outermost of those points lies: the largest Gauss-Hermite node.
_KERNEL_REACH = 4.6


@dataclass(frozen=True)
class DemandFit:
    """What the history says about each pair (arrays, one entry per pair)."""

    rate: FloatArray  # p: probability of a demand on a day (TSB-style weighted)
    mean: FloatArray  # mean demand per day, units (weighted)
    adi: FloatArray  # mean days per demand (inf without demand)
    cv2: FloatArray  # squared coefficient of variation of the sizes (0 without demand)
    demand_class: npt.NDArray[np.str_]
    demands: IntArray  # days with demand in the history


@dataclass(frozen=True)
class Curves:
    """Expected fill and on hand for every min ``s`` on a pair's grid (``s = index * step``)."""

    step: float
    fill: FloatArray
    on_hand: FloatArray  # units


@dataclass(frozen=True)
class SuggestionBatch:
    """Suggested thresholds for many pairs (floats in units; ``to_decimal`` rounds for the unit)."""

    min_qty: FloatArray
    max_qty: FloatArray
    expected_fill: FloatArray
    expected_on_hand: FloatArray
    fit: DemandFit
    curves: list[Curves] | None = None

    def __len__(self) -> int:
        return len(self.min_qty)


def _weights(days: int, half_life_days: float) -> FloatArray:
    age = np.arange(days - 1, -1, -1, dtype=np.float64)
    return np.power(0.5, age / half_life_days)


def _as_matrix(histories: npt.ArrayLike) -> FloatArray:
    matrix = np.asarray(histories, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2:
        raise ValidationError("a demand history is one row of daily quantities per pair")
    if not np.all(np.isfinite(matrix)):
        raise ValidationError("a demand history holds a value that is not a finite number")
    return np.clip(matrix, 0.0, None)


def _per_pair(value: npt.ArrayLike, n: int, what: str) -> FloatArray:
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValidationError(f"{what} must be a number at or above zero for every pair")
    return array


def classify(adi: FloatArray, cv2: FloatArray) -> npt.NDArray[np.str_]:
    """Syntetos-Boylan class of each series from its ADI and CV² (``none`` without demand)."""
    labels = np.where(
        adi < ADI_CUT, np.where(cv2 < CV2_CUT, "smooth", "erratic"), np.where(cv2 < CV2_CUT, "intermittent", "lumpy")
    )
    return np.where(np.isfinite(adi), labels, "none")


def fit_many(histories: npt.ArrayLike, half_life_days: float = 365.0) -> DemandFit:
    """Rate, mean, ADI, CV² and class of each history row (oldest day first)."""
    matrix = _as_matrix(histories)
    n, days = matrix.shape
    if days == 0:
        zeros = np.zeros(n)
        return DemandFit(zeros, zeros, np.full(n, np.inf), zeros, np.full(n, "none"), np.zeros(n, dtype=np.int64))
    weights = _weights(days, half_life_days)
    total = weights.sum()
    occurs = matrix > 0
    count = occurs.sum(axis=1).astype(np.int64)
    rate = (occurs @ weights) / total
    mean = (matrix @ weights) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(count > 0, days / np.maximum(count, 1), np.inf)
        size_mean = matrix.sum(axis=1) / np.maximum(count, 1)
        size_var = (matrix * matrix).sum(axis=1) / np.maximum(count, 1) - size_mean**2
        cv2 = np.where(count > 0, np.maximum(size_var, 0.0) / np.maximum(size_mean, 1e-300) ** 2, 0.0)
    return DemandFit(rate, mean, adi, cv2, classify(adi, cv2), count)


def _fast_length(n: int) -> int:
    """The smallest 2^a or 3 * 2^a at or above ``n`` (lengths numpy's FFT handles fast)."""
    power = 1 << max(0, (n - 1).bit_length())
    three = 3 * (power >> 2)
    return three if n <= three else power


def _round_units(value: FloatArray, whole: npt.NDArray[np.bool_]) -> FloatArray:
    """Half up to what the unit allows (as ``quantities.round_for_unit``), in floats."""
    return np.where(whole, np.floor(value + 0.5), np.floor(value * 1000 + 0.5) / 1000)


def _ceil_units(value: FloatArray, whole: npt.NDArray[np.bool_]) -> FloatArray:
    rounded = np.where(whole, np.ceil(value - 1e-9), np.ceil(value * 1000 - 1e-6) / 1000)
    return rounded + 0.0  # no negative zero


def suggest_many(
    histories: npt.ArrayLike,
    lead_days: npt.ArrayLike,
    target: float,
    review_days: float = 14,
    *,
    pack: npt.ArrayLike = 1.0,
    moq: npt.ArrayLike = 0.0,
    whole: npt.ArrayLike = True,
    half_life_days: float = 365.0,
    order_cycle: npt.ArrayLike | None = None,
    keep_curves: bool = False,
    report: ProgressFn | None = None,
) -> SuggestionBatch:
    """Suggested (min, max) for each history row; see the module docstring for the model.

    ``lead_days``, ``pack``, ``moq`` and ``whole`` are one value or one per row. ``order_cycle``
    (units, one per row) replaces ``review_days`` of mean demand as max - min, e.g. to keep each
    agreement's current cycle so that a comparison with it is fair. ``keep_curves``
    keeps each pair's fill and on-hand curve over every min (for the system allocation).
    ``report(fraction, text)`` is called between batches and may raise to cancel.
    """
    if not 0 < target <= 1:
        raise ValidationError(f"the target fill rate is a share above 0 and at most 1, got {target}")
    if not 0 < review_days <= 3650:
        raise ValidationError(f"the order cycle is 1 to 3650 days of demand, got {review_days}")
    matrix = _as_matrix(histories)
    n = matrix.shape[0]
    leads = _per_pair(lead_days, n, "lead time").astype(np.int64)
    packs = _per_pair(pack, n, "pack size")
    if np.any(packs <= 0):
        raise ValidationError("pack size must be above zero for every pair")
    moqs = _per_pair(moq, n, "minimum order quantity")
    wholes = np.broadcast_to(np.asarray(whole, dtype=bool), (n,)).copy()
    fit = fit_many(matrix, half_life_days)
    cycle = review_days * fit.mean if order_cycle is None else _per_pair(order_cycle, n, "order cycle")
    grid = _Grid(matrix, fit, leads, packs, moqs, wholes, cycle, half_life_days)

    min_cells = np.zeros(n, dtype=np.int64)
    fill = np.ones(n)
    on_hand = grid.cycle.copy()  # a part without demand keeps what one order brought
    curves: list[Curves] = [Curves(float(grid.step[i]), np.ones(1), grid.cycle[i : i + 1].copy()) for i in range(n)]
    active = np.flatnonzero(fit.demands > 0)
    groups: dict[tuple[int, int], list[int]] = {}
    for i, lead_of, length_of in zip(
        active.tolist(), leads[active].tolist(), grid.length[active].tolist(), strict=True
    ):
        groups.setdefault((lead_of, length_of), []).append(i)
    done = 0
    for (lead, size), members in sorted(groups.items()):
        per_batch = max(1, _BATCH_CELLS // size)
        for start in range(0, len(members), per_batch):
            if report is not None:
                report(done / max(len(active), 1), f"{done:,} of {len(active):,} pairs")
            idx = np.asarray(members[start : start + per_batch], dtype=np.int64)
            sizes = grid.size_distribution(idx, size)
            batch_fill, batch_on_hand = _curves(sizes, fit.rate[idx], lead, grid.cycle_cells[idx], grid.pack_cells[idx])
            # the mins a row may take: s + (cycle + pack - 1) stays inside the transform
            usable = size - (grid.cycle_cells[idx] + grid.pack_cells[idx] - 1)
            column = np.arange(size)[None, :]
            inside = column < usable[:, None]
            reached = inside & (batch_fill >= target - 1e-9)
            s = np.where(reached.any(axis=1), np.argmax(reached, axis=1), usable - 1)
            min_cells[idx] = s
            fill[idx] = batch_fill[np.arange(len(idx)), s]
            on_hand[idx] = batch_on_hand[np.arange(len(idx)), s] * grid.step[idx]
            if keep_curves:
                full = inside & (batch_fill >= 1 - 1e-7)
                ends = np.where(full.any(axis=1), np.argmax(full, axis=1) + 1, usable)
                for j, i in enumerate(idx.tolist()):
                    end = int(ends[j])
                    step = float(grid.step[i])
                    curves[i] = Curves(step, batch_fill[j, :end].copy(), batch_on_hand[j, :end] * step)
            done += len(idx)
    if report is not None:
        report(1.0, f"{n:,} of {n:,} pairs")
    min_qty = _ceil_units(min_cells.astype(np.float64) * grid.step, wholes)
    return SuggestionBatch(min_qty, min_qty + grid.delta, fill, on_hand, fit, curves if keep_curves else None)


class _Grid:
    """Each pair's grid (step, cells of its demand sizes, cycle and pack) and transform length."""

    def __init__(
        self,
        matrix: FloatArray,
        fit: DemandFit,
        leads: IntArray,
        packs: FloatArray,
        moqs: FloatArray,
        wholes: npt.NDArray[np.bool_],
        cycle: FloatArray,
        half_life_days: float,
    ) -> None:
        n, days = matrix.shape
        self.delta = np.maximum(_round_units(cycle, wholes), packs)
        moq_packs = np.ceil(moqs / packs - 1e-9) * packs
        self.cycle = np.maximum(self.delta, moq_packs)  # what one order brings, at least
        self.rows, self.cols = np.nonzero(matrix)  # row-major: each row's entries are contiguous
        values = matrix[self.rows, self.cols]
        self.offsets = np.searchsorted(self.rows, np.arange(n + 1))
        self.weights = _weights(days, half_life_days) if days else np.zeros(0)
        # erratic and lumpy sizes are smoothed; the kernel's outermost point lies e^(4.6 width) out
        self.width = np.where(fit.cv2 >= CV2_CUT, self._kernel_width(values, fit.demands), 0.0)
        stretch = np.exp(_KERNEL_REACH * self.width)
        biggest = np.zeros(n)
        np.maximum.at(biggest, self.rows, values)
        span = (leads + 1) * biggest * stretch + self.cycle + packs + 1
        self.step = np.where(
            wholes, np.maximum(1.0, np.ceil(span / MAX_GRID)), np.maximum(float(QUANTUM), span / MAX_GRID)
        )
        self.cells = np.maximum(1, np.rint(values / self.step[self.rows])).astype(np.int64)
        biggest_cell = np.zeros(n, dtype=np.int64)
        np.maximum.at(biggest_cell, self.rows, self.cells)
        self.reach = np.ceil(biggest_cell * stretch).astype(np.int64)
        self.cycle_cells = np.maximum(1, np.rint(self.cycle / self.step)).astype(np.int64)
        self.pack_cells = np.maximum(1, np.rint(packs / self.step)).astype(np.int64)
        needed = (leads + 1) * self.reach + self.cycle_cells + self.pack_cells + 2
        self.length = np.array([_fast_length(int(k)) for k in needed], dtype=np.int64)

    def _kernel_width(self, values: FloatArray, demands: IntArray) -> FloatArray:
        """``_KERNEL_SCALE`` standard errors of the mean log size: the uncertainty of where the sizes lie."""
        n = len(demands)
        logs = np.log(values)
        count = np.maximum(demands, 1).astype(np.float64)
        mean = np.bincount(self.rows, weights=logs, minlength=n) / count
        var = np.bincount(self.rows, weights=logs * logs, minlength=n) / count - mean**2
        return _KERNEL_SCALE * np.sqrt(np.maximum(var, 0.0)) * np.power(count, -_KERNEL_POWER)

    def size_distribution(self, idx: IntArray, size: int) -> FloatArray:
        """Weighted empirical distribution of the sizes of rows ``idx`` on their grids (smoothed where wide)."""
        starts, stops = self.offsets[idx], self.offsets[idx + 1]
        counts = stops - starts
        local = np.repeat(np.arange(len(idx)), counts)
        entry = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + np.arange(counts.sum())
        n = len(idx)
        out = np.bincount(
            local * size + self.cells[entry], weights=self.weights[self.cols[entry]], minlength=n * size
        ).reshape(n, size)
        smooth = np.flatnonzero(self.width[idx] > 0)
        if len(smooth):
            # a log-normal kernel around each size seen: Gauss-Hermite points, each point's mass split
            # between its two neighbouring cells; the median is lowered by e^(-σ²/2) so the mean stays
            part = out[smooth]
            r_local, centre = np.nonzero(part)
            mass = part[r_local, centre]
            r = smooth[r_local]
            out[smooth] = 0.0
            nodes, node_w = np.polynomial.hermite_e.hermegauss(_KERNEL_POINTS)
            node_w = node_w / node_w.sum()
            sigma = self.width[idx[r]][:, None]
            points = centre[:, None] * np.exp(sigma * nodes[None, :] - 0.5 * sigma**2)
            points = np.clip(points, 1.0, self.reach[idx[r]][:, None] - 1.0)
            low = np.floor(points).astype(np.int64)
            upper = points - low
            m = mass[:, None] * node_w[None, :]
            base = (r[:, None] * size + low).ravel()
            out += np.bincount(base, weights=(m * (1 - upper)).ravel(), minlength=n * size).reshape(n, size)
            out += np.bincount(base + 1, weights=(m * upper).ravel(), minlength=n * size).reshape(n, size)
        out[:, 0] = 0.0
        total = out.sum(axis=1, keepdims=True)
        return out / np.where(total > 0, total, 1.0)


def _curves(
    sizes: FloatArray, rate: FloatArray, lead: int, cycle: IntArray, pack: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Expected fill and on hand (grid units) for every min ``s`` of each row (see the docstring)."""
    n, size = sizes.shape
    daily = sizes * rate[:, None]
    daily[:, 0] = 1.0 - rate
    spectrum = np.fft.rfft(daily, size, axis=1)
    lead_pmf = np.fft.irfft(spectrum**lead, size, axis=1) if lead else _delta(n, size)
    protect_pmf = np.fft.irfft(spectrum ** (lead + 1), size, axis=1)
    g_lead = _expected_excess(lead_pmf)
    g_protect = _expected_excess(protect_pmf)
    short = g_protect - g_lead

    # renewal mass of the sizes, damped so the circular transform does not alias
    radius = _DAMPING ** (1.0 / size)
    powers = radius ** np.arange(size)
    renewal = np.fft.irfft(1.0 / (1.0 - np.fft.rfft(sizes * powers, size, axis=1)), size, axis=1) / powers
    renewal = np.clip(renewal, 0.0, None)
    # position shape: box average of the renewal mass over one pack, over cycle + pack - 1 values
    span = cycle + pack - 1
    cum = np.cumsum(renewal, axis=1)
    k = np.arange(size)[None, :]
    back = k - pack[:, None]
    box = cum - np.where(back >= 0, np.take_along_axis(cum, np.clip(back, 0, size - 1), axis=1), 0.0)
    box = np.where(k < span[:, None], box, 0.0)
    box /= box.sum(axis=1, keepdims=True)
    # reversed: weight of y = s + i for i = 1..span
    i = np.arange(size)[None, :]
    src = span[:, None] - i
    shape = np.where((i >= 1) & (src >= 0), np.take_along_axis(box, np.clip(src, 0, size - 1), axis=1), 0.0)

    shape_spec = np.conj(np.fft.rfft(shape, size, axis=1))
    both = np.fft.irfft(np.fft.rfft(np.stack([short, g_lead]), size, axis=2) * shape_spec[None], size, axis=2)
    expected_short = np.clip(both[0], 0.0, None)
    mean_daily = (daily * np.arange(size)[None, :]).sum(axis=1)
    fill = 1.0 - expected_short / mean_daily[:, None]
    mean_position = np.arange(size)[None, :] + (shape * i).sum(axis=1, keepdims=True)
    on_hand = mean_position - lead * mean_daily[:, None] + both[1]
    return np.minimum(fill, 1.0), np.maximum(on_hand, 0.0)


def _delta(n: int, size: int) -> FloatArray:
    out = np.zeros((n, size))
    out[:, 0] = 1.0
    return out


def _expected_excess(pmf: FloatArray) -> FloatArray:
    """``G(y) = E[(X - y)⁺]`` for y = 0..size-1: the reverse running sum of ``P(X > y)``."""
    survival = np.clip(1.0 - np.cumsum(np.clip(pmf, 0.0, None), axis=1), 0.0, None)
    return np.cumsum(survival[:, ::-1], axis=1)[:, ::-1]


def suggest(
    history: npt.ArrayLike,
    lead_days: int,
    target: float,
    review_days: float = 14,
    *,
    pack: Decimal | float = 1,
    moq: Decimal | float = 0,
    whole: bool = True,
    half_life_days: float = 365.0,
) -> tuple[Decimal, Decimal]:
    """(min, max) for one pair's daily consumption (oldest first) at the target unit fill rate.

    In the reorder trigger's semantics: at or below min, order up to max. Whole units give whole
    numbers; measured units up to 3 decimals.
    """
    batch = suggest_many(
        np.asarray(history, dtype=np.float64)[None, :],
        lead_days,
        target,
        review_days,
        pack=float(pack),
        moq=float(moq),
        whole=whole,
        half_life_days=half_life_days,
    )
    return to_decimal(batch.min_qty[0], whole=whole), to_decimal(batch.max_qty[0], whole=whole)


def to_decimal(value: float, *, whole: bool) -> Decimal:
    """A suggested quantity as the Decimal the agreement stores (rounded up to the unit's step)."""
    if not math.isfinite(value):
        raise ValidationError(f"a suggested quantity came out as {value}")
    return round_for_unit(Decimal(repr(float(value))), whole=whole)
