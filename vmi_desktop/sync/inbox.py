"""The inbox: supplier events applied in order, each at most once, cursor committed with them.

``apply_page`` runs in one database transaction: every event of the page is
applied (each in its own savepoint) or kept as rejected, recorded in
``inbox_events`` (unique per vendor and event id), and the cursor moves, all
in the same commit. A crash before the commit applies nothing and keeps the
old cursor; the page is pulled again and already-recorded events are skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from vmi_desktop import wire
from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import VmiError
from vmi_desktop.models import AlertKind, AlertSeverity, InboxEvent, InboxStatus, Vendor, utcnow
from vmi_desktop.scope import vendor_actor
from vmi_desktop.sync.dispatch import (
    EventRejected,
    dispatch,
    prepare_threshold_proposal,
    raise_alert,
    threshold_agreements,
    write_threshold_proposals,
)
from vmi_desktop.sync.outbox import sync_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageResult:
    """What one page did."""

    applied: int
    rejected: int
    skipped: int


def _occurred(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _event_key(event: Any) -> str:
    if isinstance(event, dict) and isinstance(event.get("event_id"), str | int) and str(event["event_id"]).strip():
        return str(event["event_id"])[:100]
    raw = json.dumps(event, sort_keys=True, default=str).encode()  # a stable digest of any shape
    return "invalid:" + hashlib.sha256(raw).hexdigest()[:40]


def apply_page(uow: UnitOfWork, vendor_id: int, events: list[Any], next_cursor: str | None) -> PageResult:
    """Apply one page of events and move the cursor, in the caller's transaction.

    Threshold proposals (validated up front, independent of other events) are written in bulk at
    the end of the page; every other kind is applied on its own in a savepoint, in feed order.
    """
    session = uow.session
    uow.changes.sync_vendors.add(vendor_id)
    vendor = session.get(Vendor, vendor_id)
    assert vendor is not None
    actor = vendor_actor(vendor.id, vendor.code)
    state = sync_state(session, vendor_id)
    # A write before the first savepoint: pysqlite then has a transaction open, so releasing a savepoint
    # never commits on its own.
    state.last_attempt_at = utcnow()
    session.flush()
    keys = [_event_key(e) for e in events]
    seen = (
        set(
            session.scalars(
                select(InboxEvent.event_id).where(InboxEvent.vendor_id == vendor_id, InboxEvent.event_id.in_(set(keys)))
            )
        )
        if keys
        else set()
    )
    agreements = threshold_agreements(session, vendor_id, events)
    proposals: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    applied = rejected = skipped = 0
    received = utcnow()
    for event, key in zip(events, keys, strict=True):
        if key in seen:
            skipped += 1
            continue
        seen.add(key)
        event_type = event.get("type") if isinstance(event, dict) else None
        type_text = event_type if isinstance(event_type, str) else ""
        reason = ""
        scope = alerted = False
        try:
            if not isinstance(event, dict) or key.startswith("invalid:"):
                raise EventRejected("malformed event: no event_id")
            if not type_text:
                raise EventRejected("malformed event: no type")
            if type_text == "thresholds.proposed":
                proposals.append(prepare_threshold_proposal(actor, event.get("data"), agreements))
            else:
                with session.begin_nested():
                    note = dispatch(uow, actor, type_text, event.get("data"))
                if isinstance(note, EventRejected):
                    raise note
                log.info("%s: event %s (%s) applied: %s", vendor.code, key, type_text, note)
            status = InboxStatus.APPLIED
        except EventRejected as exc:
            status, reason, scope, alerted = InboxStatus.REJECTED, str(exc), exc.scope, exc.alerted
        except VmiError as exc:
            status, reason = InboxStatus.REJECTED, str(exc)
        if status is InboxStatus.REJECTED:
            rejected += 1
            log.warning("%s: event %s (%s) rejected: %s", vendor.code, key, type_text, reason)
            if not alerted:
                raise_alert(
                    session,
                    kind=AlertKind.SCOPE_VIOLATION if scope else AlertKind.EVENT_REJECTED,
                    cause_key=f"event:{vendor_id}:{key}"[:200],
                    message=f"{vendor.code} event {key} ({type_text or 'no type'}) rejected: {reason}"[:1000],
                    vendor_id=vendor_id,
                    severity=AlertSeverity.CRITICAL if scope else AlertSeverity.WARNING,
                )
        else:
            applied += 1
        records.append(
            {
                "vendor_id": vendor_id,
                "event_id": key,
                "type": type_text[:60],
                "occurred_at": _occurred(event.get("occurred_at")) if isinstance(event, dict) else None,
                "payload": wire.dumps(event),
                "status": status,
                "reason": reason[:1000],
                "received_at": received,
            }
        )
    write_threshold_proposals(session, actor, proposals)
    uow.changes.agreements.update(p["agreement_id"] for p in proposals)
    if rejected:
        uow.changes.alerts = True
    if records:
        session.execute(insert(InboxEvent), records)
    if next_cursor is not None:
        state.cursor = next_cursor
    session.flush()
    return PageResult(applied, rejected, skipped)


@dataclass(frozen=True)
class RejectedEvent:
    """A rejected event as the Sync page shows it."""

    id: int
    vendor_id: int
    vendor_code: str
    event_id: str
    type: str
    occurred_at: datetime | None
    received_at: datetime
    reason: str
    payload: str


def list_rejected(session: Session, vendor_id: int | None = None, limit: int = 200) -> list[RejectedEvent]:
    """Rejected events, newest first."""
    stmt = (
        select(InboxEvent, Vendor.code)
        .join(Vendor, Vendor.id == InboxEvent.vendor_id)
        .where(InboxEvent.status == InboxStatus.REJECTED)
    )
    if vendor_id is not None:
        stmt = stmt.where(InboxEvent.vendor_id == vendor_id)
    return [
        RejectedEvent(e.id, e.vendor_id, code, e.event_id, e.type, e.occurred_at, e.received_at, e.reason, e.payload)
        for e, code in session.execute(stmt.order_by(InboxEvent.id.desc()).limit(limit))
    ]
