"""Argument types for the subcommands: every number and date is range-checked, nothing is guessed.

Each type raises ``argparse.ArgumentTypeError`` with one sentence, which the parser prints as
``vmi-desktop: error: argument --limit: ...`` with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from vmi_desktop.errors import ValidationError
from vmi_desktop.quantities import to_decimal

#: Dates the app reasons about: history and plans, not the end of time (date arithmetic stays valid).
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2199, 12, 31)


def bounded_int(minimum: int, maximum: int) -> Callable[[str], int]:
    """A whole number in ``[minimum, maximum]``."""

    def parse(text: str) -> int:
        value = text.strip()
        if not value.lstrip("+-").isdigit():
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        number = int(value)
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{number} is out of range: use {minimum} to {maximum}")
        return number

    return parse


def bounded_float(minimum: float, maximum: float) -> Callable[[str], float]:
    """A finite number of seconds (or similar) in ``[minimum, maximum]``."""

    def parse(text: str) -> float:
        try:
            number = float(to_decimal(text, what="value"))
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not math.isfinite(number) or not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{text} is out of range: use {minimum:g} to {maximum:g}")
        return number

    return parse


def bounded_decimal(minimum: Decimal, maximum: Decimal, what: str = "value") -> Callable[[str], Decimal]:
    """A plain decimal with a dot (a comma is refused, not guessed) in ``[minimum, maximum]``."""

    def parse(text: str) -> Decimal:
        try:
            number = to_decimal(text, what=what)
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{what} {text} is out of range: use {minimum} to {maximum}")
        return number

    return parse


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date between 1970 and 2199."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None
    if not FIRST_DATE <= value <= LAST_DATE:
        raise argparse.ArgumentTypeError(f"{value} is out of range: use a date from {FIRST_DATE} to {LAST_DATE}")
    return value


#: A quantity as typed on the command line (signs allowed; the ledger checks sign, unit and bounds).
plain_decimal = bounded_decimal(Decimal("-1e15"), Decimal("1e15"), "quantity")
#: Row limits of listings.
limit = bounded_int(1, 1_000_000)
#: Database ids.
record_id = bounded_int(1, 2**63 - 1)
