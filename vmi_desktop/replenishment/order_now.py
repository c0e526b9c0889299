"""The parts manager's "order now" from the worklist: chosen pairs and quantities become sent orders.

Grouped exactly as the reorder run groups what it raises (``reorder.group_needs``): one order per
vendor x location, a line per SKU, bulk-inserted by the same code (``reorder.raise_orders``), with
the parts manager as the one who ordered (origin ``manual``, note "ordered from the worklist").
The quantities are the manager's (the worklist suggests ``reorder.order_quantity``): each is checked
against the SKU's unit (whole units take no fraction) and must be above zero; what is refused is
said, and nothing is ordered then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from vmi_desktop.errors import ValidationError
from vmi_desktop.models import ReplenishmentMode
from vmi_desktop.quantities import parse_quantity
from vmi_desktop.replenishment import reorder
from vmi_desktop.replenishment._sql import lock_reorder, to_decimal
from vmi_desktop.replenishment.reorder import ORDER_NOW_PLAN, ReorderNeed, ReorderResult
from vmi_desktop.scope import Action, Actor, require
from vmi_desktop.units import whole_units


@dataclass(frozen=True)
class OrderLine:
    """One worklist row to order: the pair and the quantity the manager chose."""

    sku_id: int
    location_id: int
    quantity: Decimal


def order_now(session: Session, actor: Actor, lines: Sequence[OrderLine]) -> ReorderResult:
    """Raise sent orders for ``lines`` (one per vendor x location), in the caller's transaction.

    Each pair is ordered from its active primary agreement's vendor. Refused as a whole, with the
    reason, when a pair has no active primary agreement, a quantity is not above zero, has a
    fraction for a whole unit, or a pair is listed twice.
    """
    require(actor, Action.CREATE_ORDER)
    if not lines:
        return ReorderResult()
    pairs = [(ln.sku_id, ln.location_id) for ln in lines]
    if len(set(pairs)) != len(pairs):
        raise ValidationError("a pair is listed twice; order each SKU at a location once")
    lock_reorder(session, pairs)  # a reorder run (or a second "order now") must not raise the same pairs meanwhile
    rows: dict[tuple[int, int], Any] = {
        (r.sku_id, r.location_id): r
        for r in session.execute(reorder.below_min_statement(sorted(pairs), only_below_min=False))
    }
    whole = whole_units(session)
    result = ReorderResult()
    extras: dict[int, Any] = {}
    for line in lines:
        row = rows.get((line.sku_id, line.location_id))
        if row is None:
            raise ValidationError(
                f"SKU id {line.sku_id} at location id {line.location_id} has no active primary agreement "
                "(or the SKU or location is deactivated); nothing was ordered"
            )
        quantity = parse_quantity(
            line.quantity,
            what=f"quantity for {row.part_number} at {row.code}",
            whole=row.uom in whole,
            uom=row.uom,
        )
        on_hand, on_order = to_decimal(row.on_hand), to_decimal(row.on_order)
        result.needs.append(
            ReorderNeed(
                row.id,
                row.vendor_id,
                row.sku_id,
                row.location_id,
                row.part_number,
                row.code,
                ReplenishmentMode(row.mode),
                on_hand,
                on_order,
                on_hand + on_order,
                to_decimal(row.min_qty),
                to_decimal(row.max_qty),
                quantity,
            )
        )
        extras[row.id] = row
    reorder.raise_orders(session, actor, result, extras, ORDER_NOW_PLAN)
    return result
