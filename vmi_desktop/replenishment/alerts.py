"""Alerts engine: one unresolved alert per cause, auto-resolved when the cause clears.

Every alert has a ``cause_key`` (``below_min:<sku>:<location>``, ``overdue:<po>``,
...); the database's partial unique index allows one unresolved alert per key,
and raising uses ``INSERT ... ON CONFLICT DO NOTHING`` so two workstations
raising the same cause at once end with one alert.

Sinks: the alerts table is the in-app sink and always written. Extra sinks
(sync layer, desktop notifications) registered with ``add_alert_sink`` are
called **after the transaction that raised the alert commits**, with an
``AlertNotice``; nothing is delivered for a rolled-back transaction.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, event, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.db.bulk import array_literal, bulk_insert
from vmi_desktop.db.rows import insert_many
from vmi_desktop.errors import NotFoundError
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertSeverity,
    AlertStatus,
    Location,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Sku,
    StockLevel,
    SupplyAgreement,
    alert_is_open,
    utcnow,
)
from vmi_desktop.replenishment._sql import on_order_subquery
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import SYSTEM, Action, Actor, require, vendor_filter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertNotice:
    """What a sink receives: a detached copy of a newly raised alert (same attribute names as ``Alert``)."""

    id: int
    kind: AlertKind
    severity: AlertSeverity
    cause_key: str
    message: str
    vendor_id: int | None = None
    sku_id: int | None = None
    location_id: int | None = None
    purchase_order_id: int | None = None
    created_at: datetime | None = None


AlertSink = Callable[[AlertNotice], None]
_sinks: list[AlertSink] = []
_PENDING = "vmi_pending_alerts"


def add_alert_sink(sink: AlertSink) -> None:
    """Call ``sink(notice)`` for every alert raised, after its transaction commits."""
    if sink not in _sinks:
        _sinks.append(sink)


def remove_alert_sink(sink: AlertSink) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def _deliver(session: Session) -> None:
    pending: list[AlertNotice] = session.info.pop(_PENDING, [])
    for notice in pending:
        for sink in list(_sinks):
            try:
                sink(notice)
            except Exception:  # a broken sink must not break the others nor the app
                log.exception("alert sink %r failed for alert %s", sink, notice.id)


def _discard(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def pending_mark(session: Session) -> int:
    """How many notices wait for the commit now (see ``drop_pending_since``)."""
    return len(session.info.get(_PENDING, []))


def drop_pending_since(session: Session, mark: int) -> None:
    """Forget notices queued after ``mark``: their alerts went with a savepoint that rolled back."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        del pending[mark:]


def _queue(session: Session, notices: Iterable[AlertNotice]) -> None:
    notices = list(notices)
    if not notices:
        return
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        if not event.contains(session, "after_commit", _deliver):
            event.listen(session, "after_commit", _deliver)
            event.listen(session, "after_rollback", _discard)
    session.info[_PENDING].extend(notices)


