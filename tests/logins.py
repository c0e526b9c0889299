"""Real PostgreSQL logins for the identity and row-level security tests, made through the app itself.

``shared_world`` fills a fresh test database (as the cluster's superuser, the database's first parts
manager) with two vendors that share a pair: ACME is the primary supplier of P-1 at WH-1 and BOLT its
backup with other thresholds, mode and price. Each vendor has orders, shipments, receipts, alerts,
proposals, sync messages and audit entries, so every table has rows of both. ``add_logins`` adds a
supplier user per vendor, a warehouse lead and a second parts manager, each with its own password,
through ``users.add_user`` (which creates the PostgreSQL logins); ``connect_as`` opens the database as
one of them over TCP, the password handed in the way the app gets it from the keyring.

Login names are cluster-wide, so each world gets its own suffix.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

from tests.world import World, build_world
from vmi_desktop import users
from vmi_desktop.commands import orders as order_commands
from vmi_desktop.commands import stock as stock_commands
from vmi_desktop.commands.reorder import scheduled_run
from vmi_desktop.commands.thresholds import ProposedThresholds, propose_thresholds
from vmi_desktop.db import Database, create_database
from vmi_desktop.identity import login_postgresql
from vmi_desktop.models import (
    ConnectionKind,
    PurchaseOrder,
    ReplenishmentMode,
    Role,
    SupplyAgreement,
    Vendor,
)
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor, vendor_actor
from vmi_desktop.sync import inbox


@dataclass
class SharedWorld:
    """The ids of the world, its first parts manager, and the orders made for each vendor."""

    world: World
    manager: Actor
    orders: dict[str, list[int]] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def acme(self) -> int:
        return self.world.vendors["ACME"]

    @property
    def bolt(self) -> int:
        return self.world.vendors["BOLT"]


def _pair(world: World, sku: str, location: str) -> tuple[int, int]:
    return world.skus[sku], world.locations[location]


#: What BOLT's backup agreement for the pair it shares with ACME says: values found nowhere else, so that a
#: test can look for them on every page ACME's users see.
BOLT_SECRET: dict[str, Any] = {
    "supplier_sku": "BOLT-SECRET-P1",
    "min": Decimal(717),
    "max": Decimal(939),
    "price": Decimal("6.6601"),
}


def add_backup_agreement(session: Session, world: World) -> int:
    """BOLT as the backup supplier of ACME's P-1 at WH-1, with its own thresholds, mode and price."""
    backup = SupplyAgreement(
        vendor_id=world.vendors["BOLT"],
        sku_id=world.skus["P-1"],
        location_id=world.locations["WH-1"],
        supplier_sku=str(BOLT_SECRET["supplier_sku"]),
        min_qty=BOLT_SECRET["min"],
        max_qty=BOLT_SECRET["max"],
        mode=ReplenishmentMode.PROPOSAL,
        pack_size=Decimal(1),
        unit_price=BOLT_SECRET["price"],
        is_primary=False,
        lead_time_days=3,
    )
    session.add(backup)
    session.flush()
    world.agreements[("BOLT", "P-1", "WH-1")] = backup.id
    return backup.id


def shared_world(db: Database) -> SharedWorld:
    """Two vendors sharing P-1 at WH-1, with rows of both in every table (see the module docstring)."""
    manager = login_postgresql(db) if db.is_postgresql else Actor("pm", Role.PARTS_MANAGER, login="pm")
    with db.transaction() as s:
        world = build_world(s)
        for vendor in world.vendors.values():
            s.get_one(Vendor, vendor).connection_kind = ConnectionKind.REST
        add_backup_agreement(s, world)
    sw = SharedWorld(world, manager)
    for sku, loc, qty in (("P-1", "WH-1", 40), ("P-2", "WH-1", 8), ("P-3", "WH-1", 9), ("P-1", "VAN-7", 2)):
        stock_commands.receive(db, manager, sku, loc, Decimal(qty))
    stock_commands.consume(db, manager, "P-1", "WH-1", Decimal(3), reference="JOB-1")
    stock_commands.consume(db, manager, "P-3", "WH-1", Decimal(2), reference="JOB-2")
    stock_commands.count(db, manager, "P-2", "WH-1", Decimal(8))
    stock_commands.count(db, manager, "P-3", "WH-1", Decimal(7))
    for code, sku in (("ACME", "P-1"), ("ACME", "P-2"), ("BOLT", "P-1"), ("BOLT", "P-3")):
        po = order_commands.create(
            db,
            manager,
            vendor_id=world.vendors[code],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus[sku], quantity=Decimal(4))],
            send=True,
            need_by=date(2026, 12, 20),
        )
        sw.orders.setdefault(code, []).append(po.id)
    for code in ("ACME", "BOLT"):
        supplier = vendor_actor(world.vendors[code], code)
        first = sw.orders[code][0]
        order_commands.acknowledge(db, supplier, first)
        order_commands.ship(db, supplier, first, shipment_id=f"ASN-{code}", lines={1: Decimal(4)}, carrier="DHL")
        order_commands.receive(db, manager, first, {1: Decimal(4)})
        agreement = world.agreements[(code, "P-1", "WH-1")]
        propose_thresholds(db, supplier, [ProposedThresholds(agreement, Decimal(3), Decimal(30), f"{code} season")])
        with db.unit_of_work() as uow:
            inbox.apply_page(uow, world.vendors[code], [{"event_id": f"bad-{code}", "type": "nonsense"}], None)
    scheduled_run(db, manager)
    return sw


def add_logins(db: Database, sw: SharedWorld) -> SharedWorld:
    """A supplier login per vendor, a warehouse lead and a second parts manager, each with a password."""
    suffix = secrets.token_hex(3)
    wanted = {
        "acme": (Role.SUPPLIER, "ACME"),
        "bolt": (Role.SUPPLIER, "BOLT"),
        "lead": (Role.WAREHOUSE_LEAD, None),
        "pm": (Role.PARTS_MANAGER, None),
    }
    with db.transaction() as s:
        for key, (role, vendor) in wanted.items():
            name = f"{key}_{suffix}"
            password = secrets.token_urlsafe(16)
            users.add_user(s, sw.manager, name, role, vendor, password=password)
            sw.logins[key] = name
            sw.passwords[key] = password
    return sw


def login_url(db: Database, login: str) -> str:
    """The test database's URL for another login, without any password (it comes from a password source)."""
    url = make_url(db.url).set(username=login, password=None)
    return url.render_as_string(hide_password=False)


def connect_as(db: Database, sw: SharedWorld, key: str, *, password: str | None = None) -> Database:
    """The test database opened over TCP as the login ``key`` ("acme", "bolt", "lead", "pm")."""
    login = sw.logins[key]
    secret = sw.passwords[key] if password is None else password
    return create_database(login_url(db, login), password=lambda _h, _p, _d, _u: secret)


def order_of(db: Database, po_id: int) -> PurchaseOrder:
    """An order as the superuser sees it (detached)."""
    with db.sessions() as s:
        po = s.scalar(select(PurchaseOrder).where(PurchaseOrder.id == po_id).options(selectinload(PurchaseOrder.lines)))
        assert po is not None
        return po
