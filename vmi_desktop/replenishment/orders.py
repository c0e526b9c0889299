"""Purchase orders: numbering, creation from agreements, the status machine, acknowledgements,
shipments and receipts that post to the stock ledger.

Every function works in the caller's transaction, checks role and scope through
``vmi_desktop.scope`` first, validates everything before writing, and writes a
status history row and an audit entry for each change. What follows a change
(the outbox message to the supplier, the reorder check after a receipt) is
called by the application commands in ``vmi_desktop.commands``, not here.
The status machine and every status set come from ``vmi_desktop.order_status``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from vmi_desktop import audit, ledger, order_status
from vmi_desktop.db.batch import RowBatch
from vmi_desktop.db.pending_rows import add_new, new_row_object
from vmi_desktop.errors import IllegalTransitionError, NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.models import (
    Counter,
    Location,
    POLineStatus,
    POOrigin,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Shipment,
    Sku,
    Vendor,
    utcnow,
)
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.replenishment import alerts
from vmi_desktop.replenishment._sql import on_order_subquery, to_decimal
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import Action, Actor, may_see_vendor, require, require_vendor, vendor_filter
from vmi_desktop.units import is_whole

log = logging.getLogger(__name__)

S = POStatus
TRANSITIONS = order_status.TRANSITIONS


# ---------------------------------------------------------------------------------------------- numbering


def reserve_numbers(session: Session, name: str, count: int) -> int:
    """Reserve ``count`` consecutive values of counter ``name``; returns the last one.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the row lock it takes
    makes concurrent callers on PostgreSQL wait for each other, so no number is
    handed out twice; SQLite serialises writers anyway. On PostgreSQL it runs inside
    ``vmi_reserve_numbers`` (migration 0005), since a supplier's login may take order
    numbers but not read or set the counters.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if session.get_bind().dialect.name == "postgresql":
        return int(session.scalar(text("SELECT vmi_reserve_numbers(:name, :count)"), {"name": name, "count": count}))
    return int(session.execute(_reserve_statement(), {"name": name, "count": count}).scalar_one())


@functools.cache
def _reserve_statement() -> Any:
    """SQLite's reservation, built once (named bound values): executed again, it skips building and keying."""
    mod: Any = sqlite
    count = bindparam("count", type_=Counter.value.type)
    stmt = mod.insert(Counter).values(name=bindparam("name", type_=Counter.name.type), value=count)
    return stmt.on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + count}).returning(
        Counter.value
    )


def next_number(session: Session, name: str, prefix: str) -> str:
    """The next number of a sequence, formatted like ``PO-000123``."""
    return format_number(prefix, reserve_numbers(session, name, 1))


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:06d}"


PO_COUNTER, PO_PREFIX = "purchase_order", "PO-"
RECEIPT_COUNTER, RECEIPT_PREFIX = "receipt", "RC-"
_NUMBER_BLOCK = "vmi_po_number_block"


@dataclass
class _NumberBlock:
    """Order numbers reserved with one statement for a batch of new orders, handed out in order."""

    first: int
    last: int
    next: int


def reserve_order_numbers(session: Session, count: int) -> None:
    """Reserve ``count`` order numbers at once for the orders this unit of work is about to create.

    ``create_order`` takes from the block before asking the counter; ``release_order_numbers`` gives
    back what was not used, so numbers stay without gaps (the counter row stays locked by this
    transaction meanwhile, on PostgreSQL as on SQLite, so nobody else can take one in between).
    """
    block: _NumberBlock | None = session.info.get(_NUMBER_BLOCK)
    if count < 2 or (block is not None and block.next <= block.last):
        return
    with session.no_autoflush:
        last = reserve_numbers(session, PO_COUNTER, count)
    session.info[_NUMBER_BLOCK] = _NumberBlock(last - count + 1, last, last - count + 1)


