"""Who may see and change what: the single place where roles and scope are decided.

Every screen, export, CLI command and sync message asks this module, so the
rule can be read (and tested) in one file:

- parts manager: sees everything, changes everything;
- warehouse lead: sees everything but credentials; posts ledger entries
  (receipts, consumption, counts) but does not edit thresholds, agreements
  or vendors;
- supplier: sees only the SKU x location pairs of its own vendor's active
  agreements; raises, acknowledges and ships its own orders and proposes
  thresholds.

A **preview** actor sees exactly what the user it previews sees and changes nothing: a parts manager's
"view as supplier X", and on the built-in SQLite database (no logins) any user but a parts manager.

``visible(actor, Model)`` is the row filter of each table for an actor: what a supplier may read of it.
On PostgreSQL the same rule is enforced by row-level security for a supplier's own login (migration
0005); the tests compare the two table by table.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, select, text, true
from sqlalchemy.orm import Session

from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import (
    Alert,
    AuditEntry,
    CycleCount,
    ExchangeFile,
    InboxEvent,
    Location,
    OutboxMessage,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    Role,
    Shipment,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    ThresholdProposal,
    UnitOfMeasure,
    Vendor,
)


class Action(enum.StrEnum):
    """Things a user can try to do."""

    VIEW_CREDENTIALS = "view_credentials"
    EDIT_CREDENTIALS = "edit_credentials"
    EDIT_MASTER_DATA = "edit_master_data"  # SKUs, locations, vendors
    EDIT_AGREEMENTS = "edit_agreements"  # agreements and thresholds
    POST_LEDGER = "post_ledger"
    CREATE_ORDER = "create_order"
    APPROVE_ORDER = "approve_order"
    RECEIVE_ORDER = "receive_order"
    SUPPLIER_ORDER = "supplier_order"  # raise / acknowledge / ship own orders
    PROPOSE_THRESHOLDS = "propose_thresholds"
    DECIDE_PROPOSALS = "decide_proposals"
    MANAGE_ALERTS = "manage_alerts"
    RUN_REORDER = "run_reorder"
    SNOOZE_REORDER = "snooze_reorder"  # put a pair aside on the worklist (and out of the reorder trigger)
    RUN_SYNC = "run_sync"
    RESET_SYNC_FEED = "reset_sync_feed"  # read a supplier's event feed again from its start
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.PARTS_MANAGER: frozenset(Action) - {Action.SUPPLIER_ORDER, Action.PROPOSE_THRESHOLDS},
    Role.WAREHOUSE_LEAD: frozenset(
        {
            Action.POST_LEDGER,
            Action.RECEIVE_ORDER,
            Action.MANAGE_ALERTS,
            Action.VIEW_AUDIT,
            Action.RUN_SYNC,
        }
    ),
    Role.SUPPLIER: frozenset({Action.SUPPLIER_ORDER, Action.PROPOSE_THRESHOLDS}),
}


#: What a preview may still do: look.
_READ_ONLY = frozenset({Action.VIEW_AUDIT, Action.VIEW_CREDENTIALS})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person with a role, or the system / a vendor's sync on their behalf.

    ``login`` is the authenticated identity behind the actor (the PostgreSQL login, or on SQLite the OS
    account owning the data folder); ``preview`` marks an actor that only shows what its role sees.
    """

    name: str
    role: Role
    vendor_id: int | None = None
    user_id: int | None = None
    login: str = ""
    preview: bool = False

    def __post_init__(self) -> None:
        if (self.role is Role.SUPPLIER) != (self.vendor_id is not None):
            raise ValueError("a supplier actor is bound to exactly one vendor, and only a supplier is")

    @property
    def is_supplier(self) -> bool:
        return self.role is Role.SUPPLIER

    @property
    def role_text(self) -> str:
        """The role as people say it ("warehouse lead")."""
        return self.role.value.replace("_", " ")


#: The app itself (reorder runs, schedulers): acts with parts-manager rights.
SYSTEM = Actor(name="system", role=Role.PARTS_MANAGER)


def vendor_actor(vendor_id: int, vendor_code: str) -> Actor:
    """The actor for what a vendor does through sync: a supplier bound to that vendor."""
    return Actor(name=f"vendor:{vendor_code}", role=Role.SUPPLIER, vendor_id=vendor_id)


def supplier_preview(by: Actor, vendor_id: int, vendor_code: str) -> Actor:
    """A parts manager's read-only view of exactly what vendor ``vendor_code``'s users see."""
    require(by, Action.MANAGE_USERS)
    return Actor(
        name=f"preview of {vendor_code}", role=Role.SUPPLIER, vendor_id=vendor_id, login=by.login, preview=True
    )


def can(actor: Actor, action: Action) -> bool:
    """Whether ``actor``'s role allows ``action`` at all (scope is checked separately); a preview only looks."""
    if actor.preview and action not in _READ_ONLY:
        return False
    return action in _ALLOWED[actor.role]


