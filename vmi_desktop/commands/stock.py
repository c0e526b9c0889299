"""Ledger commands: consumption, receipts without an order, adjustments, transfers, cycle counts, reversals.

Each posts through the ledger, then runs the reorder check for the pairs it touched (which queues
any order it raises as sent), all in one transaction: its own (given a ``Database``) or the caller's
(given a ``UnitOfWork``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vmi_desktop import ledger
from vmi_desktop.commands.consequences import reorder_pairs
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.ledger import LocationRef, Posting, SkuRef
from vmi_desktop.models import CycleCount
from vmi_desktop.replenishment.reorder import ReorderResult
from vmi_desktop.scope import Actor


@dataclass(frozen=True)
class PostingResult:
    """What a posting command did: the ledger rows, and what the reorder check raised for the pairs."""

    postings: tuple[Posting, ...]
    reorder: ReorderResult
    count: CycleCount | None = None

    @property
    def posting(self) -> Posting:
        """The (last) posting: for a transfer, the receiving side."""
        return self.postings[-1]


def _then_reorder(uow: UnitOfWork, *postings: Posting, count: CycleCount | None = None) -> PostingResult:
    result = reorder_pairs(uow, [(p.sku_id, p.location_id) for p in postings])
    return PostingResult(postings, result, count)


def consume(
    target: Target,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> PostingResult:
    """Parts used (issued to a job, ``reference`` naming it): refused if it would drive on hand below zero."""

    def work(uow: UnitOfWork) -> PostingResult:
        p = ledger.post_consumption(
            uow.session, actor, sku, location, quantity, occurred_at=occurred_at, reference=reference, note=note
        )
        return _then_reorder(uow, p)

    return within(target, work)


def receive(
    target: Target,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> PostingResult:
    """Goods in without an order (receipts against an order go through ``commands.orders.receive``)."""

    def work(uow: UnitOfWork) -> PostingResult:
        p = ledger.post_receipt(
            uow.session, actor, sku, location, quantity, occurred_at=occurred_at, reference=reference, note=note
        )
        return _then_reorder(uow, p)

    return within(target, work)


def adjust(
    target: Target,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    delta: object,
    *,
    reason: str,
    occurred_at: datetime | None = None,
    reference: str = "",
) -> PostingResult:
    """A correction up or down, with a reason."""

    def work(uow: UnitOfWork) -> PostingResult:
        p = ledger.post_adjustment(
            uow.session, actor, sku, location, delta, reason=reason, occurred_at=occurred_at, reference=reference
        )
        return _then_reorder(uow, p)

    return within(target, work)


def transfer(
    target: Target,
    actor: Actor,
    sku: SkuRef,
    from_location: LocationRef,
    to_location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> PostingResult:
    """Move stock between locations (both levels locked in one global order)."""

    def work(uow: UnitOfWork) -> PostingResult:
        out, into = ledger.post_transfer(
            uow.session,
            actor,
            sku,
            from_location,
            to_location,
            quantity,
            occurred_at=occurred_at,
            reference=reference,
            note=note,
        )
        return _then_reorder(uow, out, into)

    return within(target, work)


def count(
    target: Target,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    counted: object,
    *,
    occurred_at: datetime | None = None,
    note: str = "",
) -> PostingResult:
    """A cycle count: the variance against the level as locked is posted."""

    def work(uow: UnitOfWork) -> PostingResult:
        cc, p = ledger.post_cycle_count(uow.session, actor, sku, location, counted, occurred_at=occurred_at, note=note)
        return _then_reorder(uow, p, count=cc)

    return within(target, work)


def reverse(
    target: Target,
    actor: Actor,
    movement_id: int,
    *,
    reason: str,
    occurred_at: datetime | None = None,
) -> PostingResult:
    """Undo a posting by a counter-posting that names it (both sides of a transfer); never twice."""

    def work(uow: UnitOfWork) -> PostingResult:
        postings = ledger.reverse_movement(uow.session, actor, movement_id, reason=reason, occurred_at=occurred_at)
        return _then_reorder(uow, *postings)

    return within(target, work)
