"""Alerts: one open alert per cause, acknowledged and resolved with who and when."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, UTCDateTime, partial_index, str_enum, utcnow
from vmi_desktop.models.enums import AlertKind, AlertSeverity, AlertStatus


class Alert(Base):
    """Something a person should look at. ``cause_key`` identifies the cause for dedup."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, "alert_kind"))
    severity: Mapped[AlertSeverity] = mapped_column(
        str_enum(AlertSeverity, "alert_severity"), default=AlertSeverity.WARNING
    )
    status: Mapped[AlertStatus] = mapped_column(str_enum(AlertStatus, "alert_status"), default=AlertStatus.OPEN)
    cause_key: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(1000))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="SET NULL"), default=None)
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id", ondelete="SET NULL"), default=None)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), default=None)
    purchase_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(100), default=None)

    __table_args__ = (
        # At most one unresolved alert per cause, enforced by the database.
        partial_index("uq_alerts_open_cause", "cause_key", unique=True, where="status <> 'resolved'"),
        Index("ix_alerts_status_created", "status", "created_at"),
        Index("ix_alerts_vendor_id", "vendor_id"),
    )


def alert_is_open() -> ColumnElement[bool]:
    """``status <> 'resolved'`` with the value written out, as the partial index ``uq_alerts_open_cause``
    says it: SQLite uses that index for a lookup by cause only when the query names its predicate
    literally (with a bound value it scanned every alert ever raised, for each cause looked up)."""
    return Alert.status != literal_column("'resolved'")
