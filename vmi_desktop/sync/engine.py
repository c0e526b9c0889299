"""One sync run for one vendor: send what is due from the outbox, then pull and apply events.

Safe to run from a worker thread (it opens its own sessions and never touches
Qt), from the CLI, or from a test. A run never blocks longer than the client's
time-out per call; ``cancel`` is checked between messages and pages.
Per-vendor status (last attempt, success, error, latency) is written to
``SyncState`` for the Sync page.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import SQLAlchemyError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from vmi_desktop.db import Database, DatabaseError, describe_db_error
from vmi_desktop.db.collector import collector_paused
from vmi_desktop.db.errors import is_database_error
from vmi_desktop.errors import VmiError
from vmi_desktop.exchange.connector import FILE_KINDS, FolderConnector
from vmi_desktop.models import AlertKind, ConnectionKind, Vendor, utcnow
from vmi_desktop.sync import outbox
from vmi_desktop.sync.auth import VendorCredentials, scrub
from vmi_desktop.sync.client import (
    MAX_EVENTS_LIMIT,
    MAX_PAGE_BYTES,
    Encoded,
    EventPage,
    PageTooLarge,
    PermanentError,
    PostResult,
    ProtocolError,
    TransientError,
    VmiConnectClient,
    encode_body,
)
from vmi_desktop.sync.dispatch import raise_alert, resolve_alert
from vmi_desktop.sync.inbox import MAX_EVENT_BYTES, apply_page

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
ENV_TOKEN_PREFIX = "VMI_SUPPLIER_TOKEN_"  # noqa: S105 (a variable name, not a secret)
#: Pages pulled per run at most (a supplier answering has_more for ever must not keep a run going).
MAX_PAGES_PER_RUN = 40


def protocol_cause(vendor_id: int) -> str:
    """The cause key of a vendor's "event feed refused" alert (one open alert per vendor)."""
    return f"sync_protocol:{vendor_id}"


@dataclass
class SyncReport:
    """What one run did, for the UI and the CLI."""

    vendor_id: int
    sent: int = 0
    failed: int = 0
    events_applied: int = 0
    events_rejected: int = 0
    latency_ms: int | None = None
    error: str | None = None
    pending: int = 0
    next_attempt_at: Any = field(default=None, repr=False)
    #: The run stopped at its page bound with more events waiting (the next run should come soon).
    more_events: bool = False
    #: The run failed because of the database itself (unreachable, locked, full), not the supplier.
    database_error: bool = False
    #: file exchange: inbound files read, and those moved to rejected/
    files_received: int = 0
    files_rejected: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class _Vendor:
    id: int
    code: str
    base_url: str
    customer_id: str
    auth_kind: str
    token_url: str
    client_id: str
    cert_path: str
    connected: bool
    kind: str = ConnectionKind.REST.value
    active: bool = True


