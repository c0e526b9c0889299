"""The durable outbox: messages to suppliers, written with the change that caused them.

Enqueue functions add ``OutboxMessage`` rows in the caller's transaction, so a
message exists exactly when its change committed. Sending (``engine``) takes
messages in order, marks them sent, or records a transient failure with the
back-off persisted in the row (``attempts``, ``next_attempt_at``: it survives a
restart), or a permanent one (status failed, the answer kept, a ``sync_failed``
alert). Failed messages are retried or discarded by a person from the Sync page.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from tenacity import RetryCallState, wait_random_exponential

from vmi_desktop import audit, wire
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ConnectionKind,
    OutboxMessage,
    OutboxStatus,
    PurchaseOrder,
    Receipt,
    ScopeVersion,
    StockMovement,
    SyncState,
    Vendor,
    alert_is_open,
    utcnow,
)
from vmi_desktop.scope import SYSTEM, Action, Actor, covered_codes, require
from vmi_desktop.sync import payloads
from vmi_desktop.sync.client import cancel_path

log = logging.getLogger(__name__)

STOCK_REPORT, USAGE, PURCHASE_ORDER, CANCEL, RECEIPT = "stock_report", "usage", "purchase_order", "cancel", "receipt"
_PATHS = {
    STOCK_REPORT: "/v1/stock-reports",
    USAGE: "/v1/usage",
    PURCHASE_ORDER: "/v1/purchase-orders",
    RECEIPT: "/v1/receipts",
}
#: Rows inserted per statement when a report is large.
INSERT_BATCH = 10


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with full jitter (tenacity's ``wait_random_exponential``)."""

    initial_s: float = 2.0
    max_s: float = 600.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after ``attempts`` failed tries; never less than the supplier's Retry-After."""
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = max(1, attempts)
        jitter = float(wait_random_exponential(multiplier=self.initial_s, max=self.max_s)(state))
        if retry_after is not None:
            return max(jitter, min(retry_after, 24 * 3600.0))
        return jitter


#: Vendors reached by files get the same outbox, every kind (receipts as 861 / RECADV / receipt files).
_SYNCED_KINDS = (ConnectionKind.REST, ConnectionKind.X12, ConnectionKind.EDIFACT, ConnectionKind.CSV)


def _syncs(vendor: Vendor | None) -> bool:
    return vendor is not None and vendor.active and vendor.connection_kind in _SYNCED_KINDS


def _encoded(bodies: Any) -> Any:
    """(message id, JSON text) of bodies built as dicts."""
    for body in bodies:
        yield body["message_id"], wire.dumps(body)


def _rows(vendor_id: int, kind: str, path: str, bodies: Any, scope_version: int | None = None) -> Any:
    """Outbox rows of ``bodies``: (message id, JSON text) pairs (``payloads.*_payloads``, ``_encoded``)."""
    now = utcnow()
    for message_id, payload in bodies:
        yield {
            "scope_version": scope_version,
            "vendor_id": vendor_id,
            "message_id": message_id,
            "kind": kind,
            "method": "POST",
            "path": path,
            "payload": payload,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "last_error": "",
            "response_body": "",
        }


