"""Inbound event kinds of VMI Connect v1, mapped onto the domain services.

Each handler takes an event's typed data (``vmi_desktop.sync.events``: already checked for shape,
types, lengths and number bounds), checks what only the database knows (scope, the unit of the SKU,
the order it names) and calls the same application commands as a supplier signed into the app
(``vmi_desktop.commands.orders``), as the vendor's supplier actor, in the inbox page's unit of work.
A handler raises ``EventRejected`` (or one of our ``VmiError``s) for an event that must not be
applied; ``inbox`` then keeps it as rejected with the reason.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import PermissionDenied, ValidationError, VmiError
from vmi_desktop.free_text import supplier_text
from vmi_desktop.models import (
    AlertKind,
    AlertSeverity,
    Location,
    PurchaseOrder,
    Sku,
    SupplyAgreement,
)
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import Actor
from vmi_desktop.sync.events import (
    CARRIER_LEN,
    REASON_LEN,
    TRACKING_LEN,
    EventData,
    OrderAcknowledged,
    OrderCancelled,
    OrderCreated,
    ShipmentDispatched,
    ThresholdsProposed,
)
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


def _find_order(
    session: Session, actor: Actor, ref: OrderAcknowledged | ShipmentDispatched | OrderCancelled
) -> PurchaseOrder:
    ws = WorkingSet.of(session)  # a page of events read its orders at once
    vendor_id = actor.vendor_id or 0
    if ref.po_number:
        po = ws.order_by_number(session, vendor_id, ref.po_number)
    elif ref.supplier_order_id:
        po = ws.order_by_supplier_id(session, vendor_id, ref.supplier_order_id)
    else:
        raise EventRejected("malformed body: neither po_number nor supplier_order_id is given")
    if po is None:
        raise EventRejected(f"unknown order {ref.po_number or ref.supplier_order_id!r} for this vendor")
    return po


# -- handlers ------------------------------------------------------------------------------------


def order_created(uow: UnitOfWork, actor: Actor, data: OrderCreated) -> str | EventRejected:
    from vmi_desktop.commands import orders as order_commands
    from vmi_desktop.replenishment.supplier_orders import SupplierLine

    lines = [
        SupplierLine(
            line=line.line,
            sku=line.sku,
            quantity=Decimal(line.quantity),
            unit_price=None if line.unit_price is None else Decimal(line.unit_price),
            expected_delivery=line.expected_delivery,
            supplier_sku=line.supplier_sku,
        )
        for line in data.lines
    ]
    outcome = order_commands.raise_supplier_order(
        uow, actor, supplier_order_id=data.supplier_order_id, location_code=data.location_code, lines=lines
    )
    if outcome.status == "rejected":
        # Returned, not raised: the alert and audit entry the engine wrote for it are kept.
        return EventRejected(outcome.reason or "rejected by the replenishment checks", scope=True, alerted=True)
    po = outcome.order
    return f"{outcome.status}: {po.po_number if po is not None else ''} {outcome.reason}".strip()


def order_acknowledged(uow: UnitOfWork, actor: Actor, data: OrderAcknowledged) -> str:
    from vmi_desktop.commands import orders as order_commands

    po = _find_order(uow.session, actor, data)
    lines: dict[int, tuple[Decimal, date | None]] = {
        line.line: (Decimal(line.quantity), line.expected_delivery) for line in data.lines
    }
    reason = supplier_text(data.reason, REASON_LEN)
    order_commands.acknowledge(uow, actor, po.id, status=data.status, lines=lines or None, reason=reason)
    return f"{po.po_number} {data.status}"


def shipment_dispatched(uow: UnitOfWork, actor: Actor, data: ShipmentDispatched) -> str:
    from vmi_desktop.commands import orders as order_commands

    session = uow.session
    po = _find_order(session, actor, data)
    ws = WorkingSet.of(session)
    parts = {
        line.line_no: sku.part_number for line in po.lines if (sku := ws.get(session, Sku, line.sku_id)) is not None
    }
    lines: dict[int, Decimal] = {}
    for line in data.lines:
        part = parts.get(line.line)
        if part is not None and line.sku != part:
            raise EventRejected(
                f"shipment {data.shipment_id}: line {line.line} of {po.po_number} is {part}, not {line.sku!r}",
                scope=True,
            )
        lines[line.line] = lines.get(line.line, Decimal(0)) + Decimal(line.quantity)
    order_commands.ship(
        uow,
        actor,
        po.id,
        shipment_id=data.shipment_id,
        lines=lines,
        carrier=data.carrier[:CARRIER_LEN],
        tracking=data.tracking[:TRACKING_LEN],
        eta=data.eta,
    )
    return f"{po.po_number} shipment {data.shipment_id}"


def order_cancelled(uow: UnitOfWork, actor: Actor, data: OrderCancelled) -> str:
    from vmi_desktop.commands import orders as order_commands

    po = _find_order(uow.session, actor, data)
    # a blank reason cancels all the same
    reason = supplier_text(data.reason, REASON_LEN).strip() or "cancelled by the supplier"
    order_commands.cancel(uow, actor, po.id, reason)
    return f"{po.po_number} cancelled"


class ProposalTarget(NamedTuple):
    """The agreement a threshold proposal is for, and its SKU's unit (whole units take no fractions)."""

    agreement_id: int
    uom: str
    whole: bool


