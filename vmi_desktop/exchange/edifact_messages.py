"""EDIFACT D96A messages of the implementation guide (``docs/file-exchange.md``), both ways.

Customer to supplier: INVRPT (stock, and usage with consumption quantities), ORDERS (purchase order;
message function 1 cancels it), RECADV (goods received against orders). Supplier to customer:
ORDRSP, DESADV, ORDERS (an order the supplier raised). Both ways: CONTRL. ``encode`` gives an
interchange's bytes, ``decode`` reads one and decodes each message for the side reading it; a
message that cannot be read is kept with the reason and does not stop the messages after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from vmi_desktop.exchange import edifact
from vmi_desktop.exchange.edifact import Element, Segment, text_of
from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.exchange.fields import number_text, parse_decimal, parse_line_number
from vmi_desktop.exchange.messages import (
    AckedMessage,
    AckLine,
    CancelOrder,
    FunctionalAck,
    OrderAck,
    OrderLine,
    PurchaseOrder,
    ReceiptAdvice,
    ReceiptLine,
    Received,
    ReceivedMessage,
    ShipLine,
    ShipNotice,
    StockLine,
    StockReport,
    SupplierOrder,
    SupplierOrderLine,
    UsageLine,
    UsageReport,
)
from vmi_desktop.exchange.units import from_unece, to_unece

Message = (
    StockReport | UsageReport | PurchaseOrder | CancelOrder | ReceiptAdvice | SupplierOrder | OrderAck | ShipNotice
)
_ON_HAND, _ON_ORDER, _MIN, _MAX, _CONSUMED = "17", "73", "Z01", "Z02", "Z03"
_RESPONSE = {"accepted": "29", "changed": "4", "rejected": "27"}
_RESPONSE_STATUS = {v: k for k, v in _RESPONSE.items()}
_LINE_ACTION = {"accepted": "5", "changed": "3", "rejected": "7"}
#: BGM 1001 "632" goods receipt; DTM 2005 "50" goods receipt date/time; QTY 6063 "48" received quantity
_GOODS_RECEIPT, _RECEIVED_AT, _RECEIVED_QTY = "632", "50", "48"
_UUID = re.compile(r"[0-9a-f]{32}\Z")


def _ref_id(message_id: str) -> str:
    """A message id within RFF's 35 characters: a UUID travels without its dashes."""
    compact = message_id.replace("-", "")
    return compact if len(message_id) > 35 and _UUID.match(compact) else message_id


def _message_id(value: str) -> str:
    if _UUID.match(value):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


def _dtm(qualifier: str, moment: datetime) -> Segment:
    return ("DTM", (qualifier, moment.astimezone(UTC).strftime("%Y%m%d%H%M%S"), "204"))


def _day(qualifier: str, day: date) -> Segment:
    return ("DTM", (qualifier, day.strftime("%Y%m%d"), "102"))


def _free_text(text: str) -> Element:
    """Free text in FTX's five lines of 70 characters, without what UNOC cannot carry."""
    clean = " ".join(text.split()).encode("latin-1", errors="replace").decode("latin-1")
    parts = [clean[i : i + 70] for i in range(0, min(len(clean), 350), 70)]
    return tuple(parts) if parts else ("",)


def _item(line: int | str, sku: str, supplier_sku: str | None) -> list[Segment]:
    segs: list[Segment] = [("LIN", str(line), "", (sku, "BP"))]
    if supplier_sku:
        segs.append(("PIA", "1", (supplier_sku, "SA")))
    return segs


# -- encoding ---------------------------------------------------------------------------------------


def _stock(msg: StockReport, reference: str) -> list[Segment]:
    segs: list[Segment] = [
        ("BGM", ("35", "", "", "STOCK"), reference, "9" if msg.mode == "full" else "4"),
        _dtm("137", msg.generated_at),
        ("RFF", ("ZZZ", _ref_id(msg.message_id))),
    ]
    for i, ln in enumerate(msg.lines, start=1):
        unit = to_unece(ln.uom)
        segs.extend(_item(i, ln.sku, ln.supplier_sku))
        segs.append(("LOC", "18", (ln.location_code, "", "92")))
        segs.append(_dtm("179", ln.as_of))
        for code, value in ((_ON_HAND, ln.on_hand), (_ON_ORDER, ln.on_order), (_MIN, ln.min), (_MAX, ln.max)):
            segs.append(("QTY", (code, number_text(value), unit)))
    return segs


