"""JSON as it crosses the wire to and from suppliers: exact decimals, no float round trip.

A quantity of 12345678901234.567 leaves as that number and comes back as
``Decimal("12345678901234.567")``; a float never stands in between. NaN and infinities are not JSON
and are refused on the way in; a Decimal that is not finite is refused on the way out (payloads
never carry floats: see ``number``). msgspec does the encoding and decoding.
"""

from __future__ import annotations

import operator
import re
from decimal import Decimal
from itertools import accumulate, count
from typing import Any

import msgspec

_ENCODER = msgspec.json.Encoder(decimal_format="number")
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
#: JSON strings (escapes included): their brackets nest nothing.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
#: Everything but brackets (deleted), and closers/openers mapped to "]" (93) / "[" (91).
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_SQUARE = bytes.maketrans(b"{}", b"[]")
#: Brackets are counted in chunks of this many.
_CHUNK = 1 << 20
#: Up to this many brackets are counted without numpy (see ``_deepest``).
_SMALL = 1 << 16
#: An opener as 2, a closer as 0 (running sums of them give the depth, see ``_deepest``).
_STEPS = bytes.maketrans(b"[]", b"\x02\x00")


class WireError(ValueError):
    """A body that is not the JSON we accept (malformed, too deep, not finite)."""


def number(value: Decimal | int | None) -> int | Decimal:
    """A quantity or price as a JSON number: integers stay integers, fractions keep their exact decimals."""
    if value is None:
        return 0
    if type(value) is Decimal and value.is_finite():  # the common case first: a report has a million of them
        whole = int(value)
        return whole if whole == value else Decimal(f"{value.normalize():f}")
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


def _deepest(brackets: bytes) -> int:
    """The maximum running depth of a string of ``[`` and ``]``.

    A page's few thousand brackets are counted by C iterators (no Python step per bracket, and no
    numpy import: 0.2-0.5 s, paid by the first pull of a process that has not drawn a chart); a
    larger body by numpy, in chunks (bounded memory, a few times faster per bracket).
    """
    if len(brackets) <= _SMALL:
        # level after bracket i = 2 x openers so far - (i + 1), with "[" as 2 and "]" as 0
        return max(0, max(map(operator.sub, accumulate(brackets.translate(_STEPS)), count(1)), default=0))
    import numpy as np  # a dependency already (the charts); imported here only when a large body is checked

    deepest = level = 0
    for start in range(0, len(brackets), _CHUNK):
        size = min(_CHUNK, len(brackets) - start)
        steps = 92 - np.frombuffer(brackets, dtype=np.uint8, count=size, offset=start).astype(np.int32)
        running = np.cumsum(steps) + level
        deepest = max(deepest, int(running.max()))
        level = int(running[-1])
    return deepest


def check_depth(data: bytes, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit`` arrays/objects, before a parser recurses into it.

    The brackets are counted with C-speed bytes operations: first all of them (fast); only when that
    count is over the limit are strings blanked out (their brackets nest nothing) and the count made
    exact. A count that strings made too low cannot hurt: the parser's own recursion guard is the
    backstop (``loads`` turns it into a ``WireError`` too).
    """
    if _deepest(data.translate(_SQUARE, _NOT_BRACKETS)) <= limit:
        return
    if _deepest(_STRING.sub(b'""', data).translate(_SQUARE, _NOT_BRACKETS)) > limit:
        raise WireError(f"JSON is nested more than {limit} levels deep")


def loads(data: bytes | str, *, max_depth: int | None = None) -> Any:
    """Parse JSON, numbers with a fraction or exponent as exact Decimals; ``WireError`` when it is not JSON.

    ``max_depth`` refuses deeper nesting up front (input from a supplier).
    """
    if max_depth is not None:
        check_depth(data.encode("utf-8") if isinstance(data, str) else data, max_depth)
    try:
        return _DECODER.decode(data)
    except msgspec.DecodeError as exc:
        raise WireError(str(exc)) from None
    except RecursionError:
        raise WireError("JSON is nested too deeply") from None


def nul_spelled_out(text: str) -> str:
    """``text`` with each NUL as the six characters ``\\u0000``: what a supplier sent, as a text column
    takes it (PostgreSQL stores no NUL; a write of one failed the whole page or message, at every run)."""
    return text.replace("\x00", "\\u0000")