def order_number_mark(session: Session) -> int | None:
    """Where the reserved block stands (to rewind to it when the orders numbered since are rolled back)."""
    block: _NumberBlock | None = session.info.get(_NUMBER_BLOCK)
    return None if block is None else block.next


def rewind_order_numbers(session: Session, mark: int | None) -> None:
    """Hand out again the numbers taken since ``mark`` (their orders went with a rolled-back savepoint)."""
    block: _NumberBlock | None = session.info.get(_NUMBER_BLOCK)
    if block is not None and mark is not None and block.first <= mark <= block.next:
        block.next = mark


def release_order_numbers(session: Session) -> None:
    """Give back the reserved numbers no order used, so the next order gets the next number."""
    block: _NumberBlock | None = session.info.pop(_NUMBER_BLOCK, None)
    if block is None or block.next > block.last:
        return
    session.execute(
        update(Counter)
        .where(Counter.name == PO_COUNTER, Counter.value == block.last)
        .values(value=block.next - 1)
        .execution_options(synchronize_session=False)
    )


def _take_order_number(session: Session) -> str | None:
    block: _NumberBlock | None = session.info.get(_NUMBER_BLOCK)
    if block is None or block.next > block.last:
        return None
    value = block.next
    block.next += 1
    return format_number(PO_PREFIX, value)


# ---------------------------------------------------------------------------------------------- creation


@dataclass(frozen=True)
class NewLine:
    """A line to put on a new order; price, supplier SKU and need-by default from the agreement."""

    sku_id: int
    quantity: Decimal
    unit_price: Decimal | None = None
    need_by: date | None = None
    expected_delivery: date | None = None
    supplier_sku: str | None = None


def _check_actor_may_order(actor: Actor, vendor_id: int) -> None:
    if actor.is_supplier:
        require(actor, Action.SUPPLIER_ORDER)
        require_vendor(actor, vendor_id)
    else:
        require(actor, Action.CREATE_ORDER)


#: The longest note an order or one of its status changes keeps (``purchase_orders.note``,
#: ``po_status_history.note``).
NOTE_LIMIT = 500