def _usage(msg: UsageReport, reference: str, now: datetime) -> list[Segment]:
    segs: list[Segment] = [
        ("BGM", ("35", "", "", "USAGE"), reference, "9"),
        _dtm("137", now),
        ("RFF", ("ZZZ", _ref_id(msg.message_id))),
    ]
    ordered = sorted(msg.lines, key=lambda ln: (ln.location_code, ln.sku, ln.day))
    previous: tuple[str, str] | None = None
    count = 0
    for ln in ordered:
        if (ln.location_code, ln.sku) != previous:
            count += 1
            previous = (ln.location_code, ln.sku)
            segs.extend(_item(count, ln.sku, None))
            segs.append(("LOC", "18", (ln.location_code, "", "92")))
        segs.append(("QTY", (_CONSUMED, number_text(ln.consumed))))
        segs.append(_day("179", ln.day))
    return segs


def _lines_with(lines: Sequence[OrderLine | SupplierOrderLine], date_code: str) -> list[Segment]:
    segs: list[Segment] = []
    for ln in lines:
        segs.extend(_item(ln.line, ln.sku, ln.supplier_sku))
        segs.append(("QTY", ("21", number_text(ln.quantity), to_unece(ln.uom))))
        when = ln.need_by if isinstance(ln, OrderLine) else ln.expected_delivery
        if when is not None:
            segs.append(_day(date_code, when))
        if ln.unit_price is not None:
            segs.append(("PRI", ("AAA", number_text(ln.unit_price))))
    segs.append(("UNS", "S"))
    return segs


def _order(msg: PurchaseOrder | CancelOrder, now: datetime) -> list[Segment]:
    cancel = isinstance(msg, CancelOrder)
    if not msg.lines:
        raise ExchangeError(f"order {msg.po_number} has no lines to send")
    segs: list[Segment] = [("BGM", "220", msg.po_number, "1" if cancel else "9"), _dtm("137", msg.created_at or now)]
    if isinstance(msg, CancelOrder) and msg.reason:
        segs.append(("FTX", "AAI", "", "", _free_text(msg.reason)))
    segs.append(("RFF", ("ZZZ", _ref_id(msg.message_id))))
    segs.append(("NAD", "DP", (msg.location_code, "", "92")))
    if msg.lines[0].currency:
        segs.append(("CUX", ("2", msg.lines[0].currency, "9")))
    return segs + _lines_with(msg.lines, "2")


def _supplier_order(msg: SupplierOrder, now: datetime) -> list[Segment]:
    segs: list[Segment] = [
        ("BGM", "220", msg.supplier_order_id, "9"),
        _dtm("137", now),
        ("NAD", "DP", (msg.location_code, "", "92")),
    ]
    return segs + _lines_with(msg.lines, "17")


def _response(msg: OrderAck, now: datetime) -> list[Segment]:
    segs: list[Segment] = [
        ("BGM", "231", msg.po_number or msg.supplier_order_id, _RESPONSE[msg.status]),
        _dtm("137", now),
    ]
    if msg.reason:
        segs.append(("FTX", "AAI", "", "", _free_text(msg.reason)))
    if msg.po_number:
        segs.append(("RFF", ("ON", msg.po_number)))
    if msg.supplier_order_id:
        segs.append(("RFF", ("VN", msg.supplier_order_id)))
    for ln in msg.lines:
        segs.append(("LIN", str(ln.line), _LINE_ACTION[msg.status]))
        segs.append(("QTY", ("113", number_text(ln.quantity))))
        if ln.expected_delivery is not None:
            segs.append(_day("17", ln.expected_delivery))
    segs.append(("UNS", "S"))
    return segs


def _despatch(msg: ShipNotice, now: datetime) -> list[Segment]:
    segs: list[Segment] = [("BGM", "351", msg.shipment_id, "9"), _dtm("137", now)]
    if msg.eta is not None:
        segs.append(_day("17", msg.eta))
    for qualifier, value in (("ON", msg.po_number), ("VN", msg.supplier_order_id), ("CN", msg.tracking)):
        if value:
            segs.append(("RFF", (qualifier, value)))
    if msg.carrier:
        segs.append(("TDT", "20", "", "", "", ("", "", "", msg.carrier)))
    segs.append(("CPS", "1"))
    for ln in msg.lines:
        segs.append(("LIN", str(ln.line), "", (ln.sku, "BP")))
        segs.append(("QTY", ("12", number_text(ln.quantity), to_unece(ln.uom or "EA"))))
    return segs


