"""Purchase orders for the orders page: a page of rows at a time, and one order's detail (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from vmi_desktop.models import (
    Location,
    POOrigin,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
)
from vmi_desktop.queries.base import contains
from vmi_desktop.scope import Actor, location_filter, may_see_vendor, vendor_filter


@dataclass(frozen=True)
class OrderFilter:
    """What the list shows: statuses (None = all) and a search over PO number, vendor and location."""

    statuses: frozenset[POStatus] | None = None
    search: str = ""


@dataclass(frozen=True)
class OrderRow:
    """One row of the order list."""

    id: int
    po_number: str
    status: POStatus
    vendor: str
    location: str
    origin: POOrigin
    lines: int
    created_at: datetime
    need_by: date | None
    hold_reason: str


#: Sortable columns by key; the page's columns map to these.
SORT_COLUMNS: dict[str, Any] = {
    "po_number": PurchaseOrder.po_number,
    "status": PurchaseOrder.status,
    "vendor": Vendor.code,
    "location": Location.code,
    "origin": PurchaseOrder.origin,
    "created_at": PurchaseOrder.created_at,
    "need_by": PurchaseOrder.need_by,
}


def _conditions(actor: Actor, flt: OrderFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [vendor_filter(actor, PurchaseOrder.vendor_id)]
    if flt.statuses is not None:
        conds.append(PurchaseOrder.status.in_(sorted(flt.statuses)))
    text = flt.search.strip()
    if text:
        conds.append(
            or_(
                contains(PurchaseOrder.po_number, text),
                contains(Vendor.code, text),
                contains(Location.code, text),
                contains(PurchaseOrder.supplier_order_id, text),
            )
        )
    return conds


def count_orders(session: Session, actor: Actor, flt: OrderFilter) -> int:
    """How many orders match (for the status bar)."""
    return int(
        session.scalar(
            select(func.count(PurchaseOrder.id))
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .join(Location, Location.id == PurchaseOrder.location_id)
            .where(*_conditions(actor, flt))
        )
        or 0
    )


def fetch_orders(
    session: Session,
    actor: Actor,
    flt: OrderFilter,
    *,
    sort: str = "created_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = 200,
) -> list[OrderRow]:
    """One page of orders, sorted in SQL (ties broken by id so pages never overlap)."""
    line_count = (
        select(func.count(PurchaseOrderLine.id))
        .where(PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .scalar_subquery()
    )
    key = SORT_COLUMNS.get(sort, PurchaseOrder.created_at)
    order = [key.desc(), PurchaseOrder.id.desc()] if descending else [key.asc(), PurchaseOrder.id.asc()]
    rows = session.execute(
        select(
            PurchaseOrder.id,
            PurchaseOrder.po_number,
            PurchaseOrder.status,
            Vendor.code,
            Location.code,
            PurchaseOrder.origin,
            line_count,
            PurchaseOrder.created_at,
            PurchaseOrder.need_by,
            PurchaseOrder.hold_reason,
        )
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .join(Location, Location.id == PurchaseOrder.location_id)
        .where(*_conditions(actor, flt))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return [OrderRow(*r) for r in rows]


@dataclass(frozen=True)
class LineRow:
    """One order line with its four quantities."""

    line_no: int
    sku_id: int
    part_number: str
    description: str
    uom: str
    ordered: Decimal
    acknowledged: Decimal | None
    shipped: Decimal
    received: Decimal
    unit_price: Decimal
    status: str

    @property
    def open_quantity(self) -> Decimal:
        """Still expected: acknowledged (or ordered) minus received, never negative."""
        base = self.acknowledged if self.acknowledged is not None else self.ordered
        return max(Decimal(0), base - self.received)


@dataclass(frozen=True)
class HistoryRow:
    """One status change."""

    changed_at: datetime
    from_status: POStatus | None
    to_status: POStatus
    changed_by: str
    note: str


@dataclass(frozen=True)
class OrderDetail:
    """An order with its lines and status history, as the detail pane shows it."""

    id: int
    po_number: str
    status: POStatus
    origin: POOrigin
    vendor_id: int
    vendor: str
    location_id: int
    location: str
    created_at: datetime
    created_by: str
    need_by: date | None
    supplier_order_id: str | None
    hold_reason: str
    note: str
    lines: list[LineRow]
    history: list[HistoryRow]


def order_detail(session: Session, actor: Actor, po_id: int) -> OrderDetail | None:
    """The order, or None when it does not exist or is outside the actor's scope."""
    head = session.execute(
        select(PurchaseOrder, Vendor.code, Location.code)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .join(Location, Location.id == PurchaseOrder.location_id)
        .where(PurchaseOrder.id == po_id, vendor_filter(actor, PurchaseOrder.vendor_id))
    ).first()
    if head is None:
        return None
    po: PurchaseOrder = head[0]
    lines = session.execute(
        select(PurchaseOrderLine, Sku.part_number, Sku.description)
        .join(Sku, Sku.id == PurchaseOrderLine.sku_id)
        .where(PurchaseOrderLine.purchase_order_id == po_id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    history = session.scalars(
        select(POStatusChange).where(POStatusChange.purchase_order_id == po_id).order_by(POStatusChange.id)
    ).all()
    return OrderDetail(
        id=po.id,
        po_number=po.po_number,
        status=po.status,
        origin=po.origin,
        vendor_id=po.vendor_id,
        vendor=head[1],
        location_id=po.location_id,
        location=head[2],
        created_at=po.created_at,
        created_by=po.created_by,
        need_by=po.need_by,
        supplier_order_id=po.supplier_order_id,
        hold_reason=po.hold_reason,
        note=po.note,
        lines=[
            LineRow(
                line.line_no,
                line.sku_id,
                pn,
                desc,
                line.uom,
                line.quantity_ordered,
                line.quantity_acknowledged,
                line.quantity_shipped,
                line.quantity_received,
                line.unit_price,
                line.status.value,
            )
            for line, pn, desc in lines
        ],
        history=[HistoryRow(h.changed_at, h.from_status, h.to_status, h.changed_by, h.note) for h in history],
    )


@dataclass(frozen=True)
class Choice:
    """An id with a label, for pickers in the manual-order dialog."""

    id: int
    code: str
    name: str


def vendor_choices(session: Session, actor: Actor) -> list[Choice]:
    """Active vendors the actor may order from."""
    rows = session.execute(
        select(Vendor.id, Vendor.code, Vendor.name)
        .where(Vendor.active.is_(True), vendor_filter(actor, Vendor.id))
        .order_by(Vendor.code)
    ).all()
    return [Choice(*r) for r in rows]


def location_choices(session: Session, actor: Actor) -> list[Choice]:
    """Active locations the actor may see."""
    rows = session.execute(
        select(Location.id, Location.code, Location.name)
        .where(Location.active.is_(True), location_filter(actor, Location.id))
        .order_by(Location.code)
    ).all()
    return [Choice(*r) for r in rows]


@dataclass(frozen=True)
class AgreementSku:
    """A SKU the vendor supplies at a location, with the agreed price and pack size."""

    sku_id: int
    part_number: str
    description: str
    supplier_sku: str
    unit_price: Decimal
    pack_size: Decimal


def agreement_skus(
    session: Session, actor: Actor, vendor_id: int, location_id: int, limit: int = 5000
) -> list[AgreementSku]:
    """SKUs of the vendor's active agreements at the location (what an order can contain); a supplier
    gets its own vendor's only."""
    if not may_see_vendor(actor, vendor_id):
        return []
    rows = session.execute(
        select(
            Sku.id,
            Sku.part_number,
            Sku.description,
            SupplyAgreement.supplier_sku,
            SupplyAgreement.unit_price,
            SupplyAgreement.pack_size,
        )
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .where(
            SupplyAgreement.vendor_id == vendor_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.active.is_(True),
        )
        .order_by(Sku.part_number)
        .limit(limit)
    ).all()
    return [AgreementSku(*r) for r in rows]


@dataclass(frozen=True)
class OrderCandidate:
    """A SKU the vendor supplies at a location, with what deciding a quantity needs: stock and thresholds."""

    sku_id: int
    part_number: str
    description: str
    uom: str
    supplier_sku: str
    unit_price: Decimal
    pack_size: Decimal
    moq: Decimal
    min_qty: Decimal
    max_qty: Decimal
    on_hand: Decimal
    on_order: Decimal
    suggested: Decimal

    @property
    def position(self) -> Decimal:
        return self.on_hand + self.on_order


def order_candidates(
    session: Session, actor: Actor, vendor_id: int, location_id: int, *, limit: int = 5000
) -> list[OrderCandidate]:
    """The vendor's active agreements at the location (what a manual order can contain), each with on hand,
    on order, min/max and the quantity the reorder rule would order now: at or below min, max minus the
    position rounded up to packs and at least the MOQ; zero above min. Those at or below min come first."""
    from vmi_desktop.replenishment._sql import on_order_subquery, to_decimal
    from vmi_desktop.replenishment.reorder import order_quantity

    oo = on_order_subquery(None, [location_id])
    rows = session.execute(
        select(
            Sku.id,
            Sku.part_number,
            Sku.description,
            Sku.uom,
            SupplyAgreement.supplier_sku,
            SupplyAgreement.unit_price,
            SupplyAgreement.pack_size,
            SupplyAgreement.moq,
            SupplyAgreement.min_qty,
            SupplyAgreement.max_qty,
            func.coalesce(StockLevel.on_hand, 0),
            oo.c.on_order,
        )
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .outerjoin(StockLevel, (StockLevel.sku_id == SupplyAgreement.sku_id) & (StockLevel.location_id == location_id))
        .outerjoin(oo, (oo.c.sku_id == SupplyAgreement.sku_id) & (oo.c.location_id == location_id))
        .where(
            SupplyAgreement.vendor_id == vendor_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.active.is_(True),
            vendor_filter(actor, SupplyAgreement.vendor_id),
        )
        .order_by(Sku.part_number)
        .limit(limit)
    ).all()
    found: list[OrderCandidate] = []
    for sku_id, part, description, uom, supplier_sku, price, pack, moq, lo, hi, on_hand, on_order in rows:
        on_hand_d, on_order_d = to_decimal(on_hand), to_decimal(on_order)
        position = on_hand_d + on_order_d
        suggested = order_quantity(position, hi, pack, moq) if position <= lo else Decimal("0.000")
        found.append(
            OrderCandidate(
                sku_id,
                part,
                description,
                uom,
                supplier_sku,
                price,
                pack,
                moq,
                lo,
                hi,
                on_hand_d,
                on_order_d,
                suggested,
            )
        )
    # what needs ordering first (at or below min), then by part number
    return sorted(found, key=lambda c: (c.position > c.min_qty, c.part_number))