def create_order(
    session: Session,
    actor: Actor,
    *,
    vendor_id: int,
    location_id: int,
    lines: list[NewLine],
    origin: POOrigin,
    status: POStatus = POStatus.DRAFT,
    need_by: date | None = None,
    supplier_order_id: str | None = None,
    note: str = "",
) -> PurchaseOrder:
    """Create an order for one vendor and location, each line filled from its supply agreement.

    A line whose SKU has no active agreement with that vendor at that location is
    refused (for a supplier this is a scope violation: ``PermissionDenied``).
    """
    _check_actor_may_order(actor, vendor_id)
    if not lines:
        raise ValidationError("an order needs at least one line")
    ws = WorkingSet.of(session)
    vendor: Vendor | None = ws.get(session, Vendor, vendor_id)
    location: Location | None = ws.get(session, Location, location_id)
    if vendor is None:
        raise NotFoundError(f"unknown vendor id {vendor_id}")
    if location is None:
        raise NotFoundError(f"unknown location id {location_id}")
    sku_ids = sorted({ln.sku_id for ln in lines})
    agreements = ws.active_agreements(session, vendor_id, location_id, sku_ids)
    skus = {sku_id: sku for sku_id in sku_ids if (sku := ws.get(session, Sku, sku_id)) is not None}
    today = utcnow().date()
    line_rows: list[dict[str, Any]] = []
    currency = "EUR"
    for no, ln in enumerate(lines, start=1):
        sku = skus.get(ln.sku_id)
        if sku is None:
            raise NotFoundError(f"unknown SKU id {ln.sku_id}")
        agreement = agreements.get(ln.sku_id)
        if agreement is None:
            msg = f"vendor {vendor.code} has no active agreement for {sku.part_number} at {location.code}"
            if actor.is_supplier:
                raise PermissionDenied(msg)
            raise ValidationError(msg)
        qty = parse_quantity(
            ln.quantity,
            what=f"quantity of line {no} ({sku.part_number})",
            whole=is_whole(session, sku.uom),
            uom=sku.uom,
        )
        currency = agreement.currency
        line_rows.append(
            {
                "id": ws.new_id(session, PurchaseOrderLine),
                "line_no": no,
                "sku_id": sku.id,
                "agreement_id": agreement.id,
                "supplier_sku": ln.supplier_sku if ln.supplier_sku is not None else agreement.supplier_sku,
                "uom": sku.uom,
                "quantity_ordered": qty,
                "quantity_acknowledged": qty if status == S.ACKNOWLEDGED else None,
                "unit_price": ln.unit_price if ln.unit_price is not None else agreement.unit_price,
                "need_by": ln.need_by or need_by or today + timedelta(days=agreement.lead_time_days),
                "expected_delivery": ln.expected_delivery,
                "status": POLineStatus.OPEN,
                # set here, not at the flush: a later order of the same page counts this line's open quantity
                "quantity_shipped": Decimal(0),
                "quantity_received": Decimal(0),
            }
        )
    now = utcnow()
    po_number = _take_order_number(session)
    if po_number is None:
        with session.no_autoflush:  # the counter is its own row: nothing pending needs writing before it
            po_number = next_number(session, PO_COUNTER, PO_PREFIX)
    order_row = {
        "id": ws.new_order_id(session),
        "po_number": po_number,
        "vendor_id": vendor_id,
        "location_id": location_id,
        "status": status,
        "origin": origin,
        "supplier_order_id": supplier_order_id,
        "currency": currency,
        "created_at": now,
        "created_by": actor.name,
        "need_by": need_by or min((r["need_by"] for r in line_rows if r["need_by"]), default=None),
        "note": note[:500],
        "updated_by": actor.name,
    }
    po, built = _new_order(session, order_row, line_rows)
    _stamp(po, status, now)
    if built:
        add_new(session, [po, *po.lines])  # all there is to add: no cascade walk
    else:
        session.add(po)
    if po.id is None:
        session.flush()  # the order's id: alerts and what follows name it
    _history(session, po, None, status, now, actor.name, note)
    ws.add_order(po, new=True)
    audit.record(
        session,
        actor,
        "order.create",
        "purchase_order",
        po.po_number,
        vendor=vendor.code,
        location=location.code,
        origin=origin,
        status=status,
        lines=len(line_rows),
    )
    return po