def _receiving(msg: ReceiptAdvice, now: datetime) -> list[Segment]:
    """RECADV: the receipt in BGM, when it came in, the delivery location; per line LIN, QTY 48 and RFF ON.

    D96A puts the lines in the CPS group (segment group 16): one ``CPS+1`` holds them all.
    """
    if not msg.lines:
        raise ExchangeError(f"receipt {msg.receipt_id} has no lines to send")
    segs: list[Segment] = [
        ("BGM", _GOODS_RECEIPT, msg.receipt_id, "9"),
        _dtm("137", now),
        _dtm(_RECEIVED_AT, msg.received_at),
        ("RFF", ("ZZZ", _ref_id(msg.message_id))),
        ("NAD", "DP", (msg.location_code, "", "92")),
        ("CPS", "1"),
    ]
    for i, ln in enumerate(msg.lines, start=1):
        segs.extend(_item(i, ln.sku, ln.supplier_sku))
        segs.append(("QTY", (_RECEIVED_QTY, number_text(ln.quantity), to_unece(ln.uom))))
        segs.append(("RFF", ("ON", ln.po_number, str(ln.line))))
    return segs


def _contrl(ack: FunctionalAck, party: edifact.Party) -> list[Segment]:
    action = "7" if ack.status == "accepted" else "4"
    segs: list[Segment] = [
        (
            "UCI",
            ack.reference,
            (party.recipient_id, party.recipient_qualifier),
            (party.sender_id, party.sender_qualifier),
            action,
        )
    ]
    for item in ack.items:
        segs.append(("UCM", item.control_number, (item.kind, *edifact.DIRECTORY), "7" if item.accepted else "4"))
    return segs


def encode(message: Message | Sequence[FunctionalAck], party: edifact.Party, reference: int, *, now: datetime) -> bytes:
    """The interchange carrying ``message`` (or the CONTRLs of several acknowledgements)."""
    doc = f"VMI{reference}"
    body: list[tuple[str, Sequence[Segment]]]
    if isinstance(message, StockReport):
        body = [("INVRPT", _stock(message, doc))]
    elif isinstance(message, UsageReport):
        body = [("INVRPT", _usage(message, doc, now))]
    elif isinstance(message, PurchaseOrder | CancelOrder):
        body = [("ORDERS", _order(message, now))]
    elif isinstance(message, ReceiptAdvice):
        body = [("RECADV", _receiving(message, now))]
    elif isinstance(message, SupplierOrder):
        body = [("ORDERS", _supplier_order(message, now))]
    elif isinstance(message, OrderAck):
        body = [("ORDRSP", _response(message, now))]
    elif isinstance(message, ShipNotice):
        body = [("DESADV", _despatch(message, now))]
    else:
        body = [("CONTRL", _contrl(ack, party)) for ack in message]
    return edifact.write(party, reference, body, now=now)


# -- decoding ---------------------------------------------------------------------------------------


def _number(text: str, what: str) -> str:
    return text.replace(",", ".")


def _qty(element: Element, what: str) -> tuple[str, str, str]:
    return text_of(element), _number(text_of(element, 1), what), text_of(element, 2)


def _moment(element: Element, what: str) -> datetime:
    value, fmt = text_of(element, 1), text_of(element, 2)
    patterns = {"204": "%Y%m%d%H%M%S", "203": "%Y%m%d%H%M", "102": "%Y%m%d"}
    try:
        return datetime.strptime(value, patterns[fmt]).replace(tzinfo=UTC)
    except (KeyError, ValueError):
        raise ExchangeError(f"{what} {value[:30]!r} (format {fmt!r}) is not a date we read") from None


def _date(element: Element, what: str) -> date:
    return _moment(element, what).date()


def _groups(segments: Sequence[Segment], tag: str) -> tuple[list[Segment], list[list[Segment]]]:
    """The segments before the first ``tag``, and each ``tag`` with what follows it up to the next."""
    head: list[Segment] = []
    found: list[list[Segment]] = []
    for seg in segments:
        if seg[0] == tag:
            found.append([seg])
        elif found:
            found[-1].append(seg)
        else:
            head.append(seg)
    return head, found


