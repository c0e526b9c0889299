"""Outbound message bodies of VMI Connect v1, built through ``vmi_desktop.scope``.

Every query here keeps to the vendor's active agreements, so a vendor never receives a SKU or
location outside them: the stock and usage reports are read from those agreements themselves (the
very condition ``scope.pair_filter`` would check per row), receipts filter with the vendor's
supplier actor, an order line outside them refuses the order. Long content is split into messages
of at most ``MAX_LINES`` lines; reports are streamed from the database as plain rows, in batches,
so memory stays bounded.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Engine, and_, case, cast, func, select
from sqlalchemy.orm import Session

from vmi_desktop import order_status, wire
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import (
    Location,
    MovementKind,
    POLineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.scope import Actor, covers, pair_filter, vendor_actor
from vmi_desktop.sync import raw_values, report_json
from vmi_desktop.sync.rows_ahead import RowsAhead

#: The contract's limit of lines per message.
MAX_LINES = 1000


def new_message_id() -> str:
    """A fresh idempotency key (UUID4)."""
    return str(uuid.uuid4())


@functools.lru_cache(maxsize=4096)
def rfc3339(moment: datetime) -> str:
    """``2026-11-24T08:30:00Z``: UTC, seconds precision (microseconds if present)."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def qty(value: Decimal | int | None) -> int | Decimal:
    """A quantity as a JSON number: integers stay integers, fractions keep their exact decimals."""
    return wire.number(value)


def chunked(items: Iterable[Any], size: int = MAX_LINES) -> Iterator[list[Any]]:
    """Lists of at most ``size`` items, in order."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _vendor(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFoundError(f"unknown vendor id {vendor_id}")
    return vendor


def actor_of(session: Session, vendor_id: int) -> Actor:
    """The supplier actor through whose scope everything for this vendor is built."""
    vendor = _vendor(session, vendor_id)
    return vendor_actor(vendor.id, vendor.code)


def _on_order_subquery() -> Any:
    """Open quantity on order per SKU x location (all vendors: it is the inventory position)."""
    base = (
        case(
            (PurchaseOrderLine.quantity_acknowledged.is_(None), PurchaseOrderLine.quantity_ordered),
            else_=PurchaseOrderLine.quantity_acknowledged,
        )
        - PurchaseOrderLine.quantity_received
    )
    open_qty = case((base > 0, base), else_=0)
    return (
        select(
            PurchaseOrderLine.sku_id.label("sku_id"),
            PurchaseOrder.location_id.label("location_id"),
            func.sum(open_qty).label("on_order"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrderLine.status == POLineStatus.OPEN, PurchaseOrder.status.in_(order_status.OPEN))
        .group_by(PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
        .subquery()
    )


def _rows_of(session: Session, stmt: Any, batch: int) -> Iterator[Any]:
    """Plain rows of a Core statement, fetched ``batch`` at a time (no ORM loading per row; a server-side
    cursor on PostgreSQL), after the session's pending changes are flushed (what a query would do)."""
    session.flush()
    result = session.connection().execute(stmt.execution_options(yield_per=batch))
    try:
        for rows in result.partitions():  # a batch at a time: not SQLAlchemy's fetch per row
            yield from rows
    finally:
        result.close()


def _stock_statement(session: Session, vendor_id: int) -> tuple[Any, tuple[Any, ...]]:
    """The stock report's rows (labelled, unordered) and the converters of its quantity and timestamp columns.

    The rows are the vendor's own active agreements, which is its scope (``scope.pair_filter`` of its
    actor says the same of each of them: it is not asked again per row).
    """
    on_order = _on_order_subquery()
    on_hand_col, on_hand_of = raw_values.quantity(session, func.coalesce(StockLevel.on_hand, 0))
    ordered_col, ordered_of = raw_values.quantity(session, func.coalesce(on_order.c.on_order, 0))
    min_col, min_of = raw_values.quantity(session, SupplyAgreement.min_qty)
    max_col, max_of = raw_values.quantity(session, SupplyAgreement.max_qty)
    updated_col, as_of_text = raw_values.timestamp(session, StockLevel.updated_at, rfc3339)
    stmt = (
        select(
            Location.code.label("location_code"),
            Sku.part_number.label("sku"),
            SupplyAgreement.supplier_sku.label("supplier_sku"),
            Sku.uom.label("uom"),
            on_hand_col.label("on_hand"),
            ordered_col.label("on_order"),
            min_col.label("min_qty"),
            max_col.label("max_qty"),
            updated_col.label("updated_at"),
            SupplyAgreement.sku_id.label("sku_id"),
            SupplyAgreement.location_id.label("location_id"),
            SupplyAgreement.id.label("agreement_id"),
        )
        .select_from(SupplyAgreement)
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .outerjoin(
            StockLevel,
            and_(StockLevel.sku_id == SupplyAgreement.sku_id, StockLevel.location_id == SupplyAgreement.location_id),
        )
        .outerjoin(
            on_order,
            and_(on_order.c.sku_id == SupplyAgreement.sku_id, on_order.c.location_id == SupplyAgreement.location_id),
        )
        .where(SupplyAgreement.vendor_id == vendor_id, SupplyAgreement.active.is_(True))
    )
    return stmt, (on_hand_of, ordered_of, min_of, max_of, as_of_text)


