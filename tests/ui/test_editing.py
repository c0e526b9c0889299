"""Editing in place: save, refusal at the cell, undo/discard, conflicts, roles, dialogs, bulk edits."""

from __future__ import annotations

import json
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from sqlalchemy import select

from tests.ui.helpers import show_page
from tests.world import World
from vmi_desktop import catalog_service
from vmi_desktop.models import AuditEntry, Role, Sku, SupplyAgreement
from vmi_desktop.scope import Actor
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.models import DIRTY_ROLE, ERROR_ROLE, RAW_ROLE
from vmi_desktop.ui.pages.agreements import AgreementsPage
from vmi_desktop.ui.pages.skus import SkusPage
from vmi_desktop.ui.pages.stock import StockPage
from vmi_desktop.ui.pages.vendors import VendorsPage
from vmi_desktop.ui.palette import cell_colors

ALICE = Actor(name="alice", role=Role.PARTS_MANAGER)


def _agreement_row(page: AgreementsPage, vendor: str, sku: str, location: str) -> int:
    model = page.model
    return next(
        r
        for r in range(model.rowCount())
        if (model.value(r, "vendor"), model.value(r, "part_number"), model.value(r, "location"))
        == (vendor, sku, location)
    )


def _type_into_cell(qtbot, page: AgreementsPage, row: int, column_key: str, text: str) -> None:
    """Open the cell's editor like a user (F2), type, press Enter."""
    index = page.model.index(row, page.model.column_index(column_key))
    page.view.setCurrentIndex(index)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F2)
    editor = page.view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view.indexWidget(index) is None)  # the delegate commits on a queued call


def _agreements(window: MainWindow) -> AgreementsPage:
    return show_page(window, "agreements", AgreementsPage)


