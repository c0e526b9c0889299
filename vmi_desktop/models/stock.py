"""The stock ledger: levels, append-only movements and cycle counts."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vmi_desktop.models.base import Base, BigIntPK, Quantity, UTCDateTime, partial_index, str_enum, utcnow
from vmi_desktop.models.enums import MovementKind


class StockLevel(Base):
    """On hand per SKU x location, updated only by the ledger in the posting's transaction."""

    __tablename__ = "stock_levels"

    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_movement_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (
        Index("ix_stock_levels_location_sku", "location_id", "sku_id"),
        # the stock table sorts a million rows by on hand (key as tiebreak) without a sort step
        Index("ix_stock_levels_on_hand", "on_hand", "sku_id", "location_id"),
    )


class StockMovement(Base):
    """One ledger row. Never updated or deleted (triggers enforce it in the schema)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind, "movement_kind"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    on_hand_after: Mapped[Decimal] = mapped_column(Quantity)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_lines.id", ondelete="RESTRICT"), default=None, index=True
    )
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id", ondelete="RESTRICT"), default=None)
    #: the movement this one counter-posts (a reversal); unique, so nothing is reversed twice. No foreign
    #: key: SQLite cannot add a named one in place, and movements are never deleted (the triggers)
    reverses_movement_id: Mapped[int | None] = mapped_column(BigIntPK, default=None)

    __table_args__ = (
        CheckConstraint("quantity <> 0 OR kind = 'count'", name="quantity_not_zero"),
        partial_index(
            "uq_stock_movements_reverses", "reverses_movement_id", unique=True, where="reverses_movement_id IS NOT NULL"
        ),
        # a pair's movements in time order; kind, quantity and on hand after covered: a window's consumption
        # and a pair's health (stock-outs, average on hand) are index-only
        Index(
            "ix_stock_movements_pair_time", "sku_id", "location_id", "occurred_at", "kind", "quantity", "on_hand_after"
        ),
        Index("ix_stock_movements_occurred_at", "occurred_at"),
        # the receipts of order lines (supplier fill rates), index-only
        partial_index(
            "ix_stock_movements_receipts",
            "purchase_order_line_id",
            "kind",
            "occurred_at",
            "quantity",
            where="purchase_order_line_id IS NOT NULL",
        ),
    )


class CycleCount(Base):
    """A physical count: counted vs system quantity, kept for stock accuracy."""

    __tablename__ = "cycle_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    counted_qty: Mapped[Decimal] = mapped_column(Quantity)
    system_qty: Mapped[Decimal] = mapped_column(Quantity)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    counted_by: Mapped[str] = mapped_column(String(100))
    movement_id: Mapped[int | None] = mapped_column(ForeignKey("stock_movements.id", ondelete="RESTRICT"), default=None)

    __table_args__ = (
        CheckConstraint("counted_qty >= 0", name="counted_not_negative"),
        Index("ix_cycle_counts_pair_time", "sku_id", "location_id", "counted_at"),
    )

    @property
    def variance(self) -> Decimal:
        return self.counted_qty - self.system_qty
