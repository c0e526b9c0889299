"""The threshold policy, the system allocation and the replay on hand-built series with known answers."""

from __future__ import annotations

import itertools
from decimal import Decimal
from math import comb

import numpy as np
import pytest

from vmi_desktop.errors import ValidationError
from vmi_desktop.replenishment import policy, system
from vmi_desktop.replenishment.reorder import order_quantity
from vmi_desktop.replenishment.replay import order_quantities, replay

DAYS = 730


def _binomial_excess(size: float, days: int, p: float, y: float) -> float:
    """E[(X - y)+] for X = size x Binomial(days, p), computed directly."""
    return sum(comb(days, k) * p**k * (1 - p) ** (days - k) * max(size * k - y, 0.0) for k in range(days + 1))


def _fill_by_hand(size: float, p: float, lead: int, positions: list[float]) -> float:
    """Unit fill of fixed-size demand when the position after ordering is equally often at each of ``positions``."""
    short = np.mean([_binomial_excess(size, lead + 1, p, y) - _binomial_excess(size, lead, p, y) for y in positions])
    return 1 - float(short) / (size * p)


def test_constant_demand_needs_no_safety_stock_for_full_service() -> None:
    history = np.full(DAYS, 3.0)
    assert policy.suggest(history, 7, 1.0) == (Decimal(21), Decimal(63))  # lead-time demand, 14 days more
    # at 0.95 the lowest of the 14 positions a cycle passes through may run 2 short on one day in 14
    assert policy.suggest(history, 7, 0.95) == (Decimal(19), Decimal(61))
    assert policy.fit_many(history).demand_class[0] == "smooth"


def test_demand_every_tenth_day_matches_the_hand_computed_fill() -> None:
    history = np.zeros(DAYS)
    history[9::10] = 5.0
    fit = policy.fit_many(history)
    assert fit.demand_class[0] == "intermittent"
    p = float(fit.rate[0])
    low, high = policy.suggest(history, 7, 0.95)
    assert high - low == 7  # 14 days of 0.5 a day
    # an order lifts the position to max; one demand of 5 leaves it above min (7 > 5), the next orders:
    # half the days at max, half at max - 5
    expected = next(s for s in range(60) if _fill_by_hand(5, p, 7, [s + 7, s + 2]) >= 0.95)
    assert low == expected
    # on the series itself, regular rather than random, the thresholds serve at least the target
    replayed = replay(history, float(low), float(high), 7)
    assert replayed.total_fill_rate() >= 0.95


def test_no_demand_keeps_min_zero_and_one_pack() -> None:
    history = np.zeros(DAYS)
    assert policy.suggest(history, 7, 0.95) == (Decimal(0), Decimal(1))
    assert policy.suggest(history, 7, 0.95, pack=6) == (Decimal(0), Decimal(6))
    assert policy.fit_many(history).demand_class[0] == "none"


def test_single_spike_is_covered_almost_whole() -> None:
    history = np.zeros(DAYS)
    history[400] = 100.0
    p = float(policy.fit_many(history).rate[0])
    low, high = policy.suggest(history, 7, 0.95)
    assert high - low == 2  # 14 days x 100/730, rounded
    # every demand orders, so the position after ordering is always max
    expected = next(s for s in range(200) if _fill_by_hand(100, p, 7, [s + 2]) >= 0.95)
    assert low == expected == 94


def test_expected_fill_and_stock_match_an_exact_simulation() -> None:
    rng = np.random.default_rng(7)
    days = 60_000

    def draw() -> np.ndarray:
        return np.where(rng.random(days) < 0.2, np.ceil(rng.lognormal(1.0, 0.6, days)), 0.0)

    batch = policy.suggest_many(draw(), 5, 0.9, 14, pack=4, half_life_days=1e9)
    simulated = replay(draw(), batch.min_qty, batch.max_qty, 5, pack=4)
    assert abs(simulated.fill_rate[0] - batch.expected_fill[0]) < 0.01
    assert abs(simulated.mean_on_hand[0] - batch.expected_on_hand[0]) / simulated.mean_on_hand[0] < 0.06


def test_measured_units_get_three_decimals_and_at_least_one_pack_of_cycle() -> None:
    rng = np.random.default_rng(3)
    history = np.where(rng.random(DAYS) < 0.5, np.round(rng.uniform(0.1, 0.9, DAYS), 3), 0.0)
    low, high = policy.suggest(history, 3, 0.95, whole=False, pack=Decimal("2.5"))
    assert low != low.to_integral_value()
    assert low == low.quantize(Decimal("0.001"))
    mean = float(policy.fit_many(history).mean[0])
    assert high - low == Decimal(str(round(14 * mean, 3)))  # 14 days of mean demand (about 0.25 a day)
    low_pack, high_pack = policy.suggest(history, 3, 0.95, whole=False, pack=Decimal(10))
    assert high_pack - low_pack == 10


def test_whole_units_give_whole_numbers() -> None:
    rng = np.random.default_rng(5)
    history = np.where(rng.random(DAYS) < 0.3, rng.integers(1, 9, DAYS), 0).astype(float)
    low, high = policy.suggest(history, 10, 0.97)
    assert low == low.to_integral_value() and high == high.to_integral_value()


@pytest.mark.parametrize("target", [0.0, 1.2, -0.5])
def test_a_target_outside_zero_to_one_is_refused(target: float) -> None:
    with pytest.raises(ValidationError, match="target fill rate"):
        policy.suggest(np.ones(10), 7, target)


