"""Alerts: one unresolved alert per cause, auto-resolve, acknowledge/resolve with who and when, sinks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import D
from tests.world import World, build_world
from vmi_desktop import ledger
from vmi_desktop.db import Database
from vmi_desktop.errors import NotFoundError, PermissionDenied
from vmi_desktop.models import Alert, AlertKind, AlertStatus, POOrigin, POStatus, PurchaseOrder, Role, utcnow
from vmi_desktop.replenishment import alerts, orders
from vmi_desktop.replenishment.alerts import AlertNotice
from vmi_desktop.replenishment.orders import NewLine
from vmi_desktop.scope import Actor


@pytest.fixture
def world(db: Database) -> World:
    with db.transaction() as s:
        return build_world(s)


def _open(db: Database) -> dict[str, AlertStatus]:
    with db.sessions() as s:
        return {a.cause_key: a.status for a in s.scalars(select(Alert).where(Alert.status != AlertStatus.RESOLVED))}


def test_same_cause_raises_one_alert_until_resolved(db: Database, world: World) -> None:
    with db.transaction() as s:
        first = alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="sync:1", message="down")
        second = alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="sync:1", message="still down")
        assert first is not None and second is None
        assert alerts.resolve_cause(s, "sync:1")
        assert not alerts.resolve_cause(s, "sync:1")
        third = alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="sync:1", message="down again")
        assert third is not None and third.id != first.id
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 2


def test_evaluate_raises_each_kind_once_and_resolves_when_cleared(db: Database, world: World, lead: Actor) -> None:
    wh, p1, p3 = world.locations["WH-1"], world.skus["P-1"], world.skus["P-3"]
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-3", "WH-1", 13)  # above max 12
        alerts.evaluate_alerts(s)
    keys = _open(db)
    assert f"over_max:{p3}:{wh}" in keys
    assert f"stock_out:{p1}:{wh}" in keys and f"below_min:{p1}:{wh}" in keys
    assert f"below_min:{p3}:{wh}" not in keys
    with db.transaction() as s:
        run = alerts.evaluate_alerts(s)
    assert run.raised == 0 and run.resolved == 0 and _open(db) == keys
    with db.transaction() as s:
        ledger.post_receipt(s, lead, "P-1", "WH-1", 20)
        ledger.post_consumption(s, lead, "P-3", "WH-1", 5)
        run = alerts.evaluate_alerts(s)
    after = _open(db)
    assert run.resolved == 3
    assert not ({f"over_max:{p3}:{wh}", f"stock_out:{p1}:{wh}", f"below_min:{p1}:{wh}"} & after.keys())
    with db.sessions() as s:
        resolved = s.scalar(select(Alert).where(Alert.cause_key == f"stock_out:{p1}:{wh}"))
        assert resolved is not None and resolved.resolved_by == "system" and resolved.resolved_at is not None


def test_overdue_order_alert_and_resolution_on_receipt(db: Database, world: World, manager: Actor, lead: Actor) -> None:
    with db.transaction() as s:
        po = orders.create_order(
            s,
            manager,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus["P-1"], quantity=D(5), need_by=utcnow().date() - timedelta(days=2))],
            origin=POOrigin.MANUAL,
            status=POStatus.SENT,
        )
        po_id = po.id
        alerts.evaluate_alerts(s)
    assert f"overdue:{po_id}" in _open(db)
    with db.transaction() as s:
        orders.receive(s, lead, po_id, {1: D(5)})
    assert f"overdue:{po_id}" not in _open(db)


def test_acknowledge_and_resolve_record_who_and_when(db: Database, world: World, lead: Actor) -> None:
    with db.transaction() as s:
        alert = alerts.raise_alert(s, kind=AlertKind.STOCK_OUT, cause_key="x", message="m")
        assert alert is not None
        alert_id = alert.id
    with db.transaction() as s:
        a = alerts.acknowledge(s, lead, alert_id)
        assert a.status == AlertStatus.ACKNOWLEDGED and a.acknowledged_by == "lead" and a.acknowledged_at
    assert _open(db) == {"x": AlertStatus.ACKNOWLEDGED}  # still one unresolved alert for the cause
    with db.transaction() as s:
        assert alerts.raise_alert(s, kind=AlertKind.STOCK_OUT, cause_key="x", message="m") is None
        a = alerts.resolve(s, lead, alert_id)
        assert a.status == AlertStatus.RESOLVED and a.resolved_by == "lead"


def test_supplier_sees_and_handles_only_its_own_vendors_alerts(db: Database, world: World) -> None:
    with db.transaction() as s:
        mine = alerts.raise_alert(
            s, kind=AlertKind.BELOW_MIN, cause_key="a", message="m", vendor_id=world.vendors["ACME"]
        )
        other = alerts.raise_alert(
            s, kind=AlertKind.BELOW_MIN, cause_key="b", message="m", vendor_id=world.vendors["BOLT"]
        )
        alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="c", message="m")
        assert mine is not None and other is not None
        acme = Actor("vendor:ACME", Role.SUPPLIER, vendor_id=world.vendors["ACME"])
        assert [a.cause_key for a in alerts.list_alerts(s, acme)] == ["a"]
        with pytest.raises(PermissionDenied):  # suppliers do not manage alerts at all
            alerts.acknowledge(s, acme, mine.id)


def test_unknown_alert_is_reported(db: Database, world: World, manager: Actor) -> None:
    with pytest.raises(NotFoundError, match="unknown alert 999"), db.transaction() as s:
        alerts.acknowledge(s, manager, 999)


@pytest.fixture
def received() -> Iterator[list[AlertNotice]]:
    got: list[AlertNotice] = []
    alerts.add_alert_sink(got.append)
    try:
        yield got
    finally:
        alerts.remove_alert_sink(got.append)


def test_sinks_hear_of_new_alerts_after_commit_only(db: Database, world: World, received: list[AlertNotice]) -> None:
    with pytest.raises(RuntimeError), db.transaction() as s:
        alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="gone", message="rolled back")
        raise RuntimeError("boom")
    assert received == []
    with db.transaction() as s:
        alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="kept", message="m")
        alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="kept", message="dup")
        assert received == []
    assert [(n.cause_key, n.kind) for n in received] == [("kept", AlertKind.SYNC_FAILED)]


def test_broken_sink_does_not_stop_others(db: Database, world: World, received: list[AlertNotice]) -> None:
    def broken(_: AlertNotice) -> None:
        raise ValueError("sink down")

    alerts.add_alert_sink(broken)
    try:
        with db.transaction() as s:
            alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="k", message="m")
    finally:
        alerts.remove_alert_sink(broken)
    assert len(received) == 1


@pytest.mark.postgres
def test_two_workstations_raising_the_same_cause_end_with_one_alert(pg_db: Database) -> None:
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with pg_db.transaction() as s:
            barrier.wait(timeout=10)
            results.append(alerts.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="race", message="m"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(results) == 2 and sum(r is not None for r in results) == 1
    with pg_db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1


def test_held_order_alert_resolves_when_order_is_cancelled(db: Database, world: World, manager: Actor) -> None:
    with db.transaction() as s:
        po = orders.create_order(
            s,
            manager,
            vendor_id=world.vendors["ACME"],
            location_id=world.locations["WH-1"],
            lines=[NewLine(sku_id=world.skus["P-1"], quantity=D(5))],
            origin=POOrigin.MANUAL,
            status=POStatus.AWAITING_APPROVAL,
        )
        alerts.raise_alert(
            s, kind=AlertKind.ORDER_HELD, cause_key=f"held:{po.id}", message="held", purchase_order_id=po.id
        )
        orders.cancel(s, manager, po.id, "no")
    assert _open(db) == {}
    with db.sessions() as s:
        assert s.scalar(select(PurchaseOrder.status)) == POStatus.CANCELLED


@pytest.mark.postgres
def test_an_open_cause_lookup_can_use_the_partial_index_in_a_generic_plan(pg_db: Database) -> None:
    # With 'resolved' bound, a plan made once for any value (psycopg prepares a statement used five times)
    # can not use ``uq_alerts_open_cause``: a lookup of a cause then scans every alert ever raised.
    from vmi_desktop.models import alert_is_open

    predicate = alert_is_open().compile(dialect=pg_db.engine.dialect)
    assert not predicate.params
    with pg_db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql(f"PREPARE open_cause(text) AS SELECT id FROM alerts WHERE cause_key = $1 AND {predicate}")
        plan = " ".join(str(row[0]) for row in conn.exec_driver_sql("EXPLAIN EXECUTE open_cause('below_min:1')"))
    assert "uq_alerts_open_cause" in plan, plan
