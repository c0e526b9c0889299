"""A supplier's workspace as CSV files: its orders, pairs, scorecard and every pair's health.

What a supplier's account manager takes into its own spreadsheet or ERP; the same rows the workspace
shows, scoped by the actor throughout, in the same order, with exact quantities as plain decimals.
No Qt: the workspace page runs it off the UI thread, and it is usable from a script.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from vmi_desktop.db import Database
from vmi_desktop.queries.orders import OrderFilter, fetch_orders
from vmi_desktop.queries.supplier import supplier_pairs
from vmi_desktop.queries.supplier_workspace import workspace_summary
from vmi_desktop.scope import Actor


def export_workspace(db: Database, actor: Actor, vendor_code: str, folder: Path) -> list[Path]:
    """Write the supplier's orders, pairs, scorecard and every pair's health as CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with db.sessions() as session:
        orders = _all(lambda off, lim: fetch_orders(session, actor, OrderFilter(), offset=off, limit=lim))
        pairs = _all(lambda off, lim: supplier_pairs(session, actor, offset=off, limit=lim))
        summary = workspace_summary(session, actor, shown=None)
    prefix = f"{vendor_code or 'supplier'}-"
    return [
        _write_csv(folder / f"{prefix}orders.csv", orders),
        _write_csv(folder / f"{prefix}pairs.csv", pairs),
        _write_csv(folder / f"{prefix}scorecard.csv", [summary.metrics] if summary.metrics else []),
        _write_csv(folder / f"{prefix}pair-health.csv", summary.health),
    ]


def _all(fetch: Callable[[int, int], Sequence[Any]], page: int = 1000) -> list[Any]:
    rows: list[Any] = []
    while True:
        batch = fetch(len(rows), page)
        rows.extend(batch)
        if len(batch) < page:
            return rows


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return "" if value is None else value


def _write_csv(path: Path, records: Sequence[Any]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if records:
            fields = [f.name for f in dataclasses.fields(records[0])]
            writer.writerow(fields)
            for record in records:
                writer.writerow([_plain(getattr(record, f)) for f in fields])
    return path
