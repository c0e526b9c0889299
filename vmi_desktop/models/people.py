"""Users with roles, and the audit trail of who changed what."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, BigIntPK, UTCDateTime, VersionedMixin, str_enum, utcnow
from vmi_desktop.models.enums import Role


class User(VersionedMixin, Base):
    """A person using the app; a supplier user is bound to exactly one vendor."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    #: The PostgreSQL login that is this user (``session_user``); None on SQLite, where the OS account
    #: owning the data folder is the parts manager and other users are previews.
    db_login: Mapped[str | None] = mapped_column(String(63), default=None)

    __table_args__ = (
        CheckConstraint(
            "(role = 'supplier' AND vendor_id IS NOT NULL) OR (role <> 'supplier' AND vendor_id IS NULL)",
            name="supplier_bound_to_vendor",
        ),
        Index("uq_users_db_login", "db_login", unique=True),
    )


class AuditEntry(Base):
    """Who did what, when: written in the same transaction as the change.

    ``actor`` is the app user (or ``vendor:CODE`` for a vendor's sync); ``login`` the authenticated
    identity behind it: on PostgreSQL the database login, stamped by a trigger from ``session_user`` (a
    client cannot write another); on SQLite the OS account. ``vendor_id`` is the vendor a supplier
    entry belongs to: a supplier reads its own vendor's entries and no other.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    login: Mapped[str] = mapped_column(String(100), default="", server_default="")
    vendor_id: Mapped[int | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_audit_entries_occurred_at", "occurred_at"),
        Index("ix_audit_entries_entity", "entity", "entity_id"),
        Index("ix_audit_entries_vendor_id", "vendor_id"),
    )


class Counter(Base):
    """Named number sequences (order and receipt numbers), incremented under a row lock."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
