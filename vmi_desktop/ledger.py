"""The stock ledger: every movement is an appended row, the level moves with it.

Each posting validates everything before writing, then writes the movement,
updates the on-hand level with one atomic ``UPDATE ... RETURNING`` (so two
workstations posting at once never lose an update), and writes an audit
entry, all in the caller's transaction. A refused posting raises a
``ValidationError``/``PermissionDenied`` and writes nothing.

Listeners registered with ``add_stock_listener`` run after each posting in
the same transaction (the reorder check and the sync delta use this).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.models import CycleCount, Location, MovementKind, Sku, StockLevel, StockMovement, utcnow
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.scope import Action, Actor, require

log = logging.getLogger(__name__)

StockListener = Callable[[Session, int, int], None]
_listeners: list[StockListener] = []


def add_stock_listener(listener: StockListener) -> None:
    """Run ``listener(session, sku_id, location_id)`` after every posting (same transaction)."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_stock_listener(listener: StockListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _notify(session: Session, sku_id: int, location_id: int) -> None:
    for listener in list(_listeners):
        listener(session, sku_id, location_id)


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


def _apply(
    session: Session,
    actor: Actor,
    sku: Sku,
    location: Location,
    kind: MovementKind,
    delta: Decimal,
    *,
    occurred_at: datetime | None,
    reference: str,
    note: str,
    check_negative: bool,
    po_line_id: int | None = None,
    receipt_id: int | None = None,
    set_to: Decimal | None = None,
) -> Posting:
    before = current_on_hand(session, sku.id, location.id)
    expected_after = set_to if set_to is not None else before + delta
    if check_negative and expected_after < 0 and not location.allow_negative_stock:
        raise ValidationError(
            f"{kind.value} of {fmt(-delta)} {sku.uom} of {sku.part_number} at {location.code} would take "
            f"on hand from {fmt(before)} to {fmt(expected_after)}; this location does not allow negative stock"
        )
    now = utcnow()
    _ensure_level(session, sku.id, location.id, now)
    # Atomic read-modify-write under the row lock: concurrent postings add up instead of overwriting.
    if set_to is not None:
        stmt = update(StockLevel).values(on_hand=set_to, updated_at=now)
    else:
        stmt = update(StockLevel).values(on_hand=StockLevel.on_hand + delta, updated_at=now)
    stmt = stmt.where(StockLevel.sku_id == sku.id, StockLevel.location_id == location.id).returning(StockLevel.on_hand)
    after = session.execute(stmt).scalar_one()
    after = Decimal(after).quantize(Decimal("0.001"))
    if check_negative and after < 0 and not location.allow_negative_stock:
        # Another workstation posted between our check and our update.
        raise ValidationError(
            f"{kind.value} at {location.code} for {sku.part_number} would take on hand below zero "
            "(stock changed meanwhile); nothing was posted"
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
        )
        .returning(StockMovement.id)
    ).scalar_one()
    session.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == sku.id, StockLevel.location_id == location.id)
        .values(last_movement_id=movement_id)
    )
    audit.record(
        session,
        actor,
        f"stock.{kind.value}",
        "stock_movement",
        movement_id,
        sku=sku.part_number,
        location=location.code,
        quantity=delta,
        on_hand_after=after,
        reference=reference,
    )
    _notify(session, sku.id, location.id)
    return Posting(movement_id, sku.id, location.id, delta, after)


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
) -> Posting:
    """Parts used (issued to a job); refused if it would drive on hand below zero."""
    require(actor, Action.POST_LEDGER)
    qty = parse_quantity(quantity, what="consumed quantity")
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    _check_active(s, loc, "consumption")
    return _apply(
        session,
        actor,
        s,
        loc,
        MovementKind.CONSUMPTION,
        -qty,
        occurred_at=occurred_at,
        reference=reference,
        note=note,
        check_negative=True,
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
    qty = parse_quantity(quantity, what="received quantity")
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    if not loc.active:
        raise ValidationError(f"location {loc.code} is deactivated; receipt refused")
    return _apply(
        session,
        actor,
        s,
        loc,
        MovementKind.RECEIPT,
        qty,
        occurred_at=occurred_at,
        reference=reference,
        note=note,
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
) -> Posting:
    """A correction up or down; a reason is required so the audit trail explains it."""
    require(actor, Action.POST_LEDGER)
    qty = parse_quantity(delta, what="adjustment", allow_negative=True)
    if not reason.strip():
        raise ValidationError("an adjustment needs a reason")
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    return _apply(
        session,
        actor,
        s,
        loc,
        MovementKind.ADJUSTMENT,
        qty,
        occurred_at=occurred_at,
        reference="",
        note=reason.strip(),
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
    """Move stock between locations: one row out, one row in, same reference."""
    require(actor, Action.POST_LEDGER)
    qty = parse_quantity(quantity, what="transferred quantity")
    s = resolve_sku(session, sku)
    src, dst = resolve_location(session, from_location), resolve_location(session, to_location)
    if src.id == dst.id:
        raise ValidationError(f"a transfer needs two different locations, got {src.code} twice")
    _check_active(s, src, "transfer")
    _check_active(s, dst, "transfer")
    ref = reference or f"TR-{src.code}-{dst.code}-{utcnow().strftime('%Y%m%d%H%M%S%f')}"
    out = _apply(
        session,
        actor,
        s,
        src,
        MovementKind.TRANSFER_OUT,
        -qty,
        occurred_at=occurred_at,
        reference=ref,
        note=note,
        check_negative=True,
    )
    into = _apply(
        session,
        actor,
        s,
        dst,
        MovementKind.TRANSFER_IN,
        qty,
        occurred_at=occurred_at,
        reference=ref,
        note=note,
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
) -> tuple[CycleCount, Posting]:
    """A physical count: the variance is posted, counted and system quantities are kept."""
    require(actor, Action.POST_LEDGER)
    counted_qty = parse_quantity(counted, what="counted quantity", allow_zero=True)
    s, loc = resolve_sku(session, sku), resolve_location(session, location)
    system_qty = current_on_hand(session, s.id, loc.id)
    variance = counted_qty - system_qty
    posting = _apply(
        session,
        actor,
        s,
        loc,
        MovementKind.COUNT,
        variance,
        occurred_at=occurred_at,
        reference="count",
        note=note,
        check_negative=False,
        set_to=counted_qty,
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