class SyncEngine:
    """Sync settings shared by runs: back-off, report schedule, time-outs and bounds.

    ``timeout`` is the total deadline of one supplier call; ``max_pages`` bounds the pages pulled
    per run (the rest waits for the next run, ``SyncReport.more_events``); ``max_page_bytes`` and
    ``max_event_bytes`` cap what a supplier's page and each of its events may be.

    ``wait_for_retries_s`` lets one run wait (cancellably) for a retry that is due within that
    many seconds instead of leaving it to the next run; the UI keeps it at 0. ``clock`` is the
    engine's "now" (aware UTC) for what it persists and compares: retry times, the report
    schedule, the vendor's status (tests hand in one they move). ``data_dir`` is what a relative
    exchange folder resolves against (default: the app's data folder); an inbound file is read once
    it has been left alone for ``file_settle_s`` seconds.
    """

    def __init__(
        self,
        db: Database,
        *,
        backoff: outbox.Backoff | None = None,
        full_report_every: timedelta = timedelta(hours=24),
        usage_days: int = 90,
        events_limit: int = MAX_EVENTS_LIMIT,
        max_pages: int = MAX_PAGES_PER_RUN,
        max_page_bytes: int = MAX_PAGE_BYTES,
        max_event_bytes: int = MAX_EVENT_BYTES,
        timeout: float = 10.0,
        wait_for_retries_s: float = 0.0,
        ca_bundle: str = "",
        clock: Callable[[], datetime] = utcnow,
        data_dir: Path | None = None,
        file_settle_s: float = 2.0,
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.file_settle_s = file_settle_s
        self.clock = clock
        self.backoff = backoff or outbox.Backoff()
        self.full_report_every = full_report_every
        self.usage_days = usage_days
        self.events_limit = events_limit
        self.max_pages = max_pages
        self.max_page_bytes = max_page_bytes
        self.max_event_bytes = max_event_bytes
        self.timeout = timeout
        self.wait_for_retries_s = wait_for_retries_s
        self.ca_bundle = ca_bundle

    # -- helpers -----------------------------------------------------------------------------------

    def _vendor(self, vendor_id: int) -> _Vendor:
        with self.db.transaction() as session:
            v = session.get(Vendor, vendor_id)
            if v is None:
                raise VmiError(f"unknown vendor id {vendor_id}")
            return _Vendor(
                v.id,
                v.code,
                v.base_url,
                v.customer_id,
                v.auth_kind.value,
                v.token_url,
                v.client_id,
                v.client_cert_path,
                v.active and v.connection_kind == ConnectionKind.REST,
                ConnectionKind(v.connection_kind).value,
                v.active,
            )

    def client_for(self, vendor_id: int, credentials: VendorCredentials) -> VmiConnectClient:
        """A client for the vendor's connection settings (raises a ``VmiError`` saying what is wrong)."""
        v = self._vendor(vendor_id)
        if not v.base_url:
            raise VmiError(f"vendor {v.code} has no supplier URL; set it in the vendor's connection settings")
        if not v.customer_id.strip():
            raise VmiError(
                f"vendor {v.code} has no customer id (our id at that supplier); set it in the vendor's "
                "connection settings"
            )
        return VmiConnectClient(
            v.base_url,
            v.customer_id,
            credentials,
            v.auth_kind,
            token_url=v.token_url,
            client_id=v.client_id,
            cert_path=v.cert_path,
            timeout=self.timeout,
            ca_bundle=self.ca_bundle,
            max_page_bytes=self.max_page_bytes,
        )

    def schedule_reports(self, vendor_id: int) -> int:
        """Queue the periodic full report (with usage) when due, otherwise a delta for moved stock."""
        with self.db.transaction() as session:
            state = outbox.sync_state(session, vendor_id)
            now = self.clock()
            if state.last_full_report_at is None or now - state.last_full_report_at >= self.full_report_every:
                since = state.last_full_report_at or now - timedelta(days=self.usage_days)
                since = since.replace(hour=0, minute=0, second=0, microsecond=0)
                return outbox.enqueue_full_report(session, self.db.engine, vendor_id, since)
            return outbox.enqueue_delta_report(session, vendor_id)

    def _retrying(self, cancel: threading.Event) -> Retrying:
        """Retries for calls outside the outbox (the event pull), bounded by ``wait_for_retries_s``."""

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = getattr(exc, "retry_after", None)
            return self.backoff.delay(state.attempt_number, retry_after)

        stop = stop_after_delay(self.wait_for_retries_s) if self.wait_for_retries_s > 0 else stop_after_attempt(1)

        def sleep(seconds: float) -> None:
            cancel.wait(seconds)

        return Retrying(stop=stop, wait=wait, sleep=sleep, reraise=True, retry=retry_if_exception_type(TransientError))

    # -- the run -----------------------------------------------------------------------------------

    def sync_vendor(
        self,
        vendor_id: int,
        credentials: VendorCredentials,
        *,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> SyncReport:
        """Send due outbox messages in order, then pull events until the feed is drained."""
        cancel = cancel or threading.Event()
        report = SyncReport(vendor_id)
        secrets = credentials.secrets()

        def step(fraction: float, text: str) -> None:
            if progress is not None:
                try:
                    progress(max(0.0, min(1.0, fraction)), text)
                except Exception:  # a broken progress display must not break the sync
                    log.exception("sync progress callback failed")

        latencies: list[float] = []
        try:
            vendor = self._vendor(vendor_id)
            if not vendor.active:
                raise VmiError(f"vendor {vendor.code} is deactivated")
            if vendor.kind in FILE_KINDS:  # the connector for its kind: files through its exchange folder
                FolderConnector(self, vendor_id).run(report, cancel, step)
            elif vendor.kind == ConnectionKind.MANUAL.value:
                step(1.0, f"{vendor.code} is reached by hand: nothing is sent; record what happens in the app")
            else:
                step(0.0, f"{vendor.code}: preparing reports")
                self.schedule_reports(vendor_id)
                with self.client_for(vendor_id, credentials) as client:
                    self._send(client, vendor_id, report, cancel, step, latencies)
                    if not cancel.is_set():
                        self._pull(client, vendor_id, report, cancel, step, latencies)
        except DatabaseError as exc:
            report.error, report.database_error = scrub(str(exc), secrets), True
        except (VmiError, OSError) as exc:
            report.error = scrub(str(exc), secrets)
        except SQLAlchemyError as exc:  # e.g. the database is locked: nothing half-done was committed
            report.error, report.database_error = scrub(describe_db_error(exc), secrets), True
        except Exception as exc:  # a bug: keep the worker alive and the user informed
            log.exception("sync of vendor %s failed unexpectedly", vendor_id)
            report.error = scrub(f"internal error ({type(exc).__name__}); see the log", secrets)
        if cancel.is_set() and report.error is None:
            report.error = "cancelled"
        report.latency_ms = int(sorted(latencies)[len(latencies) // 2] * 1000) if latencies else None
        self._record(vendor_id, report)
        step(1.0, "done" if report.error is None else f"finished with an error: {report.error}")
        return report

    def _send(
        self,
        client: VmiConnectClient,
        vendor_id: int,
        report: SyncReport,
        cancel: threading.Event,
        step: Callable[[float, str], None],
        latencies: list[float],
    ) -> None:
        """POST due messages one at a time, in order; the database side of the messages is done meanwhile.

        Only one message is ever on the wire, and the next is posted only once the one before was
        answered, so the supplier sees the order of one message at a time. While it works on a message,
        the loop records the answer to the one before (marking a row sent rewrites the whole row on
        SQLite, payload included) and reads, checks and compresses the next one. Answers are recorded in
        the order they came, each before anything about a later message: a message to be retried is
        counted after the one before it is marked sent, and when a record cannot be written nothing later
        is recorded either. A message answered but not yet recorded when a run dies stays pending and is
        sent again with its idempotency key (the supplier answers it as the first time and applies
        nothing twice), as a crash between an answer and its commit always was: the window is two
        messages instead of one. When the current one is to be retried, the one read ahead is simply not
        sent (it stays queued behind it).
        """
        with self.db.transaction() as session:
            total = outbox.queue_summary(session, vendor_id)["pending"]
        done = 0
        deadline = time.monotonic() + self.wait_for_retries_s

        def record(sent: tuple[outbox.Outgoing, PostResult]) -> None:
            msg, result = sent
            with self.db.transaction() as session:
                outbox.mark_sent(session, msg.id, result.status, result.body)
            report.sent += 1
            report.error = None

        job: tuple[outbox.Outgoing, Encoded] | None = None
        answered: tuple[outbox.Outgoing, PostResult] | None = None  # a success not recorded yet
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"vmi-send-{vendor_id}") as poster:
            while not cancel.is_set():
                if job is None:
                    if answered is not None:  # first: the head read next must not find it pending
                        record(answered)
                        answered = None
                    head = self._next_outgoing(vendor_id)
                    if not isinstance(head, outbox.Outgoing):
                        if head is None:
                            break
                        wait = (head - self.clock()).total_seconds()
                        if time.monotonic() + wait > deadline:
                            break
                        cancel.wait(max(0.0, wait))
                        continue
                    job = head, encode_body(head.body)
                msg, body = job
                started = time.monotonic()
                posting = poster.submit(client.post_json, msg.path, body, msg.message_id)
                ahead: tuple[outbox.Outgoing, Encoded] | None = None
                failure: BaseException | None = None
                before_recorded = answered is None
                try:  # while the supplier works
                    if answered is not None:
                        record(answered)
                        answered, before_recorded = None, True
                    next_one = self._next_outgoing(vendor_id, after_id=msg.id)
                    if isinstance(next_one, outbox.Outgoing):
                        ahead = next_one, encode_body(next_one.body)
                except Exception as exc:  # raised once the message in flight is answered (and recorded)
                    failure = exc
                try:
                    result = posting.result()
                except TransientError as exc:
                    if before_recorded:
                        with self.db.transaction() as session:
                            outbox.mark_transient(
                                session,
                                msg.id,
                                str(exc),
                                status=exc.status,
                                body=exc.body,
                                retry_after=exc.retry_after,
                                backoff=self.backoff,
                                now=self.clock(),
                            )
                    log.info("vendor %s: message %s will be retried: %s", vendor_id, msg.id, exc)
                    report.error = str(exc)
                    job = None  # the head again: it may be due again only later
                    if failure is not None:
                        raise failure from None
                    continue
                except PermanentError as exc:
                    if before_recorded:
                        with self.db.transaction() as session:
                            outbox.mark_failed(session, msg.id, str(exc), status=exc.status, body=exc.body)
                    log.warning("vendor %s: message %s failed: %s", vendor_id, msg.id, exc)
                    report.failed += 1
                else:
                    latencies.append(time.monotonic() - started)
                    if before_recorded:
                        answered = msg, result
                        done += 1  # told now, before the next is posted: a cancel on it stops the run here
                        step(
                            0.5 * done / max(total, done, 1),
                            f"sent {msg.kind.replace('_', ' ')} ({done} of {max(total, done)})",
                        )
                if failure is not None:
                    if before_recorded and answered is not None:
                        record(answered)  # this one's answer, before the error is raised
                    raise failure from None
                job = ahead
            if answered is not None:
                record(answered)

    def _next_outgoing(self, vendor_id: int, after_id: int = 0) -> outbox.Outgoing | datetime | None:
        with self.db.transaction() as session:  # scope and customer id as of now
            return outbox.next_outgoing(session, vendor_id, now=self.clock(), after_id=after_id)

    def _pull(
        self,
        client: VmiConnectClient,
        vendor_id: int,
        report: SyncReport,
        cancel: threading.Event,
        step: Callable[[float, str], None],
        latencies: list[float],
    ) -> None:
        """Pull and apply pages until the feed is drained, at most ``max_pages`` of them this run."""
        with self.db.transaction() as session:
            cursor = outbox.sync_state(session, vendor_id).cursor
        pages = 0
        limit = self.events_limit
        refused_resolved = False  # the "feed refused" alert, resolved with the run's first page applied
        while not cancel.is_set():
            if pages >= self.max_pages:
                report.more_events = True
                log.info("vendor %s: stopped after %d pages this run; the feed continues next run", vendor_id, pages)
                break
            started = time.monotonic()
            try:
                page = self._page(client, cursor, limit, cancel)
            except PageTooLarge:
                if limit <= 1:
                    self._protocol_alert(vendor_id, client, sys.exc_info()[1])
                    raise
                limit = max(1, limit // 4)  # big events: ask for fewer at a time
                log.info("vendor %s: event page too large; asking for %d events at a time", vendor_id, limit)
                continue
            except ProtocolError as exc:
                self._protocol_alert(vendor_id, client, exc)
                raise
            except PermanentError as exc:
                if cursor is not None and exc.status in (400, 404, 409, 410, 422):
                    raise PermanentError(
                        f"{exc} — the supplier may have lost its event feed (it does not accept the feed cursor "
                        f"{cursor[:40]!r}); a parts manager can reset the feed cursor (Sync page, or "
                        "vmi-desktop sync --reset-cursor --vendor CODE): events are read again from the start "
                        "and those already applied are skipped",
                        status=exc.status,
                        body=exc.body,
                    ) from None
                raise
            latencies.append(time.monotonic() - started)
            with collector_paused(), self.db.unit_of_work() as uow:  # the commit's objects too (``db.collector``)
                result = apply_page(
                    uow,
                    vendor_id,
                    page.events,
                    page.next_cursor,
                    max_event_bytes=self.max_event_bytes,
                    secrets=client.secrets(),
                )
                if not refused_resolved:
                    # Only a refused page raises it, and that ends the run: once resolved, it stays so.
                    resolve_alert(uow.session, protocol_cause(vendor_id), "system")
            refused_resolved = True
            report.events_applied += result.applied
            report.events_rejected += result.rejected
            pages += 1
            limit = min(self.events_limit, limit * 2)  # back up after a page that was too large
            step(
                0.5 + 0.5 * (1 - 1 / (pages + 1)),
                f"applied {report.events_applied} events, rejected {report.events_rejected}",
            )
            if not page.has_more or page.next_cursor is None or page.next_cursor == cursor:
                break
            cursor = page.next_cursor

    def _page(self, client: VmiConnectClient, cursor: str | None, limit: int, cancel: threading.Event) -> EventPage:
        page = None
        for attempt in self._retrying(cancel):
            with attempt:
                page = client.events(after=cursor, limit=limit)
        assert page is not None
        return page

    def _protocol_alert(self, vendor_id: int, client: VmiConnectClient, exc: BaseException | None) -> None:
        """One open alert per vendor for a supplier that answers outside the contract (not one per page)."""
        text = client.scrub(str(exc))
        with self.db.unit_of_work() as uow:
            vendor = uow.session.get(Vendor, vendor_id)
            raise_alert(
                uow.session,
                kind=AlertKind.SYNC_FAILED,
                cause_key=protocol_cause(vendor_id),
                message=f"{vendor.code if vendor else vendor_id}: the supplier's event feed is refused: {text}"[:1000],
                vendor_id=vendor_id,
            )
            uow.changes.alerts = True

    def _record(self, vendor_id: int, report: SyncReport) -> None:
        try:
            with self.db.transaction() as session:
                state = outbox.sync_state(session, vendor_id)
                now = self.clock()
                state.last_attempt_at = now
                if report.latency_ms is not None:
                    state.last_latency_ms = report.latency_ms
                if report.error is None:
                    state.last_success_at = now
                    state.last_error = ""
                else:
                    state.last_error = report.error[:1000]
                    state.last_error_at = now
                summary = outbox.queue_summary(session, vendor_id)
                report.pending = summary["pending"]
                report.next_attempt_at = summary["next_attempt_at"]
        except Exception as exc:  # the status row is informative; never let it hide the run's result
            if is_database_error(exc):
                report.database_error = True
                log.warning("could not record the sync state of vendor %s: %s", vendor_id, describe_db_error(exc))
            else:
                log.exception("could not record the sync state of vendor %s", vendor_id)


def sync_vendor(
    db: Database,
    vendor_id: int,
    credentials: VendorCredentials | None = None,
    *,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    engine: SyncEngine | None = None,
) -> SyncReport:
    """One sync run for one vendor with default settings (the Qt worker and the CLI call this)."""
    engine = engine or SyncEngine(db)
    if credentials is None:
        credentials = load_credentials(engine._vendor(vendor_id).code, vendor_id)
    return engine.sync_vendor(vendor_id, credentials, cancel=cancel, progress=progress)


def load_credentials(vendor_code: str, vendor_id: int) -> VendorCredentials:
    """Credentials for headless runs: ``VMI_SUPPLIER_TOKEN_<CODE>`` if set, else the OS keyring."""
    env_name = ENV_TOKEN_PREFIX + "".join(c if c.isalnum() else "_" for c in vendor_code.upper())
    token = os.environ.get(env_name)
    if token:
        return VendorCredentials(token=token)
    try:
        from vmi_desktop import secrets
    except ImportError:
        return VendorCredentials()
    try:
        return secrets.default_store().credentials_for(secrets.VendorKey(vendor_id, vendor_code))
    except VmiError as exc:
        raise VmiError(f"{exc} (for a headless run, set {env_name} to the vendor's API token)") from None


def due_vendors(db: Database) -> list[int]:
    """Active vendors to sync, in code order: REST ones with a supplier URL, file ones with an exchange folder."""
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Vendor.id)
                .where(
                    Vendor.active.is_(True),
                    or_(
                        and_(Vendor.connection_kind == ConnectionKind.REST, Vendor.base_url != ""),
                        and_(Vendor.connection_kind.in_(FILE_KINDS), Vendor.exchange_folder != ""),
                    ),
                )
                .order_by(Vendor.code)
            )
        )
