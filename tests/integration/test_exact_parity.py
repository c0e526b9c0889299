"""The same fractional scenario gives the same numbers on SQLite and PostgreSQL, to the thousandth."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import LEAD, MANAGER
from tests.world import build_world, measure_in
from vmi_desktop import catalog_service, ledger
from vmi_desktop.commands import stock
from vmi_desktop.db import Database
from vmi_desktop.models import PurchaseOrderLine, ReplenishmentMode, StockLevel, StockMovement
from vmi_desktop.models.base import ExactDecimal
from vmi_desktop.replenishment import reorder
from vmi_desktop.replenishment.orders import open_quantity_by_pair


def _litre_world(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        w = build_world(s)
        measure_in(s, w.skus["P-3"], "L")
        agreement = w.agreements[("BOLT", "P-3", "WH-1")]
        catalog_service.update_agreement(
            s,
            MANAGER,
            agreement,
            None,
            min_qty="0.3",
            max_qty="2.2",
            pack_size="0.5",
            moq="0",
            mode=ReplenishmentMode.AUTO_PO,
        )
        return w.skus["P-3"], w.locations["WH-1"]


def _scenario(db: Database) -> dict[str, object]:
    sku, loc = _litre_world(db)
    stock.receive(db, LEAD, sku, loc, "1")
    observed: list[object] = []
    for _ in range(8):  # 1 - 8 x 0.1 = 0.2: the position crosses min 0.3 at the 7th
        result = stock.consume(db, LEAD, sku, loc, "0.1")
        observed.append([(n.position, n.quantity) for n in result.reorder.needs])
    with db.sessions() as s:
        level = s.scalar(select(StockLevel.on_hand).where(StockLevel.sku_id == sku, StockLevel.location_id == loc))
        movements = list(s.scalars(select(StockMovement.on_hand_after).order_by(StockMovement.id)))
        lines = list(s.scalars(select(PurchaseOrderLine.quantity_ordered)))
        on_order = open_quantity_by_pair(s, [sku], [loc]).get((sku, loc))
        dry = reorder.evaluate(s, dry_run=True, pairs=[(sku, loc)])
    return {
        "level": level,
        "after": movements,
        "needs_per_posting": observed,
        "order_lines": lines,
        "on_order": on_order,
        "needs_now": [(n.on_hand, n.on_order, n.position) for n in dry.needs],
    }


def test_litre_postings_of_a_tenth_give_exact_levels_positions_and_orders(db: Database) -> None:
    got = _scenario(db)
    assert got["level"] == Decimal("0.200")
    assert got["after"] == [Decimal("1.000")] + [Decimal(1) - Decimal("0.1") * k for k in range(1, 9)]
    # the 7th consumption leaves 0.3 = min: an order for max - position = 1.9, rounded up to packs of 0.5
    needs = got["needs_per_posting"]
    assert isinstance(needs, list)
    assert needs[:6] == [[]] * 6 and needs[6] == [(Decimal("0.300"), Decimal("2.000"))]
    assert needs[7] == []  # the open order lifts the position above min
    assert got["order_lines"] == [Decimal("2.000")] and got["on_order"] == Decimal("2.000")
    assert got["needs_now"] == []


@pytest.mark.postgres
def test_sqlite_and_postgresql_agree_on_the_fractional_scenario(sqlite_db: Database, pg_db: Database) -> None:
    assert _scenario(sqlite_db) == _scenario(pg_db)


def test_no_quantity_column_of_a_sqlite_database_holds_a_real_value(sqlite_db: Database) -> None:
    _scenario(sqlite_db)
    with sqlite_db.engine.connect() as conn:
        from vmi_desktop.models import Base

        for table in Base.metadata.tables.values():
            for column in table.columns:
                if isinstance(column.type, ExactDecimal):
                    kinds = {
                        row[0]
                        for row in conn.exec_driver_sql(f"SELECT DISTINCT typeof({column.name}) FROM {table.name}")
                    }
                    assert kinds <= {"integer", "null"}, f"{table.name}.{column.name}: {kinds}"


def test_a_receipt_of_fifteen_digits_keeps_every_thousandth(db: Database) -> None:
    sku, loc = _litre_world(db)
    big = stock.receive(db, LEAD, sku, loc, "123456789012345.678")
    assert big.posting.on_hand_after == Decimal("123456789012345.678")
    after = stock.consume(db, LEAD, sku, loc, "0.001")
    assert after.posting.on_hand_after == Decimal("123456789012345.677")
    with db.sessions() as s:
        assert ledger.current_on_hand(s, sku, loc) == Decimal("123456789012345.677")


def test_a_quantity_the_columns_cannot_hold_is_refused_with_a_sentence(db: Database) -> None:
    from vmi_desktop.errors import ValidationError

    sku, loc = _litre_world(db)
    stock.receive(db, LEAD, sku, loc, "999999999999999")
    with pytest.raises(ValidationError, match="beyond what a quantity holds"):
        stock.receive(db, LEAD, sku, loc, "1")
    with pytest.raises(ValidationError, match="too large"):
        stock.receive(db, LEAD, sku, loc, "1000000000000000")


def test_a_column_read_as_stored_gives_what_the_general_type_gives(db: Database) -> None:
    """``StoredQuantity`` skips the general checks for plain columns and their sums: same Decimals, same
    scale, None kept, on both engines (the reorder run reads its million pairs this way)."""
    from sqlalchemy import func, type_coerce

    from vmi_desktop.models.base import StoredQuantity

    sku, loc = _litre_world(db)
    for qty in ("0.001", "123456789012345.678", "7"):
        stock.receive(db, LEAD, sku, loc, qty)
    stock.consume(db, LEAD, sku, loc, "0.5")
    with db.sessions() as s:
        general = s.execute(select(StockMovement.quantity).order_by(StockMovement.id)).scalars().all()
        stored = (
            s.execute(select(type_coerce(StockMovement.quantity, StoredQuantity)).order_by(StockMovement.id))
            .scalars()
            .all()
        )
        total = s.scalar(select(type_coerce(func.sum(StockMovement.quantity), StoredQuantity)))
        none = s.scalar(
            select(type_coerce(func.sum(StockMovement.quantity), StoredQuantity)).where(StockMovement.id < 0)
        )
    assert stored == general and [v.as_tuple().exponent for v in stored] == [-3] * len(general)
    assert [str(v) for v in stored] == ["0.001", "123456789012345.678", "7.000", "-0.500"]
    assert total == sum(general) and str(total) == "123456789012352.179"
    assert none is None
