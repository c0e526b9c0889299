"""The table queries on SQLite and PostgreSQL: pages, counts, sort, search, scope, row reload."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import insert

from tests.world import World, build_world
from vmi_desktop import catalog_service as cs
from vmi_desktop.db import Database
from vmi_desktop.models import (
    POLineStatus,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    Role,
    StockLevel,
)
from vmi_desktop.queries import AgreementsQuery, AuditQuery, PageRequest, SkusQuery, StockQuery, VendorsQuery
from vmi_desktop.queries.base import Row, TableQuery
from vmi_desktop.queries.catalog import location_choices, vendor_choices
from vmi_desktop.scope import Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as session:
        world = build_world(session)
        session.execute(
            insert(StockLevel),
            [
                {"sku_id": world.skus[s], "location_id": world.locations[loc], "on_hand": Decimal(q)}
                for (s, loc), q in {
                    ("P-1", "WH-1"): 7,
                    ("P-2", "WH-1"): 30,
                    ("P-3", "WH-1"): 2,
                    ("P-1", "VAN-7"): 1,
                    ("P-3", "VAN-7"): 11,
                }.items()
            ],
        )
        order = PurchaseOrder(
            po_number="PO-1",
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            status=POStatus.ACKNOWLEDGED,
        )
        order.lines.append(
            PurchaseOrderLine(
                line_no=1,
                sku_id=world.skus["P-1"],
                quantity_ordered=Decimal(12),
                quantity_acknowledged=Decimal(10),
                quantity_received=Decimal(4),
            )
        )
        order.lines.append(
            PurchaseOrderLine(
                line_no=2, sku_id=world.skus["P-2"], quantity_ordered=Decimal(5), status=POLineStatus.CANCELLED
            )
        )
        session.add(order)
    return world


def _pairs(rows: list[Row]) -> list[tuple[str, str]]:
    return [(r.values["part_number"], r.values["location"]) for r in rows]


def test_stock_page_joins_primary_agreement_and_open_order_quantity(db: Database, world: World, manager: Actor) -> None:
    with db.sessions() as session:
        rows = StockQuery().page(session, manager, PageRequest(), 0, 10)
    by_pair = {(r.values["part_number"], r.values["location"]): r for r in rows}
    p1 = by_pair[("P-1", "WH-1")]
    assert (p1.values["on_order"], p1.values["position"]) == (Decimal(6), Decimal(13))  # acknowledged 10 - received 4
    assert (p1.values["vendor"], p1.values["min_qty"], p1.edit_id) == (
        "ACME",
        Decimal(10),
        world.agreements[("ACME", "P-1", "WH-1")],
    )
    assert by_pair[("P-2", "WH-1")].values["on_order"] == Decimal(0)  # the cancelled line does not count
    assert by_pair[("P-3", "VAN-7")].edit_id is None


def test_pages_are_ordered_in_sql_with_the_key_as_tiebreak(db: Database, world: World, manager: Actor) -> None:
    query = StockQuery()
    with db.sessions() as session:
        first = query.page(session, manager, PageRequest(sort_key="on_hand", descending=True), 0, 2)
        second = query.page(session, manager, PageRequest(sort_key="on_hand", descending=True), 2, 2)
        by_location = query.page(session, manager, PageRequest(sort_key="location"), 0, 10)
    assert _pairs(first) == [("P-2", "WH-1"), ("P-3", "VAN-7")]
    assert _pairs(second) == [("P-1", "WH-1"), ("P-3", "WH-1")]
    assert [p[1] for p in _pairs(by_location)] == ["VAN-7", "VAN-7", "WH-1", "WH-1", "WH-1"]


def test_search_is_case_insensitive_and_counts_match_pages(db: Database, world: World, manager: Actor) -> None:
    query = StockQuery()
    request = PageRequest(search="part p-1")
    with db.sessions() as session:
        rows = query.page(session, manager, request, 0, 10)
        total = query.count(session, manager, request)
        none = query.count(session, manager, PageRequest(search="p_1"))  # '_' is not a wildcard
    assert sorted(_pairs(rows)) == [("P-1", "VAN-7"), ("P-1", "WH-1")]
    assert total == 2
    assert none == 0


def test_supplier_scope_applies_to_every_table(db: Database, world: World) -> None:
    supplier = Actor(name="bolt", role=Role.SUPPLIER, vendor_id=world.vendors["BOLT"])
    with db.sessions() as session:
        assert _pairs(StockQuery().page(session, supplier, PageRequest(), 0, 10)) == [("P-3", "WH-1")]
        assert StockQuery().count(session, supplier, PageRequest()) == 1
        assert [r.values["part_number"] for r in SkusQuery().page(session, supplier, PageRequest(), 0, 10)] == ["P-3"]
        assert [r.values["code"] for r in VendorsQuery().page(session, supplier, PageRequest(), 0, 10)] == ["BOLT"]
        assert AgreementsQuery().count(session, supplier, PageRequest()) == 1
        assert location_choices(session, supplier) == [(world.locations["WH-1"], "WH-1")]
        assert vendor_choices(session, supplier) == [(world.vendors["BOLT"], "BOLT")]
        key = (world.skus["P-1"], world.locations["WH-1"])
        assert StockQuery().rows_by_key(session, supplier, [key]) == {}  # out of scope: not reloadable either


def test_rows_by_key_returns_the_fresh_version(db: Database, world: World, manager: Actor) -> None:
    agreement_id = world.agreements[("ACME", "P-2", "WH-1")]
    with db.transaction() as session:
        cs.update_agreement(session, manager, agreement_id, 1, max_qty="25")
    with db.sessions() as session:
        fresh = AgreementsQuery().rows_by_key(session, manager, [(agreement_id,)])
    assert fresh[(agreement_id,)].version == 2
    assert fresh[(agreement_id,)].values["max_qty"] == Decimal(25)


def test_inactive_rows_are_hidden_unless_asked_and_audit_is_newest_first(
    db: Database, world: World, manager: Actor
) -> None:
    with db.transaction() as session:
        cs.set_agreement_active(session, manager, world.agreements[("BOLT", "P-3", "WH-1")], False)
        cs.set_sku_active(session, manager, world.skus["P-3"], False)
    with db.sessions() as session:
        assert AgreementsQuery().count(session, manager, PageRequest()) == 3
        assert AgreementsQuery().count(session, manager, PageRequest(filters={"show_inactive": True})) == 4
        assert SkusQuery().count(session, manager, PageRequest()) == 2
        entries = AuditQuery().page(session, manager, PageRequest(descending=True), 0, 10)
    assert [e.values["action"] for e in entries] == ["sku.deactivate", "agreement.deactivate"]


@pytest.mark.parametrize(
    ("query_cls", "sort_key"),
    [
        (StockQuery, "part_number"),
        (StockQuery, "location"),
        (StockQuery, "on_hand"),
        (AgreementsQuery, "location"),
        (SkusQuery, "criticality"),
        (AuditQuery, "occurred_at"),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_equal_one_big_page(
    db: Database, world: World, manager: Actor, query_cls: type[TableQuery], sort_key: str, descending: bool
) -> None:
    with db.transaction() as session:  # some audit rows with equal-ish times
        for sku in ("P-1", "P-2", "P-3"):
            cs.update_sku(session, manager, world.skus[sku], None, description=f"changed {sku}")
    query = query_cls()
    request = PageRequest(sort_key=sort_key, descending=descending)
    with db.sessions() as session:
        everything = query.page(session, manager, request, 0, 100)
        walked: list[Row] = []
        while True:
            page = query.page(session, manager, request, len(walked), 2, after=walked[-1] if walked else None)
            walked += page
            if len(page) < 2:
                break
    assert len(everything) >= 3
    assert [r.key for r in walked] == [r.key for r in everything]
