"""What each role sees and may do in the window: a supplier, its preview, a lead, a parts manager.

The supplier's world shares a pair with another vendor (BOLT is the backup supplier of ACME's P-1 at
WH-1, with thresholds, price and part number found nowhere else): not one of them may appear on any
page ACME's users see. The PostgreSQL tests run the window on the supplier's own login, under
row-level security, and compare it with the parts manager's preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.logins import BOLT_SECRET, SharedWorld, add_logins, connect_as, order_of, shared_world
from tests.ui.helpers import page_of
from tests.ui.walk import forbidden_in, widget_texts, window_texts
from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.identity import login_postgresql, login_sqlite
from vmi_desktop.models import POStatus, Role
from vmi_desktop.scope import Actor
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.dashboard import DashboardPage
from vmi_desktop.ui.pages.orders import OrdersPage
from vmi_desktop.ui.pages.supplier import SupplierWorkspacePage
from vmi_desktop.ui.pages.table_page import TablePage
from vmi_desktop.ui.tasks import TaskRunner

#: What nobody at ACME may ever see: BOLT's code and name, its backup agreement's part number,
#: thresholds and price, and the pair only BOLT supplies.
FOREIGN = [
    r"BOLT",
    r"Bolt Supply",
    r"\b717\b",
    r"\b939\b",
    r"6[.,]6601",
    r"\bP-3\b",
]


@pytest.fixture
def contexts(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[[Database, Actor], AppContext]]:
    made: list[AppContext] = []

    def make(db: Database, actor: Actor) -> AppContext:
        ctx = AppContext(
            db=db, actor=actor, settings=Settings(data_dir=tmp_path, config_dir=tmp_path), runner=TaskRunner()
        )
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:  # deliver what finished while the windows still exist
        ctx.runner.wait(10000)
        QApplication.processEvents()
        ctx.close()


def _window(qtbot: QtBot, ctx: AppContext) -> MainWindow:
    window = MainWindow(ctx)
    window.confirm_unsaved = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _drain(ctx: AppContext) -> None:
    ctx.runner.wait(10000)
    QApplication.processEvents()


def _show_everything(window: MainWindow) -> dict[str, list[str]]:
    """Every page, the charts of the shared pair, every order's detail; then all texts."""
    ctx = window.ctx
    texts = window_texts(window)
    workspace = page_of(window, "supplier", SupplierWorkspacePage)
    assert workspace.select_pair("P-1", "WH-1")
    orders = page_of(window, "orders", OrdersPage)
    for i in range(orders.model.rowCount()):
        orders.select_order(orders.model.row(i).id)
        texts.setdefault("order details", []).extend(widget_texts(orders))
    dashboard = page_of(window, "dashboard", DashboardPage)
    _drain(ctx)
    pair = workspace.selected_pair()
    assert pair is not None
    dashboard.show_pair(pair.sku_id, pair.location_id, "P-1 at WH-1")
    _drain(ctx)
    for key in window.page_keys():
        texts[key] = widget_texts(window.page(key))
    return texts


# ------------------------------------------------------------------------------------- SQLite


@pytest.fixture
def sw_sqlite(sqlite_db: Database) -> SharedWorld:
    return shared_world(sqlite_db)


def test_a_supplier_sees_nothing_of_another_vendor_on_any_page(
    qtbot: QtBot, sqlite_db: Database, sw_sqlite: SharedWorld, contexts: Callable[[Database, Actor], AppContext]
) -> None:
    acme = Actor("acme-rep", Role.SUPPLIER, vendor_id=sw_sqlite.acme)
    window = _window(qtbot, contexts(sqlite_db, acme))
    assert window.page_keys()[0] == "supplier" and "audit" not in window.page_keys()
    assert "worklist" not in window.page_keys()  # the customer's planning: snoozes, held decisions
    texts = _show_everything(window)
    everything = [t for page in texts.values() for t in page]
    assert forbidden_in(everything, FOREIGN) == []
    # ... while its own figures for the shared pair are there: its min/max, price and part number
    workspace = " ".join(texts["supplier"])
    assert "ACME-P-1" in workspace and "3.10 EUR" in workspace
    dashboard = page_of(window, "dashboard", DashboardPage)
    assert dashboard.pair is not None
    assert (dashboard.pair.stock.min_qty, dashboard.pair.stock.max_qty) == (Decimal(10), Decimal(50))
    stock = window.page("stock")
    assert isinstance(stock, TablePage)
    rows = {
        (stock.model.value(r, "part_number"), stock.model.value(r, "location")): r
        for r in range(stock.model.rowCount())
    }
    shared = rows[("P-1", "WH-1")]
    assert (stock.model.value(shared, "min_qty"), stock.model.value(shared, "max_qty")) == (Decimal(10), Decimal(50))
    assert stock.model.value(shared, "vendor") == "ACME"


