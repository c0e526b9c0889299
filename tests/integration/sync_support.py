"""Shared helpers for the sync tests: a world connected to a reference supplier on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from tests.world import World, build_world
from vmi_desktop.db import Database
from vmi_desktop.models import AuthKind, InboxEvent, OutboxMessage, OutboxStatus, Vendor, utcnow
from vmi_desktop.supplier_server import SupplierServer
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine, SyncReport
from vmi_desktop.sync.outbox import Backoff

TOKEN = "tok-Zq8-secret-e2e-4711"


@dataclass
class Rig:
    db: Database
    world: World
    server: SupplierServer
    engine: SyncEngine
    creds: VendorCredentials

    @property
    def acme(self) -> int:
        return self.world.vendors["ACME"]

    def sync(self) -> SyncReport:
        return self.engine.sync_vendor(self.acme, self.creds)

    def drain(self, runs: int = 10) -> list[SyncReport]:
        """Sync until nothing is pending and a run ends without error."""
        reports = []
        for _ in range(runs):
            report = self.sync()
            reports.append(report)
            if report.error is None and report.pending == 0:
                return reports
        raise AssertionError(f"sync did not settle: {reports}")

    def outbox_counts(self) -> dict[str, int]:
        with self.db.transaction() as s:
            rows = s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        return {st.value: n for st, n in rows}

    def inbox_count(self) -> int:
        with self.db.transaction() as s:
            return int(s.scalar(select(func.count()).select_from(InboxEvent)) or 0)

    def sent(self, kind: str | None = None) -> int:
        with self.db.transaction() as s:
            stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
            if kind:
                stmt = stmt.where(OutboxMessage.kind == kind)
            return int(s.scalar(stmt) or 0)


@contextmanager
def rig(
    db: Database,
    *,
    timeout: float = 2.0,
    wait_for_retries_s: float = 5.0,
    clock: Callable[[], datetime] = utcnow,
    **server_options: Any,
) -> Iterator[Rig]:
    """A small world whose vendor ACME talks bearer to a reference supplier on a free loopback port.

    ``clock`` is the engine's now (a ``tests.clock.ManualUtcClock`` to pass a back-off without waiting).
    """
    server = SupplierServer(token=TOKEN, vendor_name="Acme Parts", capture=True, **server_options)
    server.start()
    try:
        with db.transaction() as s:
            world = build_world(s)
            acme = s.get(Vendor, world.vendors["ACME"])
            assert acme is not None
            acme.base_url = server.url
            acme.auth_kind = AuthKind.BEARER
        engine = SyncEngine(
            db,
            backoff=Backoff(initial_s=0.02, max_s=0.5),
            timeout=timeout,
            wait_for_retries_s=wait_for_retries_s,
            full_report_every=timedelta(days=1),
            clock=clock,
        )
        yield Rig(db, world, server, engine, VendorCredentials(token=TOKEN))
    finally:
        server.stop()
