"""``vmi-desktop metrics``: supplier scorecards and SKU health for a period, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from vmi_desktop.cli._common import open_db_as_user, vendor_id_of
from vmi_desktop.cli._types import bounded_decimal, iso_date, limit
from vmi_desktop.scope import require_vendor_visible


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("metrics", help="supplier scorecards and inventory health for a period")
    parser.add_argument("--vendor", help="vendor code (default: every vendor you may see)")
    parser.add_argument("--since", type=iso_date, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, help="last day, YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--by",
        choices=("all", "vendor", "sku", "accuracy"),
        default="all",
        help="vendor scorecards, per SKU x location health, stock accuracy per SKU, or all three "
        "(default; as CSV, all means the vendor rows)",
    )
    parser.add_argument(
        "--tolerance",
        type=bounded_decimal(Decimal(0), Decimal(1), "tolerance"),
        default=Decimal("0.02"),
        help="stock accuracy tolerance, fraction of system qty",
    )
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--limit", type=limit, default=10000, help="at most this many SKU rows")
    parser.set_defaults(handler=run)


def plain(value: Any) -> Any:
    """A value as JSON/CSV shows it: Decimals as strings without exponent, dates ISO."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: Any = None) -> None:
    """Aligned plain-text columns."""
    out = out or sys.stdout
    cells = [[("" if v is None else str(plain(v))) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), file=out)
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def emit(records: list[Any], fmt: str, *, title: str = "") -> None:
    """Dataclass records in the chosen format."""
    dicts = [{k: plain(v) for k, v in dataclasses.asdict(r).items()} for r in records]
    if fmt == "json":
        print(json.dumps(dicts, indent=2))
        return
    headers = [f.name for f in dataclasses.fields(records[0])] if records else []
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(headers)
        for d in dicts:
            writer.writerow(["" if d[h] is None else d[h] for h in headers])
        return
    if title:
        print(title)
    if not records:
        print("(nothing to show)")
        return
    print_table(headers, [[d[h] for h in headers] for d in dicts])


def run(args: argparse.Namespace) -> int:
    from vmi_desktop.replenishment import metrics

    tolerance: Decimal = args.tolerance
    db, actor = open_db_as_user(args)
    with db.transaction() as session:
        vendor_id = vendor_id_of(session, args.vendor)
        if vendor_id is not None:
            require_vendor_visible(actor, vendor_id)  # a supplier names its own vendor only
        period = f"{args.since} .. {args.until or date.today()}"
        if args.by == "all" and args.format != "csv":
            cards = metrics.vendor_metrics(session, actor, since=args.since, until=args.until, vendor_id=vendor_id)
            skus = metrics.sku_metrics(
                session, actor, since=args.since, until=args.until, vendor_id=vendor_id, limit=args.limit
            )
            accuracy = metrics.stock_accuracy(
                session, actor, since=args.since, until=args.until, tolerance=tolerance, vendor_id=vendor_id
            )
            if args.format == "json":
                print(
                    json.dumps(
                        {
                            key: [{k: plain(v) for k, v in dataclasses.asdict(r).items()} for r in recs]
                            for key, recs in (("vendors", cards), ("skus", skus), ("stock_accuracy", accuracy))
                        },
                        indent=2,
                    )
                )
                return 0
            for m in cards:
                _scorecard(m, period)
            emit(skus, "table", title=f"SKU x location health {period}")
            print()
            emit(accuracy, "table", title=f"stock accuracy per SKU (tolerance {tolerance}) {period}")
            return 0
        if args.by in ("vendor", "all"):
            records: list[Any] = metrics.vendor_metrics(
                session, actor, since=args.since, until=args.until, vendor_id=vendor_id
            )
            if args.format == "table":
                for m in records:
                    _scorecard(m, period)
                if not records:
                    print("(no vendor to show)")
                return 0
        elif args.by == "sku":
            records = metrics.sku_metrics(
                session, actor, since=args.since, until=args.until, vendor_id=vendor_id, limit=args.limit
            )
        else:
            records = metrics.stock_accuracy(
                session, actor, since=args.since, until=args.until, tolerance=tolerance, vendor_id=vendor_id
            )
        emit(records, args.format, title=f"{args.by} metrics {period}")
    return 0


def _pct(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _num(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.1f} {unit}"


def _scorecard(m: Any, period: str) -> None:
    sla_fill = f" (agreed {_pct(m.sla_fill_rate)})" if m.sla_fill_rate is not None else ""
    sla_resp = f" (agreed {m.sla_response_hours} h)" if m.sla_response_hours is not None else ""
    print(f"{m.vendor_code}  {m.vendor_name}  {period}")
    print_table(
        ["metric", "value"],
        [
            ["orders received", m.orders_received],
            ["average cycle time", _num(m.avg_cycle_days, "days")],
            [
                "fill rate (units)",
                f"{_pct(m.fill_rate_units)}{sla_fill}  {plain(m.units_on_time)}/{plain(m.units_due)}",
            ],
            ["fill rate (lines)", f"{_pct(m.fill_rate_lines)}  {m.lines_complete}/{m.lines_due}"],
            ["order accuracy", f"{_pct(m.order_accuracy)}  {m.lines_accurate}/{m.lines_received}"],
            ["response median", f"{_num(m.response_median_hours, 'h')}{sla_resp}"],
            ["response p90", _num(m.response_p90_hours, "h")],
            ["response samples", m.response_samples],
        ],
    )
    print()
