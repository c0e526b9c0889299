"""The Sync page: each vendor's sync state, the outbox (retry/discard) and rejected inbound events.

The page owns a ``SyncManager`` (runs on a thread pool) and a ``SyncScheduler``
(every vendor on its interval, a delta push after stock changes). Everything it
learns arrives by signal; it never waits for a supplier. Warehouse leads may
run sync but never see or edit credentials; suppliers get no Sync page.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vmi_desktop.errors import VmiError
from vmi_desktop.models.enums import OutboxStatus
from vmi_desktop.scope import Action
from vmi_desktop.secrets import CredentialStore
from vmi_desktop.ui.sync_worker import (
    JobKind,
    SyncManager,
    SyncScheduler,
    VendorSyncStatus,
    store_for_settings,
)
from vmi_desktop.ui.widgets import message_bar

if TYPE_CHECKING:
    from vmi_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

_Index = QModelIndex | QPersistentModelIndex


def fmt_when(value: datetime | None) -> str:
    """A UTC timestamp as the user's local time, short."""
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class _RowsModel(QAbstractTableModel):
    """A small read-only table over a list of rows (a few hundred at most: vendors, one outbox page)."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return None

    def cell(self, row: Any, column: int) -> Any:
        raise NotImplementedError

    def tooltip(self, row: Any, column: int) -> str | None:
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.cell(row, index.column())
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None


class VendorStatusModel(_RowsModel):
    """One row per vendor; rows update in place when a run reports."""

    headers = ("Vendor", "Connection", "State", "Last success", "Last error", "Queue", "Failed", "Rejected", "Latency")

    def cell(self, row: VendorSyncStatus, column: int) -> Any:
        return (
            f"{row.code} — {row.name}",
            row.connection_kind,
            row.state_text,
            fmt_when(row.last_success_at),
            row.last_error or "",
            row.outbox_pending,
            row.outbox_failed,
            row.rejected_events,
            f"{row.latency_ms} ms" if row.latency_ms is not None else "—",
        )[column]

    def tooltip(self, row: VendorSyncStatus, column: int) -> str | None:
        if column == 4 and row.last_error:
            return f"{row.last_error}\n(at {fmt_when(row.last_error_at)})"
        if column == 2:
            return row.progress_text or row.last_result or None
        return None

    def update_row(self, status: VendorSyncStatus) -> None:
        for i, row in enumerate(self.rows):
            if row.vendor_id == status.vendor_id:
                self.rows[i] = status
                self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))
                return
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(status)
        self.endInsertRows()

    def row_of(self, vendor_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.vendor_id == vendor_id), -1)


class OutboxModel(_RowsModel):
    """Outbox messages (``vmi_desktop.sync.outbox.MessageInfo``)."""

    headers = ("Vendor", "Kind", "Status", "Attempts", "Next attempt", "Last error", "Created")

    def cell(self, row: Any, column: int) -> Any:
        status = row.status.value if hasattr(row.status, "value") else str(row.status)
        next_at = fmt_when(row.next_attempt_at) if status == OutboxStatus.PENDING.value else "—"
        return (
            row.vendor_code,
            row.kind.replace("_", " "),
            status,
            row.attempts,
            next_at,
            row.last_error,
            fmt_when(row.created_at),
        )[column]

    def tooltip(self, row: Any, column: int) -> str | None:
        if column == 5 and (row.last_error or row.response_body):
            answer = f"\nHTTP {row.response_status}: {row.response_body[:500]}" if row.response_status else ""
            return f"{row.last_error}{answer}"
        return None


class RejectedModel(_RowsModel):
    """Rejected inbound events (``vmi_desktop.sync.inbox.RejectedEvent``) with their reason."""

    headers = ("Vendor", "Event", "Type", "Occurred", "Received", "Reason")

    def cell(self, row: Any, column: int) -> Any:
        return (
            row.vendor_code,
            row.event_id,
            row.type,
            fmt_when(row.occurred_at),
            fmt_when(row.received_at),
            row.reason,
        )[column]

    def tooltip(self, row: Any, column: int) -> str | None:
        return row.payload[:1000] if column in (1, 2) else (row.reason if column == 5 else None)


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.setAlternatingRowColors(True)
    return view


OUTBOX_FILTERS: tuple[tuple[str, tuple[OutboxStatus, ...] | None], ...] = (
    ("Pending and failed", (OutboxStatus.FAILED, OutboxStatus.PENDING)),
    ("Failed", (OutboxStatus.FAILED,)),
    ("Pending", (OutboxStatus.PENDING,)),
    ("Discarded", (OutboxStatus.DISCARDED,)),
    ("All", None),
)


class SyncPage(QWidget):
    """Vendors' sync state, Sync now / Cancel, the outbox with retry/discard, and rejected events.

    A failed sync is said here, in the page's message line, and as a desktop notice (``notice``),
    not in the window's status bar, where a long reason would be cut.
    """

    status_message = Signal(str)
    #: a desktop notice (title, body): the window shows it in the tray
    notice = Signal(str, str)

    def __init__(
        self,
        ctx: AppContext,
        *,
        manager: SyncManager | None = None,
        store: CredentialStore | None = None,
        start_scheduler: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("syncPage")
        self.store = store or store_for_settings(ctx.settings)
        self.manager = manager or SyncManager(ctx.db, store=self.store, actor=ctx.actor, parent=self)
        self.scheduler = SyncScheduler(self.manager, parent=self)
        self._closed = False

        self.vendor_model = VendorStatusModel(self)
        self.outbox_model = OutboxModel(self)
        self.rejected_model = RejectedModel(self)
        self.vendor_view = _table(self.vendor_model, "syncVendors")
        self.outbox_view = _table(self.outbox_model, "syncOutbox")
        self.rejected_view = _table(self.rejected_model, "syncRejected")

        self.sync_button = QPushButton("&Sync now")
        self.sync_all_button = QPushButton("Sync &all")
        self.cancel_button = QPushButton("&Cancel")
        self.credentials_button = QPushButton("C&redentials…")
        self.reset_cursor_button = QPushButton("Reset feed cursor…")
        self.reset_cursor_button.setObjectName("resetFeedCursor")
        self.reset_cursor_button.setToolTip(
            "Read the selected supplier's event feed again from its start (for a supplier that lost its "
            "feed and no longer knows where this app stopped). Events already applied are skipped."
        )
        self.refresh_button = QPushButton("Refresh")
        self.retry_button = QPushButton("&Retry")
        self.retry_all_button = QPushButton("Retry all &failed")
        self.retry_all_button.setObjectName("retryAllFailed")
        self.retry_all_button.setToolTip("Queue every failed message of the selected vendor again")
        self.discard_button = QPushButton("&Discard")
        self.outbox_filter = QComboBox()
        for label, _ in OUTBOX_FILTERS:
            self.outbox_filter.addItem(label)
        self.message_label = QLabel()
        self.message_label.setObjectName("syncMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_offer = message_bar("retryOffer", "info")
        self.retry_offer_button = QPushButton("Retry all failed")
        self.retry_offer_button.setObjectName("retryOfferButton")
        self.retry_offer_button.hide()
        self.retry_offer_button.clicked.connect(lambda: self.retry_all_failed(self._offer_vendor))
        self._offer_vendor: int | None = None
        self.keyring_label = QLabel()
        self.keyring_label.setObjectName("keyringWarning")
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setVisible(False)
        self.unlock_button = QPushButton("Unlock credentials…")
        self.unlock_button.setObjectName("unlockCredentials")
        self.unlock_button.setVisible(False)

        can_edit_credentials = ctx.can(Action.EDIT_CREDENTIALS)
        self.credentials_button.setVisible(can_edit_credentials)
        self.reset_cursor_button.setVisible(ctx.can(Action.RESET_SYNC_FEED))

        top = QHBoxLayout()
        for button in (
            self.sync_button,
            self.sync_all_button,
            self.cancel_button,
            self.credentials_button,
            self.reset_cursor_button,
        ):
            top.addWidget(button)
        top.addStretch(1)
        top.addWidget(self.refresh_button)

        outbox_bar = QHBoxLayout()
        outbox_bar.addWidget(QLabel("Show:"))
        outbox_bar.addWidget(self.outbox_filter)
        outbox_bar.addStretch(1)
        outbox_bar.addWidget(self.retry_button)
        outbox_bar.addWidget(self.retry_all_button)
        outbox_bar.addWidget(self.discard_button)
        outbox_tab = QWidget()
        outbox_layout = QVBoxLayout(outbox_tab)
        outbox_layout.setContentsMargins(0, 0, 0, 0)
        outbox_layout.addLayout(outbox_bar)
        outbox_layout.addWidget(self.outbox_view)

        self.tabs = QTabWidget()
        self.tabs.addTab(outbox_tab, "Outbox")
        self.tabs.addTab(self.rejected_view, "Rejected events")

        splitter = QSplitter(Qt.Orientation.Vertical)
        vendors = QWidget()
        vendors_layout = QVBoxLayout(vendors)
        vendors_layout.setContentsMargins(0, 0, 0, 0)
        vendors_layout.addLayout(top)
        vendors_layout.addWidget(self.vendor_view)
        splitter.addWidget(vendors)
        splitter.addWidget(self.tabs)

        layout = QVBoxLayout(self)
        keyring_row = QHBoxLayout()
        keyring_row.addWidget(self.keyring_label, 1)
        keyring_row.addWidget(self.unlock_button)
        layout.addLayout(keyring_row)
        offer_row = QHBoxLayout()
        offer_row.addWidget(self.retry_offer, 1)
        offer_row.addWidget(self.retry_offer_button)
        layout.addLayout(offer_row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message_label)

        self.sync_button.clicked.connect(self.sync_selected)
        self.sync_all_button.clicked.connect(self.sync_all)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.credentials_button.clicked.connect(self.edit_credentials)
        self.reset_cursor_button.clicked.connect(lambda: self.reset_cursor_selected())
        self.refresh_button.clicked.connect(self.refresh)
        self.unlock_button.clicked.connect(self._ask_master_password)
        self.retry_button.clicked.connect(self.retry_selected)
        self.retry_all_button.clicked.connect(lambda: self.retry_all_failed(self.selected_vendor_id()))
        self.discard_button.clicked.connect(self.discard_selected)
        self.outbox_filter.currentIndexChanged.connect(lambda _i: self.reload_outbox())
        self.vendor_view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.outbox_view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.manager.status_changed.connect(self._on_status_changed)
        self.manager.states_reloaded.connect(self._on_states_reloaded)
        self.manager.job_failed.connect(self._on_job_failed)
        self.manager.job_result.connect(self._on_job_result)
        self.manager.job_cancelled.connect(self._on_job_cancelled)
        self.manager.job_finished.connect(lambda _v: self.reload_lists())

        self.refresh()
        if self.vendor_model.rowCount():
            self.vendor_view.selectRow(0)
        if start_scheduler:
            self.scheduler.start()
        self._update_buttons()

    # -- data ------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read vendors, outbox and rejected events (F5 / the Refresh action)."""
        self.manager.reload_states()
        self.reload_lists()
        self._show_keyring_state()

    def reload_lists(self) -> None:
        self.reload_outbox()
        self.reload_rejected()

    def reload_outbox(self) -> None:
        from vmi_desktop.sync.outbox import list_messages

        _, statuses = OUTBOX_FILTERS[max(0, self.outbox_filter.currentIndex())]
        selected = self.selected_message()
        with self.ctx.db.sessions() as session:
            if statuses is None:
                rows = list_messages(session)
            else:
                rows = [m for status in statuses for m in list_messages(session, status=status)]
        self.outbox_model.set_rows(rows)
        if selected is not None:
            for i, row in enumerate(rows):
                if row.id == selected.id:
                    self.outbox_view.selectRow(i)
        self._update_buttons()

    def reload_rejected(self) -> None:
        from vmi_desktop.sync.inbox import list_rejected

        with self.ctx.db.sessions() as session:
            self.rejected_model.set_rows(list_rejected(session, self.ctx.actor))

    def _on_states_reloaded(self) -> None:
        for status in self.manager.statuses():
            self.vendor_model.update_row(status)
        self._update_buttons()

    def _on_status_changed(self, vendor_id: int) -> None:
        self.vendor_model.update_row(self.manager.status(vendor_id))
        self._update_buttons()

    def _show_keyring_state(self) -> None:
        """A visible warning on the encrypted-file fallback, and a way to unlock it (file reads only)."""
        self.unlock_button.setVisible(self.store.needs_master_password)
        if self.store.needs_master_password:
            self.keyring_label.setText(
                "⚠ Supplier credentials are in an encrypted file that is still locked; syncs fail until "
                "you unlock it with its master password."
            )
            self.keyring_label.setVisible(True)
        elif self.store.uses_encrypted_file:
            self.keyring_label.setText(
                "⚠ Supplier credentials are kept in an encrypted file protected by a master password, "
                "because no secure system keyring is available."
            )
            self.keyring_label.setVisible(True)
        else:
            self.keyring_label.setVisible(False)

    def _ask_master_password(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        password, ok = QInputDialog.getText(
            self,
            "Unlock credentials",
            "Master password of the encrypted credentials file:",
            QLineEdit.EchoMode.Password,
        )
        if ok and password:
            self.unlock(password)

    def unlock(self, password: str, **kdf: Any) -> None:
        """Unlock the encrypted-file fallback in the background; the page updates when done."""
        store = self.store

        def work(_report: Any) -> None:
            store.use_encrypted_file(password, **kdf)

        def done(_result: Any) -> None:
            self._show_keyring_state()
            self._say("Credentials unlocked.")

        self.ctx.runner.run(work, on_result=done, on_error=lambda exc: self._say(str(exc)))

    # -- selection -------------------------------------------------------------------------------

    def selected_vendor_id(self) -> int | None:
        rows = self.vendor_view.selectionModel().selectedRows()
        if not rows:
            return None
        return int(self.vendor_model.rows[rows[0].row()].vendor_id)

    def select_vendor(self, vendor_id: int) -> None:
        row = self.vendor_model.row_of(vendor_id)
        if row >= 0:
            self.vendor_view.selectRow(row)

    def selected_message(self) -> Any | None:
        rows = self.outbox_view.selectionModel().selectedRows()
        return self.outbox_model.rows[rows[0].row()] if rows else None

    def select_message(self, message_row_id: int) -> None:
        for i, row in enumerate(self.outbox_model.rows):
            if row.id == message_row_id:
                self.outbox_view.selectRow(i)
                return

    def _update_buttons(self) -> None:
        vendor_id = self.selected_vendor_id()
        status = self.manager.find_status(vendor_id)
        self.sync_button.setEnabled(status is not None and not status.running)
        self.cancel_button.setEnabled(status is not None and (status.running or status.jobs_queued > 0))
        self.credentials_button.setEnabled(vendor_id is not None)
        self.reset_cursor_button.setEnabled(status is not None and not status.running and status.syncable)
        msg = self.selected_message()
        state = msg.status.value if msg is not None and hasattr(msg.status, "value") else None
        self.retry_button.setEnabled(state in (OutboxStatus.FAILED.value, OutboxStatus.DISCARDED.value))
        self.retry_all_button.setEnabled(status is not None and status.outbox_failed > 0)
        self.discard_button.setEnabled(state in (OutboxStatus.FAILED.value, OutboxStatus.PENDING.value))

    # -- actions ---------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message_label.setText(text)
        self.status_message.emit(text)

    def sync_selected(self) -> None:
        vendor_id = self.selected_vendor_id()
        if vendor_id is None:
            return
        if self.manager.request_sync(vendor_id, JobKind.MANUAL):
            self._say(f"Sync of {self.manager.status(vendor_id).code} started.")

    def sync_all(self) -> None:
        queued = self.manager.sync_all(JobKind.MANUAL)
        self._say(f"Sync started for {len(queued)} vendor(s)." if queued else "No vendor is set up for sync.")

    def cancel_selected(self) -> None:
        vendor_id = self.selected_vendor_id()
        if vendor_id is not None and self.manager.cancel(vendor_id):
            self._say(f"Sync of {self.manager.status(vendor_id).code} cancelled.")

    def edit_credentials(self) -> None:
        vendor_id = self.selected_vendor_id()
        if vendor_id is None:
            return
        from vmi_desktop.ui.dialogs.credentials import open_credentials_dialog

        dialog = open_credentials_dialog(self, self.ctx, vendor_id, store=self.store)
        self._show_keyring_state()
        if dialog is not None and dialog.stored_any:
            self.offer_retry(vendor_id)

    def offer_retry(self, vendor_id: int) -> int:
        """After a secret was saved: offer to queue again what failed for the vendor (how many failed)."""
        from vmi_desktop.sync.outbox import failed_count

        with self.ctx.db.sessions() as session:
            failed = failed_count(session, vendor_id)
        self._offer_vendor = vendor_id if failed else None
        if failed:
            code = self.manager.status(vendor_id).code
            self.retry_offer.setText(
                f"{failed} message(s) to {code} failed earlier, perhaps for want of this secret. Queue them all again?"
            )
        self.retry_offer.setVisible(bool(failed))
        self.retry_offer_button.setVisible(bool(failed))
        return failed

    def retry_all_failed(self, vendor_id: int | None) -> int:
        """Queue every failed message of a vendor again; they go out on its next sync."""
        from vmi_desktop.commands import run
        from vmi_desktop.db import UnitOfWork
        from vmi_desktop.sync import outbox

        if vendor_id is None:
            return 0
        actor = self.ctx.actor

        def work(uow: UnitOfWork) -> int:
            done = outbox.retry_failed(uow.session, actor, vendor_id)
            if done:
                uow.changes.sync_vendors.add(vendor_id)
                uow.changes.alerts = True
            return done

        try:
            done = run(self.ctx.db, work)
        except VmiError as exc:
            self._say(str(exc))
            return 0
        self.retry_offer.hide()
        self.retry_offer_button.hide()
        self._say(f"{done} failed message(s) to {self.manager.status(vendor_id).code} queued again.")
        self.manager.reload_states()
        self.reload_outbox()
        return done

    def reset_cursor_selected(self, *, confirm: bool = True) -> None:
        """Forget the selected vendor's feed cursor (after asking): its next sync reads the feed from the start."""
        from PySide6.QtWidgets import QMessageBox

        from vmi_desktop import commands
        from vmi_desktop.sync.inbox import reset_cursor

        vendor_id = self.selected_vendor_id()
        if vendor_id is None:
            return
        code = self.manager.status(vendor_id).code
        if confirm:
            answer = QMessageBox.question(
                self,
                "Reset feed cursor",
                f"Read {code}'s event feed again from its start on the next sync?\n\n"
                "Do this when the supplier lost its feed (it answers that it does not know the cursor). "
                "Events already applied or rejected are recognised by their id and skipped.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            old = commands.run(self.ctx.db, lambda uow: reset_cursor(uow.session, self.ctx.actor, vendor_id))
        except VmiError as exc:
            self._say(str(exc))
            return
        was = f" (it was {old!r})" if old is not None else ""
        self._say(f"Feed cursor of {code} reset{was}; its next sync reads the feed from the start.")
        self.manager.reload_states()

    def _change_message(self, verb: str) -> None:
        from vmi_desktop.sync import outbox

        msg = self.selected_message()
        if msg is None:
            return
        fn = outbox.retry_message if verb == "retry" else outbox.discard_message
        try:
            with self.ctx.db.transaction() as session:
                fn(session, self.ctx.actor, msg.id)
        except VmiError as exc:
            self._say(str(exc))
            return
        done = "queued again" if verb == "retry" else "discarded"
        self._say(f"Message {msg.kind.replace('_', ' ')} to {msg.vendor_code} {done}.")
        self.manager.reload_states()
        self.reload_outbox()

    def retry_selected(self) -> None:
        """Put the selected failed message back in the queue (sent on the vendor's next sync)."""
        self._change_message("retry")

    def discard_selected(self) -> None:
        """Give up on the selected message; it stays in the table as discarded."""
        self._change_message("discard")

    # -- run outcomes ----------------------------------------------------------------------------

    def _on_job_failed(self, vendor_id: int, message: str) -> None:
        code = self.manager.status(vendor_id).code
        self.message_label.setText(f"Sync of {code} failed: {message}")
        self.status_message.emit(f"Sync of {code} failed (see the Sync page).")
        self.notice.emit(f"Sync of {code} failed", message)

    def _on_job_result(self, vendor_id: int, _report: object) -> None:
        status = self.manager.status(vendor_id)
        self._say(f"Sync of {status.code} done: {status.last_result}.")

    def _on_job_cancelled(self, vendor_id: int) -> None:
        self._say(f"Sync of {self.manager.status(vendor_id).code} cancelled.")

    # -- lifecycle -------------------------------------------------------------------------------

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Stop the schedule and cancel runs (window closing, app quitting)."""
        if self._closed:
            return
        self._closed = True
        self.scheduler.stop()
        self.manager.shutdown(wait_ms)


def install_sync_page(window: Any, ctx: AppContext, **kwargs: Any) -> SyncPage | None:
    """Add the Sync page to the main window when the user's role may run sync (not for suppliers)."""
    if not ctx.can(Action.RUN_SYNC):
        return None
    if "sync" in getattr(window, "page_keys", lambda: [])():
        return window.page("sync")
    page = SyncPage(ctx, **kwargs)
    window.add_page("sync", "Sync", page)
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(page.shutdown)
    return page