def require(actor: Actor, action: Action) -> None:
    """Raise ``PermissionDenied`` unless the role allows ``action``."""
    if not can(actor, action):
        if actor.preview and action in _ALLOWED[actor.role]:
            raise PermissionDenied(
                f"{actor.name} is a preview: it shows what a {actor.role_text} sees, changes nothing"
            )
        raise PermissionDenied(f"{actor.name} ({actor.role_text}) may not {action.value.replace('_', ' ')}")


def pair_filter(actor: Actor, sku_col: Any, location_col: Any) -> ColumnElement[bool]:
    """SQL condition keeping only SKU x location pairs ``actor`` may see."""
    if not actor.is_supplier:
        return true()
    return exists(
        select(SupplyAgreement.id).where(
            SupplyAgreement.vendor_id == actor.vendor_id,
            SupplyAgreement.sku_id == sku_col,
            SupplyAgreement.location_id == location_col,
            SupplyAgreement.active.is_(True),
        )
    )


def sku_filter(actor: Actor, sku_col: Any) -> ColumnElement[bool]:
    """SQL condition keeping only SKUs that appear in ``actor``'s scope."""
    if not actor.is_supplier:
        return true()
    return exists(
        select(SupplyAgreement.id).where(
            SupplyAgreement.vendor_id == actor.vendor_id,
            SupplyAgreement.sku_id == sku_col,
            SupplyAgreement.active.is_(True),
        )
    )


def location_filter(actor: Actor, location_col: Any) -> ColumnElement[bool]:
    """SQL condition keeping only locations that appear in ``actor``'s scope."""
    if not actor.is_supplier:
        return true()
    return exists(
        select(SupplyAgreement.id).where(
            SupplyAgreement.vendor_id == actor.vendor_id,
            SupplyAgreement.location_id == location_col,
            SupplyAgreement.active.is_(True),
        )
    )


def vendor_filter(actor: Actor, vendor_col: Any) -> ColumnElement[bool]:
    """SQL condition keeping only rows of ``actor``'s own vendor (all, for staff)."""
    if not actor.is_supplier:
        return true()
    return and_(vendor_col == actor.vendor_id)


def covers(session: Session, vendor_id: int, sku_id: int, location_id: int) -> bool:
    """Whether the vendor has an active agreement for this SKU x location."""
    found = session.scalar(
        select(SupplyAgreement.id).where(
            SupplyAgreement.vendor_id == vendor_id,
            SupplyAgreement.sku_id == sku_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.active.is_(True),
        )
    )
    return found is not None


def require_pair(session: Session, actor: Actor, sku_id: int, location_id: int) -> None:
    """Raise ``PermissionDenied`` when a supplier reaches outside its agreements."""
    if actor.is_supplier and not covers(session, actor.vendor_id or 0, sku_id, location_id):
        raise PermissionDenied(f"{actor.name} has no agreement for this SKU at this location")


def require_vendor(actor: Actor, vendor_id: int) -> None:
    """Raise ``PermissionDenied`` when a supplier acts on another vendor's order or data."""
    if actor.is_supplier and actor.vendor_id != vendor_id:
        raise PermissionDenied(f"{actor.name} may act only on its own vendor's orders")


def may_see_vendor(actor: Actor, vendor_id: int | None) -> bool:
    """Whether rows of this vendor (orders, alerts, scorecards) are visible to ``actor``."""
    return not actor.is_supplier or (vendor_id is not None and vendor_id == actor.vendor_id)


