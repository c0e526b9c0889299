"""What the warehouse lead's stock forms read: a scanned part at a location, count sheet lines, an
order to receive against, and a pair's ledger history as a table (no Qt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from vmi_desktop.db.changes import Changes
from vmi_desktop.models import Location, PurchaseOrder, Sku, StockLevel, StockMovement, SupplyAgreement
from vmi_desktop.queries.base import Column, Kind, PageRequest, Row, TableQuery, contains
from vmi_desktop.queries.orders import OrderDetail, order_detail
from vmi_desktop.scope import Actor, pair_filter, vendor_filter
from vmi_desktop.units import is_whole


@dataclass(frozen=True)
class PartAt:
    """A SKU at a location as a form shows it after a scan: what it is, its unit and its on hand."""

    sku_id: int
    part_number: str
    description: str
    uom: str
    whole: bool
    location_id: int
    location: str
    on_hand: Decimal
    active: bool = True


def _part_select(location_id: int) -> Any:
    return (
        select(
            Sku.id,
            Sku.part_number,
            Sku.description,
            Sku.uom,
            Location.id,
            Location.code,
            func.coalesce(StockLevel.on_hand, Decimal(0)),
            Sku.active,
        )
        .select_from(Sku)
        .join(Location, Location.id == location_id)
        .outerjoin(StockLevel, and_(StockLevel.sku_id == Sku.id, StockLevel.location_id == Location.id))
    )


def _part(session: Session, row: Any) -> PartAt:
    sku_id, part, description, uom, location_id, location, on_hand, active = row
    return PartAt(
        sku_id, part, description, uom, is_whole(session, uom), location_id, location, Decimal(on_hand), bool(active)
    )


def find_part(session: Session, actor: Actor, text: str, location_id: int) -> PartAt | None:
    """The part a scan or a typed text names at a location: its part number (any case), else a
    supplier part number agreed for that location; None when nothing matches."""
    code = text.strip()
    if not code:
        return None
    base = _part_select(location_id).where(pair_filter(actor, Sku.id, Location.id))
    row = session.execute(base.where(Sku.part_number == code)).first()
    if row is None:
        row = session.execute(base.where(func.lower(Sku.part_number) == code.lower()).limit(1)).first()
    if row is None:
        agreed = select(SupplyAgreement.sku_id).where(
            SupplyAgreement.location_id == location_id,
            func.lower(SupplyAgreement.supplier_sku) == code.lower(),
            SupplyAgreement.active.is_(True),
            vendor_filter(actor, SupplyAgreement.vendor_id),
        )
        row = session.execute(base.where(Sku.id.in_(agreed)).limit(1)).first()
    return _part(session, row) if row is not None else None


def part_at(session: Session, actor: Actor, sku_id: int, location_id: int) -> PartAt | None:
    """One SKU at one location, fresh (after a posting, for a count sheet line)."""
    row = session.execute(
        _part_select(location_id).where(Sku.id == sku_id, pair_filter(actor, Sku.id, Location.id))
    ).first()
    return _part(session, row) if row is not None else None


def count_sheet_lines(
    session: Session, actor: Actor, location_id: int, *, limit: int = 2000
) -> tuple[list[PartAt], bool]:
    """The active SKUs with stock at a location, by part number (a count sheet), and whether more exist."""
    rows = session.execute(
        _part_select(location_id)
        .where(
            StockLevel.sku_id.is_not(None),
            Sku.active.is_(True),
            pair_filter(actor, Sku.id, Location.id),
        )
        .order_by(Sku.part_number)
        .limit(limit + 1)
    ).all()
    return [_part(session, r) for r in rows[:limit]], len(rows) > limit


def on_hand_of(session: Session, actor: Actor, location_id: int, sku_ids: Sequence[int]) -> dict[int, Decimal]:
    """On hand now per SKU at a location (a count sheet's review): zero where there is no level yet, or
    where the actor may not see the pair."""
    found: dict[int, Decimal] = dict.fromkeys(sku_ids, Decimal(0))
    ids = list(sku_ids)
    for start in range(0, len(ids), 500):
        for sku_id, on_hand in session.execute(
            select(StockLevel.sku_id, StockLevel.on_hand).where(
                StockLevel.location_id == location_id,
                StockLevel.sku_id.in_(ids[start : start + 500]),
                pair_filter(actor, StockLevel.sku_id, StockLevel.location_id),
            )
        ):
            found[sku_id] = Decimal(on_hand)
    return found


def order_to_receive(session: Session, actor: Actor, text: str) -> OrderDetail | None:
    """An order by PO number (any case) or supplier order number, with its lines; None when unknown."""
    code = text.strip()
    if not code:
        return None
    po_id = session.scalar(
        select(PurchaseOrder.id).where(
            or_(
                func.upper(PurchaseOrder.po_number) == code.upper(),
                PurchaseOrder.supplier_order_id == code,
            ),
            vendor_filter(actor, PurchaseOrder.vendor_id),
        )
    )
    return order_detail(session, actor, po_id) if po_id is not None else None


# ---------------------------------------------------------------------------------------------- history

_REVERSAL = aliased(StockMovement, name="reversal")
_REVERSED_BY = (
    select(_REVERSAL.id)
    .where(_REVERSAL.reverses_movement_id == StockMovement.id)
    .correlate(StockMovement)
    .scalar_subquery()
)


class MovementsQuery(TableQuery):
    """The ledger rows of one SKU x location (or all, newest first): what moved, why, who, and reversals."""

    default_sort = "id"
    columns = (
        Column("id", "#", StockMovement.id, Kind.INT, width=7),
        Column("occurred_at", "When (UTC)", StockMovement.occurred_at, Kind.DATETIME, width=17, sortable=False),
        Column("part_number", "SKU", Sku.part_number, sortable=False, width=12),
        Column("location", "Location", Location.code, sortable=False, width=9),
        Column("kind", "Movement", StockMovement.kind, Kind.ENUM, sortable=False, width=12),
        Column("quantity", "Quantity", StockMovement.quantity, Kind.QTY, sortable=False),
        Column("on_hand_after", "On hand after", StockMovement.on_hand_after, Kind.QTY, sortable=False),
        Column("reference", "Reference", StockMovement.reference, sortable=False, width=16),
        Column("note", "Note", StockMovement.note, sortable=False, width=24),
        Column("recorded_by", "By", StockMovement.recorded_by, sortable=False, width=8),
        Column("reverses", "Reverses", StockMovement.reverses_movement_id, Kind.INT, sortable=False),
        Column("reversed_by", "Reversed by", _REVERSED_BY, Kind.INT, sortable=False),
    )
    hidden = (
        Column("sku_id", "", StockMovement.sku_id),
        Column("location_id", "", StockMovement.location_id),
        Column("po_line_id", "", StockMovement.purchase_order_line_id),
    )

    def base(self) -> Select[Any]:
        return (
            select(StockMovement.id)
            .select_from(StockMovement)
            .join(Sku, Sku.id == StockMovement.sku_id)
            .join(Location, Location.id == StockMovement.location_id)
        )

    def key_base(self, request: PageRequest) -> Select[Any]:
        # deferred join: a page's ids come from the ledger alone in id order (the primary key gives it,
        # no sort step), then the SKU, the location and the reversal are looked up for those rows only
        return select(StockMovement.id).select_from(StockMovement)

    def key_exprs(self) -> Sequence[Any]:
        return (StockMovement.id,)

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        if not actor.is_supplier:
            return []
        return [pair_filter(actor, StockMovement.sku_id, StockMovement.location_id)]

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(
            contains(StockMovement.reference, text),
            contains(StockMovement.note, text),
            contains(StockMovement.recorded_by, text),
        )

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        for key, column in (("sku_id", StockMovement.sku_id), ("location_id", StockMovement.location_id)):
            if filters.get(key) is not None:
                conds.append(column == filters[key])
        return conds

    def count_base(self) -> Select[Any]:
        return select(func.count()).select_from(StockMovement)

    def refresh_plan(self, changes: Changes, loaded: Sequence[Row]) -> list[tuple[Any, ...]] | bool:
        # new movements come first (newest on top): reload when the pair shown moved (any, unfiltered)
        if not changes.pairs:
            return super().refresh_plan(changes, loaded)
        shown = {(r.values["sku_id"], r.values["location_id"]) for r in loaded}
        return len(shown) != 1 or bool(shown & changes.pairs)


@dataclass(frozen=True)
class ReceivedLine:
    """What one ledger row of a receipt did."""

    movement_id: int
    part_number: str
    uom: str
    quantity: Decimal
    on_hand_after: Decimal


def receipt_movements(session: Session, actor: Actor, receipt_id: int) -> list[ReceivedLine]:
    """The ledger rows a receipt posted that the actor may see, in order (the form's result line)."""
    rows = session.execute(
        select(StockMovement.id, Sku.part_number, Sku.uom, StockMovement.quantity, StockMovement.on_hand_after)
        .join(Sku, Sku.id == StockMovement.sku_id)
        .where(
            StockMovement.receipt_id == receipt_id,
            pair_filter(actor, StockMovement.sku_id, StockMovement.location_id),
        )
        .order_by(StockMovement.id)
    ).all()
    return [ReceivedLine(*r) for r in rows]