def _typed_stock_lines(
    session: Session, stmt: Any, converters: tuple[Any, ...], stamp: str, pairs: set[tuple[int, int]] | None, batch: int
) -> Iterator[dict[str, Any]]:
    on_hand_of, ordered_of, min_of, max_of, as_of_text = converters
    for loc, sku, supplier_sku, uom, on_hand, ordered, mn, mx, updated, sku_id, loc_id, _ in _rows_of(
        session, stmt, batch
    ):
        if pairs is not None and (sku_id, loc_id) not in pairs:
            continue
        yield {
            "location_code": loc,
            "sku": sku,
            "supplier_sku": supplier_sku or None,
            "uom": uom,
            "on_hand": on_hand_of(on_hand),
            "on_order": ordered_of(ordered),
            "min": min_of(mn),
            "max": max_of(mx),
            "as_of": as_of_text(updated) or stamp,
        }


def stock_lines(
    session: Session,
    vendor_id: int,
    *,
    pairs: set[tuple[int, int]] | None = None,
    as_of: datetime | None = None,
    batch: int = MAX_LINES,
) -> Iterator[dict[str, Any]]:
    """Stock report lines for the vendor's agreement pairs (only ``pairs`` for a delta), streamed.

    The rows are the vendor's own active agreements, which is its scope (see ``_stock_statement``).
    """
    stamp = rfc3339(as_of or utcnow())
    stmt, converters = _stock_statement(session, vendor_id)
    stmt = stmt.order_by(SupplyAgreement.id)
    if pairs is not None:
        if not pairs:
            return
        sku_ids = {s for s, _ in pairs}
        stmt = stmt.where(SupplyAgreement.sku_id.in_(sku_ids))
    yield from _typed_stock_lines(session, stmt, converters, stamp, pairs, batch)


def stock_report_bodies(
    session: Session, vendor_id: int, mode: str, *, pairs: set[tuple[int, int]] | None = None
) -> Iterator[dict[str, Any]]:
    """``POST /v1/stock-reports`` bodies (``full`` or ``delta``), at most 1000 lines each."""
    if mode not in ("full", "delta"):
        raise ValueError(f"stock report mode must be full or delta, not {mode!r}")
    vendor = _vendor(session, vendor_id)
    generated = rfc3339(utcnow())
    for lines in chunked(stock_lines(session, vendor_id, pairs=pairs)):
        yield {
            "message_id": new_message_id(),
            "customer_id": vendor.customer_id,
            "generated_at": generated,
            "mode": mode,
            "lines": lines,
        }


