"""catalog_service on SQLite and PostgreSQL: validation, optimistic locking, roles, audit, bulk edits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.world import World, measure_in
from vmi_desktop import catalog_service as cs
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied, ValidationError
from vmi_desktop.models import AuditEntry, Criticality, Location, ReplenishmentMode, Role, Sku, SupplyAgreement
from vmi_desktop.scope import Actor

ALICE = Actor(name="alice", role=Role.PARTS_MANAGER)


class _Stop(Exception):
    pass


def _agreement(db: Database, agreement_id: int) -> SupplyAgreement:
    with db.sessions() as session:
        return session.get(SupplyAgreement, agreement_id)  # type: ignore[return-value]


def _audit(db: Database, action: str) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_update_agreement_changes_fields_bumps_version_and_audits(db: Database, world: World, manager: Actor) -> None:
    agreement_id = world.agreements[("ACME", "P-1", "WH-1")]
    with db.transaction() as session:
        cs.update_agreement(session, manager, agreement_id, 1, min_qty="12", mode="proposal", pack_size="3")
    agreement = _agreement(db, agreement_id)
    assert (agreement.min_qty, agreement.mode, agreement.pack_size) == (
        Decimal(12),
        ReplenishmentMode.PROPOSAL,
        Decimal(3),
    )
    assert (agreement.version, agreement.updated_by) == (2, "pm")
    [entry] = _audit(db, "agreement.update")
    detail = json.loads(entry.detail)
    assert detail["min_qty"] == ["10", "12"]
    assert detail["mode"] == ["auto_po", "proposal"]
    assert (detail["sku"], detail["location"]) == ("P-1", "WH-1")


def test_min_above_max_names_the_sku_and_location(db: Database, world: World, manager: Actor) -> None:
    with (
        pytest.raises(ValidationError, match=r"^min \(60\) is above max \(50\) for SKU P-1 at WH-1$"),
        db.transaction() as session,
    ):
        cs.update_agreement(session, manager, world.agreements[("ACME", "P-1", "WH-1")], 1, min_qty="60")
    assert _agreement(db, world.agreements[("ACME", "P-1", "WH-1")]).min_qty == Decimal(10)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pack_size", "-1", "pack size must not be negative, got -1"),
        ("pack_size", "0", "pack size must not be zero"),
        ("lead_time_days", "1.5", "lead time (days) must be a whole number, got '1.5'"),
        ("mode", "sometimes", "replenishment mode 'sometimes' is not one of: supplier_managed, auto_po, proposal"),
        ("min_qty", "abc", "min must be a plain number such as 12 or 0.5, got 'abc'"),
    ],
)
def test_field_values_are_refused_with_a_reason(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        cs.parse_field("agreement", field, value)
    assert str(caught.value) == message


def test_stale_version_is_a_conflict_naming_who_and_when(db: Database, world: World, manager: Actor) -> None:
    agreement_id = world.agreements[("ACME", "P-2", "WH-1")]
    with db.transaction() as session:
        cs.update_agreement(session, ALICE, agreement_id, 1, max_qty="40")
    with (
        pytest.raises(cs.RowConflict, match=r"changed by alice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC") as caught,
        db.transaction() as session,
    ):
        cs.update_agreement(session, manager, agreement_id, 1, max_qty="30")
    assert (caught.value.entity, caught.value.entity_id) == ("agreement", agreement_id)
    assert _agreement(db, agreement_id).max_qty == Decimal(40)


def test_concurrent_write_between_read_and_flush_is_a_conflict(db: Database, world: World, manager: Actor) -> None:
    """Both read version 1; the second flush finds the row moved on (StaleDataError -> RowConflict)."""
    agreement_id = world.agreements[("ACME", "P-2", "WH-1")]
    with db.sessions() as mine:
        row = mine.get(SupplyAgreement, agreement_id)
        assert row is not None and row.version == 1
        with db.transaction() as theirs:
            cs.update_agreement(theirs, ALICE, agreement_id, None, max_qty="44")
        with pytest.raises(cs.RowConflict, match="changed by someone else meanwhile"):
            cs._apply(mine, manager, row, "agreement", "P-2 at WH-1", {"max_qty": Decimal(33)})
        mine.rollback()
    assert _agreement(db, agreement_id).max_qty == Decimal(44)


def test_lead_and_supplier_may_not_change_master_data(db: Database, world: World, lead: Actor) -> None:
    supplier = Actor(name="acme", role=Role.SUPPLIER, vendor_id=world.vendors["ACME"])
    for actor in (lead, supplier):
        with pytest.raises(PermissionDenied), db.transaction() as session:
            cs.update_agreement(session, actor, world.agreements[("ACME", "P-1", "WH-1")], None, min_qty="1")
        with pytest.raises(PermissionDenied), db.transaction() as session:
            cs.create_sku(session, actor, part_number="P-X")
    assert _audit(db, "sku.create") == []


def test_create_master_data_and_refuse_duplicates(db: Database, world: World, manager: Actor) -> None:
    with db.transaction() as session:
        sku = cs.create_sku(session, manager, part_number=" P-7 ", unit_cost="1.25", criticality="critical")
        location = cs.create_location(session, manager, code="SITE-3", name="Site 3", kind="field_site")
        vendor = cs.create_vendor(session, manager, code="ZED", name="Zed", sync_interval_s=60)
    assert (sku.part_number, sku.criticality) == ("P-7", Criticality.CRITICAL)
    assert location.kind.value == "field_site" and vendor.sync_interval_s == 60
    with pytest.raises(ValidationError, match="part number P-7 is already used"), db.transaction() as session:
        cs.create_sku(session, manager, part_number="P-7")
    with pytest.raises(ValidationError, match="sync interval"), db.transaction() as session:
        cs.create_vendor(session, manager, code="Q", name="Q", sync_interval_s=5)
    assert [e.entity for e in _audit(db, "sku.create")] == ["sku"]


def test_create_agreement_checks_refs_thresholds_and_single_primary(db: Database, world: World, manager: Actor) -> None:
    with pytest.raises(NotFoundError, match="unknown vendor 'NOPE'"), db.transaction() as session:
        cs.create_agreement(session, manager, vendor="NOPE", sku="P-3", location="VAN-7", min_qty=1, max_qty=2)
    with (
        pytest.raises(ValidationError, match=r"min \(5\) is above max \(2\) for SKU P-3 at VAN-7"),
        db.transaction() as session,
    ):
        cs.create_agreement(session, manager, vendor="BOLT", sku="P-3", location="VAN-7", min_qty=5, max_qty=2)
    with pytest.raises(ValidationError, match="already has a primary agreement with ACME"), db.transaction() as session:
        cs.create_agreement(session, manager, vendor="BOLT", sku="P-1", location="WH-1", min_qty=1, max_qty=2)
    with db.transaction() as session:
        backup = cs.create_agreement(
            session, manager, vendor="BOLT", sku="P-1", location="WH-1", min_qty=1, max_qty=2, is_primary=False
        )
    assert backup.is_primary is False
    with pytest.raises(ValidationError, match="already has a primary agreement"), db.transaction() as session:
        cs.update_agreement(session, manager, backup.id, 1, is_primary=True)


def test_deactivate_and_reactivate_are_audited(db: Database, world: World, manager: Actor) -> None:
    with db.transaction() as session:
        cs.set_sku_active(session, manager, world.skus["P-3"], False, expected_version=1)
    with db.transaction() as session:
        assert session.get(Sku, world.skus["P-3"]).active is False  # type: ignore[union-attr]
        cs.set_sku_active(session, manager, world.skus["P-3"], True)
    assert len(_audit(db, "sku.deactivate")) == 1 and len(_audit(db, "sku.activate")) == 1
    with pytest.raises(cs.RowConflict), db.transaction() as session:
        cs.set_location_active(session, manager, world.locations["VAN-7"], False, expected_version=7)


def test_bulk_set_scale_and_copy_are_set_based_and_bump_versions(db: Database, world: World, manager: Actor) -> None:
    wh1 = [world.agreements[k] for k in (("ACME", "P-1", "WH-1"), ("ACME", "P-2", "WH-1"), ("BOLT", "P-3", "WH-1"))]
    with db.transaction() as session:
        result = cs.bulk_edit_thresholds(session, manager, wh1, cs.SetThresholds(Decimal(4), Decimal(9)))
    assert result == cs.BulkResult(changed=3, skipped=0)
    assert {(_agreement(db, i).min_qty, _agreement(db, i).max_qty, _agreement(db, i).version) for i in wh1} == {
        (Decimal(4), Decimal(9), 2)
    }
    with db.transaction() as session:  # P-1 is counted in EA: 4.5 and 10.125 round half up to whole units
        preview = cs.preview_thresholds(session, manager, wh1[:1], cs.ScaleThresholds(Decimal("12.5")))
        assert (preview.changed, preview.rounded_to_whole) == (1, 1)
        assert "1 rounded to whole units" in preview.summary()
        cs.bulk_edit_thresholds(session, manager, wh1[:1], cs.ScaleThresholds(Decimal("12.5")))
    assert (_agreement(db, wh1[0]).min_qty, _agreement(db, wh1[0]).max_qty) == (Decimal(5), Decimal(10))
    van = world.agreements[("ACME", "P-1", "VAN-7")]
    with db.transaction() as session:
        result = cs.bulk_edit_thresholds(session, manager, [van], cs.CopyThresholds("WH-1"))
    assert result == cs.BulkResult(changed=1, skipped=0)
    assert (_agreement(db, van).min_qty, _agreement(db, van).max_qty) == (Decimal(5), Decimal(10))
    with db.transaction() as session:  # P-2 has no agreement at VAN-7 to copy from: skipped
        result = cs.bulk_edit_thresholds(session, manager, [wh1[1]], cs.CopyThresholds("VAN-7"))
    assert result == cs.BulkResult(changed=0, skipped=1)
    entries = _audit(db, "agreement.bulk_thresholds")
    assert [json.loads(e.detail)["op"] for e in entries] == ["set", "scale", "copy", "copy"]


def test_bulk_edit_cancelled_midway_changes_nothing(db: Database, world: World, manager: Actor) -> None:
    ids = list(world.agreements.values())
    calls: list[float] = []

    def report(fraction: float, _text: str) -> None:
        calls.append(fraction)
        if len(calls) == 2:
            raise _Stop()

    with pytest.raises(_Stop), db.transaction() as session:
        cs.bulk_edit_thresholds(session, manager, ids, cs.ScaleThresholds(Decimal(50)), report=report, chunk_size=2)
    assert calls == [0.0, 0.5]
    assert _agreement(db, world.agreements[("ACME", "P-1", "WH-1")]).min_qty == Decimal(10)
    assert _audit(db, "agreement.bulk_thresholds") == []


def test_bulk_scale_keeps_three_decimals_for_a_measured_unit_exactly(
    db: Database, world: World, manager: Actor
) -> None:
    with db.transaction() as session:
        measure_in(session, world.skus["P-1"], "L")
        ids = [world.agreements[("ACME", "P-1", "WH-1")]]
        cs.bulk_edit_thresholds(session, manager, ids, cs.ScaleThresholds(Decimal("12.5")))
        cs.bulk_edit_thresholds(session, manager, ids, cs.ScaleThresholds(Decimal("0.01")))
    # 10 * 1.125 = 11.25, * 1.0001 = 11.251125 -> 11.251; 50 -> 56.25 -> 56.255625 -> 56.256 (half up)
    assert (_agreement(db, ids[0]).min_qty, _agreement(db, ids[0]).max_qty) == (Decimal("11.251"), Decimal("56.256"))


def test_bulk_set_refuses_a_fraction_for_whole_units(db: Database, world: World, manager: Actor) -> None:
    ids = [world.agreements[("ACME", "P-1", "WH-1")]]
    refused = r"min 6\.6 has a fraction, but P-1 is counted in EA"
    with pytest.raises(ValidationError, match=refused), db.transaction() as session:
        cs.bulk_edit_thresholds(session, manager, ids, cs.SetThresholds(Decimal("6.6"), Decimal(20)))


def test_bulk_refuses_a_lead_and_a_bad_set(db: Database, world: World, lead: Actor, manager: Actor) -> None:
    with pytest.raises(PermissionDenied), db.transaction() as session:
        cs.bulk_edit_thresholds(session, lead, [1], cs.ScaleThresholds(Decimal(5)))
    with pytest.raises(ValidationError, match=r"min \(9\) is above max \(3\)"), db.transaction() as session:
        cs.bulk_edit_thresholds(session, manager, [1], cs.SetThresholds(Decimal(9), Decimal(3)))
    with pytest.raises(ValidationError, match="above -100"), db.transaction() as session:
        cs.bulk_edit_thresholds(session, manager, [1], cs.ScaleThresholds(Decimal(-100)))


def test_location_update_refuses_a_used_code(db: Database, world: World, manager: Actor) -> None:
    with pytest.raises(ValidationError, match="location code WH-1 is already used"), db.transaction() as session:
        cs.update_location(session, manager, world.locations["VAN-7"], 1, code="WH-1")
    with db.sessions() as session:
        assert session.get(Location, world.locations["VAN-7"]).code == "VAN-7"  # type: ignore[union-attr]
