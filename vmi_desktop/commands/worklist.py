"""The worklist's actions as commands: order now, decide the orders awaiting approval, snooze, wake.

Each runs in one unit of work (its own, or the caller's): orders raised now are sent and queued for
their vendors (``consequences.record_reorder``, as the reorder run's are), decisions go through
``commands.orders`` one order at a time inside the same transaction, snoozes are audited per pair.
Every touched pair is recorded in the unit of work's ``Changes``, so open pages refresh those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands.consequences import record_reorder
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.models import POLineStatus, POOrigin, POStatus, PurchaseOrder, PurchaseOrderLine
from vmi_desktop.replenishment import snoozes
from vmi_desktop.replenishment.order_now import OrderLine
from vmi_desktop.replenishment.order_now import order_now as raise_now
from vmi_desktop.replenishment.reorder import ReorderResult
from vmi_desktop.scope import Actor, vendor_filter

Pair = tuple[int, int]


def order_now(target: Target, actor: Actor, lines: Sequence[OrderLine]) -> ReorderResult:
    """Order ``lines`` now: sent orders, one per vendor x location, queued for the vendors with sync."""

    def work(uow: UnitOfWork) -> ReorderResult:
        result = raise_now(uow.session, actor, lines)
        record_reorder(uow, result)
        return result

    return within(target, work)


@dataclass(frozen=True)
class Awaiting:
    """An order awaiting the parts manager's decision that covers some of the chosen pairs."""

    id: int
    po_number: str
    held_supplier_order: bool  # a supplier's order held over max (else a proposal or a draft for approval)
    pairs: frozenset[Pair]


def awaiting_decision(session: Session, actor: Actor, pairs: Iterable[Pair]) -> list[Awaiting]:
    """The orders awaiting approval with an open line for one of ``pairs``, oldest first (read-only)."""
    chosen = sorted(set(pairs))
    if not chosen:
        return []
    rows = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.po_number, PurchaseOrder.origin, PurchaseOrderLine.sku_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.status == POStatus.AWAITING_APPROVAL,
            PurchaseOrderLine.status == POLineStatus.OPEN,
            tuple_(PurchaseOrderLine.sku_id, PurchaseOrder.location_id).in_(chosen),
            vendor_filter(actor, PurchaseOrder.vendor_id),
        )
        .add_columns(PurchaseOrder.location_id)
        .order_by(PurchaseOrder.id)
    ).all()
    found: dict[int, tuple[str, bool, set[Pair]]] = {}
    for po_id, number, origin, sku_id, location_id in rows:
        entry = found.setdefault(po_id, (number, origin == POOrigin.SUPPLIER, set()))
        entry[2].add((sku_id, location_id))
    return [Awaiting(i, n, held, frozenset(p)) for i, (n, held, p) in found.items()]


def approve(target: Target, actor: Actor, order_ids: Sequence[int]) -> list[PurchaseOrder]:
    """Approve these orders (proposals are sent and queued; held supplier orders are accepted), together."""

    def work(uow: UnitOfWork) -> list[PurchaseOrder]:
        return [order_commands.approve(uow, actor, po_id) for po_id in sorted(set(order_ids))]

    return within(target, work)


def reject(target: Target, actor: Actor, order_ids: Sequence[int], reason: str) -> list[PurchaseOrder]:
    """Reject these orders with one reason, together."""

    def work(uow: UnitOfWork) -> list[PurchaseOrder]:
        return [order_commands.reject(uow, actor, po_id, reason) for po_id in sorted(set(order_ids))]

    return within(target, work)


def snooze(
    target: Target, actor: Actor, pairs: Iterable[Pair], *, until: date, reason: str, today: date | None = None
) -> int:
    """Put ``pairs`` aside until ``until`` with a reason (off the worklist, skipped by the reorder trigger)."""
    chosen = sorted(set(pairs))

    def work(uow: UnitOfWork) -> int:
        count = snoozes.snooze(uow.session, actor, chosen, until=until, reason=reason, today=today)
        uow.changes.pairs.update(chosen)
        return count

    return within(target, work)


def wake(target: Target, actor: Actor, pairs: Iterable[Pair], *, today: date | None = None) -> int:
    """End the snooze of ``pairs`` now; the reorder check runs for them at once (they may be below min)."""
    from vmi_desktop.commands.consequences import reorder_pairs

    chosen = sorted(set(pairs))

    def work(uow: UnitOfWork) -> int:
        count = snoozes.wake(uow.session, actor, chosen, today=today)
        reorder_pairs(uow, chosen)
        return count

    return within(target, work)