def _insert(session: Session, rows: Any) -> int:
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= INSERT_BATCH:
            session.execute(insert(OutboxMessage), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(insert(OutboxMessage), batch)
        count += len(batch)
    return count


def enqueue_stock_report(
    session: Session,
    vendor_id: int,
    mode: str = "full",
    *,
    pairs: set[tuple[int, int]] | None = None,
    scope_version: int | None = None,
) -> int:
    """Queue a stock report (``full`` or ``delta`` for ``pairs``); returns the number of messages.

    ``scope_version``: the scope version read before (default: read now, before the lines)."""
    vendor = session.get(Vendor, vendor_id)
    if not _syncs(vendor):
        return 0
    version = current_scope_version(session) if scope_version is None else scope_version
    count = _insert(
        session,
        _rows(
            vendor_id,
            STOCK_REPORT,
            _PATHS[STOCK_REPORT],
            payloads.stock_report_payloads(session, vendor_id, mode, pairs=pairs),
            version,
        ),
    )
    if mode == "full":
        state = sync_state(session, vendor_id)
        state.last_full_report_at = utcnow()
        state.last_delta_movement_id = session.scalar(select(func.max(StockMovement.id))) or 0
    return count


def enqueue_usage(session: Session, vendor_id: int, since: datetime) -> int:
    """Queue the consumption history since ``since``; returns the number of messages."""
    if not _syncs(session.get(Vendor, vendor_id)):
        return 0
    version = current_scope_version(session)  # before the lines are read: see ScopeVersion
    bodies = payloads.usage_payloads(session, vendor_id, since)
    return _insert(session, _rows(vendor_id, USAGE, _PATHS[USAGE], bodies, version))


def enqueue_full_report(session: Session, engine: Engine, vendor_id: int, since: datetime) -> int:
    """Queue the full stock report and the consumption history since ``since``; returns the number of messages.

    The usage query (it aggregates before its first row) is started on a second connection of ``engine``
    first and runs while the stock report is read and queued; its messages follow the stock report's.
    The second connection reads what is committed: the caller's transaction must not have changed the
    movements or agreements before this.
    """
    if not _syncs(session.get(Vendor, vendor_id)):
        return 0
    version = current_scope_version(session)  # before either report's lines are read: see ScopeVersion
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        count = enqueue_stock_report(session, vendor_id, "full", scope_version=version)  # one shared connection
        bodies = payloads.usage_payloads(session, vendor_id, since)
        return count + _insert(session, _rows(vendor_id, USAGE, _PATHS[USAGE], bodies, version))
    with payloads.usage_ahead(session, engine, vendor_id, since) as usage:
        count = enqueue_stock_report(session, vendor_id, "full", scope_version=version)
        bodies = payloads.usage_payloads(session, vendor_id, since, rows=usage)
        return count + _insert(session, _rows(vendor_id, USAGE, _PATHS[USAGE], bodies, version))


def enqueue_purchase_order(session: Session, po: PurchaseOrder) -> int:
    """Queue an order for its vendor (nothing for a vendor not connected by REST)."""
    if not _syncs(session.get(Vendor, po.vendor_id)):
        return 0
    return _insert(
        session,
        _rows(
            po.vendor_id,
            PURCHASE_ORDER,
            _PATHS[PURCHASE_ORDER],
            _encoded(payloads.purchase_order_bodies(session, po)),
        ),
    )


def enqueue_cancel(session: Session, po: PurchaseOrder, reason: str) -> int:
    """Queue the cancellation of an order that was sent."""
    if not _syncs(session.get(Vendor, po.vendor_id)):
        return 0
    return _insert(
        session,
        _rows(
            po.vendor_id,
            CANCEL,
            cancel_path(po.po_number),
            _encoded([payloads.cancel_body(session, po, reason or "cancelled")]),
        ),
    )


def enqueue_receipt(session: Session, receipt: Receipt) -> int:
    """Queue a goods receipt for the order's vendor."""
    po = session.get(PurchaseOrder, receipt.purchase_order_id)
    if po is None or not _syncs(session.get(Vendor, po.vendor_id)):
        return 0
    return _insert(
        session, _rows(po.vendor_id, RECEIPT, _PATHS[RECEIPT], _encoded(payloads.receipt_bodies(session, receipt)))
    )


def dirty_pairs(session: Session, vendor_id: int) -> tuple[set[tuple[int, int]], int | None]:
    """Pairs with a ledger movement since the last report, and the newest movement id."""
    state = sync_state(session, vendor_id)
    after = state.last_delta_movement_id or 0
    newest = session.scalar(select(func.max(StockMovement.id)))
    if newest is None or newest <= after:
        return set(), newest
    rows = session.execute(
        select(StockMovement.sku_id, StockMovement.location_id).where(StockMovement.id > after).distinct()
    )
    return {(s, loc) for s, loc in rows}, newest


def enqueue_delta_report(session: Session, vendor_id: int) -> int:
    """Queue a delta report for the vendor's pairs whose stock moved since the last report."""
    if not _syncs(session.get(Vendor, vendor_id)):
        return 0
    pairs, newest = dirty_pairs(session, vendor_id)
    count = enqueue_stock_report(session, vendor_id, "delta", pairs=pairs) if pairs else 0
    if newest is not None:
        sync_state(session, vendor_id).last_delta_movement_id = newest
    return count


def sync_state(session: Session, vendor_id: int) -> SyncState:
    """The vendor's sync state row, created on first use."""
    state = session.get(SyncState, vendor_id)
    if state is None:
        state = SyncState(vendor_id=vendor_id, last_error="")
        session.add(state)
        session.flush()
    return state


# -- sending bookkeeping (used by the engine) -----------------------------------------------------

#: Kinds whose lines show the customer's stock or usage per pair: re-checked against scope at send time.
_SCOPED_KINDS = frozenset({STOCK_REPORT, USAGE})


def current_scope_version(session: Session) -> int | None:
    """The scope counter of now (``ScopeVersion``); None if its row is missing (every line is then checked)."""
    return session.scalar(select(ScopeVersion.version).where(ScopeVersion.id == 1))


def _stamped_for(payload: str, message_id: str, customer_id: str) -> bool:
    """Whether a body as ``_rows`` wrote it starts with this message id and carries ``customer_id``.

    Bodies are encoded with their keys in the order the payload builders give (``message_id`` first,
    ``customer_id`` second), so this reads the customer id without parsing a thousand lines; any
    other spelling simply fails the test and the body is parsed.
    """
    prefix = '{"message_id":' + wire.dumps(message_id) + ',"customer_id":' + wire.dumps(customer_id) + ","
    return payload.startswith(prefix)


@dataclass(frozen=True)
class Outgoing:
    """A message ready to POST: its row, where it goes, its idempotency key and the body to send."""

    id: int
    kind: str
    path: str
    message_id: str
    body: bytes


@functools.cache
def _head_statement() -> Any:
    """The head of a vendor's queue (after ``after_id``), its vendor's customer id and the scope counter.

    Built once (its parameters bound at each call): the send loop asks it once per message."""
    head_id = (
        select(func.min(OutboxMessage.id))
        .where(
            OutboxMessage.vendor_id == bindparam("vendor_id"),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.id > bindparam("after_id"),
        )
        .scalar_subquery()
    )
    current = select(ScopeVersion.version).where(ScopeVersion.id == 1).scalar_subquery()
    return (
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.path,
            OutboxMessage.message_id,
            OutboxMessage.payload,
            OutboxMessage.next_attempt_at,
            OutboxMessage.scope_version,
            Vendor.customer_id,
            current,
        )
        .join(Vendor, Vendor.id == OutboxMessage.vendor_id)
        .where(OutboxMessage.id == head_id)
    )


