"""Whatever JSON a supplier sends, the inbox stores each event once as applied or rejected and never crashes."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.world import build_world
from vmi_desktop.db import Database
from vmi_desktop.models import InboxEvent, SyncState
from vmi_desktop.sync.inbox import apply_page

_ids = itertools.count()
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["P-1", "P-2", "P-3", "WH-1", "VAN-7", "2026-12-01", "1e999"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
quantity = st.one_of(
    st.integers(-5, 60),
    st.floats(-5, 60, allow_nan=False),
    st.text(max_size=4),
    st.none(),
    st.decimals(0, 60, places=4).map(float),
)
line = st.fixed_dictionaries(
    {
        "line": st.one_of(st.integers(-1, 3), st.text(max_size=2)),
        "sku": st.sampled_from(["P-1", "P-2", "P-3", "NOPE", ""]),
        "quantity": quantity,
    },
    optional={
        "expected_delivery": st.sampled_from(["2026-12-01", "soon", None]),
        "unit_price": st.one_of(st.floats(-1, 10, allow_nan=False), st.text(max_size=3)),
    },
)
structured = st.fixed_dictionaries(
    {
        "supplier_order_id": st.text(max_size=6),
        "location_code": st.sampled_from(["WH-1", "VAN-7", "NOPE"]),
        "lines": st.lists(line, max_size=3),
    },
    optional={
        "po_number": st.sampled_from(["PO-000001", "PO-999999"]),
        "status": st.sampled_from(["accepted", "changed", "rejected", "maybe"]),
        "sku": st.sampled_from(["P-1", "P-3"]),
        "min": quantity,
        "max": quantity,
        "shipment_id": st.text(max_size=4),
        "reason": st.text(max_size=5),
    },
)
event = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "order.created",
                "order.acknowledged",
                "shipment.dispatched",
                "order.cancelled",
                "thresholds.proposed",
                "bogus",
                7,
            ]
        ),
        "data": st.one_of(structured, json_values),
    },
    optional={"occurred_at": st.sampled_from(["2026-11-24T08:30:00Z", "yesterday", 5])},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event, min_size=1, max_size=8), duplicate=st.booleans())
def test_any_supplier_events_are_stored_once_applied_or_rejected(
    sqlite_db: Database, events: list[dict[str, Any]], duplicate: bool
) -> None:
    with sqlite_db.transaction() as s:
        if not s.scalar(select(func.count()).select_from(SyncState)):
            build_world(s)
            s.add(SyncState(vendor_id=1, last_error=""))
    page = [dict(e, event_id=f"E{next(_ids)}") for e in events]
    if duplicate:
        page.append(dict(page[0]))  # the same event id twice in a page
    cursor = f"c{next(_ids)}"
    with sqlite_db.unit_of_work() as uow:
        before = uow.session.scalar(select(func.count()).select_from(InboxEvent)) or 0
        result = apply_page(uow, 1, page, cursor)
    with sqlite_db.transaction() as s:
        after = s.scalar(select(func.count()).select_from(InboxEvent)) or 0
        state = s.get(SyncState, 1)
        assert state is not None and state.cursor == cursor
    assert result.applied + result.rejected == len(events) == after - before
    assert result.skipped == int(duplicate)
