"""The sync worker: per-vendor queues on a thread pool, signals to the UI, cancel, schedule, hanging suppliers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QTimer
from sqlalchemy import update

from tests.clock import ManualClock
from tests.world import World
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.errors import VmiError
from vmi_desktop.ledger import post_receipt
from vmi_desktop.models import Vendor
from vmi_desktop.scope import Actor
from vmi_desktop.secrets import CredentialStore, SecretKind
from vmi_desktop.ui.sync_worker import JobKind, SyncManager, SyncScheduler

TOKEN = "tok-very-secret-4711"  # a test value that must never leak
HOUR_MS = 3_600_000  # a timer interval that never fires during a test


@dataclass
class Report:
    """Stands in for the engine's SyncReport (a plain value, not our code)."""

    sent: int
    events_applied: int


class HangingSupplier:
    """A loopback TCP server that accepts connections and never answers (a supplier that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.accepted = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            self.accepted.set()

    def close(self) -> None:
        """Drop every held connection, which ends the client's blocked read."""
        self._stop = True
        self._thread.join(2)
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.fixture
def hanging_supplier() -> Iterator[HangingSupplier]:
    server = HangingSupplier()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def store() -> CredentialStore:
    s = CredentialStore.in_memory()
    s.set("ACME", SecretKind.TOKEN, TOKEN)
    return s


@pytest.fixture
def make_manager(qtbot: Any, sqlite_db: Database, world: World, store: CredentialStore) -> Iterator[Any]:
    managers: list[SyncManager] = []

    def make(sync_fn: Any, **kwargs: Any) -> SyncManager:
        manager = SyncManager(sqlite_db, sync_fn=sync_fn, store=store, **kwargs)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        manager.shutdown(5000)


def _make_acme_syncable(db: Database, world: World, url: str = "http://127.0.0.1:9") -> None:
    with db.transaction() as session:
        session.execute(update(Vendor).where(Vendor.id == world.vendors["ACME"]).values(base_url=url))


def test_run_emits_started_progress_result_and_status(qtbot: Any, make_manager: Any, world: World) -> None:
    seen: dict[str, Any] = {}

    def fake_sync(db: Database, vendor_id: int, credentials: Any, *, cancel: Any, progress: Any) -> Report:
        seen["token"] = credentials.token
        seen["thread"] = threading.current_thread()
        progress(0.5, "half way")
        return Report(sent=3, events_applied=2)

    manager = make_manager(fake_sync)
    acme = world.vendors["ACME"]
    progress: list[tuple[int, float, str]] = []
    manager.job_progress.connect(lambda v, f, t: progress.append((v, f, t)))
    with qtbot.waitSignal(manager.job_finished, timeout=5000), qtbot.waitSignal(manager.job_result) as result:
        assert manager.request_sync(acme)
        assert manager.status(acme).running
    assert result.args[0] == acme and result.args[1] == Report(3, 2)
    assert progress == [(acme, 0.5, "half way")]
    assert seen["token"] == TOKEN  # read from the keyring on the worker thread
    assert seen["thread"] is not threading.main_thread()
    status = manager.status(acme)
    assert not status.running
    assert status.last_success_at is not None
    assert status.latency_ms is not None and status.latency_ms >= 0
    assert status.last_result == "3 sent, 2 events applied"


def test_failure_reaches_ui_without_the_secret(qtbot: Any, make_manager: Any, world: World) -> None:
    def leaky_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> Report:
        raise VmiError(f"supplier refused Authorization: Bearer {credentials.token}")

    manager = make_manager(leaky_sync)
    acme = world.vendors["ACME"]
    with qtbot.waitSignal(manager.job_failed, timeout=5000) as failed:
        manager.request_sync(acme)
    qtbot.waitUntil(lambda: not manager.is_busy())
    assert "supplier refused" in failed.args[1]
    assert TOKEN not in failed.args[1]
    status = manager.status(acme)
    assert status.last_error == failed.args[1]
    assert status.last_result == "failed"


