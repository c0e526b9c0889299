"""Agreements > Suggest thresholds…: compute off the UI thread, chart a replay, apply three rows, undo them as one."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.history import patterns, post_consumption
from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.models import AuditEntry, SupplyAgreement, utcnow
from vmi_desktop.quantities import fmt
from vmi_desktop.replenishment import policy
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.dialogs.suggest import SuggestThresholdsDialog
from vmi_desktop.ui.pages.agreements import AgreementsPage

WH1 = (("ACME", "P-1"), ("ACME", "P-2"), ("BOLT", "P-3"))


@pytest.fixture
def with_history(sqlite_db: Database, stocked: World) -> World:
    today = utcnow().date()
    series = patterns()
    with sqlite_db.transaction() as session:
        for (_vendor, sku), name in zip(WH1, ("steady", "tenth", "lumpy"), strict=True):
            post_consumption(session, stocked.skus[sku], stocked.locations["WH-1"], series[name], today)
    return stocked


def _thresholds(db: Database, ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    with db.sessions() as session:
        rows = session.execute(
            select(SupplyAgreement.id, SupplyAgreement.min_qty, SupplyAgreement.max_qty).where(
                SupplyAgreement.id.in_(ids)
            )
        )
        return {r.id: (r.min_qty, r.max_qty) for r in rows}


def _select_wh1_rows(page: AgreementsPage) -> None:
    selection = QItemSelection()
    model = page.model
    for r in range(model.rowCount()):
        if model.value(r, "location") == "WH-1":
            selection.select(model.index(r, 0), model.index(r, model.columnCount() - 1))
    page.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _computed_dialog(qtbot: QtBot, page: AgreementsPage) -> SuggestThresholdsDialog:
    _select_wh1_rows(page)
    dialog = page.open_suggest_dialog()
    assert isinstance(dialog, SuggestThresholdsDialog)
    with qtbot.waitSignal(dialog.computed, timeout=20000), qtbot.waitSignal(dialog.traced, timeout=20000):
        dialog.compute()
    return dialog


def test_apply_three_suggestions_then_undo_them_as_one_batch(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, with_history: World, qtmodeltester: object
) -> None:
    page = AgreementsPage(ctx)
    qtbot.addWidget(page)
    ids = [with_history.agreements[(v, s, "WH-1")] for v, s in WH1]
    before = _thresholds(sqlite_db, ids)
    dialog = _computed_dialog(qtbot, page)
    qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]

    rows = dialog.model.rows
    assert sorted(s.terms.agreement_id for s in rows) == sorted(ids)
    steady = next(s for s in rows if s.terms.part_number == "P-1")
    # what the policy says for the series with the agreement's lead time (5) and pack (6); 14 days = 42
    assert (steady.suggested_min, steady.suggested_max) == policy.suggest(patterns()["steady"], 5, 0.95, pack=6)
    assert steady.suggested_max - steady.suggested_min == 42
    assert steady.demand_class == "smooth"
    assert dialog.model.chosen_count() == 3
    assert "3 agreement(s)" in dialog.totals.text()
    # the chart replays the selected (first) row, current and suggested
    assert len(dialog.chart.series["on hand now"].x) == 365
    assert len(dialog.chart.series["on hand suggested"].y) == 365

    with qtbot.waitSignal(dialog.applied, timeout=20000) as applied:
        dialog.apply()
    batch = applied.args[0]
    assert len(batch.edits) == 3
    after = _thresholds(sqlite_db, ids)
    assert after == {s.terms.agreement_id: (s.suggested_min, s.suggested_max) for s in rows}
    assert after != before
    with sqlite_db.sessions() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    updates = [e for e in entries if e.action == "agreement.update"]
    assert {(e.actor, int(e.entity_id)) for e in updates} == {("pm", i) for i in ids}
    detail = json.loads(next(e.detail for e in updates if int(e.entity_id) == steady.terms.agreement_id))
    assert detail["min_qty"] == ["10", fmt(steady.suggested_min)]
    assert detail["max_qty"] == ["50", fmt(steady.suggested_max)]
    summary = [e for e in entries if e.action == "agreement.apply_suggested_thresholds"]
    assert len(summary) == 1 and summary[0].actor == "pm"
    assert json.loads(summary[0].detail)["count"] == 3
    row = next(
        r
        for r in range(page.model.rowCount())
        if (page.model.value(r, "part_number"), page.model.value(r, "location")) == ("P-1", "WH-1")
    )
    assert page.model.value(row, "min_qty") == steady.suggested_min  # the table shows what was saved

    # one Ctrl+Z takes the whole batch back through the same edit path
    with qtbot.waitSignal(page.model.batch_undone, timeout=20000) as undone:
        page.undo()
    assert undone.args[0] == batch.label
    assert _thresholds(sqlite_db, ids) == before
    with sqlite_db.sessions() as session:
        undo_entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == "agreement.update", AuditEntry.id > entries[-1].id)
            )
        )
    assert {(e.actor, int(e.entity_id)) for e in undo_entries} == {("pm", i) for i in ids}
    assert page.model.value(row, "min_qty") == Decimal(10)
    assert page.model.batches() == 0


def test_undo_refuses_the_whole_batch_when_a_row_changed_since(
    qtbot: QtBot,
    ctx: AppContext,
    sqlite_db: Database,
    with_history: World,
    make_ctx: Callable[[Actor], AppContext],
) -> None:
    page = AgreementsPage(ctx)
    qtbot.addWidget(page)
    ids = [with_history.agreements[(v, s, "WH-1")] for v, s in WH1]
    dialog = _computed_dialog(qtbot, page)
    with qtbot.waitSignal(dialog.applied, timeout=20000):
        dialog.apply()
    applied = _thresholds(sqlite_db, ids)
    # someone else edits one of the three meanwhile
    from vmi_desktop import catalog_service

    with sqlite_db.transaction() as session:
        agreement = session.get(SupplyAgreement, ids[1])
        assert agreement is not None
        catalog_service.update_agreement(session, ctx.actor, ids[1], agreement.version, max_qty=agreement.max_qty + 1)
    with qtbot.waitSignal(page.model.batch_undone, timeout=20000) as undone:
        page.undo()
    assert undone.args[0] == ""
    now = _thresholds(sqlite_db, ids)
    assert now[ids[0]] == applied[ids[0]] and now[ids[2]] == applied[ids[2]]  # nothing was undone


def test_cancel_stops_a_computation_and_changes_nothing(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, with_history: World
) -> None:
    dialog = SuggestThresholdsDialog(ctx, None)
    qtbot.addWidget(dialog)
    handle = dialog.compute()
    assert handle is not None
    assert dialog.close_button.text() == "Cancel"
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.handle is None, timeout=20000)
    assert dialog.close_button.text() == "Close"
    # cancelled before it finished, or finished first: either way nothing was written
    with sqlite_db.sessions() as session:
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.action.like("agreement.%"))) is None


def test_a_warehouse_lead_sees_suggestions_but_cannot_apply_them(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], lead: Actor, with_history: World
) -> None:
    lead_ctx = make_ctx(lead)
    dialog = SuggestThresholdsDialog(lead_ctx, [with_history.agreements[("ACME", "P-1", "WH-1")]])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.computed, timeout=20000):
        dialog.compute()
    assert dialog.model.rowCount() == 1
    assert not dialog.apply_button.isEnabled()
    index = dialog.model.index(0, 0)
    assert dialog.model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def test_the_filtered_rows_are_used_when_nothing_is_selected(
    qtbot: QtBot, ctx: AppContext, with_history: World
) -> None:
    page = AgreementsPage(ctx)
    qtbot.addWidget(page)
    page.model.set_filter("vendor_id", with_history.vendors["BOLT"])
    page.view.clearSelection()
    dialog = page.open_suggest_dialog()
    with qtbot.waitSignal(dialog.computed, timeout=20000):
        dialog.compute()
    assert [s.terms.vendor_code for s in dialog.model.rows] == ["BOLT"]
