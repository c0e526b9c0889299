"""JSON as it crosses the wire to and from suppliers: exact decimals, no float round trip.

A quantity of 12345678901234.567 leaves as that number and comes back as
``Decimal("12345678901234.567")``; a float never stands in between. NaN and infinities are not JSON
and are refused on the way in; a Decimal that is not finite is refused on the way out (payloads
never carry floats: see ``number``). msgspec does the encoding and decoding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)


class WireError(ValueError):
    """A body that is not the JSON we accept (malformed, too deep, not finite)."""


def number(value: Decimal | int | None) -> int | Decimal:
    """A quantity or price as a JSON number: integers stay integers, fractions keep their exact decimals."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise WireError(f"{value!r} is not a quantity")
    if isinstance(value, int):
        return value
    if not isinstance(value, Decimal) or not value.is_finite():
        raise WireError(f"{value!r} is not a finite decimal")
    if value == value.to_integral_value():
        return int(value)
    return Decimal(f"{value.normalize():f}")


def dumpb(body: Any) -> bytes:
    """UTF-8 JSON bytes of ``body`` (Decimals as exact numbers; a non-finite Decimal is refused)."""
    try:
        return _ENCODER.encode(body)
    except (TypeError, ValueError, msgspec.EncodeError) as exc:
        raise WireError(str(exc)) from None


def dumps(body: Any) -> str:
    """JSON text of ``body`` (Decimals as exact numbers)."""
    return dumpb(body).decode("utf-8")


def loads(data: bytes | str) -> Any:
    """Parse JSON, numbers with a fraction or exponent as exact Decimals; ``WireError`` when it is not JSON."""
    try:
        return _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        raise WireError(str(exc)) from None
    except RecursionError:
        raise WireError("JSON is nested too deeply") from None
