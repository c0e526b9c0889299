"""What the worklist shows for a page of its rows, read in four set-based statements (no Qt).

The rows' agreements, SKUs, locations, vendors and stock levels; the open orders of their pairs (on
order, held, ordered); their consumption in the window; their snoozes. Each is one statement over
the page's agreements, so a page costs the same whatever the table holds, on both engines
(correlated subqueries per row cost PostgreSQL a plan node each).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any

from sqlalchemy import BindParameter, Integer, and_, bindparam, case, func, literal_column, select
from sqlalchemy.orm import Session

from vmi_desktop import order_status
from vmi_desktop.models import (
    Criticality,
    Location,
    MovementKind,
    PairSnooze,
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentMode,
    Sku,
    StockLevel,
    StockMovement,
    SupplyAgreement,
    UnitOfMeasure,
    Vendor,
)
from vmi_desktop.models.catalog import USE_WINDOW_DAYS
from vmi_desktop.quantities import order_quantity
from vmi_desktop.queries.base import Row
from vmi_desktop.replenishment._sql import open_line_quantity
from vmi_desktop.replenishment.pair_figures import window_start
from vmi_desktop.scope import Actor

QTY = Decimal("0.001")


@dataclass(frozen=True)
class OrderFacts:
    """A pair's open orders: quantity on order, and whether one waits for a decision / is at the supplier."""

    on_order: Decimal = Decimal("0.000")
    held: bool = False
    ordered: bool = False


#: The agreement ids of a page (one expanding parameter: the statements below are built once, and a
#: list of ids costs no coercion per value).
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_A = SupplyAgreement


_ONE = literal_column("1", Integer)
_NONE = literal_column("0", Integer)
_ORDER_FACTS = (
    select(
        _A.sku_id,
        _A.location_id,
        func.sum(open_line_quantity()),
        func.max(case((PurchaseOrder.status == POStatus.AWAITING_APPROVAL, _ONE), else_=_NONE)),
        func.max(case((PurchaseOrder.status.in_(sorted(order_status.AT_SUPPLIER)), _ONE), else_=_NONE)),
    )
    .select_from(_A)
    .join(PurchaseOrderLine, PurchaseOrderLine.sku_id == _A.sku_id)
    .join(
        PurchaseOrder,
        and_(PurchaseOrder.id == PurchaseOrderLine.purchase_order_id, PurchaseOrder.location_id == _A.location_id),
    )
    .where(
        _A.id.in_(_IDS),
        literal_column("purchase_order_lines.status = 'open'"),
        PurchaseOrder.status.in_(sorted(order_status.OPEN)),
    )
    .group_by(_A.sku_id, _A.location_id)
)
_NO_USE = Decimal("0.000")
_RECENT_USE = (
    select(_A.sku_id, _A.location_id, func.sum(StockMovement.quantity))
    .select_from(_A)
    .join(StockMovement, and_(StockMovement.sku_id == _A.sku_id, StockMovement.location_id == _A.location_id))
    .where(
        _A.id.in_(_IDS),
        StockMovement.kind == MovementKind.CONSUMPTION,
        StockMovement.occurred_at >= bindparam("since"),
    )
    .group_by(_A.sku_id, _A.location_id)
)
_SNOOZES = select(PairSnooze.sku_id, PairSnooze.location_id, PairSnooze.until, PairSnooze.reason).where(
    PairSnooze.sku_id.in_(bindparam("skus", expanding=True)),
    PairSnooze.location_id.in_(bindparam("locations", expanding=True)),
    PairSnooze.until > bindparam("today"),
)
_HEADS = (
    select(
        _A.id,
        _A.sku_id,
        _A.location_id,
        _A.vendor_id,
        _A.min_qty,
        _A.max_qty,
        _A.pack_size,
        _A.moq,
        _A.lead_time_days,
        _A.mode,
        _A.pair_used_at,
        Sku.part_number,
        Sku.description,
        Sku.uom,
        Sku.criticality,
        Location.code,
        Vendor.code,
        func.coalesce(StockLevel.on_hand, 0),
        func.coalesce(UnitOfMeasure.whole, True),
    )
    .join(Sku, Sku.id == _A.sku_id)
    .join(Location, Location.id == _A.location_id)
    .join(Vendor, Vendor.id == _A.vendor_id)
    .outerjoin(StockLevel, and_(StockLevel.sku_id == _A.sku_id, StockLevel.location_id == _A.location_id))
    .outerjoin(UnitOfMeasure, UnitOfMeasure.code == Sku.uom)
    .where(_A.id.in_(_IDS))
)


@dataclass(frozen=True)
class SnoozeFacts:
    """A pair's snooze in force: until when, and why."""

    until: date
    reason: str


