"""Purchase orders, their lines, status history, receipts and shipments."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vmi_desktop.models.base import Base, Money, Quantity, UTCDateTime, VersionedMixin, partial_index, str_enum, utcnow
from vmi_desktop.models.enums import POLineStatus, POOrigin, POStatus


class PurchaseOrder(VersionedMixin, Base):
    """An order to one vendor for one location; raised automatically, by a supplier or by hand."""

    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    po_number: Mapped[str] = mapped_column(String(40), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    status: Mapped[POStatus] = mapped_column(str_enum(POStatus, "po_status"), default=POStatus.DRAFT)
    origin: Mapped[POOrigin] = mapped_column(str_enum(POOrigin, "po_origin"), default=POOrigin.MANUAL)
    supplier_order_id: Mapped[str | None] = mapped_column(String(100), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    need_by: Mapped[date | None] = mapped_column(default=None)
    expected_delivery: Mapped[date | None] = mapped_column(default=None)
    hold_reason: Mapped[str] = mapped_column(String(500), default="")
    note: Mapped[str] = mapped_column(String(500), default="")

    lines: Mapped[list["PurchaseOrderLine"]] = relationship(
        back_populates="order", order_by="PurchaseOrderLine.line_no", cascade="all, delete-orphan"
    )
    history: Mapped[list["POStatusChange"]] = relationship(
        back_populates="order", order_by="POStatusChange.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        partial_index(
            "uq_purchase_orders_vendor_supplier_order",
            "vendor_id",
            "supplier_order_id",
            unique=True,
            where="supplier_order_id IS NOT NULL",
        ),
        Index("ix_purchase_orders_status", "status"),
        Index("ix_purchase_orders_vendor_status", "vendor_id", "status"),
        Index("ix_purchase_orders_location_id", "location_id"),
        Index("ix_purchase_orders_created_at", "created_at"),
    )


class PurchaseOrderLine(Base):
    """One SKU on an order, with ordered, acknowledged, shipped and received quantities."""

    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column()
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    agreement_id: Mapped[int | None] = mapped_column(
        ForeignKey("supply_agreements.id", ondelete="SET NULL"), default=None
    )
    supplier_sku: Mapped[str] = mapped_column(String(60), default="")
    uom: Mapped[str] = mapped_column(String(12), default="EA")
    quantity_ordered: Mapped[Decimal] = mapped_column(Quantity)
    quantity_acknowledged: Mapped[Decimal | None] = mapped_column(Quantity, default=None)
    quantity_shipped: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    quantity_received: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    need_by: Mapped[date | None] = mapped_column(default=None)
    expected_delivery: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[POLineStatus] = mapped_column(str_enum(POLineStatus, "po_line_status"), default=POLineStatus.OPEN)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")

    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_no"),
        CheckConstraint("line_no > 0", name="line_no_positive"),
        CheckConstraint("quantity_ordered > 0", name="ordered_positive"),
        CheckConstraint("quantity_acknowledged IS NULL OR quantity_acknowledged >= 0", name="ack_not_negative"),
        CheckConstraint("quantity_shipped >= 0", name="shipped_not_negative"),
        CheckConstraint("quantity_received >= 0", name="received_not_negative"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        Index("ix_purchase_order_lines_sku_id", "sku_id"),
        # the open lines of a SKU (what is on order), without the SKU's whole order history
        partial_index("ix_purchase_order_lines_open_sku", "sku_id", "purchase_order_id", where="status = 'open'"),
    )

    @property
    def open_quantity(self) -> Decimal:
        """What is still expected: ordered (or acknowledged) minus received, never negative."""
        if self.status != POLineStatus.OPEN:
            return Decimal(0)
        base = self.quantity_acknowledged if self.quantity_acknowledged is not None else self.quantity_ordered
        return max(Decimal(0), base - self.quantity_received)


class POStatusChange(Base):
    """Every status transition of an order, with who and when."""

    __tablename__ = "po_status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[POStatus | None] = mapped_column(str_enum(POStatus, "po_from_status"), default=None)
    to_status: Mapped[POStatus] = mapped_column(str_enum(POStatus, "po_to_status"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")

    order: Mapped[PurchaseOrder] = relationship(back_populates="history")


class Receipt(Base):
    """Goods received at a location against one order (the ledger rows point here)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(40), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_by: Mapped[str] = mapped_column(String(100))


class Shipment(Base):
    """An advance ship notice from the supplier."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(100))
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking: Mapped[str] = mapped_column(String(100), default="")
    eta: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("vendor_id", "external_id"),)
