"""Closed vocabularies of the domain, stored by value (see ``base.str_enum``)."""

from __future__ import annotations

import enum


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    FIELD_SITE = "field_site"
    VAN = "van"


class Criticality(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class ConnectionKind(enum.StrEnum):
    REST = "rest"
    X12 = "x12"
    EDIFACT = "edifact"
    CSV = "csv"
    MANUAL = "manual"


class AuthKind(enum.StrEnum):
    NONE = "none"
    BEARER = "bearer"
    OAUTH2 = "oauth2"


class ReplenishmentMode(enum.StrEnum):
    SUPPLIER_MANAGED = "supplier_managed"
    AUTO_PO = "auto_po"
    PROPOSAL = "proposal"


class MovementKind(enum.StrEnum):
    CONSUMPTION = "consumption"
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    COUNT = "count"


class Role(enum.StrEnum):
    PARTS_MANAGER = "parts_manager"
    WAREHOUSE_LEAD = "warehouse_lead"
    SUPPLIER = "supplier"


class POStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    PARTLY_SHIPPED = "partly_shipped"
    SHIPPED = "shipped"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class POOrigin(enum.StrEnum):
    AUTO = "auto"
    PROPOSAL = "proposal"
    SUPPLIER = "supplier"
    MANUAL = "manual"


class POLineStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AlertKind(enum.StrEnum):
    BELOW_MIN = "below_min"
    STOCK_OUT = "stock_out"
    OVER_MAX = "over_max"
    ORDER_OVERDUE = "order_overdue"
    ORDER_HELD = "order_held"
    SYNC_FAILED = "sync_failed"
    SCOPE_VIOLATION = "scope_violation"
    SLA_BREACH = "sla_breach"
    EVENT_REJECTED = "event_rejected"


class AlertSeverity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DISCARDED = "discarded"


class InboxStatus(enum.StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"
