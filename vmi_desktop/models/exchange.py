"""Files exchanged with suppliers through a folder: what was written, received, applied or refused."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, BigIntPK, UTCDateTime, utcnow


class ExchangeFile(Base):
    """One file in or out: its content hash and interchange control number (so none is applied twice).

    ``direction`` is ``in`` or ``out``; ``status`` says what became of it: ``writing`` (its control
    number is reserved, a retry rewrites the same file), ``written``, ``acknowledged`` or ``refused``
    (by the partner's 997/CONTRL/ack) for files out; ``applied``, ``rejected`` or ``duplicate`` for
    files in. ``reason`` says why a file was rejected or refused.
    """

    __tablename__ = "exchange_files"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    direction: Mapped[str] = mapped_column(String(3))
    standard: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), default="")
    control_number: Mapped[str] = mapped_column(String(35), default="")
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("outbox_messages.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_exchange_files_vendor_direction_control", "vendor_id", "direction", "control_number"),
        Index("ix_exchange_files_vendor_sha256", "vendor_id", "sha256"),
        Index("ix_exchange_files_outbox_message_id", "outbox_message_id"),
    )
