"""Parsing and rounding quantities and money: Decimal, bounded to what the columns hold, never float.

Input is never guessed. Text must be a plain decimal with a dot ("12", "-0.5", "1234.567"): a comma,
an exponent ("1e3"), a thousands separator or more decimals than allowed is refused with the reason,
never reinterpreted. (The UI parses the user's locale first and hands a Decimal here; see
``vmi_desktop.ui.numbers``.) Whole units (EA, SET, ...) refuse fractions: callers pass ``whole`` from
``vmi_desktop.units``.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from vmi_desktop.errors import ValidationError

QUANTUM = Decimal("0.001")
MONEY_QUANTUM = Decimal("0.0001")
WHOLE = Decimal(1)
#: Numeric(18, 3) holds 15 integer digits.
MAX_QUANTITY = Decimal("1e15")
#: Numeric(18, 4) holds 14 integer digits.
MAX_MONEY = Decimal("1e14")

_PLAIN_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def to_decimal(value: object, *, what: str) -> Decimal:
    """A finite Decimal from a Decimal, int, finite float or plain decimal text; refuses anything else."""
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{what} must be a number, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{what} must be a finite number, got {value!r}")
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValidationError(f"{what} must be a number, got nothing")
        if "," in text:
            raise ValidationError(
                f"{what} {text!r} contains a comma: write decimals with a dot (1.5) and no thousands separators"
            )
        if not _PLAIN_DECIMAL.fullmatch(text):
            raise ValidationError(f"{what} must be a plain number such as 12 or 0.5, got {text!r}")
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise ValidationError(f"{what} must be a number, got {text!r}") from None
    else:
        raise ValidationError(f"{what} must be a number, got {value!r}")
    if not number.is_finite():
        raise ValidationError(f"{what} must be a finite number, got {value!r}")
    return number


def parse_quantity(
    value: object,
    *,
    what: str = "quantity",
    allow_zero: bool = False,
    allow_negative: bool = False,
    whole: bool = False,
    uom: str = "",
) -> Decimal:
    """A quantity with at most 3 decimals (none for a whole unit) within the column's bounds, or a clear error."""
    number = to_decimal(value, what=what)
    if abs(number) >= MAX_QUANTITY:
        raise ValidationError(f"{what} {_shown(value, number)} is too large: quantities stay below {fmt(MAX_QUANTITY)}")
    if number != number.quantize(QUANTUM, rounding=ROUND_FLOOR):
        raise ValidationError(f"{what} {_shown(value, number)} has more than 3 decimals")
    if whole and number != number.to_integral_value():
        unit = uom or "this unit"
        raise ValidationError(f"{what} {_shown(value, number)} has a fraction, but {unit} is counted in whole units")
    if number == 0 and not allow_zero:
        raise ValidationError(f"{what} must not be zero")
    if number < 0 and not allow_negative:
        raise ValidationError(f"{what} must not be negative, got {_shown(value, number)}")
    return number.quantize(QUANTUM)


def _shown(value: object, number: Decimal) -> str:
    """A refused value as the message shows it: as typed, or the number as people write it (only for a refusal:
    a page of events parses some 25,000 quantities that are fine)."""
    return value.strip() if isinstance(value, str) else fmt(number)


def parse_money(value: object, *, what: str = "price", allow_negative: bool = False) -> Decimal:
    """A price or cost with at most 4 decimals within the column's bounds, or a clear error."""
    number = to_decimal(value, what=what)
    if abs(number) >= MAX_MONEY:
        raise ValidationError(f"{what} {_shown(value, number)} is too large: amounts stay below {fmt(MAX_MONEY)}")
    if number != number.quantize(MONEY_QUANTUM, rounding=ROUND_FLOOR):
        raise ValidationError(f"{what} {_shown(value, number)} has more than 4 decimals")
    if number < 0 and not allow_negative:
        raise ValidationError(f"{what} must not be negative, got {_shown(value, number)}")
    return number.quantize(MONEY_QUANTUM)


def check_quantity_bound(quantity: Decimal, *, what: str) -> None:
    """Refuse a computed quantity (an on hand after a posting, a position) the columns cannot hold."""
    if abs(quantity) >= MAX_QUANTITY:
        raise ValidationError(f"{what} would be {fmt(quantity)}, beyond what a quantity holds ({fmt(MAX_QUANTITY)})")


def round_up_to_pack(quantity: Decimal, pack_size: Decimal) -> Decimal:
    """The smallest multiple of ``pack_size`` that is at least ``quantity``."""
    if pack_size <= 0:
        raise ValidationError("pack size must be above zero")
    packs = (quantity / pack_size).to_integral_value(rounding=ROUND_CEILING)
    return (packs * pack_size).quantize(QUANTUM)


def order_quantity(position: Decimal, max_qty: Decimal, pack_size: Decimal, moq: Decimal) -> Decimal:
    """What a reorder orders for a pair: max - position rounded up to the pack size, at least the MOQ
    (rounded up to whole packs). Here, not in ``replenishment.reorder``, so the worklist's rows can
    suggest it without importing the reorder run (ordering, alerts: not needed for the first paint)."""
    need = max_qty - position
    if need <= 0:
        return Decimal("0.000")
    qty = round_up_to_pack(need, pack_size)
    if qty < moq:
        qty = round_up_to_pack(moq, pack_size)
    return qty


def round_for_unit(quantity: Decimal, *, whole: bool) -> Decimal:
    """A computed quantity (a scaled threshold) rounded half up to what the unit allows."""
    return quantity.quantize(WHOLE if whole else QUANTUM, rounding=ROUND_HALF_UP).quantize(QUANTUM)


def fmt(quantity: Decimal | None) -> str:
    """A quantity as people write it: no trailing zeros, no exponent."""
    if quantity is None:
        return ""
    return f"{quantity.normalize():f}"
