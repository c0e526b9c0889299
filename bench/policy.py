"""Bench the threshold policy on synthetic spare-parts demand against the usual anchors.

    python bench/policy.py                    # seeds 1 and 2, plus the 100,000-pair speed run
    python bench/policy.py --seeds 0 --speed 0   # seed 0 is the one the policy was tuned on

Each seed draws 400 series, 100 from each Syntetos-Boylan class (smooth, erratic, intermittent,
lumpy), of 730 days of history and 365 days to simulate; the lead time is 7 days and the target
unit fill rate 0.95. Every method sets (min, max) from the history alone, with the same order
cycle rule (max - min = 14 days of its own mean demand, at least one unit), and is then
simulated on the 365 unseen days by ``replenishment.replay`` (daily review, backorders, starting
at max). Methods:

- naive: min = lead-time demand (mean x lead time);
- normal SS: min = mean x (L + 1) + z sd sqrt(L + 1) with z = Φ⁻¹(target), the textbook;
- CrostonSBA / TSB (alpha 0.1; from statsforecast when installed, else the same recursions here):
  min = forecast x (L + 1) + z RMSE sqrt(L + 1), RMSE of the one-step in-sample errors;
- policy: ``replenishment.policy.suggest_many`` at the target, per part;
- system: ``replenishment.system.allocate`` at the same aggregate target over the 400 parts.

Printed per method: unit fill rate, mean per-series fill rate (series with demand in the
simulated year), mean on-hand value, orders placed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vmi_desktop.replenishment import policy, system
from vmi_desktop.replenishment.replay import replay

HISTORY, HORIZON, LEAD, TARGET, REVIEW = 730, 365, 7, 0.95, 14
CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
Z = statistics.NormalDist().inv_cdf(TARGET)


def generate(
    seed: int, per_class: int = 100, days: int = HISTORY + HORIZON
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Daily demand (series x days), unit costs and the class each series was drawn from.

    Occurrence is Bernoulli(1 / ADI) per day; sizes are 1 + Poisson (low CV²) or 1 + negative
    binomial (high CV²). Smooth and erratic: ADI 1 to 1.3; intermittent and lumpy: ADI log-uniform
    1.4 to 25. Unit costs are log-normal (median 20).
    """
    rng = np.random.default_rng(seed)
    rows: list[np.ndarray] = []
    drawn: list[str] = []
    for label in CLASSES:
        for _ in range(per_class):
            frequent = label in ("smooth", "erratic")
            adi = rng.uniform(1.0, 1.3) if frequent else float(np.exp(rng.uniform(np.log(1.4), np.log(25))))
            occurs = rng.random(days) < 1 / adi
            if label in ("smooth", "intermittent"):
                mean_size = float(np.exp(rng.uniform(np.log(1.5), np.log(12))))
                sizes = 1 + rng.poisson(mean_size - 1, days)
            else:
                mean_size = float(np.exp(rng.uniform(np.log(2), np.log(30))))
                cv2 = rng.uniform(0.6, 2.5)
                m, v = mean_size - 1, cv2 * mean_size**2
                sizes = 1 + rng.negative_binomial(m * m / (v - m), m / v, days)
            rows.append(np.where(occurs, sizes, 0).astype(np.float64))
            drawn.append(label)
    cost = np.exp(rng.normal(np.log(20), 1.2, len(rows)))
    return np.vstack(rows), cost, drawn


