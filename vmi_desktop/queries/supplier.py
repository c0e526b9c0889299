"""The supplier workspace's own reads: a supplier's pairs with its agreement's terms and stock (no Qt).

Always the actor's own agreements (``scope.agreement_of``): for a pair it shares, its own min/max,
mode, pack size and price, and its own open orders as on order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from vmi_desktop import order_status
from vmi_desktop.models import (
    Location,
    POLineStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
)
from vmi_desktop.replenishment._sql import open_line_quantity, to_decimal
from vmi_desktop.scope import Actor, agreement_of


@dataclass(frozen=True)
class PairTerms:
    """One of the supplier's agreements: the pair, its terms, on hand and its own open orders."""

    agreement_id: int
    sku_id: int
    location_id: int
    part_number: str
    description: str
    uom: str
    location: str
    supplier_sku: str
    on_hand: Decimal
    on_order: Decimal
    min_qty: Decimal
    max_qty: Decimal
    mode: ReplenishmentMode
    lead_time_days: int
    pack_size: Decimal
    unit_price: Decimal
    currency: str

    @property
    def position(self) -> Decimal:
        """On hand plus what this supplier has on order for the pair."""
        return self.on_hand + self.on_order

    @property
    def below_min(self) -> bool:
        return self.position <= self.min_qty


SORTS: dict[str, Any] = {"part_number": Sku.part_number, "location": Location.code}


def supplier_pairs(
    session: Session,
    actor: Actor,
    *,
    sort: str = "part_number",
    descending: bool = False,
    offset: int = 0,
    limit: int = 500,
) -> list[PairTerms]:
    """A page of the actor's own active agreements with on hand and its own open orders (suppliers only)."""
    if not actor.is_supplier:
        return []
    a = aliased(SupplyAgreement)
    on_order = (
        select(
            PurchaseOrderLine.sku_id.label("sku_id"),
            PurchaseOrder.location_id.label("location_id"),
            func.sum(open_line_quantity()).label("qty"),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrder.vendor_id == actor.vendor_id,
            PurchaseOrder.status.in_(sorted(order_status.OPEN)),
            PurchaseOrderLine.status == POLineStatus.OPEN,
        )
        .group_by(PurchaseOrderLine.sku_id, PurchaseOrder.location_id)
        .subquery("own_on_order")
    )
    key = SORTS.get(sort, Sku.part_number)
    order = [key.desc() if descending else key.asc(), a.id.desc() if descending else a.id.asc()]
    rows = session.execute(
        select(
            a.id,
            a.sku_id,
            a.location_id,
            Sku.part_number,
            Sku.description,
            Sku.uom,
            Location.code,
            a.supplier_sku,
            func.coalesce(StockLevel.on_hand, 0),
            func.coalesce(on_order.c.qty, 0),
            a.min_qty,
            a.max_qty,
            a.mode,
            a.lead_time_days,
            a.pack_size,
            a.unit_price,
            a.currency,
        )
        .join(Sku, Sku.id == a.sku_id)
        .join(Location, Location.id == a.location_id)
        .outerjoin(StockLevel, and_(StockLevel.sku_id == a.sku_id, StockLevel.location_id == a.location_id))
        .outerjoin(on_order, and_(on_order.c.sku_id == a.sku_id, on_order.c.location_id == a.location_id))
        .where(agreement_of(actor, a))
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        PairTerms(
            agreement_id=r[0],
            sku_id=r[1],
            location_id=r[2],
            part_number=r[3],
            description=r[4],
            uom=r[5],
            location=r[6],
            supplier_sku=r[7],
            on_hand=to_decimal(r[8]),
            on_order=to_decimal(r[9]),
            min_qty=r[10],
            max_qty=r[11],
            mode=r[12],
            lead_time_days=r[13],
            pack_size=r[14],
            unit_price=r[15],
            currency=r[16],
        )
        for r in rows
    ]