def _insert_ignoring_open_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert alert rows; a row whose cause already has an unresolved alert is skipped. Returns new ids."""
    if not rows:
        return []
    if len(rows) > 1:
        found = bulk_insert(
            session,
            Alert,
            rows,
            returning=("id",),
            conflict="ON CONFLICT (cause_key) WHERE status <> 'resolved' DO NOTHING",
        )
        return sorted(r[0] for r in found)
    stmt = _insert_one(session.get_bind().dialect.name, tuple(rows[0]))
    new_id = session.execute(stmt, rows[0]).scalar_one_or_none()
    return [new_id] if new_id is not None else []


@functools.lru_cache(maxsize=16)
def _insert_one(dialect: str, keys: tuple[str, ...]) -> Any:
    """One alert row, skipped when its cause is open (built once per dialect and row shape)."""
    mod: Any = postgresql if dialect == "postgresql" else sqlite
    return (
        mod.insert(Alert)
        .values({key: bindparam(key, type_=Alert.__table__.c[key].type) for key in keys})
        .on_conflict_do_nothing(index_elements=["cause_key"], index_where=text("status <> 'resolved'"))
        .returning(Alert.id)
    )


@functools.cache
def _open_causes_statement() -> Any:
    return select(Alert.cause_key).where(Alert.cause_key.in_(bindparam("keys", expanding=True)), alert_is_open())


def _row(
    kind: AlertKind,
    cause_key: str,
    message: str,
    severity: AlertSeverity,
    vendor_id: int | None,
    sku_id: int | None,
    location_id: int | None,
    purchase_order_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "severity": severity,
        "status": AlertStatus.OPEN,
        "cause_key": cause_key[:200],
        "message": message[:1000],
        "vendor_id": vendor_id,
        "sku_id": sku_id,
        "location_id": location_id,
        "purchase_order_id": purchase_order_id,
        "created_at": now,
    }


def raise_alert(
    session: Session,
    *,
    kind: AlertKind,
    cause_key: str,
    message: str,
    severity: AlertSeverity = AlertSeverity.WARNING,
    vendor_id: int | None = None,
    sku_id: int | None = None,
    location_id: int | None = None,
    purchase_order_id: int | None = None,
) -> Alert | None:
    """Raise an alert unless one is already unresolved for ``cause_key``; the new alert, or None."""
    now = utcnow()
    ws = WorkingSet.of(session)
    if cause_key in ws.deferred_resolves:  # its open alert is resolved first, as it would have been already
        session.flush()
        _write_resolves(session, ws)
    if ws.defer_alerts and cause_key in ws.private_causes and not ws.may_be_open(cause_key):
        # A cause only this transaction knows (an order it created): no other alert can race it, so the
        # caller that asked for deferral writes it with the others (``write_deferred``).
        ws.deferred_alerts[cause_key] = _row(
            kind, cause_key, message, severity, vendor_id, sku_id, location_id, purchase_order_id, now
        )
        ws.cause_opened(cause_key)
        return None
    ids = _insert_ignoring_open_duplicates(
        session, [_row(kind, cause_key, message, severity, vendor_id, sku_id, location_id, purchase_order_id, now)]
    )
    WorkingSet.of(session).cause_opened(cause_key)
    if not ids:
        return None
    alert = session.get(Alert, ids[0])
    assert alert is not None
    _queue(session, [_notice(alert)])
    return alert


def write_deferred(session: Session) -> int:
    """Write the alerts ``WorkingSet.defer_alerts`` kept back, in two statements; returns how many.

    Call after a flush (their orders must exist). Open ones are inserted like ``raise_many`` (one
    open alert per cause), those already resolved as they are (the history of what happened).
    """
    ws = WorkingSet.of(session)
    _write_resolves(session, ws)
    rows = list(ws.deferred_alerts.values())
    ws.deferred_alerts.clear()
    if not rows:
        return 0
    ids = _insert_ignoring_open_duplicates(session, [r for r in rows if r["status"] == AlertStatus.OPEN])
    resolved = [r for r in rows if r["status"] != AlertStatus.OPEN]  # each has resolved_at and resolved_by
    if resolved:
        insert_many(session.connection(), cast(Table, Alert.__table__), resolved)
    if ids and _sinks:
        _queue(session, [_notice(a) for a in session.scalars(select(Alert).where(Alert.id.in_(ids)))])
    return len(rows)


def _write_resolves(session: Session, ws: WorkingSet) -> None:
    """The resolutions ``resolve_cause`` kept back (one UPDATE each, straight on the connection: no flush)."""
    if not ws.deferred_resolves:
        return
    connection = session.connection()
    for cause_key, values in ws.deferred_resolves.items():
        connection.execute(update(Alert).where(Alert.cause_key == cause_key, alert_is_open()).values(**values))
    ws.deferred_resolves.clear()


def _notice(alert: Alert) -> AlertNotice:
    return AlertNotice(
        alert.id,
        alert.kind,
        alert.severity,
        alert.cause_key,
        alert.message,
        alert.vendor_id,
        alert.sku_id,
        alert.location_id,
        alert.purchase_order_id,
        alert.created_at,
    )


def _open_causes(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` have an unresolved alert now (skipped up front; ON CONFLICT still settles races)."""
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, not thousands of scalars
        found = session.scalars(
            text(
                "SELECT cause_key FROM alerts WHERE cause_key = ANY(CAST(:keys AS VARCHAR[])) AND status <> 'resolved'"
            ),
            {"keys": array_literal(keys)},
        )
        return set(found)
    already: set[str] = set()
    for i in range(0, len(keys), 1000):
        already.update(session.scalars(_open_causes_statement(), {"keys": keys[i : i + 1000]}))
    return already


