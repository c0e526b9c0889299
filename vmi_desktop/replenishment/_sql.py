"""Small dialect-aware SQL pieces shared by reorder, alerts and metrics (SQLite and PostgreSQL)."""

from __future__ import annotations

import enum
import hashlib
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select, text, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vmi_desktop import order_status
from vmi_desktop.models import POLineStatus, PurchaseOrder, PurchaseOrderLine
from vmi_desktop.models.base import QTY_QUANTUM, Quantity

#: Key of the PostgreSQL advisory lock that serialises full reorder runs (pair runs take it shared).
REORDER_LOCK_KEY = 0x564D4952  # "VMIR"


def positive(expr: Any) -> ColumnElement[Any]:
    """``max(expr, 0)`` portably."""
    return case((expr > 0, expr), else_=literal(0))


def open_line_quantity() -> ColumnElement[Any]:
    """Open quantity of a purchase order line: (acknowledged or ordered) - received, never negative."""
    base = func.coalesce(PurchaseOrderLine.quantity_acknowledged, PurchaseOrderLine.quantity_ordered)
    return positive(base - PurchaseOrderLine.quantity_received)


def on_order_subquery(sku_ids: list[int] | None = None, location_ids: list[int] | None = None) -> Any:
    """(sku_id, location_id, on_order) over open lines of open orders, drafts and proposals included."""
    stmt = (
        select(
            PurchaseOrderLine.sku_id.label("sku_id"),
            PurchaseOrder.location_id.label("location_id"),
            func.sum(open_line_quantity()).label("on_order"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.status.in_([s.value for s in order_status.OPEN]),
            PurchaseOrderLine.status == POLineStatus.OPEN,
        )
        .group_by(PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
    )
    if sku_ids is not None:
        stmt = stmt.where(PurchaseOrderLine.sku_id.in_(sku_ids))
    if location_ids is not None:
        stmt = stmt.where(PurchaseOrder.location_id.in_(location_ids))
    return stmt.subquery("on_order")


def to_decimal(value: Any) -> Decimal:
    """A database number (SQLite may hand back floats) as a 3-decimal Decimal."""
    if value is None:
        return Decimal("0.000")
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(QTY_QUANTUM)


def qty(expr: Any) -> ColumnElement[Any]:
    """Type an expression over quantity columns as a quantity (no SQL cast), so it reads back exactly."""
    return type_coerce(expr, Quantity)


def lock_reorder(session: Session, pairs: list[tuple[int, int]] | None) -> None:
    """Serialise reorder work across workstations for the rest of this transaction.

    PostgreSQL: a full run takes the reorder advisory lock exclusively; a pair run
    takes it shared plus one exclusive lock per pair, so pair runs on different
    pairs proceed together but never overlap a full run or each other on a pair.
    SQLite: a no-op write makes this transaction the single writer before it reads.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        if pairs is None:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REORDER_LOCK_KEY})
        else:
            session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": REORDER_LOCK_KEY})
            for sku_id, location_id in sorted(set(pairs)):
                session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": location_id, "b": sku_id})
    elif dialect == "sqlite":
        session.execute(text("UPDATE counters SET value = value WHERE name = '__reorder_lock__'"))


def _lock_key(*parts: object) -> int:
    """A signed 64-bit advisory lock key for a named group (collisions only serialise, never break)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_proposals(session: Session, keys: list[tuple[int, int]]) -> None:
    """Serialise extending the open proposal of each (vendor_id, location_id) until the transaction ends.

    PostgreSQL: one advisory lock per group, taken in one order. SQLite: the single writer already
    serialises (the reorder lock made this transaction a writer).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for vendor_id, location_id in sorted(set(keys)):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key("proposal", vendor_id, location_id)})


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") and not isinstance(value, (int, Decimal)) else value


def _column_values(rows: list[dict[str, Any]], name: str) -> list[Any]:
    """One column of ``rows`` as the driver takes it: enum members as their values (checked once per
    column, not per value: a reorder run binds about 100,000 values)."""
    values = [r[name] for r in rows]
    if any(isinstance(v, enum.Enum) for v in values):
        return [_plain(v) for v in values]
    return values


def bulk_insert(
    session: Session, model: Any, rows: list[dict[str, Any]], *, returning: tuple[str, ...] = (), conflict: str = ""
) -> list[Any]:
    """Insert many rows in one statement per backend; optionally return columns of the new rows.

    PostgreSQL: ``INSERT ... SELECT * FROM unnest(<one array per column>)``, a single statement
    whatever the row count (multi-row VALUES spent more time in the driver's query parser than
    the server spent inserting). SQLite: an ordinary executemany (in-process, already fast).
    ``conflict`` (PostgreSQL only) is an ``ON CONFLICT ...`` clause; ``returning`` rows
    come back in no particular order, so return a natural key with the id.
    """
    if not rows:
        return []
    table = model.__table__
    given = set(rows[0])
    defaults: dict[str, Any] = {}
    for col in table.columns:  # Python-side column defaults, as Core would apply them
        if col.name in given or col.default is None or col.primary_key:
            continue
        arg = col.default.arg
        defaults[col.name] = arg(None) if callable(arg) else arg
    if defaults:
        rows = [{**defaults, **r} for r in rows]
    columns = list(rows[0])
    dialect = session.get_bind().dialect
    tail = f" {conflict}" if conflict else ""
    ret = f" RETURNING {', '.join(returning)}" if returning else ""
    if dialect.name == "postgresql":
        casts = ", ".join(
            f"CAST(:c{i} AS {table.c[name].type.compile(dialect=dialect)}[])" for i, name in enumerate(columns)
        )
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({casts}){tail}{ret}"
        params = {f"c{i}": _column_values(rows, name) for i, name in enumerate(columns)}
        result = session.execute(text(sql), params)
        return list(result.all()) if returning else []
    # SQLite: Core executemany, so the column types' bind processors (Decimal, UTC timestamps) apply.
    if conflict:
        raise NotImplementedError("bulk_insert(conflict=...) is PostgreSQL only; use dialect inserts on SQLite")
    from sqlalchemy import insert

    stmt = insert(table)
    if returning:
        return list(session.execute(stmt.returning(*[table.c[c] for c in returning]), rows).all())
    session.execute(stmt, rows)
    return []
