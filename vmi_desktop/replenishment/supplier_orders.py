"""Supplier-raised orders (the VMI case): checked against scope and thresholds, never approved by hand
unless they exceed max.

- out of scope (unknown location or SKU, or no active agreement of that vendor for the pair):
  rejected, a ``scope_violation`` alert and an audit entry; nothing else is written;
- the position after the order (its quantity rounded up to the pack size) above max: the order
  is stored awaiting approval with a hold reason and an ``order_held`` alert;
- otherwise: stored acknowledged (the supplier raised it; nobody has to approve it).

Either way (held or accepted) any ``below_min`` alert the order answers is resolved and linked
to it, which is what the response latency metric of supplier-managed agreements measures.

Idempotent per (vendor, supplier_order_id): a repeated order returns the first outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import PermissionDenied, ValidationError
from vmi_desktop.models import (
    AlertKind,
    AlertSeverity,
    POOrigin,
    POStatus,
    PurchaseOrder,
    Vendor,
)
from vmi_desktop.quantities import fmt, parse_quantity, round_up_to_pack
from vmi_desktop.replenishment import alerts
from vmi_desktop.replenishment._sql import lock_reorder
from vmi_desktop.replenishment.orders import NewLine, create_order
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import Action, Actor, require
from vmi_desktop.units import is_whole

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupplierLine:
    """One line of a supplier's order as it arrives (customer part number, the vendor's quantity)."""

    line: int
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    expected_delivery: date | None = None
    supplier_sku: str | None = None


@dataclass(frozen=True)
class SupplierOrderOutcome:
    """``status`` is accepted, held or rejected; ``order`` is None when rejected."""

    status: str
    reason: str
    order: PurchaseOrder | None


def _outcome_of(po: PurchaseOrder) -> SupplierOrderOutcome:
    if po.status == POStatus.AWAITING_APPROVAL:
        return SupplierOrderOutcome("held", po.hold_reason, po)
    if po.status in (POStatus.REJECTED, POStatus.CANCELLED):
        return SupplierOrderOutcome("rejected", f"order {po.po_number} is {po.status.value}", po)
    return SupplierOrderOutcome("accepted", "", po)


def _reject(
    session: Session,
    actor: Actor,
    vendor: Vendor,
    supplier_order_id: str,
    reason: str,
    sku_id: int | None = None,
    location_id: int | None = None,
) -> SupplierOrderOutcome:
    alerts.raise_alert(
        session,
        kind=AlertKind.SCOPE_VIOLATION,
        cause_key=f"scope:{vendor.id}:{supplier_order_id}",
        message=f"{vendor.code} order {supplier_order_id} rejected: {reason}",
        severity=AlertSeverity.CRITICAL,
        vendor_id=vendor.id,
        sku_id=sku_id,
        location_id=location_id,
    )
    audit.record(
        session, actor, "supplier_order.reject", "supplier_order", supplier_order_id, vendor=vendor.code, reason=reason
    )
    log.warning("supplier order %s of %s rejected: %s", supplier_order_id, vendor.code, reason)
    return SupplierOrderOutcome("rejected", reason, None)


def accept_supplier_order(
    session: Session, vendor_actor: Actor, *, supplier_order_id: str, location_code: str, lines: list[SupplierLine]
) -> SupplierOrderOutcome:
    """Check and store an order a supplier raised itself; see the module docstring for the outcomes."""
    require(vendor_actor, Action.SUPPLIER_ORDER)
    if not vendor_actor.is_supplier or vendor_actor.vendor_id is None:
        raise PermissionDenied("only a supplier raises supplier orders")
    ws = WorkingSet.of(session)  # what a page of events already read (else the database)
    vendor = ws.vendor(session, vendor_actor.vendor_id)
    if vendor is None:
        raise PermissionDenied(f"{vendor_actor.name} is not bound to a known vendor")
    supplier_order_id = supplier_order_id.strip()
    if not supplier_order_id:
        raise ValidationError("a supplier order needs its supplier_order_id")
    previous = ws.order_by_supplier_id(session, vendor.id, supplier_order_id)
    if previous is not None:
        return _outcome_of(previous)
    if not lines:
        raise ValidationError(f"supplier order {supplier_order_id} has no lines")

    location = ws.location(session, location_code)
    if location is None:
        return _reject(session, vendor_actor, vendor, supplier_order_id, f"unknown location {location_code!r}")
    part_numbers = sorted({ln.sku for ln in lines})
    skus = ws.skus_by_part(session, part_numbers)
    agreements = ws.active_agreements(session, vendor.id, location.id, [s.id for s in skus.values()])
    outside = [pn for pn in part_numbers if pn not in skus or skus[pn].id not in agreements]
    if outside:
        first = skus.get(outside[0])
        return _reject(
            session,
            vendor_actor,
            vendor,
            supplier_order_id,
            f"{', '.join(outside)} at {location.code} not covered by an agreement of {vendor.code}",
            sku_id=first.id if first else None,
            location_id=location.id,
        )
    seen: set[int] = set()
    quantities: dict[int, Decimal] = {}
    part_of: dict[int, str] = {}  # the part number by SKU id (the agreement's ``sku`` is not loaded for it)
    for ln in lines:
        if ln.line in seen:
            raise ValidationError(f"supplier order {supplier_order_id} repeats line {ln.line}")
        seen.add(ln.line)
        sku = skus[ln.sku]
        q = parse_quantity(
            ln.quantity, what=f"quantity of line {ln.line} ({ln.sku})", whole=is_whole(session, sku.uom), uom=sku.uom
        )
        sku_id = sku.id
        part_of[sku_id] = sku.part_number
        quantities[sku_id] = quantities.get(sku_id, Decimal(0)) + q

    pairs = [(sku_id, location.id) for sku_id in quantities]
    if not ws.reorder_locked_all and not set(pairs) <= ws.reorder_locked:
        lock_reorder(session, pairs)  # no reorder run or other supplier order moves these positions meanwhile
        ws.reorder_locked.update(pairs)
        ws.reorder_locked_all = session.get_bind().dialect.name == "sqlite"  # SQLite: now the single writer
    positions = ws.position_parts(session, pairs)
    over: list[str] = []
    for sku_id, q in quantities.items():
        agreement = agreements[sku_id]
        on_hand, on_order = positions[(sku_id, location.id)]
        after = on_hand + on_order + round_up_to_pack(q, agreement.pack_size)
        if after > agreement.max_qty:
            over.append(f"{part_of[sku_id]}: position after order {fmt(after)} above max {fmt(agreement.max_qty)}")
    new_lines = [
        NewLine(
            sku_id=skus[ln.sku].id,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            expected_delivery=ln.expected_delivery,
            supplier_sku=ln.supplier_sku,
        )
        for ln in sorted(lines, key=lambda x: x.line)
    ]
    held = bool(over)
    po = create_order(
        session,
        vendor_actor,
        vendor_id=vendor.id,
        location_id=location.id,
        lines=new_lines,
        origin=POOrigin.SUPPLIER,
        status=POStatus.AWAITING_APPROVAL if held else POStatus.ACKNOWLEDGED,
        supplier_order_id=supplier_order_id,
        note=f"raised by {vendor.code} as {supplier_order_id}",
    )
    ws.track_lines(po)
    deliveries = [ln.expected_delivery for ln in po.lines if ln.expected_delivery]
    if deliveries:
        po.expected_delivery = max(deliveries)
    for sku_id in quantities:
        # Links the below-min alert to the order that answered it (held or not, the supplier did answer):
        # the response latency of supplier-managed agreements is measured from these links.
        alerts.resolve_cause(
            session, alerts.pair_key("below_min", sku_id, location.id), by=vendor_actor.name, purchase_order_id=po.id
        )
    if held:
        reason = "; ".join(over)
        po.hold_reason = reason[:500]
        alerts.raise_alert(
            session,
            kind=AlertKind.ORDER_HELD,
            cause_key=f"held:{po.id}",
            message=f"{vendor.code} order {supplier_order_id} ({po.po_number}) held: {reason}",
            vendor_id=vendor.id,
            location_id=location.id,
            purchase_order_id=po.id,
        )
        audit.record(session, vendor_actor, "supplier_order.hold", "purchase_order", po.po_number, reason=reason)
        return SupplierOrderOutcome("held", reason, po)
    audit.record(
        session,
        vendor_actor,
        "supplier_order.accept",
        "purchase_order",
        po.po_number,
        supplier_order_id=supplier_order_id,
    )
    return SupplierOrderOutcome("accepted", "", po)


__all__ = ["SupplierLine", "SupplierOrderOutcome", "accept_supplier_order"]
