"""Small hand-built worlds for tests: a few locations, SKUs, vendors and agreements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands.run import Target
from vmi_desktop.models import (
    ConnectionKind,
    Location,
    PurchaseOrder,
    ReplenishmentMode,
    Sku,
    SupplyAgreement,
    Vendor,
)
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor


@dataclass
class World:
    """Ids of what ``build_world`` created, by code."""

    locations: dict[str, int]
    skus: dict[str, int]
    vendors: dict[str, int]
    agreements: dict[tuple[str, str, str], int]


def build_world(session: Session) -> World:
    """Two locations, three SKUs, two vendors; ACME supplies P-1 and P-2 at WH-1, BOLT supplies P-3."""
    locs = {code: Location(code=code, name=f"Location {code}") for code in ("WH-1", "VAN-7")}
    locs["VAN-7"].allow_negative_stock = False
    skus = {
        pn: Sku(part_number=pn, description=f"Part {pn}", unit_cost=Decimal("2.50")) for pn in ("P-1", "P-2", "P-3")
    }
    vendors = {
        "ACME": Vendor(code="ACME", name="Acme Parts", connection_kind=ConnectionKind.REST, customer_id="C-42"),
        "BOLT": Vendor(code="BOLT", name="Bolt Supply", connection_kind=ConnectionKind.MANUAL),
    }
    session.add_all([*locs.values(), *skus.values(), *vendors.values()])
    session.flush()
    specs = [
        ("ACME", "P-1", "WH-1", ReplenishmentMode.AUTO_PO, 10, 50, 6, 0),
        ("ACME", "P-2", "WH-1", ReplenishmentMode.SUPPLIER_MANAGED, 5, 20, 1, 0),
        ("BOLT", "P-3", "WH-1", ReplenishmentMode.PROPOSAL, 4, 12, 5, 10),
        ("ACME", "P-1", "VAN-7", ReplenishmentMode.AUTO_PO, 1, 3, 1, 0),
    ]
    agreements: dict[tuple[str, str, str], int] = {}
    for vendor, sku, loc, mode, mn, mx, pack, moq in specs:
        a = SupplyAgreement(
            vendor_id=vendors[vendor].id,
            sku_id=skus[sku].id,
            location_id=locs[loc].id,
            supplier_sku=f"{vendor}-{sku}",
            min_qty=Decimal(mn),
            max_qty=Decimal(mx),
            mode=mode,
            pack_size=Decimal(pack),
            moq=Decimal(moq),
            unit_price=Decimal("3.10"),
            lead_time_days=5,
        )
        session.add(a)
        session.flush()
        agreements[(vendor, sku, loc)] = a.id
    return World(
        locations={k: v.id for k, v in locs.items()},
        skus={k: v.id for k, v in skus.items()},
        vendors={k: v.id for k, v in vendors.items()},
        agreements=agreements,
    )


def measure_in(session: Session, sku_id: int, uom: str = "L") -> None:
    """Make a world SKU a measured one (litres by default), so it takes fractional quantities."""
    sku = session.get(Sku, sku_id)
    assert sku is not None
    sku.uom = uom
    session.flush()


def sent_order(
    target: Target, by: Actor, world: World, vendor: str, location: str, *lines: tuple[str, int | Decimal]
) -> PurchaseOrder:
    """An order of ``vendor``'s at ``location`` placed by hand and sent: ``lines`` as (part number, quantity)."""
    return order_commands.create(
        target,
        by,
        vendor_id=world.vendors[vendor],
        location_id=world.locations[location],
        lines=[NewLine(sku_id=world.skus[sku], quantity=Decimal(quantity)) for sku, quantity in lines],
        send=True,
    )
