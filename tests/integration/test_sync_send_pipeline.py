"""The send loop reads the next message while one is in flight, and the full report reads usage on a second
connection: neither may change what is sent, in which order, or what the outbox records."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from tests.conftest import MANAGER
from tests.integration.sync_support import rig
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.models import OutboxMessage, OutboxStatus, ScopeVersion, SupplyAgreement, utcnow
from vmi_desktop.sync import outbox


def test_a_message_retried_mid_run_is_not_overtaken_by_the_one_read_ahead(db: Database) -> None:
    with rig(db, wait_for_retries_s=5.0, replenish=False) as r:
        with db.transaction() as s:
            for _ in range(3):
                outbox.enqueue_stock_report(s, r.acme, "full")
            outbox.sync_state(s, r.acme).last_full_report_at = utcnow()  # no further report this run
            queued = list(s.scalars(select(OutboxMessage.message_id).order_by(OutboxMessage.id)))
        r.server.add_fault("/v1/stock-reports", "delay", count=1, seconds=0.0)  # the first goes through
        r.server.add_fault("/v1/stock-reports", "status", count=1, status=503)  # the second is refused once

        report = r.sync()

        assert report.error is None and report.sent == 3, report
        received = [c["body"]["message_id"] for c in r.server.state.captured if c["kind"] == "stock-reports"]
        assert received == [queued[0], queued[1], queued[1], queued[2]]
        assert r.server.state.double_applied == 0
        assert r.outbox_counts() == {"sent": 3}


def test_a_message_refused_for_good_is_followed_by_the_one_read_ahead(db: Database) -> None:
    with rig(db, replenish=False) as r:
        with db.transaction() as s:
            for _ in range(2):
                outbox.enqueue_stock_report(s, r.acme, "full")
            outbox.sync_state(s, r.acme).last_full_report_at = utcnow()
        r.server.add_fault("/v1/stock-reports", "status", count=1, status=422)

        report = r.sync()

        assert (report.sent, report.failed) == (1, 1), report
        with db.transaction() as s:
            statuses = list(s.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))
        assert statuses == [OutboxStatus.FAILED, OutboxStatus.SENT]


def test_the_full_report_read_on_two_connections_says_what_one_connection_says(db: Database) -> None:
    with rig(db, replenish=False) as r:
        for days in (40, 20, 3):
            stock.receive(db, MANAGER, "P-1", "WH-1", "30", occurred_at=utcnow() - timedelta(days=days + 1))
            stock.consume(db, MANAGER, "P-1", "WH-1", "3", occurred_at=utcnow() - timedelta(days=days))
        since = utcnow() - timedelta(days=90)

        def queued(full: bool) -> tuple[list[tuple[str, Any]], set[int | None]]:
            with db.transaction() as s:
                if full:
                    outbox.enqueue_full_report(s, db.engine, r.acme, since)
                else:
                    outbox.enqueue_usage(s, r.acme, since)
                    outbox.enqueue_stock_report(s, r.acme, "full")
                rows = s.execute(
                    select(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.scope_version)
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                    .order_by(OutboxMessage.id)
                ).all()
                s.execute(delete(OutboxMessage))
            lines = [(kind, json.loads(payload)["lines"]) for kind, payload, _ in rows]
            for _, batch in lines:  # a pair never counted is stamped with the time the report is read
                for line in batch:
                    line.pop("as_of", None)
            return lines, {v for *_, v in rows}

        one, one_versions = queued(False)
        two, two_versions = queued(True)
        assert [kind for kind, _ in one] == ["usage", "stock_report"]
        assert [kind for kind, _ in two] == ["stock_report", "usage"]  # the usage messages follow now
        assert sorted(two, key=lambda m: m[0]) == sorted(one, key=lambda m: m[0])
        assert len(two[1][1]) == 3  # three days of consumption
        with db.transaction() as s:
            version = s.scalars(select(ScopeVersion.version)).one()
        assert one_versions == two_versions == {version}


def test_a_report_checked_line_by_line_keeps_the_version_it_was_checked_at(db: Database) -> None:
    with rig(db, wait_for_retries_s=0, replenish=False) as r:
        with db.transaction() as s:
            outbox.enqueue_stock_report(s, r.acme, "full")
            outbox.sync_state(s, r.acme).last_full_report_at = utcnow()
            queued_at = s.scalars(select(OutboxMessage.scope_version)).one()
        with db.transaction() as s:
            s.get_one(SupplyAgreement, r.world.agreements[("ACME", "P-2", "WH-1")]).active = False
        r.server.add_fault("/v1/stock-reports", "status", count=1, status=503)

        assert r.sync().sent == 0  # checked line by line, then refused for now

        with db.transaction() as s:
            msg = s.scalars(select(OutboxMessage)).one()
            current = s.scalars(select(ScopeVersion.version)).one()
            assert msg.status is OutboxStatus.PENDING
            assert queued_at is not None and msg.scope_version == current > queued_at
            assert [ln["sku"] for ln in json.loads(msg.payload)["lines"]] == ["P-1", "P-1"]