def _first(segments: Sequence[Segment], tag: str, what: str) -> Segment:
    for seg in segments:
        if seg[0] == tag:
            return seg
    raise ExchangeError(f"{what} has no {tag} segment")


def _el(seg: Segment, index: int) -> Element:
    return seg[index] if index < len(seg) else ""


def _refs(segments: Sequence[Segment]) -> dict[str, str]:
    return {text_of(s[1]): text_of(s[1], 1) for s in segments if s[0] == "RFF" and len(s) > 1}


def _location(segments: Sequence[Segment], tag: str, what: str) -> str:
    for seg in segments:
        if seg[0] == tag and len(seg) > 2:
            return text_of(seg[2])
    raise ExchangeError(f"{what} has no {tag} location")


def _sku(lin: Segment) -> str:
    return text_of(_el(lin, 3))


def _supplier_sku(group: Sequence[Segment]) -> str | None:
    for seg in group:
        if seg[0] == "PIA" and len(seg) > 2 and text_of(seg[2], 1) == "SA":
            return text_of(seg[2]) or None
    return None


def _decode_invrpt(m: edifact.Message) -> StockReport | UsageReport:
    head, lines = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "INVRPT")
    message_id = _message_id(_refs(head).get("ZZZ", ""))
    if text_of(_el(bgm, 1), 3) == "USAGE":
        usage: list[UsageLine] = []
        for group in lines:
            location = _location(group, "LOC", f"line {text_of(group[0][1])}")
            pending: str | None = None
            for seg in group[1:]:
                if seg[0] == "QTY" and text_of(seg[1]) == _CONSUMED:
                    pending = _qty(seg[1], "consumed")[1]
                elif seg[0] == "DTM" and pending is not None:
                    usage.append(
                        UsageLine(
                            location, _sku(group[0]), _date(seg[1], "usage date"), parse_decimal(pending, "consumed")
                        )
                    )
                    pending = None
        return UsageReport(message_id, tuple(usage))
    generated = _moment(_first(head, "DTM", "INVRPT")[1], "document date")
    stock: list[StockLine] = []
    for group in lines:
        qty = {code: (value, unit) for code, value, unit in (_qty(s[1], "quantity") for s in group if s[0] == "QTY")}
        as_of = next((_moment(s[1], "stock date") for s in group if s[0] == "DTM"), generated)
        sku = _sku(group[0])

        def q(code: str, what: str, sku: str = sku, qty: dict[str, tuple[str, str]] = qty) -> str:
            if code not in qty:
                raise ExchangeError(f"line {sku} has no QTY {code} ({what})")
            return qty[code][0]

        stock.append(
            StockLine(
                location_code=_location(group, "LOC", f"line {sku}"),
                sku=sku,
                supplier_sku=_supplier_sku(group),
                uom=from_unece(qty.get(_ON_HAND, ("", "EA"))[1] or "EA"),
                on_hand=parse_decimal(q(_ON_HAND, "on hand"), "on hand"),
                on_order=parse_decimal(q(_ON_ORDER, "on order"), "on order"),
                min=parse_decimal(q(_MIN, "min"), "min"),
                max=parse_decimal(q(_MAX, "max"), "max"),
                as_of=as_of,
            )
        )
    mode = "full" if text_of(_el(bgm, 3)) == "9" else "delta"
    return StockReport(message_id, generated, mode, tuple(stock))


def _order_lines(groups: list[list[Segment]], date_code: str, currency: str) -> list[OrderLine]:
    out = []
    for group in groups:
        lin = group[0]
        no = parse_line_number(text_of(_el(lin, 1)))
        qty = next((_qty(s[1], "quantity") for s in group if s[0] == "QTY" and text_of(s[1]) == "21"), None)
        if qty is None:
            raise ExchangeError(f"line {no} has no QTY 21 (ordered quantity)")
        when = next(
            (_date(s[1], f"date of line {no}") for s in group if s[0] == "DTM" and text_of(s[1]) == date_code), None
        )
        price = next((text_of(s[1], 1) for s in group if s[0] == "PRI"), "")
        if not _sku(lin):
            raise ExchangeError(f"line {no} has no item number")
        out.append(
            OrderLine(
                line=no,
                sku=_sku(lin),
                supplier_sku=_supplier_sku(group),
                quantity=parse_decimal(qty[1], f"quantity of line {no}"),
                uom=from_unece(qty[2] or "EA"),
                unit_price=parse_decimal(_number(price, "price"), f"price of line {no}") if price else None,
                currency=currency,
                need_by=when,
            )
        )
    if not out:
        raise ExchangeError("ORDERS has no lines")
    return out


