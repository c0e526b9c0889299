"""The Sync page: vendor states, Sync now against the reference supplier, outbox retry/discard, rejected events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select, update

from tests.world import World
from vmi_desktop.db import Database
from vmi_desktop.models import AuditEntry, AuthKind, InboxEvent, OutboxMessage, Vendor, utcnow
from vmi_desktop.models.enums import InboxStatus, OutboxStatus
from vmi_desktop.scope import Actor
from vmi_desktop.secrets import CredentialStore, SecretKind, VendorKey
from vmi_desktop.supplier_server import SupplierServer
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import MainWindow
from vmi_desktop.ui.pages.sync import SyncPage, install_sync_page
from vmi_desktop.ui.sync_worker import SyncManager

TOKEN = "tok-page-secret-9931"


@pytest.fixture
def store(world: World) -> CredentialStore:
    s = CredentialStore.in_memory()
    s.set(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN, TOKEN)
    return s


@pytest.fixture
def make_page(qtbot: Any, store: CredentialStore) -> Iterator[Callable[..., SyncPage]]:
    pages: list[SyncPage] = []

    def make(ctx: AppContext, **kwargs: Any) -> SyncPage:
        kwargs.setdefault("store", store)
        kwargs.setdefault("start_scheduler", False)
        page = SyncPage(ctx, **kwargs)
        qtbot.addWidget(page)
        page.show()
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.shutdown(5000)


def _cell(view: Any, row: int, column: int) -> str:
    return str(view.model().index(row, column).data(Qt.ItemDataRole.DisplayRole))


def _add_outbox(db: Database, vendor_id: int, status: OutboxStatus, *, error: str = "", attempts: int = 0) -> int:
    with db.transaction() as session:
        msg = OutboxMessage(
            vendor_id=vendor_id,
            message_id=f"00000000-0000-4000-8000-{abs(hash((vendor_id, status, error))) % 10**12:012d}",
            kind="stock_report",
            path="/v1/stock-reports",
            payload=json.dumps({"message_id": "x", "customer_id": "C-42", "mode": "full", "lines": []}),
            status=status,
            attempts=attempts,
            last_error=error,
            response_status=422 if status is OutboxStatus.FAILED else None,
        )
        session.add(msg)
        session.flush()
        return msg.id


def _outbox_status(db: Database, row_id: int) -> OutboxStatus:
    with db.sessions() as session:
        msg = session.get(OutboxMessage, row_id)
        assert msg is not None
        return msg.status


def test_page_lists_every_vendor_with_connection_and_state(make_page: Any, ctx: AppContext) -> None:
    page = make_page(ctx)
    view = page.vendor_view
    assert view.model().rowCount() == 2
    assert _cell(view, 0, 0).startswith("ACME")
    assert _cell(view, 0, 1) == "rest"
    assert _cell(view, 0, 2) == "not synced"  # REST but no supplier URL yet
    assert _cell(view, 1, 1) == "manual"
    assert page.credentials_button.isVisibleTo(page)


def test_failed_messages_show_and_retry_and_discard_update_them(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    acme = world.vendors["ACME"]
    failed = _add_outbox(sqlite_db, acme, OutboxStatus.FAILED, error="HTTP 422: unknown location", attempts=3)
    other = _add_outbox(sqlite_db, acme, OutboxStatus.FAILED, error="HTTP 400: bad body", attempts=1)
    _add_outbox(sqlite_db, acme, OutboxStatus.SENT)
    page = make_page(ctx)
    view = page.outbox_view
    assert view.model().rowCount() == 2  # pending and failed only, not the sent one
    texts = {(_cell(view, r, 2), _cell(view, r, 3), _cell(view, r, 5)) for r in range(2)}
    assert ("failed", "3", "HTTP 422: unknown location") in texts
    assert _cell(page.vendor_view, 0, 6) == "2"  # the vendor row counts failed messages

    page.select_message(failed)
    assert page.retry_button.isEnabled()
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    assert _outbox_status(sqlite_db, failed) is OutboxStatus.PENDING
    rows = {r.id: r for r in page.outbox_model.rows}
    assert rows[failed].status is OutboxStatus.PENDING and rows[failed].attempts == 0
    assert _cell(page.vendor_view, 0, 5) == "1" and _cell(page.vendor_view, 0, 6) == "1"

    page.select_message(other)
    qtbot.mouseClick(page.discard_button, Qt.MouseButton.LeftButton)
    assert _outbox_status(sqlite_db, other) is OutboxStatus.DISCARDED
    assert other not in {r.id for r in page.outbox_model.rows}
    page.outbox_filter.setCurrentText("Discarded")
    assert [r.id for r in page.outbox_model.rows] == [other]

    with sqlite_db.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "outbox_message")).all()
    assert sorted(actions) == ["sync.discard", "sync.retry"]


def test_rejected_events_show_with_their_reason(
    make_page: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    with sqlite_db.transaction() as session:
        session.add(
            InboxEvent(
                vendor_id=world.vendors["ACME"],
                event_id="EV-9",
                type="order.created",
                occurred_at=utcnow(),
                payload="{}",
                status=InboxStatus.REJECTED,
                reason="SKU P-3 is not assigned to vendor ACME",
            )
        )
    page = make_page(ctx)
    view = page.rejected_view
    assert view.model().rowCount() == 1
    assert _cell(view, 0, 1) == "EV-9"
    assert _cell(view, 0, 5) == "SKU P-3 is not assigned to vendor ACME"
    assert _cell(page.vendor_view, 0, 7) == "1"


def test_sync_now_runs_in_the_background_and_updates_the_row(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database, store: CredentialStore
) -> None:
    calls: list[int] = []

    class Report:
        sent, failed, events_applied, events_rejected, error, latency_ms = 2, 0, 1, 0, None, 12

    def fake_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> Report:
        calls.append(vendor_id)
        return Report()

    manager = SyncManager(sqlite_db, sync_fn=fake_sync, store=store)
    page = make_page(ctx, manager=manager)
    page.select_vendor(world.vendors["ACME"])
    with qtbot.waitSignal(manager.job_finished, timeout=5000):
        qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
    assert calls == [world.vendors["ACME"]]
    row = page.vendor_model.row_of(world.vendors["ACME"])
    assert _cell(page.vendor_view, row, 8) == "12 ms"
    assert _cell(page.vendor_view, row, 3) != "—"
    assert "done" in page.message_label.text()


def test_sync_now_against_reference_supplier_end_to_end(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database, store: CredentialStore
) -> None:
    server = SupplierServer(token=TOKEN, vendor_name="Acme Parts").start()
    try:
        with sqlite_db.transaction() as session:
            session.execute(
                update(Vendor)
                .where(Vendor.id == world.vendors["ACME"])
                .values(base_url=server.url, auth_kind=AuthKind.BEARER)
            )
        page = make_page(ctx)  # the real engine, credentials from the (in-memory) keyring
        page.select_vendor(world.vendors["ACME"])
        assert _cell(page.vendor_view, 0, 2) == "idle"
        with qtbot.waitSignal(page.manager.job_finished, timeout=20000):
            qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        status = page.manager.status(world.vendors["ACME"])
        assert status.last_error == "", status.last_error
        assert status.last_success_at is not None
        assert server.state.stats()["applied"].get("stock-reports", 0) >= 1  # the full stock report arrived
        assert _cell(page.vendor_view, 0, 5) == "0"  # nothing left in the queue
        assert _cell(page.vendor_view, 0, 8).endswith("ms")
    finally:
        server.stop()


def test_sync_against_supplier_refusing_the_token_shows_the_error(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database, store: CredentialStore
) -> None:
    server = SupplierServer(token="another-token").start()
    try:
        with sqlite_db.transaction() as session:
            session.execute(
                update(Vendor)
                .where(Vendor.id == world.vendors["ACME"])
                .values(base_url=server.url, auth_kind=AuthKind.BEARER)
            )
        page = make_page(ctx)
        page.select_vendor(world.vendors["ACME"])
        with qtbot.waitSignal(page.manager.job_failed, timeout=20000) as failed:
            qtbot.mouseClick(page.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.manager.is_busy(), timeout=10000)
        assert "401" in failed.args[1]
        assert TOKEN not in failed.args[1]
        assert "401" in _cell(page.vendor_view, 0, 4)
        assert "failed" in page.message_label.text()
    finally:
        server.stop()


def test_warehouse_lead_may_sync_but_not_touch_credentials(
    make_page: Any, make_ctx: Callable[[Actor], AppContext], world: World, lead: Actor
) -> None:
    page = make_page(make_ctx(lead))
    assert page.sync_button.isVisibleTo(page)
    assert not page.credentials_button.isVisibleTo(page)


def test_install_adds_the_page_for_managers_and_not_for_suppliers(
    make_window: Callable[[AppContext], MainWindow],
    make_ctx: Callable[[Actor], AppContext],
    manager: Actor,
    supplier_actor: Actor,
    store: CredentialStore,
) -> None:
    window = make_window(make_ctx(manager))
    page = install_sync_page(window, window.ctx, store=store, start_scheduler=False)
    assert page is not None and "sync" in window.page_keys()
    window.show_page("sync")
    assert window.current_page() is page
    assert install_sync_page(window, window.ctx) is page  # idempotent
    page.shutdown()

    supplier_window = make_window(make_ctx(supplier_actor))
    assert install_sync_page(supplier_window, supplier_window.ctx) is None
    assert "sync" not in supplier_window.page_keys()


def test_item_models_pass_qtmodeltester(
    qtmodeltester: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    _add_outbox(sqlite_db, world.vendors["ACME"], OutboxStatus.FAILED, error="HTTP 422")
    with sqlite_db.transaction() as session:
        session.add(
            InboxEvent(
                vendor_id=world.vendors["BOLT"],
                event_id="EV-1",
                type="x",
                payload="{}",
                status=InboxStatus.REJECTED,
                reason="malformed body",
            )
        )
    page = make_page(ctx)
    for model in (page.vendor_model, page.outbox_model, page.rejected_model):
        assert model.rowCount() >= 1
        qtmodeltester.check(model)


def test_locked_encrypted_file_is_shown_and_can_be_unlocked_from_the_page(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/vmi-test-bus")
    first = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    first.use_encrypted_file("master pw", kdf_time_cost=1, kdf_memory_cost=1024)
    first.set(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN, TOKEN)

    store = CredentialStore(config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")  # the next start
    page = make_page(ctx, store=store)
    assert page.unlock_button.isVisibleTo(page)
    assert "still locked" in page.keyring_label.text()
    page.unlock("master pw", kdf_time_cost=1, kdf_memory_cost=1024)
    qtbot.waitUntil(lambda: not page.unlock_button.isVisibleTo(page), timeout=10000)
    assert "encrypted file protected by a master password" in page.keyring_label.text()
    assert store.get(VendorKey(world.vendors["ACME"], "ACME"), SecretKind.TOKEN) == TOKEN


def test_the_manager_resets_a_vendors_feed_cursor_from_the_page_and_a_lead_cannot(
    qtbot: Any, make_page: Any, make_ctx: Any, ctx: AppContext, world: World, sqlite_db: Database, lead: Actor
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from vmi_desktop.models import SyncState

    acme = world.vendors["ACME"]
    with sqlite_db.transaction() as session:
        session.get_one(Vendor, acme).base_url = "http://127.0.0.1:9"
        session.add(SyncState(vendor_id=acme, cursor="812", last_error=""))
    page = make_page(ctx)
    page.select_vendor(acme)
    assert page.reset_cursor_button.isVisible() and page.reset_cursor_button.isEnabled()

    def confirm() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox), box
        assert "ACME" in box.text()
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(0, confirm)
    qtbot.mouseClick(page.reset_cursor_button, Qt.MouseButton.LeftButton)
    with sqlite_db.sessions() as session:
        assert session.get_one(SyncState, acme).cursor is None
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sync.reset_cursor")).one()
        assert entry.entity_id == "ACME" and '"old_cursor": "812"' in entry.detail
    assert "reset" in page.message_label.text()

    lead_page = make_page(make_ctx(lead))
    assert not lead_page.reset_cursor_button.isVisible()


def test_after_a_token_is_saved_all_failed_messages_of_the_vendor_are_retried_at_once(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World, sqlite_db: Database
) -> None:
    acme, bolt = world.vendors["ACME"], world.vendors["BOLT"]
    failed = [_add_outbox(sqlite_db, acme, OutboxStatus.FAILED, error=f"HTTP 401: no token {i}") for i in range(3)]
    elsewhere = _add_outbox(sqlite_db, bolt, OutboxStatus.FAILED, error="HTTP 422")
    page = make_page(ctx)
    page.select_vendor(acme)
    assert page.retry_all_button.isEnabled()
    assert page.offer_retry(acme) == 3  # what the page does once the credentials dialog stored a secret
    assert page.retry_offer.isVisibleTo(page)
    assert "3 message(s) to ACME failed earlier" in page.retry_offer.text()
    qtbot.mouseClick(page.retry_offer_button, Qt.MouseButton.LeftButton)
    assert [_outbox_status(sqlite_db, m) for m in failed] == [OutboxStatus.PENDING] * 3
    assert _outbox_status(sqlite_db, elsewhere) is OutboxStatus.FAILED  # another vendor's stay
    assert not page.retry_offer.isVisibleTo(page)
    assert page.message_label.text() == "3 failed message(s) to ACME queued again."
    assert not page.retry_all_button.isEnabled()
    with sqlite_db.sessions() as session:
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "sync.retry_all")).all()


def test_a_failed_sync_is_said_on_the_sync_page_and_as_a_notice(
    qtbot: Any, make_page: Any, ctx: AppContext, world: World
) -> None:
    page = make_page(ctx)
    notices: list[tuple[str, str]] = []
    page.notice.connect(lambda title, body: notices.append((title, body)))
    statuses: list[str] = []
    page.status_message.connect(statuses.append)
    reason = "the supplier answered HTTP 503 Service Unavailable three times; the next try is in 5 minutes"
    page._on_job_failed(world.vendors["ACME"], reason)
    assert page.message_label.text() == f"Sync of ACME failed: {reason}"
    assert notices == [("Sync of ACME failed", reason)]
    assert statuses == ["Sync of ACME failed (see the Sync page)."]  # short: it fits the status bar
