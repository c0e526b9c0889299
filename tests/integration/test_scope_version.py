"""The scope version: database triggers move it with every change the send-time check depends on, and a
report queued at the current version is sent as stored while one queued before a change is checked line by line."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, select, text, update

from tests.integration.hostile_supplier import TOKEN, HostileRig, hostile_rig
from tests.world import build_world
from vmi_desktop.db import Database
from vmi_desktop.models import (
    AuditEntry,
    Location,
    OutboxMessage,
    ScopeVersion,
    Sku,
    SupplyAgreement,
    utcnow,
)
from vmi_desktop.sync import outbox
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine

TRIGGERS = {
    f"trg_{table}_scope_{kind}" for table in ("supply_agreements", "skus", "locations") for kind in ("update", "delete")
}


def _version(db: Database) -> int:
    with db.transaction() as s:
        return s.scalars(select(ScopeVersion.version)).one()


def _trigger_names(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            rows = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        return {name for (name,) in rows}


def test_the_scope_triggers_exist_at_the_head(db: Database) -> None:
    # A batch migration that rebuilds one of these tables on SQLite drops its triggers: it must recreate them.
    assert _trigger_names(db) >= TRIGGERS
    assert _version(db) >= 1


@pytest.mark.parametrize(
    "change",
    [
        "deactivate",
        "move_to_other_vendor",
        "delete_agreement",
        "rename_sku",
        "recode_location",
        "delete_location",
    ],
)
def test_every_change_of_scope_moves_the_version(db: Database, change: str) -> None:
    with db.transaction() as s:
        world = build_world(s)
    agreement = world.agreements[("ACME", "P-1", "WH-1")]
    before = _version(db)
    with db.transaction() as s:
        if change == "deactivate":
            s.get_one(SupplyAgreement, agreement).active = False
        elif change == "move_to_other_vendor":
            s.execute(
                update(SupplyAgreement).where(SupplyAgreement.id == agreement).values(vendor_id=world.vendors["BOLT"])
            )
        elif change == "delete_agreement":
            s.execute(delete(SupplyAgreement).where(SupplyAgreement.id == agreement))
        elif change == "rename_sku":
            s.get_one(Sku, world.skus["P-1"]).part_number = "P-1-NEW"
        elif change == "recode_location":
            s.execute(update(Location).where(Location.id == world.locations["VAN-7"]).values(code="VAN-8"))
        else:
            s.execute(delete(SupplyAgreement).where(SupplyAgreement.location_id == world.locations["VAN-7"]))
            s.execute(delete(Location).where(Location.id == world.locations["VAN-7"]))
    assert _version(db) > before


def test_changes_that_keep_the_scope_leave_the_version_alone(db: Database) -> None:
    with db.transaction() as s:
        world = build_world(s)
    before = _version(db)
    with db.transaction() as s:
        a = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        a.min_qty, a.max_qty = a.min_qty + 1, a.max_qty + 1
        s.get_one(Sku, world.skus["P-2"]).description = "renamed description"
        s.get_one(Location, world.locations["WH-1"]).name = "Main warehouse"
    assert _version(db) == before


def _queue_full_report(h: HostileRig) -> None:
    with h.db.transaction() as s:
        outbox.enqueue_stock_report(s, h.acme, "full")
        outbox.enqueue_usage(s, h.acme, utcnow().replace(year=2000))
    with h.db.transaction() as s:
        outbox.sync_state(s, h.acme).last_full_report_at = utcnow()  # no new full report in the run


def _sync(h: HostileRig) -> None:
    report = SyncEngine(h.db, timeout=5.0).sync_vendor(h.acme, VendorCredentials(token=TOKEN))
    assert report.error is None, report


def test_a_report_is_stamped_with_the_version_it_was_read_at_and_sent_as_stored(db: Database) -> None:
    with hostile_rig(db) as h:
        _queue_full_report(h)
        version = _version(db)
        with db.transaction() as s:
            stored = {m.message_id: m for m in s.scalars(select(OutboxMessage))}
        assert stored and {m.scope_version for m in stored.values()} == {version}

        _sync(h)

        posts = h.supplier.posts("/v1/stock-reports")
        assert len(posts) == 1
        assert posts[0].body == stored[posts[0].json()["message_id"]].payload.encode("utf-8")


def test_a_sku_renamed_after_queueing_is_left_out_when_sent(db: Database) -> None:
    with hostile_rig(db) as h:
        _queue_full_report(h)
        with db.transaction() as s:
            s.get_one(Sku, h.world.skus["P-2"]).part_number = "P-2B"  # the queued lines still say P-2

        _sync(h)

        sent = [
            (ln["location_code"], ln["sku"]) for r in h.supplier.posts("/v1/stock-reports") for ln in r.json()["lines"]
        ]
        assert ("WH-1", "P-1") in sent and ("VAN-7", "P-1") in sent
        assert ("WH-1", "P-2") not in sent and ("WH-1", "P-2B") not in sent
        with db.transaction() as s:
            entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.scope_at_send")).first()
            assert entry is not None and json.loads(entry.detail)["left_out"] == ["P-2 at WH-1"]


def test_an_agreement_moved_to_another_vendor_after_queueing_is_left_out_when_sent(db: Database) -> None:
    with hostile_rig(db) as h:
        _queue_full_report(h)
        with db.transaction() as s:
            s.execute(
                update(SupplyAgreement)
                .where(SupplyAgreement.id == h.world.agreements[("ACME", "P-1", "VAN-7")])
                .values(vendor_id=h.world.vendors["BOLT"])
            )

        _sync(h)

        sent = [
            (ln["location_code"], ln["sku"]) for r in h.supplier.posts("/v1/stock-reports") for ln in r.json()["lines"]
        ]
        assert sorted(sent) == [("WH-1", "P-1"), ("WH-1", "P-2")]


def test_messages_queued_before_the_version_existed_are_checked_line_by_line(db: Database) -> None:
    with hostile_rig(db) as h:
        _queue_full_report(h)
        with db.transaction() as s:
            s.execute(update(OutboxMessage).values(scope_version=None))
        with db.engine.begin() as conn:  # a change the counter does not see (as if made before migration 0011)
            name = "trg_supply_agreements_scope_update"
            conn.execute(text(f"DROP TRIGGER {name}" + ("" if db.is_sqlite else " ON supply_agreements")))
        with db.transaction() as s:
            s.get_one(SupplyAgreement, h.world.agreements[("ACME", "P-2", "WH-1")]).active = False

        _sync(h)

        sent = [
            (ln["location_code"], ln["sku"]) for r in h.supplier.posts("/v1/stock-reports") for ln in r.json()["lines"]
        ]
        assert ("WH-1", "P-2") not in sent and ("WH-1", "P-1") in sent
