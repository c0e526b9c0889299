"""Alerts for the alerts page and the tray notifier: pages of rows and "what is new" (no Qt)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from vmi_desktop.db.changes import Changes
from vmi_desktop.models import Alert, AlertKind, AlertSeverity, AlertStatus, Location, PurchaseOrder, Sku, Vendor
from vmi_desktop.queries.base import Column, Kind, Row, TableQuery, contains
from vmi_desktop.scope import Actor, vendor_filter


@dataclass(frozen=True)
class AlertRow:
    """One alert as listed."""

    id: int
    severity: AlertSeverity
    status: AlertStatus
    kind: AlertKind
    message: str
    vendor: str | None
    part_number: str | None
    location: str | None
    created_at: datetime
    acknowledged_by: str | None
    resolved_by: str | None
    #: what the alert leads to (the alerts page fills them; the notifier's rows leave them empty)
    po_number: str | None = None
    purchase_order_id: int | None = None
    sku_id: int | None = None
    location_id: int | None = None


def _scope(actor: Actor) -> ColumnElement[bool]:
    return vendor_filter(actor, Alert.vendor_id)


_SEVERITY_RANK = case(
    (Alert.severity == AlertSeverity.CRITICAL, 0), (Alert.severity == AlertSeverity.WARNING, 1), else_=2
)

SORT_COLUMNS: dict[str, Any] = {
    "severity": _SEVERITY_RANK,
    "status": Alert.status,
    "kind": Alert.kind,
    "created_at": Alert.created_at,
    "message": Alert.message,
}


def _select() -> Select:
    return (
        select(
            Alert.id,
            Alert.severity,
            Alert.status,
            Alert.kind,
            Alert.message,
            Vendor.code,
            Sku.part_number,
            Location.code,
            Alert.created_at,
            Alert.acknowledged_by,
            Alert.resolved_by,
        )
        .outerjoin(Vendor, Vendor.id == Alert.vendor_id)
        .outerjoin(Sku, Sku.id == Alert.sku_id)
        .outerjoin(Location, Location.id == Alert.location_id)
    )


def fetch_alerts(
    session: Session,
    actor: Actor,
    statuses: frozenset[AlertStatus] | None = None,
    *,
    sort: str = "created_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = 200,
) -> list[AlertRow]:
    """A page of alerts in the actor's scope."""
    conds = [_scope(actor)]
    if statuses is not None:
        conds.append(Alert.status.in_(sorted(statuses)))
    key = SORT_COLUMNS.get(sort, Alert.created_at)
    # Severity sorts by rank (critical first when "descending" in the UI sense).
    if sort == "severity":
        descending = not descending
    order = [key.desc(), Alert.id.desc()] if descending else [key.asc(), Alert.id.asc()]
    rows = session.execute(_select().where(*conds).order_by(*order).offset(offset).limit(limit)).all()
    return [AlertRow(*r) for r in rows]


def count_alerts(session: Session, actor: Actor, statuses: frozenset[AlertStatus] | None = None) -> int:
    """How many alerts match."""
    conds = [_scope(actor)]
    if statuses is not None:
        conds.append(Alert.status.in_(sorted(statuses)))
    return int(session.scalar(select(func.count(Alert.id)).where(*conds)) or 0)


def latest_alert_id(session: Session, actor: Actor) -> int:
    """The highest alert id in scope (0 when there is none): the notifier's starting point."""
    return int(session.scalar(select(func.max(Alert.id)).where(_scope(actor))) or 0)


def open_alerts_after(session: Session, actor: Actor, after_id: int, limit: int = 50) -> list[AlertRow]:
    """Unresolved alerts raised since ``after_id``, oldest first (what to notify about)."""
    rows = session.execute(
        _select()
        .where(_scope(actor), Alert.id > after_id, Alert.status != AlertStatus.RESOLVED)
        .order_by(Alert.id)
        .limit(limit)
    ).all()
    return [AlertRow(*r) for r in rows]


# ---------------------------------------------------------------------------------------------- the table


class AlertsQuery(TableQuery):
    """The alerts page: every alert in scope, filtered by kind, vendor, location and state.

    Each row carries what it leads to (its order, or its SKU x location) as hidden values, so the
    page opens the order or the part without asking the database again.
    """

    default_sort = "created_at"
    columns = (
        Column("severity", "Severity", Alert.severity, Kind.ENUM, choices=AlertSeverity, order_expr=_SEVERITY_RANK),
        Column("status", "State", Alert.status, Kind.ENUM, choices=AlertStatus),
        Column("kind", "Kind", Alert.kind, Kind.ENUM, choices=AlertKind),
        Column("message", "Message", Alert.message, width=52),
        Column("created_at", "Raised (UTC)", Alert.created_at, Kind.DATETIME, width=18),
        Column("vendor", "Vendor", Vendor.code, sortable=False, width=10),
        Column("part_number", "SKU", Sku.part_number, sortable=False, width=12),
        Column("location", "Location", Location.code, sortable=False, width=10),
        Column("po_number", "Order", PurchaseOrder.po_number, sortable=False, width=11),
        Column(
            "handled_by",
            "Handled by",
            func.coalesce(Alert.resolved_by, Alert.acknowledged_by),
            sortable=False,
            width=10,
        ),
    )
    hidden = (
        Column("sku_id", "", Alert.sku_id),
        Column("location_id", "", Alert.location_id),
        Column("purchase_order_id", "", Alert.purchase_order_id),
    )

    def base(self) -> Select[Any]:
        return (
            select(Alert.id)
            .select_from(Alert)
            .outerjoin(Vendor, Vendor.id == Alert.vendor_id)
            .outerjoin(Sku, Sku.id == Alert.sku_id)
            .outerjoin(Location, Location.id == Alert.location_id)
            .outerjoin(PurchaseOrder, PurchaseOrder.id == Alert.purchase_order_id)
        )

    def key_exprs(self) -> Sequence[Any]:
        return (Alert.id,)

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        return [_scope(actor)]

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(
            contains(Alert.message, text),
            contains(Sku.part_number, text),
            contains(Vendor.code, text),
            contains(Location.code, text),
            contains(PurchaseOrder.po_number, text),
        )

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        statuses = filters.get("statuses")
        if statuses is not None:
            conds.append(Alert.status.in_(sorted(statuses)))
        if filters.get("kind") is not None:
            conds.append(Alert.kind == filters["kind"])
        for key, column in (("vendor_id", Alert.vendor_id), ("location_id", Alert.location_id)):
            if filters.get(key) is not None:
                conds.append(column == filters[key])
        return conds

    def refresh_plan(self, changes: Changes, loaded: Sequence[Row]) -> list[tuple[Any, ...]] | bool:
        # new alerts appear at the top and handled ones move between states: the first page again
        return True if changes.alerts else super().refresh_plan(changes, loaded)
