"""Typed messages between the outbox/inbox and the file codecs: the content of the VMI Connect v1 bodies.

Outbound (customer to supplier): ``StockReport``, ``UsageReport``, ``PurchaseOrder``, ``CancelOrder``,
``ReceiptAdvice`` (goods received against orders).
Inbound (supplier to customer): ``SupplierOrder`` (``order.created``), ``OrderAck``
(``order.acknowledged``), ``ShipNotice`` (``shipment.dispatched``). Both ways: ``FunctionalAck``
(X12 997, EDIFACT CONTRL, the CSV ``ack`` file) saying whether a received interchange was readable.

``from_body`` turns an outbox payload (a REST body) into its message; ``to_body`` turns it back
(the reference partner feeds it to the same supplier rules as the REST server); ``to_event`` and
``from_event`` do the same for inbound events. Quantities and prices stay ``Decimal``; timestamps
are aware UTC with whole seconds (what EDI dates carry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from vmi_desktop import wire
from vmi_desktop.exchange.errors import ExchangeError

# -- outbound ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """One SKU x location of a stock report."""

    location_code: str
    sku: str
    supplier_sku: str | None
    uom: str
    on_hand: Decimal
    on_order: Decimal
    min: Decimal
    max: Decimal
    as_of: datetime


@dataclass(frozen=True)
class StockReport:
    """Live stock position (846 / INVRPT): ``full`` or ``delta``."""

    message_id: str
    generated_at: datetime
    mode: str
    lines: tuple[StockLine, ...]


@dataclass(frozen=True)
class UsageLine:
    """Consumption of one SKU at one location on one day."""

    location_code: str
    sku: str
    day: date
    consumed: Decimal


@dataclass(frozen=True)
class UsageReport:
    """Consumption history (852 / INVRPT with consumption quantities)."""

    message_id: str
    lines: tuple[UsageLine, ...]


@dataclass(frozen=True)
class OrderLine:
    """One line of a customer's purchase order."""

    line: int
    sku: str
    supplier_sku: str | None
    quantity: Decimal
    uom: str
    unit_price: Decimal | None
    currency: str
    need_by: date | None


@dataclass(frozen=True)
class PurchaseOrder:
    """A purchase order raised by the customer (850 / ORDERS)."""

    message_id: str
    po_number: str
    location_code: str
    created_at: datetime
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class CancelOrder:
    """Cancellation of a sent order (850 with purpose 01 / ORDERS with function 1); repeats its lines."""

    message_id: str
    po_number: str
    reason: str
    location_code: str = ""
    created_at: datetime | None = None
    lines: tuple[OrderLine, ...] = ()


@dataclass(frozen=True)
class ReceiptLine:
    """What was received against one order line.

    ``uom`` and ``supplier_sku`` are not in the REST body: the connector fills them from the order
    line (X12 RCD needs the unit with the quantity; the supplier's part number helps its translator).
    """

    po_number: str
    line: int
    sku: str
    quantity: Decimal
    uom: str = "EA"
    supplier_sku: str | None = None


@dataclass(frozen=True)
class ReceiptAdvice:
    """Goods received at a location (861 / RECADV): ``POST /v1/receipts``."""

    message_id: str
    receipt_id: str
    location_code: str
    received_at: datetime
    lines: tuple[ReceiptLine, ...]


Outbound = StockReport | UsageReport | PurchaseOrder | CancelOrder | ReceiptAdvice

# -- inbound ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierOrderLine:
    """One line of an order the supplier raised itself."""

    line: int
    sku: str
    supplier_sku: str | None
    quantity: Decimal
    uom: str
    unit_price: Decimal | None
    expected_delivery: date | None


@dataclass(frozen=True)
class SupplierOrder:
    """A replenishment order the supplier raised (850 from the vendor / ORDERS): ``order.created``."""

    supplier_order_id: str
    location_code: str
    lines: tuple[SupplierOrderLine, ...]


@dataclass(frozen=True)
class AckLine:
    """The supplier's answer for one order line."""

    line: int
    quantity: Decimal
    expected_delivery: date | None


@dataclass(frozen=True)
class OrderAck:
    """An answer to an order (855 / ORDRSP): accepted, changed per line, or rejected."""

    po_number: str
    supplier_order_id: str
    status: str
    lines: tuple[AckLine, ...]
    reason: str = ""


@dataclass(frozen=True)
class ShipLine:
    """What was shipped against one order line."""

    line: int
    sku: str
    quantity: Decimal
    #: the order line's unit (informational: the quantity is in the unit the order line has)
    uom: str = ""


