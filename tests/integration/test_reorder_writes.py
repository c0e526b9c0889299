"""The reorder run's bulk writes: what the database refuses is named and nothing of it stays; values
arrive as Core would bind them (exact decimals, awkward text, NULLs, dates) on both engines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from tests.conftest import row_count
from tests.world import World
from vmi_desktop.commands.reorder import run_reorder
from vmi_desktop.db import Database, DatabaseError, DbProblem
from vmi_desktop.db.bulk import array_literal, bulk_insert, insert_rows
from vmi_desktop.models import (
    Alert,
    AlertKind,
    AuditEntry,
    OutboxMessage,
    POLineStatus,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    utcnow,
)
from vmi_desktop.replenishment import alerts
from vmi_desktop.replenishment.orders import PO_COUNTER, reserve_numbers

LINES = PurchaseOrderLine.__table__
COLUMNS = ("purchase_order_id", "line_no", "sku_id", "agreement_id", "supplier_sku", "quantity_ordered", "need_by")


def _refuse_lines_of(db: Database, sku_id: int) -> None:
    """A real refusal by the database: a trigger that rejects order lines for one SKU."""
    with db.engine.begin() as conn:
        if db.is_postgresql:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_line() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'line refused' USING ERRCODE = 'check_violation'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_line BEFORE INSERT ON purchase_order_lines FOR EACH ROW "
                    f"WHEN (NEW.sku_id = {sku_id}) EXECUTE FUNCTION refuse_line()"
                )
            )
        else:
            conn.execute(
                text(
                    f"CREATE TRIGGER refuse_line BEFORE INSERT ON purchase_order_lines WHEN NEW.sku_id = {sku_id} "
                    "BEGIN SELECT RAISE(ABORT, 'line refused'); END"
                )
            )


def _new_order(s: Session, world: World) -> int:
    number = reserve_numbers(s, PO_COUNTER, 1)
    po = PurchaseOrder(
        po_number=f"T-{number}",
        vendor_id=world.vendors["ACME"],
        location_id=world.locations["WH-1"],
        status=POStatus.DRAFT,
        created_by="test",
    )
    s.add(po)
    s.flush()
    return po.id


def test_an_order_line_the_database_refuses_names_its_pair_and_the_run_writes_nothing(
    db: Database, world: World
) -> None:
    _refuse_lines_of(db, world.skus["P-3"])
    before = {m: row_count(db, m) for m in (PurchaseOrder, PurchaseOrderLine, POStatusChange, Alert, AuditEntry)}
    with pytest.raises(DatabaseError, match=r"order line for P-3 at WH-1 was refused.*line refused") as caught:
        run_reorder(db)
    assert caught.value.problem is DbProblem.CONSTRAINT
    after = {m: row_count(db, m) for m in before}
    assert after == before and row_count(db, OutboxMessage) == 0  # not the orders, alerts or audit of the others
    with db.engine.begin() as conn:  # without the refusal the same run raises everything
        conn.execute(text("DROP TRIGGER refuse_line" + (" ON purchase_order_lines" if db.is_postgresql else "")))
    result = run_reorder(db)
    assert result.lines == 3 and result.alerts_raised == 1 and row_count(db, PurchaseOrderLine) == 3


def test_insert_rows_names_the_first_refused_row_and_keeps_nothing_of_its_rows(db: Database, world: World) -> None:
    sku, agreement = world.skus["P-1"], world.agreements[("ACME", "P-1", "WH-1")]
    with db.transaction() as s:
        po = _new_order(s, world)
        # the sixth row repeats the third's line number: refused only because the rows before it went in
        rows = [(po, no, sku, agreement, "S", Decimal(no), None) for no in (1, 2, 3, 4, 5, 3, 7, 8, 9)]
        with pytest.raises(DatabaseError, match="row 5 refused") as caught:
            insert_rows(s, LINES, COLUMNS, rows, refused=lambda i: f"row {i} refused.")
        assert caught.value.problem is DbProblem.CONSTRAINT
        # nothing of the rows stays, and the transaction goes on with what it wrote before
        assert s.scalar(select(func.count()).select_from(PurchaseOrderLine)) == 0
        insert_rows(s, LINES, COLUMNS, rows[:5], refused=str)
    with db.sessions() as s:
        assert s.scalars(select(PurchaseOrderLine.line_no).order_by(PurchaseOrderLine.line_no)).all() == [1, 2, 3, 4, 5]


def test_insert_rows_stores_what_core_stores(db: Database, world: World) -> None:
    sku, agreement = world.skus["P-1"], world.agreements[("ACME", "P-1", "WH-1")]
    awkward = ['a"b', "back\\slash", "{braces}", "comma, here", "NULL", "", "ünïcode ✓", "two\nlines"]
    quantities = [Decimal("0.001"), Decimal("123456789012345.678"), Decimal(7), Decimal("2.5"), Decimal("1E+2")]
    dates = [date(2026, 12, 24), None]
    with db.transaction() as s:
        po = _new_order(s, world)
        rows = [
            (po, i + 1, sku, agreement if i % 2 else None, awkward[i % 8], quantities[i % 5], dates[i % 2])
            for i in range(16)
        ]
        insert_rows(s, LINES, COLUMNS, rows, refused=str)
        s.execute(  # the same values through Core, as further lines of the order
            insert(PurchaseOrderLine),
            [dict(zip(COLUMNS, (po, i + 101, *r[2:]), strict=True)) for i, r in enumerate(rows)],
        )
    with db.sessions() as s:
        got = s.execute(
            select(*[LINES.c[c] for c in COLUMNS[1:]], LINES.c.status, LINES.c.quantity_shipped).order_by(LINES.c.id)
        ).all()
    fast, core = got[:16], got[16:]
    assert [r[1:] for r in fast] == [r[1:] for r in core]
    assert [r[3:6] for r in fast] == [(awkward[i % 8], quantities[i % 5], dates[i % 2]) for i in range(16)]
    assert {(r.status, r.quantity_shipped) for r in fast} == {(POLineStatus.OPEN, Decimal(0))}  # the defaults
    if db.is_sqlite:  # stored as integer thousandths, like every quantity
        with db.engine.connect() as conn:
            kinds = set(conn.exec_driver_sql("SELECT DISTINCT typeof(quantity_ordered) FROM purchase_order_lines"))
        assert kinds == {("integer",)}


def test_a_quantity_the_column_cannot_hold_exactly_is_refused_before_anything_is_written(
    db: Database, world: World
) -> None:
    sku = world.skus["P-1"]
    with db.transaction() as s:
        po = _new_order(s, world)
        rows = [(po, 1, sku, None, "S", Decimal("1"), None), (po, 2, sku, None, "S", Decimal("1.0005"), None)]
        with pytest.raises(ValueError, match="does not fit"):
            insert_rows(s, LINES, COLUMNS, rows, refused=str)
        assert s.scalar(select(func.count()).select_from(PurchaseOrderLine)) == 0


def test_bulk_insert_round_trips_awkward_text_and_returns_the_new_rows(db: Database) -> None:
    details = ['say "hi"', "C:\\path\\", "{a,b}", "NULL", "", "ünïcode ✓", "tab\there", "end\\"]
    now = utcnow()
    with db.transaction() as s:
        rows = [
            {"actor": "t", "action": "x", "entity": "e", "entity_id": str(i), "detail": d, "occurred_at": now}
            for i, d in enumerate(details)
        ]
        back = bulk_insert(s, AuditEntry, rows, returning=("id", "entity_id"))
    assert sorted(int(e) for _, e in back) == list(range(len(details)))
    with db.sessions() as s:
        got = dict(s.execute(select(AuditEntry.entity_id, AuditEntry.detail)).all())
        stamped = set(s.scalars(select(AuditEntry.occurred_at)))
    assert [got[str(i)] for i in range(len(details))] == details and stamped == {now}


def test_raise_many_skips_open_causes_and_ignores_a_repeat_within_the_rows(db: Database, world: World) -> None:
    def row(key: str, message: str) -> dict[str, object]:
        return {"kind": AlertKind.BELOW_MIN, "cause_key": key, "message": message, "sku_id": world.skus["P-1"]}

    with db.transaction() as s:
        assert alerts.raise_many(s, [row("k:1", 'first "one"'), row("k:2", "second\\")]) == 2
    with db.transaction() as s:
        assert alerts.raise_many(s, [row("k:1", "again"), row("k:3", "third"), row("k:3", "third, twice")]) == 1
    with db.sessions() as s:
        got = dict(s.execute(select(Alert.cause_key, Alert.message)).all())
    assert got == {"k:1": 'first "one"', "k:2": "second\\", "k:3": "third"}


def test_array_literal_quotes_text_and_keeps_numbers_and_nulls_plain() -> None:
    assert array_literal([1, None, 3]) == "{1,NULL,3}"
    assert array_literal([Decimal("2.500"), None]) == "{2.500,NULL}"
    assert array_literal(['a"b', "c\\d", "NULL"]) == '{"a\\"b","c\\\\d","NULL"}'
    assert array_literal(["x", None, date(2026, 1, 2), True]) == '{"x",NULL,"2026-01-02",t}'
