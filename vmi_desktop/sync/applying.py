"""Applying a page's order events: lookups read once per page, writes flushed together, each failure alone.

Events are applied in feed order through the application's commands (``dispatch``), exactly as one
event at a time would be; what changes is how many statements that takes:

- ``prime`` reads, for the whole page, the orders it names (with their lines, locked on
  PostgreSQL), the pairs its supplier orders are for, its shipments and the alert causes it may
  resolve, into the session's ``WorkingSet``: the order services ask it before the database;
- ``apply_in_runs`` applies a run of events inside one savepoint, so their writes reach the database
  in one flush (batched statements) instead of one flush per event. When an event of the run fails,
  the savepoint is rolled back, the events before it are applied again (deterministic: the same
  state gives the same result), the failing one is applied alone in its own savepoint (so its
  rejection, its reason and what it did not write are its own), and the run goes on after it.

Whatever fails only rejects its event, except a database that is itself in trouble (unreachable,
busy, full, read-only): that fails the page, which is pulled again later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from vmi_desktop.db import UnitOfWork
from vmi_desktop.db.batch import RowBatch
from vmi_desktop.db.errors import DbProblem, describe_db_error, is_database_error, problem_of
from vmi_desktop.db.pending_rows import insert_pending, update_changed
from vmi_desktop.errors import VmiError
from vmi_desktop.models import InboxStatus, PurchaseOrder, PurchaseOrderLine, Shipment, Vendor
from vmi_desktop.replenishment import alerts, orders
from vmi_desktop.replenishment.alerts import pair_key
from vmi_desktop.replenishment.working_set import WorkingSet
from vmi_desktop.scope import Actor
from vmi_desktop.sync.dispatch import EventRejected, dispatch
from vmi_desktop.sync.events import (
    Inbound,
    OrderAcknowledged,
    OrderCancelled,
    OrderCreated,
    ShipmentDispatched,
)

log = logging.getLogger(__name__)

#: Database problems that are about the database, not the event: the page fails and is pulled again.
ENVIRONMENT = frozenset(
    {
        DbProblem.UNREACHABLE,
        DbProblem.BUSY,
        DbProblem.CONFLICT,
        DbProblem.DISK_FULL,
        DbProblem.READ_ONLY,
        DbProblem.NOT_A_DATABASE,
        DbProblem.PERMISSION,
    }
)


@dataclass(slots=True)
class Outcome:
    """What became of one event of a page."""

    item: Inbound
    status: InboxStatus = InboxStatus.APPLIED
    reason: str = ""
    scope: bool = False
    alerted: bool = False
    note: str = ""
    proposal: dict[str, Any] | None = field(default=None, repr=False)

    def reject(self, reason: str, *, scope: bool = False, alerted: bool = False) -> None:
        self.status, self.reason, self.scope, self.alerted = InboxStatus.REJECTED, reason, scope, alerted


def is_environmental(exc: BaseException) -> bool:
    """A database error about the database itself (the page fails), not about what one event wrote."""
    return is_database_error(exc) and problem_of(exc) in ENVIRONMENT


def reason_for(exc: BaseException) -> str:
    """Why an event hit an exception: a database refusal in one sentence, or a bug named as such."""
    if is_database_error(exc):
        return describe_db_error(exc)
    return f"internal error while applying it ({type(exc).__name__}: {str(exc)[:300]}); see the log"


def prime(session: Session, vendor_id: int, outcomes: list[Outcome]) -> None:
    """Read what the page's order events will look up, one statement per kind (see the module docstring)."""
    numbers: set[str] = set()
    supplier_ids: set[str] = set()
    shipments: set[str] = set()
    pairs: list[tuple[str, list[str]]] = []
    for outcome in outcomes:
        data = outcome.item.data
        if isinstance(data, OrderAcknowledged | ShipmentDispatched | OrderCancelled):
            if data.po_number:
                numbers.add(data.po_number)
            elif data.supplier_order_id:
                supplier_ids.add(data.supplier_order_id)
            if isinstance(data, ShipmentDispatched):
                shipments.add(data.shipment_id)
        elif isinstance(data, OrderCreated):
            supplier_ids.add(data.supplier_order_id.strip())
            pairs.append((data.location_code, [line.sku for line in data.lines]))
    ws = WorkingSet.of(session)
    if vendor_id not in ws.vendors:  # read by the page already (``inbox``): from the identity map, no statement
        ws.vendors[vendor_id] = session.get(Vendor, vendor_id)
    ws.defer_alerts = True  # written by ``_written`` at the end of each run or single event
    # Locks in the order every other writer takes them (a receipt: its order, then its pairs' reorder
    # lock, then the order counter; a reorder run: the pairs, then the counter), so none waits for the
    # other in a circle: the named orders (locked on PostgreSQL), the supplier orders' pairs, the counter.
    # Positions are read after the pairs' lock: what another workstation committed before counts.
    ws.prime_orders(session, vendor_id, numbers, supplier_ids)
    ws.lock_pairs(session, pairs)
    ws.order_id_reserve = max(1, len(pairs))
    orders.reserve_order_numbers(session, len(pairs))
    ws.prime_pairs(session, vendor_id, pairs)
    ws.prime_shipments(session, vendor_id, shipments)
    causes = [f"{kind}:{po.id}" for po in ws.by_number.values() if po is not None for kind in ("overdue", "held")]
    for code, parts in pairs:
        location = ws.locations.get(code)
        for part in parts:
            sku = ws.skus.get(part)
            if location is not None and sku is not None:
                causes.append(pair_key("below_min", sku.id, location.id))
    ws.prime_causes(session, causes)


