"""The supplier workspace's scorecard, pair health and proposals: read off the UI thread, the worst pairs first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTableView
from pytestqt.qtbot import QtBot

from tests.conftest import D
from tests.world import World
from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
from vmi_desktop.db import Database
from vmi_desktop.queries.supplier_workspace import workspace_summary
from vmi_desktop.scope import Actor
from vmi_desktop.ui import pages
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages.supplier import SupplierWorkspacePage


def _page(qtbot: QtBot, ctx: AppContext) -> SupplierWorkspacePage:
    page = SupplierWorkspacePage(ctx)
    qtbot.addWidget(page)
    return page


def _health_rows(page: SupplierWorkspacePage) -> list[tuple[str, str]]:
    table = page.slow_movers
    return [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())]  # type: ignore[union-attr]


def test_the_page_is_built_before_its_scorecard_is_read(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], sqlite_db: Database, stocked: World, supplier_actor: Actor
) -> None:
    page = _page(qtbot, make_ctx(supplier_actor))
    # the read runs on the task runner: its answer arrives through the event loop, not during construction
    assert not page.summary_loaded and page.slow_movers.rowCount() == 0
    qtbot.waitUntil(lambda: page.summary_loaded, timeout=10000)
    with sqlite_db.sessions() as session:
        expected = workspace_summary(session, supplier_actor, shown=None).health
    assert _health_rows(page) == [(h.part_number, h.location_code) for h in expected]
    assert len(expected) == 3  # ACME's own pairs only


def test_the_health_table_shows_the_worst_pairs_and_says_how_many_there_are(
    qtbot: QtBot,
    make_ctx: Callable[[Actor], AppContext],
    stocked: World,
    supplier_actor: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages.supplier, "HEALTH_ROWS_SHOWN", 2)
    page = _page(qtbot, make_ctx(supplier_actor))
    qtbot.waitUntil(lambda: page.summary_loaded, timeout=10000)
    assert page.slow_movers.rowCount() == 2 and page.summary is not None and page.summary.pairs == 3
    assert "the first 2 of 3 pairs (Export writes them all)" in page.health_box.title()


def test_a_refresh_asked_for_during_a_read_reads_again_after_it(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World, supplier_actor: Actor
) -> None:
    ctx = make_ctx(supplier_actor)
    page = _page(qtbot, ctx)  # the first read is under way
    proposal = ProposedThresholds(stocked.agreements[("ACME", "P-2", "WH-1")], D("5"), D("40"), "bigger drops")
    propose_thresholds(ctx.db, supplier_actor, [proposal])
    page.refresh()
    page.refresh()  # both while the first read runs: one more read, after it
    qtbot.waitUntil(lambda: page.summary_loaded and not page._summary_running, timeout=10000)
    assert page.proposals_table.rowCount() == 1
    assert page.proposals_table.item(0, 4).text() == "bigger drops"  # type: ignore[union-attr]


def test_the_raise_dialog_finds_a_sku_and_keeps_what_was_typed_in_hidden_rows(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], sqlite_db: Database, stocked: World, supplier_actor: Actor
) -> None:
    from sqlalchemy import select

    from vmi_desktop.models import PurchaseOrderLine, Sku
    from vmi_desktop.ui.dialogs.supplier import RaiseOrderDialog

    dialog = RaiseOrderDialog(make_ctx(supplier_actor))
    qtbot.addWidget(dialog)
    dialog.location.setCurrentIndex(dialog.location.findData(stocked.locations["WH-1"]))
    assert dialog.shown_part_numbers() == ["P-1", "P-2"]
    dialog.set_quantity("P-1", "3")
    dialog.find_sku.setText("p-2")  # case does not matter
    assert dialog.shown_part_numbers() == ["P-2"]
    dialog.set_quantity("P-2", "2")
    dialog.accept()
    assert dialog.outcome is not None and dialog.outcome.order is not None, dialog.error.text()
    with sqlite_db.sessions() as session:
        ordered = session.execute(
            select(Sku.part_number, PurchaseOrderLine.quantity_ordered)
            .join(Sku, Sku.id == PurchaseOrderLine.sku_id)
            .where(PurchaseOrderLine.purchase_order_id == dialog.outcome.order.id)
            .order_by(Sku.part_number)
        ).all()
    assert ordered == [("P-1", D("3")), ("P-2", D("2"))]  # the hidden row's quantity too


def test_a_quantity_is_typed_into_the_raise_dialogs_cell_from_the_keyboard(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World, supplier_actor: Actor
) -> None:
    from vmi_desktop.ui.dialogs.supplier import QUANTITY_COLUMN, RaiseOrderDialog

    dialog = RaiseOrderDialog(make_ctx(supplier_actor))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.location.setCurrentIndex(dialog.location.findData(stocked.locations["WH-1"]))
    row = [sku.part_number for sku in dialog.skus].index("P-2")
    dialog.table.setFocus()
    dialog.table.setCurrentCell(row, QUANTITY_COLUMN)
    qtbot.keyClick(dialog.table, "1")  # any key starts editing the cell, with that key typed
    editor = dialog.table.findChild(QLineEdit)
    assert dialog.table.state() == QAbstractItemView.State.EditingState and editor is not None
    qtbot.keyClicks(editor, "2")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn of the loop
    qtbot.waitUntil(lambda: dialog.table.state() != QAbstractItemView.State.EditingState)
    assert [(sku.part_number, text) for sku, text in dialog.typed()] == [("P-2", "12")]
    dialog.table.setCurrentCell(row, 0)
    qtbot.keyClicks(dialog.table, "9")  # the SKU's own cells are not editable
    assert [(sku.part_number, text) for sku, text in dialog.typed()] == [("P-2", "12")]
    assert dialog.table.item(row, 0).text() == "P-2"  # type: ignore[union-attr]


def test_a_refresh_keeps_the_column_widths_the_supplier_set(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World, supplier_actor: Actor
) -> None:
    page = _page(qtbot, make_ctx(supplier_actor))
    header = page.pairs_view.horizontalHeader()
    assert page.pairs_model.rowCount() > 0 and header.sectionSize(0) != 333  # fitted to the first rows
    header.resizeSection(0, 333)
    page.refresh()  # F5, and after every commit
    assert header.sectionSize(0) == 333
    qtbot.waitUntil(lambda: not page._summary_running, timeout=10000)


def test_every_table_of_the_workspace_has_rows_one_line_of_text_high(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World, supplier_actor: Actor
) -> None:
    page = _page(qtbot, make_ctx(supplier_actor))
    views = page.findChildren(QTableView)
    assert len(views) >= 4  # orders, their lines, pairs, health
    for view in views:
        expected = view.fontMetrics().height() + 8
        assert view.verticalHeader().defaultSectionSize() == expected, view.objectName()
