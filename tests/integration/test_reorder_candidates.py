"""The full reorder run reads its candidates off the ledger's copy of on hand on the agreements
(``pair_on_hand - min_qty <= 0``, an index range) and judges them exactly: it must find exactly what
judging every pair finds, whatever the postings, open orders, snoozes and flags did to the pairs."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.models import (
    Location,
    POOrigin,
    POStatus,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.replenishment import orders, reorder, snoozes
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor

MODES = [ReplenishmentMode.AUTO_PO, ReplenishmentMode.PROPOSAL, ReplenishmentMode.SUPPLIER_MANAGED]


def _build(db: Database, lead: Actor, manager: Actor, seed: int) -> list[tuple[int, int]]:
    """20 SKUs x 3 locations of one vendor each, stock set and moved through the ledger; every pair."""
    rng = random.Random(seed)
    with db.transaction() as s:
        locations = [Location(code=f"L-{i}", name=f"Location {i}") for i in range(3)]
        skus = [Sku(part_number=f"C-{i:02d}", description="part") for i in range(20)]
        vendors = [Vendor(code=f"V-{i}", name=f"Vendor {i}") for i in range(2)]
        s.add_all([*locations, *skus, *vendors])
        s.flush()
        pairs = [(sku.id, loc.id) for sku in skus for loc in locations]
        for n, (sku, loc) in enumerate((sku, loc) for sku in skus for loc in locations):
            mn = rng.randint(0, 12)
            s.add(
                SupplyAgreement(
                    vendor_id=vendors[n % 2].id,
                    sku_id=sku.id,
                    location_id=loc.id,
                    min_qty=Decimal(mn),
                    max_qty=Decimal(mn + rng.randint(0, 20)),
                    mode=MODES[n % 3],
                    pack_size=Decimal(rng.choice((1, 4, 6))),
                    moq=Decimal(rng.choice((0, 0, 10))),
                )
            )
        s.flush()
        for sku in skus:
            for loc in locations:
                kind = rng.random()
                if kind < 0.15:
                    continue  # never posted: no stock level, on hand 0
                received = rng.randint(1, 30)
                ledger.post_receipt(s, lead, sku.part_number, loc.code, received)
                if kind < 0.6:
                    ledger.post_consumption(s, lead, sku.part_number, loc.code, rng.randint(1, received))
                if kind > 0.9:
                    ledger.post_adjustment(s, lead, sku.part_number, loc.code, -1, reason="count")
        # open order lines lift some low pairs above min, others not
        for sku_id, location_id in rng.sample(pairs, 15):
            agreement = s.scalar(
                select(SupplyAgreement).where(
                    SupplyAgreement.sku_id == sku_id, SupplyAgreement.location_id == location_id
                )
            )
            assert agreement is not None
            orders.create_order(
                s,
                manager,
                vendor_id=agreement.vendor_id,
                location_id=location_id,
                lines=[NewLine(sku_id=sku_id, quantity=Decimal(rng.randint(1, 12)))],
                origin=POOrigin.MANUAL,
                status=rng.choice((POStatus.DRAFT, POStatus.SENT)),
            )
    return pairs


Judged = tuple[int, int, int, ReplenishmentMode, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]


def _judged(needs: list[reorder.ReorderNeed]) -> list[Judged]:
    """Each need as (pair, agreement, mode, on hand, on order, position, min, max, quantity), sorted."""
    return sorted(
        (
            n.sku_id,
            n.location_id,
            n.agreement_id,
            n.mode,
            n.on_hand,
            n.on_order,
            n.position,
            n.min_qty,
            n.max_qty,
            n.quantity,
        )
        for n in needs
    )


def _both_ways(db: Database, pairs: list[tuple[int, int]]) -> tuple[list[Judged], list[Judged]]:
    with db.transaction() as s:
        full = reorder.evaluate(s, dry_run=True).needs
        every_pair = reorder.evaluate(s, dry_run=True, pairs=pairs).needs  # each pair judged, no copy read
    return _judged(full), _judged(every_pair)


@pytest.mark.parametrize("seed", [3, 11])
def test_the_full_run_finds_exactly_what_judging_every_pair_finds(
    db: Database, lead: Actor, manager: Actor, seed: int
) -> None:
    pairs = _build(db, lead, manager, seed)
    full, every_pair = _both_ways(db, pairs)
    assert full == every_pair and len(full) >= 10
    # snoozed, deactivated and secondary pairs drop out of both the same way
    rng = random.Random(seed)
    low = [(need[0], need[1]) for need in full]
    with db.transaction() as s:
        snoozes.snooze(s, manager, rng.sample(low, 3), until=utcnow().date() + timedelta(days=5), reason="later")
        s.execute(update(Sku).where(Sku.id == pairs[0][0]).values(active=False))
        s.execute(update(SupplyAgreement).where(SupplyAgreement.sku_id == pairs[-1][0]).values(is_primary=False))
    again, every_pair_again = _both_ways(db, pairs)
    assert again == every_pair_again and len(again) < len(full)


def test_an_agreement_the_ledger_never_copied_onto_is_still_judged(db: Database, lead: Actor, manager: Actor) -> None:
    """An agreement added past the ledger and ``copy_onto_new_agreements`` holds a 0 copy: the index
    offers it (0 is at or below any min), and its real stock decides."""
    pairs = _build(db, lead, manager, 5)
    with db.transaction() as s:
        loc = Location(code="L-NEW", name="New")
        sku = Sku(part_number="C-NEW", description="part")
        vendor_id = s.scalar(select(Vendor.id).limit(1))
        s.add_all([loc, sku])
        s.flush()
        ledger.post_receipt(s, lead, "C-NEW", "L-NEW", 3)  # stock first, no agreement to copy onto
        s.add(
            SupplyAgreement(
                vendor_id=vendor_id,
                sku_id=sku.id,
                location_id=loc.id,
                min_qty=Decimal(5),
                max_qty=Decimal(9),
                mode=ReplenishmentMode.AUTO_PO,
            )
        )
        s.flush()
        copy = s.scalar(select(SupplyAgreement.pair_on_hand).where(SupplyAgreement.sku_id == sku.id))
        level = s.scalar(select(StockLevel.on_hand).where(StockLevel.sku_id == sku.id))
        assert copy == 0 and level == 3
        pairs.append((sku.id, loc.id))
    full, every_pair = _both_ways(db, pairs)
    assert full == every_pair
    new = [n for n in full if n[:2] == pairs[-1]]
    assert [(n[6], n[9]) for n in new] == [(Decimal(3), Decimal(6))], "the pair that holds no copy was missed"
