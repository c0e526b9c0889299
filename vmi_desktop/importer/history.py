"""Importing and exporting stock and its history: opening stock, cycle counts, consumption.

Every row is posted through the ledger (``vmi_desktop.ledger``), so on hand always equals the sum
of its movements; the reorder check runs once for the pairs the import touched. A row already in
the ledger is unchanged: opening stock when on hand is already that quantity, a count when one
with that time and quantity exists, consumption when the ledger already holds as many consumptions
of that SKU, location, time and quantity as the file does. That makes a second import of the same
file, or an export imported back, change nothing.

To load history, import consumption first, then counts, then opening stock as of today: the
opening stock adjusts each level to what is on the shelf now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vmi_desktop import ledger
from vmi_desktop.commands.consequences import reorder_pairs
from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.importer.plan import CREATE, REJECTED, UNCHANGED, UPDATE, Progress, RowError, RowFate, Writer
from vmi_desktop.importer.tables import Cell
from vmi_desktop.importer.tables import Table as Sheet
from vmi_desktop.models import CycleCount, Location, MovementKind, Sku, StockLevel, StockMovement, UnitOfMeasure
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.scope import Action, Actor, pair_filter

CHUNK = 500


def parse_moment(cell: Cell, what: str) -> datetime:
    """A timestamp cell: a spreadsheet date or time, or ISO 8601 text; without a zone it is UTC."""
    if isinstance(cell, datetime):
        moment = cell
    elif isinstance(cell, date):
        moment = datetime(cell.year, cell.month, cell.day)
    elif isinstance(cell, str) and cell.strip():
        try:
            moment = datetime.fromisoformat(cell.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"{what} {cell.strip()[:40]!r} is not a date or time such as 2026-11-24T08:30:00Z"
            ) from None
    else:
        raise ValidationError(f"{what} is missing")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(cell: Cell, what: str, limit: int) -> str:
    return free_text(cell, limit, what)


def _quantity_cell(cell: Cell) -> object:
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return cell


class _Refs:
    """SKU and location lookups for one import (one query each), and the unit rule per SKU."""

    def __init__(self, session: Session) -> None:
        whole = set(session.scalars(select(UnitOfMeasure.code).where(UnitOfMeasure.whole.is_(True))))
        self.skus = {
            p: (i, u, u in whole) for p, i, u in session.execute(select(Sku.part_number, Sku.id, Sku.uom)).all()
        }
        self.locations = dict(session.execute(select(Location.code, Location.id)).all())

    def resolve(
        self, sheet: str, number: int, values: dict[str, Cell], errors: list[RowError]
    ) -> tuple[Any, int] | None:
        part = _text(values.get("sku", ""), "sku", 60)
        code = _text(values.get("location", ""), "location", 40)
        sku, location = self.skus.get(part), self.locations.get(code)
        if sku is None:
            errors.append(RowError(sheet, number, "sku", f"unknown SKU {part!r}" if part else "sku is missing"))
        if location is None:
            errors.append(
                RowError(sheet, number, "location", f"unknown location {code!r}" if code else "location is missing")
            )
        return (sku, location) if sku is not None and location is not None else None

    def quantity(
        self, sheet: str, number: int, column: str, cell: Cell, sku: Any, errors: list[RowError], **kw: bool
    ) -> Decimal | None:
        try:
            return parse_quantity(_quantity_cell(cell), what=column, whole=sku[2], uom=sku[1], **kw)
        except ValidationError as exc:
            errors.append(RowError(sheet, number, column, str(exc)))
            return None


class StockEntity:
    """Opening stock: on hand per SKU x location; a difference is posted as an adjustment."""

    name = "stock"
    label = "opening stock"
    action = Action.POST_LEDGER
    columns = ("sku", "location", "on_hand")
    required = columns

    def plan(self, session: Session, actor: Actor, table: Sheet, report: Progress) -> tuple[list[RowFate], Writer]:
        refs = _Refs(session)
        levels = {
            (s, loc): q
            for s, loc, q in session.execute(select(StockLevel.sku_id, StockLevel.location_id, StockLevel.on_hand))
        }
        fates: list[RowFate] = []
        targets: dict[int, tuple[int, int, Decimal]] = {}
        seen: dict[tuple[int, int], int] = {}
        for number, cells in table.rows:
            values = table.values(cells)
            fate = RowFate(number, f"{values.get('sku', '')} at {values.get('location', '')}", REJECTED, cells=cells)
            fates.append(fate)
            found = refs.resolve(table.sheet, number, values, fate.errors)
            if found is None:
                continue
            sku, location_id = found
            on_hand = refs.quantity(
                table.sheet, number, "on_hand", values.get("on_hand", ""), sku, fate.errors, allow_zero=True
            )
            pair = (sku[0], location_id)
            if pair in seen:
                fate.errors.append(
                    RowError(table.sheet, number, "", f"the same SKU and location are in row {seen[pair]}")
                )
            seen[pair] = number
            if on_hand is None or fate.errors:
                continue
            current = levels.get(pair, Decimal(0))
            if current == on_hand:
                fate.action = UNCHANGED
            else:
                fate.action, fate.detail = UPDATE, f"on hand {fmt(current)} -> {fmt(on_hand)}"
                targets[number] = (*pair, on_hand)

        def write(uow: UnitOfWork, accepted: set[int]) -> list[int]:
            chosen = [t for n, t in targets.items() if n in accepted]
            locked = ledger.lock_levels(uow.session, [(s, loc) for s, loc, _ in chosen])
            ids = []
            for index, (sku_id, location_id, on_hand) in enumerate(chosen):
                if index % CHUNK == 0:
                    report(0.8 + 0.15 * index / max(len(chosen), 1), f"posting {index} of {len(chosen)}")
                delta = on_hand - locked[(sku_id, location_id)]
                if delta:
                    posting = ledger.post_adjustment(
                        uow.session, actor, sku_id, location_id, delta, reason="opening stock (import)"
                    )
                    ids.append(posting.movement_id)
            reorder_pairs(uow, [(s, loc) for s, loc, _ in chosen])
            return ids

        return fates, write

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(Sku.part_number, Location.code, StockLevel.on_hand)
            .join(Sku, Sku.id == StockLevel.sku_id)
            .join(Location, Location.id == StockLevel.location_id)
            .where(pair_filter(actor, StockLevel.sku_id, StockLevel.location_id))
            .order_by(Sku.part_number, Location.code)
        )
        for row in session.execute(stmt.execution_options(yield_per=5000)):
            yield tuple(row)


class CountEntity:
    """Cycle counts: counted quantity per SKU x location at a time, posted as the variance."""

    name = "counts"
    label = "cycle count"
    action = Action.POST_LEDGER
    columns = ("sku", "location", "counted", "counted_at")
    required = columns

    def plan(self, session: Session, actor: Actor, table: Sheet, report: Progress) -> tuple[list[RowFate], Writer]:
        refs = _Refs(session)
        existing = {
            (s, loc, at): q
            for s, loc, at, q in session.execute(
                select(CycleCount.sku_id, CycleCount.location_id, CycleCount.counted_at, CycleCount.counted_qty)
            )
        }
        fates: list[RowFate] = []
        todo: dict[int, tuple[int, int, Decimal, datetime]] = {}
        seen: set[tuple[int, int, datetime]] = set()
        for number, cells in table.rows:
            values = table.values(cells)
            fate = RowFate(number, f"{values.get('sku', '')} at {values.get('location', '')}", REJECTED, cells=cells)
            fates.append(fate)
            found = refs.resolve(table.sheet, number, values, fate.errors)
            try:
                at = parse_moment(values.get("counted_at", ""), "counted_at")
            except ValidationError as exc:
                fate.errors.append(RowError(table.sheet, number, "counted_at", str(exc)))
                continue
            if found is None:
                continue
            sku, location_id = found
            counted = refs.quantity(
                table.sheet, number, "counted", values.get("counted", ""), sku, fate.errors, allow_zero=True
            )
            if counted is None:
                continue
            key = (sku[0], location_id, at)
            if key in seen:
                fate.errors.append(RowError(table.sheet, number, "counted_at", "the same count is in the file twice"))
                continue
            seen.add(key)
            if key in existing:
                if existing[key] == counted:
                    fate.action = UNCHANGED
                else:
                    fate.errors.append(
                        RowError(
                            table.sheet,
                            number,
                            "counted",
                            f"a count at {at.isoformat()} says {fmt(existing[key])} already",
                        )
                    )
                continue
            fate.action, fate.detail = CREATE, f"counted {fmt(counted)}"
            todo[number] = (sku[0], location_id, counted, at)

        def write(uow: UnitOfWork, accepted: set[int]) -> list[int]:
            chosen = sorted((t for n, t in todo.items() if n in accepted), key=lambda t: t[3])
            ids = []
            for index, (sku_id, location_id, counted, at) in enumerate(chosen):
                if index % CHUNK == 0:
                    report(0.8 + 0.15 * index / max(len(chosen), 1), f"posting {index} of {len(chosen)}")
                count, _posting = ledger.post_cycle_count(
                    uow.session, actor, sku_id, location_id, counted, occurred_at=at
                )
                ids.append(count.id)
            reorder_pairs(uow, [(s, loc) for s, loc, _, _ in chosen])
            return ids

        return fates, write

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(Sku.part_number, Location.code, CycleCount.counted_qty, CycleCount.counted_at)
            .join(Sku, Sku.id == CycleCount.sku_id)
            .join(Location, Location.id == CycleCount.location_id)
            .where(pair_filter(actor, CycleCount.sku_id, CycleCount.location_id))
            .order_by(CycleCount.counted_at, Sku.part_number, Location.code)
        )
        for row in session.execute(stmt.execution_options(yield_per=5000)):
            yield tuple(row)


class ConsumptionEntity:
    """Consumption history: parts used per SKU x location at a time (a reference names the job)."""

    name = "consumption"
    label = "consumption"
    action = Action.POST_LEDGER
    columns = ("sku", "location", "occurred_at", "quantity", "reference", "note")
    required = ("sku", "location", "occurred_at", "quantity")

    def plan(self, session: Session, actor: Actor, table: Sheet, report: Progress) -> tuple[list[RowFate], Writer]:
        refs = _Refs(session)
        fates: list[RowFate] = []
        rows: dict[int, tuple[int, int, datetime, Decimal, str, str]] = {}
        for number, cells in table.rows:
            values = table.values(cells)
            fate = RowFate(number, f"{values.get('sku', '')} at {values.get('location', '')}", REJECTED, cells=cells)
            fates.append(fate)
            found = refs.resolve(table.sheet, number, values, fate.errors)
            try:
                at = parse_moment(values.get("occurred_at", ""), "occurred_at")
                reference = _text(values.get("reference", ""), "reference", 100)
                note = _text(values.get("note", ""), "note", 500)
            except ValidationError as exc:
                fate.errors.append(RowError(table.sheet, number, "", str(exc)))
                continue
            if found is None:
                continue
            sku, location_id = found
            quantity = refs.quantity(table.sheet, number, "quantity", values.get("quantity", ""), sku, fate.errors)
            if quantity is not None and not fate.errors:
                rows[number] = (sku[0], location_id, at, quantity, reference, note)
        # Rows the ledger already holds (as many of the same SKU, location, time and quantity) are unchanged.
        wanted = Counter((s, loc, at, q) for s, loc, at, q, _, _ in rows.values())
        held: Counter[tuple[int, int, datetime, Decimal]] = Counter()
        if rows:
            sku_ids = sorted({k[0] for k in wanted})
            first, last = min(k[2] for k in wanted), max(k[2] for k in wanted)
            for start in range(0, len(sku_ids), CHUNK):
                for s, loc, at, q, n in session.execute(
                    select(
                        StockMovement.sku_id,
                        StockMovement.location_id,
                        StockMovement.occurred_at,
                        StockMovement.quantity,
                        func.count(),
                    )
                    .where(
                        StockMovement.kind == MovementKind.CONSUMPTION,
                        StockMovement.sku_id.in_(sku_ids[start : start + CHUNK]),
                        StockMovement.occurred_at >= first,
                        StockMovement.occurred_at <= last,
                    )
                    .group_by(
                        StockMovement.sku_id,
                        StockMovement.location_id,
                        StockMovement.occurred_at,
                        StockMovement.quantity,
                    )
                ):
                    held[(s, loc, at, -q)] = n
        todo: dict[int, tuple[int, int, datetime, Decimal, str, str]] = {}
        by_row = {f.row: f for f in fates}
        for number, row in rows.items():
            key = row[:4]
            fate = by_row[number]
            if held[key] > 0:
                held[key] -= 1
                fate.action = UNCHANGED
            else:
                fate.action, fate.detail = CREATE, f"consumed {fmt(row[3])}"
                todo[number] = row

        def write(uow: UnitOfWork, accepted: set[int]) -> list[int]:
            chosen = sorted((t for n, t in todo.items() if n in accepted), key=lambda t: t[2])
            ids = []
            for index, (sku_id, location_id, at, quantity, reference, note) in enumerate(chosen):
                if index % CHUNK == 0:
                    report(0.8 + 0.15 * index / max(len(chosen), 1), f"posting {index} of {len(chosen)}")
                posting = ledger.post_consumption(
                    uow.session,
                    actor,
                    sku_id,
                    location_id,
                    quantity,
                    occurred_at=at,
                    reference=reference,
                    note=note,
                    history=True,
                )
                ids.append(posting.movement_id)
            reorder_pairs(uow, {(s, loc) for s, loc, *_ in chosen})
            return ids

        return fates, write

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(
                Sku.part_number,
                Location.code,
                StockMovement.occurred_at,
                -StockMovement.quantity,
                StockMovement.reference,
                StockMovement.note,
            )
            .join(Sku, Sku.id == StockMovement.sku_id)
            .join(Location, Location.id == StockMovement.location_id)
            .where(
                StockMovement.kind == MovementKind.CONSUMPTION,
                pair_filter(actor, StockMovement.sku_id, StockMovement.location_id),
            )
            .order_by(StockMovement.occurred_at, StockMovement.id)
        )
        for row in session.execute(stmt.execution_options(yield_per=5000)):
            yield tuple(row)


ENTITIES = (StockEntity(), CountEntity(), ConsumptionEntity())
