"""One part, everything about it: stock per location, movements, open orders, agreements and the
history of its thresholds (from the audit trail). No Qt; each function applies the actor's scope.

Every statement is keyed by the SKU (and a location): a few index lookups, whatever the size of the
database, so the part page opens in the time of a table page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, null, or_, select
from sqlalchemy.orm import Session

from vmi_desktop import order_status
from vmi_desktop.models import (
    AuditEntry,
    Criticality,
    Location,
    MovementKind,
    PairSnooze,
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    ThresholdProposal,
    Vendor,
)
from vmi_desktop.queries.base import like_pattern
from vmi_desktop.replenishment._sql import open_line_quantity
from vmi_desktop.scope import Action, Actor, can, pair_filter, sku_filter, vendor_filter, visible


@dataclass(frozen=True)
class PartHeader:
    """What a part is."""

    id: int
    part_number: str
    description: str
    uom: str
    criticality: Criticality
    unit_cost: Decimal
    active: bool


@dataclass(frozen=True)
class LocationStock:
    """The part at one location: stock, position and the primary agreement's terms."""

    location_id: int
    location: str
    on_hand: Decimal
    on_order: Decimal
    min_qty: Decimal | None
    max_qty: Decimal | None
    vendor_id: int | None
    vendor: str | None
    mode: ReplenishmentMode | None
    snoozed_until: date | None

    @property
    def position(self) -> Decimal:
        return self.on_hand + self.on_order


@dataclass(frozen=True)
class MovementRow:
    """One ledger row of the part."""

    id: int
    occurred_at: datetime
    location: str
    kind: MovementKind
    quantity: Decimal
    on_hand_after: Decimal
    reference: str
    recorded_by: str


@dataclass(frozen=True)
class OpenOrderRow:
    """An open order line of the part."""

    po_id: int
    po_number: str
    status: POStatus
    vendor: str
    location_id: int
    location: str
    ordered: Decimal
    received: Decimal
    open_quantity: Decimal
    need_by: date | None


@dataclass(frozen=True)
class AgreementRow:
    """A supply agreement of the part (primary and backups)."""

    id: int
    vendor_id: int
    vendor: str
    location_id: int
    location: str
    is_primary: bool
    active: bool
    min_qty: Decimal
    max_qty: Decimal
    mode: ReplenishmentMode
    lead_time_days: int
    pack_size: Decimal
    moq: Decimal
    unit_price: Decimal
    currency: str
    supplier_sku: str


@dataclass(frozen=True)
class HistoryRow:
    """One change of the part's thresholds (or a snooze), as the audit trail recorded it."""

    occurred_at: datetime
    actor: str
    location: str
    vendor: str
    what: str


def find_part(session: Session, actor: Actor, text: str) -> int | None:
    """The SKU a person typed: that exact part number, else the first starting with it, else None."""
    wanted = text.strip()
    if not wanted:
        return None
    exact = session.scalar(select(Sku.id).where(Sku.part_number == wanted, sku_filter(actor, Sku.id)))
    if exact is not None:
        return int(exact)
    first = session.scalar(
        select(Sku.id)
        .where(Sku.part_number.like(like_pattern(wanted)[1:], escape="\\"), sku_filter(actor, Sku.id))
        .order_by(Sku.part_number)
        .limit(1)
    )
    return int(first) if first is not None else None


def pair_of_agreement(session: Session, actor: Actor, agreement_id: int) -> tuple[int, int] | None:
    """(sku_id, location_id) of an agreement the actor may see (a row of the agreements table opens its
    part there); None otherwise."""
    row = session.execute(
        select(SupplyAgreement.sku_id, SupplyAgreement.location_id).where(
            SupplyAgreement.id == agreement_id, visible(actor, SupplyAgreement)
        )
    ).first()
    return (int(row[0]), int(row[1])) if row is not None else None


def header(session: Session, actor: Actor, sku_id: int) -> PartHeader | None:
    """The part, or None when it does not exist or is outside the actor's scope."""
    row = session.execute(
        select(Sku.id, Sku.part_number, Sku.description, Sku.uom, Sku.criticality, Sku.unit_cost, Sku.active).where(
            Sku.id == sku_id, sku_filter(actor, Sku.id)
        )
    ).first()
    return PartHeader(*row) if row is not None else None


