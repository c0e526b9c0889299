"""Timestamps bound on SQLite in one step are the very text SQLite's DATETIME processor would store, and
audit details are the text ``json.dumps(..., sort_keys=True)`` makes: both have faster paths for bulk
writes, neither may change what is stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql, sqlite

from vmi_desktop.audit import _ENCODER, _jsonable, detail_text
from vmi_desktop.models import POStatus
from vmi_desktop.models.base import UTCDateTime

MOMENTS = [
    datetime(2026, 12, 1, 8, 30, tzinfo=UTC),  # no microseconds: still six digits
    datetime(2026, 12, 1, 8, 30, 5, 123456, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),  # a year below 1000: four digits
    datetime(9998, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2026, 12, 1, 10, 30, 0, 7, tzinfo=timezone(timedelta(hours=2))),  # converted to UTC first
    datetime(2026, 3, 29, 1, 59, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_timestamp_is_bound_on_sqlite_as_the_dialects_own_processor_stores_it(moment: datetime) -> None:
    dialect = sqlite.dialect()
    fast = UTCDateTime().bind_processor(dialect)
    reference = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert fast is not None and reference is not None
    expected = reference(moment.astimezone(UTC).replace(tzinfo=None))
    assert fast(moment) == expected
    assert fast(None) is None


def test_a_naive_timestamp_is_still_refused_on_sqlite() -> None:
    fast = UTCDateTime().bind_processor(sqlite.dialect())
    assert fast is not None
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2026, 12, 1, 8, 30))


def test_postgresql_binds_aware_utc_as_before() -> None:
    process = UTCDateTime().bind_processor(postgresql.dialect())
    moment = datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    bound = process(moment) if process is not None else UTCDateTime().process_bind_param(moment, postgresql.dialect())
    assert bound == moment and bound.tzinfo is UTC


def test_audit_details_are_the_text_json_dumps_makes() -> None:
    detail = {
        "status": POStatus.SENT,  # a str enum: its value
        "qty": Decimal("4.500"),
        "when": date(2026, 12, 1),
        "at": datetime(2026, 12, 1, 8, 30, tzinfo=UTC),
        "note": 'quoted "text" é',
        "lines": 3,
        "ok": True,
        "none": None,
        "ratio": 0.5,
        "nested": {"b": 1, "a": 2},
    }
    values = {k: _jsonable(v) for k, v in detail.items()}
    assert values["status"] == "sent" and type(values["status"]) is str
    assert _ENCODER.encode(values) == json.dumps(values, sort_keys=True)
    assert json.loads(_ENCODER.encode(values))["qty"] == "4.500"
    assert detail_text(values) == json.dumps(values, sort_keys=True)
    assert detail_text({"b": [1, {"z": None, "y": "é"}], "a": -1.25e100}) == json.dumps(
        {"b": [1, {"z": None, "y": "é"}], "a": -1.25e100}, sort_keys=True
    )


def test_a_column_of_timestamps_is_bound_value_by_value_shared_moments_and_nones_too() -> None:
    from vmi_desktop.db.rows import bound_column
    from vmi_desktop.models import AuditEntry

    dialect = sqlite.dialect()
    table = AuditEntry.__table__
    process = UTCDateTime().bind_processor(dialect)
    assert process is not None
    shared = MOMENTS[1]
    values = [shared, shared, MOMENTS[0], None, None, MOMENTS[4], shared, MOMENTS[1].replace()]
    assert bound_column(table, "occurred_at", dialect, values) == [process(v) for v in values]  # type: ignore[arg-type]
