"""The parts manager's day on the worklist: order rows, edit a quantity, snooze one, decide a proposal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from PySide6.QtCore import QModelRoleData, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.ui.helpers import page_of
from tests.world import World
from vmi_desktop import ledger
from vmi_desktop.commands.reorder import run_reorder
from vmi_desktop.db import Database
from vmi_desktop.models import Location, OutboxMessage, POOrigin, POStatus, PurchaseOrder, Role, utcnow
from vmi_desktop.queries.worklist import WorklistState
from vmi_desktop.replenishment import orders
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.models import ERROR_ROLE
from vmi_desktop.ui.pages.worklist import WorklistPage

TODAY = utcnow().date()


def _page(qtbot: QtBot, ctx: AppContext, today: date = TODAY) -> WorklistPage:
    page = WorklistPage(ctx, today=lambda: today)
    qtbot.addWidget(page)
    page.resize(1280, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.total is not None)
    return page


def _rows(page: WorklistPage) -> dict[tuple[str, str], int]:
    m = page.worklist
    return {(m.value(r, "part_number"), m.value(r, "location")): r for r in range(m.rowCount())}


def _use_p2(db: Database) -> None:
    """P-2 at WH-1 (ACME, min 5) down to 4: four rows on the worklist, ACME twice at WH-1."""
    with db.transaction() as s:
        ledger.post_consumption(
            s, Actor("lead", Role.WAREHOUSE_LEAD), "P-2", "WH-1", 26, occurred_at=datetime.now(UTC) - timedelta(days=40)
        )


def _type_quantity(qtbot: QtBot, page: WorklistPage, row: int, text: str) -> None:
    index = page.model.index(row, page.model.column_index("suggested"))
    page.view.setCurrentIndex(index)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F2)
    editor = page.view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view.indexWidget(index) is None)


def test_worklist_is_the_parts_managers_start_page(main_window: MainWindow) -> None:
    assert main_window.current_key() == "worklist"
    page = page_of(main_window, "worklist", WorklistPage)
    assert set(_rows(page)) == {("P-1", "WH-1"), ("P-3", "WH-1"), ("P-1", "VAN-7")}


def test_worklist_manager_orders_three_rows_one_order_per_vendor_and_location(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    _use_p2(sqlite_db)
    page = _page(qtbot, ctx)
    messages: list[str] = []
    page.status_message.connect(messages.append)
    rows = _rows(page)
    assert set(rows) == {("P-1", "WH-1"), ("P-2", "WH-1"), ("P-3", "WH-1"), ("P-1", "VAN-7")}
    assert page.count_label.text().startswith("4 rows · 4 at or below min on position")
    # P-1 at WH-1: on hand 7, max 50, pack 6 -> 48; the manager orders 45 instead (typed in the cell)
    assert page.worklist.value(rows[("P-1", "WH-1")], "suggested") == Decimal(48)
    _type_quantity(qtbot, page, rows[("P-1", "WH-1")], "45")
    page.select_rows([rows[("P-1", "WH-1")], rows[("P-2", "WH-1")], rows[("P-3", "WH-1")]])
    dialog = page.order_selected()
    assert dialog is not None
    items = [dialog.items.item(i).text() for i in range(dialog.items.count())]
    assert items == ["ACME → WH-1: P-1: 45, P-2: 16", "BOLT → WH-1: P-3: 10"]
    assert dialog.ok.text() == "Send 2 orders"
    dialog.accept()
    with sqlite_db.sessions() as s:
        placed = s.scalars(select(PurchaseOrder).order_by(PurchaseOrder.id)).all()
        assert [(po.vendor_id, s.get_one(Location, po.location_id).code, po.status) for po in placed] == [
            (stocked.vendors["ACME"], "WH-1", POStatus.SENT),
            (stocked.vendors["BOLT"], "WH-1", POStatus.SENT),
        ]
        assert sorted((ln.sku_id, ln.quantity_ordered) for ln in placed[0].lines) == [
            (stocked.skus["P-1"], Decimal(45)),
            (stocked.skus["P-2"], Decimal(16)),
        ]
        assert s.scalars(select(OutboxMessage.vendor_id)).all() == [stocked.vendors["ACME"]]  # BOLT has no sync
    # the rows refreshed in place from the commit: now on order
    refreshed = _rows(page)
    for key in (("P-1", "WH-1"), ("P-2", "WH-1"), ("P-3", "WH-1")):
        assert page.worklist.value(refreshed[key], "state") is WorklistState.ORDERED
    assert page.worklist.value(refreshed[("P-1", "WH-1")], "on_order") == Decimal(45)
    assert messages[-1].startswith("Ordered 3 row(s): PO-")


def test_worklist_snoozed_row_disappears_is_skipped_by_reorder_and_returns_on_its_date(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World, make_ctx: Callable[[Actor], AppContext]
) -> None:
    page = _page(qtbot, ctx)
    rows = _rows(page)
    page.select_row(rows[("P-1", "VAN-7")])
    dialog = page.snooze_selected()
    assert dialog is not None and not dialog.ok.isEnabled()  # a reason is required
    until = TODAY + timedelta(days=5)
    dialog.until_edit.setDate(dialog.until_edit.date().addDays(-2))  # default a week: 5 days
    qtbot.keyClicks(dialog.reason_edit, "van in the workshop")
    assert dialog.until == until and dialog.ok.isEnabled()
    dialog.accept()
    assert set(_rows(page)) == {("P-1", "WH-1"), ("P-3", "WH-1")}
    assert run_reorder(sqlite_db, ctx.actor, dry_run=True, today=TODAY).needs and all(
        (n.sku_id, n.location_id) != (stocked.skus["P-1"], stocked.locations["VAN-7"])
        for n in run_reorder(sqlite_db, ctx.actor, dry_run=True, today=TODAY).needs
    )
    page.snoozed_box.setChecked(True)
    snoozed = _rows(page)
    assert set(snoozed) == {("P-1", "VAN-7")}
    assert page.worklist.value(snoozed[("P-1", "VAN-7")], "state") is WorklistState.SNOOZED
    # on its date it is back, by itself: the same database seen on that day
    later = _page(qtbot, ctx, today=until)
    assert set(_rows(later)) == {("P-1", "WH-1"), ("P-3", "WH-1"), ("P-1", "VAN-7")}
    back = run_reorder(sqlite_db, ctx.actor, dry_run=True, today=until)
    assert (stocked.skus["P-1"], stocked.locations["VAN-7"]) in {(n.sku_id, n.location_id) for n in back.needs}


def test_worklist_fraction_of_a_whole_unit_is_refused_at_the_cell_and_nothing_is_ordered(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    page = _page(qtbot, ctx)
    row = _rows(page)[("P-3", "WH-1")]
    _type_quantity(qtbot, page, row, "2.5")
    index = page.model.index(row, page.model.column_index("suggested"))
    assert "has a fraction, but EA is counted in whole units" in str(index.data(ERROR_ROLE))
    page.select_row(row)
    assert page.order_selected() is None
    assert "Not ordered: quantity for P-3 at WH-1 2.5 has a fraction" in page.error.text()
    with sqlite_db.sessions() as s:
        assert s.scalars(select(PurchaseOrder)).all() == []


def test_worklist_manager_approves_a_proposal_from_its_row(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    with sqlite_db.transaction() as s:
        po = orders.create_order(
            s,
            ctx.actor,
            vendor_id=stocked.vendors["BOLT"],
            location_id=stocked.locations["WH-1"],
            lines=[orders.NewLine(stocked.skus["P-3"], Decimal(10))],
            origin=POOrigin.PROPOSAL,
            status=POStatus.AWAITING_APPROVAL,
        )
    page = _page(qtbot, ctx)
    row = _rows(page)[("P-3", "WH-1")]
    assert page.worklist.value(row, "state") is WorklistState.HELD
    page.select_row(row)
    assert page.approve_button.isEnabled()
    dialog = page.approve_selected()
    assert dialog is not None
    assert dialog.items.item(0).text() == f"{po.po_number} (proposal): P-3 at WH-1"
    dialog.accept()
    with sqlite_db.sessions() as s:
        assert s.get_one(PurchaseOrder, po.id).status is POStatus.SENT
    assert page.worklist.value(_rows(page)[("P-3", "WH-1")], "state") is WorklistState.ORDERED


def test_worklist_filters_by_vendor_and_stock_out(qtbot: QtBot, ctx: AppContext, stocked: World) -> None:
    page = _page(qtbot, ctx)
    page.vendor_combo.setCurrentIndex(page.vendor_combo.findText("BOLT"))
    assert set(_rows(page)) == {("P-3", "WH-1")}
    page.vendor_combo.setCurrentIndex(0)
    page.stock_out_box.setChecked(True)
    assert set(_rows(page)) == set()  # nothing at 0 among the worklist rows of the small world
    page.stock_out_box.setChecked(False)
    qtbot.keyClicks(page.search_box, "P-1")
    qtbot.waitUntil(lambda: set(_rows(page)) == {("P-1", "WH-1"), ("P-1", "VAN-7")})


def test_worklist_a_warehouse_lead_sees_it_but_may_not_order(
    qtbot: QtBot, make_ctx: Callable[[Actor], AppContext], stocked: World
) -> None:
    page = _page(qtbot, make_ctx(Actor("lead", Role.WAREHOUSE_LEAD)))
    page.select_row(0)
    assert not page.order_button.isEnabled() and not page.snooze_button.isEnabled()
    assert not page.model.flags(page.model.index(0, page.model.column_index("suggested"))) & Qt.ItemFlag.ItemIsEditable


def test_worklist_rows_refresh_in_place_after_a_change_committed_elsewhere(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    from vmi_desktop.commands import stock as stock_commands

    page = _page(qtbot, ctx)
    row = _rows(page)[("P-1", "WH-1")]
    assert page.worklist.value(row, "on_hand") == Decimal(7)
    # another workstation, or a sync run: a command commits, the relay tells the page
    stock_commands.consume(sqlite_db, Actor("lead", Role.WAREHOUSE_LEAD), "P-1", "WH-1", 3, reference="WO-1")
    assert page.worklist.value(row, "on_hand") == Decimal(4)
    assert page.worklist.value(row, "state") is WorklistState.ORDERED  # the command's reorder check sent an order
    page.hide()
    stock_commands.consume(sqlite_db, Actor("lead", Role.WAREHOUSE_LEAD), "P-1", "WH-1", 1)
    assert page.worklist.value(row, "on_hand") == Decimal(4)  # hidden: nothing re-read yet
    page.show()
    assert page.worklist.value(row, "on_hand") == Decimal(3)


def test_worklist_search_filters_on_the_first_keystroke_and_waits_while_typing(
    qtbot: QtBot, ctx: AppContext, stocked: World
) -> None:
    page = _page(qtbot, ctx)
    before = page.model.page_queries
    qtbot.keyClick(page.search_box, "P")
    assert page.model.page_queries == before + 1  # at once, no debounce on the first key
    qtbot.keyClicks(page.search_box, "-3")
    assert page.model.page_queries == before + 1  # typing on: waits for the pause
    qtbot.waitUntil(lambda: set(_rows(page)) == {("P-3", "WH-1")}, timeout=2000)
    assert page.model.page_queries == before + 2


def _painted(page: WorklistPage, row: int, column: int, roles: list[Qt.ItemDataRole]) -> list[object]:
    """What a delegate reads for one cell: every role in one ``multiData`` call, as Qt paints it."""
    items = [QModelRoleData(role) for role in roles]
    page.worklist.multiData(page.model.index(row, column), items)  # type: ignore[arg-type]
    return [item.data() for item in items]


def test_worklist_cells_paint_with_what_the_model_answers_role_by_role(
    qtbot: QtBot, ctx: AppContext, sqlite_db: Database, stocked: World
) -> None:
    """The rows' texts and colours are kept between paints; they are ``data``'s own, also after an edit
    or a row refreshed in place."""
    from vmi_desktop.commands import stock as stock_commands

    page = _page(qtbot, ctx)
    m = page.worklist
    roles = [
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
    ]

    def check() -> None:
        for row in range(m.rowCount()):
            for column in range(m.columnCount()):
                index = m.index(row, column)
                expected = [m.data(index, role) for role in roles]
                for _ in range(2):  # filled at the first paint, read back at the next
                    assert _painted(page, row, column, roles) == expected, (row, m.columns[column].key)

    check()
    p1 = _rows(page)[("P-1", "WH-1")]
    state = m.column_index("state")
    assert _painted(page, p1, state, [Qt.ItemDataRole.ForegroundRole])[0] is not None  # coloured by state
    _type_quantity(qtbot, page, p1, "9")
    check()  # an edit: painted role by role, the edited cell marked
    suggested = m.column_index("suggested")
    assert _painted(page, p1, suggested, [Qt.ItemDataRole.DisplayRole]) == ["9"]
    page.reset_quantities()
    stock_commands.consume(sqlite_db, Actor("lead", Role.WAREHOUSE_LEAD), "P-1", "WH-1", 3, reference="WO-1")
    check()  # the row re-read in place paints its new figures
    on_hand = m.column_index("on_hand")
    assert _painted(page, p1, on_hand, [Qt.ItemDataRole.DisplayRole]) == ["4"]