def next_outgoing(
    session: Session, vendor_id: int, now: datetime | None = None, *, after_id: int = 0
) -> Outgoing | datetime | None:
    """The oldest pending message (of those after ``after_id``) ready to send, checked as of now.

    ``None`` when none is pending, the time the oldest is due when it waits (order is kept: a waiting
    head blocks the rest). The head's row, its vendor's customer id and the scope counter are read in
    one statement; a stock or usage report queued at the current scope version, with the customer id of
    now, goes as it was stored. Any other goes through ``prepare_send`` (its lines checked one by one; one
    left with no line is discarded and the next one taken).
    """
    now = now or utcnow()
    while True:
        row = session.execute(_head_statement(), {"vendor_id": vendor_id, "after_id": after_id}).first()
        if row is None:
            return None
        row_id, kind, path, message_id, payload, due_at, queued_at, customer_id, version = row
        if due_at > now:
            return due_at
        fresh = kind not in _SCOPED_KINDS or (queued_at is not None and queued_at == version)
        if fresh and _stamped_for(payload, message_id, customer_id):
            return Outgoing(row_id, kind, path, message_id, payload.encode("utf-8"))
        msg = session.get_one(OutboxMessage, row_id)
        body = prepare_send(session, msg)
        if body is not None:
            if kind in _SCOPED_KINDS and version is not None:
                msg.scope_version = version  # checked as of it (read first): a retry goes as stored
            return Outgoing(row_id, kind, path, message_id, body)
        session.flush()  # discarded: the next pending one is the head now


def prepare_send(session: Session, msg: OutboxMessage) -> bytes | None:
    """The body to send for ``msg`` now, checked now; None when nothing of it may go (it is discarded).

    A message may wait in the queue for days. What it says is checked again as it leaves: its
    ``customer_id`` is the vendor's customer id of now (the one in the ``X-VMI-Customer`` header),
    and a stock or usage line whose pair is no longer covered by an active agreement of the vendor
    is left out (recorded in the audit trail; a message left with no line is discarded). The row
    keeps what is actually sent.
    """
    vendor = session.get(Vendor, msg.vendor_id)
    assert vendor is not None
    body = wire.loads(msg.payload)
    changed = False
    if isinstance(body, dict) and "customer_id" in body and body["customer_id"] != vendor.customer_id:
        body["customer_id"] = vendor.customer_id
        changed = True
    if msg.kind in _SCOPED_KINDS and isinstance(body, dict) and isinstance(body.get("lines"), list):
        lines = body["lines"]
        covered = covered_codes(session, vendor.id, {(ln["sku"], ln["location_code"]) for ln in lines})
        kept = [ln for ln in lines if (ln["sku"], ln["location_code"]) in covered]
        if len(kept) < len(lines):
            left_out = sorted(
                {f"{ln['sku']} at {ln['location_code']}" for ln in lines}
                - {f"{ln['sku']} at {ln['location_code']}" for ln in kept}
            )
            audit.record(
                session,
                SYSTEM,
                "sync.scope_at_send",
                "outbox_message",
                msg.id,
                vendor=vendor.code,
                kind=msg.kind,
                lines_left_out=len(lines) - len(kept),
                left_out=left_out[:50],
            )
            log.warning(
                "%s: %d line(s) of %s message %s left out at send time (no active agreement any more): %s",
                vendor.code,
                len(lines) - len(kept),
                msg.kind,
                msg.id,
                ", ".join(left_out[:5]),
            )
            if not kept:
                msg.status = OutboxStatus.DISCARDED
                msg.last_error = "every line left the vendor's scope before it was sent; nothing was sent"
                return None
            body["lines"] = kept
            changed = True
    if not changed:
        return msg.payload.encode("utf-8")
    raw = wire.dumpb(body)
    msg.payload = raw.decode("utf-8")
    return raw


