"""Alerts for the alerts page and the tray notifier: pages of rows and "what is new" (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from vmi_desktop.models import Alert, AlertKind, AlertSeverity, AlertStatus, Location, Sku, Vendor
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