def test_actions_follow_the_role_save_undo_discard(
    qtbot: QtBot, sqlite_db: Database, sw_sqlite: SharedWorld, contexts: Callable[[Database, Actor], AppContext]
) -> None:
    manager = _window(qtbot, contexts(sqlite_db, sw_sqlite.manager))
    actions = manager.actions_by_hook
    manager.show_page("audit")
    assert not actions["save"].isEnabled() and not actions["undo"].isEnabled() and not actions["discard"].isEnabled()
    assert actions["refresh"].isEnabled() and actions["find"].isEnabled()
    manager.show_page("agreements")
    page = manager.page("agreements")
    assert isinstance(page, TablePage)
    assert actions["save"].isEnabled() and actions["undo"].isEnabled()
    assert not actions["discard"].isEnabled()  # nothing to discard
    page.discard()
    assert "Nothing to discard" in manager.statusBar().currentMessage()
    page.model.setData(page.model.index(0, page.model.column_index("min_qty")), "1")
    assert actions["discard"].isEnabled()
    actions["discard"].trigger()
    assert "Discarded 1 unsaved change" in manager.statusBar().currentMessage()
    assert not actions["discard"].isEnabled()
    supplier = _window(qtbot, contexts(sqlite_db, Actor("acme-rep", Role.SUPPLIER, vendor_id=sw_sqlite.acme)))
    for key in ("stock", "agreements", "skus", "vendors"):
        supplier.show_page(key)
        table = supplier.page(key)
        assert isinstance(table, TablePage)
        assert not table.model.can_edit and not table.save_button.isVisible()
        for hook in ("save", "undo", "discard"):
            assert not supplier.actions_by_hook[hook].isEnabled(), (key, hook)
    workspace = supplier.page("supplier")
    assert isinstance(workspace, SupplierWorkspacePage) and workspace.raise_button.isEnabled()
    lead = _window(qtbot, contexts(sqlite_db, Actor("lina", Role.WAREHOUSE_LEAD)))
    assert "supplier" not in lead.page_keys() and "users" not in lead.page_keys()
    assert not lead.preview_action.isVisible()
    lead.show_page("agreements")
    agreements = page_of(lead, "agreements", TablePage)
    assert not agreements.model.can_edit and not lead.actions_by_hook["save"].isEnabled()
    # a lead sees every vendor (only a supplier's view is narrowed)
    assert any("BOLT" in t for t in widget_texts(agreements))


def test_on_sqlite_a_non_manager_is_a_labelled_read_only_preview(
    qtbot: QtBot, sqlite_db: Database, sw_sqlite: SharedWorld, contexts: Callable[[Database, Actor], AppContext]
) -> None:
    import getpass

    from vmi_desktop import users

    me = getpass.getuser()
    manager = login_sqlite(sqlite_db, os_user=me)
    with sqlite_db.transaction() as s:
        users.add_user(s, manager, "acme-rep", Role.SUPPLIER, "ACME")
        users.add_user(s, manager, "lina", Role.WAREHOUSE_LEAD)
    for name in ("acme-rep", "lina"):
        actor = login_sqlite(sqlite_db, name, os_user=me)
        window = _window(qtbot, contexts(sqlite_db, actor))
        assert window.preview_banner.isVisible()
        assert (
            "Preview of " + name in window.preview_banner.text() and "changes nothing" in window.preview_banner.text()
        )
        assert "preview, read-only" in window.user_label.text()
    workspace = window.page("stock")
    assert isinstance(workspace, TablePage) and not workspace.model.can_edit
    supplier_window = _window(qtbot, contexts(sqlite_db, login_sqlite(sqlite_db, "acme-rep", os_user=me)))
    page = supplier_window.page("supplier")
    assert isinstance(page, SupplierWorkspacePage)
    assert not page.raise_button.isEnabled() and "preview" in page.raise_button.toolTip()
    own = _window(qtbot, contexts(sqlite_db, manager))
    assert not own.preview_banner.isVisible()