def next_due(session: Session, vendor_id: int, now: datetime | None = None) -> OutboxMessage | None:
    """The oldest pending message if it is due, checked as of now (``prepare_send``: its row then holds
    what may go; one left with no line in scope is discarded and the next taken); order is kept, so a
    waiting head blocks the rest. What a file exchange writes, as ``next_outgoing`` is what REST sends.

    Its id first (from the index), then the row: ordering whole rows would read every pending
    message's payload (a full report queues hundreds of them) to send each one.
    """
    while True:
        head_id = session.scalar(
            select(OutboxMessage.id)
            .where(OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.PENDING)
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        head = None if head_id is None else session.get(OutboxMessage, head_id)
        if head is None or head.next_attempt_at > (now or utcnow()):
            return None
        if prepare_send(session, head) is not None:
            return head
        session.flush()  # discarded: the next pending one is the head now


def mark_sent(session: Session, message_id: int, status: int, body: str) -> None:
    """The supplier acknowledged the message: one UPDATE (the row's payload is not read again)."""
    session.execute(
        _sent_statement(),
        {"row_id": message_id, "sent_at": utcnow(), "response_status": status, "response_body": body[:4000]},
    )


@functools.cache
def _sent_statement() -> Any:
    """``mark_sent``'s UPDATE, built once (one per message sent)."""
    return (
        update(OutboxMessage)
        .where(OutboxMessage.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENT,
            attempts=OutboxMessage.attempts + 1,
            sent_at=bindparam("sent_at", type_=OutboxMessage.sent_at.type),
            response_status=bindparam("response_status", type_=OutboxMessage.response_status.type),
            response_body=bindparam("response_body", type_=OutboxMessage.response_body.type),
            last_error="",
        )
    )


def mark_transient(
    session: Session,
    message_id: int,
    error: str,
    *,
    status: int | None,
    body: str,
    retry_after: float | None,
    backoff: Backoff,
    now: datetime | None = None,
) -> datetime:
    """Count the failed try and persist when to try again (back-off from ``now``); the message stays pending."""
    msg = session.get(OutboxMessage, message_id)
    assert msg is not None
    msg.attempts += 1
    msg.next_attempt_at = (now or utcnow()) + timedelta(seconds=backoff.delay(msg.attempts, retry_after))
    msg.last_error = error[:1000]
    msg.response_status = status
    msg.response_body = body[:4000]
    return msg.next_attempt_at


def mark_failed(session: Session, message_id: int, error: str, *, status: int | None, body: str) -> None:
    """Permanent failure: kept as failed with the answer, and an alert for a person."""
    from vmi_desktop.sync.dispatch import raise_alert

    msg = session.get(OutboxMessage, message_id)
    assert msg is not None
    msg.attempts += 1
    msg.status = OutboxStatus.FAILED
    msg.last_error = error[:1000]
    msg.response_status = status
    msg.response_body = body[:4000]
    vendor = session.get(Vendor, msg.vendor_id)
    raise_alert(
        session,
        kind=AlertKind.SYNC_FAILED,
        cause_key=f"sync_failed:outbox:{msg.id}",
        message=f"{vendor.code if vendor else msg.vendor_id}: {msg.kind.replace('_', ' ')} message "
        f"{msg.id} was refused: {error}"[:1000],
        vendor_id=msg.vendor_id,
    )


# -- the Sync page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageInfo:
    """One outbox row as the Sync page shows it (a plain value, safe to pass between threads)."""

    id: int
    vendor_id: int
    vendor_code: str
    message_id: str
    kind: str
    path: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str
    response_status: int | None
    response_body: str
    created_at: datetime
    sent_at: datetime | None


def list_messages(
    session: Session, vendor_id: int | None = None, status: OutboxStatus | str | None = None, limit: int = 200
) -> list[MessageInfo]:
    """Outbox rows, newest first, optionally of one vendor and/or status."""
    stmt = select(OutboxMessage, Vendor.code).join(Vendor, Vendor.id == OutboxMessage.vendor_id)
    if vendor_id is not None:
        stmt = stmt.where(OutboxMessage.vendor_id == vendor_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == OutboxStatus(status))
    stmt = stmt.order_by(OutboxMessage.id.desc()).limit(limit)
    return [
        MessageInfo(
            m.id,
            m.vendor_id,
            code,
            m.message_id,
            m.kind,
            m.path,
            m.status,
            m.attempts,
            m.next_attempt_at,
            m.last_error,
            m.response_status,
            m.response_body,
            m.created_at,
            m.sent_at,
        )
        for m, code in session.execute(stmt)
    ]


def queue_summary(session: Session, vendor_id: int) -> dict[str, Any]:
    """Counts per status plus the oldest pending message and when the next try is due."""
    counts = dict(
        session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.vendor_id == vendor_id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    oldest, next_at = session.execute(
        select(func.min(OutboxMessage.created_at), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.PENDING
        )
    ).one()
    summary: dict[str, Any] = {s.value: int(counts.get(s, 0)) for s in OutboxStatus}
    summary["oldest_pending_at"] = oldest
    summary["next_attempt_at"] = next_at
    return summary


def _get(session: Session, message_id: int) -> OutboxMessage:
    msg = session.get(OutboxMessage, message_id)
    if msg is None:
        raise NotFoundError(f"unknown outbox message {message_id}")
    return msg


def retry_message(session: Session, actor: Actor, message_id: int) -> OutboxMessage:
    """Put a failed (or discarded) message back in the queue, to be sent on the next sync."""
    require(actor, Action.RUN_SYNC)
    msg = _get(session, message_id)
    if msg.status not in (OutboxStatus.FAILED, OutboxStatus.DISCARDED, OutboxStatus.PENDING):
        raise ValidationError(f"message {message_id} was already sent; there is nothing to retry")
    msg.status = OutboxStatus.PENDING
    msg.attempts = 0
    msg.next_attempt_at = utcnow()
    _resolve_alert(session, msg, actor)
    audit.record(session, actor, "sync.retry", "outbox_message", msg.id, kind=msg.kind, message_id=msg.message_id)
    return msg


def failed_count(session: Session, vendor_id: int) -> int:
    """How many of a vendor's messages failed (and wait for a person)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.FAILED)
        )
        or 0
    )


def retry_failed(session: Session, actor: Actor, vendor_id: int) -> int:
    """Queue every failed message of a vendor again (after its token was fixed, say); returns how many.

    Set-based; each message's ``sync_failed`` alert is resolved, and one audit entry names them.
    """
    require(actor, Action.RUN_SYNC)
    ids = list(
        session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.vendor_id == vendor_id, OutboxMessage.status == OutboxStatus.FAILED
            )
        )
    )
    if not ids:
        return 0
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    keys = [f"sync_failed:outbox:{i}" for i in ids]
    for start in range(0, len(keys), 500):
        session.execute(
            update(Alert)
            .where(Alert.cause_key.in_(keys[start : start + 500]), alert_is_open())
            .values(status=AlertStatus.RESOLVED, resolved_at=utcnow(), resolved_by=actor.name)
            .execution_options(synchronize_session=False)
        )
    audit.record(session, actor, "sync.retry_all", "vendor", vendor_id, messages=len(ids))
    return len(ids)


def discard_message(session: Session, actor: Actor, message_id: int) -> OutboxMessage:
    """Give up on a message (it stays in the table as discarded, for the record)."""
    require(actor, Action.RUN_SYNC)
    msg = _get(session, message_id)
    if msg.status == OutboxStatus.SENT:
        raise ValidationError(f"message {message_id} was already sent; it cannot be discarded")
    msg.status = OutboxStatus.DISCARDED
    _resolve_alert(session, msg, actor)
    audit.record(session, actor, "sync.discard", "outbox_message", msg.id, kind=msg.kind, message_id=msg.message_id)
    return msg


def _resolve_alert(session: Session, msg: OutboxMessage, actor: Actor) -> None:
    from vmi_desktop.sync.dispatch import resolve_alert

    resolve_alert(session, f"sync_failed:outbox:{msg.id}", actor.name)
