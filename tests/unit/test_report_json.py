"""The full report as the outbox stores it (lines encoded by SQLite itself) says what the typed bodies say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text, update

from tests.conftest import MANAGER
from tests.world import build_world, measure_in
from vmi_desktop import ledger, wire
from vmi_desktop.db import Database
from vmi_desktop.models import Location, Sku, StockLevel, SupplyAgreement, utcnow
from vmi_desktop.sync import outbox, payloads

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def _typed(values: list[dict[str, Any]]) -> list[list[tuple[str, Any, type]]]:
    """Lines with each value's type (an int must stay an int, a fraction a Decimal)."""
    return [[(k, v, type(v)) for k, v in line.items()] for line in values]


def _world(s: Any) -> Any:
    w = build_world(s)
    measure_in(s, w.skus["P-2"], "M")
    s.get_one(Location, w.locations["WH-1"]).allow_negative_stock = True
    ledger.post_receipt(s, MANAGER, "P-2", "WH-1", "1.25")
    ledger.post_consumption(s, MANAGER, "P-2", "WH-1", "3.5")  # on hand -2.255 after the one below
    ledger.post_receipt(s, MANAGER, "P-1", "WH-1", "12")
    ledger.post_consumption(s, MANAGER, "P-1", "WH-1", "5", occurred_at=utcnow() - timedelta(days=2))
    ledger.post_consumption(s, MANAGER, "P-2", "WH-1", "0.005", occurred_at=utcnow() - timedelta(days=2))
    s.execute(
        update(SupplyAgreement)
        .where(SupplyAgreement.sku_id == w.skus["P-2"])
        .values(min_qty=Decimal("0.5"), max_qty=Decimal("12345678901234.567"), supplier_sku='ACM "Ø" \\ 2')
    )
    s.execute(update(SupplyAgreement).where(SupplyAgreement.sku_id == w.skus["P-1"]).values(supplier_sku=""))
    s.execute(update(Location).where(Location.id == w.locations["WH-1"]).values(code='WH-1 "nord" ÆØÅ'))
    s.execute(update(Sku).where(Sku.id == w.skus["P-2"]).values(part_number="P-2\t/é"))
    s.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == w.skus["P-2"])
        .values(updated_at=datetime(2026, 11, 24, 8, 30, 0, 1234, tzinfo=UTC))
    )
    s.execute(
        update(StockLevel)
        .where(StockLevel.sku_id == w.skus["P-1"])
        .values(updated_at=datetime(2026, 11, 24, 8, 30, tzinfo=UTC))
    )
    return w


def _compare_stock(s: Any, vendor_id: int) -> list[dict[str, Any]]:
    stored = list(payloads.stock_report_payloads(s, vendor_id, "full"))
    typed = list(payloads.stock_report_bodies(s, vendor_id, "full"))
    bodies = [wire.loads(payload) for _, payload in stored]
    assert [b["message_id"] for b in bodies] == [m for m, _ in stored]
    assert [list(b) for b in bodies] == [list(b) for b in typed]
    assert all(outbox._stamped_for(p, m, "C-42") for m, p in stored)  # goes as stored while current
    lines = [ln for b in bodies for ln in b["lines"]]
    expected = [ln for b in typed for ln in b["lines"]]
    no_stock = [i for i, ln in enumerate(expected) if ln["as_of"] != lines[i]["as_of"]]
    for i in no_stock:  # a pair with no stock row: as of when the report was made, on each path
        assert RFC3339.fullmatch(lines[i]["as_of"]) and lines[i]["on_hand"] == 0
        lines[i]["as_of"] = expected[i]["as_of"]
    assert _typed(lines) == _typed(expected)
    return lines


def test_the_stored_stock_and_usage_reports_say_what_the_typed_bodies_say(db: Database) -> None:
    since = utcnow() - timedelta(days=10)
    with db.transaction() as s:
        w = _world(s)
        lines = _compare_stock(s, w.vendors["ACME"])
        usage = [wire.loads(p) for _, p in payloads.usage_payloads(s, w.vendors["ACME"], since)]
        typed = list(payloads.usage_bodies(s, w.vendors["ACME"], since))
    by_sku = {ln["sku"]: ln for ln in lines if ln["location_code"] == 'WH-1 "nord" ÆØÅ'}
    p2 = by_sku["P-2\t/é"]
    assert (p2["on_hand"], p2["min"], p2["max"]) == (Decimal("-2.255"), Decimal("0.5"), Decimal("12345678901234.567"))
    assert p2["supplier_sku"] == 'ACM "Ø" \\ 2' and p2["as_of"] == "2026-11-24T08:30:00.001234Z"
    assert by_sku["P-1"]["supplier_sku"] is None and by_sku["P-1"]["as_of"] == "2026-11-24T08:30:00Z"
    assert [list(b) for b in usage] == [list(b) for b in typed]
    assert _typed([ln for b in usage for ln in b["lines"]]) == _typed([ln for b in typed for ln in b["lines"]])
    consumed = sorted((ln["sku"], ln["consumed"]) for b in usage for ln in b["lines"])
    assert consumed == [("P-1", 5), ("P-2\t/é", Decimal("0.005")), ("P-2\t/é", Decimal("3.5"))]


def test_rows_not_of_the_stored_shapes_are_built_the_typed_way(sqlite_db: Database) -> None:
    since = utcnow() - timedelta(days=10)
    with sqlite_db.transaction() as s:
        w = _world(s)
        # Values the column types never write: a REAL quantity and a timestamp in another spelling.
        s.execute(
            text("UPDATE stock_levels SET on_hand = 2.5, updated_at = '2026-11-24T08:30:00' WHERE sku_id = :sku"),
            {"sku": w.skus["P-1"]},
        )
        columns = [row[1] for row in s.execute(text("PRAGMA table_info(stock_movements)")) if row[1] != "id"]
        copied = ", ".join("-4000.0" if c == "quantity" else c for c in columns)
        s.execute(  # the ledger is append-only: a copy of P-1's consumption, its quantity a REAL
            text(
                f"INSERT INTO stock_movements ({', '.join(columns)}) SELECT {copied} FROM stock_movements "
                "WHERE sku_id = :sku AND quantity < 0"
            ),
            {"sku": w.skus["P-1"]},
        )
        _compare_stock(s, w.vendors["ACME"])
        usage = [wire.loads(p) for _, p in payloads.usage_payloads(s, w.vendors["ACME"], since)]
        typed = list(payloads.usage_bodies(s, w.vendors["ACME"], since))
    assert _typed([ln for b in usage for ln in b["lines"]]) == _typed([ln for b in typed for ln in b["lines"]])
    assert any(ln["sku"] == "P-1" for b in usage for ln in b["lines"])
