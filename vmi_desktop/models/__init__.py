"""SQLAlchemy entities of VMI Desktop. Importing this package registers every table.

The modules declaring entities do without ``from __future__ import annotations`` (the one exception
to the rule): with it every ``Mapped[...]`` annotation is a string that SQLAlchemy parses and evals
when the class is declared, some 520 evals on every start (about 20 ms of the window's start, on the
user's clock). Their annotations are evaluated by Python instead; a class named before it is defined
is quoted (``Mapped[list["PurchaseOrderLine"]]``).
"""

from __future__ import annotations

from vmi_desktop.models.alerts import Alert, alert_is_open
from vmi_desktop.models.base import Base, utcnow
from vmi_desktop.models.catalog import Location, Sku, SupplyAgreement, ThresholdProposal, Vendor
from vmi_desktop.models.enums import (
    AlertKind,
    AlertSeverity,
    AlertStatus,
    AuthKind,
    ConnectionKind,
    Criticality,
    InboxStatus,
    LocationKind,
    MovementKind,
    OutboxStatus,
    POLineStatus,
    POOrigin,
    POStatus,
    ProposalStatus,
    ReplenishmentMode,
    Role,
)
from vmi_desktop.models.exchange import ExchangeFile
from vmi_desktop.models.orders import POStatusChange, PurchaseOrder, PurchaseOrderLine, Receipt, Shipment
from vmi_desktop.models.people import AuditEntry, Counter, User
from vmi_desktop.models.snoozes import PairSnooze
from vmi_desktop.models.stock import CycleCount, StockLevel, StockMovement
from vmi_desktop.models.sync import InboxEvent, OutboxMessage, ScopeVersion, SyncState
from vmi_desktop.models.units import UnitOfMeasure

__all__ = [
    "Alert",
    "AlertKind",
    "AlertSeverity",
    "AlertStatus",
    "AuditEntry",
    "AuthKind",
    "Base",
    "ConnectionKind",
    "Counter",
    "Criticality",
    "CycleCount",
    "ExchangeFile",
    "InboxEvent",
    "InboxStatus",
    "Location",
    "LocationKind",
    "MovementKind",
    "OutboxMessage",
    "OutboxStatus",
    "POLineStatus",
    "POOrigin",
    "POStatus",
    "POStatusChange",
    "PairSnooze",
    "ProposalStatus",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Receipt",
    "ReplenishmentMode",
    "Role",
    "ScopeVersion",
    "Shipment",
    "Sku",
    "StockLevel",
    "StockMovement",
    "SupplyAgreement",
    "SyncState",
    "ThresholdProposal",
    "UnitOfMeasure",
    "User",
    "Vendor",
    "alert_is_open",
    "utcnow",
]
