"""A page's primed orders get their lines from one statement of their own (no selectin load), and the
"feed refused" alert is resolved by the first page of a run: what the database ends up with is what
each event applied alone through the ORM writes, and the alert is gone after a good run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select, update

from tests.conftest import MANAGER
from tests.integration.hostile_supplier import TOKEN, hostile_rig, proposal
from tests.integration.test_sync_inbox_batched import Rig, _event, _page, rig  # noqa: F401 (the fixture)
from tests.integration.test_sync_inbox_objects import _one_by_one, _snapshot
from tests.world import sent_order
from vmi_desktop.db import Database
from vmi_desktop.models import Alert, AlertKind, AlertStatus, POStatus, PurchaseOrder, PurchaseOrderLine
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine, protocol_cause


def _two_line_order(r: Rig) -> str:
    """A sent customer order of P-1 and P-2 at WH-1 whose line numbers run against its ids (2, then 1)."""
    po = sent_order(r.db, MANAGER, r.world, "ACME", "WH-1", ("P-1", 4), ("P-2", 3))
    number, po_id = po.po_number, po.id
    with r.db.transaction() as s:  # swap the line numbers: line 1 is now the line with the higher id
        for before, after in ((1, 99), (2, 1), (99, 2)):
            s.execute(
                update(PurchaseOrderLine)
                .where(PurchaseOrderLine.purchase_order_id == po_id, PurchaseOrderLine.line_no == before)
                .values(line_no=after)
            )
    return number


def _feed(number: str) -> list[dict[str, Any]]:
    ref = {"po_number": number}
    so = {"supplier_order_id": "SO-9"}
    two_lines = [{"line": 1, "sku": "P-2", "quantity": 2}, {"line": 2, "sku": "P-1", "quantity": 1}]
    return [
        _event(
            "c1",
            "order.acknowledged",
            {**ref, "status": "changed", "lines": [{"line": 1, "quantity": 2}, {"line": 2, "quantity": 4}]},
        ),
        # line 1 is P-2 now (its line numbers were swapped): a ship notice naming P-1 for it is refused
        _event(
            "c2",
            "shipment.dispatched",
            {"shipment_id": "SH-X", **ref, "lines": [{"line": 1, "sku": "P-1", "quantity": 1}]},
        ),
        _event(
            "c3",
            "shipment.dispatched",
            {"shipment_id": "SH-9", **ref, "lines": [{"line": 1, "sku": "P-2", "quantity": 1}]},
        ),
        _event("c4", "order.cancelled", {**ref, "reason": "not needed"}),
        # an order raised, acknowledged, shipped and cancelled within the page
        _event("s1", "order.created", {"supplier_order_id": "SO-9", "location_code": "WH-1", "lines": two_lines}),
        _event(
            "s2",
            "order.acknowledged",
            {**so, "status": "changed", "lines": [{"line": 1, "quantity": 1}, {"line": 2, "quantity": 1}]},
        ),
        _event(
            "s3",
            "shipment.dispatched",
            {"shipment_id": "SH-10", **so, "lines": [{"line": 2, "sku": "P-1", "quantity": 1}]},
        ),
        _event("s4", "order.cancelled", {**so, "reason": "not needed after all"}),
    ]


def test_a_page_on_orders_with_several_lines_writes_what_each_event_alone_writes(rig: Rig) -> None:  # noqa: F811
    r = rig
    number = _two_line_order(r)
    events = _feed(number)
    with r.db.unit_of_work() as uow:
        refused = _one_by_one(uow, r.acme, events)
        uow.session.flush()
        expected = _snapshot(uow.session)
        uow.session.rollback()
    assert refused == ["c2"]
    result = _page(r, events, "p1")
    assert (result.applied, result.rejected) == (len(events) - 1, 1)
    with r.db.transaction() as s:
        got = _snapshot(s)
    assert got == expected
    assert got["orders"][number][1] is POStatus.CANCELLED and got["orders"]["SO-9"][1] is POStatus.CANCELLED
    assert [line[0] for line in got["orders"][number][-2]] == [1, 2]


def test_primed_orders_have_their_lines_in_line_order_without_another_statement(rig: Rig) -> None:  # noqa: F811
    r = rig
    number = _two_line_order(r)
    with r.db.unit_of_work() as uow:
        s = uow.session
        ws = WorkingSet.of(s)
        ws.prime_orders(s, r.acme, [number, r.po_a], [])
        statements: list[str] = []
        event.listen(s.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        po = ws.by_number[(r.acme, number)]
        assert po is not None
        assert [(ln.line_no, ln.sku_id) for ln in po.lines] == [(1, r.world.skus["P-2"]), (2, r.world.skus["P-1"])]
        other = ws.by_number[(r.acme, r.po_a)]
        assert other is not None and [ln.line_no for ln in other.lines] == [1]
        assert statements == []  # the lines came with the priming, none is loaded on first use
        s.rollback()


def test_priming_keeps_the_lines_an_order_holds_already_and_their_changes(rig: Rig) -> None:  # noqa: F811
    r = rig
    with r.db.unit_of_work() as uow:
        s = uow.session
        po = s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == r.po_a)).one()
        (line,) = po.lines
        line.quantity_acknowledged = Decimal(5)  # changes not flushed yet: a line changed, one added
        added = PurchaseOrderLine(line_no=2, sku_id=r.world.skus["P-2"], quantity_ordered=Decimal(1), uom="EA")
        po.lines.append(added)
        with s.no_autoflush:
            WorkingSet.of(s).prime_orders(s, r.acme, [r.po_a], [])
        assert WorkingSet.of(s).by_number[(r.acme, r.po_a)] is po
        assert po.lines == [line, added] and line.quantity_acknowledged == Decimal(5)
        s.rollback()


def test_a_run_of_several_pages_resolves_the_feed_refused_alert(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        cause = protocol_cause(h.acme)
        h.supplier.serve_raw(b"not json at all")
        engine = SyncEngine(h.db, timeout=5.0, wait_for_retries_s=0, events_limit=2)
        refused = engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))
        assert refused.error is not None
        with sqlite_db.transaction() as s:
            alert = s.scalars(select(Alert).where(Alert.cause_key == cause)).one()
            assert alert.kind is AlertKind.SYNC_FAILED and alert.status is not AlertStatus.RESOLVED
        h.supplier.feed = [proposal(f"p-{i}") for i in range(5)]
        h.supplier.serve_normal()
        report = engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))
        assert (report.error, report.events_applied) == (None, 5), report
        assert h.supplier.counts["GET /v1/events"] >= 3 + 1  # three pages of two, one refused call before
        with sqlite_db.transaction() as s:
            assert s.scalars(select(Alert.status).where(Alert.cause_key == cause)).all() == [AlertStatus.RESOLVED]
            assert s.scalar(select(func.count()).select_from(Alert).where(Alert.kind == AlertKind.SYNC_FAILED)) == 1
