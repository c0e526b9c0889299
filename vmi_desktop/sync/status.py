"""Per-vendor sync health as the Sync page shows it, read with set-based queries (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from vmi_desktop.db import Database
from vmi_desktop.models import ConnectionKind, InboxEvent, OutboxMessage, StockMovement, Vendor
from vmi_desktop.models.enums import InboxStatus, OutboxStatus
from vmi_desktop.models.sync import SyncState
from vmi_desktop.scope import Actor, visible


@dataclass
class VendorSyncStatus:
    """What the Sync page shows for one vendor; persisted parts come from ``sync_state``."""

    vendor_id: int
    code: str
    name: str
    connection_kind: str
    base_url: str
    active: bool
    interval_s: int
    exchange_folder: str = ""
    last_success_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    latency_ms: int | None = None
    outbox_pending: int = 0
    outbox_failed: int = 0
    rejected_events: int = 0
    running: bool = False
    job_kind: str = ""
    jobs_queued: int = 0
    progress: float = 0.0
    progress_text: str = ""
    last_result: str = ""

    @property
    def syncable(self) -> bool:
        """Active REST vendors with a base URL, and active file vendors (X12, EDIFACT, CSV) with a folder."""
        if not self.active:
            return False
        if self.connection_kind == ConnectionKind.REST.value:
            return bool(self.base_url)
        return self.connection_kind in ("x12", "edifact", "csv") and bool(self.exchange_folder)

    @property
    def state_text(self) -> str:
        if self.running:
            pct = f" {int(self.progress * 100)}%" if self.progress else ""
            return f"running ({self.job_kind}){pct}"
        if self.jobs_queued:
            return "queued"
        if not self.syncable:
            return "not synced" if self.active else "inactive"
        return "idle"


def load_vendor_states(db: Database, actor: Actor) -> dict[int, VendorSyncStatus]:
    """Every vendor ``actor`` may see with its persisted sync health and outbox/inbox counts (set-based)."""
    with db.sessions() as session:
        rows = session.execute(
            select(Vendor, SyncState)
            .outerjoin(SyncState, and_(SyncState.vendor_id == Vendor.id, visible(actor, SyncState)))
            .where(visible(actor, Vendor))
            .order_by(Vendor.code)
        ).all()
        outbox = session.execute(
            select(OutboxMessage.vendor_id, OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.FAILED]), visible(actor, OutboxMessage))
            .group_by(OutboxMessage.vendor_id, OutboxMessage.status)
        ).all()
        rejected = session.execute(
            select(InboxEvent.vendor_id, func.count())
            .where(InboxEvent.status == InboxStatus.REJECTED, visible(actor, InboxEvent))
            .group_by(InboxEvent.vendor_id)
        ).all()
        states: dict[int, VendorSyncStatus] = {}
        for vendor, state in rows:
            states[vendor.id] = VendorSyncStatus(
                vendor_id=vendor.id,
                code=vendor.code,
                name=vendor.name,
                connection_kind=ConnectionKind(vendor.connection_kind).value,
                base_url=vendor.base_url,
                exchange_folder=vendor.exchange_folder,
                active=vendor.active,
                interval_s=vendor.sync_interval_s or 300,
                last_success_at=state.last_success_at if state else None,
                last_error=state.last_error if state else "",
                last_error_at=state.last_error_at if state else None,
                latency_ms=state.last_latency_ms if state else None,
            )
    for vendor_id, status, count in outbox:
        if vendor_id in states:
            if OutboxStatus(status) is OutboxStatus.PENDING:
                states[vendor_id].outbox_pending = int(count)
            else:
                states[vendor_id].outbox_failed = int(count)
    for vendor_id, count in rejected:
        if vendor_id in states:
            states[vendor_id].rejected_events = int(count)
    return states


# ------------------------------------------------------------------------------------------ jobs


def newest_movement_id(db: Database, actor: Actor) -> int | None:
    """The highest stock movement id ``actor`` sees: a cheap way to notice stock changes made elsewhere."""
    with db.sessions() as session:
        return session.execute(select(func.max(StockMovement.id)).where(visible(actor, StockMovement))).scalar()
