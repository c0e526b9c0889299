"""Agreements > Supplier proposals…: the parts manager accepts one supplier proposal and rejects another
with a reason; the agreements table follows; a warehouse lead has no such button."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.conftest import D
from tests.world import World
from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
from vmi_desktop.db import Database
from vmi_desktop.models import AuditEntry, ProposalStatus, SupplyAgreement, ThresholdProposal
from vmi_desktop.scope import Actor, vendor_actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.proposals import ProposalsDialog
from vmi_desktop.ui.pages.agreements import AgreementsPage


def _propose(db: Database, world: World, vendor: str, sku: str, mn: str, mx: str, why: str) -> int:
    key = (vendor, sku, "WH-1")
    proposal = ProposedThresholds(world.agreements[key], D(mn), D(mx), why)
    (pid,) = propose_thresholds(db, vendor_actor(world.vendors[vendor], vendor), [proposal])
    return pid


def _cell(dialog: ProposalsDialog, row: int, column: int) -> str:
    item = dialog.table.item(row, column)
    return item.text() if item is not None else ""


def test_threshold_proposals_one_accepted_one_rejected_from_the_agreements_page(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    raised = _propose(sqlite_db, stocked, "ACME", "P-2", "8", "30", "new contract with the site")
    refused = _propose(sqlite_db, stocked, "BOLT", "P-3", "9", "40", "we prefer fewer deliveries")
    page = AgreementsPage(ctx)
    qtbot.addWidget(page)
    assert page.proposals_btn.isVisibleTo(page) and page.proposals_btn.text() == "Supplier proposals (2)…"
    dialog = page.open_proposals_dialog()
    assert "2 proposal(s) await your decision" in dialog.summary.text()
    first = [_cell(dialog, 0, c) for c in range(9)]
    assert first[:7] == ["ACME", "P-2", "WH-1", "5", "8", "20", "30"]
    assert not dialog.accept_button.isEnabled()  # nothing chosen yet

    dialog.select_rows([0])
    with qtbot.waitSignal(dialog.decided, timeout=5000):
        dialog.accept_button.click()
    assert "Accepted 1 proposal(s)" in dialog.message.text()
    assert dialog.table.rowCount() == 1 and _cell(dialog, 0, 0) == "BOLT"

    dialog.select_rows([0])
    dialog.reject_button.click()  # asks why first
    assert dialog.reason_dialog is not None
    dialog.reason_dialog.edit.setText("deliveries are fixed by the site plan")
    with qtbot.waitSignal(dialog.decided, timeout=5000):
        dialog.reason_dialog.accept()
    assert "Rejected 1 proposal(s)" in dialog.message.text()
    assert dialog.table.rowCount() == 0 and "No proposal awaits" in dialog.summary.text()
    assert page.proposals_btn.text() == "Supplier proposals…"  # the page counted again after each decision

    with sqlite_db.sessions() as s:
        acme = s.get_one(SupplyAgreement, stocked.agreements[("ACME", "P-2", "WH-1")])
        bolt = s.get_one(SupplyAgreement, stocked.agreements[("BOLT", "P-3", "WH-1")])
        assert (acme.min_qty, acme.max_qty, bolt.min_qty, bolt.max_qty) == (D(8), D(30), D(4), D(12))
        assert s.get_one(ThresholdProposal, raised).status is ProposalStatus.ACCEPTED
        assert s.get_one(ThresholdProposal, refused).status is ProposalStatus.REJECTED
        reason = s.scalar(select(AuditEntry.detail).where(AuditEntry.action == "thresholds.reject"))
        assert reason is not None and "site plan" in reason
    # the agreements table shows the new thresholds (refreshed after the decision)
    page.model.reload()
    row = next(r for r in range(page.model.rowCount()) if page.model.row(r).edit_id == acme.id)
    assert (page.model.value(row, "min_qty"), page.model.value(row, "max_qty")) == (D(8), D(30))


def test_a_warehouse_lead_sees_no_proposals_button(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World, lead: Actor
) -> None:
    page = AgreementsPage(make_ctx(lead))
    qtbot.addWidget(page)
    assert not page.proposals_btn.isVisibleTo(page)


def test_a_supplier_reads_the_answer_to_its_proposal_in_its_workspace(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], sqlite_db: Database, stocked: World, manager: Actor
) -> None:
    from vmi_desktop.commands.thresholds import decide_proposals
    from vmi_desktop.models import Role
    from vmi_desktop.ui.pages.supplier import SupplierWorkspacePage

    pid = _propose(sqlite_db, stocked, "BOLT", "P-3", "9", "40", "we prefer fewer deliveries")
    decide_proposals(sqlite_db, manager, [pid], accept=False, note="deliveries are fixed by the site plan")
    bolt = Actor(name="bolt-rep", role=Role.SUPPLIER, vendor_id=stocked.vendors["BOLT"])
    page = SupplierWorkspacePage(make_ctx(bolt))
    qtbot.addWidget(page)
    table = page.proposals_table
    qtbot.waitUntil(lambda: page.summary_loaded, timeout=10000)  # read on the task runner
    assert table.rowCount() == 1
    row = [table.item(0, c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]
    assert row[:5] == ["P-3", "WH-1", "9", "40", "we prefer fewer deliveries"]
    assert row[6].startswith("rejected ") and row[7] == "deliveries are fixed by the site plan"
