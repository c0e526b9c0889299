"""The warehouse lead's stock forms, driven as a scanner does: part, Enter, quantity, Enter."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from tests.conftest import D
from tests.ui.helpers import page_of
from tests.world import World
from vmi_desktop import ledger
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.db import Database
from vmi_desktop.models import MovementKind, POLineStatus, POOrigin, PurchaseOrder, StockMovement
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.stock_forms import StockFormsPage

MakeWindow = Callable[[AppContext], MainWindow]


@pytest.fixture
def lead_window(make_window: MakeWindow, make_ctx: Callable[[Actor], AppContext], lead: Actor) -> MainWindow:
    return make_window(make_ctx(lead))


@pytest.fixture
def forms(lead_window: MainWindow) -> StockFormsPage:
    page = page_of(lead_window, "stock_forms", StockFormsPage)
    page.set_location("WH-1")
    return page


def _on_hand(db: Database, world: World, sku: str, loc: str) -> Decimal:
    with db.sessions() as s:
        return ledger.current_on_hand(s, world.skus[sku], world.locations[loc])


def _scan(qtbot: QtBot, widget: object, text: str) -> None:
    """What a barcode scanner does: type the characters, then Enter."""
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_stock_form_is_the_warehouse_leads_start_page_with_a_stock_menu(lead_window: MainWindow) -> None:
    assert lead_window.current_key() == "stock_forms"
    menu = lead_window.page_menus["stock_forms"]
    shortcuts = {a.text(): a.shortcut().toString() for a in menu.actions()}
    assert shortcuts["&Consume parts…"] == "Ctrl+Shift+C"
    assert shortcuts["Cycle &count sheet…"] == "Ctrl+Shift+K"
    assert len(shortcuts) == 6


def test_stock_form_consumption_by_scanner_typing(
    qtbot: QtBot, lead_window: MainWindow, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    lead_window.page_menus["stock_forms"].actions()[0].trigger()  # Stock > Consume parts…
    form = forms.consume
    assert forms.tabs.currentWidget() is form
    qtbot.keyClicks(form.reference, "WO-17")
    qtbot.keyClick(form.reference, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is form.part.edit
    _scan(qtbot, form.part.edit, "P-2")
    assert "on hand <b>30 EA</b>" in form.part.info.text()
    assert QApplication.focusWidget() is form.quantity.edit
    _scan(qtbot, form.quantity.edit, "3")

    assert _on_hand(sqlite_db, stocked, "P-2", "WH-1") == D(27)
    assert form.result.text() == "Consumed 3 EA of P-2 at WH-1 for WO-17: on hand 30 → 27 EA."
    assert QApplication.focusWidget() is form.part.edit and form.part.edit.text() == ""
    assert form.reference.text() == "WO-17"  # the next part is for the same job
    record = forms.posted_model.records[0]
    assert (record.what, record.part_number, record.quantity, record.on_hand_after) == (
        "consumption",
        "P-2",
        D(-3),
        D(27),
    )
    with sqlite_db.sessions() as s:
        movement = s.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert movement is not None and movement.reference == "WO-17"
        assert movement.kind is MovementKind.CONSUMPTION


def test_stock_form_refuses_a_fraction_of_a_whole_unit_next_to_the_field(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    form = forms.open_form("consume")
    assert isinstance(form, type(forms.consume))
    _scan(qtbot, forms.consume.part.edit, "p-2")  # any case
    qtbot.keyClicks(forms.consume.quantity.edit, "1.5")
    reason = forms.consume.quantity.reason.text()
    assert reason == "consumed quantity 1.5 has a fraction, but EA is counted in whole units"
    qtbot.keyClick(forms.consume.quantity.edit, Qt.Key.Key_Return)
    assert "Not posted: consumed quantity 1.5 has a fraction" in forms.consume.error.text()
    assert forms.consume.quantity.edit.text() == "1.5"  # kept for correction
    assert _on_hand(sqlite_db, stocked, "P-2", "WH-1") == D(30)
    assert forms.posted_model.rowCount() == 0


def test_stock_form_unknown_part_and_too_much_are_said_in_the_form(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    forms.open_form("consume")
    form = forms.consume
    _scan(qtbot, form.part.edit, "NOPE-1")
    assert form.part.reason.text() == "No part 'NOPE-1' is known (part number or supplier part number)."
    form.part.clear()
    _scan(qtbot, form.part.edit, "ACME-P-1")  # the supplier's part number finds P-1
    assert form.part.part is not None and form.part.part.part_number == "P-1"
    _scan(qtbot, form.quantity.edit, "9")
    assert "would take on hand from 7 to -2" in form.error.text()
    assert _on_hand(sqlite_db, stocked, "P-1", "WH-1") == D(7)


def test_stock_form_transfer_between_locations(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    form = forms.open_form("transfer")
    assert form is forms.transfer
    forms.to_location.setCurrentIndex(forms.to_location.findText("VAN-7"))
    assert "WH-1" in forms.transfer.from_label.text()
    _scan(qtbot, forms.transfer.part.edit, "P-3")
    _scan(qtbot, forms.transfer.quantity.edit, "2")
    assert _on_hand(sqlite_db, stocked, "P-3", "WH-1") == D(0)
    assert _on_hand(sqlite_db, stocked, "P-3", "VAN-7") == D(13)
    assert forms.transfer.result.text() == (
        "Moved 2 EA of P-3 from WH-1 to VAN-7: WH-1 2 → 0, VAN-7 11 → 13 EA. "
        "The reorder check raised or extended PO-000001."  # WH-1 fell below its min of 4
    )
    assert forms.posted_model.records[0].location == "WH-1 → VAN-7"


def test_stock_form_adjustment_needs_details_for_other(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    forms.open_form("adjust")
    form = forms.adjust
    _scan(qtbot, form.part.edit, "P-1")
    form.reason_code.setCurrentText("other")
    _scan(qtbot, form.quantity.edit, "-2")
    assert "the reason 'other' needs details" in form.error.text()
    form.reason_code.setCurrentText("damaged")
    qtbot.keyClicks(form.details, "dropped from the rack")
    qtbot.keyClick(form.details, Qt.Key.Key_Return)
    assert _on_hand(sqlite_db, stocked, "P-1", "WH-1") == D(5)
    with sqlite_db.sessions() as s:
        note = s.scalars(select(StockMovement.note).order_by(StockMovement.id.desc())).first()
    assert note == "damaged: dropped from the rack"


def test_stock_form_posting_is_reversed_once_by_a_counter_posting(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    forms.open_form("consume")
    _scan(qtbot, forms.consume.part.edit, "P-2")
    _scan(qtbot, forms.consume.quantity.edit, "4")
    forms.posted_view.selectRow(0)
    assert forms.reverse_button.isEnabled()
    forms.reverse_button.click()
    assert forms.reason_dialog is not None
    qtbot.keyClicks(forms.reason_dialog.edit, "wrong bin")
    forms.reason_dialog.accept()
    assert _on_hand(sqlite_db, stocked, "P-2", "WH-1") == D(30)
    assert forms.reversal_bar.text() == "Reversed the consumption of P-2 (wrong bin): on hand at WH-1 26 → 30 EA."
    original = forms.posted_model.records[1]
    assert original.reversed_by and not original.reversible
    forms.posted_view.selectRow(1)
    assert not forms.reverse_button.isEnabled()  # never twice
    forms.posted_view.selectRow(0)
    assert not forms.reverse_button.isEnabled()  # nor the reversal itself
    with sqlite_db.sessions() as s:
        last = s.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert last is not None and last.reverses_movement_id == original.movement_ids[0]


def test_stock_form_remembers_the_location(
    make_window: MakeWindow, make_ctx: Callable[[Actor], AppContext], lead: Actor, stocked: World
) -> None:
    first = page_of(make_window(make_ctx(lead)), "stock_forms", StockFormsPage)
    first.set_location("VAN-7")
    first.to_location.setCurrentIndex(first.to_location.findText("WH-1"))
    again = page_of(make_window(make_ctx(lead)), "stock_forms", StockFormsPage)
    assert again.location.currentText() == "VAN-7"
    assert again.to_location.currentText() == "WH-1"


def test_stock_form_receipt_against_an_order_over_and_short(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World, manager: Actor
) -> None:
    po = order_commands.create(
        sqlite_db,
        manager,
        vendor_id=stocked.vendors["ACME"],
        location_id=stocked.locations["WH-1"],
        lines=[NewLine(sku_id=stocked.skus["P-1"], quantity=D(12)), NewLine(sku_id=stocked.skus["P-2"], quantity=D(6))],
        origin=POOrigin.MANUAL,
        send=True,
    )
    forms.open_form("receive")
    form = forms.receive
    _scan(qtbot, form.order_edit, po.po_number.lower())
    assert form.order is not None and form.lines.rowCount() == 2
    _scan(qtbot, form.part.edit, "P-1")
    _scan(qtbot, form.quantity.edit, "14")  # two more than ordered
    assert form.over_reason.isVisible()
    _scan(qtbot, form.part.edit, "P-2")
    _scan(qtbot, form.quantity.edit, "4")
    form.set_close_short(2)
    form.post()
    assert "give a reason to accept the over-delivery" in form.error.text()
    assert _on_hand(sqlite_db, stocked, "P-1", "WH-1") == D(7)  # nothing was received
    qtbot.keyClicks(form.over_reason, "full carton")
    form.post()
    assert _on_hand(sqlite_db, stocked, "P-1", "WH-1") == D(21)
    assert _on_hand(sqlite_db, stocked, "P-2", "WH-1") == D(34)
    assert form.result.text().startswith(f"Received RC-000001 against {po.po_number} at WH-1: P-1 +14 EA")
    assert "Closed short: line 2." in form.result.text()
    with sqlite_db.sessions() as s:
        lines = s.get_one(PurchaseOrder, po.id).lines
        assert [ln.status for ln in lines] == [POLineStatus.CLOSED, POLineStatus.CLOSED]
    assert form.order is None  # the order is complete: back to goods without an order
    assert not forms.posted_model.records[0].reversible  # corrected with an adjustment, not reversed


def test_stock_form_receipt_without_an_order(
    qtbot: QtBot, forms: StockFormsPage, sqlite_db: Database, stocked: World
) -> None:
    forms.open_form("receive")
    form = forms.receive
    qtbot.keyClick(form.order_edit, Qt.Key.Key_Return)  # no order
    assert QApplication.focusWidget() is form.part.edit
    qtbot.keyClicks(form.reference, "DN-555")
    _scan(qtbot, form.part.edit, "P-3")
    _scan(qtbot, form.quantity.edit, "5")
    assert _on_hand(sqlite_db, stocked, "P-3", "WH-1") == D(7)
    assert form.result.text() == (
        "Received 5 EA of P-3 at WH-1 without an order (delivery note DN-555): on hand 2 → 7 EA."
    )
