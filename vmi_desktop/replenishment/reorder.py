"""The automated reorder trigger: one set-based query finds every SKU x location at or below min.

For each pair whose inventory position (on hand + open order quantity, drafts and
proposals included) is at or below the primary agreement's min:

- ``auto_po``: an order is raised and sent (status ``sent``; the sync layer delivers it);
- ``proposal``: an order is drafted awaiting approval (added to an open proposal for the
  same vendor x location when there is one);
- ``supplier_managed``: a ``below_min`` alert addressed to the vendor; the supplier orders.

Quantity = max - position, rounded up to the pack size, at least the MOQ (itself rounded
up to whole packs). What one run raises is grouped: one order per vendor x location x mode,
one line per SKU. Because the position counts open orders, a second run raises nothing
twice; on PostgreSQL an advisory lock stops two workstations evaluating the same pairs at
once, and SQLite has a single writer. A pair the parts manager snoozed on the worklist
(``replenishment.snoozes``) is skipped until its date.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, and_, case, false, func, literal_column, select, text, tuple_, type_coerce
from sqlalchemy.orm import Session

from vmi_desktop.db.bulk import bulk_insert, insert_rows
from vmi_desktop.db.sqlfuncs import flag
from vmi_desktop.models import (
    AlertKind,
    AuditEntry,
    Criticality,
    Location,
    POLineStatus,
    POOrigin,
    POStatus,
    POStatusChange,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    SupplyAgreement,
    utcnow,
)
from vmi_desktop.models.base import StoredQuantity
from vmi_desktop.quantities import fmt, order_quantity
from vmi_desktop.replenishment import alerts
from vmi_desktop.replenishment._sql import lock_proposals, lock_reorder, on_order_subquery, to_decimal
from vmi_desktop.replenishment.orders import PO_COUNTER, PO_PREFIX, format_number, reserve_numbers
from vmi_desktop.replenishment.pair_figures import reach
from vmi_desktop.replenishment.snoozes import snoozed
from vmi_desktop.scope import SYSTEM, Action, Actor, require

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReorderNeed:
    """One pair at or below min and what the run does about it."""

    agreement_id: int
    vendor_id: int
    sku_id: int
    location_id: int
    part_number: str
    location_code: str
    mode: ReplenishmentMode
    on_hand: Decimal
    on_order: Decimal
    position: Decimal
    min_qty: Decimal
    max_qty: Decimal
    quantity: Decimal


@dataclass
class ReorderResult:
    """What a run found and raised (nothing is raised on a dry run)."""

    needs: list[ReorderNeed] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)  # PO numbers created or extended
    order_ids: list[int] = field(default_factory=list)  # ids of the same orders
    sent_orders: list[int] = field(default_factory=list)  # ids of orders raised as sent (auto_po): to the outbox
    lines: int = 0
    alerts_raised: int = 0
    dry_run: bool = False

    @property
    def raised_anything(self) -> bool:
        return bool(self.orders or self.alerts_raised)


#: Sort key of ``below_min_statement``'s rows: its columns vendor_id, location_id, sku_id (by position:
#: a Row's attributes cost ten times more over 10,000 needs).
_BY_VENDOR_LOCATION_SKU = itemgetter(1, 3, 2)

#: A bare 0 (no bind): the same on both engines' quantity storage (integer thousandths, NUMERIC).
_ZERO = literal_column("0", Integer)


def below_min_statement(
    pairs: list[tuple[int, int]] | None = None, *, today: date | None = None, only_below_min: bool = True
) -> Any:
    """The set-based query: every active primary agreement whose position is at or below min and
    that is not snoozed on ``today`` (UTC, default now).

    Returns agreement, pair, on hand, on order and the thresholds.
    ``only_below_min=False`` returns the same for every pair of ``pairs`` (an order by hand).
    """
    today = today or utcnow().date()
    sku_ids = sorted({s for s, _ in pairs}) if pairs else None
    loc_ids = sorted({loc for _, loc in pairs}) if pairs else None
    oo = on_order_subquery(sku_ids, loc_ids)
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    on_order = func.coalesce(oo.c.on_order, 0)
    # quantities read as stored (a million pairs: the general result checks were half the client time)
    stmt = (
        select(
            SupplyAgreement.id,
            SupplyAgreement.vendor_id,
            SupplyAgreement.sku_id,
            SupplyAgreement.location_id,
            SupplyAgreement.mode,
            type_coerce(SupplyAgreement.min_qty, StoredQuantity).label("min_qty"),
            type_coerce(SupplyAgreement.max_qty, StoredQuantity).label("max_qty"),
            type_coerce(SupplyAgreement.pack_size, StoredQuantity).label("pack_size"),
            type_coerce(SupplyAgreement.moq, StoredQuantity).label("moq"),
            SupplyAgreement.unit_price,
            SupplyAgreement.supplier_sku,
            SupplyAgreement.lead_time_days,
            SupplyAgreement.currency,
            Sku.part_number,
            Sku.uom,
            Sku.criticality,
            Location.code,
            type_coerce(on_hand, StoredQuantity).label("on_hand"),
            type_coerce(on_order, StoredQuantity).label("on_order"),
        )
        .join(Sku, Sku.id == SupplyAgreement.sku_id)
        .join(Location, Location.id == SupplyAgreement.location_id)
        .outerjoin(
            StockLevel,
            and_(StockLevel.sku_id == SupplyAgreement.sku_id, StockLevel.location_id == SupplyAgreement.location_id),
        )
        .outerjoin(oo, and_(oo.c.sku_id == SupplyAgreement.sku_id, oo.c.location_id == SupplyAgreement.location_id))
        .where(
            # bare terms, so SQLite uses the partial index "WHERE is_primary AND active"
            flag(SupplyAgreement.is_primary),
            flag(SupplyAgreement.active),
            flag(Sku.active),
            flag(Location.active),
        )
    )
    if only_below_min and pairs is None:
        # Candidates first, from the ledger's copies on the agreements (``replenishment.pair_figures``)
        # instead of a join of every pair, then each judged exactly as before. On order is never
        # negative, so a pair at or below min has its on hand at or below min; the copy of on hand is
        # the pair's on hand (0 on an agreement never copied onto: offered, never hidden), and the
        # copy of recent use and the lead time are never negative, so the worklist's reach test holds
        # for the pair too. The reach test names the worklist's candidate indexes and carries the
        # statistics of its non-partial expression index (PostgreSQL estimates a partial index's
        # expression at a third of the rows, and then hashes a million stock levels).
        stmt = stmt.where(
            reach(SupplyAgreement) <= _ZERO,
            SupplyAgreement.pair_on_hand - SupplyAgreement.min_qty <= _ZERO,
        )
    if only_below_min:
        # The snooze is looked up only for a pair at or below min: as a condition of its own it names the
        # agreement alone, and SQLite checked it before the joins, a lookup for each of a million pairs.
        stmt = stmt.where(
            case(
                (
                    on_hand + on_order <= SupplyAgreement.min_qty,
                    ~snoozed(SupplyAgreement.sku_id, SupplyAgreement.location_id, today),
                ),
                else_=false(),
            )
        )
    if pairs is not None:
        stmt = stmt.where(tuple_(SupplyAgreement.sku_id, SupplyAgreement.location_id).in_(sorted(set(pairs))))
    return stmt


def tune_full_scan(session: Session) -> None:
    """PostgreSQL settings for this transaction only, measured on the 1,000,000-pair benchmark.

    The full scan hash-joins every agreement with its stock level: with the default 4 MB
    ``work_mem`` the hash spills to disk in batches, and JIT compilation costs more (about
    0.3 s) than it saves on a query that runs once. ``SET LOCAL`` ends with the transaction.
    """
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    session.execute(text("SET LOCAL jit = off"))


def evaluate(
    session: Session,
    actor: Actor = SYSTEM,
    *,
    pairs: list[tuple[int, int]] | None = None,
    dry_run: bool = False,
    today: date | None = None,
) -> ReorderResult:
    """Find every pair at or below min (or only ``pairs``) and raise what its agreement's mode says.

    Pairs snoozed on ``today`` (UTC, default now) are skipped.
    """
    require(actor, Action.RUN_REORDER)
    result = ReorderResult(dry_run=dry_run)
    if pairs is not None and not pairs:
        return result
    if not dry_run:
        lock_reorder(session, pairs)
    if pairs is None and session.get_bind().dialect.name == "postgresql":
        tune_full_scan(session)
    if session.autoflush:  # as Session.execute would: what this unit of work wrote so far counts
        session.flush()
    # Core rows through the session's connection (the ORM's row handling was a tenth of the client time);
    # sorted here, not in SQL: an ORDER BY made SQLite walk another index with a random lookup per row
    rows = sorted(
        session.connection().execute(below_min_statement(pairs, today=today)).all(),
        key=_BY_VENDOR_LOCATION_SKU,
    )
    extras: dict[int, Any] = {}
    for r in rows:
        # thresholds come exact from the columns; on hand and on order may be a bare 0 (no row, no lines)
        on_hand, on_order = to_decimal(r.on_hand), to_decimal(r.on_order)
        position = on_hand + on_order
        quantity = order_quantity(position, r.max_qty, r.pack_size, r.moq)
        if quantity <= 0:
            continue
        result.needs.append(
            ReorderNeed(
                r.id,
                r.vendor_id,
                r.sku_id,
                r.location_id,
                r.part_number,
                r.code,
                ReplenishmentMode(r.mode),
                on_hand,
                on_order,
                position,
                r.min_qty,
                r.max_qty,
                quantity,
            )
        )
        extras[r.id] = r
    if dry_run or not result.needs:
        return result
    _raise_alerts(session, result)
    raise_orders(session, actor, result, extras)
    log.info("reorder: %d needs, %d orders, %d alerts", len(result.needs), len(result.orders), result.alerts_raised)
    return result


def _raise_alerts(session: Session, result: ReorderResult) -> None:
    rows = [
        {
            "kind": AlertKind.BELOW_MIN,
            "cause_key": alerts.pair_key("below_min", n.sku_id, n.location_id),
            "message": f"{n.part_number} at {n.location_code}: position {fmt(n.position)} is at or below min "
            f"{fmt(n.min_qty)}; supplier to order {fmt(n.quantity)}",
            "vendor_id": n.vendor_id,
            "sku_id": n.sku_id,
            "location_id": n.location_id,
        }
        for n in result.needs
        if n.mode == ReplenishmentMode.SUPPLIER_MANAGED
    ]
    if rows:
        result.alerts_raised = alerts.raise_many(session, rows)


#: The columns ``raise_orders`` gives each order line (every other column is NULL).
_LINE_COLUMNS = (
    "purchase_order_id",
    "line_no",
    "sku_id",
    "agreement_id",
    "supplier_sku",
    "uom",
    "quantity_ordered",
    "quantity_shipped",
    "quantity_received",
    "unit_price",
    "need_by",
    "status",
)


@dataclass(frozen=True)
class RaisePlan:
    """How needs become orders: the reorder run's way (by mode) or the parts manager's "order now"."""

    #: Every need becomes a sent order raised by a person (any mode, supplier-managed included),
    #: instead of what its agreement's mode says.
    ordered_by_hand: bool = False
    note: str = "raised by reorder"
    origin: str = "reorder"  # the audit entry's origin


#: What the reorder run raises.
REORDER_PLAN = RaisePlan()
#: The parts manager ordered the needs now (the worklist): sent, one order per vendor x location.
ORDER_NOW_PLAN = RaisePlan(ordered_by_hand=True, note="ordered from the worklist", origin="worklist")


def group_needs(
    needs: list[ReorderNeed], plan: RaisePlan = REORDER_PLAN
) -> dict[tuple[int, int, ReplenishmentMode], list[ReorderNeed]]:
    """What one run raises, grouped: one order per vendor x location (x mode for the reorder run), a line
    per SKU. Supplier-managed needs raise no order in the reorder run (the supplier orders)."""
    groups: dict[tuple[int, int, ReplenishmentMode], list[ReorderNeed]] = defaultdict(list)
    for n in needs:
        if plan.ordered_by_hand:
            groups[(n.vendor_id, n.location_id, ReplenishmentMode.AUTO_PO)].append(n)
        elif n.mode != ReplenishmentMode.SUPPLIER_MANAGED:
            groups[(n.vendor_id, n.location_id, n.mode)].append(n)
    return groups


def raise_orders(
    session: Session, actor: Actor, result: ReorderResult, extras: dict[int, Any], plan: RaisePlan = REORDER_PLAN
) -> None:
    """Raise the orders of ``result.needs`` (grouped by ``group_needs``) in a few bulk statements.

    ``extras`` holds, per agreement id, the row ``below_min_statement`` selects for it (prices,
    supplier part number, unit, lead time, currency, criticality).
    """
    groups = group_needs(result.needs, plan)
    if not groups:
        return
    now = utcnow()
    today = now.date()
    # Proposals join an open proposal for the same vendor x location instead of starting another one.
    existing: dict[tuple[int, int], tuple[int, str, int]] = {}
    proposal_keys = [(v, loc) for v, loc, m in groups if m == ReplenishmentMode.PROPOSAL and not plan.ordered_by_hand]
    if proposal_keys:
        # Two postings at once may both extend the same proposal: serialise per vendor x location so
        # line numbers never collide and one proposal stays one proposal.
        lock_proposals(session, proposal_keys)
        stmt = (
            select(
                PurchaseOrder.vendor_id,
                PurchaseOrder.location_id,
                PurchaseOrder.id,
                PurchaseOrder.po_number,
                func.max(PurchaseOrderLine.line_no),
            )
            .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
            .where(
                PurchaseOrder.status == POStatus.AWAITING_APPROVAL,
                PurchaseOrder.origin == POOrigin.PROPOSAL,
                tuple_(PurchaseOrder.vendor_id, PurchaseOrder.location_id).in_(proposal_keys),
            )
            .group_by(PurchaseOrder.vendor_id, PurchaseOrder.location_id, PurchaseOrder.id, PurchaseOrder.po_number)
            .order_by(PurchaseOrder.id)
        )
        for vendor_id, location_id, po_id, po_number, max_line in session.execute(stmt):
            existing.setdefault((vendor_id, location_id), (po_id, po_number, int(max_line or 0)))
    new_keys = [k for k in groups if not (k[2] == ReplenishmentMode.PROPOSAL and k[:2] in existing)]
    po_rows: list[dict[str, Any]] = []
    if new_keys:
        last = reserve_numbers(session, PO_COUNTER, len(new_keys))
        first = last - len(new_keys) + 1
        for i, (vendor_id, location_id, mode) in enumerate(new_keys):
            needs = groups[(vendor_id, location_id, mode)]
            status = POStatus.SENT if mode == ReplenishmentMode.AUTO_PO else POStatus.AWAITING_APPROVAL
            origin = POOrigin.AUTO if mode == ReplenishmentMode.AUTO_PO else POOrigin.PROPOSAL
            if plan.ordered_by_hand:
                origin = POOrigin.MANUAL
            need_by = min(today + timedelta(days=extras[n.agreement_id].lead_time_days) for n in needs)
            po_rows.append(
                {
                    "po_number": format_number(PO_PREFIX, first + i),
                    "vendor_id": vendor_id,
                    "location_id": location_id,
                    "status": status,
                    "origin": origin,
                    "currency": extras[needs[0].agreement_id].currency,
                    "created_at": now,
                    "created_by": actor.name,
                    "sent_at": now if status == POStatus.SENT else None,
                    "need_by": need_by,
                    "note": plan.note,
                    "version": 1,
                    "updated_at": now,
                    "updated_by": actor.name,
                }
            )
        ids = dict(
            (number, po_id)
            for po_id, number in bulk_insert(session, PurchaseOrder, po_rows, returning=("id", "po_number"))
        )
        for row in po_rows:
            row["id"] = ids[row["po_number"]]
    target: dict[tuple[int, int, ReplenishmentMode], tuple[int, str, int]] = {}
    for key, row in zip(new_keys, po_rows, strict=True):
        target[key] = (row["id"], row["po_number"], 0)
    for key in groups:
        if key not in target:
            target[key] = existing[key[:2]]
    # plain tuples in _LINE_COLUMNS order: 8,000 lines built as dicts and bound through Core cost more
    # than the database spent inserting them
    line_rows: list[tuple[Any, ...]] = []
    line_needs: list[ReorderNeed] = []
    due_by_lead: dict[int, date] = {}
    zero = Decimal(0)
    open_status = POLineStatus.OPEN
    audit_rows: list[dict[str, Any]] = []
    for key, needs in groups.items():
        po_id, po_number, offset = target[key]
        for no, n in enumerate(needs, start=offset + 1):
            x = extras[n.agreement_id]
            lead = x.lead_time_days
            due = due_by_lead.get(lead)
            if due is None:
                due = due_by_lead[lead] = today + timedelta(days=lead)
            line_rows.append(
                (
                    po_id,
                    no,
                    n.sku_id,
                    n.agreement_id,
                    x.supplier_sku,
                    x.uom,
                    n.quantity,
                    zero,
                    zero,
                    x.unit_price,
                    due,
                    open_status,
                )
            )
        line_needs.extend(needs)
        result.orders.append(po_number)
        audit_rows.append(
            {
                "occurred_at": now,
                "actor": actor.name,
                "action": "order.create" if offset == 0 else "order.extend",
                "entity": "purchase_order",
                "entity_id": po_number,
                "detail": json.dumps(
                    {
                        "origin": plan.origin,
                        "mode": key[2].value if not plan.ordered_by_hand else "ordered",
                        "lines": len(needs),
                        "skus": [n.part_number for n in needs[:50]],
                    },
                    sort_keys=True,
                ),
            }
        )

    def refused(index: int) -> str:
        n = line_needs[index]
        return f"The order line for {n.part_number} at {n.location_code} was refused; nothing of this run was saved."

    insert_rows(session, PurchaseOrderLine.__table__, _LINE_COLUMNS, line_rows, refused=refused)
    result.lines = len(line_rows)
    if po_rows:
        bulk_insert(
            session,
            POStatusChange,
            [
                {
                    "purchase_order_id": r["id"],
                    "from_status": None,
                    "to_status": r["status"],
                    "changed_at": now,
                    "changed_by": actor.name,
                    "note": plan.note,
                }
                for r in po_rows
            ],
        )
    bulk_insert(session, AuditEntry, audit_rows)
    critical = [
        n
        for n in result.needs
        if extras[n.agreement_id].criticality == Criticality.CRITICAL and n.mode != ReplenishmentMode.SUPPLIER_MANAGED
    ]
    if critical:
        log.info("reorder raised %d critical-part lines", len(critical))
    result.sent_orders = [r["id"] for r in po_rows if r["status"] == POStatus.SENT]
    result.order_ids = sorted({target[key][0] for key in groups})


__all__ = [
    "ORDER_NOW_PLAN",
    "REORDER_PLAN",
    "RaisePlan",
    "ReorderNeed",
    "ReorderResult",
    "below_min_statement",
    "evaluate",
    "group_needs",
    "order_quantity",
    "raise_orders",
]
