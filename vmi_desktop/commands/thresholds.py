"""A supplier proposes new thresholds for its agreements: the same command in the app and through sync.

The proposal is checked against the supplier's scope (only its own active agreements), the SKU's unit
(whole units take no fractions) and ``min <= max``, then written with one audit entry each. Proposing
changes no threshold; deciding is the parts manager's (``Action.DECIDE_PROPOSALS``, ``decide_proposals``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.db.rows import insert_many
from vmi_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.models import AuditEntry, Location, ProposalStatus, Sku, SupplyAgreement, ThresholdProposal, utcnow
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.scope import Action, Actor, require, visible
from vmi_desktop.units import whole_units

#: Longest reason kept (the column's size).
MAX_REASON = 500


@dataclass(frozen=True)
class ProposedThresholds:
    """A proposed min/max for one agreement of the supplier, and why."""

    agreement_id: int
    min_qty: Decimal
    max_qty: Decimal
    reason: str = ""


def record_proposals(session: Session, actor: Actor, proposals: Sequence[ProposedThresholds]) -> list[int]:
    """Check and insert proposals (two set-based statements); returns the new proposals' ids, in order."""
    require(actor, Action.PROPOSE_THRESHOLDS)
    if not proposals:
        return []
    wanted = sorted({p.agreement_id for p in proposals})
    rows = {
        r.id: r
        for r in session.execute(
            select(
                SupplyAgreement.id,
                SupplyAgreement.vendor_id,
                SupplyAgreement.active,
                Sku.part_number,
                Sku.uom,
                Location.code,
            )
            .join(Sku, Sku.id == SupplyAgreement.sku_id)
            .join(Location, Location.id == SupplyAgreement.location_id)
            .where(SupplyAgreement.id.in_(wanted))
        )
    }
    whole = whole_units(session)
    checked: list[tuple[ProposedThresholds, str, str]] = []
    for p in proposals:
        row = rows.get(p.agreement_id)
        if row is None or row.vendor_id != actor.vendor_id or not row.active:
            raise PermissionDenied(f"{actor.name} has no active agreement {p.agreement_id} to propose thresholds for")
        label = f"{row.part_number} at {row.code}"
        is_whole = row.uom in whole
        mn = parse_quantity(p.min_qty, what=f"proposed min for {label}", allow_zero=True, whole=is_whole, uom=row.uom)
        mx = parse_quantity(p.max_qty, what=f"proposed max for {label}", allow_zero=True, whole=is_whole, uom=row.uom)
        if mn > mx:
            raise ValidationError(f"proposed min ({fmt(mn)}) is above max ({fmt(mx)}) for {label}")
        reason = free_text(p.reason, MAX_REASON, f"the reason for {label}")
        checked.append((ProposedThresholds(p.agreement_id, mn, mx, reason), row.part_number, row.code))
    now = utcnow()
    ids = _insert_proposals(
        session,
        [
            {
                "agreement_id": p.agreement_id,
                "proposed_min": p.min_qty,
                "proposed_max": p.max_qty,
                "reason": p.reason,
                "status": ProposalStatus.PENDING,
                "created_at": now,
            }
            for p, _sku, _loc in checked
        ],
    )
    insert_many(  # the driver's executemany (``db.rows``): no ORM or Core work per row
        session.connection(),
        cast(Table, AuditEntry.__table__),
        [
            {
                "occurred_at": now,
                "actor": actor.name,
                "login": actor.login,
                "vendor_id": actor.vendor_id,
                "action": "thresholds.propose",
                "entity": "threshold_proposal",
                "entity_id": str(pid),
                "detail": audit.detail_text(
                    {"location": loc, "max": str(p.max_qty), "min": str(p.min_qty), "reason": p.reason, "sku": sku}
                ),
            }
            for pid, (p, sku, loc) in zip(ids, checked, strict=True)
        ],
    )
    return ids


