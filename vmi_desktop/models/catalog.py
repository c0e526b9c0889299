"""Master data people edit: locations, SKUs, vendors and supply agreements."""

# no ``from __future__ import annotations`` here: see vmi_desktop/models/__init__.py

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vmi_desktop.models.base import (
    Base,
    Money,
    Quantity,
    Ratio,
    UTCDateTime,
    VersionedMixin,
    partial_index,
    str_enum,
    utcnow,
)
from vmi_desktop.models.enums import (
    AuthKind,
    ConnectionKind,
    Criticality,
    LocationKind,
    ProposalStatus,
    ReplenishmentMode,
)


class Location(VersionedMixin, Base):
    """Where stock is held: a warehouse, a field site or a service van."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind, "location_kind"), default=LocationKind.WAREHOUSE)
    allow_negative_stock: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("length(code) > 0", name="code_not_empty"),)

    def __repr__(self) -> str:
        return f"Location({self.code!r})"


class Sku(VersionedMixin, Base):
    """A part the customer stocks."""

    __tablename__ = "skus"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_number: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    uom: Mapped[str] = mapped_column(String(12), default="EA")
    #: Deferred: a supplier's login may not read it (it may be another vendor's price), so a SKU loads without it.
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0), deferred=True)
    criticality: Mapped[Criticality] = mapped_column(str_enum(Criticality, "criticality"), default=Criticality.NORMAL)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("length(part_number) > 0", name="part_number_not_empty"),
        CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        # The worklist's search walks SKUs in part-number order and tests the text on the index
        # entry alone (no row read per SKU); ``queries.worklist`` names it for SQLite's planner.
        Index("ix_skus_search", "part_number", "active", "criticality", "description"),
    )

    def __repr__(self) -> str:
        return f"Sku({self.part_number!r})"


class Vendor(VersionedMixin, Base):
    """A supplier and how to reach its system. Secrets are never stored here."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    connection_kind: Mapped[ConnectionKind] = mapped_column(
        str_enum(ConnectionKind, "connection_kind"), default=ConnectionKind.MANUAL
    )
    base_url: Mapped[str] = mapped_column(String(500), default="")
    auth_kind: Mapped[AuthKind] = mapped_column(str_enum(AuthKind, "auth_kind"), default=AuthKind.NONE)
    token_url: Mapped[str] = mapped_column(String(500), default="")
    client_id: Mapped[str] = mapped_column(String(200), default="")
    client_cert_path: Mapped[str] = mapped_column(String(500), default="")
    customer_id: Mapped[str] = mapped_column(String(100), default="")
    exchange_folder: Mapped[str] = mapped_column(String(500), default="")
    #: EDI partner identifiers (ISA qualifier and id, GS application code; UNB id and qualifier)
    edi_our_qualifier: Mapped[str] = mapped_column(String(4), default="ZZ", server_default="ZZ")
    edi_our_id: Mapped[str] = mapped_column(String(35), default="", server_default="")
    edi_our_app: Mapped[str] = mapped_column(String(15), default="", server_default="")
    edi_partner_qualifier: Mapped[str] = mapped_column(String(4), default="ZZ", server_default="ZZ")
    edi_partner_id: Mapped[str] = mapped_column(String(35), default="", server_default="")
    edi_partner_app: Mapped[str] = mapped_column(String(15), default="", server_default="")
    sync_interval_s: Mapped[int] = mapped_column(default=300)
    active: Mapped[bool] = mapped_column(default=True)

    agreements: Mapped[list["SupplyAgreement"]] = relationship(back_populates="vendor")

    __table_args__ = (
        CheckConstraint("length(code) > 0", name="code_not_empty"),
        CheckConstraint("sync_interval_s >= 10", name="sync_interval_sane"),
    )

    def __repr__(self) -> str:
        return f"Vendor({self.code!r})"


#: Days of consumption behind the worklist's "recent consumption rate".
USE_WINDOW_DAYS = 30
#: The replenishment worklist's candidate test (``<= 0``) over one agreement row, in SQL (the
#: indexes below and ``replenishment.worklist.reach`` spell it alike, so the planner matches them):
#: 30 x (on hand - min) against the recent use x lead time, i.e. "on hand is within lead-time
#: demand of min". On hand and use are the ``pair_*`` copies; see ``SupplyAgreement``.
REACH_SQL = f"{USE_WINDOW_DAYS} * (pair_on_hand - min_qty) - pair_recent_use * lead_time_days"
#: The partial indexes' WHERE over the active primary agreements (queries spell it alike to use them).
PRIMARY_SQL = "is_primary AND active"
#: After the order columns, what the worklist's key query reads: the index covers it (no row reads).
_WORKLIST_COLUMNS = (
    text(f"({REACH_SQL})"),
    "pair_on_hand",
    "vendor_id",
    "mode",
    "min_qty",
    "lead_time_days",
    "pair_recent_use",
    "pair_used_at",
    "is_primary",
    "active",
)


#: The worklist's candidates (``REACH_SQL <= 0``, a few % of the pairs) of one vendor or one location,
#: in partial indexes: a filtered page reads just those instead of walking every SKU past the pairs the
#: filter leaves out. Each is used only by a query that names its column's ``IS NOT NULL`` (always
#: true): other queries keep their plans, and a posting writes an entry only for a candidate.
CANDIDATE_WHERE = "is_primary AND active AND {column} IS NOT NULL AND ({reach}) <= 0"
_CANDIDATE_COLUMNS = ("mode", "pair_on_hand", "min_qty", "pair_recent_use", "lead_time_days", "is_primary", "active")


