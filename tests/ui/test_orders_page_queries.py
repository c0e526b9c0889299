"""The queries behind the orders and alerts pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import MANAGER
from tests.world import build_world
from vmi_desktop.db import Database
from vmi_desktop.models import AlertKind, AlertSeverity, AlertStatus, POOrigin, POStatus, Role
from vmi_desktop.queries import alerts as alert_queries
from vmi_desktop.queries import orders as order_queries
from vmi_desktop.replenishment import alerts as alert_service
from vmi_desktop.replenishment import orders as po_api
from vmi_desktop.scope import Actor


def test_order_pages_filter_sort_search_and_scope(db: Database, manager: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        ids = {}
        for vendor, sku, status in (
            ("ACME", "P-1", POStatus.DRAFT),
            ("ACME", "P-2", POStatus.SENT),
            ("BOLT", "P-3", POStatus.SENT),
        ):
            po = po_api.create_order(
                s,
                manager,
                vendor_id=w.vendors[vendor],
                location_id=w.locations["WH-1"],
                lines=[po_api.NewLine(sku_id=w.skus[sku], quantity=Decimal(5))],
                origin=POOrigin.MANUAL,
                status=status,
            )
            ids[(vendor, sku)] = po.id
        po_api.approve(s, manager, ids[("ACME", "P-1")])
    bolt = Actor(name="bolt", role=Role.SUPPLIER, vendor_id=w.vendors["BOLT"])
    with db.transaction() as s:
        everything = order_queries.OrderFilter()
        sent = order_queries.OrderFilter(statuses=frozenset({POStatus.SENT}))
        assert order_queries.count_orders(s, manager, everything) == 3
        assert order_queries.count_orders(s, manager, sent) == 3  # the draft was approved: sent
        by_vendor = order_queries.fetch_orders(s, manager, everything, sort="vendor", descending=False)
        assert [r.vendor for r in by_vendor] == ["ACME", "ACME", "BOLT"]
        assert [r.id for r in order_queries.fetch_orders(s, manager, everything, offset=1, limit=1)] == [
            ids[("ACME", "P-2")]
        ]
        search = order_queries.OrderFilter(search="bol")
        assert [r.vendor for r in order_queries.fetch_orders(s, manager, search)] == ["BOLT"]
        assert [r.vendor for r in order_queries.fetch_orders(s, bolt, everything)] == ["BOLT"]
        assert order_queries.order_detail(s, bolt, ids[("ACME", "P-1")]) is None
        detail = order_queries.order_detail(s, manager, ids[("ACME", "P-1")])
        assert detail is not None
        assert [(ln.part_number, ln.ordered, ln.open_quantity) for ln in detail.lines] == [
            ("P-1", Decimal(5), Decimal(5))
        ]
        assert [(h.from_status, h.to_status) for h in detail.history] == [
            (None, POStatus.DRAFT),
            (POStatus.DRAFT, POStatus.SENT),
        ]
        assert [c.code for c in order_queries.vendor_choices(s, bolt)] == ["BOLT"]
        assert [
            a.part_number for a in order_queries.agreement_skus(s, MANAGER, w.vendors["ACME"], w.locations["WH-1"])
        ] == [
            "P-1",
            "P-2",
        ]


def test_alert_pages_sort_by_severity_and_notice_new_ones(db: Database, manager: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        for key, severity in (("a", AlertSeverity.INFO), ("b", AlertSeverity.CRITICAL), ("c", AlertSeverity.WARNING)):
            alert_service.raise_alert(
                s, kind=AlertKind.BELOW_MIN, cause_key=key, message=key, severity=severity, vendor_id=w.vendors["ACME"]
            )
    with db.transaction() as s:
        rows = alert_queries.fetch_alerts(s, manager, sort="severity", descending=True)
        assert [r.severity for r in rows] == [AlertSeverity.CRITICAL, AlertSeverity.WARNING, AlertSeverity.INFO]
        first = alert_queries.latest_alert_id(s, manager)
        alert_service.acknowledge(s, manager, rows[0].id)
    with db.transaction() as s:
        assert alert_queries.count_alerts(s, manager, frozenset({AlertStatus.OPEN})) == 2
        assert alert_queries.open_alerts_after(s, manager, first) == []
        alert_service.raise_alert(s, kind=AlertKind.SYNC_FAILED, cause_key="d", message="sync down")
    with db.transaction() as s:
        assert [r.message for r in alert_queries.open_alerts_after(s, manager, first)] == ["sync down"]
        supplier = Actor(name="acme", role=Role.SUPPLIER, vendor_id=w.vendors["ACME"])
        assert alert_queries.open_alerts_after(s, supplier, first) == []  # not its vendor's


def test_order_search_takes_like_wildcards_literally(db: Database, manager: Actor) -> None:
    with db.transaction() as s:
        w = build_world(s)
        po = po_api.create_order(
            s,
            manager,
            vendor_id=w.vendors["ACME"],
            location_id=w.locations["WH-1"],
            lines=[po_api.NewLine(sku_id=w.skus["P-1"], quantity=Decimal(5))],
            origin=POOrigin.MANUAL,
            supplier_order_id="SO_100%",
        )
        po_api.create_order(
            s,
            manager,
            vendor_id=w.vendors["BOLT"],
            location_id=w.locations["WH-1"],
            lines=[po_api.NewLine(sku_id=w.skus["P-3"], quantity=Decimal(5))],
            origin=POOrigin.MANUAL,
            supplier_order_id="SOX1000",
        )
    with db.sessions() as s:

        def found(text: str) -> list[int]:
            return [r.id for r in order_queries.fetch_orders(s, manager, order_queries.OrderFilter(search=text))]

        assert found("%") == [po.id]  # a literal percent sign, not "anything"
        assert found("SO_") == [po.id]  # "_" is not "any one character": SOX1000 is not found
        assert found("100%") == [po.id]
        assert len(found("SO")) == 2