def _order_facts(session: Session, agreement_ids: Sequence[int]) -> dict[tuple[int, int], OrderFacts]:
    """Open order quantity and states per pair of these agreements (drafts and proposals are on order).

    Keyed through the agreements (an integer IN list): a list of pairs, as row values or a VALUES
    table, costs SQLAlchemy more to compile than the database to run.
    """
    if not agreement_ids:
        return {}
    rows = session.execute(_ORDER_FACTS, {"ids": sorted(set(agreement_ids))})
    return {(r[0], r[1]): OrderFacts(r[2], bool(r[3]), bool(r[4])) for r in rows}


def _recent_use_of(session: Session, agreement_ids: Sequence[int], today: date) -> dict[tuple[int, int], Decimal]:
    """Consumption in the window that ends with ``today``, per pair (pairs without any are left out);
    never below 0, as ``pair_figures.recent_use`` (a late reversal of an older consumption)."""
    if not agreement_ids:
        return {}
    rows = session.execute(_RECENT_USE, {"ids": sorted(set(agreement_ids)), "since": window_start(today)})
    return {(r[0], r[1]): max(-r[2], _NO_USE) for r in rows if r[2] is not None}


def _snoozes_of(session: Session, pairs: Sequence[tuple[int, int]], today: date) -> dict[tuple[int, int], SnoozeFacts]:
    """The snoozes in force on ``today`` for these pairs (looked up in the primary key by SKU and
    location lists, then matched to the pairs)."""
    wanted = set(pairs)
    if not wanted:
        return {}
    rows = session.execute(
        _SNOOZES,
        {"skus": sorted({s for s, _ in wanted}), "locations": sorted({loc for _, loc in wanted}), "today": today},
    )
    return {(r[0], r[1]): SnoozeFacts(r[2], r[3]) for r in rows if (r[0], r[1]) in wanted}


def suggested_quantity(position: Decimal, max_qty: Decimal, pack: Decimal, moq: Decimal, *, whole: bool) -> Decimal:
    """What the reorder run would order now (``reorder.order_quantity``), in whole units for a whole unit."""
    quantity = order_quantity(position, max_qty, pack, moq)
    if whole and quantity != quantity.to_integral_value():
        quantity = quantity.to_integral_value(rounding=ROUND_CEILING).quantize(QTY)
    return quantity


def rows_for(session: Session, actor: Actor, agreement_ids: Sequence[int], today: date) -> dict[int, Row]:
    """The worklist rows of these primary agreements, by agreement id (in no order)."""
    from vmi_desktop.queries.worklist import WorklistState

    if not agreement_ids:
        return {}
    heads = session.execute(_HEADS, {"ids": sorted(set(agreement_ids))}).all()
    orders = _order_facts(session, agreement_ids)
    uses = _recent_use_of(session, agreement_ids, today)
    # a snooze is the customer's own planning (staff-only in the database too)
    snoozes = {} if actor.is_supplier else _snoozes_of(session, [(h[1], h[2]) for h in heads], today)
    found: dict[int, Row] = {}
    for h in heads:
        pair = (h[1], h[2])
        o = orders.get(pair, OrderFacts())
        use = uses.get(pair, Decimal("0.000"))
        snooze = snoozes.get(pair)
        on_hand: Decimal = h[17]
        position = on_hand + o.on_order
        if snooze is not None:
            state = WorklistState.SNOOZED
        elif o.held:
            state = WorklistState.HELD
        elif o.ordered:
            state = WorklistState.ORDERED
        else:
            state = WorklistState.NEW
        values: dict[str, Any] = {
            "part_number": h[11],
            "description": h[12],
            "location": h[15],
            "on_hand": on_hand,
            "on_order": o.on_order,
            "position": position,
            "min_qty": h[4],
            "max_qty": h[5],
            "suggested": suggested_quantity(position, h[5], h[6], h[7], whole=bool(h[18])),
            "vendor": h[16],
            "mode": ReplenishmentMode(h[9]),
            "days_of_supply": (on_hand * USE_WINDOW_DAYS / use).quantize(Decimal("0.1")) if use > 0 else None,
            # the ledger's copy of the pair's newest consumption (UTC day)
            "last_consumption": h[10].date() if h[10] is not None else None,
            "criticality": Criticality(h[14]),
            "state": state,
            # not shown: what the actions need
            "_agreement_id": h[0],
            "_vendor_id": h[3],
            "_pack_size": h[6],
            "_moq": h[7],
            "_lead_time": h[8],
            "_uom": h[13],
            "_whole": bool(h[18]),
            "_use": use,
            "_snoozed_until": snooze.until if snooze is not None else None,
            "_snooze_reason": snooze.reason if snooze is not None else "",
        }
        found[h[0]] = Row(key=pair, values=values)
    return found