def raise_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """Bulk raise (rows built with the same keys as ``raise_alert``'s arguments); returns how many are new."""
    now = utcnow()
    already = _open_causes(session, [r["cause_key"] for r in rows])
    full = [
        _row(
            r["kind"],
            r["cause_key"],
            r["message"],
            r.get("severity", AlertSeverity.WARNING),
            r.get("vendor_id"),
            r.get("sku_id"),
            r.get("location_id"),
            r.get("purchase_order_id"),
            now,
        )
        for r in rows
        if r["cause_key"] not in already
    ]
    if not full:
        return 0
    ids = _insert_ignoring_open_duplicates(session, full)
    ws = WorkingSet.of(session)
    for row in full:
        ws.cause_opened(row["cause_key"])
    if ids and _sinks:
        _queue(session, [_notice(a) for a in session.scalars(select(Alert).where(Alert.id.in_(ids)))])
    return len(ids)


def resolve_cause(
    session: Session, cause_key: str, by: str = "system", *, purchase_order_id: int | None = None
) -> bool:
    """Resolve the unresolved alert of this cause, if any (optionally linking the order that cleared it)."""
    ws = WorkingSet.of(session)
    if not ws.may_be_open(cause_key):
        return False  # read as closed by this unit of work (a page of events reads its causes at once)
    known_open = ws.open_causes.get(cause_key) is True
    ws.cause_resolved(cause_key)
    deferred = ws.deferred_alerts.get(cause_key)
    if deferred is not None:  # raised in this unit of work and not written yet: resolved in place
        deferred.update(status=AlertStatus.RESOLVED, resolved_at=utcnow(), resolved_by=by)
        if purchase_order_id is not None:
            deferred["purchase_order_id"] = purchase_order_id
        return True
    values: dict[str, Any] = {"status": AlertStatus.RESOLVED, "resolved_at": utcnow(), "resolved_by": by}
    if purchase_order_id is not None:
        values["purchase_order_id"] = purchase_order_id
    if ws.defer_alerts and known_open:  # read as open by this unit of work
        ws.deferred_resolves[cause_key] = values  # written by ``write_deferred`` (see ``WorkingSet``)
        return True
    result = session.execute(
        update(Alert)
        .where(Alert.cause_key == cause_key, alert_is_open())
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _get(session: Session, actor: Actor, alert_id: int) -> Alert:
    require(actor, Action.MANAGE_ALERTS)
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, vendor_filter(actor, Alert.vendor_id)))
    if alert is None:
        raise NotFoundError(f"unknown alert {alert_id}")
    return alert


def acknowledge(session: Session, actor: Actor, alert_id: int) -> Alert:
    """Someone has seen it: status acknowledged, with who and when (the cause stays open)."""
    alert = _get(session, actor, alert_id)
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor.name
        audit.record(session, actor, "alert.acknowledge", "alert", alert.id, cause=alert.cause_key)
    return alert


def resolve(session: Session, actor: Actor, alert_id: int) -> Alert:
    """Close an alert by hand; if the cause persists, the next evaluation raises a new one."""
    alert = _get(session, actor, alert_id)
    if alert.status != AlertStatus.RESOLVED:
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = utcnow()
        alert.resolved_by = actor.name
        audit.record(session, actor, "alert.resolve", "alert", alert.id, cause=alert.cause_key)
    return alert


