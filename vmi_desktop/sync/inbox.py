"""The inbox: supplier events applied in order, each at most once, cursor committed with them.

``apply_page`` runs in the caller's unit of work: every event of the page is read into its typed
model (``sync.events``), then applied (in runs, see ``sync.applying``) or kept as rejected, recorded in
``inbox_events`` (unique per vendor and sha256 of the event id), and the cursor moves, all in the
same commit. A crash before the commit applies nothing and keeps the old cursor; the page is
pulled again and already-recorded events are skipped.

Whatever goes wrong with one event (it is malformed, out of scope, refused by the domain, refused
by the database as a value it cannot hold, or it hits a bug) rejects that event alone, with the
reason kept and an alert; the events after it still apply. Only a database that is itself in
trouble (unreachable, busy, full, read-only) fails the page, so that it is pulled again later.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.orm import Session

from vmi_desktop import audit, wire
from vmi_desktop.db import UnitOfWork
from vmi_desktop.db.collector import collector_paused
from vmi_desktop.db.rows import insert_many
from vmi_desktop.errors import NotFoundError
from vmi_desktop.models import AlertKind, AlertSeverity, InboxEvent, InboxStatus, Vendor, utcnow
from vmi_desktop.replenishment import alerts
from vmi_desktop.scope import Action, Actor, require, vendor_actor, visible
from vmi_desktop.sync.applying import Outcome, apply_in_runs, is_environmental, prime, reason_for
from vmi_desktop.sync.auth import scrubber
from vmi_desktop.sync.dispatch import (
    EventRejected,
    prepare_threshold_proposal,
    threshold_agreements,
    write_threshold_proposals,
)
from vmi_desktop.sync.events import ThresholdsProposed, read_event
from vmi_desktop.sync.outbox import sync_state

log = logging.getLogger(__name__)

#: The largest event accepted (its raw JSON); a larger one is rejected and kept cut short.
MAX_EVENT_BYTES = 256 * 1024
#: Event keys looked up per statement.
_LOOKUP_BATCH = 500


@dataclass(frozen=True)
class PageResult:
    """What one page did."""

    applied: int
    rejected: int
    skipped: int


def _raw(event: Any) -> bytes:
    """An event as raw JSON: as the supplier sent it, or encoded (tests and tools pass Python values)."""
    if isinstance(event, bytes | bytearray | memoryview):
        return bytes(event)
    try:
        return wire.dumpb(event)
    except wire.WireError:
        return repr(event).encode("utf-8", "replace")


@functools.cache
def _known_keys_statement() -> Select[str]:
    """Built once: executed again, a statement skips its building, value coercion and cache key."""
    return select(InboxEvent.event_key).where(
        InboxEvent.vendor_id == bindparam("vendor_id"), InboxEvent.event_key.in_(bindparam("keys", expanding=True))
    )


def _known_keys(session: Session, vendor_id: int, keys: list[str]) -> set[str]:
    unique = sorted(set(keys))
    known: set[str] = set()
    for i in range(0, len(unique), _LOOKUP_BATCH):
        known.update(
            session.scalars(_known_keys_statement(), {"vendor_id": vendor_id, "keys": unique[i : i + _LOOKUP_BATCH]})
        )
    return known


def _write_proposals(session: Session, actor: Actor, outcomes: list[Outcome], vendor_code: str) -> None:
    """Write the page's valid proposals in bulk; should that fail, one by one (each rejected on its own)."""
    if not outcomes:
        return
    try:
        with session.begin_nested():
            write_threshold_proposals(session, actor, [o.proposal for o in outcomes if o.proposal is not None])
        return
    except Exception as exc:
        if is_environmental(exc):
            raise
        log.warning("%s: proposals of a page could not be written together (%s); one by one", vendor_code, exc)
    for outcome in outcomes:
        try:
            with session.begin_nested():
                write_threshold_proposals(session, actor, [outcome.proposal] if outcome.proposal else [])
        except Exception as exc:
            if is_environmental(exc):
                raise
            outcome.reject(reason_for(exc))
            outcome.proposal = None


def apply_page(
    uow: UnitOfWork,
    vendor_id: int,
    events: Sequence[Any],
    next_cursor: str | None,
    *,
    max_event_bytes: int = MAX_EVENT_BYTES,
    secrets: Iterable[str] = (),
) -> PageResult:
    """Apply one page of events and move the cursor, in the caller's transaction.

    ``events`` are each event's raw JSON (``bytes``, as the client hands them over) or Python
    values. Threshold proposals (checked up front, independent of other events) are written in
    bulk at the end of the page; every other kind is applied in feed order, in runs that share one
    savepoint and one flush (``sync.applying``: a failure still rejects only its own event).
    ``secrets`` are scrubbed from what is stored (payloads and reasons). The garbage collector is
    held off meanwhile (``db.collector``: the page's objects all live until its commit).
    """
    with collector_paused():
        return _apply_page(uow, vendor_id, events, next_cursor, max_event_bytes=max_event_bytes, secrets=secrets)


