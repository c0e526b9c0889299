"""The pair figures the ledger copies onto the supply agreements, for the worklist's index.

A pair is on the replenishment worklist when its inventory position, less what it consumes in its
lead time at its recent rate, is at or below min (``queries.worklist``). Position and rate come from
three tables and a sliding window, which no index serves; so every ledger posting also writes, onto
every agreement of its pair and in the same transaction, the pair's on hand, its consumption of the
last ``USE_WINDOW_DAYS`` days and its newest consumption (``record_posting``). From those an index
on the agreements (``REACH_SQL``) finds the few rows that may be on the worklist; each is then judged
exactly from the stock level, the movements and the open orders. The copies never decide alone:

- on hand is the value the posting wrote;
- the recent use copied is the window's gross consumption (the consumptions taken, not the reversals
  that gave some back), which only ever shrinks between postings (days leave the window, none enter it
  without a posting), so it bounds the net use of any later window from above: the index may offer a
  pair that turns out not to be on the worklist, never hide one that is. (The net use would not: a
  reversal leaving the window before the consumption posted after it raises the later window's use.);
- open orders are not copied at all (they change in many places); they only ever lower the need.

Bulk writers that bypass the ledger (the demo generator, benchmarks) call ``refresh_pair_figures``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, column, func, literal, literal_column, select, table, tuple_, update
from sqlalchemy.orm import Session

from vmi_desktop.db.sqlfuncs import larger
from vmi_desktop.models import MovementKind, StockLevel, StockMovement, SupplyAgreement
from vmi_desktop.models.base import UTCDateTime
from vmi_desktop.models.catalog import USE_WINDOW_DAYS

#: Agreements refreshed per statement.
_CHUNK = 500

#: The agreements' pair figures and their key as a bare table (no ORM defaults on update).
_FIGURES = table(
    SupplyAgreement.__tablename__,
    *(
        column(name, SupplyAgreement.__table__.c[name].type)
        for name in ("id", "sku_id", "location_id", "pair_on_hand", "pair_recent_use", "pair_used_at")
    ),
)


def window_start(today: date) -> datetime:
    """The first instant of the consumption window that ends with ``today`` (UTC midnight)."""
    start = today - timedelta(days=USE_WINDOW_DAYS)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)


def reach(agreement: Any = SupplyAgreement) -> ColumnElement[Any]:
    """``REACH_SQL`` over ``agreement`` (an alias or the class), built so that it matches the indexes."""
    a = agreement
    return literal_column(str(USE_WINDOW_DAYS)) * (a.pair_on_hand - a.min_qty) - a.pair_recent_use * a.lead_time_days


def recent_use(sku_id: Any, location_id: Any, since: datetime) -> Any:
    """Consumption of a pair since ``since`` (positive; 0 when none), as a scalar subquery (consumption
    movements are stored negative). Never below 0: a reversal inside the window of a consumption older
    than it leaves the window's sum positive, and a use is a rate (a negative one would hide a pair at
    min from the worklist). The copies hold ``gross_use`` instead, the bound of this in later windows."""
    return (
        select(larger(func.coalesce(-func.sum(StockMovement.quantity), 0), 0))
        .where(
            StockMovement.sku_id == sku_id,
            StockMovement.location_id == location_id,
            StockMovement.kind == MovementKind.CONSUMPTION,
            StockMovement.occurred_at >= since,
        )
        .scalar_subquery()
    )


def gross_use(sku_id: Any, location_id: Any, since: datetime) -> Any:
    """What a pair consumed since ``since``, reversals left out (positive; 0 when none), as a scalar
    subquery: the copy's upper bound of ``recent_use`` in this and every later window (module docstring)."""
    return (
        select(func.coalesce(-func.sum(StockMovement.quantity), 0))
        .where(
            StockMovement.sku_id == sku_id,
            StockMovement.location_id == location_id,
            StockMovement.kind == MovementKind.CONSUMPTION,
            StockMovement.occurred_at >= since,
            StockMovement.quantity < 0,
        )
        .scalar_subquery()
    )


def record_posting(
    session: Session,
    sku_id: int,
    location_id: int,
    *,
    on_hand: Any,
    kind: MovementKind,
    occurred_at: datetime,
    now: datetime,
) -> None:
    """Copy a pair's new on hand (and, for a consumption, its recent use) onto its agreements.

    Called by the ledger after the posting's movement is written, inside the same transaction; the
    agreements' versions and ``updated_at`` are left alone (nobody edited them).
    """
    # the bare table, without the model's ``onupdate`` of updated_at: a warehouse lead's login may write
    # only these three columns of the agreements (migration 0006's grant)
    a = _FIGURES
    values: dict[str, Any] = {"pair_on_hand": on_hand}
    if kind is MovementKind.CONSUMPTION:
        when = literal(occurred_at, type_=UTCDateTime())
        values["pair_recent_use"] = gross_use(sku_id, location_id, window_start(now.date()))
        values["pair_used_at"] = case(
            (a.c.pair_used_at.is_(None), when),
            (a.c.pair_used_at < when, when),
            else_=a.c.pair_used_at,
        )
    session.execute(update(a).where(a.c.sku_id == sku_id, a.c.location_id == location_id).values(**values))


def copy_onto_new_agreements(session: Session, agreement_ids: Sequence[int], *, today: date | None = None) -> None:
    """Give agreements just created the figures of their pair (an agreement starts at 0 otherwise).

    A zero copy only ever offers a pair to the worklist's index (never hides one), but an import of
    100,000 agreements for stocked pairs would make each of them a candidate to judge until its next
    posting. Chunked by id, so an import of any size costs a few indexed statements per 500 rows.
    """
    ids = sorted(set(agreement_ids))
    for start in range(0, len(ids), _CHUNK):
        _refresh(session, _FIGURES.c.id.in_(ids[start : start + _CHUNK]), today)


def refresh_pair_figures(
    session: Session, pairs: Iterable[tuple[int, int]] | None = None, *, today: date | None = None
) -> None:
    """Recompute the copies from the ledger for ``pairs`` (every agreement when None), set-based.

    For writers that bypass the ledger (bulk loads) and for the migration that introduced them.
    """
    if pairs is None:
        _refresh(session, None, today)
        return
    chosen = sorted(set(pairs))
    if chosen:
        _refresh(session, tuple_(_FIGURES.c.sku_id, _FIGURES.c.location_id).in_(chosen), today)


def _refresh(session: Session, where: ColumnElement[bool] | None, today: date | None) -> None:
    """The copies recomputed from the ledger, on the bare table like ``record_posting`` (no onupdate)."""
    from vmi_desktop.models import utcnow

    since = window_start(today or utcnow().date())
    a = _FIGURES.c
    on_hand = (
        select(StockLevel.on_hand)
        .where(StockLevel.sku_id == a.sku_id, StockLevel.location_id == a.location_id)
        .scalar_subquery()
    )
    used_at = (
        select(func.max(StockMovement.occurred_at))
        .where(
            StockMovement.sku_id == a.sku_id,
            StockMovement.location_id == a.location_id,
            StockMovement.kind == MovementKind.CONSUMPTION,
        )
        .scalar_subquery()
    )
    stmt = update(_FIGURES).values(
        pair_on_hand=func.coalesce(on_hand, 0),
        pair_recent_use=gross_use(a.sku_id, a.location_id, since),
        pair_used_at=used_at,
    )
    if where is not None:
        stmt = stmt.where(where)
    session.execute(stmt)
