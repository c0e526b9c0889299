"""Inbound events of VMI Connect v1 as typed models, bounded like the columns they land in.

A supplier's event is read in two steps: ``read_event`` turns one event's raw JSON into an
``Inbound`` (its id, the key it is deduplicated by, its type, when it occurred, and either its
typed ``data`` or the one sentence saying why it cannot be applied). Nothing here touches the
database; the inbox decides what to do with each ``Inbound``.

The models (msgspec ``Struct``s) follow ``resources/openapi/vmi-connect-v1.json``: the same
required fields, the lengths of the columns (a 5,000-character ``supplier_order_id`` never reaches
a VARCHAR(100)), integers that fit an INTEGER, quantities and prices as exact JSON numbers within
what the exact decimal columns hold. Unknown fields are ignored (a supplier may send more than v1).
``tests/integration/test_openapi_contract.py`` keeps the models and the document in step.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from vmi_desktop import wire
from vmi_desktop.errors import ValidationError
from vmi_desktop.models.sync import event_key
from vmi_desktop.quantities import parse_money, parse_quantity

# Lengths of the columns each field lands in (or is looked up against).
PO_NUMBER_LEN = 40  # purchase_orders.po_number
SUPPLIER_ORDER_ID_LEN = 100  # purchase_orders.supplier_order_id
LOCATION_CODE_LEN = 40  # locations.code
PART_NUMBER_LEN = 60  # skus.part_number
SUPPLIER_SKU_LEN = 60  # purchase_order_lines.supplier_sku
UOM_LEN = 12  # skus.uom
SHIPMENT_ID_LEN = 100  # shipments.external_id
CARRIER_LEN = 100  # shipments.carrier (free text: cut, not refused)
TRACKING_LEN = 100  # shipments.tracking (free text: cut, not refused)
REASON_LEN = 500  # threshold_proposals.reason, po_status_history.note (free text: cut, not refused)
TYPE_LEN = 60  # inbox_events.type
#: The contract's limit of lines per message.
MAX_LINES = 1000
#: Line numbers are INTEGER columns.
MAX_LINE_NO = 2**31 - 1
#: How much of a rejected event's raw text is kept in ``inbox_events.payload``.
PAYLOAD_KEPT = 4000
#: Timestamps outside this window are refused (converting them to UTC would overflow, or they are nonsense).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class Quantity(Decimal):
    """A JSON number with at most 3 decimals, 0 or more, below 10^15 (``quantities.parse_quantity``)."""


class PositiveQuantity(Decimal):
    """A ``Quantity`` above zero (ordered and shipped quantities)."""


class Price(Decimal):
    """A JSON number with at most 4 decimals, 0 or more, below 10^14 (``quantities.parse_money``)."""


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        shown = "a string" if isinstance(value, str) else repr(value)[:40]
        raise ValueError(f"must be a JSON number, got {shown}")
    return Decimal(value)


def _dec_hook(kind: type, value: Any) -> Any:
    """Build our number types from what ``wire.loads`` produced (ints, exact Decimals; never strings)."""
    try:
        if kind is Quantity:
            return Quantity(parse_quantity(_number(value), what="it", allow_zero=True))
        if kind is PositiveQuantity:
            return PositiveQuantity(parse_quantity(_number(value), what="it"))
        if kind is Price:
            return Price(parse_money(_number(value), what="it"))
    except ValidationError as exc:
        raise ValueError(str(exc).removeprefix("it ")) from None
    raise NotImplementedError(kind)


LineNo = Annotated[int, msgspec.Meta(ge=1, le=MAX_LINE_NO)]
PoNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=PO_NUMBER_LEN)]
SupplierOrderId = Annotated[str, msgspec.Meta(min_length=1, max_length=SUPPLIER_ORDER_ID_LEN)]
LocationCode = Annotated[str, msgspec.Meta(min_length=1, max_length=LOCATION_CODE_LEN)]
PartNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=PART_NUMBER_LEN)]
SupplierSku = Annotated[str, msgspec.Meta(max_length=SUPPLIER_SKU_LEN)]
Uom = Annotated[str, msgspec.Meta(max_length=UOM_LEN)]
ShipmentId = Annotated[str, msgspec.Meta(min_length=1, max_length=SHIPMENT_ID_LEN)]
#: Free text is taken at any length and cut to its column by the handler (nothing is looked up by it).
Carrier = str
Tracking = str
Reason = str


class _Data(msgspec.Struct, kw_only=True):
    """Base of event data: unknown fields are ignored."""


class _OrderRef(_Data, kw_only=True):
    po_number: PoNumber | None = None
    supplier_order_id: SupplierOrderId | None = None


class OrderCreatedLine(_Data, kw_only=True):
    line: LineNo
    sku: PartNumber
    quantity: PositiveQuantity
    supplier_sku: SupplierSku | None = None
    uom: Uom = ""
    unit_price: Price | None = None
    expected_delivery: date | None = None


class OrderCreated(_Data, kw_only=True):
    """``order.created``: a replenishment order the supplier raised itself."""

    supplier_order_id: SupplierOrderId
    location_code: LocationCode
    lines: Annotated[list[OrderCreatedLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]


class AcknowledgedLine(_Data, kw_only=True):
    line: LineNo
    quantity: Quantity
    expected_delivery: date | None = None


class OrderAcknowledged(_OrderRef, kw_only=True):
    """``order.acknowledged``: the supplier's answer to an order."""

    status: Literal["accepted", "rejected", "changed"]
    lines: Annotated[list[AcknowledgedLine], msgspec.Meta(max_length=MAX_LINES)] = []
    reason: Reason = ""