def stock_by_location(session: Session, actor: Actor, sku_id: int, today: date) -> list[LocationStock]:
    """Every location where the part has stock or an agreement, in location code order."""
    primary = (
        select(SupplyAgreement)
        .where(
            SupplyAgreement.sku_id == sku_id,
            SupplyAgreement.is_primary.is_(True),
            SupplyAgreement.active.is_(True),
            vendor_filter(actor, SupplyAgreement.vendor_id),
        )
        .subquery("primary_agreement")
    )
    places = (
        select(StockLevel.location_id.label("location_id"))
        .where(StockLevel.sku_id == sku_id)
        .union(select(SupplyAgreement.location_id).where(SupplyAgreement.sku_id == sku_id))
        .subquery("places")
    )
    on_order = (
        select(PurchaseOrder.location_id, func.sum(open_line_quantity()).label("on_order"))
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            PurchaseOrderLine.sku_id == sku_id,
            PurchaseOrderLine.status == POLineStatus.OPEN,
            PurchaseOrder.status.in_(sorted(order_status.OPEN)),
        )
        .group_by(PurchaseOrder.location_id)
        .subquery("on_order")
    )
    snoozed_until: Any = null() if actor.is_supplier else PairSnooze.until
    stmt = (
        select(
            Location.id,
            Location.code,
            func.coalesce(StockLevel.on_hand, 0),
            func.coalesce(on_order.c.on_order, 0),
            primary.c.min_qty,
            primary.c.max_qty,
            primary.c.vendor_id,
            Vendor.code,
            primary.c.mode,
            snoozed_until,
        )
        .select_from(places)
        .join(Location, Location.id == places.c.location_id)
        .outerjoin(StockLevel, and_(StockLevel.sku_id == sku_id, StockLevel.location_id == Location.id))
        .outerjoin(primary, primary.c.location_id == Location.id)
        .outerjoin(Vendor, Vendor.id == primary.c.vendor_id)
        .outerjoin(on_order, on_order.c.location_id == Location.id)
        .where(pair_filter(actor, sku_id, Location.id))
        .order_by(Location.code)
    )
    if not actor.is_supplier:  # a snooze is the customer's own planning (and staff-only in the database)
        stmt = stmt.outerjoin(
            PairSnooze,
            and_(PairSnooze.sku_id == sku_id, PairSnooze.location_id == Location.id, PairSnooze.until > today),
        )
    rows = session.execute(stmt).all()
    return [
        LocationStock(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], ReplenishmentMode(r[8]) if r[8] is not None else None, r[9]
        )
        for r in rows
    ]


def movements(
    session: Session, actor: Actor, sku_id: int, location_id: int | None = None, *, limit: int = 500
) -> list[MovementRow]:
    """The part's newest ledger rows (at one location, or everywhere), newest first."""
    conds = [StockMovement.sku_id == sku_id, pair_filter(actor, StockMovement.sku_id, StockMovement.location_id)]
    if location_id is not None:
        conds.append(StockMovement.location_id == location_id)
    rows = session.execute(
        select(
            StockMovement.id,
            StockMovement.occurred_at,
            Location.code,
            StockMovement.kind,
            StockMovement.quantity,
            StockMovement.on_hand_after,
            StockMovement.reference,
            StockMovement.recorded_by,
        )
        .join(Location, Location.id == StockMovement.location_id)
        .where(*conds)
        .order_by(StockMovement.occurred_at.desc(), StockMovement.id.desc())
        .limit(limit)
    ).all()
    return [MovementRow(*r) for r in rows]


def open_orders(session: Session, actor: Actor, sku_id: int) -> list[OpenOrderRow]:
    """Open lines of the part on open orders (drafts and proposals included), oldest need-by first."""
    rows = session.execute(
        select(
            PurchaseOrder.id,
            PurchaseOrder.po_number,
            PurchaseOrder.status,
            Vendor.code,
            Location.id,
            Location.code,
            PurchaseOrderLine.quantity_ordered,
            PurchaseOrderLine.quantity_received,
            open_line_quantity(),
            func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by),
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .join(Location, Location.id == PurchaseOrder.location_id)
        .where(
            PurchaseOrderLine.sku_id == sku_id,
            PurchaseOrderLine.status == POLineStatus.OPEN,
            PurchaseOrder.status.in_(sorted(order_status.OPEN)),
            vendor_filter(actor, PurchaseOrder.vendor_id),
        )
        .order_by(func.coalesce(PurchaseOrderLine.need_by, PurchaseOrder.need_by), PurchaseOrder.id)
    ).all()
    return [OpenOrderRow(r[0], r[1], POStatus(r[2]), *r[3:]) for r in rows]


def agreements(session: Session, actor: Actor, sku_id: int) -> list[AgreementRow]:
    """The part's agreements, primary first within each location (a supplier sees its own only)."""
    a = SupplyAgreement
    rows = session.execute(
        select(
            a.id,
            a.vendor_id,
            Vendor.code,
            a.location_id,
            Location.code,
            a.is_primary,
            a.active,
            a.min_qty,
            a.max_qty,
            a.mode,
            a.lead_time_days,
            a.pack_size,
            a.moq,
            a.unit_price,
            a.currency,
            a.supplier_sku,
        )
        .join(Vendor, Vendor.id == a.vendor_id)
        .join(Location, Location.id == a.location_id)
        .where(a.sku_id == sku_id, vendor_filter(actor, a.vendor_id))
        .order_by(Location.code, a.is_primary.desc(), a.active.desc(), Vendor.code)
    ).all()
    found = []
    for r in rows:
        values: list[Any] = list(r)
        values[9] = ReplenishmentMode(values[9])
        found.append(AgreementRow(*values))
    return found