def _new_order(session: Session, order: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[PurchaseOrder, bool]:
    """A new order with its lines: built as rows (``db.pending_rows.new_row_object``; True) when a batch of
    events writes them and every id is known, else through the mapped constructors (False)."""
    if RowBatch.active(session) is not None and order["id"] is not None and all(r["id"] for r in lines):
        po = new_row_object(PurchaseOrder, order)
        po_lines = [new_row_object(PurchaseOrderLine, {**r, "purchase_order_id": order["id"]}, order=po) for r in lines]
        set_committed_value(po, "lines", po_lines)
        return po, True
    return PurchaseOrder(**order, lines=[PurchaseOrderLine(**r) for r in lines]), False


# ---------------------------------------------------------------------------------------------- status machine


def _stamp(po: PurchaseOrder, to: POStatus, now: datetime) -> None:
    if to == S.SENT:
        po.sent_at = po.sent_at or now
    elif to == S.ACKNOWLEDGED:
        po.acknowledged_at = po.acknowledged_at or now
    elif to in (S.PARTLY_SHIPPED, S.SHIPPED):
        if to == S.SHIPPED or po.shipped_at is None:
            po.shipped_at = now
    elif to == S.RECEIVED:
        po.received_at = now
    if to in order_status.TERMINAL:
        po.closed_at = now


def _history(
    session: Session, po: PurchaseOrder, before: POStatus | None, to: POStatus, now: datetime, by: str, note: str
) -> None:
    """One status history row: with an active ``RowBatch`` written with it (the order's id is known)."""
    batch = RowBatch.active(session)
    if batch is not None and po.id is not None:
        batch.add(
            POStatusChange,
            {
                "purchase_order_id": po.id,
                "from_status": before,
                "to_status": to,
                "changed_at": now,
                "changed_by": by,
                "note": note[:500],
            },
        )
        return
    # Attached through the many-to-one side: an unloaded ``po.history`` is not read just to append to it.
    session.add(
        POStatusChange(order=po, from_status=before, to_status=to, changed_at=now, changed_by=by, note=note[:500])
    )


def transition(session: Session, actor: Actor, po: PurchaseOrder, to: POStatus, *, note: str = "") -> None:
    """Move an order to ``to`` if the status machine allows it, stamping the time and the history."""
    before = po.status
    if not order_status.may_move(before, to):
        raise IllegalTransitionError(
            f"order {po.po_number} cannot go from {before.value.replace('_', ' ')} to {to.value.replace('_', ' ')}"
        )
    now = utcnow()
    po.status = to
    if po.updated_by != actor.name:  # set again unchanged, it would be looked over at the write all the same
        po.updated_by = actor.name
    _stamp(po, to, now)
    if to in (S.CANCELLED, S.REJECTED):
        for line in po.lines:
            if line.status == POLineStatus.OPEN:
                line.status = POLineStatus.CANCELLED if line.quantity_received == 0 else POLineStatus.CLOSED
    _history(session, po, before, to, now, actor.name, note)
    audit.record(
        session, actor, "order.transition", "purchase_order", po.po_number, from_status=before, to_status=to, note=note
    )
    if to in order_status.TERMINAL:
        alerts.resolve_cause(session, f"overdue:{po.id}", by=actor.name)
        alerts.resolve_cause(session, f"held:{po.id}", by=actor.name)


def get_order(session: Session, actor: Actor, po_id: int, *, for_update: bool = False) -> PurchaseOrder:
    """An order the actor may see (a supplier only its own vendor's), or ``NotFoundError``."""
    ws = WorkingSet.of(session)
    lock = for_update and session.get_bind().dialect.name == "postgresql" and po_id not in ws.locked_orders
    # The identity map first: an order the unit of work has read (a page of events primes them) costs no
    # statement; a lock not taken yet is taken here.
    po = ws.by_id.get(po_id) if not lock else None
    if po is None:
        po = session.get(PurchaseOrder, po_id, with_for_update=lock or None)
    if po is None or not may_see_vendor(actor, po.vendor_id):
        raise NotFoundError(f"unknown purchase order {po_id}")
    if lock:
        ws.locked_orders.add(po_id)
    return po


def find_order(session: Session, actor: Actor, ref: str) -> PurchaseOrder:
    """An order by PO number (or numeric id), within the actor's scope."""
    stmt = select(PurchaseOrder).where(vendor_filter(actor, PurchaseOrder.vendor_id))
    po = session.scalar(stmt.where(PurchaseOrder.po_number == ref))
    if po is None and ref.isdigit():
        po = session.scalar(stmt.where(PurchaseOrder.id == int(ref)))
    if po is None:
        raise NotFoundError(f"unknown purchase order {ref!r}")
    return po


def approve(session: Session, actor: Actor, po_id: int) -> PurchaseOrder:
    """The parts manager's yes: a proposal or draft is sent; a held supplier order is accepted."""
    require(actor, Action.APPROVE_ORDER)
    po = get_order(session, actor, po_id, for_update=True)
    if po.status not in order_status.DECIDABLE:
        raise IllegalTransitionError(
            f"order {po.po_number} is {po.status.value.replace('_', ' ')}; only drafts and orders awaiting "
            "approval can be approved"
        )
    if po.origin == POOrigin.SUPPLIER:
        for line in po.lines:
            if line.quantity_acknowledged is None:
                line.quantity_acknowledged = line.quantity_ordered
        transition(session, actor, po, S.ACKNOWLEDGED, note="held supplier order approved")
        po.hold_reason = ""
        alerts.resolve_cause(session, f"held:{po.id}", by=actor.name)
    else:
        transition(session, actor, po, S.SENT, note="approved")
    audit.record(session, actor, "order.approve", "purchase_order", po.po_number)
    return po


def reject(session: Session, actor: Actor, po_id: int, reason: str) -> PurchaseOrder:
    """The parts manager's no to a proposal or held order; a reason is required."""
    require(actor, Action.APPROVE_ORDER)
    reason = free_text(reason, NOTE_LIMIT, "the reason")
    if not reason:
        raise ValidationError("rejecting an order needs a reason")
    po = get_order(session, actor, po_id, for_update=True)
    if po.status not in order_status.DECIDABLE:
        raise IllegalTransitionError(
            f"order {po.po_number} is {po.status.value.replace('_', ' ')}; only drafts and orders awaiting "
            "approval can be rejected (cancel it instead)"
        )
    transition(session, actor, po, S.REJECTED, note=reason)
    return po


def cancel(session: Session, actor: Actor, po_id: int, reason: str) -> PurchaseOrder:
    """Cancel an open order (by the customer, or a supplier cancelling its own); lines received stay."""
    if actor.is_supplier:
        require(actor, Action.SUPPLIER_ORDER)
    else:
        require(actor, Action.CREATE_ORDER)
    reason = free_text(reason, NOTE_LIMIT, "the reason")
    if not reason:
        raise ValidationError("cancelling an order needs a reason")
    po = get_order(session, actor, po_id, for_update=True)
    transition(session, actor, po, S.CANCELLED, note=reason)
    return po


def mark_sent(session: Session, actor: Actor, po_id: int) -> PurchaseOrder:
    """Record that a draft order went out (by sync, mail or phone)."""
    require(actor, Action.CREATE_ORDER)
    po = get_order(session, actor, po_id, for_update=True)
    if po.status == S.AWAITING_APPROVAL:
        raise IllegalTransitionError(f"order {po.po_number} is awaiting approval; approve it to send it")
    transition(session, actor, po, S.SENT, note="sent")
    return po


# ---------------------------------------------------------------------------------------------- supplier side


def _require_supplier_side(actor: Actor, po: PurchaseOrder) -> None:
    """A supplier acts on its own orders; staff may record what a supplier said on the phone."""
    if actor.is_supplier:
        require(actor, Action.SUPPLIER_ORDER)
        require_vendor(actor, po.vendor_id)
    else:
        require(actor, Action.CREATE_ORDER)


def _lines_by_no(po: PurchaseOrder) -> dict[int, PurchaseOrderLine]:
    return {line.line_no: line for line in po.lines}


def acknowledge(
    session: Session,
    actor: Actor,
    po_id: int,
    *,
    status: str = "accepted",
    lines: dict[int, tuple[Decimal, date | None]] | None = None,
    reason: str = "",
) -> PurchaseOrder:
    """The supplier's answer: accepted or changed (per-line quantity and delivery date) or rejected.

    A line acknowledged with zero is cancelled. Re-acknowledging an acknowledged
    order updates the lines without a second status change.
    """
    po = get_order(session, actor, po_id, for_update=True)
    _require_supplier_side(actor, po)
    if status not in ("accepted", "changed", "rejected"):
        raise ValidationError(f"acknowledgement status must be accepted, changed or rejected, got {status!r}")
    if status == "rejected":
        transition(session, actor, po, S.REJECTED, note=reason or "rejected by supplier")
        return po
    if po.status not in order_status.ACKNOWLEDGEABLE:
        raise IllegalTransitionError(
            f"order {po.po_number} is {po.status.value.replace('_', ' ')}; only sent orders can be acknowledged"
        )
    by_no = _lines_by_no(po)
    updates: dict[int, tuple[Decimal, date | None]] = {}
    for no, (quantity, delivery) in (lines or {}).items():
        if no not in by_no:
            raise ValidationError(f"order {po.po_number} has no line {no}")
        line = by_no[no]
        updates[no] = (
            parse_quantity(
                quantity,
                what=f"acknowledged quantity of line {no}",
                allow_zero=True,
                whole=is_whole(session, line.uom),
                uom=line.uom,
            ),
            delivery,
        )
    for no, (quantity, _delivery) in updates.items():  # every line is checked before any is changed
        line = by_no[no]
        if line.status == POLineStatus.OPEN and quantity < line.quantity_received:
            raise ValidationError(
                f"line {no}: acknowledged {fmt(quantity)} is below the {fmt(line.quantity_received)} already received"
            )
    for no, line in by_no.items():
        if line.status != POLineStatus.OPEN:
            continue
        if no in updates:
            quantity, delivery = updates[no]
            line.quantity_acknowledged = quantity
            if delivery is not None:
                line.expected_delivery = delivery
            if quantity == 0:
                line.status = POLineStatus.CANCELLED
        elif line.quantity_acknowledged is None:
            line.quantity_acknowledged = line.quantity_ordered
    deliveries = [ln.expected_delivery for ln in po.lines if ln.expected_delivery]
    if deliveries:
        po.expected_delivery = max(deliveries)
    if po.status == S.SENT:
        transition(session, actor, po, S.ACKNOWLEDGED, note=reason or status)
    else:
        audit.record(session, actor, "order.reacknowledge", "purchase_order", po.po_number, status=status)
    return po


def record_shipment(
    session: Session,
    actor: Actor,
    po_id: int,
    *,
    shipment_id: str,
    lines: dict[int, Decimal],
    carrier: str = "",
    tracking: str = "",
    eta: date | None = None,
) -> Shipment:
    """An advance ship notice: adds shipped quantities, moves the order to partly shipped or shipped.

    Idempotent per (vendor, shipment_id): a repeated notice returns the stored one.
    """
    po = get_order(session, actor, po_id, for_update=True)
    _require_supplier_side(actor, po)
    ws = WorkingSet.of(session)
    existing = ws.shipment(session, po.vendor_id, shipment_id)
    if existing is not None:
        return existing
    if po.status not in order_status.SHIPPABLE:
        raise IllegalTransitionError(
            f"order {po.po_number} is {po.status.value.replace('_', ' ')}; it cannot be shipped"
        )
    by_no = _lines_by_no(po)
    parsed: dict[int, Decimal] = {}
    for no, quantity in lines.items():
        if no not in by_no:
            raise ValidationError(f"order {po.po_number} has no line {no}")
        line = by_no[no]
        parsed[no] = parse_quantity(
            quantity, what=f"shipped quantity of line {no}", whole=is_whole(session, line.uom), uom=line.uom
        )
    for no, quantity in parsed.items():
        by_no[no].quantity_shipped += quantity
    row = {
        "id": ws.new_id(session, Shipment),
        "purchase_order_id": po.id,
        "vendor_id": po.vendor_id,
        "external_id": shipment_id,
        "carrier": carrier,
        "tracking": tracking,
        "eta": eta,
    }
    if RowBatch.active(session) is not None and row["id"] is not None and po.id is not None:
        shipment = new_row_object(Shipment, row)  # written with the batch's rows (``db.pending_rows``)
        add_new(session, [shipment])
    else:
        shipment = Shipment(**row)
        session.add(shipment)
    ws.add_shipment(shipment)
    if eta is not None:
        po.expected_delivery = eta
        for no in parsed:
            by_no[no].expected_delivery = eta
    all_shipped = all(
        ln.quantity_shipped
        >= (ln.quantity_acknowledged if ln.quantity_acknowledged is not None else ln.quantity_ordered)
        for ln in po.lines
        if ln.status == POLineStatus.OPEN
    )
    target = S.SHIPPED if all_shipped else S.PARTLY_SHIPPED
    if po.status in (S.SENT, S.ACKNOWLEDGED) or (po.status == S.PARTLY_SHIPPED and target == S.SHIPPED):
        transition(session, actor, po, target, note=f"shipment {shipment_id}")
    audit.record(
        session,
        actor,
        "order.ship",
        "purchase_order",
        po.po_number,
        shipment=shipment_id,
        lines={str(k): str(v) for k, v in parsed.items()},
    )
    return shipment


# ---------------------------------------------------------------------------------------------- receipts


def receive(
    session: Session,
    actor: Actor,
    po_id: int,
    quantities: dict[int, Decimal],
    *,
    received_at: datetime | None = None,
    over_reason: str = "",
    close_short: Collection[int] = (),
) -> Receipt:
    """Goods in against an order: each line posts a ledger receipt and closes when complete.

    More than a line still expects is refused unless ``over_reason`` says why it is accepted (the
    line then closes, and the reason is on the ledger row, the history and the audit entry). A line
    in ``close_short`` closes even though less came (the rest will not come: it leaves the position),
    with or without a quantity in this receipt; the others stay open for the rest.

    Everything is checked before anything is written: an unknown line number, a closed line, an
    over-delivery without a reason or a bad quantity refuses the whole receipt.
    """
    require(actor, Action.RECEIVE_ORDER)
    po = get_order(session, actor, po_id, for_update=True)
    if po.status not in order_status.RECEIVABLE:
        raise IllegalTransitionError(
            f"order {po.po_number} is {po.status.value.replace('_', ' ')}; goods can only be received against "
            "a sent order"
        )
    if not quantities:
        raise ValidationError("a receipt needs at least one line")
    why = free_text(over_reason, 300, "the over-delivery reason")
    by_no = _lines_by_no(po)
    parsed: dict[int, Decimal] = {}
    over: dict[int, Decimal] = {}
    for no, quantity in sorted(quantities.items()):
        line = by_no.get(no)
        if line is None:
            raise ValidationError(f"order {po.po_number} has no line {no}; nothing was received")
        q = parse_quantity(
            quantity, what=f"received quantity of line {no}", whole=is_whole(session, line.uom), uom=line.uom
        )
        if line.status != POLineStatus.OPEN:
            raise ValidationError(f"line {no} of {po.po_number} is {line.status.value}; nothing was received")
        limit = _expected(line)
        still_open = limit - line.quantity_received
        if q > still_open:
            if not why:
                raise ValidationError(
                    f"line {no} of {po.po_number}: receiving {fmt(q)} is more than the {fmt(still_open)} still open "
                    f"({fmt(limit)} expected, {fmt(line.quantity_received)} received); give a reason to accept "
                    "the over-delivery; nothing was received"
                )
            over[no] = q - max(still_open, Decimal(0))
        parsed[no] = q
    closing = sorted(set(close_short))
    for no in closing:
        line = by_no.get(no)
        if line is None:
            raise ValidationError(f"order {po.po_number} has no line {no} to close; nothing was received")
        if line.status != POLineStatus.OPEN:
            raise ValidationError(f"line {no} of {po.po_number} is {line.status.value} already; nothing was received")
    when = received_at or utcnow()
    receipt = Receipt(
        receipt_number=next_number(session, RECEIPT_COUNTER, RECEIPT_PREFIX),
        purchase_order_id=po.id,
        received_at=when,
        received_by=actor.name,
    )
    session.add(receipt)
    session.flush()
    location = session.get(Location, po.location_id)
    assert location is not None
    for no, q in parsed.items():
        line = by_no[no]
        line.quantity_received += q
        if line.quantity_received >= _expected(line):
            line.status = POLineStatus.CLOSED
        session.flush()
        ledger.post_receipt(
            session,
            actor,
            line.sku_id,
            location,
            q,
            occurred_at=when,
            reference=f"{po.po_number}/{no}",
            note=f"over-delivery of {fmt(over[no])}: {why}" if no in over else "",
            po_line_id=line.id,
            receipt_id=receipt.id,
        )
    short: dict[int, str] = {}
    for no in closing:
        line = by_no[no]
        if line.status == POLineStatus.OPEN:
            short[no] = f"{fmt(line.quantity_received)} of {fmt(_expected(line))}"
            line.status = POLineStatus.CLOSED if line.quantity_received > 0 else POLineStatus.CANCELLED
    session.flush()
    notes = [f"receipt {receipt.receipt_number}"]
    notes += [f"line {no} over-delivered by {fmt(q)} ({why})" for no, q in over.items()]
    notes += [f"line {no} closed short ({text})" for no, text in short.items()]
    complete = all(ln.status != POLineStatus.OPEN for ln in po.lines)
    target = S.RECEIVED if complete else S.PARTLY_RECEIVED
    if target != po.status:
        transition(session, actor, po, target, note="; ".join(notes))
    audit.record(
        session,
        actor,
        "order.receive",
        "purchase_order",
        po.po_number,
        receipt=receipt.receipt_number,
        lines={str(k): str(v) for k, v in parsed.items()},
        **({"over_delivered": {str(k): str(v) for k, v in over.items()}, "over_reason": why} if over else {}),
        **({"closed_short": {str(k): v for k, v in short.items()}} if short else {}),
    )
    return receipt


def _expected(line: PurchaseOrderLine) -> Decimal:
    """What a line expects in all: the acknowledged quantity when the supplier answered, else the ordered one."""
    return line.quantity_acknowledged if line.quantity_acknowledged is not None else line.quantity_ordered


# ---------------------------------------------------------------------------------------------- position


def open_quantity_by_pair(
    session: Session, sku_ids: list[int] | None = None, location_ids: list[int] | None = None
) -> dict[tuple[int, int], Decimal]:
    """Open order quantity per (sku_id, location_id), drafts and proposals included."""
    oo = on_order_subquery(sku_ids, location_ids)
    return {(r.sku_id, r.location_id): to_decimal(r.on_order) for r in session.execute(select(oo))}


def open_quantity_for_check(
    session: Session, sku_ids: list[int], location_ids: list[int]
) -> dict[tuple[int, int], Decimal]:
    """Every vendor's open order quantity per pair, as a position check needs it, whoever's login asks.

    On PostgreSQL a supplier's login cannot read another vendor's orders, yet its own order is held
    above max by the same position as over sync: ``vmi_open_on_order`` (migration 0005) sums all
    open orders, for the caller's own pairs only. Elsewhere it is ``open_quantity_by_pair``.
    """
    if session.get_bind().dialect.name != "postgresql":
        return open_quantity_by_pair(session, sku_ids, location_ids)
    rows = session.execute(
        text("SELECT sku_id, location_id, on_order FROM vmi_open_on_order(:skus, :locations)"),
        {"skus": list(sku_ids), "locations": list(location_ids)},
    )
    return {(r.sku_id, r.location_id): to_decimal(r.on_order) for r in rows}


def inventory_position(session: Session, sku_id: int, location_id: int) -> Decimal:
    """On hand + on order for one pair: what reorder and the supplier-order check compare with min/max."""
    on_hand = ledger.current_on_hand(session, sku_id, location_id)
    return on_hand + open_quantity_by_pair(session, [sku_id], [location_id]).get((sku_id, location_id), Decimal(0))


def list_orders(
    session: Session,
    actor: Actor,
    *,
    statuses: list[POStatus] | None = None,
    vendor_id: int | None = None,
    limit: int = 500,
) -> list[PurchaseOrder]:
    """Orders the actor may see, newest first."""
    stmt = select(PurchaseOrder).where(vendor_filter(actor, PurchaseOrder.vendor_id))
    if statuses:
        stmt = stmt.where(PurchaseOrder.status.in_(statuses))
    if vendor_id is not None:
        stmt = stmt.where(PurchaseOrder.vendor_id == vendor_id)
    return list(session.scalars(stmt.order_by(PurchaseOrder.id.desc()).limit(limit)))