def covered_codes(session: Session, vendor_id: int, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of ``(part_number, location_code)`` pairs the vendor has an active agreement for (one query).

    The pairs go to the database as one parameter (a JSON array on SQLite, two arrays on PostgreSQL)
    and each is looked up by its unique keys: a message of a thousand lines spread over the locations
    costs a thousand index lookups, not every agreement of every part at every location it names.
    After a flush, as a query would do.
    """
    wanted = set(pairs)
    if not wanted:
        return set()
    session.flush()
    ordered = sorted(wanted)
    if session.get_bind().dialect.name == "postgresql":
        stmt = text(
            "SELECT p.part, p.code FROM unnest(CAST(:parts AS text[]), CAST(:codes AS text[])) AS p(part, code) "
            "JOIN skus s ON s.part_number = p.part JOIN locations l ON l.code = p.code "
            "JOIN supply_agreements a ON a.vendor_id = :vendor AND a.sku_id = s.id AND a.location_id = l.id "
            "AND a.active"
        ).bindparams(parts=[p for p, _ in ordered], codes=[c for _, c in ordered], vendor=vendor_id)
    else:
        stmt = text(
            "SELECT s.part_number, l.code FROM json_each(:pairs) AS p "
            "JOIN skus s ON s.part_number = json_extract(p.value, '$[0]') "
            "JOIN locations l ON l.code = json_extract(p.value, '$[1]') "
            "JOIN supply_agreements a ON a.vendor_id = :vendor AND a.sku_id = s.id AND a.location_id = l.id "
            "AND a.active"
        ).bindparams(pairs=json.dumps(ordered), vendor=vendor_id)
    return {(part, code) for part, code in session.connection().execute(stmt).all()} & wanted


#: Columns a supplier may read of the tables it may not read whole: the rest is how the customer reaches and
#: authenticates to the vendor (URLs, client ids, folders, EDI addressing) or the customer's own cost (it may
#: be another vendor's price). Migration 0005 grants exactly these columns to supplier logins.
SUPPLIER_COLUMNS: dict[Any, frozenset[str]] = {
    Vendor: frozenset(
        {
            "id",
            "code",
            "name",
            "contact_name",
            "contact_email",
            "contact_phone",
            "connection_kind",
            "customer_id",
            "sync_interval_s",
            "active",
            "version",
            "updated_at",
            "updated_by",
        }
    ),
    Sku: frozenset(
        {"id", "part_number", "description", "uom", "criticality", "active", "version", "updated_at", "updated_by"}
    ),
}


def readable(actor: Actor, model: Any, column: str) -> bool:
    """Whether ``actor`` may read ``column`` of ``model``'s rows it sees (staff: every column)."""
    if not actor.is_supplier:
        return True
    allowed = SUPPLIER_COLUMNS.get(model)
    return allowed is None or column in allowed


def agreement_of(actor: Actor, agreement: Any) -> ColumnElement[bool]:
    """For a supplier: rows of ``agreement`` (an alias of supply_agreements) that are its own and active."""
    if not actor.is_supplier:
        return true()
    return and_(agreement.vendor_id == actor.vendor_id, agreement.active.is_(True))


def _own_order(actor: Actor, order_id_col: Any) -> ColumnElement[bool]:
    return exists(
        select(PurchaseOrder.id).where(PurchaseOrder.id == order_id_col, PurchaseOrder.vendor_id == actor.vendor_id)
    )


def visible(actor: Actor, model: Any) -> ColumnElement[bool]:
    """Which rows of the table behind ``model`` ``actor`` may read (the RLS policy of migration 0005, in SQL).

    Staff see every row; a supplier the rows of its own vendor's active agreements, its orders (and
    their lines, history, shipments, receipts), alerts addressed to it, its proposals, its sync messages
    and its own audit entries, and nothing of users, counters or sync state.
    """
    if not actor.is_supplier:
        return true()
    vendor = actor.vendor_id
    rules: dict[Any, Any] = {
        Vendor: lambda: Vendor.id == vendor,
        SupplyAgreement: lambda: agreement_of(actor, SupplyAgreement),
        Sku: lambda: sku_filter(actor, Sku.id),
        Location: lambda: location_filter(actor, Location.id),
        UnitOfMeasure: lambda: true(),
        StockLevel: lambda: pair_filter(actor, StockLevel.sku_id, StockLevel.location_id),
        StockMovement: lambda: pair_filter(actor, StockMovement.sku_id, StockMovement.location_id),
        CycleCount: lambda: pair_filter(actor, CycleCount.sku_id, CycleCount.location_id),
        PurchaseOrder: lambda: PurchaseOrder.vendor_id == vendor,
        PurchaseOrderLine: lambda: _own_order(actor, PurchaseOrderLine.purchase_order_id),
        POStatusChange: lambda: _own_order(actor, POStatusChange.purchase_order_id),
        Receipt: lambda: _own_order(actor, Receipt.purchase_order_id),
        Shipment: lambda: Shipment.vendor_id == vendor,
        Alert: lambda: Alert.vendor_id == vendor,
        ThresholdProposal: lambda: exists(
            select(SupplyAgreement.id).where(
                SupplyAgreement.id == ThresholdProposal.agreement_id,
                SupplyAgreement.vendor_id == vendor,
                SupplyAgreement.active.is_(True),
            )
        ),
        OutboxMessage: lambda: OutboxMessage.vendor_id == vendor,
        ExchangeFile: lambda: ExchangeFile.vendor_id == vendor,
        InboxEvent: lambda: InboxEvent.vendor_id == vendor,
        AuditEntry: lambda: AuditEntry.vendor_id == vendor,
    }
    rule = rules.get(model)
    return rule() if rule is not None else false()


def require_vendor_visible(actor: Actor, vendor_id: int | None) -> None:
    """Raise ``PermissionDenied`` when a supplier names another vendor (a filter, a scorecard, an export)."""
    if vendor_id is not None and not may_see_vendor(actor, vendor_id):
        raise PermissionDenied(f"{actor.name} sees only its own vendor's figures")
