"""A sync outlives what goes wrong around it: the database going down, a supplier losing its feed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import LEAD, MANAGER
from tests.integration.hostile_supplier import wait_until
from tests.integration.sync_support import TOKEN, rig
from tests.pg import HOW_TO_ENABLE, find_pg_bin, start_cluster
from tests.required import unavailable
from tests.world import build_world
from vmi_desktop import commands
from vmi_desktop.db import Database, create_database
from vmi_desktop.db.migrate import upgrade_database
from vmi_desktop.errors import PermissionDenied
from vmi_desktop.models import AuditEntry, AuthKind, SyncState, ThresholdProposal, Vendor
from vmi_desktop.supplier_server import SupplierServer
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.client import VmiConnectClient
from vmi_desktop.sync.inbox import reset_cursor


def _cli(url: str, *args: str, user: str | None = "pm") -> list[str]:
    """The CLI on ``url``; on PostgreSQL the login is who acts (``user=None``), as the identity rules say."""
    acting = ["--user", user] if user else []
    return [sys.executable, "-m", "vmi_desktop", "--database-url", url, *acting, *args]


class _Output:
    """The lines a subprocess prints, collected on a thread."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def has(self, needle: str, after: int = 0) -> bool:
        return any(needle in line for line in self.lines[after:])

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.mark.postgres
def test_the_sync_daemon_reports_a_database_that_went_down_waits_and_resumes() -> None:
    if find_pg_bin() is None:
        unavailable(HOW_TO_ENABLE)
    cluster = start_cluster()  # its own server: this test stops it
    server = SupplierServer(token=TOKEN, replenish=False).start()
    proc: subprocess.Popen[str] | None = None
    try:
        admin = create_database(cluster.url("postgres"))
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE vmi"))
        admin.dispose()
        url = cluster.url("vmi")
        db = create_database(url)
        upgrade_database(db)
        with db.transaction() as s:
            world = build_world(s)
            acme = s.get_one(Vendor, world.vendors["ACME"])
            acme.base_url, acme.auth_kind, acme.sync_interval_s = server.url, AuthKind.BEARER, 10
        db.dispose()
        env = dict(os.environ, VMI_SUPPLIER_TOKEN_ACME=TOKEN)
        proc = subprocess.Popen(
            _cli(url, "sync", "--timeout", "2", user=None),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        out = _Output(proc)
        assert wait_until(lambda: out.has("ACME: sent"), 30), out.text

        cluster.stop_server()
        assert wait_until(lambda: out.has("database: The database cannot be reached"), 30), out.text
        mark = len(out.lines)
        server.add_event("thresholds.proposed", {"location_code": "WH-1", "sku": "P-1", "min": 3, "max": 30})
        assert proc.poll() is None, out.text  # still running, waiting for the database

        cluster.start_server()
        assert wait_until(lambda: out.has("events applied 1", mark), 60), out.text
        assert out.has("database: reachable again", mark)
        assert proc.poll() is None
        assert "Traceback" not in out.text
        db = create_database(url)
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(ThresholdProposal)) == 1
        db.dispose()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        server.stop()
        cluster.stop()


def test_a_supplier_that_lost_its_feed_is_named_and_the_manager_resets_the_cursor(sqlite_db: Database) -> None:
    db_path = sqlite_db.sqlite_path
    assert db_path is not None
    with rig(sqlite_db, replenish=False) as r:
        for i in range(3):
            r.server.add_event("thresholds.proposed", {"location_code": "WH-1", "sku": "P-1", "min": i, "max": 40})
        assert r.sync().events_applied == 3
        # The supplier restarts without its state: an empty feed that does not know cursor "3".
        fresh = SupplierServer(token=TOKEN, replenish=False).start()
        try:
            with sqlite_db.transaction() as s:
                s.get_one(Vendor, r.acme).base_url = fresh.url
            fresh.add_event("thresholds.proposed", {"location_code": "WH-1", "sku": "P-2", "min": 2, "max": 9})
            stuck = r.sync()
            assert stuck.error is not None and "reset the feed cursor" in stuck.error, stuck.error
            assert "--reset-cursor" in stuck.error

            env = dict(os.environ)
            done = subprocess.run(
                _cli(f"sqlite:///{db_path}", "sync", "--reset-cursor", "--vendor", "ACME"),
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            assert "ACME: feed cursor reset (was '3')" in done.stdout
            with sqlite_db.transaction() as s:
                assert s.get_one(SyncState, r.acme).cursor is None
                entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.reset_cursor")).one()
                assert entry.actor == "pm" and '"old_cursor": "3"' in entry.detail

            again = r.sync()
            assert (again.error, again.events_applied) == (None, 1), again
            assert r.inbox_count() == 4
        finally:
            fresh.stop()


def test_only_a_parts_manager_resets_a_feed_cursor(sqlite_db: Database) -> None:
    with rig(sqlite_db, replenish=False) as r:
        with pytest.raises(PermissionDenied):
            commands.run(sqlite_db, lambda uow: reset_cursor(uow.session, LEAD, r.acme))
        assert commands.run(sqlite_db, lambda uow: reset_cursor(uow.session, MANAGER, r.acme)) is None


def test_the_reference_supplier_keeps_its_feed_and_answers_in_its_state_file(
    sqlite_db: Database, tmp_path: Path
) -> None:
    state = tmp_path / "supplier" / "state.json"
    with rig(sqlite_db, state_path=state) as r:
        assert r.sync().error is None  # full report: it raises orders below min, pulled back
        first_events = len(r.server.state.events)
        assert first_events == 3 and state.exists()
        message_id = str(uuid.uuid4())
        body = {
            "message_id": message_id,
            "customer_id": "C-42",
            "lines": [{"location_code": "WH-1", "sku": "P-1", "date": "2026-11-01", "consumed": 2}],
        }
        with VmiConnectClient(r.server.url, "C-42", VendorCredentials(token=TOKEN)) as client:
            assert client.post_json("/v1/usage", body, message_id).accepted == 1
        port = r.server.port
    # A restart from the file: same feed, same cursors, same answer to a repeated message.
    restarted = SupplierServer(port=port, token=TOKEN, state_path=state).start()
    try:
        assert len(restarted.state.events) == first_events
        assert restarted.state.page("3", 10)["events"] == []
        assert restarted.state.page("1", 10)["events"][0]["event_id"] == r.server.state.events[1]["event_id"]
        with VmiConnectClient(restarted.url, "C-42", VendorCredentials(token=TOKEN)) as client:
            assert client.post_json("/v1/usage", body, message_id).accepted == 1
        assert restarted.state.replayed["usage"] == 1 and restarted.state.double_applied == 0
        with sqlite_db.transaction() as s:
            s.get_one(Vendor, r.acme).base_url = restarted.url
        report = r.sync()
        assert report.error is None and report.events_applied == 0  # nothing lost, nothing twice
    finally:
        restarted.stop()
