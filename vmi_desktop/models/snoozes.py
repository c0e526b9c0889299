"""Snoozes of the replenishment worklist: a pair the parts manager put aside until a date."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, UTCDateTime, utcnow


class PairSnooze(Base):
    """The current snooze of a SKU x location: off the worklist and skipped by the reorder trigger
    while ``until`` is after today (UTC); on ``until`` it is back by itself, nothing has to run.

    One row per pair (a new snooze replaces the old one); the history is in the audit trail.
    """

    __tablename__ = "pair_snoozes"

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    until: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(500))
    snoozed_by: Mapped[str] = mapped_column(String(100))
    snoozed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_not_empty"),)