class ShippedLine(_Data, kw_only=True):
    line: LineNo
    sku: PartNumber
    quantity: PositiveQuantity


class ShipmentDispatched(_OrderRef, kw_only=True):
    """``shipment.dispatched``: an advance ship notice."""

    shipment_id: ShipmentId
    carrier: Carrier = ""
    tracking: Tracking = ""
    eta: date | None = None
    lines: Annotated[list[ShippedLine], msgspec.Meta(min_length=1, max_length=MAX_LINES)]


class OrderCancelled(_OrderRef, kw_only=True):
    """``order.cancelled``: the supplier cancels an order."""

    reason: Reason


class ThresholdsProposed(_Data, kw_only=True):
    """``thresholds.proposed``: the supplier proposes a new min/max for one of its pairs."""

    location_code: LocationCode
    sku: PartNumber
    min: Quantity
    max: Quantity
    reason: Reason = ""


EventData = OrderCreated | OrderAcknowledged | ShipmentDispatched | OrderCancelled | ThresholdsProposed

#: The event types of v1 and the model of their ``data``.
DATA_MODELS: dict[str, type[EventData]] = {
    "order.created": OrderCreated,
    "order.acknowledged": OrderAcknowledged,
    "shipment.dispatched": ShipmentDispatched,
    "order.cancelled": OrderCancelled,
    "thresholds.proposed": ThresholdsProposed,
}


class Envelope(msgspec.Struct, kw_only=True):
    """What every event carries around its ``data`` (``Event`` in the OpenAPI document)."""

    event_id: Annotated[str, msgspec.Meta(min_length=1)]
    type: str
    occurred_at: str
    data: Any


@dataclass(frozen=True)
class Inbound:
    """One event as read from a page: how it is known and deduplicated, and what it says or why not.

    ``event_id`` is the supplier's id in full (or ``invalid:<digest>`` for an event without a usable
    id); ``key`` is the sha256 of ``event_id``, unique per vendor in ``inbox_events``. Exactly one of
    ``data`` and ``problem`` is set.
    """

    event_id: str
    key: str
    type: str
    occurred_at: datetime | None
    data: EventData | None
    problem: str
    payload: str

    @property
    def ok(self) -> bool:
        return self.data is not None


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")


def describe(error: msgspec.ValidationError, root: str) -> str:
    """msgspec's message, with the path first and in the event's terms (``data.lines[0].quantity``)."""
    text = str(error)
    match = _AT.search(text)
    path = root + (match.group("path") if match else "")
    text = _AT.sub("", text)
    text = text.replace("Expected `", "expected `").replace("Object missing required field", "missing field")
    text = re.sub(r"`str` of length <= (\d+)", r"a text of at most \1 characters", text)
    text = re.sub(r"`str` of length >= 1", "a text that is not empty", text)
    text = text.replace("`object`", "an object").replace("`array`", "a list").replace("`str`", "a text")
    text = text.replace("`int`", "an integer").replace("`null`", "null").replace("`date`", "a YYYY-MM-DD date")
    return f"{path}: {text}"


