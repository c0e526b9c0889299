"""The purchase-order page drives the real order service: approve, reject, receive, create; roles."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import insert, select

from tests.ui.helpers import cell_text
from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.models import (
    MovementKind,
    POOrigin,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
)
from vmi_desktop.replenishment import orders as po_api
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages.orders import OrdersPage


def _order(
    db: Database,
    world: World,
    *,
    vendor: str = "ACME",
    status: POStatus = POStatus.DRAFT,
    origin: POOrigin = POOrigin.MANUAL,
    hold: str = "",
    qty: int = 10,
) -> int:
    with db.transaction() as s:
        sku = "P-3" if vendor == "BOLT" else "P-1"
        po = po_api.create_order(
            s,
            Actor(name="pm", role=__import__("vmi_desktop.models", fromlist=["Role"]).Role.PARTS_MANAGER),
            vendor_id=world.vendors[vendor],
            location_id=world.locations["WH-1"],
            lines=[po_api.NewLine(sku_id=world.skus[sku], quantity=Decimal(qty))],
            origin=origin,
            status=status,
        )
        po.hold_reason = hold
        return po.id


def _page(qtbot: QtBot, ctx: AppContext) -> OrdersPage:
    page = OrdersPage(ctx)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    return page


def test_manager_approves_a_held_supplier_order(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    po_id = _order(
        sqlite_db,
        world,
        status=POStatus.AWAITING_APPROVAL,
        origin=POOrigin.SUPPLIER,
        hold="position 62 would exceed max 50",
    )
    page = _page(qtbot, make_ctx(manager))
    assert page.select_order(po_id)
    assert "exceed max 50" in page.header.text()
    assert page.approve_button.isEnabled()
    qtbot.mouseClick(page.approve_button, Qt.MouseButton.LeftButton)
    assert page.error.text() == ""
    with sqlite_db.transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status is POStatus.ACKNOWLEDGED and po.hold_reason == ""
        assert [h.to_status for h in po.history][-1] is POStatus.ACKNOWLEDGED
    assert page.detail is not None and page.detail.status is POStatus.ACKNOWLEDGED
    assert not page.approve_button.isEnabled()
    assert page.history.rowCount() == 2


def test_reject_asks_for_a_reason_and_records_it(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    po_id = _order(sqlite_db, world, status=POStatus.AWAITING_APPROVAL, origin=POOrigin.PROPOSAL)
    page = _page(qtbot, make_ctx(manager))
    page.select_order(po_id)
    qtbot.mouseClick(page.reject_button, Qt.MouseButton.LeftButton)
    dialog = page.reason_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.edit, "price too high")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    with sqlite_db.transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status is POStatus.REJECTED
        assert po.history[-1].note == "price too high"


def test_record_partial_receipt_posts_to_the_ledger_and_over_receipt_is_refused_in_the_dialog(
    qtbot: QtBot, sqlite_db: Database, world: World, lead: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    po_id = _order(sqlite_db, world, status=POStatus.SENT, qty=10)
    page = _page(qtbot, make_ctx(lead))
    page.select_order(po_id)
    assert page.receive_button.isEnabled()
    qtbot.mouseClick(page.receive_button, Qt.MouseButton.LeftButton)
    dialog = page.receipt_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_quantity(1, "12")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert "more than the 10 still open" in dialog.error.text()
    assert dialog.isVisible() and dialog.edits[1].text() == "12"  # nothing lost
    with sqlite_db.transaction() as s:
        assert s.scalar(select(StockMovement.id).where(StockMovement.kind == MovementKind.RECEIPT)) is None
    dialog.set_quantity(1, "4")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and dialog.receipt_number
    with sqlite_db.transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status is POStatus.PARTLY_RECEIVED
        assert po.lines[0].quantity_received == Decimal(4)
        mv = s.execute(select(StockMovement).where(StockMovement.kind == MovementKind.RECEIPT)).scalar_one()
        assert (mv.quantity, mv.purchase_order_line_id, mv.recorded_by) == (Decimal(4), po.lines[0].id, "lead")
        level = s.get(StockLevel, (world.skus["P-1"], world.locations["WH-1"]))
        assert level is not None and level.on_hand == Decimal(4)
    assert cell_text(page.lines, 0, 6) == "4" and cell_text(page.lines, 0, 7) == "6"


def test_warehouse_lead_cannot_approve_or_create_orders(
    qtbot: QtBot, sqlite_db: Database, world: World, lead: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    po_id = _order(sqlite_db, world, status=POStatus.AWAITING_APPROVAL)
    page = _page(qtbot, make_ctx(lead))
    assert page.select_order(po_id)
    assert not page.approve_button.isEnabled()
    assert not page.reject_button.isEnabled()
    assert not page.new_button.isEnabled()
    assert not page.receive_button.isEnabled()  # not sent yet
    # Even called directly, the service refuses and the page says why.
    assert not page.approve_selected()
    assert "may not approve order" in page.error.text()


def test_supplier_sees_only_its_own_vendors_orders(
    qtbot: QtBot, sqlite_db: Database, world: World, supplier_actor: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    acme = _order(sqlite_db, world, vendor="ACME", status=POStatus.SENT)
    bolt = _order(sqlite_db, world, vendor="BOLT", status=POStatus.SENT)
    page = _page(qtbot, make_ctx(supplier_actor))
    assert [r.id for r in page.model.rows] == [acme]
    assert not page.select_order(bolt)
    qtbot.waitUntil(lambda: page.count_label.text() == "1 orders", timeout=3000)
    assert not page.approve_button.isEnabled() and not page.new_button.isEnabled()


def test_status_filter_and_search_narrow_the_list(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    draft = _order(sqlite_db, world, status=POStatus.DRAFT)
    sent = _order(sqlite_db, world, vendor="BOLT", status=POStatus.SENT)
    page = _page(qtbot, make_ctx(manager))
    assert {r.id for r in page.model.rows} == {draft, sent}
    page.status_actions[POStatus.DRAFT].setChecked(False)
    assert [r.id for r in page.model.rows] == [sent]
    page.set_statuses(None)
    qtbot.keyClicks(page.search, "BOLT")
    qtbot.waitUntil(lambda: [r.id for r in page.model.rows] == [sent], timeout=2000)


def test_order_list_loads_lazily_in_pages(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    sqlite_db: Database,
    world: World,
    manager: Actor,
    make_ctx: Callable[[Actor], AppContext],
) -> None:
    with sqlite_db.transaction() as s:
        s.execute(
            insert(PurchaseOrder),
            [
                {
                    "po_number": f"PO-B{i:05d}",
                    "vendor_id": world.vendors["ACME"],
                    "location_id": world.locations["WH-1"],
                    "status": POStatus.SENT,
                    "origin": POOrigin.AUTO,
                }
                for i in range(450)
            ],
        )
    page = _page(qtbot, make_ctx(manager))
    assert page.model.rowCount() == 200 and page.model.pages_fetched == 1
    qtbot.waitUntil(lambda: page.count_label.text() == "450 orders", timeout=3000)
    page.table.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() == 400, timeout=2000)
    qtmodeltester.check(page.model)
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert page.model.rows[0].po_number == "PO-B00000" and page.model.rowCount() == 200


def test_manual_order_dialog_creates_and_sends_an_order(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    page = _page(qtbot, make_ctx(manager))
    dialog = page.open_new_order_dialog()
    assert dialog is not None
    dialog.choose("ACME", "WH-1")
    assert sorted(dialog.edits) == ["P-1", "P-2"]
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert "at least one SKU" in dialog.error.text() and dialog.isVisible()
    dialog.set_quantity("P-2", "7")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    with sqlite_db.transaction() as s:
        po = s.scalar(select(PurchaseOrder).where(PurchaseOrder.id == dialog.created_po_id))
        assert po is not None and po.status is POStatus.SENT and po.origin is POOrigin.MANUAL
        line = s.scalar(select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == po.id))
        assert line is not None and line.quantity_ordered == Decimal(7) and line.sku_id == world.skus["P-2"]
    assert page.detail is not None and page.detail.id == dialog.created_po_id


def test_reorder_check_runs_off_the_ui_thread_and_lists_what_it_raised(
    qtbot: QtBot,
    sqlite_db: Database,
    world: World,
    manager: Actor,
    lead: Actor,
    make_ctx: Callable[[Actor], AppContext],
) -> None:
    from vmi_desktop import ledger

    with sqlite_db.transaction() as s:
        ledger.post_receipt(s, manager, "P-1", "WH-1", 4)  # min 10, max 50, auto PO, pack 6
    page = _page(qtbot, make_ctx(manager))
    assert page.model.rowCount() == 0
    messages: list[str] = []
    page.status_message.connect(messages.append)
    handle = page.run_reorder()
    assert handle is not None and page.reorder_progress.isVisible() and not page.reorder_button.isEnabled()
    with qtbot.waitSignal(handle.signals.finished, timeout=10000):
        pass
    # P-1@WH-1 (4 < 10) and P-1@VAN-7 (0) auto POs, P-3 a proposal, P-2 supplier-managed: an alert
    assert messages[-1] == (
        "reorder check: 4 pair(s) at or below min; 3 order(s) raised or extended (3 line(s)), 1 alert(s)"
    )
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=2000)
    assert sorted(r.origin.value for r in page.model.rows) == ["auto", "auto", "proposal"]
    assert not page.reorder_progress.isVisible() and page.reorder_button.isEnabled()
    assert not _page(qtbot, make_ctx(lead)).reorder_button.isEnabled()


def test_cancel_asks_for_a_reason_and_cancels(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    po_id = _order(sqlite_db, world, status=POStatus.SENT)
    page = _page(qtbot, make_ctx(manager))
    page.select_order(po_id)
    assert page.cancel_button.isEnabled() and not page.approve_button.isEnabled()
    assert not page.cancel_selected("   ")
    assert "needs a reason" in page.error.text()
    assert page.cancel_selected("supplier cannot deliver")
    with sqlite_db.transaction() as s:
        po = s.get(PurchaseOrder, po_id)
        assert po is not None and po.status is POStatus.CANCELLED


def test_order_columns_and_split_are_remembered(
    qtbot: QtBot, sqlite_db: Database, world: World, manager: Actor, make_ctx: Callable[[Actor], AppContext]
) -> None:
    from vmi_desktop.ui.main_window import window_settings

    _order(sqlite_db, world, status=POStatus.SENT)
    page = _page(qtbot, make_ctx(manager))
    page.table.setColumnWidth(0, 177)
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    page.save_state(window_settings())
    again = _page(qtbot, make_ctx(manager))
    again.restore_state(window_settings())
    assert again.table.columnWidth(0) == 177
    assert again.table.horizontalHeader().sortIndicatorSection() == 0
    assert again.model.sort_key == "po_number" and not again.model.descending
