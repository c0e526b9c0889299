"""A supplier's workspace as CSV files: its orders, pairs, scorecard and every pair's health.

What a supplier's account manager takes into its own spreadsheet or ERP; the same rows the workspace
shows, scoped by the actor throughout, in the same order, with exact quantities as plain decimals.
No Qt: the workspace page runs it off the UI thread, and it is usable from a script.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from vmi_desktop.db import Database
from vmi_desktop.exporting import Cell, write_table
from vmi_desktop.queries.orders import OrderFilter, OrderRow, fetch_orders
from vmi_desktop.queries.supplier import PairTerms, supplier_pairs
from vmi_desktop.queries.supplier_workspace import workspace_summary
from vmi_desktop.replenishment.metrics import SkuMetrics, VendorMetrics
from vmi_desktop.scope import Actor


def export_workspace(db: Database, actor: Actor, vendor_code: str, folder: Path) -> list[Path]:
    """Write the supplier's orders, pairs, scorecard and every pair's health as CSV files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with db.sessions() as session:
        orders = _all(lambda off, lim: fetch_orders(session, actor, OrderFilter(), offset=off, limit=lim))
        pairs = _all(lambda off, lim: supplier_pairs(session, actor, offset=off, limit=lim))
        summary = workspace_summary(session, actor, shown=None)
    prefix = f"{vendor_code or 'supplier'}-"
    files: list[tuple[str, type, Sequence[Any]]] = [
        ("orders", OrderRow, orders),
        ("pairs", PairTerms, pairs),
        ("scorecard", VendorMetrics, [summary.metrics] if summary.metrics else []),
        ("pair-health", SkuMetrics, summary.health),
    ]
    return [_write_csv(folder / f"{prefix}{name}.csv", kind, records) for name, kind, records in files]


def _all(fetch: Callable[[int, int], Sequence[Any]], page: int = 1000) -> list[Any]:
    rows: list[Any] = []
    while True:
        batch = fetch(len(rows), page)
        rows.extend(batch)
        if len(batch) < page:
            return rows


def _cell(value: Any) -> Cell:
    """A field as a spreadsheet or an ERP reads it back: exact decimals without trailing zeros, an enum's
    stored value (``auto_po``), dates and times as ``exporting`` writes every table's (UTC)."""
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return value if hasattr(value, "isoformat") else str(value)


def _write_csv(path: Path, kind: type, records: Sequence[Any]) -> Path:
    """One file per record kind, headed by its field names even when there is no record (a script reading
    the export finds its columns whatever the supplier has)."""
    fields = [f.name for f in dataclasses.fields(kind)]
    write_table(path, fields, ([_cell(getattr(record, name)) for name in fields] for record in records))
    return path
