"""The reference supplier checks every line of a report (its whole-number path included) and applies all or none."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from vmi_desktop.supplier_server.state import BadRequest, SupplierState


def _stock(*lines: dict[str, Any]) -> dict[str, Any]:
    return {
        "message_id": "m-1",
        "customer_id": "C-42",
        "generated_at": "2026-12-01T00:00:00Z",
        "mode": "full",
        "lines": list(lines),
    }


def _line(**values: Any) -> dict[str, Any]:
    return {"location_code": "WH-1", "sku": "P-1", "on_hand": 4, "on_order": 0, "min": 1, "max": 9, **values}


@pytest.mark.parametrize("replenish", [False, True])
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"on_order": -1}, "on_order must not be negative"),
        ({"min": True}, "min must be a number"),
        ({"max": "9"}, "max must be a number"),
        ({"on_hand": None}, "on_hand must be a number"),
        ({"min": Decimal("-0.5")}, "min must not be negative"),
    ],
)
def test_a_bad_number_refuses_the_whole_report_with_its_reason(
    replenish: bool, bad: dict[str, Any], reason: str
) -> None:
    state = SupplierState(replenish=replenish)
    with pytest.raises(BadRequest) as refused:
        state.apply("stock-reports", _stock(_line(sku="P-0"), _line(**bad)))
    assert (refused.value.status, refused.value.reason) == (422, reason)
    assert state.positions == {} and state.lines_applied["stock-reports"] == 0


@pytest.mark.parametrize("replenish", [False, True])
def test_whole_and_fractional_numbers_and_negative_stock_are_accepted(replenish: bool) -> None:
    state = SupplierState(replenish=replenish)
    status, answer = state.apply(
        "stock-reports", _stock(_line(), _line(sku="P-2", on_hand=Decimal("-2.255"), max=Decimal("12.5")))
    )
    assert (status, answer) == (202, {"accepted": 2})
    assert state.positions[("WH-1", "P-2")]["on_hand"] == Decimal("-2.255")


def test_a_line_missing_a_field_names_it_and_usage_checks_its_quantities() -> None:
    state = SupplierState(replenish=False)
    line = _line()
    del line["on_order"]
    with pytest.raises(BadRequest, match=r"missing field\(s\): on_order"):
        state.apply("stock-reports", _stock(line))
    usage = {
        "message_id": "u-1",
        "customer_id": "C-42",
        "lines": [
            {"location_code": "WH-1", "sku": "P-1", "date": "2026-11-30", "consumed": 3},
            {"location_code": "WH-1", "sku": "P-1", "date": "2026-12-01", "consumed": -1},
        ],
    }
    with pytest.raises(BadRequest, match="consumed must not be negative"):
        state.apply("usage", usage)
    assert state.usage == {}
