"""Report columns read raw (SQLite) give the very wire values the typed path gives, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import update

from tests.conftest import MANAGER
from tests.world import build_world, measure_in
from vmi_desktop import ledger, wire
from vmi_desktop.db import Database
from vmi_desktop.models import StockLevel, SupplyAgreement
from vmi_desktop.sync import payloads, raw_values


def test_fractions_whole_numbers_and_timestamps_with_and_without_microseconds(db: Database) -> None:
    with db.transaction() as s:
        w = build_world(s)
        measure_in(s, w.skus["P-2"], "M")
        ledger.post_receipt(s, MANAGER, "P-2", "WH-1", "12.125")
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", "4")
        s.execute(
            update(SupplyAgreement)
            .where(SupplyAgreement.sku_id == w.skus["P-2"])
            .values(min_qty=Decimal("0.5"), max_qty=Decimal("20.250"))
        )
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
        lines = {(ln["sku"], ln["location_code"]): ln for ln in payloads.stock_lines(s, w.vendors["ACME"])}
    p2 = lines[("P-2", "WH-1")]
    assert (p2["on_hand"], p2["min"], p2["max"]) == (Decimal("12.125"), Decimal("0.5"), Decimal("20.25"))
    assert p2["as_of"] == "2026-11-24T08:30:00.001234Z"
    p1 = lines[("P-1", "WH-1")]
    assert (p1["on_hand"], p1["as_of"]) == (4, "2026-11-24T08:30:00Z")
    assert type(p1["on_hand"]) is int and type(p1["on_order"]) is int
    assert wire.dumps(p2).count("12.125") == 1


def test_the_sqlite_converters_agree_with_the_typed_path() -> None:
    class FakeBind:
        class dialect:  # the attribute a bind has
            name = "sqlite"

    class FakeSession:
        def get_bind(self) -> FakeBind:
            return FakeBind()

    _, quantity = raw_values.quantity(FakeSession(), StockLevel.on_hand)  # type: ignore[arg-type]
    for stored, value in ((0, 0), (4000, 4), (-3000, -3), (12125, Decimal("12.125")), (1500, Decimal("1.5"))):
        assert quantity(stored) == wire.number(value) and type(quantity(stored)) is type(wire.number(value))
    assert quantity(2500.0) == Decimal("2.5")  # an aggregate SQLite gave as a float of thousandths
    _, stamp = raw_values.timestamp(FakeSession(), StockLevel.updated_at, payloads.rfc3339)  # type: ignore[arg-type]
    assert stamp(None) is None
    assert stamp("2026-11-24 08:30:00.000000") == "2026-11-24T08:30:00Z"
    assert stamp("2026-11-24 08:30:00.000100") == "2026-11-24T08:30:00.000100Z"
    assert stamp("2026-11-24 08:30:00") == "2026-11-24T08:30:00Z"  # any other stored form: the typed path
