"""``vmi-desktop reorder``: run the reorder evaluation over every SKU x location now."""

from __future__ import annotations

import argparse
import time

from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli._types import limit
from vmi_desktop.cli.metrics import plain, print_table


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("reorder", help="raise orders and alerts for everything at or below min")
    parser.add_argument("--dry-run", action="store_true", help="show what would be raised, write nothing")
    parser.add_argument("--alerts", action="store_true", help="also evaluate every alert cause afterwards")
    parser.add_argument("--limit", type=limit, default=200, help="list at most this many needs (default 200)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.commands.reorder import run_reorder, scheduled_run

    db, actor = open_db_as_user(args)
    started = time.perf_counter()
    alert_run = None
    if args.alerts and not args.dry_run:
        result, alert_run = scheduled_run(db, actor)
    else:
        result = run_reorder(db, actor, dry_run=args.dry_run)
    seconds = time.perf_counter() - started
    if result.needs:
        print_table(
            ["sku", "location", "mode", "on hand", "on order", "min", "max", "order qty"],
            [
                [
                    n.part_number,
                    n.location_code,
                    n.mode.value,
                    plain(n.on_hand),
                    plain(n.on_order),
                    plain(n.min_qty),
                    plain(n.max_qty),
                    plain(n.quantity),
                ]
                for n in result.needs[: args.limit]
            ],
        )
        if len(result.needs) > args.limit:
            print(f"... and {len(result.needs) - args.limit} more")
    verb = "would raise" if args.dry_run else "raised"
    print(
        f"{len(result.needs)} at or below min; {verb} {len(result.orders)} orders ({result.lines} lines) and "
        f"{result.alerts_raised} supplier alerts in {seconds:.2f} s"
        if not args.dry_run
        else f"{len(result.needs)} at or below min (dry run, nothing written) in {seconds:.2f} s"
    )
    if result.orders:
        print("orders: " + ", ".join(result.orders[:50]) + (" ..." if len(result.orders) > 50 else ""))
    if alert_run is not None:
        print(f"alerts: {alert_run.raised} raised, {alert_run.resolved} resolved")
    return 0
