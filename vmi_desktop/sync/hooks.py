"""Enqueue hooks: outbox messages written in the same transaction as the change behind them.

``install()`` registers, once per process:

- an order listener: an order becoming ``sent`` queues the purchase order; a sent order
  cancelled by the customer queues a cancel (not when the supplier itself cancelled it, nor for
  an order the supplier raised: the contract's cancel names a po_number the supplier never got);
- a receipt hook: a goods receipt queues a ``/v1/receipts`` message before its transaction commits;
- a stock listener: after a commit that moved stock, ``add_delta_listener`` callbacks get the
  ids of the vendors concerned, so a scheduler can push a delta report shortly after.

Only vendors connected by REST get messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from vmi_desktop import ledger
from vmi_desktop.models import POOrigin, POStatus, PurchaseOrder, Receipt, SupplyAgreement
from vmi_desktop.sync import outbox
from vmi_desktop.sync.dispatch import APPLYING_EVENT

log = logging.getLogger(__name__)

_NEW_RECEIPTS = "vmi_sync_new_receipts"
_DIRTY_VENDORS = "vmi_sync_dirty_vendors"
_SENT_LIKE = frozenset(
    {POStatus.SENT, POStatus.ACKNOWLEDGED, POStatus.PARTLY_SHIPPED, POStatus.SHIPPED, POStatus.PARTLY_RECEIVED}
)
DeltaListener = Callable[[set[int]], None]
_delta_listeners: list[DeltaListener] = []
_installed = False


def add_delta_listener(listener: DeltaListener) -> None:
    """Call ``listener(vendor_ids)`` after a commit that moved stock of those vendors' pairs."""
    if listener not in _delta_listeners:
        _delta_listeners.append(listener)


def remove_delta_listener(listener: DeltaListener) -> None:
    if listener in _delta_listeners:
        _delta_listeners.remove(listener)


def on_order_change(session: Session, po: PurchaseOrder, before: POStatus | None, after: POStatus) -> None:
    """Queue the order when it is sent, and its cancellation when the customer cancels a sent order."""
    if session.info.get(APPLYING_EVENT):
        return  # the supplier told us; do not echo it back
    if after == POStatus.SENT and before != POStatus.SENT:
        outbox.enqueue_purchase_order(session, po)
    elif after == POStatus.CANCELLED and before in _SENT_LIKE and po.origin != POOrigin.SUPPLIER:
        # A supplier-raised order is known to the supplier by its own id, which the contract's cancel
        # (by po_number) cannot name; it is not sent.
        reason = po.history[-1].note if po.history else ""
        outbox.enqueue_cancel(session, po, reason or "cancelled by the customer")


def _on_receipt_insert(_mapper: Any, _connection: Any, target: Receipt) -> None:
    session = Session.object_session(target)
    if session is not None:
        session.info.setdefault(_NEW_RECEIPTS, []).append(target)


def _before_commit(session: Session) -> None:
    receipts: list[Receipt] = session.info.pop(_NEW_RECEIPTS, [])
    for receipt in receipts:
        outbox.enqueue_receipt(session, receipt)


def _on_stock(session: Session, sku_id: int, location_id: int) -> None:
    if not _delta_listeners:
        return
    vendors = session.scalars(
        select(SupplyAgreement.vendor_id).where(
            SupplyAgreement.sku_id == sku_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.active.is_(True),
        )
    )
    session.info.setdefault(_DIRTY_VENDORS, set()).update(vendors)


def _after_commit(session: Session) -> None:
    vendors: set[int] = session.info.pop(_DIRTY_VENDORS, set())
    if not vendors:
        return
    for listener in list(_delta_listeners):
        try:
            listener(set(vendors))
        except Exception:  # a broken listener must not break the posting that already committed
            log.exception("delta listener %r failed", listener)


def _after_rollback(session: Session) -> None:
    session.info.pop(_DIRTY_VENDORS, None)
    session.info.pop(_NEW_RECEIPTS, None)


def install() -> None:
    """Register the hooks (idempotent)."""
    global _installed
    if _installed:
        return
    from vmi_desktop.replenishment import orders

    orders.add_order_listener(on_order_change)
    ledger.add_stock_listener(_on_stock)
    event.listen(Receipt, "after_insert", _on_receipt_insert)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _installed = True


def uninstall() -> None:
    """Remove the hooks (tests)."""
    global _installed
    if not _installed:
        return
    from vmi_desktop.replenishment import orders

    orders.remove_order_listener(on_order_change)
    ledger.remove_stock_listener(_on_stock)
    event.remove(Receipt, "after_insert", _on_receipt_insert)
    event.remove(Session, "before_commit", _before_commit)
    event.remove(Session, "after_commit", _after_commit)
    event.remove(Session, "after_rollback", _after_rollback)
    _installed = False