def test_the_users_page_adds_and_disables_users(
    qtbot: QtBot, sqlite_db: Database, sw_sqlite: SharedWorld, contexts: Callable[[Database, Actor], AppContext]
) -> None:
    import getpass

    from vmi_desktop.ui.pages.users import UsersPage

    manager = login_sqlite(sqlite_db, os_user=getpass.getuser())
    window = _window(qtbot, contexts(sqlite_db, manager))
    window.show_page("users")
    page = window.page("users")
    assert isinstance(page, UsersPage)
    assert "previews here" in page.note.text() and not page.password_button.isVisible()
    dialog = page.open_add()
    dialog.name.setText("acme-rep")
    dialog.fields.role.setCurrentIndex(dialog.fields.role.findData(Role.SUPPLIER))
    dialog.fields.vendor.setCurrentIndex(dialog.fields.vendor.findData("ACME"))
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
    assert page.select_user("acme-rep")
    page.toggle_active()
    row = next(r for r in page.rows if r.username == "acme-rep")
    assert not row.active and row.role is Role.SUPPLIER and row.vendor == "ACME"
    assert page.select_user(manager.name)
    page.toggle_active()
    assert "yourself" in page.error.text()


# ------------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def sw(pg_db: Database) -> SharedWorld:
    return add_logins(pg_db, shared_world(pg_db))


@pytest.fixture
def login_dbs(pg_db: Database, sw: SharedWorld) -> Iterator[dict[str, Database]]:
    dbs = {key: connect_as(pg_db, sw, key) for key in ("acme", "pm")}
    yield dbs
    for db in dbs.values():
        db.dispose()


@pytest.mark.postgres
def test_a_supplier_acknowledges_and_ships_in_the_window_and_the_manager_sees_both(
    qtbot: QtBot,
    pg_db: Database,
    sw: SharedWorld,
    login_dbs: dict[str, Database],
    contexts: Callable[[Database, Actor], AppContext],
) -> None:
    acme_db = login_dbs["acme"]
    acme = contexts(acme_db, login_postgresql(acme_db))
    window = _window(qtbot, acme)
    page = window.page("supplier")
    assert isinstance(page, SupplierWorkspacePage)
    po_id = sw.orders["ACME"][1]  # sent: P-2 x 4
    assert page.select_order(po_id)
    assert page.ack_button.isEnabled() and not page.ship_button.isEnabled()
    ack = page.open_acknowledge()
    assert ack is not None
    ack.quantities[1].setText("3")
    ack.deliveries[1].setText("2026-12-22")
    assert ack.change_radio.isChecked() is False  # only typing by hand switches to "changed"
    ack.change_radio.setChecked(True)
    ack.accept()
    assert ack.error.text() == "say why the order is changed"
    ack.reason.setText("one short this week")
    ack.accept()
    assert ack.result() == ack.DialogCode.Accepted, ack.error.text()
    assert page.detail is not None and page.detail.status is POStatus.ACKNOWLEDGED
    ship = page.open_ship()
    assert ship is not None
    assert ship.edits[1].text() == "3"  # what was acknowledged, not what was ordered
    ship.shipment_id.setText("ASN-UI-1")
    ship.carrier.setText("DHL")
    ship.tracking.setText("JD0001")
    ship.eta.setText("2026-12-21")
    ship.accept()
    assert ship.result() == ship.DialogCode.Accepted, ship.error.text()
    assert page.detail is not None and page.detail.status is POStatus.SHIPPED
    # the parts manager, on its own login, sees the answer and the ship notice
    pm_db = login_dbs["pm"]
    manager = _window(qtbot, contexts(pm_db, login_postgresql(pm_db)))
    manager.show_page("orders")
    orders = page_of(manager, "orders", OrdersPage)
    orders.set_statuses(None)
    assert orders.select_order(po_id)
    detail = orders.detail
    assert detail is not None and detail.status is POStatus.SHIPPED
    line = detail.lines[0]
    assert (line.acknowledged, line.shipped) == (Decimal(3), Decimal(3))
    history = [(h.to_status, h.changed_by, h.note) for h in detail.history]
    assert (POStatus.ACKNOWLEDGED, sw.logins["acme"], "one short this week") in history
    assert (POStatus.SHIPPED, sw.logins["acme"], "shipment ASN-UI-1") in history
    po = order_of(pg_db, po_id)
    assert po.expected_delivery == date(2026, 12, 21)


