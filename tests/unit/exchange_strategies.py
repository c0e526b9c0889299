"""Hypothesis strategies for the file-exchange messages: ids with delimiter characters, exact decimals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from vmi_desktop.exchange.messages import (
    AckLine,
    CancelOrder,
    OrderAck,
    OrderLine,
    PurchaseOrder,
    ReceiptAdvice,
    ReceiptLine,
    ShipLine,
    ShipNotice,
    StockLine,
    StockReport,
    SupplierOrder,
    SupplierOrderLine,
    UsageLine,
    UsageReport,
)

# Letters, digits and the characters EDI uses as separators or release character: they must survive.
_ALPHABET = "ABCPXZ0129-_./*~>'+:?|é"
ids = st.text(alphabet=_ALPHABET, min_size=2, max_size=12).filter(lambda s: s.strip() == s and s.strip())
free_text = st.text(alphabet=_ALPHABET + " ", min_size=0, max_size=40).map(lambda s: " ".join(s.split()))
#: units whose EDI codes map back to them (PCS and PC share "PC" / "H87")
units = st.sampled_from(["EA", "SET", "L", "KG", "M"])
quantities = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False).map(
    lambda d: d.normalize() if d != 0 else Decimal(0)
)
positive = quantities.filter(lambda d: d > 0)
prices = st.none() | st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False).map(
    lambda d: d.normalize() if d != 0 else Decimal(0)
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)).map(
    lambda m: m.replace(microsecond=0, tzinfo=UTC)
)
message_ids = st.uuids().map(str)

stock_reports = st.builds(
    StockReport,
    message_ids,
    moments,
    st.sampled_from(["full", "delta"]),
    st.lists(
        st.builds(StockLine, ids, ids, st.none() | ids, units, quantities, quantities, quantities, quantities, moments),
        min_size=1,
        max_size=5,
    ).map(tuple),
)
usage_reports = st.builds(
    UsageReport,
    message_ids,
    st.lists(
        st.builds(UsageLine, ids, ids, days, positive),
        min_size=1,
        max_size=6,
        unique_by=lambda u: (u.location_code, u.sku, u.day),
    ).map(lambda lines: tuple(sorted(lines, key=lambda u: (u.location_code, u.sku, u.day)))),
)


def _numbered(lines: list[Any]) -> tuple[Any, ...]:
    return tuple(replace(ln, line=i) for i, ln in enumerate(lines, start=1))


order_lines = st.lists(
    st.builds(OrderLine, st.just(0), ids, st.none() | ids, positive, units, prices, st.just("EUR"), st.none() | days),
    min_size=1,
    max_size=4,
).map(_numbered)
purchase_orders = st.builds(PurchaseOrder, message_ids, ids, ids, moments, order_lines)
cancels = st.builds(CancelOrder, message_ids, ids, free_text, ids, moments, order_lines)
#: received quantities an 861 can carry (RCD02 has at most nine digits)
received = st.decimals(min_value=Decimal("0.001"), max_value=999_999, places=3).map(lambda d: d.normalize())
receipts = st.builds(
    ReceiptAdvice,
    message_ids,
    ids,
    ids,
    moments,
    st.lists(
        st.builds(ReceiptLine, ids, st.just(0), ids, received, units, st.none() | ids), min_size=1, max_size=4
    ).map(_numbered),
)
supplier_orders = st.builds(
    SupplierOrder,
    ids,
    ids,
    st.lists(
        st.builds(SupplierOrderLine, st.just(0), ids, st.none() | ids, positive, units, prices, st.none() | days),
        min_size=1,
        max_size=4,
    ).map(_numbered),
)
_ack_lines = st.lists(st.builds(AckLine, st.just(0), quantities, st.none() | days), max_size=4).map(_numbered)
order_acks = st.one_of(
    st.builds(OrderAck, ids, st.just(""), st.sampled_from(["accepted", "changed", "rejected"]), _ack_lines, free_text),
    st.builds(OrderAck, st.just(""), ids, st.sampled_from(["accepted", "changed", "rejected"]), _ack_lines, free_text),
    st.builds(OrderAck, ids, ids, st.sampled_from(["accepted", "changed", "rejected"]), _ack_lines, free_text),
).filter(lambda a: a.po_number != a.supplier_order_id)
ship_notices = st.builds(
    ShipNotice,
    ids,
    ids,
    st.just("") | ids,
    st.just("") | ids,
    st.just("") | ids,
    st.none() | days,
    st.lists(st.builds(ShipLine, st.just(0), ids, positive, units), min_size=1, max_size=4).map(_numbered),
).filter(lambda s: s.po_number != s.supplier_order_id)