def stock_report_payloads(
    session: Session, vendor_id: int, mode: str, *, pairs: set[tuple[int, int]] | None = None
) -> Iterator[tuple[str, str]]:
    """``stock_report_bodies`` as (message id, JSON text), what the outbox stores.

    On SQLite a full report's lines are encoded by the database (``report_json``); a row it leaves
    without text is built the typed way. Elsewhere, and for a delta, the bodies are encoded here.
    """
    if mode != "full" or pairs is not None or not raw_values.is_sqlite(session):
        for body in stock_report_bodies(session, vendor_id, mode, pairs=pairs):
            yield body["message_id"], wire.dumps(body)
        return
    vendor = _vendor(session, vendor_id)
    generated = rfc3339(utcnow())
    stamp = rfc3339(utcnow())
    stmt, converters = _stock_statement(session, vendor_id)
    report = stmt.subquery("report")
    query = (
        select(report_json.stock_line_column("report", stamp), report.c.agreement_id)
        .select_from(report)
        .order_by(report.c.agreement_id)
    )

    def texts() -> Iterator[str]:
        for text, agreement_id in _rows_of(session, query, MAX_LINES):
            if text is None:  # not of the stored shapes: the typed way
                one = stmt.where(SupplyAgreement.id == agreement_id)
                text = wire.dumps(next(_typed_stock_lines(session, one, converters, stamp, None, 1)))
            yield text

    for lines in chunked(texts()):
        head = {"message_id": new_message_id(), "customer_id": vendor.customer_id, "generated_at": generated}
        head["mode"] = mode
        yield head["message_id"], report_json.body(head, lines)


