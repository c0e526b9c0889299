"""The engine as the UI's worker uses it: cancel, progress, a supplier that hangs, per-vendor status."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.clock import ManualUtcClock
from tests.integration.sync_support import rig
from vmi_desktop.db import Database
from vmi_desktop.models import SyncState, utcnow
from vmi_desktop.sync import outbox
from vmi_desktop.sync.engine import sync_vendor


def test_cancel_stops_between_messages_and_the_next_run_sends_the_rest(sqlite_db: Database) -> None:
    with rig(sqlite_db, replenish=False, wait_for_retries_s=0) as r:
        with sqlite_db.transaction() as s:
            queued = sum(outbox.enqueue_stock_report(s, r.acme, "full") for _ in range(5))
        cancel = threading.Event()
        seen: list[tuple[float, str]] = []

        def progress(fraction: float, text: str) -> None:
            seen.append((fraction, text))
            if text.startswith("sent"):
                cancel.set()

        report = sync_vendor(sqlite_db, r.acme, r.creds, cancel=cancel, progress=progress, engine=r.engine)
        assert report.sent == 1 and report.error == "cancelled" and report.pending == queued - 1
        assert r.server.state.received["events"] == 0  # cancelled before the pull
        fractions = [f for f, _ in seen]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        assert sync_vendor(sqlite_db, r.acme, r.creds, engine=r.engine).sent == queued - 1
        assert r.server.state.applied["stock-reports"] == queued


def test_a_hanging_supplier_costs_one_time_out_and_is_recorded_per_vendor(sqlite_db: Database) -> None:
    clock = ManualUtcClock(utcnow() + timedelta(minutes=1))  # ahead of the rows the outbox stamps itself
    with rig(sqlite_db, replenish=False, timeout=0.5, wait_for_retries_s=0, clock=clock) as r:
        r.server.add_fault("/v1/stock-reports", "delay", count=1, seconds=3)
        r.engine.backoff = outbox.Backoff(initial_s=1000, max_s=1000)
        report = r.sync()
        # The client gave up at its time-out (the supplier would have answered after 3 s) and did not retry.
        assert report.sent == 0 and report.error is not None and "did not answer in time" in report.error
        assert r.server.state.received["stock-reports"] == 1
        with sqlite_db.transaction() as s:
            state = s.get_one(SyncState, r.acme)
            assert state.last_error == report.error and state.last_error_at == clock()
            assert state.last_success_at is None
            summary = outbox.queue_summary(s, r.acme)
            assert summary["pending"] == 1 and summary["next_attempt_at"] is not None
        clock.advance(1000)  # the longest back-off has passed
        ok = r.sync()
        assert ok.error is None and ok.sent == 1 and ok.latency_ms is not None
        with sqlite_db.transaction() as s:
            state = s.get_one(SyncState, r.acme)
            assert state.last_error == "" and state.last_success_at == clock()
        assert r.server.state.applied["stock-reports"] == 1 and r.server.state.double_applied == 0


def test_a_manual_vendor_sends_nothing_and_a_rest_vendor_without_customer_id_gets_a_clear_error(
    sqlite_db: Database,
) -> None:
    from vmi_desktop.models import Vendor

    with rig(sqlite_db) as r:
        report = r.engine.sync_vendor(r.world.vendors["BOLT"], r.creds)  # BOLT is reached by hand
        assert report.error is None and report.sent == 0 and r.server.state.received == {}
        with sqlite_db.transaction() as s:
            vendor = s.get(Vendor, r.acme)
            assert vendor is not None
            vendor.customer_id = ""
        report = r.sync()
        assert report.error is not None and "ACME has no customer id" in report.error
        assert r.server.state.received == {}
