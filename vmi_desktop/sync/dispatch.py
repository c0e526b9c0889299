"""Inbound event kinds of VMI Connect v1, mapped onto the domain services.

Each handler validates the event's ``data`` (scope, quantities, known order)
and calls the same application commands as a supplier signed into the app
(``vmi_desktop.commands.orders``), as the vendor's supplier actor, in the
inbox page's unit of work. A handler
raises ``EventRejected`` (or one of our ``VmiError``s) for an event that must
not be applied; ``inbox`` then keeps it as rejected with the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import PermissionDenied, ValidationError, VmiError
from vmi_desktop.models import (
    AlertKind,
    AlertSeverity,
    AuditEntry,
    Location,
    ProposalStatus,
    PurchaseOrder,
    Sku,
    SupplyAgreement,
    ThresholdProposal,
    utcnow,
)
from vmi_desktop.quantities import parse_money, parse_quantity
from vmi_desktop.scope import Actor
from vmi_desktop.units import is_whole

log = logging.getLogger(__name__)


class EventRejected(VmiError):
    """An event that is not applied; ``scope`` marks a reach outside the vendor's agreements."""

    def __init__(self, reason: str, *, scope: bool = False, alerted: bool = False) -> None:
        super().__init__(reason)
        self.scope = scope
        self.alerted = alerted


def raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    cause_key: str,
    message: str,
    vendor_id: int | None,
    severity: AlertSeverity = AlertSeverity.WARNING,
) -> None:
    """Raise through the replenishment alerts engine (one open alert per cause)."""
    from vmi_desktop.replenishment import alerts

    alerts.raise_alert(session, kind=kind, cause_key=cause_key, message=message, severity=severity, vendor_id=vendor_id)


def resolve_alert(session: Session, cause_key: str, by: str) -> None:
    from vmi_desktop.replenishment import alerts

    alerts.resolve_cause(session, cause_key, by)