def _day_expr(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", StockMovement.occurred_at), Date)
    return func.date(StockMovement.occurred_at)


def _usage_statement(session: Session, vendor_id: int, since: datetime, *, json: bool = False) -> tuple[Any, Any]:
    """The usage report's statement (location, part, day, consumed) and the converter of its quantity.

    ``json`` (SQLite): each line's JSON text first (the database encodes it, see ``report_json``), then
    the four columns (for a row it leaves without text, built the typed way).
    """
    day = _day_expr(session)
    consumed_col, consumed_of = raw_values.quantity(session, func.sum(-StockMovement.quantity))
    columns: list[Any] = [Location.code, Sku.part_number, day.label("day"), consumed_col]
    if json:
        dialect = session.get_bind().dialect
        texts = [str(c.compile(dialect=dialect)) for c in (Location.code, Sku.part_number, day, consumed_col)]
        columns = [report_json.usage_line_column(*texts), *columns]
    stmt = (
        select(*columns)
        .select_from(SupplyAgreement)
        .join(
            StockMovement,
            and_(
                StockMovement.sku_id == SupplyAgreement.sku_id,
                StockMovement.location_id == SupplyAgreement.location_id,
                StockMovement.occurred_at >= since,
                StockMovement.kind == MovementKind.CONSUMPTION,
            ),
        )
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .where(SupplyAgreement.vendor_id == vendor_id, SupplyAgreement.active.is_(True))
        .group_by(Location.code, Sku.part_number, day)
        .order_by(day, Location.code, Sku.part_number)
    )
    return stmt, consumed_of


def _usage_query(session: Session, vendor_id: int, since: datetime) -> tuple[Any, Any]:
    """What ``usage_payloads`` reads: on SQLite the lines' JSON text (``_usage_statement(json=True)``),
    elsewhere the typed rows."""
    return _usage_statement(session, vendor_id, since, json=raw_values.is_sqlite(session))


def usage_ahead(session: Session, engine: Engine, vendor_id: int, since: datetime) -> RowsAhead:
    """The usage report's rows, their query started now on its own connection of ``engine`` (committed data
    only: see ``RowsAhead``), for ``usage_payloads(..., rows=...)``; the caller closes it."""
    stmt, _ = _usage_query(session, vendor_id, since)
    return RowsAhead(engine, stmt, MAX_LINES)


def usage_bodies(
    session: Session, vendor_id: int, since: datetime, *, rows: Iterable[Any] | None = None
) -> Iterator[dict[str, Any]]:
    """``POST /v1/usage`` bodies: consumption per day since ``since`` for the vendor's pairs.

    Read from the vendor's active agreements (its scope) to each pair's movements since ``since`` (the
    pair-and-time index): not every movement of the period checked against the agreements. ``rows``:
    those of ``usage_ahead`` for the same vendor and day, read already.
    """
    vendor = _vendor(session, vendor_id)
    stmt, consumed_of = _usage_statement(session, vendor_id, since)
    source = rows if rows is not None else _rows_of(session, stmt, MAX_LINES)
    lines = (
        {"location_code": loc, "sku": sku, "date": _date_text(d), "consumed": consumed_of(consumed)}
        for loc, sku, d, consumed in source
    )
    for chunk in chunked(lines):
        yield {"message_id": new_message_id(), "customer_id": vendor.customer_id, "lines": chunk}


def usage_payloads(
    session: Session, vendor_id: int, since: datetime, *, rows: Iterable[Any] | None = None
) -> Iterator[tuple[str, str]]:
    """``usage_bodies`` as (message id, JSON text), what the outbox stores; ``rows``: those of ``usage_ahead``.

    On SQLite the lines are encoded by the database (``report_json``); a row it leaves without text is
    built the typed way.
    """
    if not raw_values.is_sqlite(session):
        for body in usage_bodies(session, vendor_id, since, rows=rows):
            yield body["message_id"], wire.dumps(body)
        return
    vendor = _vendor(session, vendor_id)
    query, consumed_of = _usage_query(session, vendor_id, since)
    source = rows if rows is not None else _rows_of(session, query, MAX_LINES)
    lines = (
        text
        if text is not None
        else wire.dumps({"location_code": loc, "sku": sku, "date": _date_text(d), "consumed": consumed_of(consumed)})
        for text, loc, sku, d, consumed in source
    )
    for chunk in chunked(lines):
        head = {"message_id": new_message_id(), "customer_id": vendor.customer_id}
        yield head["message_id"], report_json.body(head, chunk)


def _date_text(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def purchase_order_bodies(session: Session, po: PurchaseOrder) -> list[dict[str, Any]]:
    """``POST /v1/purchase-orders`` bodies; refuses an order with a line outside the vendor's scope."""
    vendor = _vendor(session, po.vendor_id)
    location = session.get(Location, po.location_id)
    assert location is not None
    lines = []
    for line in po.lines:
        if line.status == POLineStatus.CANCELLED:
            continue
        sku = session.get(Sku, line.sku_id)
        assert sku is not None
        if not covers(session, vendor.id, sku.id, location.id):
            raise PermissionDenied(
                f"order {po.po_number}: {vendor.code} has no agreement for {sku.part_number} "
                f"at {location.code}; the order is not sent"
            )
        lines.append(
            {
                "line": line.line_no,
                "sku": sku.part_number,
                "supplier_sku": line.supplier_sku or None,
                "quantity": qty(line.quantity_ordered),
                "uom": line.uom,
                "unit_price": wire.number(line.unit_price),
                "currency": po.currency,
                "need_by": line.need_by.isoformat() if line.need_by else None,
            }
        )
    return [
        {
            "message_id": new_message_id(),
            "customer_id": vendor.customer_id,
            "po_number": po.po_number,
            "location_code": location.code,
            "created_at": rfc3339(po.created_at),
            "lines": chunk,
        }
        for chunk in chunked(lines)
    ]


def cancel_body(session: Session, po: PurchaseOrder, reason: str) -> dict[str, Any]:
    """``POST /v1/purchase-orders/{po_number}/cancel`` body."""
    vendor = _vendor(session, po.vendor_id)
    return {"message_id": new_message_id(), "customer_id": vendor.customer_id, "reason": reason}


def receipt_bodies(session: Session, receipt: Receipt) -> list[dict[str, Any]]:
    """``POST /v1/receipts`` bodies from the ledger rows of one receipt (in-scope lines only)."""
    po = session.get(PurchaseOrder, receipt.purchase_order_id)
    assert po is not None
    vendor = _vendor(session, po.vendor_id)
    actor = vendor_actor(vendor.id, vendor.code)
    location = session.get(Location, po.location_id)
    assert location is not None
    stmt = (
        select(PurchaseOrderLine.line_no, Sku.part_number, func.sum(StockMovement.quantity))
        .join(PurchaseOrderLine, PurchaseOrderLine.id == StockMovement.purchase_order_line_id)
        .join(Sku, Sku.id == StockMovement.sku_id)
        .where(
            StockMovement.receipt_id == receipt.id, pair_filter(actor, StockMovement.sku_id, StockMovement.location_id)
        )
        .group_by(PurchaseOrderLine.line_no, Sku.part_number)
        .order_by(PurchaseOrderLine.line_no)
    )
    lines = [
        {"po_number": po.po_number, "line": line_no, "sku": sku, "quantity": qty(q)}
        for line_no, sku, q in session.execute(stmt)
    ]
    return [
        {
            "message_id": new_message_id(),
            "customer_id": vendor.customer_id,
            "receipt_id": receipt.receipt_number,
            "location_code": location.code,
            "received_at": rfc3339(receipt.received_at),
            "lines": chunk,
        }
        for chunk in chunked(lines)
    ]
