"""The read side of the stock forms, alerts and exports, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.models import AlertKind, AlertSeverity, AlertStatus, Role
from vmi_desktop.queries import StockQuery
from vmi_desktop.queries.alerts import AlertsQuery
from vmi_desktop.queries.base import PageRequest
from vmi_desktop.queries.orders import order_candidates
from vmi_desktop.queries.stock_forms import MovementsQuery, count_sheet_lines, find_part, on_hand_of
from vmi_desktop.replenishment import alerts as alert_service
from vmi_desktop.scope import SYSTEM, Actor


@pytest.fixture
def world(db: Database, lead: Actor) -> World:
    with db.transaction() as s:
        w = build_world(s)
        for part, qty in (("P-1", 7), ("P-2", 30), ("P-3", 2)):  # the ledger alone: no reorder raised yet
            ledger.post_receipt(s, lead, part, "WH-1", qty)
    return w


def test_a_scan_finds_the_part_by_number_in_any_case_or_by_supplier_part(db: Database, world: World) -> None:
    wh = world.locations["WH-1"]
    with db.sessions() as s:
        exact, lower, supplier = (find_part(s, SYSTEM, t, wh) for t in ("P-2", "p-2", "acme-p-2"))
        missing = find_part(s, SYSTEM, "NOPE", wh)
    assert exact is not None and exact == lower == supplier
    assert (exact.part_number, exact.on_hand, exact.uom, exact.whole) == ("P-2", D(30), "EA", True)
    assert missing is None


def test_count_sheet_lines_and_on_hand_of_a_location(db: Database, world: World) -> None:
    wh = world.locations["WH-1"]
    with db.sessions() as s:
        lines, more = count_sheet_lines(s, SYSTEM, wh, limit=2)
        now = on_hand_of(s, SYSTEM, wh, [world.skus["P-1"], world.skus["P-3"]])
    assert [p.part_number for p in lines] == ["P-1", "P-2"] and more
    assert now == {world.skus["P-1"]: D(7), world.skus["P-3"]: D(2)}


def test_ledger_history_of_a_pair_shows_reversals_and_pages_every_row(db: Database, world: World, lead: Actor) -> None:
    used = stock.consume(db, lead, "P-2", "WH-1", 4)
    back = stock.reverse(db, lead, used.posting.movement_id, reason="typo")
    query = MovementsQuery()
    request = PageRequest(
        sort_key="id", descending=True, filters={"sku_id": world.skus["P-2"], "location_id": world.locations["WH-1"]}
    )
    with db.sessions() as s:
        rows = list(query.iter_rows(s, SYSTEM, request, chunk=1))  # one row a page: keyset paging throughout
        total = query.count(s, SYSTEM, request)
    assert total == 3 and len(rows) == 3
    newest, reversed_, received = (r.values for r in rows)
    assert newest["reverses"] == used.posting.movement_id and newest["quantity"] == D(4)
    assert reversed_["reversed_by"] == back.posting.movement_id
    assert received["reversed_by"] is None and received["kind"].value == "receipt"


def test_stock_rows_are_reread_by_composite_key_in_one_query(db: Database, world: World) -> None:
    query = StockQuery()
    keys = [(world.skus["P-1"], world.locations["WH-1"]), (world.skus["P-3"], world.locations["WH-1"])]
    with db.sessions() as s:
        fresh = query.rows_by_key(s, SYSTEM, keys)
    assert {k: r.values["on_hand"] for k, r in fresh.items()} == {keys[0]: D(7), keys[1]: D(2)}


def test_alerts_table_filters_by_kind_vendor_location_and_state(db: Database, world: World) -> None:
    with db.transaction() as s:
        for key, kind, vendor, severity in (
            ("a", AlertKind.BELOW_MIN, "ACME", AlertSeverity.WARNING),
            ("b", AlertKind.STOCK_OUT, "BOLT", AlertSeverity.CRITICAL),
        ):
            alert_service.raise_alert(
                s,
                kind=kind,
                severity=severity,
                cause_key=key,
                message=f"alert {key}",
                vendor_id=world.vendors[vendor],
                sku_id=world.skus["P-1"],
                location_id=world.locations["WH-1"],
            )
    query = AlertsQuery()

    def messages(**filters: object) -> list[str]:
        with db.sessions() as s:
            request = PageRequest(sort_key="severity", filters=filters)
            return [r.values["message"] for r in query.iter_rows(s, SYSTEM, request)]

    assert messages() == ["alert b", "alert a"]  # critical first: sorted by rank, paged by offset
    assert messages(kind=AlertKind.BELOW_MIN) == ["alert a"]
    assert messages(vendor_id=world.vendors["BOLT"]) == ["alert b"]
    assert messages(location_id=world.locations["VAN-7"]) == []
    assert messages(statuses=frozenset({AlertStatus.RESOLVED})) == []


def test_order_candidates_suggest_what_the_reorder_rule_would_order(db: Database, world: World) -> None:
    with db.sessions() as s:
        found = order_candidates(s, SYSTEM, world.vendors["ACME"], world.locations["WH-1"])
    # P-1: 7 on hand, min 10, max 50, packs of 6: 43 rounded up to 48; P-2 is above its min: nothing
    assert [(c.part_number, c.on_hand, c.suggested) for c in found] == [("P-1", D(7), D(48)), ("P-2", D(30), D(0))]
    stock.consume(db, Actor(name="lead", role=Role.WAREHOUSE_LEAD), "P-1", "WH-1", 1)  # the reorder check orders
    with db.sessions() as s:
        again = order_candidates(s, SYSTEM, world.vendors["ACME"], world.locations["WH-1"])
    assert (again[0].on_order, again[0].suggested) == (D(48), D(0))  # on order now: position above min
