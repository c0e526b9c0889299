"""Field formats shared by the EDI and CSV codecs: exact decimals, dates and times, bounded text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.quantities import fmt

_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)\Z")
_INTEGER = re.compile(r"\d{1,9}\Z")


def number_text(value: Decimal) -> str:
    """A decimal as EDI and CSV write it: no exponent, no trailing zeros (``12``, ``0.5``, ``-3``)."""
    return fmt(value) if value != 0 else "0"


def parse_decimal(text: str, what: str) -> Decimal:
    """A plain decimal (``12``, ``-0.5``, ``.25``); anything else is refused with ``what`` named."""
    value = text.strip()
    if not _DECIMAL.match(value):
        raise ExchangeError(f"{what} {text[:30]!r} is not a number")
    return Decimal(value)


def parse_optional_decimal(text: str, what: str) -> Decimal | None:
    return None if not text.strip() else parse_decimal(text, what)


def parse_line_number(text: str, what: str = "line number") -> int:
    """A positive whole line number."""
    value = text.strip()
    if not _INTEGER.match(value) or int(value) <= 0:
        raise ExchangeError(f"{what} {text[:30]!r} is not a positive whole number")
    return int(value)


def ccyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def parse_ccyymmdd(text: str, what: str) -> date:
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ExchangeError(f"{what} {text[:30]!r} is not a CCYYMMDD date") from None


def parse_optional_ccyymmdd(text: str, what: str) -> date | None:
    return None if not text else parse_ccyymmdd(text, what)


def hhmmss(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H%M%S")


def parse_moment(day_text: str, time_text: str, what: str) -> datetime:
    """A UTC moment from CCYYMMDD and HHMM[SS]."""
    day = parse_ccyymmdd(day_text, what)
    if len(time_text) not in (4, 6) or not time_text.isdigit():
        raise ExchangeError(f"{what} time {time_text[:30]!r} is not HHMM or HHMMSS")
    try:
        return datetime(
            day.year,
            day.month,
            day.day,
            int(time_text[:2]),
            int(time_text[2:4]),
            int(time_text[4:6] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        raise ExchangeError(f"{what} time {time_text!r} is not a time of day") from None


def text_field(value: str, what: str, *, limit: int = 100, required: bool = True) -> str:
    """Trimmed text within ``limit`` characters; empty refused when ``required``."""
    text = value.strip()
    if required and not text:
        raise ExchangeError(f"{what} is missing")
    if len(text) > limit:
        raise ExchangeError(f"{what} is longer than {limit} characters")
    return text
