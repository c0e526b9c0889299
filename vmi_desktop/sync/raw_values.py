"""Report columns read as the database stores them and turned into wire values in one step.

A full stock report carries about a million quantities and a quarter of a million timestamps. Read
through the column types, each quantity becomes a Decimal (SQLite keeps integer thousandths) and
then a wire number, each timestamp a datetime and then RFC 3339 text: most of the report's time. On
SQLite these columns are read raw and converted directly, to the very values the typed path gives
(``wire.number``, ``payloads.rfc3339``); PostgreSQL hands Decimals and datetimes over already and keeps
the typed path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, String, type_coerce
from sqlalchemy.orm import Session

from vmi_desktop import wire
from vmi_desktop.models.base import Quantity as QUANTITY
from vmi_desktop.models.base import UTCDateTime

Converter = Callable[[Any], Any]

#: How SQLite keeps an aware timestamp (``UTCDateTime``): UTC, naive, always with microseconds.
_STORED = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
_SCALE = 10**QUANTITY.scale


def is_sqlite(session: Session) -> bool:
    """Whether ``session``'s database is SQLite (its columns are then read raw)."""
    return session.get_bind().dialect.name == "sqlite"


def quantity(session: Session, column: Any) -> tuple[Any, Converter]:
    """``column`` (a ``Quantity``) to select, and what turns a value of it into a wire number."""
    if is_sqlite(session):
        return type_coerce(column, BigInteger), _thousandths
    return column, wire.number


def _thousandths(value: Any) -> int | Decimal:
    if type(value) is int:
        whole, rest = divmod(value, _SCALE)
        if rest == 0:
            return whole
        return wire.number(Decimal(value).scaleb(-QUANTITY.scale))
    return wire.number(QUANTITY.process_result_value(value, _SQLITE))


def timestamp(session: Session, column: Any, text: Callable[[datetime], str]) -> tuple[Any, Converter]:
    """``column`` (a ``UTCDateTime``) to select, and what turns a value of it into ``text(value)``, None kept."""
    if not is_sqlite(session):
        return column, lambda value: None if value is None else text(value)

    def convert(value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is str and _STORED.fullmatch(value):
            fraction = value[20:]
            return f"{value[:10]}T{value[11:19]}{'' if fraction == '000000' else '.' + fraction}Z"
        moment = _UTC.process_result_value(value, _SQLITE)
        return None if moment is None else text(moment)

    return type_coerce(column, String), convert


class _Dialect:
    """Enough of a dialect for the column types' own SQLite conversions (the fall-backs above)."""

    name = "sqlite"


_SQLITE: Any = _Dialect()
_UTC = UTCDateTime()