def _handle_many(session: Session, actor: Actor, alert_ids: Iterable[int], to: AlertStatus) -> int:
    require(actor, Action.MANAGE_ALERTS)
    ids = sorted(set(alert_ids))
    if not ids:
        return 0
    movable = [AlertStatus.OPEN] if to == AlertStatus.ACKNOWLEDGED else [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    conds = [Alert.id.in_(ids), Alert.status.in_(movable), vendor_filter(actor, Alert.vendor_id)]
    targets = session.execute(select(Alert.id, Alert.cause_key).where(*conds)).all()
    if not targets:
        return 0
    now = utcnow()
    values: dict[str, Any] = {"status": to}
    if to == AlertStatus.ACKNOWLEDGED:
        values |= {"acknowledged_at": now, "acknowledged_by": actor.name}
    else:
        values |= {"resolved_at": now, "resolved_by": actor.name}
    session.execute(
        update(Alert)
        .where(Alert.id.in_([t.id for t in targets]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    verb = "acknowledge" if to == AlertStatus.ACKNOWLEDGED else "resolve"
    for target in targets:
        audit.record(session, actor, f"alert.{verb}", "alert", target.id, cause=target.cause_key)
    return len(targets)


def acknowledge_many(session: Session, actor: Actor, alert_ids: Iterable[int]) -> int:
    """Acknowledge several alerts at once (set-based); those already handled or out of scope are left."""
    return _handle_many(session, actor, alert_ids, AlertStatus.ACKNOWLEDGED)


def resolve_many(session: Session, actor: Actor, alert_ids: Iterable[int]) -> int:
    """Resolve several alerts at once (set-based); a cause that persists raises a new alert later."""
    return _handle_many(session, actor, alert_ids, AlertStatus.RESOLVED)


def list_alerts(session: Session, actor: Actor, *, include_resolved: bool = False, limit: int = 500) -> list[Alert]:
    """Alerts the actor may see, newest first (a supplier sees only its own vendor's)."""
    stmt = select(Alert).where(vendor_filter(actor, Alert.vendor_id))
    if actor.is_supplier:
        stmt = stmt.where(Alert.vendor_id.is_not(None))
    if not include_resolved:
        stmt = stmt.where(alert_is_open())
    return list(session.scalars(stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)))


@dataclass(frozen=True)
class AlertRun:
    """What ``evaluate_alerts`` did."""

    raised: int
    resolved: int


def _sync_kind(session: Session, kind: AlertKind, prefix: str, current: dict[str, dict[str, Any]]) -> tuple[int, int]:
    """Raise alerts for current causes of one kind, resolve unresolved ones whose cause is gone."""
    open_keys = set(
        session.scalars(
            select(Alert.cause_key).where(
                Alert.kind == kind,
                alert_is_open(),
                Alert.cause_key.startswith(prefix, autoescape=True),
            )
        )
    )
    gone = open_keys - current.keys()
    resolved = 0
    if gone:
        gone_list = sorted(gone)
        for i in range(0, len(gone_list), 500):
            result = session.execute(
                update(Alert)
                .where(Alert.cause_key.in_(gone_list[i : i + 500]), alert_is_open())
                .values(status=AlertStatus.RESOLVED, resolved_at=utcnow(), resolved_by="system")
                .execution_options(synchronize_session=False)
            )
            resolved += result.rowcount  # type: ignore[attr-defined]
    new = [dict(row, kind=kind, cause_key=key) for key, row in current.items() if key not in open_keys]
    raised = raise_many(session, new) if new else 0
    return raised, resolved


def pair_key(kind: str, sku_id: int, location_id: int) -> str:
    """The cause key of a per-pair alert (``below_min``, ``stock_out``, ``over_max``)."""
    return f"{kind}:{sku_id}:{location_id}"


def evaluate_alerts(session: Session, now: datetime | None = None) -> AlertRun:
    """Check every cause in a few set-based queries; raise what is new, resolve what cleared.

    - below min: inventory position (on hand + on order) at or below min of the primary agreement;
    - stock-out: on hand at or below zero where an active agreement exists;
    - over max: on hand above the primary agreement's max;
    - order overdue: an open, sent order past its expected delivery (or need-by);
    - SLA breach: a vendor's fill rate (last 90 days) below, or response median above, its agreed level.
    """
    now = now or utcnow()
    today = now.date()
    oo = on_order_subquery()
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    base = (
        select(
            SupplyAgreement.vendor_id,
            SupplyAgreement.sku_id,
            SupplyAgreement.location_id,
            SupplyAgreement.min_qty,
            SupplyAgreement.max_qty,
            on_hand.label("on_hand"),
            (on_hand + func.coalesce(oo.c.on_order, 0)).label("position"),
            Sku.part_number,
            Location.code,
            SupplyAgreement.mode,
        )
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .outerjoin(
            StockLevel,
            and_(StockLevel.sku_id == SupplyAgreement.sku_id, StockLevel.location_id == SupplyAgreement.location_id),
        )
        .outerjoin(oo, and_(oo.c.sku_id == SupplyAgreement.sku_id, oo.c.location_id == SupplyAgreement.location_id))
        .where(
            SupplyAgreement.active.is_(True),
            SupplyAgreement.is_primary.is_(True),
            Sku.active.is_(True),
            Location.active.is_(True),
        )
    )
    sub = base.subquery()
    below: dict[str, dict[str, Any]] = {}
    out: dict[str, dict[str, Any]] = {}
    over: dict[str, dict[str, Any]] = {}
    rows = session.execute(
        select(sub).where(or_(sub.c.position <= sub.c.min_qty, sub.c.on_hand <= 0, sub.c.on_hand > sub.c.max_qty))
    )
    for r in rows:
        common = {"vendor_id": r.vendor_id, "sku_id": r.sku_id, "location_id": r.location_id}
        if r.position <= r.min_qty:
            below[pair_key("below_min", r.sku_id, r.location_id)] = dict(
                common,
                message=f"{r.part_number} at {r.code}: position {_f(r.position)} is at or below min {_f(r.min_qty)}",
            )
        if r.on_hand <= 0:
            out[pair_key("stock_out", r.sku_id, r.location_id)] = dict(
                common, severity=AlertSeverity.CRITICAL, message=f"{r.part_number} at {r.code} is out of stock"
            )
        if r.on_hand > r.max_qty:
            over[pair_key("over_max", r.sku_id, r.location_id)] = dict(
                common,
                severity=AlertSeverity.INFO,
                message=f"{r.part_number} at {r.code}: on hand {_f(r.on_hand)} is above max {_f(r.max_qty)}",
            )
    raised = resolved = 0
    for kind, prefix, current in (
        (AlertKind.BELOW_MIN, "below_min:", below),
        (AlertKind.STOCK_OUT, "stock_out:", out),
        (AlertKind.OVER_MAX, "over_max:", over),
    ):
        a, b = _sync_kind(session, kind, prefix, current)
        raised, resolved = raised + a, resolved + b

    overdue = _overdue(session, today)
    a, b = _sync_kind(session, AlertKind.ORDER_OVERDUE, "overdue:", overdue)
    raised, resolved = raised + a, resolved + b

    from vmi_desktop.replenishment.metrics import sla_breaches  # late import: metrics imports alerts' helpers

    breaches = {
        key: {"vendor_id": vendor_id, "message": message}
        for key, vendor_id, message in sla_breaches(session, SYSTEM, since=today - timedelta(days=90), until=today)
    }
    a, b = _sync_kind(session, AlertKind.SLA_BREACH, "sla:", breaches)
    return AlertRun(raised + a, resolved + b)


_SENT_STATES = [
    POStatus.SENT,
    POStatus.ACKNOWLEDGED,
    POStatus.PARTLY_SHIPPED,
    POStatus.SHIPPED,
    POStatus.PARTLY_RECEIVED,
]


def _overdue(session: Session, today: date) -> dict[str, dict[str, Any]]:
    due = func.coalesce(
        PurchaseOrderLine.expected_delivery,
        PurchaseOrder.expected_delivery,
        PurchaseOrderLine.need_by,
        PurchaseOrder.need_by,
    )
    stmt = (
        select(
            PurchaseOrder.id,
            PurchaseOrder.po_number,
            PurchaseOrder.vendor_id,
            PurchaseOrder.location_id,
            func.min(due).label("due"),
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.status.in_(_SENT_STATES), PurchaseOrderLine.status == "open")
        .group_by(PurchaseOrder.id, PurchaseOrder.po_number, PurchaseOrder.vendor_id, PurchaseOrder.location_id)
        .having(func.min(due) < today)
    )
    return {
        f"overdue:{r.id}": {
            "vendor_id": r.vendor_id,
            "location_id": r.location_id,
            "purchase_order_id": r.id,
            "message": f"order {r.po_number} is overdue (due {r.due})",
        }
        for r in session.execute(stmt)
    }


def _f(value: Any) -> str:
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    return f"{d.normalize():f}"


__all__ = [
    "SYSTEM",
    "AlertNotice",
    "AlertRun",
    "acknowledge",
    "add_alert_sink",
    "evaluate_alerts",
    "list_alerts",
    "pair_key",
    "raise_alert",
    "raise_many",
    "remove_alert_sink",
    "resolve",
    "resolve_cause",
]
