"""Every injected fault is survived with nothing lost and nothing applied twice (counted at the server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.clock import ManualUtcClock
from tests.integration.sync_support import TOKEN, Rig, rig
from vmi_desktop.db import Database
from vmi_desktop.models import InboxEvent, OutboxMessage, OutboxStatus, ThresholdProposal, utcnow
from vmi_desktop.sync import outbox

FAULTS = [
    pytest.param("status", {"status": 500}, id="500"),
    pytest.param("status", {"status": 503}, id="503"),
    pytest.param("429", {"retry_after": 0.3}, id="429-retry-after"),
    pytest.param("delay", {"seconds": 0.8}, id="delay-past-timeout"),
    pytest.param("drop_before", {}, id="drop-before-apply"),
    pytest.param("drop_after", {}, id="drop-after-apply"),
    pytest.param("malformed", {}, id="malformed-answer"),
]


def _queue_reports(r: Rig, count: int) -> int:
    with r.db.transaction() as s:
        return sum(outbox.enqueue_stock_report(s, r.acme, "full") for _ in range(count))


@pytest.mark.parametrize(("kind", "options"), FAULTS)
def test_outbound_fault_is_survived_without_loss_or_duplicate(
    sqlite_db: Database, kind: str, options: dict[str, float]
) -> None:
    with rig(sqlite_db, timeout=0.4, replenish=False) as r:
        queued = _queue_reports(r, 3)
        r.server.add_fault("/v1/stock-reports", kind, count=2, **options)
        r.drain()
        state = r.server.state
        assert state.faults_fired[kind] == 2
        # The 3 queued full reports (no further one is due): each applied exactly once.
        assert state.applied["stock-reports"] == queued
        assert state.double_applied == 0
        assert r.sent("stock_report") == queued
        assert r.outbox_counts() == {"sent": queued}
        if kind in ("drop_after", "malformed"):
            assert state.replayed["stock-reports"] >= 1  # the retry got the stored first answer
        if kind == "429":
            with sqlite_db.transaction() as s:
                attempts = s.scalar(select(func.max(OutboxMessage.attempts)))
            assert attempts == 3


@pytest.mark.parametrize(("kind", "options"), FAULTS)
def test_event_pull_fault_is_survived_without_loss_or_duplicate(
    sqlite_db: Database, kind: str, options: dict[str, float]
) -> None:
    with rig(sqlite_db, timeout=0.4, replenish=False) as r:
        for i in range(7):
            r.server.add_event(
                "thresholds.proposed",
                {"location_code": "WH-1", "sku": "P-1", "min": i, "max": 60, "reason": f"proposal {i}"},
            )
        r.engine.events_limit = 3
        r.server.add_fault("/v1/events", kind, count=2, **options)
        r.drain()
        assert r.server.state.faults_fired[kind] == 2
        with sqlite_db.transaction() as s:
            mins = sorted(int(m) for m in s.scalars(select(ThresholdProposal.proposed_min)))
        assert mins == list(range(7))
        assert r.inbox_count() == 7


def test_permanent_refusal_keeps_the_message_as_failed_with_an_alert_and_retry_sends_it(sqlite_db: Database) -> None:
    from tests.conftest import MANAGER
    from vmi_desktop.models import Alert, AlertKind

    with rig(sqlite_db, replenish=False) as r:
        r.server.add_fault("/v1/stock-reports", "status", count=1, status=422)
        report = r.sync()
        assert report.failed == 1 and report.sent == 0
        with sqlite_db.transaction() as s:
            failed = outbox.list_messages(s, r.acme, status="failed")
            assert len(failed) == 1 and failed[0].response_status == 422
            assert "injected failure" in failed[0].response_body
            alert = s.scalar(select(Alert).where(Alert.kind == AlertKind.SYNC_FAILED))
            assert alert is not None and alert.vendor_id == r.acme
            outbox.retry_message(s, MANAGER, failed[0].id)
        assert r.sync().sent == 1
        assert r.server.state.applied["stock-reports"] == 1
        with sqlite_db.transaction() as s:
            assert outbox.queue_summary(s, r.acme)["failed"] == 0
            alert = s.scalar(select(Alert).where(Alert.kind == AlertKind.SYNC_FAILED))
            assert alert is not None and alert.status.value == "resolved"


def test_backoff_is_persisted_in_the_row_and_honours_retry_after(sqlite_db: Database) -> None:
    clock = ManualUtcClock(utcnow() + timedelta(minutes=1))  # ahead of the rows the outbox stamps itself
    with rig(sqlite_db, wait_for_retries_s=0, replenish=False, clock=clock) as r:
        r.server.add_fault("/v1/stock-reports", "429", count=1, retry_after=30)
        failed_at = clock()
        report = r.sync()
        assert report.sent == 0 and report.error is not None and "429" in report.error
        with sqlite_db.transaction() as s:
            msg = s.scalars(select(OutboxMessage)).one()
            assert msg.status == OutboxStatus.PENDING and msg.attempts == 1
            assert msg.next_attempt_at == failed_at + timedelta(seconds=30)  # Retry-After beats the 0.02 s back-off
        # A later run (a restart) does not send before the persisted time, and sends at it.
        clock.advance(29.999)
        assert r.sync().sent == 0
        assert r.server.state.received["stock-reports"] == 1
        clock.advance(0.001)
        assert r.sync().sent == 1
        assert r.server.state.received["stock-reports"] == 2


def _cli(db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "vmi_desktop", "--database-url", f"sqlite:///{db_path}", "--user", "pm", *args]


def test_a_sync_killed_mid_run_resumes_with_exact_counts(sqlite_db: Database) -> None:
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    with rig(sqlite_db, replenish=False) as r:
        queued = _queue_reports(r, 12)
        for i in range(900):
            r.server.add_event(
                "thresholds.proposed",
                {"location_code": "WH-1", "sku": "P-2", "min": i % 10, "max": 40, "reason": f"#{i}"},
            )
        r.server.add_fault("/v1/stock-reports", "delay", count=100, seconds=0.15)
        r.server.add_fault("/v1/events", "delay", count=100, seconds=0.4)
        env = dict(os.environ, VMI_SUPPLIER_TOKEN_ACME=TOKEN)
        proc = subprocess.Popen(
            _cli(db_path, "sync", "--once"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        state = r.server.state
        deadline = time.monotonic() + 60
        while state.received["stock-reports"] < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed_after = state.applied["stock-reports"]
        assert 0 < killed_after < queued, proc.stdout.read() if proc.stdout else ""  # truly mid-way
        # Second crash, in the middle of the event pull: a page applied, the next one in flight.
        proc = subprocess.Popen(
            _cli(db_path, "sync", "--once"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        start = state.received["events"]
        while state.received["events"] < start + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        r.server.state.clear_faults()
        r.drain()
        assert state.applied["stock-reports"] == queued
        assert state.double_applied == 0
        with sqlite_db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(InboxEvent)) == 900
            assert s.scalar(select(func.count()).select_from(ThresholdProposal)) == 900
            assert s.scalar(select(func.count(func.distinct(ThresholdProposal.reason)))) == 900
        assert r.sent("stock_report") == queued


def test_sync_command_reports_each_vendor_and_names_the_env_var_when_no_token_is_found(
    sqlite_db: Database, tmp_path: Path
) -> None:
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    with rig(sqlite_db, replenish=False) as r:
        env = dict(os.environ, VMI_SUPPLIER_TOKEN_ACME=TOKEN)
        done = subprocess.run(
            _cli(db_path, "sync", "--vendor", "ACME", "--once"), env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ACME: sent 1, failed 0" in done.stdout
        assert r.server.state.applied["stock-reports"] == 1
        assert TOKEN not in done.stdout + done.stderr
        # No keyring at all (no session bus): the command must name the environment variable instead.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("VMI_SUPPLIER_TOKEN_") and k != "DBUS_SESSION_BUS_ADDRESS"
        }
        env.update(VMI_DATA_DIR=str(tmp_path / "data"), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        failed = subprocess.run(_cli(db_path, "sync", "--once"), env=env, capture_output=True, text=True, timeout=60)
        assert failed.returncode == 1
        assert "VMI_SUPPLIER_TOKEN_ACME" in failed.stdout