@pytest.mark.postgres
def test_a_supplier_raises_orders_and_proposes_thresholds_in_the_window(
    qtbot: QtBot,
    pg_db: Database,
    sw: SharedWorld,
    login_dbs: dict[str, Database],
    contexts: Callable[[Database, Actor], AppContext],
) -> None:
    acme_db = login_dbs["acme"]
    window = _window(qtbot, contexts(acme_db, login_postgresql(acme_db)))
    page = window.page("supplier")
    assert isinstance(page, SupplierWorkspacePage)
    dialog = page.open_raise()
    assert dialog is not None
    dialog.location.setCurrentIndex(dialog.location.findText("WH-1", flags=Qt.MatchFlag.MatchStartsWith))
    assert {s.part_number for s in dialog.skus} == {"P-1", "P-2"}  # its own agreements at WH-1 only
    dialog.set_quantity("P-1", "500")
    dialog.accept()
    assert dialog.outcome is not None and dialog.outcome.status == "held"
    assert "held for the parts manager" in window.statusBar().currentMessage()
    assert page.select_pair("P-2", "WH-1")
    propose = page.open_propose()
    assert propose is not None
    propose.min_edit.setText("6")
    propose.max_edit.setText("4")
    propose.reason.setText("new contract")
    propose.accept()
    assert "is above max" in propose.error.text()
    propose.max_edit.setText("24")
    propose.accept()
    assert propose.result() == propose.DialogCode.Accepted and propose.proposal_id is not None


@pytest.mark.postgres
def test_the_preview_shows_the_same_rows_as_the_suppliers_own_login(
    qtbot: QtBot,
    pg_db: Database,
    sw: SharedWorld,
    login_dbs: dict[str, Database],
    contexts: Callable[[Database, Actor], AppContext],
    tmp_path: Path,
) -> None:
    acme_db, pm_db = login_dbs["acme"], login_dbs["pm"]
    real = _window(qtbot, contexts(acme_db, login_postgresql(acme_db)))
    manager = _window(qtbot, contexts(pm_db, login_postgresql(pm_db)))
    preview = manager.open_supplier_preview(sw.acme)
    qtbot.addWidget(preview)
    assert preview.preview_banner.isVisible() and "exactly what ACME sees" in preview.preview_banner.text()
    seen_real, seen_preview = _show_everything(real), _show_everything(preview)
    for key in seen_real:
        if key == "supplier":
            continue  # compared below without the title and the preview's disabled-button tooltips
        assert sorted(seen_preview[key]) == sorted(seen_real[key]), key
    workspace_real = [t for t in seen_real["supplier"] if "preview" not in t]
    workspace_preview = [t for t in seen_preview["supplier"] if "preview" not in t]
    assert sorted(workspace_preview) == sorted(workspace_real)
    assert forbidden_in([t for page in seen_preview.values() for t in page], FOREIGN) == []
    page = preview.page("supplier")
    assert isinstance(page, SupplierWorkspacePage)
    assert not page.raise_button.isEnabled() and not page.ack_button.isEnabled()
    written = page.export_to(tmp_path / "export")
    real_page = real.page("supplier")
    assert isinstance(real_page, SupplierWorkspacePage)
    same = real_page.export_to(tmp_path / "export-real")
    assert [p.read_text() for p in written] == [p.read_text() for p in same]
    exported = " ".join(p.read_text() for p in written)
    assert "ACME-P-1" in exported and BOLT_SECRET["supplier_sku"] not in exported and "BOLT" not in exported


@pytest.mark.postgres
def test_a_user_added_on_the_users_page_can_log_in_and_stops_when_disabled(
    qtbot: QtBot,
    pg_db: Database,
    sw: SharedWorld,
    login_dbs: dict[str, Database],
    contexts: Callable[[Database, Actor], AppContext],
) -> None:
    import secrets

    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from tests.logins import login_url
    from vmi_desktop.db import create_database
    from vmi_desktop.ui.pages.users import UsersPage

    pm_db = login_dbs["pm"]
    window = _window(qtbot, contexts(pm_db, login_postgresql(pm_db)))
    window.show_page("users")
    page = page_of(window, "users", UsersPage)
    assert page.password_button.isVisible()
    name, password = f"kim_{secrets.token_hex(3)}", "kim's long password"
    dialog = page.open_add()
    dialog.name.setText(name)
    dialog.fields.role.setCurrentIndex(dialog.fields.role.findData(Role.SUPPLIER))
    dialog.fields.vendor.setCurrentIndex(dialog.fields.vendor.findData("BOLT"))
    dialog.password.setText(password)
    dialog.again.setText(password + "x")
    dialog.accept()
    assert dialog.error.text() == "the two passwords differ"
    dialog.again.setText(password)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
    assert page.select_user(name)
    assert page.selected() is not None and page.selected().login_state == "can log in"  # type: ignore[union-attr]
    kim = create_database(login_url(pg_db, name), password=lambda *_a: password)
    try:
        with kim.engine.connect() as conn:
            assert conn.execute(text("SELECT DISTINCT vendor_id FROM purchase_orders")).scalars().all() == [sw.bolt]
        page.toggle_active()
        kim.dispose()
        with pytest.raises(DBAPIError), kim.engine.connect():
            pass
    finally:
        kim.dispose()
    assert next(r for r in page.rows if r.username == name).login_state == "no login"
