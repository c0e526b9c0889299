"""Parsing and rounding quantities: Decimal, at most 3 decimals, never float."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from vmi_desktop.errors import ValidationError

QUANTUM = Decimal("0.001")
#: Numeric(18, 3) holds 15 integer digits.
MAX_QUANTITY = Decimal("1e15")


def parse_quantity(
    value: object, *, what: str = "quantity", allow_zero: bool = False, allow_negative: bool = False
) -> Decimal:
    """A Decimal with at most 3 decimals from user or wire input, or a clear error."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{what} must be a finite number, got {value!r}")
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", ".") if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValidationError(f"{what} must be a finite number, got {value!r}")
    if abs(number) >= MAX_QUANTITY:
        raise ValidationError(f"{what} {value} is too large")
    if number != number.quantize(QUANTUM, rounding=ROUND_CEILING):
        raise ValidationError(f"{what} {value} has more than 3 decimals")
    if number == 0 and not allow_zero:
        raise ValidationError(f"{what} must not be zero")
    if number < 0 and not allow_negative:
        raise ValidationError(f"{what} must not be negative, got {value}")
    return number.quantize(QUANTUM)


def round_up_to_pack(quantity: Decimal, pack_size: Decimal) -> Decimal:
    """The smallest multiple of ``pack_size`` that is at least ``quantity``."""
    if pack_size <= 0:
        raise ValidationError("pack size must be above zero")
    packs = (quantity / pack_size).to_integral_value(rounding=ROUND_CEILING)
    return (packs * pack_size).quantize(QUANTUM)


def fmt(quantity: Decimal | None) -> str:
    """A quantity as people write it: no trailing zeros, no exponent."""
    if quantity is None:
        return ""
    text = f"{quantity.normalize():f}"
    return text