def test_classes_follow_the_syntetos_boylan_cut_offs() -> None:
    labels = policy.classify(np.array([1.1, 1.1, 3.0, 3.0, np.inf]), np.array([0.2, 0.8, 0.2, 0.8, 0.0]))
    assert labels.tolist() == ["smooth", "erratic", "intermittent", "lumpy", "none"]


# -- system mode ---------------------------------------------------------------------------------


def _curves(histories: np.ndarray, target: float = 0.95) -> policy.SuggestionBatch:
    batch = policy.suggest_many(histories, 7, target, keep_curves=True)
    assert batch.curves is not None
    return batch


def test_identical_parts_at_one_price_cost_what_the_per_part_answer_costs() -> None:
    batch = _curves(np.vstack([np.full(DAYS, 3.0), np.full(DAYS, 3.0)]))
    assert batch.curves is not None
    plan = system.allocate(batch.curves, batch.fit.mean, [5.0, 5.0], 0.95)
    assert batch.min_qty.tolist() == [19.0, 19.0]
    # each unit of min buys the same fill here (the curve is a straight line from 18 to 21), so
    # (18, 20) is as good as (19, 19): same stock, same aggregate fill
    assert plan.min_qty.sum() == 38
    assert plan.value == pytest.approx(float((batch.expected_on_hand * 5.0).sum()))
    assert plan.aggregate_fill == pytest.approx(float(batch.expected_fill.mean()))


def test_the_cheap_part_carries_the_service_of_the_dear_one() -> None:
    batch = _curves(np.vstack([np.full(DAYS, 3.0), np.full(DAYS, 3.0)]))
    assert batch.curves is not None
    costs = np.array([1.0, 100.0])
    plan = system.allocate(batch.curves, batch.fit.mean, costs, 0.95)
    assert plan.aggregate_fill >= 0.95 - 1e-9
    assert plan.fill[0] == pytest.approx(1.0) and plan.fill[1] < 0.95
    assert plan.value < float((batch.expected_on_hand * costs).sum())
    # the least value meeting the target, by trying every pair of mins
    best = min(
        costs[0] * batch.curves[0].on_hand[a] + costs[1] * batch.curves[1].on_hand[b]
        for a, b in itertools.product(range(len(batch.curves[0].fill)), range(len(batch.curves[1].fill)))
        if (batch.curves[0].fill[a] + batch.curves[1].fill[b]) / 2 >= 0.95 - 1e-9
    )
    assert plan.value == pytest.approx(best)


def test_system_mode_on_mixed_parts_meets_the_aggregate_target_with_less_value() -> None:
    rng = np.random.default_rng(11)
    spike = np.zeros(DAYS)
    spike[300] = 40.0
    tenth = np.zeros(DAYS)
    tenth[::10] = 5.0
    histories = np.vstack(
        [
            np.full(DAYS, 3.0),
            tenth,
            spike,
            np.zeros(DAYS),
            np.where(rng.random(DAYS) < 0.1, rng.integers(1, 30, DAYS), 0).astype(float),
        ]
    )
    batch = _curves(histories)
    assert batch.curves is not None
    costs = np.array([2.0, 50.0, 400.0, 10.0, 5.0])
    plan = system.allocate(batch.curves, batch.fit.mean, costs, 0.95)
    assert plan.aggregate_fill >= 0.95 - 1e-9
    assert plan.value < float((batch.expected_on_hand * costs).sum())
    assert plan.min_qty[3] == 0  # nothing to serve


def test_an_aggregate_target_beyond_full_service_takes_the_most_there_is() -> None:
    batch = _curves(np.vstack([np.full(DAYS, 3.0)]))
    assert batch.curves is not None
    plan = system.allocate(batch.curves, batch.fit.mean, [1.0], 1.0)
    assert plan.aggregate_fill == pytest.approx(1.0)
    assert plan.min_qty[0] == 21


# -- replay ------------------------------------------------------------------------------------


def test_replay_order_quantities_are_the_reorder_triggers() -> None:
    needs = [Decimal(x) for x in ("0", "0.5", "7", "12", "13", "30")]
    for pack, moq in [(Decimal(1), Decimal(0)), (Decimal(6), Decimal(0)), (Decimal(5), Decimal(12))]:
        expected = [float(order_quantity(Decimal(0) - n, Decimal(0), pack, moq)) for n in needs]
        got = order_quantities(np.array([float(n) for n in needs]), np.full(6, float(pack)), np.full(6, float(moq)))
        assert got.tolist() == expected


def test_replay_of_constant_demand_at_lead_time_demand_never_runs_out() -> None:
    result = replay(np.full(365, 3.0), 21.0, 63.0, 7)
    assert result.total_fill_rate() == 1.0
    assert result.stockout_days[0] == 0
    assert result.orders[0] == 26  # 1095 units in orders of 42, the first after 15 days


def test_replay_backorders_a_demand_larger_than_stock() -> None:
    demand = np.zeros(30)
    demand[1] = 15.0
    result = replay(demand, 2.0, 10.0, 3)
    assert result.filled[0] == 10.0 and result.demanded[0] == 15.0
    assert result.stockout_days[0] == 1
    # the order (10 - (-5) = 15) covers the backorder: 10 on hand from day 4 on
    assert result.orders[0] == 1
