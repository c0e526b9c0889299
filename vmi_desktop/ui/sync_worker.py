"""Supplier sync off the UI thread: one job queue per vendor, a schedule, a delta push after stock changes.

Habits borrowed from vorta's jobs manager: a sync run is a ``SyncJob`` QObject
emitting ``updated`` / ``result`` (plus ``failed`` / ``cancelled``), each
vendor has its own queue (one run at a time per vendor, several vendors in
parallel), and the jobs run on a ``QThreadPool``. The job calls the headless
engine ``vmi_desktop.sync.engine.sync_vendor(db, vendor_id, credentials, *,
cancel, progress)`` with a ``threading.Event`` for cancel; it opens its own
sessions (the engine does), reads the vendor's secrets from the keyring on the
worker thread (an unlock prompt never freezes the window), and reports back
only through signals, so the UI thread never waits on a supplier.

A cancelled run is *detached* at once: the UI sees "cancelled" immediately even
when the supplier hangs in the middle of a request, while the thread finishes
on its own (the engine checks ``cancel`` between requests and every request
has a time-out). A new run for that vendor waits until the detached one ended,
so two runs never overlap for one vendor.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from vmi_desktop.config import Settings
from vmi_desktop.db import Changes, Database
from vmi_desktop.errors import VmiError
from vmi_desktop.models import utcnow
from vmi_desktop.scope import SYSTEM, Actor
from vmi_desktop.secrets import CredentialStore, VendorKey
from vmi_desktop.sync.status import VendorSyncStatus, load_vendor_states, newest_movement_id
from vmi_desktop.ui.commits import CommitRelay

log = logging.getLogger(__name__)

#: ``sync_fn(db, vendor_id, credentials, *, cancel, progress) -> report``
SyncFn = Callable[..., Any]
#: ``credentials_fn(vendor) -> VendorCredentials`` with ``vendor`` a ``secrets.VendorKey`` (on the worker thread)
CredentialsFn = Callable[[VendorKey], Any]


class JobKind(enum.StrEnum):
    """Why a run started (shown in the UI; the engine decides full vs delta itself)."""

    SCHEDULED = "scheduled"
    DELTA = "delta"
    MANUAL = "manual"


def real_sync_fn(db: Database, vendor_id: int, credentials: Any, **kwargs: Any) -> Any:
    """The headless engine, imported on first use (it may land after this module)."""
    from vmi_desktop.sync.engine import sync_vendor

    return sync_vendor(db, vendor_id, credentials, **kwargs)


_stores: dict[tuple[Path, Path], CredentialStore] = {}
_stores_lock = threading.Lock()


def store_for_settings(settings: Settings) -> CredentialStore:
    """One CredentialStore per (config, data) folder pair, shared by the worker and the dialogs."""
    key = (Path(settings.config_dir), Path(settings.data_dir))
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = CredentialStore(config_dir=key[0], data_dir=key[1])
        return store


def _scrub(text: str, credentials: Any) -> str:
    try:
        from vmi_desktop.sync.auth import scrub
    except ImportError:  # pragma: no cover - the sync package ships with the app
        return text
    secrets = credentials.secrets() if credentials is not None and hasattr(credentials, "secrets") else []
    return scrub(text, secrets)


def describe_report(report: Any) -> str:
    """A one-line summary of an engine report for the status column."""
    if report is None:
        return "done"
    summary = getattr(report, "summary", None)
    if callable(summary):
        return str(summary())
    if isinstance(summary, str):
        return summary
    parts = []
    for attr, label in (
        ("sent", "sent"),
        ("failed", "failed"),
        ("events_applied", "events applied"),
        ("events_rejected", "rejected"),
    ):
        value = getattr(report, attr, None)
        if isinstance(value, int):
            parts.append(f"{value} {label}")
    return ", ".join(parts) if parts else str(report)[:200]


# ------------------------------------------------------------------------------------------ status


class SyncJob(QObject):
    """One sync run of one vendor; emits from the worker thread, delivered queued on the UI thread."""

    started = Signal(int, str)  # vendor_id, kind
    updated = Signal(int, float, str)  # vendor_id, fraction, text
    result = Signal(int, object, int)  # vendor_id, report, latency ms
    failed = Signal(int, str, int)  # vendor_id, message (no secrets), latency ms
    cancelled = Signal(int)
    finished = Signal(int)

    def __init__(
        self,
        db: Database,
        vendor_id: int,
        vendor_code: str,
        kind: JobKind,
        sync_fn: SyncFn,
        credentials_fn: CredentialsFn,
    ) -> None:
        super().__init__()
        self.db = db
        self.vendor_id = vendor_id
        self.vendor_code = vendor_code
        self.kind = kind
        self._sync_fn = sync_fn
        self._credentials_fn = credentials_fn
        self.cancel_event = threading.Event()
        self.done = threading.Event()

    def cancel(self) -> None:
        """Ask the run to stop; the engine checks the event between requests."""
        self.cancel_event.set()

    @property
    def is_cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def _progress(self, fraction: float = 0.0, text: str = "", *_: Any) -> None:
        if not self.cancel_event.is_set():
            self.updated.emit(self.vendor_id, float(fraction), str(text))

    def run(self) -> None:
        """The body, on a pool thread. Never raises: every outcome is a signal."""
        self.started.emit(self.vendor_id, self.kind.value)
        t0 = time.monotonic()
        credentials = None
        try:
            credentials = self._credentials_fn(VendorKey(self.vendor_id, self.vendor_code))
            report = self._sync_fn(
                self.db, self.vendor_id, credentials, cancel=self.cancel_event, progress=self._progress
            )
        except Exception as exc:
            latency = int((time.monotonic() - t0) * 1000)
            if self.cancel_event.is_set():
                self.cancelled.emit(self.vendor_id)
            else:
                text = str(exc) if isinstance(exc, VmiError) else f"{type(exc).__name__}: {exc}"
                message = _scrub(text, credentials) or type(exc).__name__
                log.warning("sync of vendor %s failed: %s", self.vendor_code, message)
                self.failed.emit(self.vendor_id, message, latency)
        else:
            reported = getattr(report, "latency_ms", None)
            latency = reported if isinstance(reported, int) else int((time.monotonic() - t0) * 1000)
            error = getattr(report, "error", None)
            if self.cancel_event.is_set():
                self.cancelled.emit(self.vendor_id)
            elif error:  # the engine reports a failed run in the report rather than raising
                self.failed.emit(self.vendor_id, _scrub(str(error), credentials), latency)
            else:
                self.result.emit(self.vendor_id, report, latency)
        finally:
            self.done.set()
            self.finished.emit(self.vendor_id)


class _JobRunnable(QRunnable):
    def __init__(self, job: SyncJob) -> None:
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        self.job.run()


@dataclass
class _VendorQueue:
    pending: collections.deque[JobKind] = field(default_factory=collections.deque)
    running: SyncJob | None = None
    detached: list[SyncJob] = field(default_factory=list)


class SyncManager(QObject):
    """Per-vendor queues of sync runs on a thread pool; the UI listens to its signals.

    ``sync_fn`` defaults to the real engine and ``credentials_fn`` to the
    keyring, so tests can hand in a function of their own (a loopback server
    behind it) without any mock of our code.
    """

    status_changed = Signal(int)  # vendor_id; read ``status(vendor_id)``
    job_started = Signal(int, str)
    job_progress = Signal(int, float, str)
    job_result = Signal(int, object)
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)
    job_finished = Signal(int)
    states_reloaded = Signal()

    def __init__(
        self,
        db: Database,
        *,
        sync_fn: SyncFn | None = None,
        credentials_fn: CredentialsFn | None = None,
        store: CredentialStore | None = None,
        max_threads: int = 4,
        actor: Actor = SYSTEM,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        #: whose view of the vendors the sync page shows (staff: every vendor)
        self.actor = actor
        self._sync_fn: SyncFn = sync_fn or real_sync_fn
        if credentials_fn is None:
            cred_store = store or CredentialStore()
            credentials_fn = self._store_credentials_fn(cred_store)
        self._credentials_fn: CredentialsFn = credentials_fn
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max(1, max_threads))
        self._queues: dict[int, _VendorQueue] = {}
        self._status: dict[int, VendorSyncStatus] = {}
        self._closed = False
        self.reload_states()

    @staticmethod
    def _store_credentials_fn(store: CredentialStore) -> CredentialsFn:
        def credentials(vendor: VendorKey) -> Any:
            return store.credentials_for(vendor)

        return credentials

    # -- status ----------------------------------------------------------------------------------

    def reload_states(self) -> None:
        """Re-read persisted health and counts from the database, keeping in-memory run state."""
        fresh = load_vendor_states(self.db, self.actor)
        for vendor_id, status in fresh.items():
            old = self._status.get(vendor_id)
            if old is not None:
                status.running, status.job_kind = old.running, old.job_kind
                status.progress, status.progress_text = old.progress, old.progress_text
                status.last_result = old.last_result
                if old.latency_ms is not None and status.latency_ms is None:
                    status.latency_ms = old.latency_ms
                if old.last_success_at and (not status.last_success_at or old.last_success_at > status.last_success_at):
                    status.last_success_at = old.last_success_at
                if old.last_error_at and (not status.last_error_at or old.last_error_at > status.last_error_at):
                    status.last_error, status.last_error_at = old.last_error, old.last_error_at
            queue = self._queues.get(vendor_id)
            status.jobs_queued = len(queue.pending) if queue else 0
        self._status = fresh
        self.states_reloaded.emit()

    def status(self, vendor_id: int) -> VendorSyncStatus:
        """A copy of the vendor's current status."""
        return replace(self._status[vendor_id])

    def find_status(self, vendor_id: int | None) -> VendorSyncStatus | None:
        """A copy of the vendor's status, or None for an unknown vendor."""
        status = self._status.get(vendor_id) if vendor_id is not None else None
        return replace(status) if status is not None else None

    def statuses(self) -> list[VendorSyncStatus]:
        """Copies of every vendor's status, by code."""
        return [replace(s) for s in sorted(self._status.values(), key=lambda s: s.code)]

    def vendor_ids(self) -> list[int]:
        return [s.vendor_id for s in self.statuses()]

    def is_running(self, vendor_id: int) -> bool:
        queue = self._queues.get(vendor_id)
        return bool(queue and queue.running is not None)

    def is_busy(self) -> bool:
        """Whether any run is queued, running or detached (tests wait on this)."""
        return any(
            q.pending or q.running or any(not j.done.is_set() for j in q.detached) for q in self._queues.values()
        )

    def _emit_status(self, vendor_id: int) -> None:
        self.status_changed.emit(vendor_id)

    # -- queueing --------------------------------------------------------------------------------

    def request_sync(self, vendor_id: int, kind: JobKind | str = JobKind.MANUAL) -> bool:
        """Queue a run for a vendor; a run already waiting is not queued twice. False if not syncable."""
        if self._closed:
            return False
        kind = JobKind(kind)
        status = self._status.get(vendor_id)
        if status is None:
            self.reload_states()
            status = self._status.get(vendor_id)
            if status is None:
                return False
        if kind is not JobKind.MANUAL and not status.syncable:
            return False
        queue = self._queues.setdefault(vendor_id, _VendorQueue())
        if queue.pending:
            if kind is JobKind.MANUAL and queue.pending[0] is not JobKind.MANUAL:
                queue.pending[0] = JobKind.MANUAL  # an explicit request wins the label
        else:
            queue.pending.append(kind)
        status.jobs_queued = len(queue.pending)
        self._emit_status(vendor_id)
        self._start_next(vendor_id)
        return True

    def sync_all(self, kind: JobKind | str = JobKind.MANUAL) -> list[int]:
        """Queue a run for every syncable vendor; returns their ids."""
        queued = []
        for status in self.statuses():
            if status.syncable and self.request_sync(status.vendor_id, kind):
                queued.append(status.vendor_id)
        return queued

    def _start_next(self, vendor_id: int) -> None:
        queue = self._queues.get(vendor_id)
        if queue is None or queue.running is not None or not queue.pending or self._closed:
            return
        queue.detached = [j for j in queue.detached if not j.done.is_set()]
        if queue.detached:
            return  # a cancelled run is still unwinding; _on_finished starts us later
        kind = queue.pending.popleft()
        status = self._status[vendor_id]
        job = SyncJob(self.db, vendor_id, status.code, kind, self._sync_fn, self._credentials_fn)
        job.updated.connect(self._on_progress)
        job.result.connect(self._on_result)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_job_cancelled)
        job.finished.connect(self._on_finished)
        queue.running = job
        status.running = True
        status.job_kind = kind.value
        status.progress, status.progress_text = 0.0, "starting"
        status.jobs_queued = len(queue.pending)
        self._emit_status(vendor_id)
        self.job_started.emit(vendor_id, kind.value)
        self.pool.start(_JobRunnable(job))

    # -- cancel ----------------------------------------------------------------------------------

    def cancel(self, vendor_id: int) -> bool:
        """Cancel the vendor's running and queued runs; the UI is told at once. False if nothing ran."""
        queue = self._queues.get(vendor_id)
        if queue is None:
            return False
        had_pending = bool(queue.pending)
        queue.pending.clear()
        job = queue.running
        status = self._status.get(vendor_id)
        if job is None:
            if status is not None:
                status.jobs_queued = 0
                self._emit_status(vendor_id)
            return had_pending
        job.cancel()
        queue.running = None
        if not job.done.is_set():
            queue.detached.append(job)
        if status is not None:
            status.running = False
            status.jobs_queued = 0
            status.progress, status.progress_text = 0.0, ""
            status.last_result = "cancelled"
            self._emit_status(vendor_id)
        self.job_cancelled.emit(vendor_id)
        return True

    def cancel_all(self) -> None:
        for vendor_id in list(self._queues):
            self.cancel(vendor_id)

    def _is_current(self, job: SyncJob | None) -> bool:
        if job is None:
            return False
        queue = self._queues.get(job.vendor_id)
        return queue is not None and queue.running is job

    # -- job signals (UI thread) -----------------------------------------------------------------

    def _on_progress(self, vendor_id: int, fraction: float, text: str) -> None:
        if not self._is_current(self.sender_job()):
            return
        status = self._status[vendor_id]
        status.progress, status.progress_text = fraction, text
        self.job_progress.emit(vendor_id, fraction, text)
        self._emit_status(vendor_id)

    def _on_result(self, vendor_id: int, report: Any, latency_ms: int) -> None:
        if not self._is_current(self.sender_job()):
            return
        status = self._status[vendor_id]
        status.latency_ms = latency_ms
        status.last_result = describe_report(report)
        status.last_success_at = utcnow()
        self.job_result.emit(vendor_id, report)

    def _on_failed(self, vendor_id: int, message: str, latency_ms: int) -> None:
        if not self._is_current(self.sender_job()):
            return
        status = self._status[vendor_id]
        status.latency_ms = latency_ms
        status.last_error = message
        status.last_error_at = utcnow()
        status.last_result = "failed"
        self.job_failed.emit(vendor_id, message)

    def _on_job_cancelled(self, vendor_id: int) -> None:
        job = self.sender_job()
        if self._is_current(job):  # the engine noticed cancel before we detached it
            self.job_cancelled.emit(vendor_id)

    def _on_finished(self, vendor_id: int) -> None:
        job = self.sender_job()
        queue = self._queues.get(vendor_id)
        if queue is None:
            return
        was_current = queue.running is job
        if was_current:
            queue.running = None
        queue.detached = [j for j in queue.detached if j is not job and not j.done.is_set()]
        if was_current:
            status = self._status[vendor_id]
            status.running = False
            status.progress, status.progress_text = 0.0, ""
            self._refresh_one(vendor_id)
            self.job_finished.emit(vendor_id)
        if job is not None:
            job.deleteLater()
        self._start_next(vendor_id)

    def sender_job(self) -> SyncJob | None:
        sender = self.sender()
        return sender if isinstance(sender, SyncJob) else None

    def _refresh_one(self, vendor_id: int) -> None:
        """Pick up what the engine persisted (last success/error, latency, queue counts)."""
        try:
            self.reload_states()
        except Exception:  # the database being briefly unavailable must not break the UI
            log.exception("could not reload sync states")
        self._emit_status(vendor_id)

    # -- shutdown --------------------------------------------------------------------------------

    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Cancel everything and wait a little for threads; True when all ended in time."""
        self._closed = True
        self.cancel_all()
        return bool(self.pool.waitForDone(wait_ms))


# ------------------------------------------------------------------------------------------ schedule


class SyncScheduler(QObject):
    """Starts runs: every vendor on its own interval, a debounced delta push after stock changes.

    Stock changes are noticed two ways: the database's commit observer (postings in
    this process, after they committed) and polling the newest stock movement id
    (postings by another process, e.g. the CLI or a second desk). Due times are in ``clock`` seconds
    (monotonic; tests hand in a clock they move and call ``run_due``).
    """

    delta_scheduled = Signal()

    def __init__(
        self,
        manager: SyncManager,
        *,
        tick_ms: int = 1000,
        debounce_ms: int = 5000,
        poll_ms: int = 15000,
        initial_delay_s: float = 10.0,
        listen_to_ledger: bool = True,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or manager)
        self.listen_to_ledger = listen_to_ledger
        self._clock = clock
        self.manager = manager
        self.initial_delay_s = initial_delay_s
        self._due: dict[int, float] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self.run_due)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._push_delta)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._poll_movements)
        self._last_movement_id: int | None = None
        self._hub_connected = False
        self._commits = CommitRelay(self)

    @property
    def running(self) -> bool:
        return self._tick.isActive()

    def start(self) -> None:
        """Begin the schedule (first runs after ``initial_delay_s``)."""
        now = self._clock()
        for status in self.manager.statuses():
            self._due[status.vendor_id] = now + self.initial_delay_s
        self._last_movement_id = self._newest_movement_id()
        if self.listen_to_ledger and not self._hub_connected:
            self._commits.changed.connect(self._on_commit)
            self.manager.db.add_commit_observer(self._commits.deliver)
            self._hub_connected = True
        self._tick.start()
        self._poll.start()

    def stop(self) -> None:
        self._tick.stop()
        self._poll.stop()
        self._debounce.stop()
        if self._hub_connected:
            self.manager.db.remove_commit_observer(self._commits.deliver)
            with contextlib.suppress(RuntimeError, TypeError):
                self._commits.changed.disconnect(self._on_commit)
            self._hub_connected = False

    def _on_commit(self, changes: object) -> None:
        if isinstance(changes, Changes) and changes.pairs:
            self.notify_stock_changed()

    def notify_stock_changed(self) -> None:
        """Stock moved: push a delta shortly (several postings in a burst give one push)."""
        if self.running and not self._debounce.isActive():
            self._debounce.start()

    @property
    def delta_pending(self) -> bool:
        return self._debounce.isActive()

    def _push_delta(self) -> None:
        self.delta_scheduled.emit()
        self.manager.sync_all(JobKind.DELTA)
        now = self._clock()
        for vendor_id in list(self._due):
            status = self.manager.find_status(vendor_id)
            if status is not None:
                self._due[vendor_id] = now + status.interval_s

    def run_due(self) -> None:
        """Queue a scheduled run for every syncable vendor whose interval has passed (on each tick)."""
        now = self._clock()
        for status in self.manager.statuses():
            if not status.syncable:
                continue
            due = self._due.setdefault(status.vendor_id, now + self.initial_delay_s)
            if now >= due:
                self._due[status.vendor_id] = now + status.interval_s
                self.manager.request_sync(status.vendor_id, JobKind.SCHEDULED)

    def _newest_movement_id(self) -> int | None:
        try:
            return newest_movement_id(self.manager.db, self.manager.actor)
        except Exception:
            log.exception("could not read the newest stock movement")
            return self._last_movement_id

    def _poll_movements(self) -> None:
        # Vendors added or edited elsewhere (the Vendors page, another desk) join the schedule here.
        try:
            self.manager.reload_states()
        except Exception:
            log.exception("could not reload the vendors' sync states")
        newest = self._newest_movement_id()
        if newest is not None and newest != self._last_movement_id:
            self._last_movement_id = newest
            self.notify_stock_changed()
