"""Threshold proposals awaiting the parts manager's decision, beside the thresholds they would replace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from vmi_desktop.models import Location, ProposalStatus, Sku, SupplyAgreement, ThresholdProposal, Vendor
from vmi_desktop.scope import Actor, require_vendor_visible, visible

#: A select of any row shape (the joins below do not change it).
_Rows = TypeVar("_Rows", bound=Select)


def _of_visible_pairs(actor: Actor, a: Any, stmt: _Rows) -> _Rows:
    """``stmt`` over the proposals the actor may see, joined to their agreement ``a`` (an alias, so the
    scope's EXISTS over supply_agreements does not correlate with it), its SKU and its location."""
    return (
        stmt.join(a, a.id == ThresholdProposal.agreement_id)
        .join(Sku, Sku.id == a.sku_id)
        .join(Location, Location.id == a.location_id)
        .where(visible(actor, ThresholdProposal))
    )


@dataclass(frozen=True)
class ProposalRow:
    """One pending proposal: who proposed what for which pair, and what the agreement says now."""

    id: int
    agreement_id: int
    vendor_code: str
    part_number: str
    uom: str
    location_code: str
    min_now: Decimal
    max_now: Decimal
    proposed_min: Decimal
    proposed_max: Decimal
    reason: str
    created_at: datetime


def pending_proposals(
    session: Session, actor: Actor, *, vendor_id: int | None = None, ids: list[int] | None = None, limit: int = 1000
) -> list[ProposalRow]:
    """Pending proposals the actor may see (a supplier: its own), oldest first."""
    require_vendor_visible(actor, vendor_id)
    a = aliased(SupplyAgreement)
    stmt = _of_visible_pairs(
        actor,
        a,
        select(
            ThresholdProposal.id,
            ThresholdProposal.agreement_id,
            Vendor.code,
            Sku.part_number,
            Sku.uom,
            Location.code,
            a.min_qty,
            a.max_qty,
            ThresholdProposal.proposed_min,
            ThresholdProposal.proposed_max,
            ThresholdProposal.reason,
            ThresholdProposal.created_at,
        ),
    )
    stmt = (
        stmt.join(Vendor, Vendor.id == a.vendor_id)
        .where(ThresholdProposal.status == ProposalStatus.PENDING)
        .order_by(ThresholdProposal.created_at, ThresholdProposal.id)
        .limit(limit)
    )
    if vendor_id is not None:
        stmt = stmt.where(a.vendor_id == vendor_id)
    if ids is not None:
        stmt = stmt.where(ThresholdProposal.id.in_(sorted(set(ids))))
    return [
        ProposalRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11])
        for r in session.execute(stmt)
    ]


def pending_count(session: Session, actor: Actor) -> int:
    """How many proposals the actor may see await a decision (the Agreements page's button says it)."""
    stmt = select(func.count()).select_from(ThresholdProposal)
    stmt = stmt.where(ThresholdProposal.status == ProposalStatus.PENDING, visible(actor, ThresholdProposal))
    return int(session.scalar(stmt) or 0)


@dataclass(frozen=True)
class ProposalOutcome:
    """A proposal and what became of it (a supplier's workspace lists its own)."""

    id: int
    part_number: str
    location_code: str
    proposed_min: Decimal
    proposed_max: Decimal
    reason: str
    created_at: datetime
    status: ProposalStatus
    decided_at: datetime | None
    decision_note: str


def recent_proposals(session: Session, actor: Actor, *, limit: int = 200) -> list[ProposalOutcome]:
    """The newest proposals the actor may see, pending and decided, with the decision's note."""
    a = aliased(SupplyAgreement)
    stmt = (
        _of_visible_pairs(
            actor,
            a,
            select(
                ThresholdProposal.id,
                Sku.part_number,
                Location.code,
                ThresholdProposal.proposed_min,
                ThresholdProposal.proposed_max,
                ThresholdProposal.reason,
                ThresholdProposal.created_at,
                ThresholdProposal.status,
                ThresholdProposal.decided_at,
                ThresholdProposal.decision_note,
            ),
        )
        .order_by(ThresholdProposal.id.desc())
        .limit(limit)
    )
    return [
        ProposalOutcome(r[0], r[1], r[2], r[3], r[4], r[5], r[6], ProposalStatus(r[7]), r[8], r[9])
        for r in session.execute(stmt)
    ]