@functools.cache
def _threshold_agreements_statement() -> Any:
    """Built once: executed again, a statement skips its building, value coercion and cache key."""
    return (
        select(Sku.part_number, Location.code, SupplyAgreement.id, Sku.uom)
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .where(
            SupplyAgreement.vendor_id == bindparam("vendor_id"),
            SupplyAgreement.active.is_(True),
            Sku.part_number.in_(bindparam("parts", expanding=True)),
            Location.code.in_(bindparam("codes", expanding=True)),
        )
    )


def threshold_agreements(
    session: Session, vendor_id: int, proposals: Iterable[ThresholdsProposed]
) -> dict[tuple[str, str], ProposalTarget]:
    """Agreement ids of the vendor for the (SKU, location) pairs named by a page's threshold proposals."""
    wanted = {(p.sku, p.location_code) for p in proposals}
    parts = {sku for sku, _ in wanted}
    codes = {loc for _, loc in wanted}
    if not parts or not codes:
        return {}
    rows = session.execute(
        _threshold_agreements_statement(), {"vendor_id": vendor_id, "parts": sorted(parts), "codes": sorted(codes)}
    ).all()
    whole = {uom: is_whole(session, uom) for uom in {row[3] for row in rows}}
    return {(sku, loc): ProposalTarget(agreement_id, uom, whole[uom]) for sku, loc, agreement_id, uom in rows}


def prepare_threshold_proposal(
    actor: Actor, data: ThresholdsProposed, agreements: dict[tuple[str, str], ProposalTarget]
) -> dict[str, Any]:
    """Check a ``thresholds.proposed`` event into a row (written in bulk by the inbox; nothing written here)."""
    target = agreements.get((data.sku, data.location_code))
    if target is None:
        raise EventRejected(
            f"{data.sku} at {data.location_code} is not covered by an agreement of this vendor", scope=True
        )
    try:
        mn = parse_quantity(data.min, what="proposed min", allow_zero=True, whole=target.whole, uom=target.uom)
        mx = parse_quantity(data.max, what="proposed max", allow_zero=True, whole=target.whole, uom=target.uom)
    except ValidationError as exc:
        raise EventRejected(str(exc)) from None
    if mn > mx:
        raise EventRejected(f"proposed min ({fmt(mn)}) is above max ({fmt(mx)}) for {data.sku} at {data.location_code}")
    return {
        "agreement_id": target.agreement_id,
        "proposed_min": mn,
        "proposed_max": mx,
        "reason": supplier_text(data.reason, REASON_LEN),
        "sku": data.sku,
        "location": data.location_code,
    }


def write_threshold_proposals(session: Session, actor: Actor, rows: list[dict[str, Any]]) -> None:
    """Record prepared proposals through the supplier's own command (``commands.thresholds``): one path."""
    from vmi_desktop.commands.thresholds import ProposedThresholds, record_proposals

    record_proposals(
        session,
        actor,
        [ProposedThresholds(r["agreement_id"], r["proposed_min"], r["proposed_max"], r["reason"]) for r in rows],
    )


def thresholds_proposed(uow: UnitOfWork, actor: Actor, data: ThresholdsProposed) -> str:
    """One proposal on its own (the inbox batches them; this is the single-event path)."""
    agreements = threshold_agreements(uow.session, actor.vendor_id or 0, [data])
    from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds

    row = prepare_threshold_proposal(actor, data, agreements)
    proposal = ProposedThresholds(row["agreement_id"], row["proposed_min"], row["proposed_max"], row["reason"])
    propose_thresholds(uow, actor, [proposal])
    return f"proposal for {row['sku']} at {row['location']}"


Handler = Callable[[UnitOfWork, Actor, Any], "str | EventRejected"]

HANDLERS: dict[type[EventData], Handler] = {
    OrderCreated: order_created,
    OrderAcknowledged: order_acknowledged,
    ShipmentDispatched: shipment_dispatched,
    OrderCancelled: order_cancelled,
    ThresholdsProposed: thresholds_proposed,
}


def dispatch(uow: UnitOfWork, actor: Actor, data: EventData) -> str | EventRejected:
    """Apply one event's typed data; returns a short note, raises ``EventRejected``/``VmiError`` when not applied.

    A returned ``EventRejected`` means "not applied, but keep what the domain wrote about it" (the
    replenishment engine's own rejection with its alert and audit entry).
    """
    handler = HANDLERS[type(data)]
    try:
        return handler(uow, actor, data)
    except PermissionDenied as exc:
        raise EventRejected(str(exc), scope=True) from None