def test_requests_while_running_are_coalesced_per_vendor(qtbot: Any, make_manager: Any, world: World) -> None:
    release = threading.Event()
    calls: list[int] = []

    def slow_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> Report:
        calls.append(vendor_id)
        release.wait(5)
        return Report(1, 0)

    manager = make_manager(slow_sync)
    acme, bolt = world.vendors["ACME"], world.vendors["BOLT"]
    manager.request_sync(acme)
    manager.request_sync(bolt)  # another vendor runs in parallel
    for _ in range(3):
        manager.request_sync(acme)
    assert manager.status(acme).jobs_queued == 1
    assert not manager.request_sync(acme, JobKind.SCHEDULED)  # no base URL: never scheduled
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5000)
    release.set()
    qtbot.waitUntil(lambda: not manager.is_busy(), timeout=5000)
    assert sorted(calls) == sorted([acme, bolt, acme])


def test_cancel_stops_a_cooperative_run(qtbot: Any, make_manager: Any, world: World) -> None:
    started = threading.Event()
    saw_cancel = threading.Event()

    def waiting_sync(db: Database, vendor_id: int, credentials: Any, *, cancel: threading.Event, **_: Any) -> None:
        started.set()
        if cancel.wait(10):
            saw_cancel.set()
            raise VmiError("cancelled by the user")

    manager = make_manager(waiting_sync)
    acme = world.vendors["ACME"]
    results: list[Any] = []
    manager.job_result.connect(lambda *a: results.append(a))
    manager.request_sync(acme)
    assert started.wait(5)
    with qtbot.waitSignal(manager.job_cancelled, timeout=2000):
        assert manager.cancel(acme)
    assert saw_cancel.wait(2)
    qtbot.waitUntil(lambda: not manager.is_busy(), timeout=5000)
    assert results == []
    assert not manager.status(acme).running
    assert manager.status(acme).last_result == "cancelled"


def test_hanging_supplier_never_blocks_the_event_loop_and_cancel_ends_the_run(
    qtbot: Any, make_manager: Any, world: World, hanging_supplier: HangingSupplier
) -> None:
    def http_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> None:
        httpx.get(hanging_supplier.url + "/v1/health", timeout=30)  # blocks: the server never answers

    manager = make_manager(http_sync)
    acme = world.vendors["ACME"]
    manager.request_sync(acme)  # returns while the request hangs on a pool thread
    assert hanging_supplier.accepted.wait(5)
    assert manager.is_running(acme)
    ticked: list[bool] = []
    QTimer.singleShot(0, lambda: ticked.append(True))
    qtbot.waitUntil(lambda: bool(ticked), timeout=2000)  # the UI thread keeps processing events...
    assert manager.is_running(acme)  # ...while the request still hangs

    cancelled: list[int] = []
    manager.job_cancelled.connect(cancelled.append)
    assert manager.cancel(acme)
    assert cancelled == [acme]  # told within the call, though the supplier still holds the request
    assert not manager.is_running(acme)
    assert manager.status(acme).state_text in {"idle", "not synced"}

    # A new request waits for the detached run; it starts once the supplier lets go.
    manager.request_sync(acme)
    assert manager.status(acme).jobs_queued == 1
    hanging_supplier.close()
    qtbot.waitUntil(lambda: not manager.is_busy(), timeout=10000)


def test_schedule_runs_due_vendors(qtbot: Any, make_manager: Any, world: World, sqlite_db: Database) -> None:
    _make_acme_syncable(sqlite_db, world)
    runs: list[int] = []

    def fake_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> Report:
        runs.append(vendor_id)
        return Report(0, 0)

    manager = make_manager(fake_sync)
    clock = ManualClock()
    # The test ticks by hand (run_due); the timers are too slow to fire during it.
    scheduler = SyncScheduler(manager, tick_ms=HOUR_MS, poll_ms=HOUR_MS, initial_delay_s=10, clock=clock)
    started: list[tuple[int, str]] = []
    manager.job_started.connect(lambda v, k: started.append((v, k)))  # emitted when the run is queued
    acme = world.vendors["ACME"]
    interval = manager.status(acme).interval_s
    scheduler.start()
    try:
        clock.advance(9.999)
        scheduler.run_due()
        assert started == []  # not before the initial delay
        clock.advance(0.001)
        scheduler.run_due()
        # BOLT is a manual vendor, so only ACME (REST with a base URL) is scheduled.
        assert started == [(acme, "scheduled")]
        qtbot.waitUntil(lambda: not manager.is_busy(), timeout=3000)
        clock.advance(interval - 0.001)
        scheduler.run_due()
        assert len(started) == 1  # once per interval
        clock.advance(0.001)
        scheduler.run_due()
        assert started == [(acme, "scheduled")] * 2
        qtbot.waitUntil(lambda: not manager.is_busy(), timeout=3000)
    finally:
        scheduler.stop()
    assert runs == [acme, acme]


