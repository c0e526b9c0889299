"""``vmi-desktop exchange-partner``: the reference file partner on an exchange folder (demos and tests)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vmi_desktop.cli._types import bounded_float


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "exchange-partner",
        help="play a supplier's side of an exchange folder (answers orders, sends 997/CONTRL)",
        description="Picks up FOLDER/outbound, answers into FOLDER/inbound with the reference supplier's rules.",
    )
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="the vendor's exchange folder")
    parser.add_argument("--standard", choices=["x12", "edifact", "csv"], required=True)
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.add_argument("--interval", type=bounded_float(0.2, 3600.0), default=5.0, help="seconds between passes")
    parser.add_argument("--vendor-id", default="PARTNER", help="the supplier's EDI id (the vendor's partner id)")
    parser.add_argument("--customer-id", default="VMIDESKTOP", help="our EDI id at the supplier")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.exchange import partner

    return partner.main(
        args.folder,
        args.standard,
        once=args.once,
        interval=args.interval,
        vendor_id=args.vendor_id,
        customer_id=args.customer_id,
    )
