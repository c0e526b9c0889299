"""Order commands: raise, approve, reject, cancel, mark sent, receive; the supplier's acknowledge and ship.

Each calls the order service, then what must follow where a reader sees it: an order that became
``sent`` is queued for its vendor, a customer's cancellation of an order the supplier has is queued
as a cancel, a receipt is queued and its pairs go through the reorder check. A supplier's own
actions (acknowledge, ship, raise, cancel its order) queue nothing: the supplier said them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal

from vmi_desktop.commands.consequences import order_changed, receipt_posted
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.free_text import free_text
from vmi_desktop.models import POOrigin, POStatus, PurchaseOrder, Receipt, Shipment
from vmi_desktop.replenishment import orders
from vmi_desktop.replenishment import supplier_orders as supplier
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor


def _supplier_side(uow: UnitOfWork, po: PurchaseOrder) -> None:
    uow.changes.orders.add(po.id)
    uow.changes.pairs.update((line.sku_id, po.location_id) for line in po.lines)


def create(
    target: Target,
    actor: Actor,
    *,
    vendor_id: int,
    location_id: int,
    lines: list[NewLine],
    origin: POOrigin = POOrigin.MANUAL,
    send: bool = False,
    need_by: date | None = None,
    note: str = "",
) -> PurchaseOrder:
    """A new order by hand: a draft, or sent at once (queued for the vendor) with ``send``."""
    typed = free_text(note, orders.NOTE_LIMIT, "the order note")  # a person's, refused whole (sync's is cut)

    def work(uow: UnitOfWork) -> PurchaseOrder:
        po = orders.create_order(
            uow.session,
            actor,
            vendor_id=vendor_id,
            location_id=location_id,
            lines=lines,
            origin=origin,
            status=POStatus.DRAFT,
            need_by=need_by,
            note=typed,
        )
        order_changed(uow, po, POStatus.DRAFT)
        if send:
            po = orders.approve(uow.session, actor, po.id)
            order_changed(uow, po, POStatus.DRAFT)
        return po

    return within(target, work)


def _status_of(uow: UnitOfWork, actor: Actor, po_id: int) -> POStatus:
    return orders.get_order(uow.session, actor, po_id, for_update=True).status


def approve(target: Target, actor: Actor, po_id: int) -> PurchaseOrder:
    """The parts manager's yes: a proposal or draft is sent (and queued); a held supplier order is accepted."""

    def work(uow: UnitOfWork) -> PurchaseOrder:
        before = _status_of(uow, actor, po_id)
        po = orders.approve(uow.session, actor, po_id)
        order_changed(uow, po, before)
        uow.changes.alerts = True  # a held order's alert is resolved
        return po

    return within(target, work)


def reject(target: Target, actor: Actor, po_id: int, reason: str) -> PurchaseOrder:
    """The parts manager's no to a proposal or a held order."""

    def work(uow: UnitOfWork) -> PurchaseOrder:
        before = _status_of(uow, actor, po_id)
        po = orders.reject(uow.session, actor, po_id, reason)
        order_changed(uow, po, before)
        uow.changes.alerts = True
        return po

    return within(target, work)


def cancel(target: Target, actor: Actor, po_id: int, reason: str) -> PurchaseOrder:
    """Cancel an open order; the supplier is told when it already has it (and the customer cancels)."""

    def work(uow: UnitOfWork) -> PurchaseOrder:
        before = _status_of(uow, actor, po_id)
        po = orders.cancel(uow.session, actor, po_id, reason)
        if actor.is_supplier:
            _supplier_side(uow, po)
        else:
            order_changed(uow, po, before)
        return po

    return within(target, work)


def mark_sent(target: Target, actor: Actor, po_id: int) -> PurchaseOrder:
    """A draft went out: recorded, and queued for a vendor connected by sync."""

    def work(uow: UnitOfWork) -> PurchaseOrder:
        before = _status_of(uow, actor, po_id)
        po = orders.mark_sent(uow.session, actor, po_id)
        order_changed(uow, po, before)
        return po

    return within(target, work)


def receive(
    target: Target,
    actor: Actor,
    po_id: int,
    quantities: dict[int, Decimal],
    *,
    received_at: datetime | None = None,
    over_reason: str = "",
    close_short: Collection[int] = (),
) -> Receipt:
    """Goods in against an order: ledger receipts, the receipt queued, then the reorder check for its pairs.

    An over-delivery is accepted with ``over_reason``; lines in ``close_short`` close although less
    came (``replenishment.orders.receive``). Nothing is written when anything is refused.
    """

    def work(uow: UnitOfWork) -> Receipt:
        receipt = orders.receive(
            uow.session,
            actor,
            po_id,
            quantities,
            received_at=received_at,
            over_reason=over_reason,
            close_short=close_short,
        )
        po = orders.get_order(uow.session, actor, po_id)
        receipt_posted(uow, receipt, po)
        return receipt

    return within(target, work)


def acknowledge(
    target: Target,
    actor: Actor,
    po_id: int,
    *,
    status: str = "accepted",
    lines: dict[int, tuple[Decimal, date | None]] | None = None,
    reason: str = "",
) -> PurchaseOrder:
    """The supplier's answer to an order (accepted, changed per line, or rejected with a reason)."""

    def work(uow: UnitOfWork) -> PurchaseOrder:
        po = orders.acknowledge(uow.session, actor, po_id, status=status, lines=lines, reason=reason)
        _supplier_side(uow, po)
        return po

    return within(target, work)


def ship(
    target: Target,
    actor: Actor,
    po_id: int,
    *,
    shipment_id: str,
    lines: dict[int, Decimal],
    carrier: str = "",
    tracking: str = "",
    eta: date | None = None,
) -> Shipment:
    """The supplier's advance ship notice."""

    def work(uow: UnitOfWork) -> Shipment:
        shipment = orders.record_shipment(
            uow.session, actor, po_id, shipment_id=shipment_id, lines=lines, carrier=carrier, tracking=tracking, eta=eta
        )
        _supplier_side(uow, orders.get_order(uow.session, actor, po_id))
        return shipment

    return within(target, work)


def raise_supplier_order(
    target: Target,
    actor: Actor,
    *,
    supplier_order_id: str,
    location_code: str,
    lines: list[supplier.SupplierLine],
) -> supplier.SupplierOrderOutcome:
    """A replenishment order the supplier raised (in the app or through sync): accepted within max, else held."""

    def work(uow: UnitOfWork) -> supplier.SupplierOrderOutcome:
        outcome = supplier.accept_supplier_order(
            uow.session, actor, supplier_order_id=supplier_order_id, location_code=location_code, lines=lines
        )
        if outcome.order is not None:
            _supplier_side(uow, outcome.order)
        uow.changes.alerts = True
        return outcome

    return within(target, work)
