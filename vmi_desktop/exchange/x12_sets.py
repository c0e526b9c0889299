"""X12 004010 transaction sets of the implementation guide (``docs/file-exchange.md``), both ways.

Customer to supplier: 846 (stock report), 852 (usage, one set per location), 850 (purchase order;
purpose 01 cancels it), 861 (goods received against orders). Supplier to customer: 855
(acknowledgement), 856 (ship notice), 850 (an order the supplier raised). Both ways: 997. ``encode``
gives an interchange's bytes for a message; ``decode`` reads an interchange and decodes each set for
the side reading it, a set that cannot be read becoming a ``ReceivedMessage`` with the reason
instead of stopping the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import groupby

from vmi_desktop.exchange import x12
from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.exchange.fields import (
    ccyymmdd,
    hhmmss,
    number_text,
    parse_ccyymmdd,
    parse_decimal,
    parse_line_number,
    parse_moment,
    parse_optional_ccyymmdd,
    parse_optional_decimal,
)
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
from vmi_desktop.exchange.units import from_x12, to_x12
from vmi_desktop.exchange.x12 import Segment, TransactionSet

FUNCTIONAL_IDS = {"846": "IB", "852": "PD", "850": "PO", "861": "RC", "855": "PR", "856": "SH", "997": "FA"}
_ACK_TYPES = {"accepted": "AD", "changed": "AC", "rejected": "RJ"}
_ACK_STATUS = {"AD": "accepted", "AK": "accepted", "AC": "changed", "RJ": "rejected"}
_LINE_STATUS = {"accepted": "IA", "changed": "IC", "rejected": "IR"}
_ON_HAND, _ON_ORDER, _MIN, _MAX = "17", "63", "MN", "MX"
#: BRA04 (element 962, receiving advice type) "1", as 861s in use carry it; DTM01 (374) "050": received
_RECEIVING_ADVICE, _RECEIVED = "1", "050"
#: RCD02 (quantity units received, element 663) is R1/9: at most nine digits
_RCD_DIGITS = 9
MESSAGE_REF = "MESSAGE ID"

Message = (
    StockReport | UsageReport | PurchaseOrder | CancelOrder | ReceiptAdvice | SupplierOrder | OrderAck | ShipNotice
)


def _el(seg: Segment, index: int) -> str:
    return seg[index] if index < len(seg) else ""


def _moment_segment(qualifier: str, moment: datetime) -> Segment:
    return ("DTM", qualifier, ccyymmdd(moment.date()), hhmmss(moment), "UT")


def _line_ids(sku: str, supplier_sku: str | None) -> tuple[str, ...]:
    return ("BP", sku, "VP", supplier_sku) if supplier_sku else ("BP", sku)


# -- encoding ---------------------------------------------------------------------------------------


def _stock_report(msg: StockReport, reference: str) -> list[tuple[str, list[Segment]]]:
    generated = msg.generated_at
    segs: list[Segment] = [
        ("BIA", "00" if msg.mode == "full" else "04", "DD", reference, ccyymmdd(generated.date()), hhmmss(generated)),
        ("REF", "ZZ", MESSAGE_REF, msg.message_id),
    ]
    for i, ln in enumerate(msg.lines, start=1):
        unit = to_x12(ln.uom)
        segs.append(("LIN", str(i), *_line_ids(ln.sku, ln.supplier_sku)))
        segs.append(_moment_segment("007", ln.as_of))
        for qualifier, value in ((_ON_HAND, ln.on_hand), (_ON_ORDER, ln.on_order), (_MIN, ln.min), (_MAX, ln.max)):
            segs.append(("QTY", qualifier, number_text(value), unit))
        segs.append(("N1", "ST", "", "92", ln.location_code))
    segs.append(("CTT", str(len(msg.lines))))
    return [("846", segs)]


def _usage(msg: UsageReport) -> list[tuple[str, list[Segment]]]:
    sets: list[tuple[str, list[Segment]]] = []
    ordered = sorted(msg.lines, key=lambda ln: (ln.location_code, ln.sku, ln.day))
    for location, rows in groupby(ordered, key=lambda ln: ln.location_code):
        lines = list(rows)
        segs: list[Segment] = [
            ("XQ", "H", ccyymmdd(min(ln.day for ln in lines)), ccyymmdd(max(ln.day for ln in lines))),
            ("N9", "ZZ", MESSAGE_REF, msg.message_id),
            ("N1", "ST", "", "92", location),
        ]
        count = 0
        for sku, per_sku in groupby(lines, key=lambda ln: ln.sku):
            count += 1
            segs.append(("LIN", "", "BP", sku))
            for ln in per_sku:
                segs.append(("ZA", "QS", number_text(ln.consumed), "", "007", ccyymmdd(ln.day)))
        segs.append(("CTT", str(count)))
        sets.append(("852", segs))
    return sets


def _order_lines(lines: Sequence[OrderLine]) -> list[Segment]:
    segs: list[Segment] = []
    for ln in lines:
        price = number_text(ln.unit_price) if ln.unit_price is not None else ""
        segs.append(
            (
                "PO1",
                str(ln.line),
                number_text(ln.quantity),
                to_x12(ln.uom),
                price,
                "",
                *_line_ids(ln.sku, ln.supplier_sku),
            )
        )
        if ln.need_by is not None:
            segs.append(("DTM", "002", ccyymmdd(ln.need_by)))
    segs.append(("CTT", str(len(lines))))
    return segs


def _purchase_order(msg: PurchaseOrder | CancelOrder) -> list[tuple[str, list[Segment]]]:
    cancel = isinstance(msg, CancelOrder)
    if not msg.lines:
        raise ExchangeError(f"order {msg.po_number} has no lines to send")
    created = msg.created_at
    segs: list[Segment] = [
        ("BEG", "01" if cancel else "00", "SA", msg.po_number, "", ccyymmdd(created.date()) if created else "")
    ]
    currency = msg.lines[0].currency
    if currency:
        segs.append(("CUR", "BY", currency))
    segs.append(("REF", "ZZ", MESSAGE_REF, msg.message_id))
    if created is not None:
        segs.append(_moment_segment("097", created))
    if isinstance(msg, CancelOrder) and msg.reason:
        segs.append(("N9", "L1", "CANCELLATION"))
        segs.append(("MSG", _free_text(msg.reason, 264)))
    segs.append(("N1", "ST", "", "92", msg.location_code))
    segs.extend(_order_lines(msg.lines))
    return [("850", segs)]


def _receipt(msg: ReceiptAdvice, now: datetime) -> list[tuple[str, list[Segment]]]:
    """861: BRA (receipt id, the set's date and time), the received moment, the location, an RCD loop per line."""
    if not msg.lines:
        raise ExchangeError(f"receipt {msg.receipt_id} has no lines to send")
    segs: list[Segment] = [
        ("BRA", msg.receipt_id, ccyymmdd(now.date()), "00", _RECEIVING_ADVICE, hhmmss(now)),
        ("REF", "ZZ", MESSAGE_REF, msg.message_id),
        _moment_segment(_RECEIVED, msg.received_at),
        ("N1", "ST", "", "92", msg.location_code),
    ]
    for ln in msg.lines:
        quantity = number_text(ln.quantity)
        if len(quantity.replace(".", "").replace("-", "")) > _RCD_DIGITS:
            raise ExchangeError(
                f"received quantity {quantity} of {ln.sku} (order {ln.po_number} line {ln.line}) has more than "
                f"{_RCD_DIGITS} digits, more than an 861 RCD can carry"
            )
        segs.append(("RCD", str(ln.line), quantity, to_x12(ln.uom)))
        segs.append(("LIN", "", *_line_ids(ln.sku, ln.supplier_sku)))
        segs.append(("PRF", ln.po_number))
    segs.append(("CTT", str(len(msg.lines))))
    return [("861", segs)]


def _free_text(text: str, limit: int) -> str:
    """Free text without line breaks, within the element's length."""
    return " ".join(text.split())[:limit]


def _supplier_order(msg: SupplierOrder, now: datetime) -> list[tuple[str, list[Segment]]]:
    segs: list[Segment] = [
        ("BEG", "00", "SA", msg.supplier_order_id, "", ccyymmdd(now.date())),
        ("N1", "ST", "", "92", msg.location_code),
    ]
    for ln in msg.lines:
        price = number_text(ln.unit_price) if ln.unit_price is not None else ""
        segs.append(
            (
                "PO1",
                str(ln.line),
                number_text(ln.quantity),
                to_x12(ln.uom),
                price,
                "",
                *_line_ids(ln.sku, ln.supplier_sku),
            )
        )
        if ln.expected_delivery is not None:
            segs.append(("DTM", "017", ccyymmdd(ln.expected_delivery)))
    segs.append(("CTT", str(len(msg.lines))))
    return [("850", segs)]


def _order_ack(msg: OrderAck, now: datetime) -> list[tuple[str, list[Segment]]]:
    reference = msg.po_number or msg.supplier_order_id
    segs: list[Segment] = [
        ("BAK", "00", _ACK_TYPES[msg.status], reference, ccyymmdd(now.date()), "", "", "", msg.supplier_order_id)
    ]
    if msg.reason:
        segs.append(("N9", "L1", "REASON"))
        segs.append(("MSG", _free_text(msg.reason, 264)))
    for ln in msg.lines:
        segs.append(("PO1", str(ln.line)))
        when = ("067", ccyymmdd(ln.expected_delivery)) if ln.expected_delivery else ()
        segs.append(("ACK", _LINE_STATUS[msg.status], number_text(ln.quantity), "", *when))
    segs.append(("CTT", str(len(msg.lines))))
    return [("855", segs)]


def _ship_notice(msg: ShipNotice, now: datetime) -> list[tuple[str, list[Segment]]]:
    segs: list[Segment] = [
        ("BSN", "00", msg.shipment_id, ccyymmdd(now.date()), now.strftime("%H%M")),
        ("HL", "1", "", "S"),
    ]
    if msg.carrier:
        segs.append(("TD5", "", "2", msg.carrier))
    if msg.tracking:
        segs.append(("REF", "CN", msg.tracking))
    if msg.eta is not None:
        segs.append(("DTM", "017", ccyymmdd(msg.eta)))
    segs.append(("HL", "2", "1", "O"))
    segs.append(("PRF", msg.po_number or msg.supplier_order_id))
    if msg.supplier_order_id:
        segs.append(("REF", "VN", msg.supplier_order_id))
    hl = 2
    for ln in msg.lines:
        hl += 1
        segs.append(("HL", str(hl), "2", "I"))
        segs.append(("LIN", "", "BP", ln.sku))
        segs.append(("SN1", str(ln.line), number_text(ln.quantity), to_x12(ln.uom or "EA")))
    segs.append(("CTT", str(hl)))
    return [("856", segs)]


def _functional_acks(acks: Sequence[FunctionalAck]) -> list[tuple[str, list[Segment]]]:
    sets: list[tuple[str, list[Segment]]] = []
    for ack in acks:
        segs: list[Segment] = [("AK1", ack.functional_id or "XX", ack.reference)]
        for item in ack.items:
            segs.append(("AK2", item.kind, item.control_number))
            segs.append(("AK5", "A") if item.accepted else ("AK5", "R", "5"))
        code = {"accepted": "A", "partial": "P", "rejected": "R"}[ack.status]
        taken = sum(1 for i in ack.items if i.accepted)
        segs.append(("AK9", code, str(len(ack.items)), str(len(ack.items)), str(taken)))
        sets.append(("997", segs))
    return sets


def encode(
    message: Message | Sequence[FunctionalAck], partner: x12.Partner, control_number: int, *, now: datetime
) -> bytes:
    """The interchange carrying ``message`` (or the 997s of several acknowledgements)."""
    reference = f"VMI{control_number}"
    sets: list[tuple[str, list[Segment]]]
    if isinstance(message, StockReport):
        sets = _stock_report(message, reference)
    elif isinstance(message, UsageReport):
        sets = _usage(message)
    elif isinstance(message, PurchaseOrder | CancelOrder):
        sets = _purchase_order(message)
    elif isinstance(message, ReceiptAdvice):
        sets = _receipt(message, now)
    elif isinstance(message, SupplierOrder):
        sets = _supplier_order(message, now)
    elif isinstance(message, OrderAck):
        sets = _order_ack(message, now)
    elif isinstance(message, ShipNotice):
        sets = _ship_notice(message, now)
    else:
        sets = _functional_acks(list(message))
    if not sets:
        raise ExchangeError("nothing to send: the message has no lines")
    return x12.write(partner, control_number, FUNCTIONAL_IDS[sets[0][0]], sets, now=now)


# -- decoding ---------------------------------------------------------------------------------------


class _Reader:
    """Walks a set's segments; ``want`` names the missing segment when it is not there."""

    def __init__(self, ts: TransactionSet) -> None:
        self.ts = ts

    def first(self, tag: str) -> Segment:
        for seg in self.ts.segments:
            if seg[0] == tag:
                return seg
        raise ExchangeError(f"transaction set {self.ts.code} {self.ts.control_number} has no {tag} segment")

    def loops(self, tag: str) -> list[list[Segment]]:
        """The segments from each ``tag`` up to the next (the loop's body, ``tag`` first)."""
        found: list[list[Segment]] = []
        for seg in self.ts.segments:
            if seg[0] == tag:
                found.append([seg])
            elif found:
                found[-1].append(seg)
        return found

    def message_id(self, tag: str) -> str:
        for seg in self.ts.segments:
            if seg[0] == tag and _el(seg, 1) == "ZZ" and _el(seg, 2) == MESSAGE_REF:
                return _el(seg, 3)
        return ""


def _ids(seg: Segment, start: int) -> dict[str, str]:
    return {seg[i]: _el(seg, i + 1) for i in range(start, len(seg) - 1, 2) if seg[i]}


def _decode_846(ts: TransactionSet) -> StockReport:
    r = _Reader(ts)
    bia = r.first("BIA")
    generated = parse_moment(_el(bia, 4), _el(bia, 5), "BIA date")
    lines = []
    for loop in r.loops("LIN"):
        ids = _ids(loop[0], 2)
        if not ids.get("BP"):
            raise ExchangeError("LIN without the buyer's part number (BP)")
        qty: dict[str, tuple[str, str]] = {}
        as_of = generated
        location = ""
        for seg in loop[1:]:
            if seg[0] == "QTY":
                qty[_el(seg, 1)] = (_el(seg, 2), _el(seg, 3))
            elif seg[0] == "DTM" and _el(seg, 1) == "007":
                as_of = parse_moment(_el(seg, 2), _el(seg, 3), "DTM date")
            elif seg[0] == "N1" and _el(seg, 1) == "ST":
                location = _el(seg, 4)
        if not location:
            raise ExchangeError(f"LIN {ids['BP']} has no N1*ST location")

        def q(code: str, what: str, ids: dict[str, str] = ids, qty: dict[str, tuple[str, str]] = qty) -> str:
            if code not in qty:
                raise ExchangeError(f"LIN {ids['BP']} has no QTY*{code} ({what})")
            return qty[code][0]

        lines.append(
            StockLine(
                location_code=location,
                sku=ids["BP"],
                supplier_sku=ids.get("VP") or None,
                uom=from_x12(qty.get(_ON_HAND, ("", "EA"))[1] or "EA"),
                on_hand=parse_decimal(q(_ON_HAND, "on hand"), "on hand"),
                on_order=parse_decimal(q(_ON_ORDER, "on order"), "on order"),
                min=parse_decimal(q(_MIN, "min"), "min"),
                max=parse_decimal(q(_MAX, "max"), "max"),
                as_of=as_of,
            )
        )
    return StockReport(r.message_id("REF"), generated, "full" if _el(bia, 1) == "00" else "delta", tuple(lines))


def _decode_852(ts: TransactionSet) -> UsageReport:
    r = _Reader(ts)
    location = next((_el(s, 4) for s in ts.segments if s[0] == "N1" and _el(s, 1) == "ST"), "")
    if not location:
        raise ExchangeError(f"852 {ts.control_number} has no N1*ST location")
    lines = []
    for loop in r.loops("LIN"):
        sku = _ids(loop[0], 2).get("BP", "")
        for seg in loop[1:]:
            if seg[0] == "ZA" and _el(seg, 1) == "QS":
                lines.append(
                    UsageLine(
                        location, sku, parse_ccyymmdd(_el(seg, 5), "ZA date"), parse_decimal(_el(seg, 2), "consumed")
                    )
                )
    return UsageReport(r.message_id("N9"), tuple(lines))


def _po_lines(r: _Reader, currency: str, date_code: str) -> list[tuple[OrderLine, str]]:
    out = []
    for loop in r.loops("PO1"):
        po1 = loop[0]
        ids = _ids(po1, 6)
        no = parse_line_number(_el(po1, 1))
        if not ids.get("BP"):
            raise ExchangeError(f"PO1 {no} without the buyer's part number (BP)")
        when = next((_el(s, 2) for s in loop[1:] if s[0] == "DTM" and _el(s, 1) == date_code), "")
        out.append(
            (
                OrderLine(
                    line=no,
                    sku=ids["BP"],
                    supplier_sku=ids.get("VP") or None,
                    quantity=parse_decimal(_el(po1, 2), f"quantity of line {no}"),
                    uom=from_x12(_el(po1, 3) or "EA"),
                    unit_price=parse_optional_decimal(_el(po1, 4), f"unit price of line {no}"),
                    currency=currency,
                    need_by=parse_optional_ccyymmdd(when, f"date of line {no}"),
                ),
                when,
            )
        )
    if not out:
        raise ExchangeError(f"850 {r.ts.control_number} has no PO1 lines")
    return out


def _location(ts: TransactionSet) -> str:
    for seg in ts.segments:
        if seg[0] == "N1" and _el(seg, 1) == "ST":
            return _el(seg, 4)
    raise ExchangeError(f"{ts.code} {ts.control_number} has no N1*ST location")


def _decode_850_from_customer(ts: TransactionSet) -> PurchaseOrder | CancelOrder:
    r = _Reader(ts)
    beg = r.first("BEG")
    currency = next((_el(s, 2) for s in ts.segments if s[0] == "CUR"), "")
    lines = tuple(line for line, _ in _po_lines(r, currency, "002"))
    created = next(
        (parse_moment(_el(s, 2), _el(s, 3), "DTM date") for s in ts.segments if s[0] == "DTM" and _el(s, 1) == "097"),
        parse_moment(_el(beg, 5), "0000", "BEG date"),
    )
    if _el(beg, 1) == "01":
        reason = next((_el(s, 1) for s in ts.segments if s[0] == "MSG"), "")
        return CancelOrder(r.message_id("REF"), _el(beg, 3), reason, _location(ts), created, lines)
    return PurchaseOrder(r.message_id("REF"), _el(beg, 3), _location(ts), created, lines)


def _decode_850_from_supplier(ts: TransactionSet) -> SupplierOrder:
    r = _Reader(ts)
    beg = r.first("BEG")
    if not _el(beg, 3):
        raise ExchangeError("BEG has no order number")
    lines = tuple(
        SupplierOrderLine(
            line=ln.line,
            sku=ln.sku,
            supplier_sku=ln.supplier_sku,
            quantity=ln.quantity,
            uom=ln.uom,
            unit_price=ln.unit_price,
            expected_delivery=ln.need_by,
        )
        for ln, _ in _po_lines(r, "", "017")
    )
    return SupplierOrder(_el(beg, 3), _location(ts), lines)


def _decode_855(ts: TransactionSet) -> OrderAck:
    r = _Reader(ts)
    bak = r.first("BAK")
    status = _ACK_STATUS.get(_el(bak, 2))
    if status is None:
        raise ExchangeError(f"BAK02 {_el(bak, 2)!r} is not AD, AK, AC or RJ")
    supplier_id = _el(bak, 8)
    po_number = _el(bak, 3) if _el(bak, 3) != supplier_id else ""
    reason = next((_el(s, 1) for s in ts.segments if s[0] == "MSG"), "")
    lines = []
    for loop in r.loops("PO1"):
        no = parse_line_number(_el(loop[0], 1))
        ack = next((s for s in loop[1:] if s[0] == "ACK"), None)
        if ack is None:
            raise ExchangeError(f"PO1 {no} has no ACK segment")
        when = _el(ack, 5) if _el(ack, 4) == "067" else ""
        lines.append(
            AckLine(
                no,
                parse_decimal(_el(ack, 2), f"acknowledged quantity of line {no}"),
                parse_optional_ccyymmdd(when, "ACK date"),
            )
        )
    return OrderAck(po_number, supplier_id, status, tuple(lines), reason)


def _decode_856(ts: TransactionSet) -> ShipNotice:
    r = _Reader(ts)
    bsn = r.first("BSN")
    carrier = tracking = po_number = supplier_id = ""
    eta = None
    lines: list[ShipLine] = []
    sku = ""
    for seg in ts.segments:
        tag, q = seg[0], _el(seg, 1)
        if tag == "TD5":
            carrier = _el(seg, 3)
        elif tag == "REF" and q == "CN":
            tracking = _el(seg, 2)
        elif tag == "REF" and q == "VN":
            supplier_id = _el(seg, 2)
        elif tag == "DTM" and q == "017":
            eta = parse_ccyymmdd(_el(seg, 2), "DTM date")
        elif tag == "PRF":
            po_number = q
        elif tag == "LIN":
            sku = _ids(seg, 2).get("BP", "")
        elif tag == "SN1":
            no = parse_line_number(q)
            lines.append(
                ShipLine(no, sku, parse_decimal(_el(seg, 2), f"shipped quantity of line {no}"), from_x12(_el(seg, 3)))
            )
    if po_number == supplier_id:
        po_number = ""
    if not _el(bsn, 2):
        raise ExchangeError("BSN has no shipment id")
    return ShipNotice(_el(bsn, 2), po_number, supplier_id, carrier, tracking, eta, tuple(lines))


def _decode_861(ts: TransactionSet) -> ReceiptAdvice:
    r = _Reader(ts)
    bra = r.first("BRA")
    if not _el(bra, 1):
        raise ExchangeError("BRA has no receipt id")
    received = next(
        (
            parse_moment(_el(s, 2), _el(s, 3), "DTM date")
            for s in ts.segments
            if s[0] == "DTM" and _el(s, 1) == _RECEIVED
        ),
        None,
    )
    if received is None:
        raise ExchangeError(f"861 {ts.control_number} has no DTM*{_RECEIVED} (received) date")
    lines = []
    for loop in r.loops("RCD"):
        rcd = loop[0]
        no = parse_line_number(_el(rcd, 1), "RCD01 order line number")
        ids = next((_ids(s, 2) for s in loop[1:] if s[0] == "LIN"), {})
        po_number = next((_el(s, 1) for s in loop[1:] if s[0] == "PRF"), "")
        if not ids.get("BP"):
            raise ExchangeError(f"RCD {no} has no LIN with the buyer's part number (BP)")
        if not po_number:
            raise ExchangeError(f"RCD {no} has no PRF naming the purchase order")
        lines.append(
            ReceiptLine(
                po_number=po_number,
                line=no,
                sku=ids["BP"],
                quantity=parse_decimal(_el(rcd, 2), f"received quantity of line {no}"),
                uom=from_x12(_el(rcd, 3) or "EA"),
                supplier_sku=ids.get("VP") or None,
            )
        )
    if not lines:
        raise ExchangeError(f"861 {ts.control_number} has no RCD lines")
    return ReceiptAdvice(r.message_id("REF"), _el(bra, 1), _location(ts), received, tuple(lines))


def _decode_997(ts: TransactionSet) -> FunctionalAck:
    r = _Reader(ts)
    ak1 = r.first("AK1")
    ak9 = r.first("AK9")
    items = []
    pending: Segment | None = None
    for seg in ts.segments:
        if seg[0] == "AK2":
            pending = seg
        elif seg[0] == "AK5" and pending is not None:
            items.append(AckedMessage(_el(pending, 1), _el(pending, 2), _el(seg, 1) in ("A", "E")))
            pending = None
    status = {"A": "accepted", "E": "accepted", "P": "partial", "R": "rejected"}.get(_el(ak9, 1))
    if status is None:
        raise ExchangeError(f"AK9 status {_el(ak9, 1)!r} is not A, E, P or R")
    return FunctionalAck(_el(ak1, 2), _el(ak1, 1), status, tuple(items))


_Decoder = Callable[[TransactionSet], Message | FunctionalAck]
_CUSTOMER_READS: dict[str, _Decoder] = {
    "850": _decode_850_from_supplier,
    "855": _decode_855,
    "856": _decode_856,
    "997": _decode_997,
}
_SUPPLIER_READS: dict[str, _Decoder] = {
    "846": _decode_846,
    "852": _decode_852,
    "850": _decode_850_from_customer,
    "861": _decode_861,
    "997": _decode_997,
}


def decode(data: bytes, *, side: str = "customer") -> Received:
    """Read an interchange and decode each set as ``side`` (``customer`` or ``supplier``) receives it.

    The envelope failing raises ``ExchangeError`` (the file is rejected whole); a set failing is kept
    as a ``ReceivedMessage`` with its ``error``, and the sets after it are still decoded.
    """
    interchange = x12.read(data)
    readers = _CUSTOMER_READS if side == "customer" else _SUPPLIER_READS
    messages: list[ReceivedMessage] = []
    groups = []
    for group in interchange.groups:
        number = group.control_number
        for ts in group.sets:
            reader = readers.get(ts.code)
            if reader is None:
                error = f"transaction set {ts.code} is not exchanged"
                messages.append(ReceivedMessage(ts.code, ts.control_number, None, error, number))
                continue
            try:
                body = reader(ts)
            except ExchangeError as exc:
                messages.append(
                    ReceivedMessage(ts.code, ts.control_number, None, f"set {ts.control_number}: {exc}", number)
                )
            else:
                messages.append(ReceivedMessage(ts.code, ts.control_number, body, "", number))
        groups.append((group.functional_id, number))
    return Received(
        "x12",
        interchange.sender_id,
        interchange.receiver_id,
        interchange.control_number,
        tuple(messages),
        tuple(groups),
    )
