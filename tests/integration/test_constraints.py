"""Constraints live in the schema: each violation is refused with a clear reason, nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tests.conftest import row_count
from tests.world import World
from vmi_desktop.db import Database, describe_db_error
from vmi_desktop.models import Location, Role, Sku, SupplyAgreement, User, Vendor


def _agreement(world: World, **overrides: object) -> SupplyAgreement:
    fields: dict[str, object] = dict(
        vendor_id=world.vendors["BOLT"],
        sku_id=world.skus["P-2"],
        location_id=world.locations["VAN-7"],
        min_qty=Decimal(2),
        max_qty=Decimal(8),
        pack_size=Decimal(1),
        moq=Decimal(0),
    )
    fields.update(overrides)
    return SupplyAgreement(**fields)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"min_qty": Decimal(12), "max_qty": Decimal(8)}, "min is above max"),
        ({"min_qty": Decimal(-1)}, "min is negative"),
        ({"pack_size": Decimal(0)}, "pack size must be above zero"),
        ({"pack_size": Decimal(-6)}, "pack size must be above zero"),
        ({"moq": Decimal(-1)}, "minimum order quantity is negative"),
        ({"lead_time_days": -2}, "lead time is negative"),
    ],
)
def test_bad_agreement_is_refused_with_reason(
    db: Database, world: World, overrides: dict[str, object], reason: str
) -> None:
    before = row_count(db, SupplyAgreement)
    with pytest.raises(IntegrityError) as info, db.transaction() as s:
        s.add(_agreement(world, **overrides))
    assert describe_db_error(info.value) == f"Rejected: {reason}."
    assert row_count(db, SupplyAgreement) == before


def test_second_primary_agreement_for_same_pair_is_refused(db: Database, world: World) -> None:
    with pytest.raises(IntegrityError) as info, db.transaction() as s:
        s.add(_agreement(world, sku_id=world.skus["P-1"], location_id=world.locations["WH-1"]))
    assert "primary agreement" in describe_db_error(info.value)


def test_backup_agreement_for_same_pair_is_allowed(db: Database, world: World) -> None:
    with db.transaction() as s:
        s.add(_agreement(world, sku_id=world.skus["P-1"], location_id=world.locations["WH-1"], is_primary=False))
    with db.sessions() as s:
        n = s.scalar(
            select(func.count())
            .select_from(SupplyAgreement)
            .where(SupplyAgreement.sku_id == world.skus["P-1"], SupplyAgreement.location_id == world.locations["WH-1"])
        )
    assert n == 2


@pytest.mark.parametrize(
    ("model", "fields", "reason"),
    [
        (Sku, {"part_number": "P-1"}, "part number is already used"),
        (Location, {"code": "WH-1", "name": "dup"}, "location code is already used"),
        (Vendor, {"code": "ACME", "name": "dup"}, "vendor code is already used"),
    ],
)
def test_duplicate_codes_are_refused(
    db: Database, world: World, model: type, fields: dict[str, str], reason: str
) -> None:
    with pytest.raises(IntegrityError) as info, db.transaction() as s:
        s.add(model(**fields))
    assert reason in describe_db_error(info.value)


def test_supplier_user_must_be_bound_to_a_vendor(db: Database, world: World) -> None:
    with pytest.raises(IntegrityError) as info, db.transaction() as s:
        s.add(User(username="rep", role=Role.SUPPLIER))
    assert "bound to exactly one vendor" in describe_db_error(info.value)


def test_stale_edit_is_refused_by_the_version_column(db: Database, world: World) -> None:
    with db.sessions() as first, db.sessions() as second:
        a1 = first.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        a2 = second.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        a1.max_qty = Decimal(60)
        first.commit()
        a2.max_qty = Decimal(70)
        with pytest.raises(StaleDataError):
            second.commit()
    with db.sessions() as s:
        stored = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        assert stored.max_qty == Decimal(60) and stored.version == 2


def test_quantities_keep_three_decimals_exactly(db: Database, world: World) -> None:
    with db.transaction() as s:
        a = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        a.min_qty = Decimal("0.125")
        a.max_qty = Decimal("1234567.891")
    with db.sessions() as s:
        a = s.get_one(SupplyAgreement, world.agreements[("ACME", "P-1", "WH-1")])
        assert (a.min_qty, a.max_qty) == (Decimal("0.125"), Decimal("1234567.891"))