def parse_occurred_at(value: Any) -> datetime:
    """An RFC 3339 timestamp with an offset, as aware UTC within ``EARLIEST``..``LATEST``; ``ValueError`` if not."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(f"occurred_at must be an RFC 3339 timestamp such as 2026-11-24T08:30:00Z, got {value!r:.60}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"occurred_at {value!r} is not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError(f"occurred_at {value!r} has no UTC offset (the contract says UTC, ending in Z)")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"occurred_at {value!r} is out of range ({EARLIEST.year} to {LATEST.year - 1})")
    return utc


def _kept(text: str) -> str:
    """What is stored of a refused event: the start of it, NUL bytes spelled out (PostgreSQL stores none)."""
    text = wire.nul_spelled_out(text)
    if len(text) <= PAYLOAD_KEPT:
        return text
    return text[:PAYLOAD_KEPT] + f"… ({len(text):,} characters in all; the rest is not kept)"


def _fallback_id(raw: bytes, parsed: Any) -> str:
    """The supplier's id when it has a usable one, else a stable digest of the raw event."""
    if isinstance(parsed, dict):
        event_id = parsed.get("event_id")
        if isinstance(event_id, str) and event_id and _storable(event_id):
            return event_id
    return "invalid:" + hashlib.sha256(raw).hexdigest()[:40]


def _storable(text: str) -> bool:
    """Text a database column takes: no NUL (PostgreSQL), no lone surrogate (not UTF-8 at all)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lenient_id(raw: bytes) -> str:
    """The id of an event our parser refused: Python's own takes lone surrogates and raw control characters."""
    try:
        parsed = json.loads(raw, strict=False)  # control characters in strings too
    except (ValueError, RecursionError):
        parsed = None
    return _fallback_id(raw, parsed)


def _holds_nul(value: Any) -> bool:
    """Whether any text in a parsed event (keys too) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _malformed(event_id: str, type_text: str, problem: str, payload: str) -> Inbound:
    return Inbound(event_id, event_key(event_id), type_text, None, None, problem, payload)


def read_event(raw: bytes, *, max_bytes: int) -> Inbound:
    """One event's raw JSON as an ``Inbound``; never raises for anything a supplier can send."""
    text = raw.decode("utf-8", "replace")
    if len(raw) > max_bytes:
        event_id = "invalid:" + hashlib.sha256(raw).hexdigest()[:40]
        found = re.search(r'"event_id"\s*:\s*"((?:[^"\\]|\\.){1,1000})"', text[:4096])
        if found and _storable(found.group(1)):
            event_id = found.group(1)
        return _malformed(
            event_id, "", f"event is {len(raw):,} bytes; at most {max_bytes:,} bytes are accepted", _kept(text)
        )
    try:
        parsed = wire.loads(raw)
    except wire.WireError as exc:
        return _malformed(_lenient_id(raw), "", f"malformed event: not JSON ({exc})", _kept(text))
    if b"\\u0000" in raw and _holds_nul(parsed):
        # PostgreSQL stores no NUL in text: looked up or kept, it would fail the whole page, every time
        problem = "malformed event: a text in it holds a NUL character (\\u0000), which no field accepts"
        return _malformed(_fallback_id(raw, parsed), "", problem, _kept(text))
    try:
        envelope = msgspec.convert(parsed, Envelope)
    except msgspec.ValidationError as exc:
        type_text = parsed.get("type") if isinstance(parsed, dict) else None
        shown = type_text[:TYPE_LEN] if isinstance(type_text, str) else ""
        return _malformed(_fallback_id(raw, parsed), shown, f"malformed event: {describe(exc, 'event')}", _kept(text))
    event_id, type_text = envelope.event_id, envelope.type[:TYPE_LEN]
    try:
        occurred_at = parse_occurred_at(envelope.occurred_at)
    except ValueError as exc:
        return _malformed(event_id, type_text, f"malformed event: {exc}", _kept(text))
    model = DATA_MODELS.get(envelope.type)
    if model is None:
        return Inbound(
            event_id,
            event_key(event_id),
            type_text,
            occurred_at,
            None,
            f"unknown event type {type_text!r}",
            _kept(text),
        )
    try:
        data = msgspec.convert(envelope.data, model, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        problem = f"malformed body: {describe(exc, 'data')}"
        return Inbound(event_id, event_key(event_id), type_text, occurred_at, None, problem, _kept(text))
    return Inbound(event_id, event_key(event_id), type_text, occurred_at, data, "", text)


def schema_hook(kind: type) -> dict[str, Any]:
    """JSON Schema of our number types (for comparing the models with the OpenAPI document)."""
    if kind is Quantity:
        return {"$ref": "#/components/schemas/EventQuantity"}
    if kind is PositiveQuantity:
        return {"$ref": "#/components/schemas/PositiveQuantity"}
    if kind is Price:
        return {"$ref": "#/components/schemas/Money"}
    raise NotImplementedError(kind)
