"""``vmi-desktop thresholds suggest``: min/max from each pair's demand history, replayed, optionally applied."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from decimal import Decimal
from typing import Any

from vmi_desktop.cli import proposals
from vmi_desktop.cli._common import open_db_as_user
from vmi_desktop.cli._types import bounded_decimal, bounded_int
from vmi_desktop.cli.metrics import plain, print_table

HEADERS = [
    "vendor",
    "sku",
    "location",
    "uom",
    "class",
    "min",
    "max",
    "suggested_min",
    "suggested_max",
    "fill_now",
    "fill_suggested",
    "stockout_days_now",
    "stockout_days_suggested",
    "value_now",
    "value_suggested",
]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "thresholds", help="suggested min/max from demand history; suppliers' proposals decided"
    )
    commands = parser.add_subparsers(dest="thresholds_command", metavar="ACTION", required=True)
    suggest = commands.add_parser(
        "suggest",
        help="suggest min/max at a target fill rate, replayed on each pair's history beside the current ones",
    )
    suggest.add_argument("--vendor", help="only this vendor's agreements (code)")
    suggest.add_argument("--location", help="only agreements at this location (code)")
    suggest.add_argument(
        "--target",
        type=bounded_decimal(Decimal("0.5"), Decimal(1), "target"),
        default=Decimal("0.95"),
        help="unit fill rate to reach (default 0.95)",
    )
    suggest.add_argument(
        "--system", action="store_true", help="reach the target over the selection as a whole, at the least value"
    )
    suggest.add_argument("--review-days", type=bounded_int(1, 365), default=14, help="order cycle in days of demand")
    suggest.add_argument(
        "--keep-cycle", action="store_true", help="keep each agreement's current max - min as its order cycle"
    )
    suggest.add_argument(
        "--history-days", type=bounded_int(28, 3650), default=730, help="days of history to learn from"
    )
    suggest.add_argument("--replay-days", type=bounded_int(1, 3650), default=365, help="last days of history to replay")
    suggest.add_argument("--format", choices=("table", "json", "csv"), default="table")
    suggest.add_argument("--apply", action="store_true", help="apply every suggestion that changes something")
    suggest.set_defaults(handler=run)
    proposals.register(commands)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _money(value: float) -> str:
    return f"{value:.2f}"


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.replenishment.thresholds import ThresholdSetting, apply_suggestions, suggest_thresholds

    db, actor = open_db_as_user(args)
    with db.sessions() as session:
        run_ = suggest_thresholds(
            session,
            actor,
            vendor=args.vendor,
            location=args.location,
            target=float(args.target),
            system_mode=args.system,
            review_days=args.review_days,
            keep_cycle=args.keep_cycle,
            history_days=args.history_days,
            replay_days=min(args.replay_days, args.history_days),
        )
    rows: list[list[Any]] = [
        [
            s.terms.vendor_code,
            s.terms.part_number,
            s.terms.location_code,
            s.terms.uom,
            s.demand_class,
            plain(s.terms.min_qty),
            plain(s.terms.max_qty),
            plain(s.suggested_min),
            plain(s.suggested_max),
            _pct(s.current.fill_rate),
            _pct(s.suggested.fill_rate),
            s.current.stockout_days,
            s.suggested.stockout_days,
            _money(s.current.on_hand_value),
            _money(s.suggested.on_hand_value),
        ]
        for s in run_.suggestions
    ]
    now, new = run_.totals("current"), run_.totals("suggested")
    applied = 0
    if args.apply:
        settings = [
            ThresholdSetting(s.terms.agreement_id, s.terms.version, s.suggested_min, s.suggested_max)
            for s in run_.suggestions
            if s.changes
        ]
        with db.unit_of_work() as uow:
            batch = apply_suggestions(
                uow.session,
                actor,
                settings,
                note=f"target {args.target}{' (system)' if args.system else ''}, cli",
            )
            uow.changes.agreements.update(e.edit_id for e in batch.edits)
        applied = len(batch.edits)
    if args.format == "json":
        payload = {
            "target": str(args.target),
            "system": args.system,
            "history_start": run_.history_start.isoformat(),
            "history_days": run_.history_days,
            "replay_days": run_.replay_days,
            "suggestions": [dict(zip(HEADERS, row, strict=True)) for row in rows],
            "totals": {
                "current": vars(now),
                "suggested": vars(new),
            },
            "applied": applied,
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    if args.format == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(HEADERS)
        writer.writerows(rows)
        return 0
    mode = "aggregate over the selection" if args.system else "per pair"
    cycle = "the current max - min" if args.keep_cycle else f"{args.review_days} days of demand"
    print(
        f"suggested thresholds at fill rate {args.target} ({mode}), max - min = {cycle}; history "
        f"{run_.history_start} + {run_.history_days} days, replay on the last {run_.replay_days} days"
    )
    if rows:
        print_table(HEADERS, rows)
    else:
        print("(no agreement to show)")
    print()
    print_table(
        ["replayed", "fill rate", "stock-out days", "mean stock value", "orders"],
        [
            [label, _pct(t.fill_rate), t.stockout_days, _money(t.on_hand_value), t.orders]
            for label, t in (("current", now), ("suggested", new))
        ],
    )
    if args.apply:
        print(f"applied to {applied} agreement(s) as {actor.name}")
    return 0