def apply_one(uow: UnitOfWork, actor: Actor, outcome: Outcome, vendor_code: str) -> None:
    """Apply one event in its own savepoint; any failure becomes the outcome's rejection."""
    item = outcome.item
    assert item.data is not None
    session = uow.session
    mark = _mark(session)
    try:
        with session.begin_nested():
            note = dispatch(uow, actor, item.data)
            _written(session)
    except Exception as exc:
        _rolled_back(session, mark)
        if isinstance(exc, EventRejected):
            outcome.reject(str(exc), scope=exc.scope, alerted=exc.alerted)
        elif isinstance(exc, VmiError):
            outcome.reject(str(exc))
        elif is_environmental(exc):
            raise
        else:
            if not is_database_error(exc):
                log.exception("%s: event %s (%s) hit a bug", vendor_code, item.event_id[:200], item.type)
            outcome.reject(reason_for(exc))
        return
    if isinstance(note, EventRejected):  # "not applied, but keep what the domain wrote about it"
        outcome.reject(str(note), scope=note.scope, alerted=note.alerted)
    else:
        outcome.note = note


@dataclass(frozen=True)
class _Mark:
    """Where the page's side lists stood before a savepoint, to go back to when it rolls back."""

    notices: int
    numbers: int | None
    rows: dict[type[Any], int]


def _mark(session: Session) -> _Mark:
    batch = RowBatch.active(session)
    return _Mark(
        alerts.pending_mark(session), orders.order_number_mark(session), batch.mark() if batch is not None else {}
    )


def _rolled_back(session: Session, mark: _Mark) -> None:
    """A savepoint rolled back: forget what was read, and the notices, numbers and rows of what it did."""
    WorkingSet.forget(session)
    alerts.drop_pending_since(session, mark.notices)
    orders.rewind_order_numbers(session, mark.numbers)
    batch = RowBatch.active(session)
    if batch is not None:
        batch.rewind(mark.rows)


#: What a page's events create, written as rows before the flush (parents first; ``db.pending_rows``).
_NEW_ROWS = (PurchaseOrder, PurchaseOrderLine, Shipment)


def _written(session: Session) -> None:
    """Write what the events did: their new orders, lines and shipments as rows, the orders' and lines'
    changes in batches, one flush for the rest, then their history and audit rows and the alerts of their new
    orders, one statement per table."""
    insert_pending(session, _NEW_ROWS)
    update_changed(session, PurchaseOrder)  # batched; the ORM updates a versioned row alone
    update_changed(session, PurchaseOrderLine)  # batched too: less work than the flush's
    session.flush()
    batch = RowBatch.active(session)
    if batch is not None:
        batch.write(session)
    alerts.write_deferred(session)


class _RunStopped(Exception):
    """An event of a run raised: the run's savepoint is rolled back."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def _try_run(uow: UnitOfWork, actor: Actor, run: list[Outcome]) -> int | None:
    """Apply ``run`` in one savepoint; None when all of it is written, else the index of the event that raised.

    Nothing of a run that stopped is kept (the outcomes are only set for a run that was written).
    """
    session = uow.session
    results: list[str | EventRejected] = []
    mark = _mark(session)
    try:
        with session.begin_nested():
            for index, outcome in enumerate(run):
                assert outcome.item.data is not None
                try:
                    results.append(dispatch(uow, actor, outcome.item.data))
                except Exception as exc:
                    if is_environmental(exc):
                        raise
                    raise _RunStopped(index) from exc
            _written(session)
    except _RunStopped as stop:
        _rolled_back(session, mark)
        return stop.index
    except Exception as exc:  # the run's writes were refused as a whole (at the flush): find out by whom
        _rolled_back(session, mark)
        if is_environmental(exc):
            raise
        log.warning("a run of %d events could not be written together (%s); applying them one by one", len(run), exc)
        return -1
    for outcome, result in zip(run, results, strict=True):
        if isinstance(result, EventRejected):  # "not applied, but keep what the domain wrote about it"
            outcome.reject(str(result), scope=result.scope, alerted=result.alerted)
        else:
            outcome.note = result
    return None


def apply_in_runs(uow: UnitOfWork, actor: Actor, vendor_id: int, outcomes: list[Outcome], vendor_code: str) -> None:
    """Apply the page's order events in feed order, in runs (see the module docstring)."""
    session = uow.session
    RowBatch.start(session)
    try:
        _runs(uow, actor, vendor_id, outcomes, vendor_code)
        orders.release_order_numbers(session)  # the numbers reserved for orders the page did not create
    finally:
        RowBatch.stop(session)  # every run and single event wrote its rows (``_written``)
        # What the page read and deferred is the page's: later work in the unit of work asks the database.
        WorkingSet.forget(session)


def _runs(uow: UnitOfWork, actor: Actor, vendor_id: int, outcomes: list[Outcome], vendor_code: str) -> None:
    session = uow.session
    start = 0
    while start < len(outcomes):
        rest = outcomes[start:]
        stopped = _try_run(uow, actor, rest)
        if stopped is None:
            return
        prime(session, vendor_id, rest)  # the rollback dropped what was read
        if stopped < 0:
            for outcome in rest:
                apply_one(uow, actor, outcome, vendor_code)
                prime(session, vendor_id, rest)
            return
        if stopped > 0 and _try_run(uow, actor, rest[:stopped]) is not None:
            prime(session, vendor_id, rest)  # it should not fail twice; if it does, one at a time
            for outcome in rest[:stopped]:
                apply_one(uow, actor, outcome, vendor_code)
                prime(session, vendor_id, rest)
        apply_one(uow, actor, rest[stopped], vendor_code)
        prime(session, vendor_id, rest[stopped + 1 :])
        start += stopped + 1