# -- field helpers ------------------------------------------------------------------------------


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise EventRejected(f"malformed body: {what} is not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise EventRejected(f"malformed body: {what} is not a list")
    return value


def _text(data: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise EventRejected(f"malformed body: {key} is missing")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise EventRejected(f"malformed body: {key} must be a string")
    return str(value)


def _qty(value: Any, what: str, *, allow_zero: bool = False, whole: bool = False, uom: str = "") -> Decimal:
    if isinstance(value, str):  # the contract says JSON numbers
        raise EventRejected(f"{what} must be a JSON number, got {value!r}")
    try:
        return parse_quantity(value, what=what, allow_zero=allow_zero, whole=whole, uom=uom)
    except ValidationError as exc:
        raise EventRejected(str(exc)) from None


def _line_no(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise EventRejected(f"malformed body: line number {value!r} is not a positive integer")
    return value


def _date(value: Any, what: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise EventRejected(f"malformed body: {what} must be a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise EventRejected(f"malformed body: {what} {value!r} is not a YYYY-MM-DD date") from None


def _price(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise EventRejected(f"malformed body: unit_price {value!r} is not a number")
    try:
        return parse_money(value, what="unit_price")
    except ValidationError as exc:
        raise EventRejected(str(exc)) from None


def _find_order(session: Session, actor: Actor, data: dict[str, Any]) -> PurchaseOrder:
    po_number = data.get("po_number")
    supplier_order_id = data.get("supplier_order_id")
    stmt = select(PurchaseOrder).where(PurchaseOrder.vendor_id == actor.vendor_id)
    po = None
    if isinstance(po_number, str) and po_number:
        po = session.scalar(stmt.where(PurchaseOrder.po_number == po_number))
    elif isinstance(supplier_order_id, str | int) and str(supplier_order_id):
        po = session.scalar(stmt.where(PurchaseOrder.supplier_order_id == str(supplier_order_id)))
    else:
        raise EventRejected("malformed body: neither po_number nor supplier_order_id is given")
    if po is None:
        raise EventRejected(f"unknown order {po_number or supplier_order_id!r} for this vendor")
    return po


# -- handlers ------------------------------------------------------------------------------------


def order_created(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> str | EventRejected:
    from vmi_desktop.commands import orders as order_commands
    from vmi_desktop.replenishment.supplier_orders import SupplierLine

    supplier_order_id = _text(data, "supplier_order_id")
    location_code = _text(data, "location_code")
    lines = []
    for raw in _list(data.get("lines"), "lines"):
        line = _dict(raw, "a line")
        no = _line_no(line.get("line"))
        lines.append(
            SupplierLine(
                line=no,
                sku=_text(line, "sku"),
                quantity=_qty(line.get("quantity"), f"quantity of line {no}"),
                unit_price=_price(line.get("unit_price")),
                expected_delivery=_date(line.get("expected_delivery"), f"expected_delivery of line {no}"),
                supplier_sku=line.get("supplier_sku") if isinstance(line.get("supplier_sku"), str) else None,
            )
        )
    if not lines:
        raise EventRejected(f"supplier order {supplier_order_id} has no lines")
    outcome = order_commands.raise_supplier_order(
        uow, actor, supplier_order_id=supplier_order_id, location_code=location_code, lines=lines
    )
    if outcome.status == "rejected":
        # Returned, not raised: the alert and audit entry the engine wrote for it are kept.
        return EventRejected(outcome.reason or "rejected by the replenishment checks", scope=True, alerted=True)
    po = outcome.order
    return f"{outcome.status}: {po.po_number if po is not None else ''} {outcome.reason}".strip()


def order_acknowledged(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> str:
    from vmi_desktop.commands import orders as order_commands

    po = _find_order(uow.session, actor, data)
    status = data.get("status")
    if status not in ("accepted", "rejected", "changed"):
        raise EventRejected(f"malformed body: status {status!r} is not accepted, rejected or changed")
    lines: dict[int, tuple[Decimal, date | None]] = {}
    for raw in _list(data.get("lines", []), "lines"):
        line = _dict(raw, "a line")
        no = _line_no(line.get("line"))
        lines[no] = (
            _qty(line.get("quantity"), f"acknowledged quantity of line {no}", allow_zero=True),
            _date(line.get("expected_delivery"), f"expected_delivery of line {no}"),
        )
    reason = data.get("reason") if isinstance(data.get("reason"), str) else ""
    order_commands.acknowledge(uow, actor, po.id, status=status, lines=lines or None, reason=reason or "")
    return f"{po.po_number} {status}"


def shipment_dispatched(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> str:
    from vmi_desktop.commands import orders as order_commands

    session = uow.session
    shipment_id = _text(data, "shipment_id")
    po = _find_order(session, actor, data)
    by_no = {ln.line_no: ln for ln in po.lines}
    lines: dict[int, Decimal] = {}
    for raw in _list(data.get("lines"), "lines"):
        line = _dict(raw, "a line")
        no = _line_no(line.get("line"))
        sku = line.get("sku")
        if no in by_no and sku is not None:
            part = session.scalar(select(Sku.part_number).where(Sku.id == by_no[no].sku_id))
            if sku != part:
                raise EventRejected(
                    f"shipment {shipment_id}: line {no} of {po.po_number} is {part}, not {sku!r}", scope=True
                )
        lines[no] = lines.get(no, Decimal(0)) + _qty(line.get("quantity"), f"shipped quantity of line {no}")
    if not lines:
        raise EventRejected(f"shipment {shipment_id} has no lines")
    order_commands.ship(
        uow,
        actor,
        po.id,
        shipment_id=shipment_id,
        lines=lines,
        carrier=str(data.get("carrier") or "")[:100],
        tracking=str(data.get("tracking") or "")[:100],
        eta=_date(data.get("eta"), "eta"),
    )
    return f"{po.po_number} shipment {shipment_id}"


def order_cancelled(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> str:
    from vmi_desktop.commands import orders as order_commands

    po = _find_order(uow.session, actor, data)
    reason = data.get("reason") if isinstance(data.get("reason"), str) and data.get("reason") else ""
    order_commands.cancel(uow, actor, po.id, reason or "cancelled by the supplier")
    return f"{po.po_number} cancelled"


class ProposalTarget(NamedTuple):
    """The agreement a threshold proposal is for, and its SKU's unit (whole units take no fractions)."""

    agreement_id: int
    uom: str
    whole: bool


def threshold_agreements(session: Session, vendor_id: int, events: list[Any]) -> dict[tuple[str, str], ProposalTarget]:
    """Agreement ids of the vendor for the (SKU, location) pairs named by a page's threshold proposals."""
    wanted = {
        (e["data"].get("sku"), e["data"].get("location_code"))
        for e in events
        if isinstance(e, dict) and e.get("type") == "thresholds.proposed" and isinstance(e.get("data"), dict)
    }
    parts = {sku for sku, _ in wanted if isinstance(sku, str)}
    codes = {loc for _, loc in wanted if isinstance(loc, str)}
    if not parts or not codes:
        return {}
    rows = session.execute(
        select(Sku.part_number, Location.code, SupplyAgreement.id, Sku.uom)
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .where(
            SupplyAgreement.vendor_id == vendor_id,
            SupplyAgreement.active.is_(True),
            Sku.part_number.in_(parts),
            Location.code.in_(codes),
        )
    )
    return {
        (sku, loc): ProposalTarget(agreement_id, uom, is_whole(session, uom)) for sku, loc, agreement_id, uom in rows
    }


def prepare_threshold_proposal(
    actor: Actor, data: Any, agreements: dict[tuple[str, str], ProposalTarget]
) -> dict[str, Any]:
    """Validate a ``thresholds.proposed`` event into a row (written in bulk by the inbox; nothing written here)."""
    body = _dict(data, "data")
    location_code = _text(body, "location_code")
    part_number = _text(body, "sku")
    target = agreements.get((part_number, location_code))
    if target is None:
        raise EventRejected(
            f"{part_number} at {location_code} is not covered by an agreement of this vendor", scope=True
        )
    mn = _qty(body.get("min"), "proposed min", allow_zero=True, whole=target.whole, uom=target.uom)
    mx = _qty(body.get("max"), "proposed max", allow_zero=True, whole=target.whole, uom=target.uom)
    if mn > mx:
        raise EventRejected(f"proposed min ({mn}) is above max ({mx}) for {part_number} at {location_code}")
    reason = body.get("reason") if isinstance(body.get("reason"), str) else ""
    return {
        "agreement_id": target.agreement_id,
        "proposed_min": mn,
        "proposed_max": mx,
        "reason": (reason or "")[:500],
        "sku": part_number,
        "location": location_code,
    }


def write_threshold_proposals(session: Session, actor: Actor, rows: list[dict[str, Any]]) -> None:
    """Insert prepared proposals and their audit entries with two executemany statements."""
    if not rows:
        return
    now = utcnow()
    ids = session.scalars(
        insert(ThresholdProposal).returning(ThresholdProposal.id, sort_by_parameter_order=True),
        [
            {
                "agreement_id": r["agreement_id"],
                "proposed_min": r["proposed_min"],
                "proposed_max": r["proposed_max"],
                "reason": r["reason"],
                "status": ProposalStatus.PENDING,
                "created_at": now,
            }
            for r in rows
        ],
    ).all()
    session.execute(
        insert(AuditEntry),
        [
            {
                "occurred_at": now,
                "actor": actor.name,
                "action": "thresholds.propose",
                "entity": "threshold_proposal",
                "entity_id": str(pid),
                "detail": json.dumps(
                    {
                        "location": r["location"],
                        "max": str(r["proposed_max"]),
                        "min": str(r["proposed_min"]),
                        "sku": r["sku"],
                    },
                    sort_keys=True,
                ),
            }
            for pid, r in zip(ids, rows, strict=True)
        ],
    )


def thresholds_proposed(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> str:
    """One proposal on its own (the inbox batches them; this is the single-event path)."""
    agreements = threshold_agreements(
        uow.session, actor.vendor_id or 0, [{"type": "thresholds.proposed", "data": data}]
    )
    row = prepare_threshold_proposal(actor, data, agreements)
    write_threshold_proposals(uow.session, actor, [row])
    uow.changes.agreements.add(row["agreement_id"])
    return f"proposal for {row['sku']} at {row['location']}"


HANDLERS: dict[str, Callable[[UnitOfWork, Actor, dict[str, Any]], str | EventRejected]] = {
    "order.created": order_created,
    "order.acknowledged": order_acknowledged,
    "shipment.dispatched": shipment_dispatched,
    "order.cancelled": order_cancelled,
    "thresholds.proposed": thresholds_proposed,
}


def dispatch(uow: UnitOfWork, actor: Actor, event_type: str, data: Any) -> str | EventRejected:
    """Apply one event; returns a short note, raises ``EventRejected``/``VmiError`` when not applied.

    A returned ``EventRejected`` means "not applied, but keep what the domain wrote about it" (the
    replenishment engine's own rejection with its alert and audit entry).
    """
    handler = HANDLERS.get(event_type)
    if handler is None:
        raise EventRejected(f"unknown event type {event_type!r}")
    body = _dict(data, "data")
    try:
        return handler(uow, actor, body)
    except PermissionDenied as exc:
        raise EventRejected(str(exc), scope=True) from None