def _insert_proposals(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert proposal rows; their new ids, in the order of ``rows``.

    PostgreSQL returns them from batched statements in order. SQLite cannot promise the order of a
    many-row ``RETURNING``, so SQLAlchemy would insert one row per statement (a page of 500 proposals:
    500 statements): the first row goes alone, which leaves this transaction the only writer until it
    ends, and the others take the ids after it (all free: SQLite's next id is above every row's) in one
    executemany.
    """
    stmt = insert(ThresholdProposal).returning(ThresholdProposal.id, sort_by_parameter_order=True)
    if session.get_bind().dialect.name != "sqlite" or len(rows) < 2:
        return [int(i) for i in session.scalars(stmt, rows).all()]
    first = int(session.scalars(stmt, rows[:1]).one())
    ids = list(range(first, first + len(rows)))
    insert_many(
        session.connection(),
        cast(Table, ThresholdProposal.__table__),
        [{**row, "id": i} for i, row in zip(ids[1:], rows[1:], strict=True)],
    )
    return ids


def propose_thresholds(target: Target, actor: Actor, proposals: Sequence[ProposedThresholds]) -> list[int]:
    """The supplier's proposal (in the app, or a page of ``thresholds.proposed`` events): recorded, not applied."""

    def work(uow: UnitOfWork) -> list[int]:
        ids = record_proposals(uow.session, actor, proposals)
        uow.changes.agreements.update(p.agreement_id for p in proposals)
        return ids

    return within(target, work)


@dataclass(frozen=True)
class Decision:
    """What deciding a set of proposals did: the proposals accepted and rejected, and the orders raised."""

    accepted: list[int]
    rejected: list[int]
    orders_raised: list[str]


def decide_proposals(
    target: Target, actor: Actor, proposal_ids: Sequence[int], *, accept: bool, note: str = ""
) -> Decision:
    """The parts manager accepts (the agreement takes the proposed min/max) or rejects pending proposals.

    All or nothing in one unit of work: an accepted proposal goes through ``catalog_service.update_agreement``
    (units, min <= max, audited as the manager), then reorder runs for the pairs whose thresholds changed;
    a proposal already decided, or not visible, refuses the whole decision. A rejection needs a reason.
    """
    from vmi_desktop.catalog_service import update_agreement
    from vmi_desktop.commands.consequences import reorder_pairs

    require(actor, Action.DECIDE_PROPOSALS)
    wanted = sorted(set(proposal_ids))
    if not wanted:
        raise ValidationError("choose at least one proposal to decide")
    note = free_text(note, MAX_REASON, "the reason")
    if not accept and not note:
        raise ValidationError("say why the proposal is rejected (the supplier reads the reason)")

    def work(uow: UnitOfWork) -> Decision:
        session = uow.session
        found = {
            p.id: p
            for p in session.scalars(
                select(ThresholdProposal)
                .where(ThresholdProposal.id.in_(wanted), visible(actor, ThresholdProposal))
                .with_for_update()
            )
        }
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFoundError(f"no threshold proposal {missing[0]}")
        decided = [p for p in found.values() if p.status is not ProposalStatus.PENDING]
        if decided:
            first = decided[0]
            raise ValidationError(f"proposal {first.id} was already {first.status.value} by {first.decided_by}")
        now = utcnow()
        pairs: list[tuple[int, int]] = []
        for proposal in (found[i] for i in wanted):
            if accept:
                agreement = update_agreement(
                    session,
                    actor,
                    proposal.agreement_id,
                    None,
                    min_qty=proposal.proposed_min,
                    max_qty=proposal.proposed_max,
                )
                pairs.append((agreement.sku_id, agreement.location_id))
            proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.REJECTED
            proposal.decided_at, proposal.decided_by, proposal.decision_note = now, actor.name, note
            audit.record(
                session,
                actor,
                "thresholds.accept" if accept else "thresholds.reject",
                "threshold_proposal",
                proposal.id,
                agreement_id=proposal.agreement_id,
                min=proposal.proposed_min,
                max=proposal.proposed_max,
                note=note,
            )
        uow.changes.agreements.update(p.agreement_id for p in found.values())
        session.flush()
        raised = reorder_pairs(uow, pairs).orders if pairs else []
        ids = [int(i) for i in wanted]
        return Decision(ids if accept else [], [] if accept else ids, list(raised))

    return within(target, work)
