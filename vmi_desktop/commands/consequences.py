"""What follows a change, called explicitly by the commands (never from listeners)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from vmi_desktop import order_status
from vmi_desktop.db import UnitOfWork
from vmi_desktop.models import POOrigin, POStatus, PurchaseOrder, Receipt
from vmi_desktop.replenishment import reorder
from vmi_desktop.replenishment.reorder import ReorderResult
from vmi_desktop.scope import SYSTEM
from vmi_desktop.sync import outbox


def reorder_pairs(uow: UnitOfWork, pairs: Iterable[tuple[int, int]]) -> ReorderResult:
    """Stock moved on ``pairs``: run the reorder check for them, queue what it sent, record the change."""
    touched = sorted(set(pairs))
    uow.changes.pairs.update(touched)
    result = reorder.evaluate(uow.session, SYSTEM, pairs=touched)
    record_reorder(uow, result)
    return result


def record_reorder(uow: UnitOfWork, result: ReorderResult) -> None:
    """Queue the orders a reorder run raised as sent, and record what it touched."""
    queue_orders(uow, result.sent_orders)
    uow.changes.orders.update(result.order_ids)
    uow.changes.pairs.update((n.sku_id, n.location_id) for n in result.needs)
    if result.alerts_raised:
        uow.changes.alerts = True


def queue_orders(uow: UnitOfWork, order_ids: Iterable[int]) -> None:
    """Put orders that just became ``sent`` into their vendor's outbox (vendors without sync get nothing)."""
    ids = sorted(set(order_ids))
    if not ids:
        return
    orders = uow.session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.id.in_(ids)).options(selectinload(PurchaseOrder.lines))
    )
    for po in orders:
        if outbox.enqueue_purchase_order(uow.session, po):
            uow.changes.sync_vendors.add(po.vendor_id)


def order_changed(uow: UnitOfWork, po: PurchaseOrder, before: POStatus) -> None:
    """The customer moved an order from ``before``: tell the supplier what it must know, record the change.

    An order that became ``sent`` is queued; a cancellation of an order the supplier already has is
    queued as a cancel (not for an order the supplier raised itself: the contract's cancel names a
    po_number the supplier never got).
    """
    uow.changes.orders.add(po.id)
    uow.changes.pairs.update((line.sku_id, po.location_id) for line in po.lines)
    if po.status == POStatus.SENT and before != POStatus.SENT:
        queue_orders(uow, [po.id])
    elif po.status == POStatus.CANCELLED and before in order_status.AT_SUPPLIER and po.origin != POOrigin.SUPPLIER:
        reason = po.history[-1].note if po.history else ""
        if outbox.enqueue_cancel(uow.session, po, reason or "cancelled by the customer"):
            uow.changes.sync_vendors.add(po.vendor_id)


def receipt_posted(uow: UnitOfWork, receipt: Receipt, po: PurchaseOrder) -> None:
    """Goods came in against an order: tell the supplier, then check the pairs (their position moved)."""
    if outbox.enqueue_receipt(uow.session, receipt):
        uow.changes.sync_vendors.add(po.vendor_id)
    uow.changes.orders.add(po.id)
    reorder_pairs(uow, [(line.sku_id, po.location_id) for line in po.lines])