def _strip_uns(groups: list[list[Segment]]) -> list[list[Segment]]:
    return [[s for s in g if s[0] != "UNS"] for g in groups]


def _decode_orders_from_customer(m: edifact.Message) -> PurchaseOrder | CancelOrder:
    head, groups = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "ORDERS")
    currency = next((text_of(s[1], 1) for s in head if s[0] == "CUX"), "")
    lines = tuple(_order_lines(_strip_uns(groups), "2", currency))
    created = _moment(_first(head, "DTM", "ORDERS")[1], "order date")
    message_id = _message_id(_refs(head).get("ZZZ", ""))
    location = _location(head, "NAD", "ORDERS")
    if text_of(_el(bgm, 3)) == "1":
        reason = next(("".join(_el(s, 4)) for s in head if s[0] == "FTX"), "")
        return CancelOrder(message_id, text_of(_el(bgm, 2)), reason, location, created, lines)
    return PurchaseOrder(message_id, text_of(_el(bgm, 2)), location, created, lines)


def _decode_orders_from_supplier(m: edifact.Message) -> SupplierOrder:
    head, groups = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "ORDERS")
    if not text_of(_el(bgm, 2)):
        raise ExchangeError("BGM has no order number")
    lines = tuple(
        SupplierOrderLine(ln.line, ln.sku, ln.supplier_sku, ln.quantity, ln.uom, ln.unit_price, ln.need_by)
        for ln in _order_lines(_strip_uns(groups), "17", "")
    )
    return SupplierOrder(text_of(_el(bgm, 2)), _location(head, "NAD", "ORDERS"), lines)


def _decode_ordrsp(m: edifact.Message) -> OrderAck:
    head, groups = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "ORDRSP")
    status = _RESPONSE_STATUS.get(text_of(_el(bgm, 3)))
    if status is None:
        raise ExchangeError(f"BGM response type {text_of(_el(bgm, 3))!r} is not 29, 4 or 27")
    refs = _refs(head)
    reason = next(("".join(_el(s, 4)) for s in head if s[0] == "FTX"), "")
    lines = []
    for group in _strip_uns(groups):
        no = parse_line_number(text_of(_el(group[0], 1)))
        qty = next((_qty(s[1], "quantity") for s in group if s[0] == "QTY"), None)
        if qty is None:
            raise ExchangeError(f"line {no} has no QTY")
        when = next((_date(s[1], "delivery date") for s in group if s[0] == "DTM"), None)
        lines.append(AckLine(no, parse_decimal(qty[1], f"acknowledged quantity of line {no}"), when))
    if not refs.get("ON") and not refs.get("VN"):
        raise ExchangeError("ORDRSP names no order (RFF ON or VN)")
    return OrderAck(refs.get("ON", ""), refs.get("VN", ""), status, tuple(lines), reason)


def _decode_desadv(m: edifact.Message) -> ShipNotice:
    head, groups = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "DESADV")
    refs = _refs(head)
    eta = next((_date(s[1], "delivery date") for s in head if s[0] == "DTM" and text_of(s[1]) == "17"), None)
    carrier = next((text_of(_el(s, 5), 3) for s in head if s[0] == "TDT"), "")
    lines = []
    for group in groups:
        no = parse_line_number(text_of(_el(group[0], 1)))
        qty = next((_qty(s[1], "quantity") for s in group if s[0] == "QTY"), None)
        if qty is None:
            raise ExchangeError(f"line {no} has no QTY")
        lines.append(
            ShipLine(no, _sku(group[0]), parse_decimal(qty[1], f"shipped quantity of line {no}"), from_unece(qty[2]))
        )
    if not text_of(_el(bgm, 2)):
        raise ExchangeError("BGM has no despatch advice number")
    return ShipNotice(
        text_of(_el(bgm, 2)), refs.get("ON", ""), refs.get("VN", ""), carrier, refs.get("CN", ""), eta, tuple(lines)
    )