def test_stock_change_triggers_one_debounced_delta_push(
    qtbot: Any, make_manager: Any, world: World, sqlite_db: Database, manager: Actor
) -> None:
    _make_acme_syncable(sqlite_db, world)
    kinds: list[str] = []

    def fake_sync(db: Database, vendor_id: int, credentials: Any, **_: Any) -> Report:
        return Report(1, 0)

    sync = make_manager(fake_sync)
    sync.job_started.connect(lambda v, k: kinds.append(k))
    # A clock that never moves: no scheduled run can come in between.
    scheduler = SyncScheduler(sync, tick_ms=50, debounce_ms=150, poll_ms=HOUR_MS, clock=ManualClock())
    scheduler.start()
    try:
        with sqlite_db.unit_of_work() as uow:
            stock.receive(uow, manager, "P-1", "WH-1", 5)
            assert not scheduler.delta_pending  # not before the commit
        assert scheduler.delta_pending
        stock.consume(sqlite_db, manager, "P-1", "WH-1", 1)
        stock.consume(sqlite_db, manager, "P-1", "WH-1", 1)
        qtbot.waitUntil(lambda: bool(kinds), timeout=3000)
        assert not scheduler.delta_pending  # nothing left to push: the burst gave one
        qtbot.waitUntil(lambda: not sync.is_busy(), timeout=3000)
    finally:
        scheduler.stop()
    assert kinds == ["delta"]  # three postings, one push


def test_stock_change_in_another_process_is_noticed_by_polling(
    qtbot: Any, make_manager: Any, world: World, sqlite_db: Database, manager: Actor
) -> None:
    _make_acme_syncable(sqlite_db, world)
    kinds: list[str] = []
    sync = make_manager(lambda *a, **k: Report(0, 0))
    sync.job_started.connect(lambda v, k: kinds.append(k))
    # Not listening to this process's ledger: as if the posting came from another desk or the CLI.
    scheduler = SyncScheduler(
        sync, tick_ms=50, debounce_ms=50, poll_ms=100, listen_to_ledger=False, clock=ManualClock()
    )
    scheduler.start()
    try:
        with sqlite_db.transaction() as session:
            post_receipt(session, manager, "P-1", "WH-1", 5)
        qtbot.waitUntil(lambda: kinds == ["delta"], timeout=3000)
    finally:
        scheduler.stop()


def test_real_engine_against_hanging_supplier_cancels_at_once(
    qtbot: Any, make_manager: Any, world: World, sqlite_db: Database, hanging_supplier: HangingSupplier
) -> None:
    _make_acme_syncable(sqlite_db, world, hanging_supplier.url)
    manager = make_manager(None)  # None: the real vmi_desktop.sync.engine.sync_vendor
    acme = world.vendors["ACME"]
    manager.request_sync(acme)
    assert hanging_supplier.accepted.wait(10)
    assert manager.is_running(acme)
    cancelled: list[int] = []
    manager.job_cancelled.connect(cancelled.append)
    assert manager.cancel(acme)
    assert cancelled == [acme]  # at once, while the engine's request still hangs
    hanging_supplier.close()  # the engine's request ends; the detached run unwinds quietly
    qtbot.waitUntil(lambda: not manager.is_busy(), timeout=15000)
    assert manager.status(acme).last_result == "cancelled"


def test_vendor_connected_later_joins_the_schedule(
    qtbot: Any, make_manager: Any, world: World, sqlite_db: Database
) -> None:
    runs: list[int] = []
    sync = make_manager(lambda db, vendor_id, *a, **k: runs.append(vendor_id))
    started: list[int] = []
    sync.job_started.connect(lambda v, k: started.append(v))
    scheduler = SyncScheduler(sync, tick_ms=20, debounce_ms=50, poll_ms=50, initial_delay_s=0.0, clock=ManualClock())
    scheduler.start()
    try:
        scheduler.run_due()
        assert started == []  # nobody is set up for sync yet
        _make_acme_syncable(sqlite_db, world)  # e.g. saved on the Vendors page
        # The poll picks the vendor up, the next tick finds it due.
        qtbot.waitUntil(lambda: started == [world.vendors["ACME"]], timeout=3000)
        qtbot.waitUntil(lambda: not sync.is_busy(), timeout=3000)
    finally:
        scheduler.stop()
    assert runs == [world.vendors["ACME"]]