def test_edit_a_threshold_and_save_persists_it_with_an_audit_entry(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    _type_into_cell(qtbot, page, row, "min_qty", "12")
    index = page.model.index(row, page.model.column_index("min_qty"))
    assert index.data(DIRTY_ROLE) is True
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == cell_colors()["dirty"]
    assert page.save_button.isEnabled()
    main_window.actions_by_hook["save"].trigger()
    assert "Saved 1 change" in main_window.statusBar().currentMessage()
    assert index.data(DIRTY_ROLE) is False
    with sqlite_db.sessions() as session:
        agreement = session.get(SupplyAgreement, stocked.agreements[("ACME", "P-1", "WH-1")])
        assert agreement.min_qty == Decimal(12)
        assert agreement.version == 2
        assert agreement.updated_by == "pm"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.update")).one()
    assert entry.actor == "pm"
    assert json.loads(entry.detail)["min_qty"] == ["10", "12"]
    assert page.model.row(row).version == 2  # reloaded after save


def test_min_above_max_is_refused_at_the_cell_and_not_saved(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    _type_into_cell(qtbot, page, row, "min_qty", "60")
    index = page.model.index(row, page.model.column_index("min_qty"))
    reason = "min (60) is above max (50) for SKU P-1 at WH-1"
    assert index.data(ERROR_ROLE) == reason
    assert index.data(Qt.ItemDataRole.ToolTipRole) == reason
    assert index.data(Qt.ItemDataRole.BackgroundRole).color() == cell_colors()["error"]
    # the reason stays above the table, naming the cell, until it is fixed
    assert page.error_bar.isVisible()
    assert page.error_bar.text() == f"Not saved: P-1 at WH-1 (ACME), Min: {reason}. Correct it, or Discard."
    main_window.actions_by_hook["save"].trigger()
    assert main_window.statusBar().currentMessage().startswith("Not saved: 1 cell(s) are invalid")
    with sqlite_db.sessions() as session:
        assert session.get(SupplyAgreement, stocked.agreements[("ACME", "P-1", "WH-1")]).min_qty == Decimal(10)
    # raising max as well makes the row valid again
    _type_into_cell(qtbot, page, row, "max_qty", "80")
    assert index.data(ERROR_ROLE) is None
    assert not page.error_bar.isVisible()
    assert page.model.save()


def test_negative_pack_size_is_refused_with_its_reason(main_window: MainWindow, qtbot, stocked: World) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "BOLT", "P-3", "WH-1")
    _type_into_cell(qtbot, page, row, "pack_size", "-5")
    index = page.model.index(row, page.model.column_index("pack_size"))
    assert index.data(ERROR_ROLE) == "pack size must not be negative, got -5"
    assert index.data() == "-5"


def test_undo_takes_back_the_last_unsaved_edit_and_discard_all(main_window: MainWindow, qtbot, stocked: World) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-2", "WH-1")
    _type_into_cell(qtbot, page, row, "min_qty", "6")
    _type_into_cell(qtbot, page, row, "min_qty", "7")
    assert page.model.value(row, "min_qty") == Decimal(7)
    main_window.actions_by_hook["undo"].trigger()
    assert page.model.value(row, "min_qty") == Decimal(6)
    main_window.actions_by_hook["undo"].trigger()
    assert page.model.value(row, "min_qty") == Decimal(5)
    assert not page.model.has_pending()
    _type_into_cell(qtbot, page, row, "max_qty", "25")
    main_window.actions_by_hook["discard"].trigger()
    assert page.model.value(row, "max_qty") == Decimal(20)
    assert not page.save_button.isEnabled()


def test_a_row_changed_elsewhere_is_reloaded_with_who_and_when_never_overwritten(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    agreement_id = stocked.agreements[("ACME", "P-1", "WH-1")]
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    other_row = _agreement_row(page, "ACME", "P-2", "WH-1")
    # someone else saves first, from another workstation
    with sqlite_db.transaction() as session:
        catalog_service.update_agreement(session, ALICE, agreement_id, 1, min_qty="15")
    _type_into_cell(qtbot, page, row, "min_qty", "12")
    _type_into_cell(qtbot, page, other_row, "max_qty", "22")
    main_window.actions_by_hook["save"].trigger()
    message = main_window.statusBar().currentMessage()
    assert "changed by alice at" in message
    assert "UTC" in message
    assert page.model.value(row, "min_qty") == Decimal(15)  # reloaded
    assert page.model.row(row).version == 2
    index = page.model.index(row, 0)
    assert "changed by alice" in index.data(Qt.ItemDataRole.ToolTipRole)
    with sqlite_db.sessions() as session:
        assert session.get(SupplyAgreement, agreement_id).min_qty == Decimal(15)
        assert session.get(SupplyAgreement, stocked.agreements[("ACME", "P-2", "WH-1")]).max_qty == Decimal(20)
    # the other row's edit is still pending and saves now
    assert page.model.has_pending()
    assert page.model.save()
    with sqlite_db.sessions() as session:
        assert session.get(SupplyAgreement, stocked.agreements[("ACME", "P-2", "WH-1")]).max_qty == Decimal(22)


def test_refresh_keeps_the_version_an_edit_was_based_on(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    agreement_id = stocked.agreements[("ACME", "P-1", "WH-1")]
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    _type_into_cell(qtbot, page, row, "max_qty", "70")
    with sqlite_db.transaction() as session:
        catalog_service.update_agreement(session, ALICE, agreement_id, 1, max_qty="90")
    main_window.actions_by_hook["refresh"].trigger()  # F5 loads alice's row; our edit stays pending
    assert not page.model.save()
    with sqlite_db.sessions() as session:
        assert session.get(SupplyAgreement, agreement_id).max_qty == Decimal(90)


def test_stock_min_edits_the_primary_agreement(main_window: MainWindow, qtbot, sqlite_db, stocked: World) -> None:
    page = show_page(main_window, "stock", StockPage)
    model = page.model
    row = next(
        r
        for r in range(model.rowCount())
        if (model.value(r, "part_number"), model.value(r, "location")) == ("P-3", "WH-1")
    )
    assert model.setData(model.index(row, model.column_index("min_qty")), "3")
    assert model.setData(model.index(row, model.column_index("mode")), "auto_po")
    assert model.save()
    with sqlite_db.sessions() as session:
        agreement = session.get(SupplyAgreement, stocked.agreements[("BOLT", "P-3", "WH-1")])
        assert (agreement.min_qty, agreement.mode.value) == (Decimal(3), "auto_po")
    assert model.index(row, model.column_index("mode")).data(RAW_ROLE) == "auto_po"


def test_warehouse_lead_cannot_edit_thresholds_or_add(make_ctx, make_window, lead: Actor, stocked: World) -> None:
    window = make_window(make_ctx(lead))
    for key in ("stock", "agreements", "skus", "vendors", "locations"):
        page = window.page(key)
        model = page.model
        assert not model.can_edit
        for column in range(model.columnCount()):
            assert not model.flags(model.index(0, column)) & Qt.ItemFlag.ItemIsEditable
        assert not model.setData(model.index(0, 0), "x")
        assert not page.save_button.isVisible()
    agreements = window.page("agreements")
    assert not agreements.add_btn.isEnabled()
    agreements.select_row(0)
    assert not agreements.bulk_btn.isEnabled()
    assert not window.page("skus").add_btn.isEnabled()


def test_add_sku_dialog_creates_it_and_reports_a_duplicate(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = show_page(main_window, "skus", SkusPage)
    dialog = page.open_add_dialog()
    dialog.set_value("part_number", "P-1")
    dialog.submit()
    assert dialog.isVisible()
    assert dialog.error_label.text() == "part number P-1 is already used"
    dialog.set_value("part_number", "P-9")
    dialog.set_value("unit_cost", "4.5")
    dialog.set_value("criticality", "critical")
    dialog.submit()
    assert not dialog.isVisible()
    assert "P-9" in [page.model.value(r, "part_number") for r in range(page.model.rowCount())]
    with sqlite_db.sessions() as session:
        sku = session.scalars(select(Sku).where(Sku.part_number == "P-9")).one()
        assert (sku.unit_cost, sku.criticality.value) == (Decimal("4.5"), "critical")


def test_add_agreement_with_an_unknown_vendor_says_so(main_window: MainWindow, stocked: World) -> None:
    page = _agreements(main_window)
    dialog = page.open_add_dialog()
    dialog.set_value("vendor", "NOPE")
    dialog.set_value("sku", "P-3")
    dialog.set_value("location", "VAN-7")
    dialog.submit()
    assert dialog.error_label.text() == "unknown vendor 'NOPE'"
    dialog.set_value("vendor", "BOLT")
    dialog.set_value("min_qty", "2")
    dialog.set_value("max_qty", "6")
    dialog.submit()
    assert not dialog.isVisible()
    assert _agreement_row(page, "BOLT", "P-3", "VAN-7") >= 0


def test_deactivate_hides_the_row_until_show_inactive(main_window: MainWindow, sqlite_db, stocked: World) -> None:
    page = show_page(main_window, "vendors", VendorsPage)
    row = next(r for r in range(page.model.rowCount()) if page.model.value(r, "code") == "BOLT")
    page.select_row(row)
    assert page.active_btn.text() == "Deactivate"
    page.active_btn.click()
    assert page.model.row(row).active is False
    assert page.active_btn.text() == "Reactivate"
    page.refresh()
    assert [page.model.value(r, "code") for r in range(page.model.rowCount())] == ["ACME"]
    page.inactive_box.setChecked(True)
    assert [page.model.value(r, "code") for r in range(page.model.rowCount())] == ["ACME", "BOLT"]
    with sqlite_db.sessions() as session:
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "vendor")).all() == [
            "vendor.deactivate"
        ]


def test_bulk_scale_of_selected_thresholds_runs_off_the_ui_thread(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    page.location_combo.setCurrentIndex(page.location_combo.findText("WH-1"))
    page.view.selectAll()
    assert page.bulk_btn.isEnabled()
    dialog = page.open_bulk_dialog()
    dialog.scale_radio.setChecked(True)
    dialog.percent_edit.setText("10")
    with qtbot.waitSignal(dialog.applied, timeout=10000) as blocker:
        dialog.apply_button.click()
    assert blocker.args[0].changed == 3
    assert "Thresholds changed for 3 agreement(s)" in main_window.statusBar().currentMessage()
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    assert page.model.value(row, "min_qty") == Decimal(11)  # rows reloaded in place
    with sqlite_db.sessions() as session:
        van = session.get(SupplyAgreement, stocked.agreements[("ACME", "P-1", "VAN-7")])
        assert van.min_qty == Decimal(1)  # not selected, not changed


def test_bulk_set_refuses_min_above_max_in_the_dialog(main_window: MainWindow, stocked: World) -> None:
    page = _agreements(main_window)
    page.select_row(0)
    dialog = page.open_bulk_dialog()
    dialog.min_edit.setText("9")
    dialog.max_edit.setText("3")
    dialog.start()
    assert dialog.handle is None
    assert dialog.error_label.text() == "min (9) is above max (3)"


def test_enum_cell_edits_through_a_combo_and_keyboard_shortcuts_save(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    from PySide6.QtWidgets import QComboBox

    page = _agreements(main_window)
    row = _agreement_row(page, "BOLT", "P-3", "WH-1")
    index = page.model.index(row, page.model.column_index("mode"))
    page.view.setCurrentIndex(index)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F2)
    editor = page.view.indexWidget(index)
    assert isinstance(editor, QComboBox)
    assert [editor.itemData(i) for i in range(editor.count())] == ["supplier_managed", "auto_po", "proposal"]
    editor.setCurrentIndex(editor.findData("supplier_managed"))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.view.indexWidget(index) is None)
    assert index.data() == "supplier managed"
    main_window.activateWindow()
    qtbot.waitActive(main_window)
    qtbot.keyClick(page.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert index.data() == "proposal"
    page.model.setData(index, "auto_po")
    qtbot.keyClick(page.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not page.model.has_pending()
    with sqlite_db.sessions() as session:
        agreement = session.get(SupplyAgreement, stocked.agreements[("BOLT", "P-3", "WH-1")])
        assert agreement.mode.value == "auto_po"


def test_edits_of_rows_hidden_by_a_new_search_are_still_saved(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-1", "WH-1")
    _type_into_cell(qtbot, page, row, "max_qty", "55")
    _type_into_cell(qtbot, page, row, "min_qty", "11")
    page.model.set_search("P-3")
    assert page.model.rowCount() == 1
    assert page.model.undo()  # takes back min 11 even though the row is not shown
    assert page.model.pending_count() == 1
    assert page.model.save()
    with sqlite_db.sessions() as session:
        agreement = session.get(SupplyAgreement, stocked.agreements[("ACME", "P-1", "WH-1")])
        assert (agreement.min_qty, agreement.max_qty) == (Decimal(10), Decimal(55))


def test_a_save_refused_by_the_service_marks_the_cell_and_keeps_the_edit(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = show_page(main_window, "skus", SkusPage)
    model = page.model
    row = next(r for r in range(model.rowCount()) if model.value(r, "part_number") == "P-3")
    index = model.index(row, model.column_index("part_number"))
    assert model.setData(index, "P-2")
    main_window.actions_by_hook["save"].trigger()
    assert main_window.statusBar().currentMessage() == "Not saved: part number P-2 is already used"
    assert index.data(ERROR_ROLE) == "part number P-2 is already used"
    page.view.setCurrentIndex(model.index(row, 0))
    page.view.setCurrentIndex(index)  # selecting the cell repeats its reason in the status bar
    assert main_window.statusBar().currentMessage() == "part number P-2 is already used"
    assert model.setData(index, "P-33")  # a new value clears the reason
    assert index.data(ERROR_ROLE) is None
    assert model.save()
    with sqlite_db.sessions() as session:
        assert session.get(Sku, stocked.skus["P-3"]).part_number == "P-33"


def test_ctrl_s_with_the_cell_editor_still_open_saves_what_was_typed(
    main_window: MainWindow, qtbot, sqlite_db, stocked: World
) -> None:
    page = _agreements(main_window)
    row = _agreement_row(page, "ACME", "P-1", "VAN-7")
    index = page.model.index(row, page.model.column_index("max_qty"))
    page.view.setCurrentIndex(index)
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_F2)
    editor = page.view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "4")
    main_window.actions_by_hook["save"].trigger()
    assert page.view.indexWidget(index) is None
    with sqlite_db.sessions() as session:
        assert session.get(SupplyAgreement, stocked.agreements[("ACME", "P-1", "VAN-7")]).max_qty == Decimal(4)
