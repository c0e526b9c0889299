"""The X12, EDIFACT and CSV codecs: every message kind round-trips, and every reader only ever refuses."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit import exchange_strategies as gen
from tests.unit.edi_validators import validate_edifact, validate_x12
from vmi_desktop.exchange import csvx, edifact, edifact_messages, x12, x12_sets
from vmi_desktop.exchange.errors import ExchangeError
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
    ShipLine,
    ShipNotice,
    StockLine,
    StockReport,
    SupplierOrder,
    SupplierOrderLine,
    UsageLine,
    UsageReport,
)

NOW = datetime(2026, 11, 25, 8, 30, 15, tzinfo=UTC)
X12_PARTNER = x12.Partner("ZZ", "VMIDESKTOP", "ZZ", "NORDBR", "VMIDESKTOP", "NORDBR")
EDIFACT_PARTY = edifact.Party("VMIDESKTOP", "ZZZ", "EUSEAL", "ZZZ")
D = Decimal

Codec = tuple[Callable[[Any, bool], bytes], Callable[[bytes, str], Received]]


def _x12_encode(message: Any, from_supplier: bool) -> bytes:
    partner = X12_PARTNER.reverse() if from_supplier else X12_PARTNER
    return x12_sets.encode(message, partner, 4711, now=NOW)


def _edifact_encode(message: Any, from_supplier: bool) -> bytes:
    party = EDIFACT_PARTY.reverse() if from_supplier else EDIFACT_PARTY
    return edifact_messages.encode(message, party, 4711, now=NOW)


def _csv_encode(message: Any, from_supplier: bool) -> bytes:
    return csvx.encode(message[0] if isinstance(message, list) else message, 4711)


CODECS: dict[str, Codec] = {
    "x12": (_x12_encode, lambda data, side: x12_sets.decode(data, side=side)),
    "edifact": (_edifact_encode, lambda data, side: edifact_messages.decode(data, side=side)),
    "csv": (_csv_encode, lambda data, side: csvx.decode(data, side=side)),
}


def _bodies(received: Received) -> list[Any]:
    assert all(not m.error for m in received.messages), [m.error for m in received.messages]
    bodies = [m.body for m in received.messages]
    if bodies and all(isinstance(b, UsageReport) for b in bodies):  # X12 sends one 852 per location
        first = bodies[0]
        assert isinstance(first, UsageReport)
        return [
            UsageReport(first.message_id, tuple(ln for b in bodies if isinstance(b, UsageReport) for ln in b.lines))
        ]
    return bodies


def _expected(codec: str, message: Any) -> Any:
    if codec == "csv" and isinstance(message, CancelOrder):  # a CSV cancel names the order, not its lines
        return CancelOrder(message.message_id, message.po_number, message.reason)
    return message


def _round_trip(codec: str, message: Any, *, from_supplier: bool) -> None:
    encode, decode = CODECS[codec]
    data = encode(message, from_supplier)
    received = decode(data, "customer" if from_supplier else "supplier")
    assert _bodies(received) == [_expected(codec, message)]


OUTBOUND = {
    "stock report": gen.stock_reports,
    "usage": gen.usage_reports,
    "purchase order": gen.purchase_orders,
    "cancel": gen.cancels,
    "receipt": gen.receipts,
}
INBOUND = {
    "supplier order": gen.supplier_orders,
    "acknowledgement": gen.order_acks,
    "ship notice": gen.ship_notices,
}
_PROPERTY = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("kind", OUTBOUND)
def test_every_outbound_message_reads_back_as_the_supplier_receives_it(codec: str, kind: str) -> None:
    @_PROPERTY
    @given(OUTBOUND[kind])
    def check(message: Any) -> None:
        _round_trip(codec, message, from_supplier=False)

    check()


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("kind", INBOUND)
def test_every_inbound_message_reads_back_as_the_customer_receives_it(codec: str, kind: str) -> None:
    @_PROPERTY
    @given(INBOUND[kind])
    def check(message: Any) -> None:
        _round_trip(codec, message, from_supplier=True)

    check()


@pytest.mark.parametrize("codec", ["x12", "edifact"])
def test_functional_acknowledgements_read_back_both_ways(codec: str) -> None:
    acks = [
        FunctionalAck("17", "IB" if codec == "x12" else "INVRPT", "accepted", (AckedMessage("846", "0001", True),)),
        FunctionalAck(
            "18",
            "PO" if codec == "x12" else "ORDERS",
            "partial",
            (AckedMessage("850", "0001", True), AckedMessage("850", "0002", False)),
        ),
    ]
    if codec == "edifact":
        acks = [
            replace(
                a, items=tuple(replace(i, kind=a.functional_id, control_number=i.control_number[-1]) for i in a.items)
            )
            for a in acks
        ]
    encode, decode = CODECS[codec]
    for from_supplier in (False, True):
        received = decode(encode(acks, from_supplier), "customer" if from_supplier else "supplier")
        assert _bodies(received) == acks


def test_csv_acknowledgement_reads_back() -> None:
    ack = FunctionalAck("000000012", "stock_report", "rejected", (), "row 3, column on_hand: 'x' is not a number")
    assert _bodies(csvx.decode(csvx.encode(ack, 99), side="customer")) == [ack]


# -- fixed examples: what the implementation guide shows, validated by the grammars ------------------------

STOCK = StockReport(
    "4f1c2d3e-0000-4111-8222-333344445555",
    NOW,
    "full",
    (
        StockLine("WH-NORTH", "P-1002", "NB-6204", "EA", D(5), D(12), D(10), D(50), NOW),
        StockLine("VAN-07", "P-2001", None, "L", D("1.5"), D(0), D(1), D(3), NOW),
    ),
)
USAGE = UsageReport(
    "5f1c2d3e-0000-4111-8222-333344445555",
    (
        UsageLine("VAN-07", "P-2001", date(2026, 11, 23), D("0.5")),
        UsageLine("WH-NORTH", "P-1002", date(2026, 11, 23), D(3)),
        UsageLine("WH-NORTH", "P-1002", date(2026, 11, 24), D(1)),
    ),
)
ORDER_LINE = OrderLine(1, "P-1002", "NB-6204", D(40), "EA", D("3.1"), "EUR", date(2026, 12, 2))
ORDER = PurchaseOrder("6f1c2d3e-0000-4111-8222-333344445555", "PO-000123", "WH-NORTH", NOW, (ORDER_LINE,))
CANCEL = CancelOrder(
    "7f1c2d3e-0000-4111-8222-333344445555", "PO-000123", "ordered by mistake", "WH-NORTH", NOW, (ORDER_LINE,)
)
RECEIPT = ReceiptAdvice(
    "8f1c2d3e-0000-4111-8222-333344445555",
    "GR-000031",
    "WH-NORTH",
    datetime(2026, 11, 24, 16, 5, 0, tzinfo=UTC),
    (
        ReceiptLine("PO-000123", 1, "P-1002", D(30), "EA", "NB-6204"),
        ReceiptLine("PO-000123", 2, "P-2001", D("1.5"), "L"),
    ),
)
SUPPLIER_ORDER = SupplierOrder(
    "SO-000042", "WH-NORTH", (SupplierOrderLine(1, "P-1002", "NB-6204", D(40), "EA", D("3.1"), date(2026, 12, 2)),)
)
ACK = OrderAck("PO-000123", "", "changed", (AckLine(1, D(30), date(2026, 12, 3)),), "only 30 in stock")
SHIPMENT = ShipNotice(
    "SH-000007", "PO-000123", "", "DHL", "TRK123", date(2026, 12, 3), (ShipLine(1, "P-1002", D(30), "EA"),)
)
EXAMPLES: list[csvx.Message] = [STOCK, USAGE, ORDER, CANCEL, RECEIPT, SUPPLIER_ORDER, ACK, SHIPMENT]
FROM_SUPPLIER = (SupplierOrder, OrderAck, ShipNotice)
ACKS = [FunctionalAck("4711", "IB", "partial", (AckedMessage("846", "0001", True), AckedMessage("846", "0002", False)))]


@pytest.mark.parametrize("message", [*EXAMPLES, ACKS], ids=lambda m: type(m).__name__)
def test_generated_x12_validates_against_the_004010_grammar(message: Any) -> None:
    data = _x12_encode(message, isinstance(message, FROM_SUPPLIER))
    assert validate_x12(data) == []


@pytest.mark.parametrize("message", [*EXAMPLES, ACKS], ids=lambda m: type(m).__name__)
def test_generated_edifact_validates_against_the_d96a_grammar(message: Any) -> None:
    if isinstance(message, list):
        message = [replace(message[0], functional_id="INVRPT", items=(AckedMessage("INVRPT", "1", False),))]
    data = _edifact_encode(message, isinstance(message, FROM_SUPPLIER))
    assert validate_edifact(data) == []


def test_the_validators_do_find_errors() -> None:
    good_x12 = _x12_encode(ORDER, False).decode()
    assert validate_x12(good_x12.replace("BEG*00*SA*PO-000123**20261125~\n", "").encode()) != []
    assert validate_x12(good_x12.replace("PO1*1*40*", "PO1*1*4O*").encode()) != []
    stock = _edifact_encode(STOCK, False).decode("latin-1")
    assert validate_edifact(stock.replace("QTY+17:5:EA'", "QTY+17:five:EA'").encode("latin-1")) != []
    assert validate_edifact(stock.replace("BGM+35:::STOCK+VMI4711+9'\n", "").encode("latin-1")) != []
    order = _edifact_encode(ORDER, False).decode("latin-1")
    assert validate_edifact(order.replace("BGM+220+PO-000123+9'\n", "").encode("latin-1")) != []


def test_the_validators_check_receipts_and_the_order_of_segments_within_a_loop() -> None:
    recadv = _edifact_encode(RECEIPT, False).decode("latin-1")
    no_party = recadv.replace("NAD+DP+WH-NORTH::92'\n", "").replace("UNT+15+1'", "UNT+14+1'")
    assert no_party != recadv and validate_edifact(no_party.encode("latin-1")) != []  # NAD is mandatory
    swapped = recadv.replace("QTY+48:30:EA'\nRFF+ON:PO-000123:1'", "RFF+ON:PO-000123:1'\nQTY+48:30:EA'")
    assert swapped != recadv
    assert validate_edifact(swapped.encode("latin-1")) == ["RECADV: segment QTY (number 10) is not allowed there"]
    receipt = _x12_encode(RECEIPT, False).decode()
    assert validate_x12(receipt.replace("RCD*1*30*EA~", "RCD*1*3O*EA~").encode()) != []
    undated = receipt.replace("DTM*050*20261124*160500*UT~\n", "").replace("SE*13*0001", "SE*12*0001")
    assert undated != receipt and validate_x12(undated.encode()) != []  # DTM is mandatory in an 861
    lin_last = receipt.replace(
        "LIN**BP*P-1002*VP*NB-6204~\nPRF*PO-000123~", "PRF*PO-000123~\nLIN**BP*P-1002*VP*NB-6204~"
    )
    assert lin_last != receipt
    assert validate_x12(lin_last.encode()) == ["861: segment LIN (number 8) is not allowed there"]


def test_the_guide_s_receipt_segments_are_what_we_write() -> None:
    receipt = _x12_encode(RECEIPT, False).decode()
    for segment in (
        "GS*RC*",
        "ST*861*0001~",
        "BRA*GR-000031*20261125*00*1*083015~",
        "DTM*050*20261124*160500*UT~",
        "N1*ST**92*WH-NORTH~",
        "RCD*1*30*EA~\nLIN**BP*P-1002*VP*NB-6204~\nPRF*PO-000123~",
        "RCD*2*1.5*LT~\nLIN**BP*P-2001~\nPRF*PO-000123~",
        "CTT*2~",
    ):
        assert segment in receipt
    recadv = _edifact_encode(RECEIPT, False).decode("latin-1")
    for segment in (
        "UNH+1+RECADV:D:96A:UN'",
        "BGM+632+GR-000031+9'",
        "DTM+50:20261124160500:204'",
        "NAD+DP+WH-NORTH::92'\nCPS+1'",
        "LIN+1++P-1002:BP'\nPIA+1+NB-6204:SA'\nQTY+48:30:EA'\nRFF+ON:PO-000123:1'",
        "LIN+2++P-2001:BP'\nQTY+48:1.5:LTR'\nRFF+ON:PO-000123:2'",
    ):
        assert segment in recadv


@pytest.mark.parametrize(
    ("codec", "damage", "reason"),
    [
        ("x12", lambda t: t.replace("PRF*PO-000123~\nRCD*2", "REF*PO*PO-000123~\nRCD*2"), "no PRF"),
        ("x12", lambda t: t.replace("DTM*050*", "DTM*011*"), "no DTM\\*050"),
        ("edifact", lambda t: t.replace("RFF+ON:PO-000123:2'", "RFF+ON:PO-000123'"), "order line of P-2001"),
        ("edifact", lambda t: t.replace("QTY+48:1.5", "QTY+12:1.5"), "no QTY 48"),
        ("csv", lambda t: t.replace(",PO-000123,2,", ",,2,"), "row 3, column po_number: missing"),
    ],
)
def test_an_unreadable_receipt_is_refused_with_the_reason(
    codec: str, damage: Callable[[str], str], reason: str
) -> None:
    encode, decode = CODECS[codec]
    text = encode(RECEIPT, False).decode("latin-1")
    damaged = damage(text)
    assert damaged != text
    try:
        received = decode(damaged.encode("latin-1"), "supplier")
    except ExchangeError as exc:  # a CSV file is one message: refused whole
        assert re.search(reason, str(exc)), exc
    else:
        assert len(received.messages) == 1 and received.messages[0].body is None
        assert re.search(reason, received.messages[0].error), received.messages[0].error


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(gen.stock_reports, gen.purchase_orders, gen.cancels, gen.receipts))
def test_generated_x12_validates_for_any_outbound_message(message: Any) -> None:
    def plain(text: str) -> str:
        return "".join(c if c.isalnum() or c in "-." else "A" for c in text)

    if isinstance(message, StockReport):
        message = replace(
            message, lines=tuple(replace(ln, sku=plain(ln.sku), supplier_sku=None) for ln in message.lines)
        )
    else:
        message = replace(
            message, lines=tuple(replace(ln, sku=plain(ln.sku), supplier_sku=None) for ln in message.lines)
        )
    assert validate_x12(_x12_encode(message, False)) == []


def test_a_received_quantity_an_861_cannot_carry_is_refused_with_the_reason() -> None:
    big = replace(RECEIPT, lines=(replace(RECEIPT.lines[0], quantity=D("1234567.891")),))
    with pytest.raises(ExchangeError, match=r"1234567\.891 of P-1002 .* more than 9 digits"):
        _x12_encode(big, False)
    assert _bodies(edifact_messages.decode(_edifact_encode(big, False), side="supplier")) == [big]


# -- envelopes ---------------------------------------------------------------------------------------


def test_x12_delimiters_are_read_from_the_isa_segment() -> None:
    data = _x12_encode(ORDER, False).decode()
    other = data.replace("*", "|").replace("~", "!").replace("|>!", "|^!")
    received = x12_sets.decode(other.encode(), side="supplier")
    assert _bodies(received) == [ORDER]


def test_x12_data_containing_the_usual_separators_picks_others() -> None:
    tricky = replace(ORDER, po_number="PO*1~2", lines=(replace(ORDER_LINE, sku="P>1*2"),))
    data = _x12_encode(tricky, False)
    assert data[3:4] != b"*"
    assert _bodies(x12_sets.decode(data, side="supplier")) == [tricky]


def test_x12_interchange_and_group_carry_the_control_number() -> None:
    interchange = x12.read(_x12_encode(STOCK, False))
    assert interchange.control_number == "000004711"
    assert interchange.groups[0].control_number == "4711"
    assert (interchange.sender_id, interchange.receiver_id) == ("VMIDESKTOP", "NORDBR")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: t[: t.index("GE*")], "without its GE"),
        (lambda t: t[: t.index("IEA")], "without its IEA"),
        (lambda t: t[:-30], "truncated"),
        (lambda t: t.replace("SE*10*0001", "SE*9*0001"), "counts 9 segments"),
        (lambda t: t.replace("IEA*1*000004711", "IEA*1*000004712"), "IEA control number"),
        (lambda t: "GS" + t, "does not start with ISA"),
    ],
)
def test_damaged_x12_envelopes_are_refused_with_the_reason(damage: Callable[[str], str], reason: str) -> None:
    text = _x12_encode(ORDER, False).decode()
    with pytest.raises(ExchangeError, match=reason):
        x12_sets.decode(damage(text).encode(), side="supplier")


def test_an_unreadable_x12_set_is_kept_with_its_reason_and_the_next_set_still_reads() -> None:
    two = x12_sets.encode(USAGE, X12_PARTNER, 5, now=NOW).decode()
    broken = two.replace("ZA*QS*0.5*", "ZA*QS*half*")
    received = x12_sets.decode(broken.encode(), side="supplier")
    assert [bool(m.error) for m in received.messages] == [True, False]
    assert "not a number" in received.messages[0].error
    ack = received.acknowledgements()[0]
    assert ack.status == "partial" and ack.rejected == ("0001",)


def test_edifact_release_character_escapes_separators_in_data() -> None:
    tricky = replace(ORDER, po_number="PO'1+2:3?4", lines=(replace(ORDER_LINE, sku="P?+1", supplier_sku="A:B'"),))
    data = _edifact_encode(tricky, False)
    assert b"PO?'1?+2?:3??4" in data
    assert _bodies(edifact_messages.decode(data, side="supplier")) == [tricky]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: t[: t.index("UNZ")], "without its UNZ"),
        (lambda t: t[:-12], "truncated"),
        (lambda t: t.replace("UNT+13+1'", "UNT+12+1'"), "counts 12 segments"),
        (lambda t: t.replace("UNZ+1+4711'", "UNZ+1+4712'"), "UNZ reference"),
        (lambda t: "XYZ" + t[3:], "does not start with UNA or UNB"),
    ],
)
def test_damaged_edifact_envelopes_are_refused_with_the_reason(damage: Callable[[str], str], reason: str) -> None:
    text = _edifact_encode(ORDER, False).decode("latin-1")
    with pytest.raises(ExchangeError, match=reason):
        edifact_messages.decode(damage(text).encode("latin-1"), side="supplier")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda t: t.replace(",40,", ",forty,"), "row 2, column quantity"),
        (lambda t: t.replace("purchase_order,", "price_list,"), "is not one of"),
        (lambda t: t.split("\n")[0], "no data rows"),
        (lambda t: t.replace("message_type,file_id", "type,file_id"), "no message_type"),
        (lambda t: t + "purchase_order,4712\n", "cells"),
    ],
)
def test_damaged_csv_files_are_refused_naming_row_and_column(damage: Callable[[str], str], reason: str) -> None:
    text = csvx.encode(ORDER, 4711).decode()
    with pytest.raises(ExchangeError, match=reason):
        csvx.decode(damage(text).encode(), side="supplier")


def test_a_side_refuses_a_csv_file_it_is_not_sent() -> None:
    with pytest.raises(ExchangeError, match="not sent to this side"):
        csvx.decode(csvx.encode(ORDER, 1), side="customer")


# -- fuzzing: any bytes end as parsed or refused with a reason --------------------------------------

SAMPLES = {
    "x12": [_x12_encode(m, isinstance(m, FROM_SUPPLIER)) for m in EXAMPLES],
    "edifact": [_edifact_encode(m, isinstance(m, FROM_SUPPLIER)) for m in EXAMPLES],
    "csv": [csvx.encode(m, 1) for m in EXAMPLES],
}


@st.composite
def _mutated(draw: st.DrawFn, codec: str) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES[codec])))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "duplicate"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 20))]
        elif op == "insert":
            data[at:at] = draw(
                st.binary(min_size=1, max_size=8) | st.sampled_from([b"*", b"~", b"'", b"+", b"?", b",", b'"'])
            )
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 60))]
    return bytes(data)


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("side", ["customer", "supplier"])
def test_any_bytes_are_parsed_or_refused_never_a_crash(codec: str, side: str) -> None:
    decode = CODECS[codec][1]

    @settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=300) | _mutated(codec))
    def check(data: bytes) -> None:
        try:
            received = decode(data, side)
        except ExchangeError as exc:
            assert str(exc)
        else:
            for m in received.messages:
                assert m.body is not None or m.error

    check()
