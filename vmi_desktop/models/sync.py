"""Durable sync state: outbox of messages to suppliers, inbox of their events, cursors."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, BigIntPK, UTCDateTime, str_enum, utcnow
from vmi_desktop.models.enums import InboxStatus, OutboxStatus


class OutboxMessage(Base):
    """A message to a supplier, written in the same transaction as the change behind it."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(8), default="POST")
    path: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: ``ScopeVersion.version`` as a stock or usage report was read (None: checked line by line when sent).
    scope_version: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (Index("ix_outbox_messages_vendor_status_next", "vendor_id", "status", "next_attempt_at"),)


class ScopeVersion(Base):
    """One row whose ``version`` database triggers move whenever a vendor's scope may have shrunk.

    Moved by every change of an agreement's vendor, SKU, location or active flag, a deleted agreement,
    a renamed or deleted SKU or location (migration 0011): a report queued at the current version holds
    no line outside its vendor's scope, so sending it needs no per-line check (``outbox.prepare_send``).
    """

    __tablename__ = "scope_version"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


def event_key(event_id: str) -> str:
    """The deduplication key of an event id: sha256, hex (fixed length, whatever the id's length)."""
    return hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def _event_key_default(context: Any) -> str:
    return event_key(context.get_current_parameters()["event_id"])


class InboxEvent(Base):
    """An event pulled from a supplier: applied or rejected (with the reason), never twice.

    ``event_id`` is the supplier's id in full; ``event_key`` (its sha256) is what is unique per vendor.
    """

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    event_id: Mapped[str] = mapped_column(Text)
    event_key: Mapped[str] = mapped_column(String(64), default=_event_key_default)
    type: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[InboxStatus] = mapped_column(str_enum(InboxStatus, "inbox_status"))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        UniqueConstraint("vendor_id", "event_key"),
        Index("ix_inbox_events_vendor_status", "vendor_id", "status"),
    )


class SyncState(Base):
    """Per-vendor cursor and health, committed with the events the cursor covers."""

    __tablename__ = "sync_state"

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_latency_ms: Mapped[int | None] = mapped_column(default=None)
    last_full_report_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_delta_movement_id: Mapped[int | None] = mapped_column(default=None)
