"""Small dialect-aware SQL pieces shared by reorder, alerts and metrics (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select, text, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from vmi_desktop import order_status
from vmi_desktop.db.bulk import array_literal
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
            ordered = sorted(set(pairs))
            # one statement, the pairs locked in their sorted order (a page of 2,000 supplier orders
            # took 2,000 round trips here)
            session.execute(
                text(
                    "SELECT pg_advisory_xact_lock(a, b) FROM unnest(CAST(:a AS INTEGER[]), CAST(:b AS INTEGER[]))"
                    " WITH ORDINALITY AS t(a, b, n) ORDER BY n"
                ),
                {"a": array_literal([loc for _, loc in ordered]), "b": array_literal([sku for sku, _ in ordered])},
            )
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
    ordered = [_lock_key("proposal", vendor_id, location_id) for vendor_id, location_id in sorted(set(keys))]
    # one statement, the locks taken in the keys' order (WITH ORDINALITY): a round trip per group cost more
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS BIGINT[])) WITH ORDINALITY AS t(k, n) ORDER BY n"
        ),
        {"keys": array_literal(ordered)},
    )
