"""``vmi-desktop orders``: list, show, approve, reject, cancel, send and receive purchase orders."""

from __future__ import annotations

import argparse
from decimal import Decimal

from sqlalchemy import select

from vmi_desktop.cli._common import open_db_as_user, vendor_id_of
from vmi_desktop.cli._types import limit
from vmi_desktop.cli.metrics import plain, print_table
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import Location, POStatus, Sku, Vendor
from vmi_desktop.quantities import to_decimal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("orders", help="list and decide purchase orders, receive goods")
    sub = parser.add_subparsers(dest="orders_command", required=True)
    p = sub.add_parser("list", help="orders, newest first")
    p.add_argument("--status", action="append", choices=[s.value for s in POStatus])
    p.add_argument("--vendor", help="vendor code")
    p.add_argument("--limit", type=limit, default=100)
    p.set_defaults(handler=run)
    for name, help_text in (
        ("show", "an order with its lines and history"),
        ("approve", "approve a proposal or held supplier order"),
        ("send", "mark a draft as sent"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("po", help="PO number")
        p.set_defaults(handler=run)
    for name in ("reject", "cancel"):
        p = sub.add_parser(name, help=f"{name} an order (a reason is required)")
        p.add_argument("po")
        p.add_argument("--reason", required=True)
        p.set_defaults(handler=run)
    p = sub.add_parser("receive", help="goods in against an order: LINE=QTY ...")
    p.add_argument("po")
    p.add_argument("lines", nargs="+", metavar="LINE=QTY")
    p.set_defaults(handler=run)


def _parse_lines(items: list[str]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for item in items:
        line, sep, qty = item.partition("=")
        if not sep or not line.strip().isdigit() or int(line) < 1:
            raise ValidationError(f"expected LINE=QTY with a line number from 1, got {item!r}")
        out[int(line)] = to_decimal(qty, what=f"quantity of line {line}")
    return out


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.replenishment import orders

    db, actor = open_db_as_user(args)
    cmd = args.orders_command
    with db.transaction() as session:
        if cmd == "list":
            vendor_id = vendor_id_of(session, args.vendor)
            found = orders.list_orders(
                session, actor, statuses=[POStatus(s) for s in args.status or []], vendor_id=vendor_id, limit=args.limit
            )
            vendors = dict(session.execute(select(Vendor.id, Vendor.code)).all())
            locations = dict(session.execute(select(Location.id, Location.code)).all())
            print_table(
                ["po", "vendor", "location", "status", "origin", "lines", "created", "need by"],
                [
                    [
                        po.po_number,
                        vendors.get(po.vendor_id),
                        locations.get(po.location_id),
                        po.status.value,
                        po.origin.value,
                        len(po.lines),
                        po.created_at.strftime("%Y-%m-%d %H:%M"),
                        po.need_by,
                    ]
                    for po in found
                ],
            )
            return 0
        po = orders.find_order(session, actor, args.po)
        if cmd == "show":
            parts = dict(
                session.execute(select(Sku.id, Sku.part_number).where(Sku.id.in_([ln.sku_id for ln in po.lines]))).all()
            )
            print(
                f"{po.po_number}  {po.status.value}  origin {po.origin.value}"
                + (f"  held: {po.hold_reason}" if po.hold_reason else "")
            )
            print_table(
                ["line", "sku", "ordered", "acknowledged", "shipped", "received", "need by", "status"],
                [
                    [
                        ln.line_no,
                        parts.get(ln.sku_id),
                        plain(ln.quantity_ordered),
                        plain(ln.quantity_acknowledged),
                        plain(ln.quantity_shipped),
                        plain(ln.quantity_received),
                        ln.need_by,
                        ln.status.value,
                    ]
                    for ln in po.lines
                ],
            )
            for h in po.history:
                print(
                    f"  {h.changed_at:%Y-%m-%d %H:%M}  {h.from_status or '-'} -> {h.to_status}  by {h.changed_by}"
                    + (f"  ({h.note})" if h.note else "")
                )
            return 0
        po_id = po.id
    if cmd == "approve":
        po = order_commands.approve(db, actor, po_id)
    elif cmd == "reject":
        po = order_commands.reject(db, actor, po_id, args.reason)
    elif cmd == "cancel":
        po = order_commands.cancel(db, actor, po_id, args.reason)
    elif cmd == "send":
        po = order_commands.mark_sent(db, actor, po_id)
    else:
        receipt = order_commands.receive(db, actor, po_id, _parse_lines(args.lines))
        print(f"receipt {receipt.receipt_number} posted")
        with db.transaction() as session:
            po = orders.get_order(session, actor, po_id)
    print(f"{po.po_number} is now {po.status.value.replace('_', ' ')}")
    return 0