_THRESHOLD_FIELDS = ("min_qty", "max_qty", "mode", "is_primary", "lead_time_days", "pack_size", "moq")
_LABELS = {
    "min_qty": "min",
    "max_qty": "max",
    "mode": "mode",
    "is_primary": "primary",
    "lead_time_days": "lead time",
    "pack_size": "pack",
    "moq": "MOQ",
}


def _describe(action: str, detail: dict[str, Any]) -> str:
    if action == "agreement.create":
        return f"agreement created: min {detail.get('min_qty')}, max {detail.get('max_qty')}"
    if action == "agreement.update":
        parts = [
            f"{_LABELS[k]} {detail[k][0]} → {detail[k][1]}"
            for k in _THRESHOLD_FIELDS
            if isinstance(detail.get(k), list) and len(detail[k]) == 2
        ]
        return ", ".join(parts)
    if action in ("agreement.activate", "agreement.deactivate"):
        return "agreement " + action.split(".")[1] + "d"
    if action == "agreement.bulk_thresholds":
        op = detail.get("op")
        if op == "set":
            return f"bulk edit: min {detail.get('min')}, max {detail.get('max')}"
        if op == "scale":
            return f"bulk edit: thresholds scaled by {detail.get('percent')} %"
        return f"bulk edit: thresholds copied from {detail.get('from_location')}"
    if action == "thresholds.propose":
        return f"supplier proposed min {detail.get('min')}, max {detail.get('max')}"
    if action == "pair.snooze":
        return f"snoozed until {detail.get('until')}: {detail.get('reason')}"
    if action == "pair.wake":
        return "snooze ended"
    return action


def threshold_history(session: Session, actor: Actor, sku_id: int, *, limit: int = 300) -> list[HistoryRow]:
    """Every recorded change of the part's thresholds, agreements and snoozes, newest first.

    Only for roles that may read the audit trail (a bulk edit's entry lists other agreements too).
    """
    if not can(actor, Action.VIEW_AUDIT):
        return []
    agreement_rows = session.execute(
        select(SupplyAgreement.id, Location.code, Vendor.code, SupplyAgreement.location_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
        .where(SupplyAgreement.sku_id == sku_id)
    ).all()
    by_id = {str(r[0]): (r[1], r[2]) for r in agreement_rows}
    proposals = {
        str(p_id): by_id.get(str(a_id), ("", ""))
        for p_id, a_id in session.execute(
            select(ThresholdProposal.id, ThresholdProposal.agreement_id).where(
                ThresholdProposal.agreement_id.in_([r[0] for r in agreement_rows])
            )
        )
    }
    locations = dict(session.execute(select(Location.id, Location.code)).all())
    pairs = {f"{sku_id}:{loc}": locations.get(loc, "") for loc in locations}
    keyed = or_(
        and_(AuditEntry.entity == "agreement", AuditEntry.entity_id.in_(sorted(by_id) or ["-"])),
        and_(AuditEntry.entity == "threshold_proposal", AuditEntry.entity_id.in_(sorted(proposals) or ["-"])),
        and_(AuditEntry.entity == "pair", AuditEntry.entity_id.in_(sorted(pairs))),
    )
    entries = session.execute(
        select(
            AuditEntry.occurred_at,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.detail,
        )
        .where(keyed)
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    bulk = session.execute(
        select(
            AuditEntry.occurred_at,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.entity,
            AuditEntry.entity_id,
            AuditEntry.detail,
        )
        .where(
            AuditEntry.entity == "agreement",
            AuditEntry.entity_id == "",
            AuditEntry.action == "agreement.bulk_thresholds",
        )
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .limit(2000)
    ).all()
    found: list[HistoryRow] = []
    for when, who, action, entity, entity_id, raw in entries:
        detail = _json(raw)
        if entity == "pair":
            location, vendor = pairs.get(entity_id, ""), ""
        elif entity == "threshold_proposal":
            location, vendor = proposals.get(entity_id, ("", ""))
        else:
            location, vendor = by_id.get(entity_id, ("", ""))
            if action == "agreement.update" and not any(k in detail for k in _THRESHOLD_FIELDS):
                continue  # a price or supplier part number: not a threshold
        found.append(HistoryRow(when, who, location, vendor, _describe(action, detail)))
    mine = {int(i) for i in by_id}
    for when, who, action, _entity, _entity_id, raw in bulk:
        detail = _json(raw)
        touched = [by_id[str(i)] for i in detail.get("ids", []) if isinstance(i, int) and i in mine]
        for location, vendor in touched:
            found.append(HistoryRow(when, who, location, vendor, _describe(action, detail)))
    found.sort(key=lambda h: h.occurred_at, reverse=True)
    return found[:limit]


def _json(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


__all__ = [
    "AgreementRow",
    "HistoryRow",
    "LocationStock",
    "MovementRow",
    "OpenOrderRow",
    "PartHeader",
    "agreements",
    "find_part",
    "header",
    "movements",
    "open_orders",
    "pair_of_agreement",
    "stock_by_location",
    "threshold_history",
]
