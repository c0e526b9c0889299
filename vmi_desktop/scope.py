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
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, true
from sqlalchemy.orm import Session

from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import Role, SupplyAgreement


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


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person with a role, or the system / a vendor's sync on their behalf."""

    name: str
    role: Role
    vendor_id: int | None = None
    user_id: int | None = None

    def __post_init__(self) -> None:
        if (self.role is Role.SUPPLIER) != (self.vendor_id is not None):
            raise ValueError("a supplier actor is bound to exactly one vendor, and only a supplier is")

    @property
    def is_supplier(self) -> bool:
        return self.role is Role.SUPPLIER


#: The app itself (reorder runs, schedulers): acts with parts-manager rights.
SYSTEM = Actor(name="system", role=Role.PARTS_MANAGER)


def vendor_actor(vendor_id: int, vendor_code: str) -> Actor:
    """The actor for what a vendor does through sync: a supplier bound to that vendor."""
    return Actor(name=f"vendor:{vendor_code}", role=Role.SUPPLIER, vendor_id=vendor_id)


def can(actor: Actor, action: Action) -> bool:
    """Whether ``actor``'s role allows ``action`` at all (scope is checked separately)."""
    return action in _ALLOWED[actor.role]


def require(actor: Actor, action: Action) -> None:
    """Raise ``PermissionDenied`` unless the role allows ``action``."""
    if not can(actor, action):
        raise PermissionDenied(
            f"{actor.name} ({actor.role.value.replace('_', ' ')}) may not {action.value.replace('_', ' ')}"
        )


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
