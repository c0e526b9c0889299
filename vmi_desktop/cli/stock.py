"""``vmi-desktop stock``: post ledger entries and read levels without a window."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli._types import plain_decimal
from vmi_desktop.commands import stock
from vmi_desktop.models import Location, Sku, StockLevel
from vmi_desktop.quantities import fmt
from vmi_desktop.scope import pair_filter


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("stock", help="post consumption, receipts, adjustments, transfers, counts")
    sub = parser.add_subparsers(dest="stock_command", required=True)
    for name, help_text in (
        ("consume", "parts used"),
        ("receive", "goods in (not against an order)"),
        ("adjust", "correct up or down, with a reason"),
        ("count", "record a cycle count"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("sku")
        p.add_argument("location")
        p.add_argument("quantity", type=plain_decimal)
        p.add_argument("--note", default="", help="a reason for an adjustment, or a note")
        p.set_defaults(handler=run)
    p = sub.add_parser("transfer", help="move stock between locations")
    p.add_argument("sku")
    p.add_argument("from_location")
    p.add_argument("to_location")
    p.add_argument("quantity", type=plain_decimal)
    p.add_argument("--note", default="")
    p.set_defaults(handler=run)
    p = sub.add_parser("show", help="on hand for a SKU (all locations) or a location")
    p.add_argument("--sku")
    p.add_argument("--location")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    db, actor = open_db_as_user(args)
    cmd = args.stock_command
    if cmd == "show":
        with db.transaction() as session:
            stmt = (
                select(Sku.part_number, Location.code, StockLevel.on_hand)
                .join(Sku, Sku.id == StockLevel.sku_id)
                .join(Location, Location.id == StockLevel.location_id)
                .where(pair_filter(actor, StockLevel.sku_id, StockLevel.location_id))
                .order_by(Sku.part_number, Location.code)
                .limit(1000)
            )
            if args.sku:
                stmt = stmt.where(Sku.part_number == args.sku)
            if args.location:
                stmt = stmt.where(Location.code == args.location)
            for part, code, on_hand in session.execute(stmt):
                print(f"{part}\t{code}\t{fmt(on_hand)}")
        return 0
    if cmd == "consume":
        result = stock.consume(db, actor, args.sku, args.location, args.quantity, note=args.note)
    elif cmd == "receive":
        result = stock.receive(db, actor, args.sku, args.location, args.quantity, note=args.note)
    elif cmd == "adjust":
        result = stock.adjust(db, actor, args.sku, args.location, args.quantity, reason=args.note)
    elif cmd == "count":
        result = stock.count(db, actor, args.sku, args.location, args.quantity, note=args.note)
    else:
        result = stock.transfer(
            db, actor, args.sku, args.from_location, args.to_location, args.quantity, note=args.note
        )
    p = result.posting
    print(f"movement {p.movement_id}: {fmt(p.quantity)}, on hand now {fmt(p.on_hand_after)}")
    for number in result.reorder.orders:
        print(f"reorder: {number} raised for this pair")
    return 0