def _ses(values: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """One-step forecast and in-sample fitted values of simple exponential smoothing (first value as start)."""
    fitted = np.empty(len(values))
    level = values[0]
    for t, x in enumerate(values):
        fitted[t] = level
        level += alpha * (x - level)
    return float(level), fitted


def _croston_sba_here(y: np.ndarray) -> tuple[float, np.ndarray]:
    idx = np.flatnonzero(y > 0)
    if not len(idx):
        return 0.0, np.zeros(len(y))
    size_f, size_fit = _ses(y[idx], 0.1)
    gaps = np.diff(idx + 1, prepend=0).astype(np.float64)
    gap_f, gap_fit = _ses(gaps, 0.1)
    fitted = np.full(len(y), np.nan)
    # between demands the forecast stays at the last update
    ratio = np.append(size_fit / gap_fit, size_f / gap_f)
    segment = np.searchsorted(idx, np.arange(len(y)), side="left")
    fitted = ratio[np.minimum(segment, len(ratio) - 1)]
    return 0.95 * size_f / gap_f, 0.95 * fitted


def _tsb_here(y: np.ndarray) -> tuple[float, np.ndarray]:
    idx = np.flatnonzero(y > 0)
    if not len(idx):
        return 0.0, np.zeros(len(y))
    p_f, p_fit = _ses((y > 0).astype(np.float64), 0.1)
    d_f, d_fit = _ses(y[idx], 0.1)
    levels = np.append(d_fit, d_f)
    segment = np.searchsorted(idx, np.arange(len(y)), side="left")
    return p_f * d_f, p_fit * levels[np.minimum(segment, len(levels) - 1)]


def forecasters() -> tuple[
    str, Callable[[np.ndarray], tuple[float, np.ndarray]], Callable[..., tuple[float, np.ndarray]]
]:
    """(source, CrostonSBA, TSB), each giving (forecast per day, in-sample one-step fitted values)."""
    try:
        from statsforecast.models import TSB, CrostonSBA
    except ImportError:
        return "this file", _croston_sba_here, _tsb_here

    def croston(y: np.ndarray) -> tuple[float, np.ndarray]:
        out = CrostonSBA().forecast(y, h=1, fitted=True)
        return float(out["mean"][0]), np.asarray(out["fitted"], dtype=np.float64)

    def tsb(y: np.ndarray) -> tuple[float, np.ndarray]:
        out = TSB(alpha_d=0.1, alpha_p=0.1).forecast(y, h=1, fitted=True)
        return float(out["mean"][0]), np.asarray(out["fitted"], dtype=np.float64)

    return "statsforecast", croston, tsb


def _cycle(rate: np.ndarray) -> np.ndarray:
    return np.maximum(1.0, np.floor(REVIEW * rate + 0.5))


def normal_rule(rate: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low = np.ceil(rate * (LEAD + 1) + Z * sd * np.sqrt(LEAD + 1) - 1e-9)
    return low, low + _cycle(rate)


def anchors(history: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    mean = history.mean(axis=1)
    naive_min = np.ceil(mean * LEAD - 1e-9)
    out = {"naive (min = lead-time demand)": (naive_min, naive_min + _cycle(mean))}
    out["normal SS"] = normal_rule(mean, history.std(axis=1))
    source, croston, tsb = forecasters()
    for name, fn in ((f"CrostonSBA + normal SS ({source})", croston), (f"TSB + normal SS ({source})", tsb)):
        rates, rmses = [], []
        for y in history:
            rate, fitted = fn(y)
            errors = (y - fitted)[30:]
            errors = errors[np.isfinite(errors)]
            rates.append(rate)
            rmses.append(float(np.sqrt(np.mean(errors**2))) if len(errors) else 0.0)
        out[name] = normal_rule(np.array(rates), np.array(rmses))
    return out


def evaluate(
    future: np.ndarray, cost: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[float, float, float, int, np.ndarray]:
    result = replay(future, low, high, LEAD)
    per_series = result.fill_rate
    return (
        result.total_fill_rate(),
        float(np.nanmean(per_series)),
        float((result.mean_on_hand * cost).sum()),
        int(result.orders.sum()),
        per_series,
    )


def run_seed(seed: int) -> None:
    demand, cost, drawn = generate(seed)
    history, future = demand[:, :HISTORY], demand[:, HISTORY:]
    methods = anchors(history)
    started = time.perf_counter()
    batch = policy.suggest_many(history, LEAD, TARGET, REVIEW, keep_curves=True)
    policy_s = time.perf_counter() - started
    methods["policy (per part)"] = (batch.min_qty, batch.max_qty)
    assert batch.curves is not None
    started = time.perf_counter()
    plan = system.allocate(batch.curves, batch.fit.mean, cost, TARGET)
    system_s = time.perf_counter() - started
    cycle = batch.max_qty - batch.min_qty
    methods["system (aggregate target)"] = (plan.min_qty, plan.min_qty + cycle)

    print(
        f"\nseed {seed}: {len(demand)} series, {HISTORY} days history, {HORIZON} simulated, lead {LEAD}, "
        f"target {TARGET}"
    )
    realised = batch.fit.demand_class
    counts = {c: int((realised == c).sum()) for c in (*CLASSES, "none")}
    print("classes in the history: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    header = f"{'method':44s} {'unit fill':>9s} {'mean fill':>9s} {'on-hand value':>14s} {'orders':>7s}"
    print(header)
    print("-" * len(header))
    results: dict[str, np.ndarray] = {}
    for name, (low, high) in methods.items():
        unit, mean_fill, value, orders, per_series = evaluate(future, cost, low, high)
        results[name] = per_series
        print(f"{name:44s} {unit:9.4f} {mean_fill:9.4f} {value:14,.0f} {orders:7d}")
    print(
        f"policy expected: aggregate {float((batch.fit.mean * batch.expected_fill).sum() / batch.fit.mean.sum()):.4f}, "
        f"value {float((batch.expected_on_hand * cost).sum()):,.0f}; system expected: aggregate "
        f"{plan.aggregate_fill:.4f}, value {plan.value:,.0f}  ({policy_s * 1000:.0f} ms + {system_s * 1000:.0f} ms)"
    )
    print("policy per class (drawn as):  class         series  unit fill  mean fill")
    per_part = replay(future, batch.min_qty, batch.max_qty, LEAD)
    labels = np.array(drawn)
    for label in CLASSES:
        mask = labels == label
        demanded = per_part.demanded[mask].sum()
        unit = per_part.filled[mask].sum() / demanded if demanded else float("nan")
        mean_fill = float(np.nanmean(per_part.fill_rate[mask]))
        print(f"{'':30s}{label:14s}{int(mask.sum()):6d}  {unit:9.4f}  {mean_fill:9.4f}")


def speed(pairs: int, chunk: int = 10_000, repeats: int = 3) -> None:
    """Suggestions (and the system allocation) for ``pairs`` synthetic pairs, timed without generation."""
    timings: list[float] = []
    cpu_timings: list[float] = []
    alloc_timings: list[float] = []
    for rep in range(repeats):
        rng = np.random.default_rng(100 + rep)
        spent = cpu = 0.0
        curves: list[policy.Curves] = []
        means: list[np.ndarray] = []
        costs: list[np.ndarray] = []
        for start in range(0, pairs, chunk):
            n = min(chunk, pairs - start)
            adi = np.exp(rng.uniform(0, np.log(30), n))
            size = np.exp(rng.uniform(0, np.log(20), n))
            occurs = rng.random((n, HISTORY)) < (1 / adi)[:, None]
            history = np.where(occurs, 1 + rng.poisson(size[:, None], (n, HISTORY)), 0).astype(np.float64)
            lead = rng.choice([3, 5, 7, 10, 14], n)
            started, cpu_started = time.perf_counter(), time.process_time()
            batch = policy.suggest_many(history, lead, TARGET, REVIEW, keep_curves=True)
            spent += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
            assert batch.curves is not None
            curves.extend(batch.curves)
            means.append(batch.fit.mean)
            costs.append(np.exp(rng.normal(np.log(20), 1.2, n)))
        timings.append(spent)
        cpu_timings.append(cpu)
        started = time.perf_counter()
        system.allocate(curves, np.concatenate(means), np.concatenate(costs), TARGET)
        alloc_timings.append(time.perf_counter() - started)
    print(
        f"\nspeed: {pairs:,} pairs x {HISTORY} days, suggestions (with curves) in "
        f"{min(timings):.1f} / {statistics.median(timings):.1f} / {max(timings):.1f} s (min / median / max of "
        f"{repeats}) wall clock, {min(cpu_timings):.1f} / {statistics.median(cpu_timings):.1f} / "
        f"{max(cpu_timings):.1f} s CPU; system allocation over them {min(alloc_timings):.1f} / "
        f"{statistics.median(alloc_timings):.1f} / {max(alloc_timings):.1f} s wall clock"
    )
    print(f"machine load (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--speed", type=int, default=100_000, help="pairs for the speed run (0: skip)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for seed in args.seeds:
        run_seed(seed)
    if args.speed:
        speed(args.speed, repeats=args.repeats)


if __name__ == "__main__":
    main()