def _apply_page(
    uow: UnitOfWork,
    vendor_id: int,
    events: Sequence[Any],
    next_cursor: str | None,
    *,
    max_event_bytes: int = MAX_EVENT_BYTES,
    secrets: Iterable[str],
) -> PageResult:
    secrets = [s for s in secrets if s]
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
    items = [read_event(_raw(e), max_bytes=max_event_bytes) for e in events]
    seen = _known_keys(session, vendor_id, [i.key for i in items])
    fresh: list[Outcome] = []
    skipped = 0
    for item in items:
        if item.key in seen:
            skipped += 1
            continue
        seen.add(item.key)
        fresh.append(Outcome(item))
        if not item.ok:
            fresh[-1].reject(item.problem)
    valid = [o for o in fresh if o.status is InboxStatus.APPLIED]
    proposals: list[Outcome] = []
    agreements = threshold_agreements(
        session, vendor_id, [o.item.data for o in valid if isinstance(o.item.data, ThresholdsProposed)]
    )
    for outcome in valid:
        data = outcome.item.data
        if not isinstance(data, ThresholdsProposed):
            continue
        try:
            outcome.proposal = prepare_threshold_proposal(actor, data, agreements)
            proposals.append(outcome)
        except EventRejected as exc:
            outcome.reject(str(exc), scope=exc.scope)
        except Exception as exc:
            log.exception("%s: proposal %s hit a bug", vendor.code, outcome.item.event_id[:200])
            outcome.reject(reason_for(exc))
    order_events = [o for o in valid if not isinstance(o.item.data, ThresholdsProposed)]
    if order_events:
        prime(session, vendor_id, order_events)
        apply_in_runs(uow, actor, vendor_id, order_events, vendor.code)
    _write_proposals(session, actor, proposals, vendor.code)
    uow.changes.agreements.update(o.proposal["agreement_id"] for o in proposals if o.proposal is not None)
    return _record(uow, vendor, fresh, skipped, next_cursor, secrets)


def _record(
    uow: UnitOfWork,
    vendor: Vendor,
    outcomes: list[Outcome],
    skipped: int,
    next_cursor: str | None,
    secrets: list[str],
) -> PageResult:
    """Store every new event with its outcome, raise the rejections' alerts, move the cursor."""
    session = uow.session
    received = utcnow()
    records: list[dict[str, Any]] = []
    alert_rows: list[dict[str, Any]] = []
    rejected = 0
    clean = scrubber(secrets)  # the secrets put in order once for the page's texts
    for o in outcomes:
        item = o.item
        reason = clean(o.reason)[:1000]
        event_id = clean(item.event_id)  # the key (of the id as sent) still deduplicates
        if o.status is InboxStatus.APPLIED:
            log.debug("%s: event %s (%s) applied: %s", vendor.code, event_id[:200], item.type, o.note)
        else:
            rejected += 1
            log.warning("%s: event %s (%s) rejected: %s", vendor.code, event_id[:200], item.type, reason)
            if not o.alerted:
                alert_rows.append(
                    {
                        "kind": AlertKind.SCOPE_VIOLATION if o.scope else AlertKind.EVENT_REJECTED,
                        "cause_key": f"event:{vendor.id}:{item.key[:40]}",
                        "message": f"{vendor.code} event {event_id[:100]} ({item.type or 'no type'}) "
                        f"rejected: {reason}"[:1000],
                        "vendor_id": vendor.id,
                        "severity": AlertSeverity.CRITICAL if o.scope else AlertSeverity.WARNING,
                    }
                )
        records.append(
            {
                "vendor_id": vendor.id,
                "event_id": event_id,
                "event_key": item.key,
                "type": clean(item.type),
                "occurred_at": item.occurred_at,
                "payload": clean(item.payload),
                "status": o.status,
                "reason": reason,
                "received_at": received,
            }
        )
    if alert_rows:
        alerts.raise_many(session, alert_rows)
        uow.changes.alerts = True
    if records:
        table = cast(Table, InboxEvent.__table__)
        insert_many(session.connection(), table, records)  # the driver's executemany: no ORM or Core work per row
    state = sync_state(session, vendor.id)
    if next_cursor is not None:
        state.cursor = next_cursor
    session.flush()
    return PageResult(len(outcomes) - rejected, rejected, skipped)


def reset_cursor(session: Session, actor: Actor, vendor_id: int) -> str | None:
    """Forget the vendor's feed cursor: the next pull reads the supplier's feed from its start.

    For a supplier that lost its feed (it answers "unknown cursor" after a restart) and for one
    that rebuilt it. Nothing is applied twice: every event already applied or rejected is known by
    its id and skipped. A parts manager's action, audited; returns the cursor that was forgotten.
    """
    require(actor, Action.RESET_SYNC_FEED)
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFoundError(f"unknown vendor id {vendor_id}")
    state = sync_state(session, vendor_id)
    old = state.cursor
    state.cursor = None
    audit.record(session, actor, "sync.reset_cursor", "vendor", vendor.code, old_cursor=old)
    log.info("%s: feed cursor %r reset by %s", vendor.code, old, actor.name)
    return old


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


def list_rejected(
    session: Session, actor: Actor, vendor_id: int | None = None, limit: int = 200
) -> list[RejectedEvent]:
    """Rejected events ``actor`` may see (a supplier: its own vendor's), newest first."""
    stmt = (
        select(InboxEvent, Vendor.code)
        .join(Vendor, Vendor.id == InboxEvent.vendor_id)
        .where(InboxEvent.status == InboxStatus.REJECTED, visible(actor, InboxEvent))
    )
    if vendor_id is not None:
        stmt = stmt.where(InboxEvent.vendor_id == vendor_id)
    return [
        RejectedEvent(e.id, e.vendor_id, code, e.event_id, e.type, e.occurred_at, e.received_at, e.reason, e.payload)
        for e, code in session.execute(stmt.order_by(InboxEvent.id.desc()).limit(limit))
    ]