def _candidates_index(name: str, column: str, *columns: str) -> Index:
    where = CANDIDATE_WHERE.format(column=column, reach=REACH_SQL)
    return partial_index(name, column, *columns, *_CANDIDATE_COLUMNS, where=where)


class SupplyAgreement(VersionedMixin, Base):
    """Vendor x SKU x location: thresholds, mode, pack size and service levels.

    ``pair_on_hand``, ``pair_recent_use`` and ``pair_used_at`` are the pair's figures as the ledger
    last wrote them, in the same statement batch as the posting (``ledger._apply``): on hand
    exactly, the consumption of the ``USE_WINDOW_DAYS`` days before that posting (which only
    shrinks as time goes by, so it bounds any later window from above) and the newest consumption.
    They are never shown: they let one index find the few agreements the worklist has to look at
    (``REACH_SQL <= 0``), which are then judged exactly from the ledger and the open orders.
    A new agreement starts at 0 on hand, which makes it a candidate until the pair's next posting.
    """

    __tablename__ = "supply_agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    supplier_sku: Mapped[str] = mapped_column(String(60), default="")
    min_qty: Mapped[Decimal] = mapped_column(Quantity)
    max_qty: Mapped[Decimal] = mapped_column(Quantity)
    mode: Mapped[ReplenishmentMode] = mapped_column(
        str_enum(ReplenishmentMode, "replenishment_mode"), default=ReplenishmentMode.PROPOSAL
    )
    lead_time_days: Mapped[int] = mapped_column(default=7)
    pack_size: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(1))
    moq: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    is_primary: Mapped[bool] = mapped_column(default=True)
    sla_fill_rate: Mapped[Decimal | None] = mapped_column(Ratio, default=None)
    sla_response_hours: Mapped[int | None] = mapped_column(default=None)
    critical_priority: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    pair_on_hand: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    pair_recent_use: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0), server_default="0")
    pair_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    vendor: Mapped[Vendor] = relationship(back_populates="agreements")
    sku: Mapped[Sku] = relationship()
    location: Mapped[Location] = relationship()

    __table_args__ = (
        UniqueConstraint("vendor_id", "sku_id", "location_id"),
        CheckConstraint("min_qty >= 0", name="min_not_negative"),
        CheckConstraint("min_qty <= max_qty", name="min_not_above_max"),
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
        CheckConstraint("moq >= 0", name="moq_not_negative"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint(
            "sla_fill_rate IS NULL OR (sla_fill_rate >= 0 AND sla_fill_rate <= 1)", name="sla_fill_rate_ratio"
        ),
        CheckConstraint("sla_response_hours IS NULL OR sla_response_hours >= 0", name="sla_response_not_negative"),
        # One active primary agreement per SKU x location.
        partial_index("uq_supply_agreements_primary", "sku_id", "location_id", unique=True, where=PRIMARY_SQL),
        Index("ix_supply_agreements_sku_location", "sku_id", "location_id"),
        Index("ix_supply_agreements_location_id", "location_id"),
        # The worklist walks primary agreements in SKU or in location order and skips, from the index
        # alone, every row that cannot be on it (REACH_SQL > 0) or that a filter leaves out; the
        # index covers the page's key query, so the planner picks it and reads no rows. Not partial:
        # PostgreSQL ignores a partial index's expression statistics when it estimates the test.
        Index(
            "ix_supply_agreements_worklist_sku",
            "sku_id",
            "location_id",
            *_WORKLIST_COLUMNS,
        ),
        Index(
            "ix_supply_agreements_worklist_location",
            "location_id",
            "sku_id",
            *_WORKLIST_COLUMNS,
        ),
        _candidates_index("ix_supply_agreements_candidates_vendor", "vendor_id", "sku_id", "location_id"),
        _candidates_index("ix_supply_agreements_candidates_location", "location_id", "sku_id", "vendor_id"),
        # The dashboard's counts below min / stock-outs / over max and its list below min: ranges of the
        # primary agreements by the copy of on hand against min or max (``queries.dashboard``).
        partial_index(
            "ix_supply_agreements_short",
            text("(pair_on_hand - min_qty)"),
            "pair_on_hand",
            "sku_id",
            "location_id",
            "min_qty",
            "max_qty",
            where=PRIMARY_SQL,
        ),
        partial_index("ix_supply_agreements_over_max", text("(pair_on_hand - max_qty)"), where=PRIMARY_SQL),
    )


class ThresholdProposal(Base):
    """A supplier's proposed min/max for one agreement, awaiting a decision."""

    __tablename__ = "threshold_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("supply_agreements.id", ondelete="CASCADE"), index=True)
    proposed_min: Mapped[Decimal] = mapped_column(Quantity)
    proposed_max: Mapped[Decimal] = mapped_column(Quantity)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    #: why it was rejected (required) or accepted; the supplier reads it in its workspace
    decision_note: Mapped[str] = mapped_column(String(500), default="", server_default="")

    __table_args__ = (
        CheckConstraint("proposed_min >= 0", name="min_not_negative"),
        CheckConstraint("proposed_min <= proposed_max", name="min_not_above_max"),
    )
