"""The parts manager decides a supplier's threshold proposals: accepted ones change the agreement (and may
raise an order at once), rejected ones keep it, with the reason; a decided proposal is not decided twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands.thresholds import ProposedThresholds, decide_proposals, propose_thresholds
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.models import AuditEntry, ProposalStatus, PurchaseOrder, SupplyAgreement, ThresholdProposal
from vmi_desktop.queries.proposals import pending_proposals, recent_proposals
from vmi_desktop.scope import Actor, vendor_actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        return build_world(s)


def _propose(db: Database, world: World, vendor: str, key: tuple[str, str, str], mn: str, mx: str) -> int:
    supplier = vendor_actor(world.vendors[vendor], vendor)
    (pid,) = propose_thresholds(db, supplier, [ProposedThresholds(world.agreements[key], D(mn), D(mx), "usage up")])
    return pid


def test_accepting_changes_the_thresholds_and_reorders_on_them(db: Database, world: World, manager: Actor) -> None:
    # P-1 at WH-1 (ACME, auto PO): on hand 14 against min 10 -> no order; a proposed min of 20 raises one
    with db.transaction() as s:
        ledger.post_receipt(s, manager, "P-1", "WH-1", 14)
    pid = _propose(db, world, "ACME", ("ACME", "P-1", "WH-1"), "20", "60")
    with db.sessions() as s:
        (row,) = pending_proposals(s, manager)
    assert (row.id, row.min_now, row.max_now, row.proposed_min, row.proposed_max) == (pid, D(10), D(50), D(20), D(60))

    decision = decide_proposals(db, manager, [pid], accept=True, note="agreed on the phone")

    assert decision.accepted == [pid] and len(decision.orders_raised) == 1
    with db.sessions() as s:
        agreement = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        assert (agreement.min_qty, agreement.max_qty) == (D(20), D(60))
        proposal = s.get_one(ThresholdProposal, pid)
        assert proposal.status is ProposalStatus.ACCEPTED and proposal.decided_by == manager.name
        actions = set(s.scalars(select(AuditEntry.action)))
        assert {"thresholds.accept", "agreement.update"} <= actions
        order = s.scalar(select(PurchaseOrder).where(PurchaseOrder.po_number == decision.orders_raised[0]))
        # up to the new max: 60 - 14 = 46, in packs of 6
        assert order is not None and order.lines[0].quantity_ordered == D(48)
        assert pending_proposals(s, manager) == []


def test_rejecting_needs_a_reason_keeps_the_thresholds_and_cannot_be_repeated(
    db: Database, world: World, manager: Actor
) -> None:
    pid = _propose(db, world, "BOLT", ("BOLT", "P-3", "WH-1"), "8", "30")
    with pytest.raises(ValidationError, match="say why"):
        decide_proposals(db, manager, [pid], accept=False)
    decision = decide_proposals(db, manager, [pid], accept=False, note="the line is being discontinued")
    assert decision.rejected == [pid] and decision.orders_raised == []
    with db.sessions() as s:
        agreement = s.get_one(SupplyAgreement, world.agreements[("BOLT", "P-3", "WH-1")])
        assert (agreement.min_qty, agreement.max_qty) == (D(4), D(12))
        assert s.get_one(ThresholdProposal, pid).status is ProposalStatus.REJECTED
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "thresholds.reject")).one()
        assert "discontinued" in entry.detail
        # the supplier reads the answer on its own proposal; another supplier sees nothing of it
        (mine,) = recent_proposals(s, vendor_actor(world.vendors["BOLT"], "BOLT"))
        assert (mine.id, mine.status, mine.decision_note) == (
            pid,
            ProposalStatus.REJECTED,
            "the line is being discontinued",
        )
        assert mine.decided_at is not None
        assert recent_proposals(s, vendor_actor(world.vendors["ACME"], "ACME")) == []
    with pytest.raises(ValidationError, match="already rejected"):
        decide_proposals(db, manager, [pid], accept=True)


def test_a_decision_is_all_or_nothing_and_only_the_parts_managers(
    db: Database, world: World, manager: Actor, lead: Actor
) -> None:
    good = _propose(db, world, "ACME", ("ACME", "P-2", "WH-1"), "6", "24")
    with pytest.raises(NotFoundError):
        decide_proposals(db, manager, [good, 999_999], accept=True)
    with pytest.raises(PermissionDenied):
        decide_proposals(db, lead, [good], accept=True)
    with pytest.raises(PermissionDenied):
        decide_proposals(db, vendor_actor(world.vendors["ACME"], "ACME"), [good], accept=True)
    with db.sessions() as s:
        assert s.get_one(ThresholdProposal, good).status is ProposalStatus.PENDING
        agreement = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-2", "WH-1")])
        assert (agreement.min_qty, agreement.max_qty) == (D(5), D(20))
        # a supplier sees its own pending proposals only
        assert [p.id for p in pending_proposals(s, vendor_actor(world.vendors["BOLT"], "BOLT"))] == []
        assert [p.id for p in pending_proposals(s, vendor_actor(world.vendors["ACME"], "ACME"))] == [good]


def test_several_proposals_at_once_get_their_ids_in_order_with_an_audit_entry_each(db: Database, world: World) -> None:
    """SQLite writes all but the first in one statement, with the ids after the first: each id is its row's."""
    supplier = vendor_actor(world.vendors["ACME"], "ACME")
    wanted = [
        (("ACME", "P-1", "WH-1"), "11", "51"),
        (("ACME", "P-2", "WH-1"), "6", "21"),
        (("ACME", "P-1", "VAN-7"), "2", "4"),
        (("ACME", "P-1", "WH-1"), "12", "52"),  # the same agreement twice: two proposals
    ]
    ids = propose_thresholds(
        db,
        supplier,
        [ProposedThresholds(world.agreements[key], D(mn), D(mx), f"r{i}") for i, (key, mn, mx) in enumerate(wanted)],
    )
    assert len(set(ids)) == 4
    with db.sessions() as s:
        for pid, (i, (key, mn, mx)) in zip(ids, enumerate(wanted), strict=True):
            row = s.get_one(ThresholdProposal, pid)
            assert (row.agreement_id, row.proposed_min, row.proposed_max, row.reason) == (
                world.agreements[key],
                D(mn),
                D(mx),
                f"r{i}",
            )
        audited = s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "thresholds.propose")).all()
        assert sorted(audited) == sorted(str(pid) for pid in ids)
