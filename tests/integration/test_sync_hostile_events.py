"""Whatever a supplier puts into one event, that event alone is rejected (reason kept, alert raised) and the
events after it still apply; event ids of any length are kept and deduplicated exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import MANAGER
from tests.integration.hostile_supplier import TOKEN, HostileRig, event, hostile_rig, page_bytes, proposal
from tests.world import sent_order
from vmi_desktop.db import Database
from vmi_desktop.models import (
    Alert,
    AlertKind,
    InboxEvent,
    InboxStatus,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    SyncState,
    ThresholdProposal,
)
from vmi_desktop.sync.auth import VendorCredentials
from vmi_desktop.sync.engine import SyncEngine, SyncReport


def _sync(h: HostileRig, **options: Any) -> SyncReport:
    engine = SyncEngine(h.db, timeout=5.0, wait_for_retries_s=0, **options)
    return engine.sync_vendor(h.acme, VendorCredentials(token=TOKEN))


def _order(so: str, *, line: Any = 1, sku: Any = "P-2", quantity: Any = 3, **fields: Any) -> dict[str, Any]:
    line_fields = {k: fields.pop(k) for k in ("unit_price", "supplier_sku", "uom", "expected_delivery") if k in fields}
    return {
        "supplier_order_id": so,
        "location_code": "WH-1",
        "lines": [{"line": line, "sku": sku, "quantity": quantity, **line_fields}],
        **fields,
    }


def _sent_order(h: HostileRig, sku: str, quantity: int) -> str:
    return sent_order(h.db, MANAGER, h.world, "ACME", "WH-1", (sku, quantity)).po_number


def _inbox(db: Database) -> dict[str, InboxEvent]:
    with db.transaction() as s:
        return {e.event_id: e for e in s.scalars(select(InboxEvent))}


def test_each_poison_event_is_rejected_alone_and_the_good_ones_around_it_apply(db: Database) -> None:
    with hostile_rig(db) as h:
        po = _sent_order(h, "P-1", 6)
        other = _sent_order(h, "P-1", 4)
        poison: list[tuple[str, bytes, str]] = [
            ("p-price", event("order.created", _order("SO-P1", unit_price=1e300), "p-price"), "unit_price"),
            ("p-qty", event("order.created", _order("SO-P2", quantity=1e300), "p-qty"), "quantity"),
            ("p-line", event("order.created", _order("SO-P3", line=10**30), "p-line"), "line"),
            ("p-soid", event("order.created", _order("S" * 5000), "p-soid"), "supplier_order_id"),
            ("p-ssku", event("order.created", _order("SO-P5", supplier_sku="X" * 5000), "p-ssku"), "supplier_sku"),
            ("p-loc", event("order.created", dict(_order("SO-P6"), location_code={"x": 1}), "p-loc"), "location_code"),
            ("p-lines", event("order.created", dict(_order("SO-P7"), lines="many"), "p-lines"), "lines"),
            ("p-date", event("order.created", _order("SO-P8", expected_delivery="9999-99-99"), "p-date"), "expected"),
            (
                "p-tloc",
                event("thresholds.proposed", {"location_code": {"x": 1}, "sku": "P-1", "min": 1, "max": 9}, "p-tloc"),
                "location_code",
            ),
            (
                "p-tmin",
                event("thresholds.proposed", {"location_code": "WH-1", "sku": "P-1", "min": "5", "max": 9}, "p-tmin"),
                "number",
            ),
            (
                "p-late",
                proposal("p-late").replace(b"2026-11-24T08:30:00Z", b"9999-12-31T23:59:59-12:00"),
                "occurred_at",
            ),
            (
                "p-early",
                proposal("p-early").replace(b"2026-11-24T08:30:00Z", b"0001-01-01T00:00:00+05:00"),
                "occurred_at",
            ),
            ("p-when", event("thresholds.proposed", {}, "p-when", occurred_at=5), "occurred_at"),
            ("p-data", event("order.cancelled", None, "p-data"), "data"),
            ("p-type", event(7, {}, "p-type"), "type"),  # type: ignore[arg-type]
            (
                "p-ship",
                event(
                    "shipment.dispatched",
                    {"shipment_id": "H" * 5000, "po_number": po, "lines": [{"line": 1, "sku": "P-1", "quantity": 6}]},
                    "p-ship",
                ),
                "shipment_id",
            ),
            (
                "p-carrier",
                event(
                    "shipment.dispatched",
                    {
                        "shipment_id": "SH-C",
                        "po_number": po,
                        "carrier": ["UPS"],
                        "lines": [{"line": 1, "sku": "P-1", "quantity": 6}],
                    },
                    "p-carrier",
                ),
                "carrier",
            ),
            (
                "p-ack",
                event(
                    "order.acknowledged",
                    {"po_number": po, "status": "accepted", "lines": [{"line": 1, "quantity": "lots"}]},
                    "p-ack",
                ),
                "number",
            ),
            ("p-cancel", event("order.cancelled", {"po_number": other, "reason": ["x"]}, "p-cancel"), "reason"),
            ("p-po", event("order.cancelled", {"po_number": "P" * 5000, "reason": "x"}, "p-po"), "po_number"),
        ]
        good = [
            event("order.created", _order("SO-GOOD", quantity=5), "g-created"),
            proposal("g-proposal", mn=3, mx=30),
            event(
                "order.acknowledged",
                {"po_number": po, "status": "accepted", "lines": [{"line": 1, "quantity": 6}], "extra": "ignored"},
                "g-ack",
            ),
            event(
                "shipment.dispatched",
                {"shipment_id": "SH-1", "po_number": po, "lines": [{"line": 1, "sku": "P-1", "quantity": 6}]},
                "g-ship",
            ),
            event("order.cancelled", {"po_number": other, "reason": "out of stock"}, "g-cancel"),
        ]
        feed: list[bytes] = []
        for i, (_, raw, _) in enumerate(poison):  # every poison event sits between good ones
            feed.append(raw)
            if i < len(good):
                feed.append(good[i])
        feed += [b"7", b'"an event"', b'{"event_id": {"no": 1}, "type": "order.cancelled", "data": {}}']
        h.supplier.feed = feed

        report = _sync(h)

        assert report.error is None, report
        assert (report.events_applied, report.events_rejected) == (len(good), len(feed) - len(good))
        stored = _inbox(db)
        assert len(stored) == len(feed)
        for event_id, _, fragment in poison:
            row = stored[event_id]
            assert row.status is InboxStatus.REJECTED, (event_id, row.reason)
            assert fragment in row.reason, (event_id, row.reason)
            assert "internal error" not in row.reason
        assert {e for e, row in stored.items() if row.status is InboxStatus.APPLIED} == {
            "g-created",
            "g-proposal",
            "g-ack",
            "g-ship",
            "g-cancel",
        }
        with db.transaction() as s:
            orders = {p.po_number: p for p in s.scalars(select(PurchaseOrder))}
            assert orders[po].status is POStatus.SHIPPED
            assert orders[other].status is POStatus.CANCELLED
            assert [p.supplier_order_id for p in orders.values() if p.supplier_order_id] == ["SO-GOOD"]
            assert s.scalar(select(func.count()).select_from(ThresholdProposal)) == 1
            rejected_alerts = s.scalar(
                select(func.count())
                .select_from(Alert)
                .where(Alert.kind.in_([AlertKind.EVENT_REJECTED, AlertKind.SCOPE_VIOLATION]))
            )
            assert rejected_alerts == len(feed) - len(good)
            state = s.get_one(SyncState, h.acme)
            assert state.cursor == str(len(feed))

        # Pulled again from the start: nothing applied or rejected twice.
        with db.transaction() as s:
            s.get_one(SyncState, h.acme).cursor = None
        again = _sync(h)
        assert (again.error, again.events_applied, again.events_rejected) == (None, 0, 0)
        assert len(_inbox(db)) == len(feed)


def test_a_database_refusal_of_one_event_rejects_that_event_only(pg_db: Database) -> None:
    """PostgreSQL refuses a value the column cannot hold (DataError): the event is rejected, not the page."""
    from sqlalchemy import text

    with hostile_rig(pg_db) as h:
        # A trap the typed models cannot know of: the shipments table holds shorter carriers today.
        with pg_db.transaction() as s:
            s.execute(text("ALTER TABLE shipments ALTER COLUMN carrier TYPE varchar(3)"))
        po = _sent_order(h, "P-1", 6)
        h.supplier.feed = [
            event(
                "shipment.dispatched",
                {
                    "shipment_id": "SH-1",
                    "po_number": po,
                    "carrier": "LONGCARRIER",
                    "lines": [{"line": 1, "sku": "P-1", "quantity": 2}],
                },
                "too-long",
            ),
            proposal("after"),
        ]
        report = _sync(h)
        assert report.error is None, report
        stored = _inbox(pg_db)
        assert stored["too-long"].status is InboxStatus.REJECTED
        assert "out of range" in stored["too-long"].reason or "too long" in stored["too-long"].reason
        assert stored["after"].status is InboxStatus.APPLIED


def test_event_ids_of_any_length_are_kept_whole_and_deduplicated_exactly(db: Database) -> None:
    with hostile_rig(db) as h:
        stem = "E" * 100
        ids = [stem + "-first", stem + "-second", "X" * 10_000, "short"]
        h.supplier.feed = [proposal(event_id, mn=i, reason=f"r{i}") for i, event_id in enumerate(ids)]
        report = _sync(h)
        assert report.error is None, report
        assert report.events_applied == 4
        stored = _inbox(db)
        assert set(stored) == set(ids)
        # The same ids again (a replayed feed), plus one new one: only the new one is applied.
        h.supplier.feed += [proposal(event_id, mn=9, reason="again") for event_id in ids] + [proposal(stem + "-third")]
        again = _sync(h)
        assert (again.error, again.events_applied, again.events_rejected) == (None, 1, 0)
        assert set(_inbox(db)) == {*ids, stem + "-third"}
        with db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(ThresholdProposal)) == 5


def test_an_oversized_event_is_rejected_and_not_stored_whole(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        big = event(
            "thresholds.proposed",
            {"location_code": "WH-1", "sku": "P-1", "min": 1, "max": 9, "reason": "r" * 2_000_000},
            "big",
        )
        h.supplier.feed = [big, proposal("after")]
        report = _sync(h)
        assert report.error is None, report
        stored = _inbox(sqlite_db)
        assert stored["big"].status is InboxStatus.REJECTED
        assert "bytes" in stored["big"].reason
        assert len(stored["big"].payload) < 10_000
        assert stored["after"].status is InboxStatus.APPLIED


@pytest.mark.parametrize(
    ("body", "what"),
    [
        pytest.param(b"<html>Service temporarily unavailable</html>", "not JSON", id="not-json"),
        pytest.param(b"[1, 2, 3]", "object", id="not-an-object"),
        pytest.param(b'{"events": {"a": 1}, "next_cursor": "9", "has_more": false}', "events", id="events-not-a-list"),
        pytest.param(b'{"events": [], "next_cursor": "9", "has_more": false, "n": NaN}', "not JSON", id="nan-literal"),
    ],
)
def test_a_malformed_page_is_one_protocol_error_and_the_cursor_stays(
    sqlite_db: Database, body: bytes, what: str
) -> None:
    with hostile_rig(sqlite_db) as h:
        with sqlite_db.transaction() as s:
            s.add(SyncState(vendor_id=h.acme, cursor="41", last_error=""))
        h.supplier.serve_raw(body)
        for _ in range(3):
            report = _sync(h)
            assert report.error is not None and what in report.error, report.error
            assert "internal error" not in report.error
        assert h.supplier.counts["GET /v1/events"] == 3  # one try per run, not a retry storm
        with sqlite_db.transaction() as s:
            assert s.get_one(SyncState, h.acme).cursor == "41"
            alerts = s.scalars(
                select(Alert).where(Alert.vendor_id == h.acme, Alert.kind == AlertKind.SYNC_FAILED)
            ).all()
            assert len(alerts) == 1 and what in alerts[0].message
        # The supplier mends its feed: the next run applies and resolves the alert.
        h.supplier.feed = [b""] * 41 + [proposal("mended")]
        h.supplier.serve_normal()
        assert _sync(h).events_applied == 1
        with sqlite_db.transaction() as s:
            alert = s.scalars(select(Alert).where(Alert.kind == AlertKind.SYNC_FAILED)).one()
            assert alert.status.value == "resolved"


def test_the_payload_kept_is_the_supplier_event_as_sent(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        raw = proposal("exact", mn=1).replace(b'"min": 1', b'"min": 2.000')
        h.supplier.feed = [raw]
        assert _sync(h).events_applied == 1
        assert _inbox(sqlite_db)["exact"].payload == raw.decode()
        with sqlite_db.transaction() as s:
            assert s.scalars(select(ThresholdProposal.proposed_min)).one() == Decimal(2)


def test_more_events_than_asked_for_is_one_protocol_error_with_nothing_applied(sqlite_db: Database) -> None:
    with hostile_rig(sqlite_db) as h:
        events = [proposal(f"flood-{i}") for i in range(5_000)]
        h.supplier.serve_raw(page_bytes(events, "5000", False))
        report = _sync(h, events_limit=500)
        assert report.error is not None and "5000 events" in report.error and "500" in report.error
        assert report.events_applied == report.events_rejected == 0
        with sqlite_db.transaction() as s:
            assert s.scalar(select(func.count()).select_from(InboxEvent)) == 0
            assert s.scalar(select(func.count()).select_from(Alert)) == 1


def _threshold(event_id_json: bytes, reason_json: bytes, location_json: bytes = b'"WH-1"') -> bytes:
    """A threshold proposal written byte for byte (escapes our own encoder would never write)."""
    return (
        b'{"event_id": ' + event_id_json + b', "type": "thresholds.proposed", "occurred_at": "2026-11-24T08:30:00Z", '
        b'"data": {"location_code": '
        + location_json
        + b', "sku": "P-2", "min": 2, "max": 9, "reason": '
        + reason_json
        + b"}}"
    )


def test_a_nul_character_anywhere_in_an_event_rejects_that_event_alone(db: Database) -> None:
    # PostgreSQL stores no NUL in text: such an event, looked up or kept, failed the whole page at every run
    with hostile_rig(db) as h:
        h.supplier.feed = [
            _threshold(b'"nul-reason"', b'"a\\u0000b"'),
            _threshold(b'"nul-location"', b'"r"', location_json=b'"WH-1\\u0000"'),
            _threshold(b'"nul-id\\u0000"', b'"r"'),
            _threshold(b'"nul-byte"', b'"a\x00b"'),  # a raw NUL byte: not JSON at all
            _threshold(b'"literal"', b'"a\\\\u0000b"'),  # a backslash, then the text u0000: no NUL
            proposal("after"),
        ]
        report = _sync(h)
        assert (report.error, report.events_applied, report.events_rejected) == (None, 2, 4)
        stored = _inbox(db)
        assert {e for e, row in stored.items() if row.status is InboxStatus.APPLIED} == {"literal", "after"}
        for event_id in ("nul-reason", "nul-location"):
            assert "NUL character" in stored[event_id].reason
            assert "\x00" not in stored[event_id].payload and "\\u0000" in stored[event_id].payload
        (by_digest,) = [e for e in stored if e.startswith("invalid:")]  # the id itself held the NUL
        assert "NUL character" in stored[by_digest].reason
        assert "not JSON" in stored["nul-byte"].reason and "\\u0000" in stored["nul-byte"].payload
        assert all("\x00" not in row.event_id + row.reason + row.payload for row in stored.values())
        again = _sync(h)  # nothing is stuck, nothing comes twice
        assert (again.error, again.events_applied, again.events_rejected) == (None, 0, 0)


def test_a_lone_surrogate_in_an_event_rejects_that_event_alone_and_the_page_still_applies(db: Database) -> None:
    # valid JSON text that the parser refuses: the whole page was refused, the same again at every run
    sent = [
        _threshold(b'"lone-reason"', b'"\\udfff"'),
        _threshold(b'"pair"', b'"\\ud83d\\ude00"'),  # a surrogate pair is a character: applied
        _threshold(b'"lone-id\\ud800"', b'"r"'),
        _threshold(b'"lookalike"', b'"\\\\ud800"'),  # a backslash, then the text ud800: applied
        proposal("after"),
    ]
    with hostile_rig(db) as h:
        h.supplier.feed = sent
        report = _sync(h)
        assert (report.error, report.events_applied, report.events_rejected) == (None, 3, 2)
        stored = _inbox(db)
        assert {e for e, row in stored.items() if row.status is InboxStatus.APPLIED} == {"pair", "lookalike", "after"}
        assert "surrogate" in stored["lone-reason"].reason
        assert stored["lone-reason"].payload == sent[0].decode()  # kept as the supplier sent it
        with db.transaction() as s:
            reasons = set(s.scalars(select(ThresholdProposal.reason)))
        assert {"\U0001f600", "\\ud800"} <= reasons
        again = _sync(h)
        assert (again.error, again.events_applied, again.events_rejected) == (None, 0, 0)


def test_a_suppliers_reason_with_control_characters_is_applied_with_them_spelled_out_and_cut(db: Database) -> None:
    # a person's text with one is refused (``free_text``); a supplier's cancellation must still cancel
    bell_reason = "out of stock\u0007" + "x" * 600
    with hostile_rig(db) as h:
        po = _sent_order(h, "P-1", 6)
        blank = _sent_order(h, "P-1", 2)
        h.supplier.feed = [
            event("order.cancelled", {"po_number": po, "reason": bell_reason}, "cancel-bell"),
            event("order.cancelled", {"po_number": blank, "reason": "   "}, "cancel-blank"),
            _threshold(b'"proposal-escape"', b'"season\\u001b[31m"'),
        ]
        report = _sync(h)
        assert (report.error, report.events_applied, report.events_rejected) == (None, 3, 0)
        with db.transaction() as s:
            order = s.scalars(select(PurchaseOrder).where(PurchaseOrder.po_number == po)).one()
            note = s.scalars(
                select(POStatusChange.note).where(
                    POStatusChange.purchase_order_id == order.id, POStatusChange.to_status == POStatus.CANCELLED
                )
            ).one()
            reasons = set(s.scalars(select(ThresholdProposal.reason)))
            blank_status = s.scalars(select(PurchaseOrder.status).where(PurchaseOrder.po_number == blank)).one()
        assert order.status is POStatus.CANCELLED and blank_status is POStatus.CANCELLED
        assert note.startswith("out of stock\\u0007xxx") and len(note) == 500
        assert "season\\u001b[31m" in reasons