@dataclass(frozen=True)
class ShipNotice:
    """An advance ship notice (856 / DESADV): ``shipment.dispatched``."""

    shipment_id: str
    po_number: str
    supplier_order_id: str
    carrier: str
    tracking: str
    eta: date | None
    lines: tuple[ShipLine, ...]


Inbound = SupplierOrder | OrderAck | ShipNotice


@dataclass(frozen=True)
class AckedMessage:
    """One message named in a functional acknowledgement: its kind, control number and whether it was taken."""

    kind: str
    control_number: str
    accepted: bool


@dataclass(frozen=True)
class FunctionalAck:
    """Whether a received interchange (or group) was readable: 997, CONTRL, the CSV ack file.

    ``reference`` is the control number acknowledged (X12: the group control number GS06;
    EDIFACT and CSV: the interchange reference); ``functional_id`` the group's kind (X12 GS01, the
    EDIFACT message type). ``status`` is ``accepted``, ``partial`` or ``rejected``; ``items`` names
    the messages and whether each was taken.
    """

    reference: str
    functional_id: str
    status: str
    items: tuple[AckedMessage, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("accepted", "partial", "rejected"):
            raise ValueError(f"functional ack status {self.status!r}")

    @property
    def rejected(self) -> tuple[str, ...]:
        """Control numbers of the messages refused."""
        return tuple(i.control_number for i in self.items if not i.accepted)


def ack_for(reference: str, functional_id: str, items: tuple[AckedMessage, ...], note: str = "") -> FunctionalAck:
    """The acknowledgement of a group whose messages were taken or refused as ``items`` say."""
    taken = sum(1 for i in items if i.accepted)
    status = "accepted" if taken == len(items) and not note else "rejected" if taken == 0 else "partial"
    return FunctionalAck(reference, functional_id, status, items, note)


@dataclass(frozen=True)
class ReceivedMessage:
    """One message of a received interchange: decoded, or refused with the reason (``error``)."""

    kind: str
    control_number: str
    body: Inbound | Outbound | FunctionalAck | None
    error: str = ""
    #: the functional group (X12 GS06; EDIFACT and CSV: the interchange reference) it came in
    group: str = ""


@dataclass(frozen=True)
class Received:
    """A readable interchange: who sent it, its control number, its groups' messages in order."""

    standard: str
    sender: str
    receiver: str
    control_number: str
    messages: tuple[ReceivedMessage, ...]
    #: (functional id, group control number) of each group, for the acknowledgements
    groups: tuple[tuple[str, str], ...] = field(default=())

    def acknowledgements(self) -> list[FunctionalAck]:
        """What to answer: one acknowledgement per group, naming each message taken or refused."""
        acks = []
        for functional_id, number in self.groups:
            items = tuple(
                AckedMessage(m.kind, m.control_number, not m.error) for m in self.messages if m.group == number
            )
            acks.append(ack_for(number, functional_id, items))
        return acks


# -- conversions from and to the REST bodies ---------------------------------------------------------


def _dec(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ExchangeError(f"{what} is not a number")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ExchangeError(f"{what} {value!r} is not a number") from None
    if not number.is_finite():
        raise ExchangeError(f"{what} {value!r} is not a finite number")
    return number


def _opt_dec(value: Any, what: str) -> Decimal | None:
    return None if value is None else _dec(value, what)


def parse_moment(value: Any, what: str = "timestamp") -> datetime:
    """An RFC 3339 timestamp as aware UTC, whole seconds."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ExchangeError(f"{what} {value!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise ExchangeError(f"{what} {value!r} has no time zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def _opt_date(value: Any, what: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ExchangeError(f"{what} {value!r} is not a YYYY-MM-DD date") from None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _num(value: Decimal | None) -> Any:
    return None if value is None else wire.number(value)


def from_body(kind: str, body: Mapping[str, Any], *, po_number: str = "") -> Outbound:
    """The message of an outbox payload (``kind`` as the outbox names it; ``po_number`` for a cancel)."""
    try:
        if kind == "stock_report":
            return StockReport(
                message_id=str(body["message_id"]),
                generated_at=parse_moment(body["generated_at"], "generated_at"),
                mode=str(body["mode"]),
                lines=tuple(
                    StockLine(
                        location_code=str(ln["location_code"]),
                        sku=str(ln["sku"]),
                        supplier_sku=ln.get("supplier_sku") or None,
                        uom=str(ln.get("uom") or "EA"),
                        on_hand=_dec(ln["on_hand"], "on_hand"),
                        on_order=_dec(ln["on_order"], "on_order"),
                        min=_dec(ln["min"], "min"),
                        max=_dec(ln["max"], "max"),
                        as_of=parse_moment(ln["as_of"], "as_of"),
                    )
                    for ln in body["lines"]
                ),
            )
        if kind == "usage":
            return UsageReport(
                message_id=str(body["message_id"]),
                lines=tuple(
                    UsageLine(
                        location_code=str(ln["location_code"]),
                        sku=str(ln["sku"]),
                        day=date.fromisoformat(str(ln["date"])),
                        consumed=_dec(ln["consumed"], "consumed"),
                    )
                    for ln in body["lines"]
                ),
            )
        if kind == "purchase_order":
            return PurchaseOrder(
                message_id=str(body["message_id"]),
                po_number=str(body["po_number"]),
                location_code=str(body["location_code"]),
                created_at=parse_moment(body["created_at"], "created_at"),
                lines=tuple(_order_line(ln) for ln in body["lines"]),
            )
        if kind == "cancel":
            created = body.get("created_at")
            return CancelOrder(
                message_id=str(body["message_id"]),
                po_number=str(body.get("po_number") or po_number),
                reason=str(body.get("reason") or ""),
                location_code=str(body.get("location_code") or ""),
                created_at=parse_moment(created, "created_at") if created else None,
                lines=tuple(_order_line(ln) for ln in body.get("lines") or ()),
            )
        if kind == "receipt":
            return ReceiptAdvice(
                message_id=str(body["message_id"]),
                receipt_id=str(body["receipt_id"]),
                location_code=str(body["location_code"]),
                received_at=parse_moment(body["received_at"], "received_at"),
                lines=tuple(
                    ReceiptLine(
                        po_number=str(ln["po_number"]),
                        line=int(ln["line"]),
                        sku=str(ln["sku"]),
                        quantity=_dec(ln["quantity"], "quantity"),
                        uom=str(ln.get("uom") or "EA"),
                        supplier_sku=ln.get("supplier_sku") or None,
                    )
                    for ln in body["lines"]
                ),
            )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ExchangeError):
            raise
        raise ExchangeError(f"{kind} body is incomplete: {exc}") from None
    raise ExchangeError(f"{kind} messages are not exchanged as files")


def _order_line(ln: Mapping[str, Any]) -> OrderLine:
    return OrderLine(
        line=int(ln["line"]),
        sku=str(ln["sku"]),
        supplier_sku=ln.get("supplier_sku") or None,
        quantity=_dec(ln["quantity"], "quantity"),
        uom=str(ln.get("uom") or "EA"),
        unit_price=_opt_dec(ln.get("unit_price"), "unit_price"),
        currency=str(ln.get("currency") or "EUR"),
        need_by=_opt_date(ln.get("need_by"), "need_by"),
    )


def to_body(message: Outbound, customer_id: str = "") -> tuple[str, dict[str, Any]]:
    """The REST kind (``stock-reports``, ``usage``, ``purchase-orders``, ``cancel``, ``receipts``) and body.

    A receipt's body is the REST one: its lines' ``uom`` and ``supplier_sku`` are not part of it.
    """
    if isinstance(message, StockReport):
        return "stock-reports", {
            "message_id": message.message_id,
            "customer_id": customer_id,
            "generated_at": _stamp(message.generated_at),
            "mode": message.mode,
            "lines": [
                {
                    "location_code": ln.location_code,
                    "sku": ln.sku,
                    "supplier_sku": ln.supplier_sku,
                    "uom": ln.uom,
                    "on_hand": _num(ln.on_hand),
                    "on_order": _num(ln.on_order),
                    "min": _num(ln.min),
                    "max": _num(ln.max),
                    "as_of": _stamp(ln.as_of),
                }
                for ln in message.lines
            ],
        }
    if isinstance(message, UsageReport):
        return "usage", {
            "message_id": message.message_id,
            "customer_id": customer_id,
            "lines": [
                {
                    "location_code": ln.location_code,
                    "sku": ln.sku,
                    "date": ln.day.isoformat(),
                    "consumed": _num(ln.consumed),
                }
                for ln in message.lines
            ],
        }
    if isinstance(message, ReceiptAdvice):
        return "receipts", {
            "message_id": message.message_id,
            "customer_id": customer_id,
            "receipt_id": message.receipt_id,
            "location_code": message.location_code,
            "received_at": _stamp(message.received_at),
            "lines": [
                {"po_number": ln.po_number, "line": ln.line, "sku": ln.sku, "quantity": _num(ln.quantity)}
                for ln in message.lines
            ],
        }
    lines = [
        {
            "line": ln.line,
            "sku": ln.sku,
            "supplier_sku": ln.supplier_sku,
            "quantity": _num(ln.quantity),
            "uom": ln.uom,
            "unit_price": _num(ln.unit_price),
            "currency": ln.currency,
            "need_by": ln.need_by.isoformat() if ln.need_by else None,
        }
        for ln in message.lines
    ]
    if isinstance(message, PurchaseOrder):
        return "purchase-orders", {
            "message_id": message.message_id,
            "customer_id": customer_id,
            "po_number": message.po_number,
            "location_code": message.location_code,
            "created_at": _stamp(message.created_at),
            "lines": lines,
        }
    return "cancel", {"message_id": message.message_id, "customer_id": customer_id, "reason": message.reason}


def to_event(message: Inbound, event_id: str, occurred_at: datetime) -> dict[str, Any]:
    """The VMI Connect event of an inbound message (applied by ``sync.inbox.apply_page``)."""
    data: dict[str, Any]
    if isinstance(message, SupplierOrder):
        kind = "order.created"
        data = {
            "supplier_order_id": message.supplier_order_id,
            "location_code": message.location_code,
            "lines": [
                {
                    "line": ln.line,
                    "sku": ln.sku,
                    "supplier_sku": ln.supplier_sku,
                    "quantity": ln.quantity,
                    "uom": ln.uom,
                    "unit_price": ln.unit_price,
                    "expected_delivery": ln.expected_delivery.isoformat() if ln.expected_delivery else None,
                }
                for ln in message.lines
            ],
        }
    elif isinstance(message, OrderAck):
        kind = "order.acknowledged"
        data = {
            "status": message.status,
            "reason": message.reason,
            "lines": [
                {
                    "line": ln.line,
                    "quantity": ln.quantity,
                    "expected_delivery": ln.expected_delivery.isoformat() if ln.expected_delivery else None,
                }
                for ln in message.lines
            ],
        }
        _order_ref(data, message.po_number, message.supplier_order_id)
    else:
        kind = "shipment.dispatched"
        data = {
            "shipment_id": message.shipment_id,
            "carrier": message.carrier,
            "tracking": message.tracking,
            "eta": message.eta.isoformat() if message.eta else None,
            "lines": [{"line": ln.line, "sku": ln.sku, "quantity": ln.quantity} for ln in message.lines],
        }
        _order_ref(data, message.po_number, message.supplier_order_id)
    return {"event_id": event_id, "type": kind, "occurred_at": _stamp(occurred_at), "data": data}


def _order_ref(data: dict[str, Any], po_number: str, supplier_order_id: str) -> None:
    if po_number:
        data["po_number"] = po_number
    if supplier_order_id:
        data["supplier_order_id"] = supplier_order_id


def from_event(event: Mapping[str, Any]) -> Inbound | None:
    """The inbound message of a VMI Connect event (None for kinds files do not carry)."""
    data = event.get("data") or {}
    kind = event.get("type")
    if kind == "order.created":
        return SupplierOrder(
            supplier_order_id=str(data["supplier_order_id"]),
            location_code=str(data["location_code"]),
            lines=tuple(
                SupplierOrderLine(
                    line=int(ln["line"]),
                    sku=str(ln["sku"]),
                    supplier_sku=ln.get("supplier_sku") or None,
                    quantity=_dec(ln["quantity"], "quantity"),
                    uom=str(ln.get("uom") or "EA"),
                    unit_price=_opt_dec(ln.get("unit_price"), "unit_price"),
                    expected_delivery=_opt_date(ln.get("expected_delivery"), "expected_delivery"),
                )
                for ln in data["lines"]
            ),
        )
    if kind == "order.acknowledged":
        return OrderAck(
            po_number=str(data.get("po_number") or ""),
            supplier_order_id=str(data.get("supplier_order_id") or ""),
            status=str(data["status"]),
            reason=str(data.get("reason") or ""),
            lines=tuple(
                AckLine(
                    int(ln["line"]),
                    _dec(ln["quantity"], "quantity"),
                    _opt_date(ln.get("expected_delivery"), "expected_delivery"),
                )
                for ln in data.get("lines") or ()
            ),
        )
    if kind == "shipment.dispatched":
        return ShipNotice(
            shipment_id=str(data["shipment_id"]),
            po_number=str(data.get("po_number") or ""),
            supplier_order_id=str(data.get("supplier_order_id") or ""),
            carrier=str(data.get("carrier") or ""),
            tracking=str(data.get("tracking") or ""),
            eta=_opt_date(data.get("eta"), "eta"),
            lines=tuple(
                ShipLine(int(ln["line"]), str(ln["sku"]), _dec(ln["quantity"], "quantity")) for ln in data["lines"]
            ),
        )
    return None
