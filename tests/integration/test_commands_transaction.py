"""A command's steps (ledger, reorder, outbox) commit together or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tests.conftest import LEAD, MANAGER, row_count
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.commands import stock
from vmi_desktop.db import Changes, Database, DatabaseError
from vmi_desktop.errors import ValidationError
from vmi_desktop.models import AuditEntry, OutboxMessage, POStatus, PurchaseOrder, StockMovement


@pytest.fixture
def world(sqlite_db: Database) -> World:
    with sqlite_db.transaction() as s:
        w = build_world(s)
        ledger.post_receipt(s, MANAGER, "P-1", "WH-1", 20)  # min 10, max 50, auto_po, ACME syncs by REST
        return w


def test_a_posting_that_crosses_min_raises_the_order_and_queues_it_in_its_transaction(
    sqlite_db: Database, world: World
) -> None:
    heard: list[Changes] = []
    sqlite_db.add_commit_observer(heard.append)
    result = stock.consume(sqlite_db, LEAD, "P-1", "WH-1", 11)
    assert result.reorder.sent_orders
    with sqlite_db.sessions() as s:
        po = s.scalars(select(PurchaseOrder)).one()
        messages = list(s.scalars(select(OutboxMessage)))
    assert po.status == POStatus.SENT
    assert [(m.kind, po.po_number in m.payload) for m in messages] == [("purchase_order", True)]
    assert heard and heard[-1].orders == {po.id} and (world.skus["P-1"], world.locations["WH-1"]) in heard[-1].pairs


def test_when_the_outbox_step_fails_nothing_of_the_posting_is_written(sqlite_db: Database, world: World) -> None:
    heard: list[Changes] = []
    sqlite_db.add_commit_observer(heard.append)
    before = (row_count(sqlite_db, StockMovement), row_count(sqlite_db, AuditEntry))
    with sqlite_db.engine.begin() as conn:  # a real fault in the last step: the database refuses the message
        conn.execute(
            text(
                "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_messages "
                "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
            )
        )
    with pytest.raises(DatabaseError, match="outbox refused"):
        stock.consume(sqlite_db, LEAD, "P-1", "WH-1", 11)
    assert (row_count(sqlite_db, StockMovement), row_count(sqlite_db, AuditEntry)) == before
    assert row_count(sqlite_db, PurchaseOrder) == 0 and row_count(sqlite_db, OutboxMessage) == 0
    assert heard == []  # observers hear of committed work only


def test_a_unit_of_several_commands_rolls_back_as_one(sqlite_db: Database, world: World) -> None:
    with pytest.raises(ValidationError, match="would take on hand"), sqlite_db.unit_of_work() as uow:
        stock.consume(uow, LEAD, "P-1", "WH-1", 11)  # raises and queues an order
        stock.consume(uow, LEAD, "P-1", "WH-1", 100)  # refused: everything above goes too
    assert row_count(sqlite_db, PurchaseOrder) == 0 and row_count(sqlite_db, OutboxMessage) == 0
    with sqlite_db.sessions() as s:
        assert ledger.current_on_hand(s, world.skus["P-1"], world.locations["WH-1"]) == 20
