"""The stock ledger: every movement is an appended row, the level moves with it.

Each posting validates everything before writing, then writes the movement,
updates the on-hand level with one atomic ``UPDATE ... RETURNING`` (so two
workstations posting at once never lose an update), copies the pair's new
figures onto its supply agreements for the worklist's index
(``replenishment.pair_figures``), and writes an audit entry, all in the
caller's transaction. A refused posting raises a
``ValidationError``/``PermissionDenied`` and writes nothing.

What follows a posting (the reorder check for the touched pairs, the outbox)
is not done here: the application commands in ``vmi_desktop.commands`` call
the ledger, then reorder, then the outbox, in one transaction.

Concurrency: a posting locks its level row before it reads it (``lock_levels``;
PostgreSQL ``SELECT ... FOR UPDATE``, SQLite's single writer), and a posting
that touches two pairs (a transfer) locks them in one global order, so the
level always equals the sum of its movements whatever runs beside it and
opposite transfers cannot deadlock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.models import CycleCount, Location, MovementKind, Sku, StockLevel, StockMovement, utcnow
from vmi_desktop.quantities import check_quantity_bound, fmt, parse_quantity
from vmi_desktop.replenishment import pair_figures
from vmi_desktop.scope import Action, Actor, require
from vmi_desktop.units import is_whole

log = logging.getLogger(__name__)

SkuRef = int | str | Sku
LocationRef = int | str | Location


def resolve_sku(session: Session, ref: SkuRef) -> Sku:
    """A SKU by id, part number or instance; ``NotFoundError`` names what was asked for."""
    if isinstance(ref, Sku):
        return ref
    sku = session.get(Sku, ref) if isinstance(ref, int) else session.scalar(select(Sku).where(Sku.part_number == ref))
    if sku is None:
        raise NotFoundError(f"unknown SKU {ref!r}")
    return sku


def resolve_location(session: Session, ref: LocationRef) -> Location:
    """A location by id, code or instance; ``NotFoundError`` names what was asked for."""
    if isinstance(ref, Location):
        return ref
    loc = (
        session.get(Location, ref)
        if isinstance(ref, int)
        else session.scalar(select(Location).where(Location.code == ref))
    )
    if loc is None:
        raise NotFoundError(f"unknown location {ref!r}")
    return loc


def current_on_hand(session: Session, sku_id: int, location_id: int) -> Decimal:
    """On hand now for one pair (zero when it never had a movement)."""
    value = session.scalar(
        select(StockLevel.on_hand).where(StockLevel.sku_id == sku_id, StockLevel.location_id == location_id)
    )
    return Decimal(value) if value is not None else Decimal("0.000")


@dataclass(frozen=True)
class Posting:
    """What one posting wrote, for the caller to show or chain."""

    movement_id: int
    sku_id: int
    location_id: int
    quantity: Decimal
    on_hand_after: Decimal


def lock_levels(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Decimal]:
    """Create missing level rows and lock them in (sku_id, location_id) order; returns on hand as locked.

    PostgreSQL: ``SELECT ... FOR UPDATE`` in one global order, so two transactions touching the
    same pairs in opposite orders (opposite transfers) wait for each other instead of deadlocking.
    SQLite: the insert-or-ignore is a write, which makes this transaction the single writer before
    it reads; nobody can post between the read and the write.
    """
    ordered = sorted(set(pairs))
    now = utcnow()
    for sku_id, location_id in ordered:
        _ensure_level(session, sku_id, location_id, now)
    levels: dict[tuple[int, int], Decimal] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for sku_id, location_id in ordered:
        stmt = select(StockLevel.on_hand).where(StockLevel.sku_id == sku_id, StockLevel.location_id == location_id)
        if postgres:
            stmt = stmt.with_for_update()
        levels[(sku_id, location_id)] = session.execute(stmt).scalar_one()
    return levels


def _apply(
    session: Session,
    actor: Actor,
    sku: Sku,
    location: Location,
    kind: MovementKind,
    delta: Decimal,
    *,
    before: Decimal,
    occurred_at: datetime | None,
    reference: str,
    note: str,
    check_negative: bool,
    po_line_id: int | None = None,
    receipt_id: int | None = None,
    reverses: int | None = None,
) -> Posting:
    """Write one movement of ``delta`` on a level locked by ``lock_levels`` (``before`` is its on hand)."""
    after = before + delta
    check_quantity_bound(after, what=f"on hand of {sku.part_number} at {location.code}")
    if check_negative and after < 0 and not location.allow_negative_stock:
        raise ValidationError(
            f"{kind.value} of {fmt(-delta)} {sku.uom} of {sku.part_number} at {location.code} would take "
            f"on hand from {fmt(before)} to {fmt(after)}; this location does not allow negative stock"
        )
    now = utcnow()
    # The row is locked: the update adds the delta, and what it returns is what we computed.
    stored = session.execute(
        update(StockLevel)
        .values(on_hand=StockLevel.on_hand + delta, updated_at=now)
        .where(StockLevel.sku_id == sku.id, StockLevel.location_id == location.id)
        .returning(StockLevel.on_hand)
    ).scalar_one()
    if stored != after:  # pragma: no cover - only if something wrote to a locked row
        raise ValidationError(
            f"on hand of {sku.part_number} at {location.code} changed while it was locked; nothing was posted"
        )
    movement_id = session.execute(
        insert(StockMovement)
        .values(
            sku_id=sku.id,
            location_id=location.id,
            kind=kind,
            quantity=delta,
            on_hand_after=after,
            occurred_at=occurred_at or now,
            recorded_at=now,
            recorded_by=actor.name,
            reference=reference,
            note=note,
            purchase_order_line_id=po_line_id,
            receipt_id=receipt_id,
            reverses_movement_id=reverses,
        )
        .returning(StockMovement.id)
    ).scalar_one()
    session.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == sku.id, StockLevel.location_id == location.id)
        .values(last_movement_id=movement_id)
    )
    # the worklist's index reads the pair's figures off its agreements (replenishment.pair_figures)
    pair_figures.record_posting(
        session, sku.id, location.id, on_hand=after, kind=kind, occurred_at=occurred_at or now, now=now
    )
    reversal = {"reverses": reverses, "kind": kind.value, "reason": note} if reverses is not None else {}
    audit.record(
        session,
        actor,
        "stock.reverse" if reverses is not None else f"stock.{kind.value}",
        "stock_movement",
        movement_id,
        sku=sku.part_number,
        location=location.code,
        quantity=delta,
        on_hand_after=after,
        reference=reference,
        **reversal,
    )
    return Posting(movement_id, sku.id, location.id, delta, after)


def _post_one(
    session: Session,
    actor: Actor,
    sku: Sku,
    location: Location,
    kind: MovementKind,
    delta: Decimal,
    **kw: Any,
) -> Posting:
    before = lock_levels(session, [(sku.id, location.id)])[(sku.id, location.id)]
    return _apply(session, actor, sku, location, kind, delta, before=before, **kw)


def _ensure_level(session: Session, sku_id: int, location_id: int, now: datetime) -> None:
    """Create the level row if missing, race-free (two first postings at once must not collide)."""
    dialect = session.get_bind().dialect.name
    values = {"sku_id": sku_id, "location_id": location_id, "on_hand": Decimal(0), "updated_at": now}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert  # type: ignore[assignment]
    session.execute(dialect_insert(StockLevel).values(**values).on_conflict_do_nothing())


def _check_active(sku: Sku, location: Location, what: str) -> None:
    if not location.active:
        raise ValidationError(f"location {location.code} is deactivated; {what} refused")
    if not sku.active:
        raise ValidationError(f"SKU {sku.part_number} is deactivated; {what} refused")


def _quantity(session: Session, sku: Sku, value: object, what: str, **kw: bool) -> Decimal:
    return parse_quantity(value, what=what, whole=is_whole(session, sku.uom), uom=sku.uom, **kw)


def _text(value: str, limit: int, what: str) -> str:
    return free_text(value, limit, what)


def post_consumption(
    session: Session,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
    history: bool = False,
) -> Posting:
    """Parts used (issued to a job); refused if it would drive on hand below zero.

    ``history`` marks consumption imported from before the app kept the ledger: it is never refused
    for taking on hand below zero (the opening stock imported after it sets today's level).
    """
    require(actor, Action.POST_LEDGER)
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    qty = _quantity(session, s, quantity, "consumed quantity")
    _check_active(s, loc, "consumption")
    return _post_one(
        session,
        actor,
        s,
        loc,
        MovementKind.CONSUMPTION,
        -qty,
        occurred_at=occurred_at,
        reference=_text(reference, 100, "reference"),
        note=_text(note, 500, "note"),
        check_negative=not history,
    )


def post_receipt(
    session: Session,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
    po_line_id: int | None = None,
    receipt_id: int | None = None,
) -> Posting:
    """Goods in. Receipts against an order go through the order service, which calls this."""
    require(actor, Action.POST_LEDGER if po_line_id is None else Action.RECEIVE_ORDER)
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    qty = _quantity(session, s, quantity, "received quantity")
    if not loc.active:
        raise ValidationError(f"location {loc.code} is deactivated; receipt refused")
    return _post_one(
        session,
        actor,
        s,
        loc,
        MovementKind.RECEIPT,
        qty,
        occurred_at=occurred_at,
        reference=_text(reference, 100, "reference"),
        note=_text(note, 500, "note"),
        check_negative=False,
        po_line_id=po_line_id,
        receipt_id=receipt_id,
    )


def post_adjustment(
    session: Session,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    delta: object,
    *,
    reason: str,
    occurred_at: datetime | None = None,
    reference: str = "",
) -> Posting:
    """A correction up or down; a reason is required so the audit trail explains it."""
    require(actor, Action.POST_LEDGER)
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    qty = _quantity(session, s, delta, "adjustment", allow_negative=True)
    if not reason.strip():
        raise ValidationError("an adjustment needs a reason")
    return _post_one(
        session,
        actor,
        s,
        loc,
        MovementKind.ADJUSTMENT,
        qty,
        occurred_at=occurred_at,
        reference=_text(reference, 100, "reference"),
        note=_text(reason, 500, "reason"),
        check_negative=True,
    )


def post_transfer(
    session: Session,
    actor: Actor,
    sku: SkuRef,
    from_location: LocationRef,
    to_location: LocationRef,
    quantity: object,
    *,
    occurred_at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> tuple[Posting, Posting]:
    """Move stock between locations: one row out, one row in, same reference; both levels locked in one order."""
    require(actor, Action.POST_LEDGER)
    s = resolve_sku(session, sku)
    qty = _quantity(session, s, quantity, "transferred quantity")
    src, dst = resolve_location(session, from_location), resolve_location(session, to_location)
    if src.id == dst.id:
        raise ValidationError(f"a transfer needs two different locations, got {src.code} twice")
    _check_active(s, src, "transfer")
    _check_active(s, dst, "transfer")
    ref = _text(reference, 100, "reference") or f"TR-{src.code}-{dst.code}-{utcnow().strftime('%Y%m%d%H%M%S%f')}"
    text_note = _text(note, 500, "note")
    levels = lock_levels(session, [(s.id, src.id), (s.id, dst.id)])
    out = _apply(
        session,
        actor,
        s,
        src,
        MovementKind.TRANSFER_OUT,
        -qty,
        before=levels[(s.id, src.id)],
        occurred_at=occurred_at,
        reference=ref[:100],
        note=text_note,
        check_negative=True,
    )
    into = _apply(
        session,
        actor,
        s,
        dst,
        MovementKind.TRANSFER_IN,
        qty,
        before=levels[(s.id, dst.id)],
        occurred_at=occurred_at,
        reference=ref[:100],
        note=text_note,
        check_negative=False,
    )
    return out, into


def post_cycle_count(
    session: Session,
    actor: Actor,
    sku: SkuRef,
    location: LocationRef,
    counted: object,
    *,
    occurred_at: datetime | None = None,
    note: str = "",
    reference: str = "count",
) -> tuple[CycleCount, Posting]:
    """A physical count: system quantity read under the level's lock, the variance posted as the difference.

    Whatever posts beside it, the level afterwards is the counted quantity plus what was posted after
    the lock, and always equals the sum of its movements.
    """
    require(actor, Action.POST_LEDGER)
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    counted_qty = _quantity(session, s, counted, "counted quantity", allow_zero=True)
    system_qty = lock_levels(session, [(s.id, loc.id)])[(s.id, loc.id)]
    posting = _apply(
        session,
        actor,
        s,
        loc,
        MovementKind.COUNT,
        counted_qty - system_qty,
        before=system_qty,
        occurred_at=occurred_at,
        reference=_text(reference, 100, "reference"),
        note=_text(note, 500, "note"),
        check_negative=False,
    )
    count = CycleCount(
        sku_id=s.id,
        location_id=loc.id,
        counted_qty=counted_qty,
        system_qty=system_qty,
        counted_at=occurred_at or utcnow(),
        counted_by=actor.name,
        movement_id=posting.movement_id,
    )
    session.add(count)
    session.flush()
    return count, posting


# ---------------------------------------------------------------------------------------------- reversals

_TRANSFER_PARTNER = {
    MovementKind.TRANSFER_OUT: MovementKind.TRANSFER_IN,
    MovementKind.TRANSFER_IN: MovementKind.TRANSFER_OUT,
}


def movement_label(m: StockMovement) -> str:
    """How a movement is named in messages: its number, kind and quantity."""
    return f"movement #{m.id} ({m.kind.value.replace('_', ' ')} of {fmt(m.quantity)})"


def reversal_of(session: Session, movement_id: int) -> StockMovement | None:
    """The movement that reversed ``movement_id``, if any."""
    return session.scalar(select(StockMovement).where(StockMovement.reverses_movement_id == movement_id))


def _transfer_partner(session: Session, m: StockMovement) -> StockMovement:
    """The other leg of a transfer: same SKU and reference, opposite kind and quantity, written beside it."""
    stmt = select(StockMovement).where(
        StockMovement.sku_id == m.sku_id,
        StockMovement.kind == _TRANSFER_PARTNER[m.kind],
        StockMovement.reference == m.reference,
        StockMovement.quantity == -m.quantity,
        StockMovement.location_id != m.location_id,
        StockMovement.reverses_movement_id.is_(None),
    )
    if m.kind == MovementKind.TRANSFER_OUT:  # post_transfer writes the out leg first
        stmt = stmt.where(StockMovement.id > m.id).order_by(StockMovement.id.asc())
    else:
        stmt = stmt.where(StockMovement.id < m.id).order_by(StockMovement.id.desc())
    partner = session.scalar(stmt.limit(1))
    if partner is None:
        raise ValidationError(f"the other side of transfer {m.reference!r} ({movement_label(m)}) is not in the ledger")
    return partner


def _check_reversible(session: Session, m: StockMovement) -> None:
    if m.reverses_movement_id is not None:
        raise ValidationError(
            f"{movement_label(m)} is itself the reversal of movement #{m.reverses_movement_id}; "
            "post the original again instead"
        )
    done = reversal_of(session, m.id)
    if done is not None:
        raise ValidationError(
            f"{movement_label(m)} was already reversed by movement #{done.id} "
            f"({done.recorded_by}, {done.recorded_at:%Y-%m-%d %H:%M} UTC); it cannot be reversed twice"
        )
    if m.purchase_order_line_id is not None:
        raise ValidationError(
            f"{movement_label(m)} is a receipt against an order ({m.reference}): the order and the supplier "
            "count it as received, so it is not reversed here; post an adjustment with the reason instead"
        )
    if m.quantity == 0:
        raise ValidationError(f"{movement_label(m)} changed nothing (the count matched); there is nothing to reverse")


def reverse_movement(
    session: Session, actor: Actor, movement_id: int, *, reason: str, occurred_at: datetime | None = None
) -> tuple[Posting, ...]:
    """Undo a posting by a counter-posting: the same kind, the opposite quantity, naming the original.

    The ledger stays append-only. A transfer is reversed on both sides at once. Refused (nothing
    written): a movement already reversed (the unique index on ``reverses_movement_id`` also stops a
    second reversal racing this one), a reversal itself, a receipt against an order (the order and the
    supplier hold it as received), a count that matched, and a reversal that would take on hand below
    zero where negative stock is not allowed.
    """
    require(actor, Action.POST_LEDGER)
    why = _text(reason, 400, "reason")
    if not why:
        raise ValidationError("a reversal needs a reason")
    original = session.get(StockMovement, movement_id)
    if original is None:
        raise NotFoundError(f"unknown movement #{movement_id}")
    legs = [original]
    if original.kind in _TRANSFER_PARTNER:
        legs.append(_transfer_partner(session, original))
    for leg in legs:
        _check_reversible(session, leg)
    levels = lock_levels(session, [(leg.sku_id, leg.location_id) for leg in legs])
    postings: list[Posting] = []
    for leg in sorted(legs, key=lambda m: m.quantity):  # the side taking stock away first
        sku, loc = resolve_sku(session, leg.sku_id), resolve_location(session, leg.location_id)
        posting = _apply(
            session,
            actor,
            sku,
            loc,
            leg.kind,
            -leg.quantity,
            before=levels[(leg.sku_id, leg.location_id)],
            occurred_at=occurred_at,
            reference=f"reversal of #{leg.id}",
            note=why,
            check_negative=-leg.quantity < 0,
            reverses=leg.id,
        )
        levels[(leg.sku_id, leg.location_id)] = posting.on_hand_after
        postings.append(posting)
    return tuple(postings)