def _decode_recadv(m: edifact.Message) -> ReceiptAdvice:
    head, groups = _groups(m.segments, "LIN")
    bgm = _first(head, "BGM", "RECADV")
    if not text_of(_el(bgm, 2)):
        raise ExchangeError("BGM has no receipt number")
    received = next(
        (_moment(s[1], "goods receipt date") for s in head if s[0] == "DTM" and text_of(s[1]) == _RECEIVED_AT), None
    )
    if received is None:
        raise ExchangeError(f"RECADV has no DTM {_RECEIVED_AT} (goods receipt date/time)")
    lines = []
    for group in groups:
        sku = _sku(group[0])
        qty = next((_qty(s[1], "quantity") for s in group if s[0] == "QTY" and text_of(s[1]) == _RECEIVED_QTY), None)
        order = next((s[1] for s in group if s[0] == "RFF" and text_of(s[1]) == "ON"), None)
        if not sku:
            raise ExchangeError(f"line {text_of(_el(group[0], 1))} has no item number")
        if qty is None:
            raise ExchangeError(f"line {sku} has no QTY {_RECEIVED_QTY} (received quantity)")
        if order is None or not text_of(order, 1):
            raise ExchangeError(f"line {sku} has no RFF ON naming the purchase order")
        no = parse_line_number(text_of(order, 2), f"order line of {sku} (RFF ON)")
        lines.append(
            ReceiptLine(
                po_number=text_of(order, 1),
                line=no,
                sku=sku,
                quantity=parse_decimal(qty[1], f"received quantity of line {no}"),
                uom=from_unece(qty[2] or "EA"),
                supplier_sku=_supplier_sku(group),
            )
        )
    if not lines:
        raise ExchangeError("RECADV has no lines")
    message_id = _message_id(_refs(head).get("ZZZ", ""))
    return ReceiptAdvice(message_id, text_of(_el(bgm, 2)), _location(head, "NAD", "RECADV"), received, tuple(lines))


def _decode_contrl(m: edifact.Message) -> FunctionalAck:
    uci = _first(m.segments, "UCI", "CONTRL")
    items = tuple(
        AckedMessage(text_of(_el(s, 2)), text_of(_el(s, 1)), text_of(_el(s, 3)) == "7")
        for s in m.segments
        if s[0] == "UCM"
    )
    action = text_of(_el(uci, 4))
    if action not in ("4", "7", "8"):
        raise ExchangeError(f"UCI action {action!r} is not 4, 7 or 8")
    if action == "4":
        status = "partial" if any(i.accepted for i in items) else "rejected"
    else:
        status = "partial" if any(not i.accepted for i in items) else "accepted"
    return FunctionalAck(text_of(_el(uci, 1)), items[0].kind if items else "", status, items)


_Decoder = Callable[[edifact.Message], Message | FunctionalAck]
_CUSTOMER_READS: dict[str, _Decoder] = {
    "ORDERS": _decode_orders_from_supplier,
    "ORDRSP": _decode_ordrsp,
    "DESADV": _decode_desadv,
    "CONTRL": _decode_contrl,
}
_SUPPLIER_READS: dict[str, _Decoder] = {
    "INVRPT": _decode_invrpt,
    "ORDERS": _decode_orders_from_customer,
    "RECADV": _decode_recadv,
    "CONTRL": _decode_contrl,
}


def decode(data: bytes, *, side: str = "customer") -> Received:
    """Read an interchange and decode each message as ``side`` (``customer`` or ``supplier``) receives it."""
    interchange = edifact.read(data)
    readers = _CUSTOMER_READS if side == "customer" else _SUPPLIER_READS
    ref = interchange.reference
    messages = []
    for m in interchange.messages:
        reader = readers.get(m.type)
        if reader is None:
            messages.append(ReceivedMessage(m.type, m.reference, None, f"message type {m.type} is not exchanged", ref))
            continue
        if m.type != "CONTRL" and m.version[:2] != edifact.DIRECTORY[:2]:
            messages.append(
                ReceivedMessage(m.type, m.reference, None, f"{m.type} version {':'.join(m.version)} is not D:96A", ref)
            )
            continue
        try:
            body = reader(m)
        except ExchangeError as exc:
            messages.append(ReceivedMessage(m.type, m.reference, None, f"message {m.reference}: {exc}", ref))
        else:
            messages.append(ReceivedMessage(m.type, m.reference, body, "", ref))
    functional = interchange.messages[0].type if interchange.messages else ""
    return Received("edifact", interchange.sender, interchange.recipient, ref, tuple(messages), ((functional, ref),))
