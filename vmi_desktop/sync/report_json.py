"""The full report's lines as JSON text built by SQLite itself (``json_object``), for its million values.

A first full sync writes about 385,000 report lines; made into dicts, converted value by value and
encoded, they are most of the time it takes to queue it. On SQLite each line's JSON is instead built in
the query from the columns as SQLite stores them: quantities are integer thousandths, written out by
integer arithmetic (``12``, ``-0.5``, ``3.125``: the numbers ``wire.number`` gives), timestamps are
UTC text turned into RFC 3339 as ``raw_values`` does, strings are quoted by ``json_object``. A row
whose stored values are not of those shapes (none is, as the column types write them) gets no text and
is built the typed way. The lines are those of ``payloads.stock_report_bodies`` and
``payloads.usage_bodies`` (same keys in the same order, same values; tests compare them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, case, func, literal, literal_column, null

from vmi_desktop import wire
from vmi_desktop.models.base import Quantity as QUANTITY

_SCALE = 10**QUANTITY.scale
#: Integer thousandths in, a JSON number out: an integer as such, a fraction as its exact decimal text.
_NUMBER = (
    "(CASE WHEN {x} % {scale} = 0 THEN {x} / {scale} "
    "ELSE json(printf('%s%d.%s', CASE WHEN {x} < 0 THEN '-' ELSE '' END, abs({x}) / {scale}, "
    "rtrim(substr({scale} + abs({x}) % {scale}, 2), '0'))) END)"
)
#: How SQLite keeps an aware timestamp (``UTCDateTime``): UTC, naive, with microseconds.
_STORED = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]'"
_RFC3339 = (
    "(substr({t}, 1, 10) || 'T' || substr({t}, 12, 8) "
    "|| (CASE WHEN substr({t}, 21) = '000000' THEN '' ELSE '.' || substr({t}, 21) END) || 'Z')"
)


def number_sql(column: str) -> str:
    """SQL of the JSON number of ``column`` (integer thousandths)."""
    return _NUMBER.format(x=column, scale=_SCALE)


def _integers(*columns: str) -> str:
    return " AND ".join(f"typeof({c}) = 'integer'" for c in columns)


def _texts(*columns: str) -> str:
    return " AND ".join(f"typeof({c}) = 'text'" for c in columns)


def _sql(text: str) -> Any:
    return literal_column(text)


def stock_line_column(report: str, stamp: str) -> Any:
    """One stock line's JSON text over subquery ``report`` (``payloads._stock_statement``'s labels), NULL for a
    row not of the stored shapes; ``as_of`` is ``stamp`` for a pair with no stock row."""
    r = report
    ok = (
        f"({_integers(f'{r}.on_hand', f'{r}.on_order', f'{r}.min_qty', f'{r}.max_qty')} "
        f"AND {_texts(f'{r}.location_code', f'{r}.sku', f'{r}.uom')} "
        f"AND ({r}.supplier_sku IS NULL OR typeof({r}.supplier_sku) = 'text') "
        f"AND ({r}.updated_at IS NULL OR (typeof({r}.updated_at) = 'text' AND {r}.updated_at GLOB {_STORED})))"
    )
    line = func.json_object(
        _sql("'location_code'"),
        _sql(f"{r}.location_code"),
        _sql("'sku'"),
        _sql(f"{r}.sku"),
        _sql("'supplier_sku'"),
        _sql(f"nullif({r}.supplier_sku, '')"),
        _sql("'uom'"),
        _sql(f"{r}.uom"),
        _sql("'on_hand'"),
        _sql(number_sql(f"{r}.on_hand")),
        _sql("'on_order'"),
        _sql(number_sql(f"{r}.on_order")),
        _sql("'min'"),
        _sql(number_sql(f"{r}.min_qty")),
        _sql("'max'"),
        _sql(number_sql(f"{r}.max_qty")),
        _sql("'as_of'"),
        func.coalesce(_sql(_RFC3339.format(t=f"{r}.updated_at")), literal(stamp, String)),
        type_=String,
    )
    return case((_sql(ok), line), else_=null())


def usage_ok(location_code: str, sku: str, day: str, consumed: str) -> Any:
    """Whether a usage row (its columns' SQL) is of the stored shapes (``usage_line_column`` gives its text)."""
    return _sql(f"({_integers(consumed)} AND {_texts(location_code, sku, day)})")  # date() gives YYYY-MM-DD


def usage_line_column(location_code: str, sku: str, day: str, consumed: str) -> Any:
    """One usage line's JSON text from its columns' SQL; NULL for a row not of the stored shapes."""
    line = func.json_object(
        _sql("'location_code'"),
        _sql(location_code),
        _sql("'sku'"),
        _sql(sku),
        _sql("'date'"),
        _sql(day),
        _sql("'consumed'"),
        _sql(number_sql(consumed)),
        type_=String,
    )
    return case((usage_ok(location_code, sku, day, consumed), line), else_=null())


def body(head: dict[str, Any], lines: Iterable[str]) -> str:
    """A body's JSON text: ``head``'s fields (``message_id`` first, as ``outbox`` expects), then ``lines``."""
    return wire.dumps(head)[:-1] + ',"lines":[' + ",".join(lines) + "]}"
