"""The CSV exchange kind: the same messages as the EDI codecs, one message per UTF-8 CSV file.

For small suppliers whose system exports and imports spreadsheets. Every file starts with a header
row naming its columns (any order; the layouts are in ``docs/file-exchange.md``); every row repeats
``message_type`` and ``file_id`` (the file's number, unique per sender and never reused), and the
message-level columns, with one row per line. Numbers are plain decimals with a dot, dates
``YYYY-MM-DD``, timestamps RFC 3339 in UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from vmi_desktop.exchange.errors import ExchangeError
from vmi_desktop.exchange.fields import number_text, parse_decimal, parse_line_number, text_field
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
    parse_moment,
)
from vmi_desktop.exchange.messages import _opt_date as parse_date  # one date rule for bodies and files

Message = (
    StockReport | UsageReport | PurchaseOrder | CancelOrder | ReceiptAdvice | SupplierOrder | OrderAck | ShipNotice
)

# fmt: off
#: message_type -> (columns in the order we write them, the ones a row must fill)
LAYOUTS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "stock_report": (
        (
            "message_type", "file_id", "message_id", "generated_at", "mode", "location_code", "sku",
            "supplier_sku", "uom", "on_hand", "on_order", "min", "max", "as_of",
        ),
        frozenset({"generated_at", "mode", "location_code", "sku", "uom", "on_hand", "on_order", "min", "max"}),
    ),
    "usage": (
        ("message_type", "file_id", "message_id", "location_code", "sku", "date", "consumed"),
        frozenset({"location_code", "sku", "date", "consumed"}),
    ),
    "purchase_order": (
        (
            "message_type", "file_id", "message_id", "po_number", "location_code", "created_at", "line", "sku",
            "supplier_sku", "quantity", "uom", "unit_price", "currency", "need_by",
        ),
        frozenset({"po_number", "location_code", "created_at", "line", "sku", "quantity"}),
    ),
    "cancel": (
        ("message_type", "file_id", "message_id", "po_number", "reason"),
        frozenset({"po_number"}),
    ),
    "receipt": (
        (
            "message_type", "file_id", "message_id", "receipt_id", "location_code", "received_at", "po_number",
            "line", "sku", "supplier_sku", "quantity", "uom",
        ),
        frozenset({"receipt_id", "location_code", "received_at", "po_number", "line", "sku", "quantity"}),
    ),
    "order_created": (
        (
            "message_type", "file_id", "supplier_order_id", "location_code", "line", "sku", "supplier_sku",
            "quantity", "uom", "unit_price", "expected_delivery",
        ),
        frozenset({"supplier_order_id", "location_code", "line", "sku", "quantity"}),
    ),
    "order_ack": (
        (
            "message_type", "file_id", "po_number", "supplier_order_id", "status", "reason", "line", "quantity",
            "expected_delivery",
        ),
        frozenset({"status"}),
    ),
    "shipment": (
        (
            "message_type", "file_id", "shipment_id", "po_number", "supplier_order_id", "carrier", "tracking",
            "eta", "line", "sku", "quantity", "uom",
        ),
        frozenset({"shipment_id", "line", "quantity"}),
    ),
    "ack": (
        ("message_type", "file_id", "acknowledged_file_id", "acknowledged_type", "status", "reason"),
        frozenset({"acknowledged_file_id", "status"}),
    ),
}
#: Header fields: the same on every row of a file.
_HEADER_FIELDS = {
    "message_id", "generated_at", "mode", "po_number", "location_code", "created_at", "reason",
    "supplier_order_id", "status", "shipment_id", "carrier", "tracking", "eta",
    "acknowledged_file_id", "acknowledged_type", "receipt_id", "received_at",
}
# fmt: on
MAX_ROWS = 100_000


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _opt(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return number_text(value) if not isinstance(value, str | int) else str(value)


def message_type(message: Message | FunctionalAck) -> str:
    """The ``message_type`` a message is written with (also the start of its file name)."""
    return {
        StockReport: "stock_report",
        UsageReport: "usage",
        PurchaseOrder: "purchase_order",
        CancelOrder: "cancel",
        ReceiptAdvice: "receipt",
        SupplierOrder: "order_created",
        OrderAck: "order_ack",
        ShipNotice: "shipment",
        FunctionalAck: "ack",
    }[type(message)]


def _rows(message: Message | FunctionalAck) -> list[dict[str, Any]]:
    if isinstance(message, StockReport):
        head = {"message_id": message.message_id, "generated_at": _stamp(message.generated_at), "mode": message.mode}
        return [
            head
            | {
                "location_code": ln.location_code,
                "sku": ln.sku,
                "supplier_sku": ln.supplier_sku or "",
                "uom": ln.uom,
                "on_hand": number_text(ln.on_hand),
                "on_order": number_text(ln.on_order),
                "min": number_text(ln.min),
                "max": number_text(ln.max),
                "as_of": _stamp(ln.as_of),
            }
            for ln in message.lines
        ]
    if isinstance(message, UsageReport):
        return [
            {
                "message_id": message.message_id,
                "location_code": ln.location_code,
                "sku": ln.sku,
                "date": ln.day.isoformat(),
                "consumed": number_text(ln.consumed),
            }
            for ln in message.lines
        ]
    if isinstance(message, PurchaseOrder):
        head = {
            "message_id": message.message_id,
            "po_number": message.po_number,
            "location_code": message.location_code,
            "created_at": _stamp(message.created_at),
        }
        return [
            head
            | {
                "line": ln.line,
                "sku": ln.sku,
                "supplier_sku": ln.supplier_sku or "",
                "quantity": number_text(ln.quantity),
                "uom": ln.uom,
                "unit_price": _opt(ln.unit_price),
                "currency": ln.currency,
                "need_by": _opt(ln.need_by),
            }
            for ln in message.lines
        ]
    if isinstance(message, CancelOrder):
        return [{"message_id": message.message_id, "po_number": message.po_number, "reason": message.reason}]
    if isinstance(message, ReceiptAdvice):
        head = {
            "message_id": message.message_id,
            "receipt_id": message.receipt_id,
            "location_code": message.location_code,
            "received_at": _stamp(message.received_at),
        }
        return [
            head
            | {
                "po_number": ln.po_number,
                "line": ln.line,
                "sku": ln.sku,
                "supplier_sku": ln.supplier_sku or "",
                "quantity": number_text(ln.quantity),
                "uom": ln.uom,
            }
            for ln in message.lines
        ]
    if isinstance(message, SupplierOrder):
        head = {"supplier_order_id": message.supplier_order_id, "location_code": message.location_code}
        return [
            head
            | {
                "line": ln.line,
                "sku": ln.sku,
                "supplier_sku": ln.supplier_sku or "",
                "quantity": number_text(ln.quantity),
                "uom": ln.uom,
                "unit_price": _opt(ln.unit_price),
                "expected_delivery": _opt(ln.expected_delivery),
            }
            for ln in message.lines
        ]
    if isinstance(message, OrderAck):
        head = {
            "po_number": message.po_number,
            "supplier_order_id": message.supplier_order_id,
            "status": message.status,
            "reason": message.reason,
        }
        lines = [
            head
            | {"line": ln.line, "quantity": number_text(ln.quantity), "expected_delivery": _opt(ln.expected_delivery)}
            for ln in message.lines
        ]
        return lines or [head]
    if isinstance(message, ShipNotice):
        head = {
            "shipment_id": message.shipment_id,
            "po_number": message.po_number,
            "supplier_order_id": message.supplier_order_id,
            "carrier": message.carrier,
            "tracking": message.tracking,
            "eta": _opt(message.eta),
        }
        return [
            head | {"line": ln.line, "sku": ln.sku, "quantity": number_text(ln.quantity), "uom": ln.uom}
            for ln in message.lines
        ]
    return [
        {
            "acknowledged_file_id": message.reference,
            "acknowledged_type": message.functional_id,
            "status": "accepted" if message.status == "accepted" else "rejected",
            "reason": message.note,
        }
    ]


def encode(message: Message | FunctionalAck, file_id: int) -> bytes:
    """The CSV file of one message (``file_id`` is its number, unique per sender)."""
    kind = message_type(message)
    columns = LAYOUTS[kind][0]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    rows = _rows(message)
    if not rows:
        raise ExchangeError(f"nothing to send: the {kind} has no lines")
    for row in rows:
        writer.writerow({"message_type": kind, "file_id": str(file_id)} | row)
    return buffer.getvalue().encode("utf-8")


# -- reading ----------------------------------------------------------------------------------------


class _Rows:
    """The data rows of a file with their spreadsheet row numbers, and checked access to cells."""

    def __init__(self, kind: str, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.kind = kind
        self.rows = rows
        self.required = LAYOUTS[kind][1]

    def cell(self, row: tuple[int, dict[str, str]], column: str) -> str:
        number, values = row
        value = (values.get(column) or "").strip()
        if not value and column in self.required:
            raise ExchangeError(f"row {number}, column {column}: missing")
        return value

    def head(self, column: str) -> str:
        first = self.cell(self.rows[0], column)
        for number, values in self.rows[1:]:
            if (values.get(column) or "").strip() != first:
                raise ExchangeError(f"row {number}, column {column}: differs from row {self.rows[0][0]} ({first!r})")
        return first

    def each(self, parse: Callable[[tuple[int, dict[str, str]]], Any]) -> tuple[Any, ...]:
        out = []
        for row in self.rows:
            try:
                out.append(parse(row))
            except ExchangeError as exc:
                if exc.reason.startswith("row "):
                    raise
                raise ExchangeError(f"row {row[0]}: {exc.reason}") from None
        return tuple(out)


def _table(data: bytes) -> tuple[str, str, _Rows]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExchangeError(f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise ExchangeError("not a CSV file: it contains NUL characters")
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        header = next(reader, None)
        if not header:
            raise ExchangeError("empty file: no header row")
        header = [h.strip() for h in header]
        if "message_type" not in header or "file_id" not in header:
            raise ExchangeError("the header row has no message_type and file_id columns")
        if len(set(header)) != len(header):
            raise ExchangeError("the header row names a column twice")
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise ExchangeError(f"row {reader.line_num}: {len(values)} cells, the header has {len(header)}")
            rows.append((reader.line_num, dict(zip(header, values, strict=True))))
            if len(rows) > MAX_ROWS:
                raise ExchangeError(f"more than {MAX_ROWS} rows in one file")
    except csv.Error as exc:
        raise ExchangeError(f"CSV syntax error: {exc}") from None
    if not rows:
        raise ExchangeError("no data rows after the header")
    kind = rows[0][1]["message_type"].strip()
    if kind not in LAYOUTS:
        raise ExchangeError(f"row {rows[0][0]}: message_type {kind[:30]!r} is not one of {', '.join(LAYOUTS)}")
    missing = [c for c in LAYOUTS[kind][1] if c not in header]
    if missing:
        raise ExchangeError(f"the header row lacks the column(s) {', '.join(sorted(missing))} of a {kind} file")
    table = _Rows(kind, rows)
    table.head("message_type")
    file_id = table.head("file_id")
    if not file_id:
        raise ExchangeError(f"row {rows[0][0]}, column file_id: missing")
    return kind, file_id, table


def _dec(t: _Rows, row: tuple[int, dict[str, str]], column: str) -> Any:
    value = t.cell(row, column)
    try:
        return parse_decimal(value, column) if value else None
    except ExchangeError:
        raise ExchangeError(f"row {row[0]}, column {column}: {value[:30]!r} is not a number") from None


def _date(t: _Rows, row: tuple[int, dict[str, str]], column: str) -> Any:
    value = t.cell(row, column)
    try:
        return parse_date(value, column)
    except ExchangeError:
        raise ExchangeError(f"row {row[0]}, column {column}: {value[:30]!r} is not a YYYY-MM-DD date") from None


def _decode(kind: str, t: _Rows) -> Message | FunctionalAck:
    if kind == "stock_report":
        generated = parse_moment(t.head("generated_at"), "generated_at")
        mode = t.head("mode")
        if mode not in ("full", "delta"):
            raise ExchangeError(f"mode {mode!r} is not full or delta")
        lines = t.each(
            lambda r: StockLine(
                t.cell(r, "location_code"),
                t.cell(r, "sku"),
                t.cell(r, "supplier_sku") or None,
                t.cell(r, "uom"),
                _dec(t, r, "on_hand"),
                _dec(t, r, "on_order"),
                _dec(t, r, "min"),
                _dec(t, r, "max"),
                parse_moment(t.cell(r, "as_of"), "as_of") if t.cell(r, "as_of") else generated,
            )
        )
        return StockReport(t.head("message_id"), generated, mode, lines)
    if kind == "usage":
        lines = t.each(
            lambda r: UsageLine(
                t.cell(r, "location_code"), t.cell(r, "sku"), _date(t, r, "date"), _dec(t, r, "consumed")
            )
        )
        return UsageReport(t.head("message_id"), lines)
    if kind == "purchase_order":
        lines = t.each(
            lambda r: OrderLine(
                parse_line_number(t.cell(r, "line")),
                t.cell(r, "sku"),
                t.cell(r, "supplier_sku") or None,
                _dec(t, r, "quantity"),
                t.cell(r, "uom") or "EA",
                _dec(t, r, "unit_price"),
                t.cell(r, "currency"),
                _date(t, r, "need_by"),
            )
        )
        created = parse_moment(t.head("created_at"), "created_at")
        return PurchaseOrder(t.head("message_id"), t.head("po_number"), t.head("location_code"), created, lines)
    if kind == "cancel":
        return CancelOrder(t.head("message_id"), t.head("po_number"), t.head("reason"))
    if kind == "receipt":
        lines = t.each(
            lambda r: ReceiptLine(
                t.cell(r, "po_number"),
                parse_line_number(t.cell(r, "line")),
                t.cell(r, "sku"),
                _dec(t, r, "quantity"),
                t.cell(r, "uom") or "EA",
                t.cell(r, "supplier_sku") or None,
            )
        )
        received = parse_moment(t.head("received_at"), "received_at")
        return ReceiptAdvice(t.head("message_id"), t.head("receipt_id"), t.head("location_code"), received, lines)
    if kind == "order_created":
        lines = t.each(
            lambda r: SupplierOrderLine(
                parse_line_number(t.cell(r, "line")),
                t.cell(r, "sku"),
                t.cell(r, "supplier_sku") or None,
                _dec(t, r, "quantity"),
                t.cell(r, "uom") or "EA",
                _dec(t, r, "unit_price"),
                _date(t, r, "expected_delivery"),
            )
        )
        return SupplierOrder(
            text_field(t.head("supplier_order_id"), "supplier_order_id"), t.head("location_code"), lines
        )
    if kind == "order_ack":
        status = t.head("status")
        if status not in ("accepted", "changed", "rejected"):
            raise ExchangeError(f"status {status!r} is not accepted, changed or rejected")
        rows = [r for r in t.rows if t.cell(r, "line")]
        acks = _Rows(kind, rows).each(
            lambda r: AckLine(
                parse_line_number(t.cell(r, "line")), _dec(t, r, "quantity"), _date(t, r, "expected_delivery")
            )
        )
        if not t.head("po_number") and not t.head("supplier_order_id"):
            raise ExchangeError("the acknowledgement names no order (po_number or supplier_order_id)")
        return OrderAck(t.head("po_number"), t.head("supplier_order_id"), status, acks, t.head("reason"))
    if kind == "shipment":
        lines = t.each(
            lambda r: ShipLine(
                parse_line_number(t.cell(r, "line")), t.cell(r, "sku"), _dec(t, r, "quantity"), t.cell(r, "uom")
            )
        )
        return ShipNotice(
            t.head("shipment_id"),
            t.head("po_number"),
            t.head("supplier_order_id"),
            t.head("carrier"),
            t.head("tracking"),
            parse_date(t.head("eta"), "eta"),
            lines,
        )
    status = t.head("status")
    if status not in ("accepted", "rejected"):
        raise ExchangeError(f"status {status!r} is not accepted or rejected")
    return FunctionalAck(t.head("acknowledged_file_id"), t.head("acknowledged_type"), status, (), t.head("reason"))


_CUSTOMER_READS = frozenset({"order_created", "order_ack", "shipment", "ack"})
_SUPPLIER_READS = frozenset({"stock_report", "usage", "purchase_order", "cancel", "receipt", "ack"})


def decode(data: bytes, *, side: str = "customer") -> Received:
    """Read one CSV message file as ``side`` receives it.

    A file that is not a readable message of a kind this side receives raises ``ExchangeError``
    naming the row and column (the file is one message: it is rejected whole).
    """
    kind, file_id, table = _table(data)
    allowed = _CUSTOMER_READS if side == "customer" else _SUPPLIER_READS
    if kind not in allowed:
        raise ExchangeError(f"a {kind} file is not sent to this side")
    body = _decode(kind, table)
    message = ReceivedMessage(kind, file_id, body, "", file_id)
    return Received("csv", "", "", file_id, (message,), ((kind, file_id),))


def file_name(message: Message | FunctionalAck, file_id: int) -> str:
    """``<message_type>-<file_id>.csv``."""
    return f"{message_type(message)}-{file_id:09d}.csv"


def acknowledgement(received: Received, *, note: str = "") -> Sequence[FunctionalAck]:
    """The ack file's content for a received file (one per file)."""
    kind = received.messages[0].kind if received.messages else ""
    status = "rejected" if note else "accepted"
    items = tuple(AckedMessage(m.kind, m.control_number, not m.error) for m in received.messages)
    return [FunctionalAck(received.control_number, kind, status, items, note)]
