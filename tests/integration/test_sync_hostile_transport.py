"""A supplier cannot stall, flood or blow up a sync: deadlines per call, pages per run, caps on bytes and depth."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.integration.hostile_supplier import (
    TOKEN,
    HostileRig,
    deep_nesting,
    gzip_bomb,
    hostile_rig,
    page_bytes,
    proposal,
)
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, InboxEvent, SyncState, ThresholdProposal
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.client import MAX_PAGE_BYTES, VmiConnectClient
from vmi_desktop.sync.engine import SyncEngine, SyncReport


def _sync(h: HostileRig, **options: Any) -> SyncReport:
    options.setdefault("timeout", 5.0)
    engine = SyncEngine(h.db, wait_for_retries_s=0, **options)
    return engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))


def _count(db: Database, model: Any) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("head_first", [False, True], ids=["headers-trickle", "body-trickles"])
def test_a_supplier_trickling_bytes_costs_one_deadline_per_call(sqlite_db: Database, head_first: bool) -> None:
    with hostile_rig(sqlite_db) as h:
        h.supplier.feed = [proposal(f"e{i}") for i in range(20)]
        h.supplier.serve_slow_loris(0.2, head_first=head_first)  # every read succeeds, the answer never ends
        started = time.monotonic()
        report = _sync(h, timeout=1.0)
        elapsed = time.monotonic() - started
        assert report.error is not None and "did not answer in time" in report.error, report
        assert elapsed < 1.0 + 3.0, elapsed  # the deadline plus the stock report sent first and bookkeeping
        assert report.events_applied == 0 and _count(sqlite_db, InboxEvent) == 0


def _cli(db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "vmi_desktop", "--database-url", f"sqlite:///{db_path}", "--user", "pm", *args]


def test_sync_once_with_timeout_5_ends_about_5_s_after_a_supplier_sending_a_byte_every_3_s(sqlite_db: Database) -> None:
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    with hostile_rig(sqlite_db) as h:
        h.supplier.feed = [proposal("e1")]
        h.supplier.serve_slow_loris(3.0)
        env = dict(os.environ, VMI_SUPPLIER_TOKEN_ACME=TOKEN)
        try:
            done = subprocess.run(
                _cli(db_path, "sync", "--once", "--timeout", "5"), env=env, capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            pytest.fail("sync --once --timeout 5 was still running after 60 s")
        ended = time.monotonic()
        assert done.returncode == 1, done.stdout + done.stderr
        assert "did not answer in time" in done.stdout
        # From the moment the supplier had the request: 5 s, then the run records its result and exits
        # (the interpreter's start before it is not the supplier's doing, and varies with the machine's load).
        asked = [r.at for r in h.supplier.requests if r.path == "/v1/events"]
        assert len(asked) == 1
        assert ended - asked[0] < 5.0 + 3.0, ended - asked[0]


def test_an_endless_feed_stops_at_the_page_bound_and_resumes_next_run(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        h.supplier.serve_endless()
        first = _sync(h, max_pages=7)
        assert (first.error, first.events_applied, first.more_events) == (None, 7, True)
        second = _sync(h, max_pages=7)
        assert (second.error, second.events_applied, second.more_events) == (None, 7, True)
        assert h.supplier.counts["GET /v1/events"] == 14
        with sqlite_db.transaction() as s:
            assert s.get_one(SyncState, h.acme).cursor == "14"
            assert s.scalar(select(func.count(func.distinct(InboxEvent.event_id)))) == 14
        # The default bound holds too: a run ends on its own.
        third = _sync(h)
        assert third.more_events and third.events_applied == SyncEngine(sqlite_db).max_pages


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(512 * 1024 * 1024)


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def test_a_gzip_bomb_stops_at_the_byte_cap_with_bounded_memory(sqlite_db: Database, bomb: bytes, traced: None) -> None:
    assert len(bomb) < 1024 * 1024  # half a megabyte on the wire, 512 MB once decompressed
    with hostile_rig(sqlite_db) as h:
        with sqlite_db.transaction() as s:
            s.add(SyncState(vendor_id=h.acme, cursor="7", last_error=""))
        h.supplier.serve_gzip(bomb)
        tracemalloc.reset_peak()
        started = time.monotonic()
        report = _sync(h)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        assert report.error is not None and "larger than" in report.error, report
        assert peak < 3 * MAX_PAGE_BYTES, f"peak {peak / 2**20:.0f} MiB"  # the cap, its growth and the rest
        assert elapsed < 20, elapsed
        # Asked again for fewer events (an honest page of big events gets through that way), then given up.
        assert 2 <= h.supplier.counts["GET /v1/events"] <= 6
        with sqlite_db.transaction() as s:
            assert s.get_one(SyncState, h.acme).cursor == "7"
            assert s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == AlertKind.SYNC_FAILED)) == 1


def test_an_honest_page_too_large_for_the_cap_is_fetched_in_smaller_pages(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        h.supplier.feed = [proposal(f"big-{i}", reason="r" * 60_000) for i in range(12)]
        report = _sync(h, max_page_bytes=400_000)  # about 6 such events per page
        assert (report.error, report.events_applied) == (None, 12), report
        limits = [int(r.query["limit"][0]) for r in h.supplier.requests if r.path == "/v1/events"]
        assert limits[0] == 500 and limits[1] == 125 and limits[-1] < 125


def test_a_flood_of_100000_events_for_a_page_of_500_is_refused_quickly_with_one_alert(
    sqlite_db: Database, traced: None
) -> None:
    with hostile_rig(sqlite_db) as h:
        events = [
            b'{"event_id":"f%d","type":"order.cancelled","occurred_at":"2026-11-24T08:30:00Z","data":{}}' % i
            for i in range(100_000)
        ]
        h.supplier.serve_raw(page_bytes(events, "100000", False))
        tracemalloc.reset_peak()
        started = time.monotonic()
        report = _sync(h)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        assert report.error is not None and "100000 events" in report.error
        assert elapsed < 15, elapsed
        assert peak < 128 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
        assert _count(sqlite_db, InboxEvent) == 0
        assert _count(sqlite_db, Alert) == 1


@pytest.mark.parametrize("where", ["in-an-event", "beside-the-events"])
def test_nesting_200000_deep_is_refused_as_a_protocol_error_not_a_crash(sqlite_db: Database, where: str) -> None:
    with hostile_rig(sqlite_db) as h:
        deep = deep_nesting(200_000)
        if where == "in-an-event":
            body = page_bytes([proposal("fine"), b'{"event_id": "deep", "data": ' + deep + b"}"], "2", False)
        else:
            body = b'{"junk": ' + deep + b', "events": [], "next_cursor": "1", "has_more": false}'
        h.supplier.serve_raw(body)
        report = _sync(h)
        assert report.error is not None and "nested more than 32 levels deep" in report.error, report.error
        assert "internal error" not in report.error
        assert _count(sqlite_db, InboxEvent) == 0


def test_replayed_pages_apply_nothing_twice(db: Database) -> None:
    with hostile_rig(db) as h:
        h.supplier.feed = [proposal(f"r{i}", mn=i) for i in range(5)]
        h.supplier.serve_replayed(pages=4)  # the same five events under cursors 1, 2, 3 and 4
        report = _sync(h)
        assert (report.error, report.events_applied, report.events_rejected) == (None, 5, 0)
        assert h.supplier.counts["GET /v1/events"] == 4
        again = _sync(h)
        assert (again.error, again.events_applied) == (None, 0)
        assert _count(db, InboxEvent) == _count(db, ThresholdProposal) == 5


def test_a_token_endpoint_trickling_its_answer_counts_against_the_same_deadline(sqlite_db: Database) -> None:
    from vmi_desktop.models import AuthKind, Vendor
    from vmi_desktop.sync.auth import AuthError

    with hostile_rig(sqlite_db) as h:

        def token_answer(handler: Any, body: bytes) -> None:
            if not handler.path.startswith("/oauth/token"):
                handler.answer(202, b'{"accepted": 1}')
                return
            payload = b'{"access_token": "at-1", "expires_in": 3600}'
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            handler.trickle(head + payload, 0.2)

        h.supplier.post_answer = token_answer
        with sqlite_db.transaction() as s:
            acme = s.get_one(Vendor, h.acme)
            acme.auth_kind, acme.token_url, acme.client_id = AuthKind.OAUTH2, h.supplier.url + "/oauth/token", "me"
        started = time.monotonic()
        report = SyncEngine(sqlite_db, timeout=1.0, wait_for_retries_s=0).sync_vendor(
            h.acme, VendorCredentials(client_secret="cs-1")
        )
        elapsed = time.monotonic() - started
        assert report.error is not None and "token URL" in report.error, report
        assert elapsed < 1.0 + 3.0, elapsed
        with (
            pytest.raises(AuthError),
            VmiConnectClient(
                h.supplier.url,
                "C-42",
                VendorCredentials(client_secret="cs-1"),
                AuthKind.OAUTH2,
                token_url=h.supplier.url + "/oauth/token",
                client_id="me",
                timeout=1.0,
            ) as client,
        ):
            client.health()


@pytest.mark.parametrize(("status", "kept_as"), [(422, "failed"), (503, "pending")])
def test_an_answer_holding_nul_bytes_is_kept_spelled_out_and_the_queue_moves_on(
    db: Database, status: int, kept_as: str
) -> None:
    # PostgreSQL stores no NUL in text: the answer, kept with its message, failed the write at every run
    from vmi_desktop.models import OutboxMessage

    with hostile_rig(db) as h:
        h.supplier.post_answer = lambda handler, body: handler.answer(
            status, b'{"error": "bad\x00input"}', {"Retry-After": "3600"}
        )
        report = _sync(h)
        assert not report.database_error, report.error
        with db.transaction() as s:
            messages = list(s.scalars(select(OutboxMessage)))
        assert messages and all(m.status.value == kept_as for m in messages[:1])
        head = messages[0]
        assert head.response_status == status and head.attempts == 1
        assert head.response_body == '{"error": "bad\\u0000input"}'
        if status == 422:
            assert report.failed == len(messages)  # each one refused for good, none stuck at the head
