"""Importing and exporting master data: SKUs, locations, vendors, and agreements with their thresholds.

Each row is validated with ``catalog_service.parse_field`` (the rules the forms and table cells
use), compared with the row the database holds (one query for all of them), and becomes a create,
an update (of the columns the file has), unchanged, or rejected. The writer inserts and updates the
accepted rows with executemany statements in chunks; an update checks the version it compared with
(someone saving meanwhile makes the import fail as a whole, not overwrite).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, func, insert, null, select, update
from sqlalchemy.orm import Session

from vmi_desktop.catalog_service import FIELDS, check_thresholds, parse_field, parse_flag
from vmi_desktop.db import UnitOfWork
from vmi_desktop.errors import ConflictError, ValidationError
from vmi_desktop.importer.plan import CREATE, REJECTED, UNCHANGED, UPDATE, Progress, RowError, RowFate, Writer
from vmi_desktop.importer.tables import Cell
from vmi_desktop.importer.tables import Table as Sheet
from vmi_desktop.models import Location, Sku, SupplyAgreement, UnitOfMeasure, Vendor, utcnow
from vmi_desktop.quantities import fmt
from vmi_desktop.replenishment.pair_figures import copy_onto_new_agreements
from vmi_desktop.scope import (
    Action,
    Actor,
    location_filter,
    pair_filter,
    readable,
    sku_filter,
    vendor_filter,
    visible,
)
from vmi_desktop.units import fractional_quantity_of

CHUNK = 2000
_QUANTITY_FIELDS = {"min_qty": "min", "max_qty": "max", "pack_size": "pack size", "moq": "minimum order quantity"}


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _cell_value(cell: Cell) -> object:
    """A cell as the field parsers take it: whole floats from a spreadsheet as ints, text trimmed."""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 2**53:
        return int(cell)
    if isinstance(cell, str):
        return cell.strip()
    return cell


class _Parsers:
    """``parse_field`` for one entity, knowing which fields take an empty cell (text, optional values)."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.empty_ok: dict[str, bool] = {}
        #: parsed values by (field, cell): the parsers are pure, and columns repeat their values
        self.memo: dict[tuple[str, type, Cell], tuple[bool, Any]] = {}

    def parse(self, field: str, cell: Cell) -> tuple[bool, Any]:
        """(given, value): an empty cell of a field that needs a value is "not given" (left as it is)."""
        key = (field, type(cell), cell)
        found = self.memo.get(key)
        if found is None:
            found = self._parse(field, cell)
            if len(self.memo) < 500_000:
                self.memo[key] = found
        return found

    def _parse(self, field: str, cell: Cell) -> tuple[bool, Any]:
        if field == "active":
            return (False, None) if _blank(cell) else (True, parse_flag(_cell_value(cell), "active"))
        if _blank(cell):
            if field not in self.empty_ok:
                try:
                    parse_field(self.entity, field, "")
                    self.empty_ok[field] = True
                except ValidationError:
                    self.empty_ok[field] = False
            return (True, parse_field(self.entity, field, "")) if self.empty_ok[field] else (False, None)
        return True, parse_field(self.entity, field, _cell_value(cell))


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _diff_text(diff: dict[str, tuple[Any, Any]]) -> str:
    return ", ".join(f"{k}: {_plain(old)} -> {_plain(new)}" for k, (old, new) in diff.items())


def _defaults(model: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in cast(Table, model.__table__).columns:
        default = column.default
        if default is not None and getattr(default, "is_scalar", False):
            out[column.key] = getattr(default, "arg", None)
    return out


def _execute_updates(
    session: Session, model: Any, updates: list[tuple[int, int, dict[str, Any]]], actor: Actor
) -> None:
    """executemany UPDATEs grouped by the set of columns they change, each checking its version."""
    table = cast(Table, model.__table__)
    now = utcnow()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row_id, version, values in updates:
        groups[tuple(sorted(values))].append(
            {"b_id": row_id, "b_version": version, **{f"b_{k}": v for k, v in values.items()}}
        )
    for fields, params in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
            .values(
                {f: bindparam(f"b_{f}", type_=table.c[f].type) for f in fields}
                | {"version": table.c.version + 1, "updated_at": now, "updated_by": actor.name}
            )
        )
        for start in range(0, len(params), CHUNK):
            chunk = params[start : start + CHUNK]
            result = cast(CursorResult[Any], session.execute(stmt, chunk))
            if result.rowcount is not None and 0 <= result.rowcount != len(chunk):
                raise ConflictError(f"some {table.name} were changed by someone else meanwhile; nothing was imported")


def _execute_inserts(session: Session, model: Any, rows: list[dict[str, Any]], actor: Actor) -> list[int]:
    """executemany INSERTs in chunks; returns the new ids (those above the highest id before)."""
    if not rows:
        return []
    defaults = _defaults(model)
    now = utcnow()
    table = cast(Table, model.__table__)
    before = session.scalar(select(func.max(table.c.id))) or 0
    full = [defaults | r | {"version": 1, "updated_at": now, "updated_by": actor.name} for r in rows]
    for start in range(0, len(full), CHUNK):
        session.execute(insert(table), full[start : start + CHUNK])
    return list(session.scalars(select(table.c.id).where(table.c.id > before).order_by(table.c.id)))


# -- SKUs, locations, vendors ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodedEntity:
    """SKUs, locations or vendors: rows identified by a unique code (part number)."""

    name: str
    label: str
    model: Any
    field_entity: str
    key: str
    fields: tuple[str, ...]
    create_needs: tuple[str, ...] = ()
    action: Action = Action.EDIT_MASTER_DATA

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.key, *self.fields, "active")

    @property
    def required(self) -> tuple[str, ...]:
        return (self.key,)

    def plan(self, session: Session, actor: Actor, table: Sheet, report: Progress) -> tuple[list[RowFate], Writer]:
        model = self.model
        stored_fields = (*self.fields, "active")
        existing: dict[str, dict[str, Any]] = {
            row[self.key]: dict(row)
            for row in session.execute(
                select(model.id, model.version, *(getattr(model, f) for f in (self.key, *stored_fields)))
            ).mappings()
        }
        units = set(session.scalars(select(UnitOfMeasure.code))) if self.model is Sku else set()
        parsers = _Parsers(self.field_entity)
        given_columns = [c for c in stored_fields if c in table.columns]
        fates: list[RowFate] = []
        creates: dict[int, dict[str, Any]] = {}
        updates: dict[int, tuple[int, int, dict[str, Any]]] = {}
        seen: dict[str, int] = {}
        total = max(len(table.rows), 1)
        for index, (number, cells) in enumerate(table.rows):
            if index % 5000 == 0:
                report(0.8 * index / total, f"checking row {index} of {len(table.rows)}")
            values = table.values(cells)
            fate = RowFate(number, "", REJECTED, cells=cells)
            fates.append(fate)
            errors = fate.errors
            try:
                key = parse_field(self.field_entity, self.key, _cell_value(values.get(self.key, "")))
            except ValidationError as exc:
                errors.append(RowError(table.sheet, number, self.key, str(exc)))
                continue
            fate.key = key
            if key in seen:
                errors.append(RowError(table.sheet, number, self.key, f"{key} is already in row {seen[key]}"))
                continue
            seen[key] = number
            parsed: dict[str, Any] = {}
            for column in given_columns:
                try:
                    given, value = parsers.parse(column, values[column])
                except ValidationError as exc:
                    errors.append(RowError(table.sheet, number, column, str(exc)))
                    continue
                if given:
                    parsed[column] = value
            if "uom" in parsed and parsed["uom"] not in units:
                errors.append(RowError(table.sheet, number, "uom", f"unknown unit of measure {parsed['uom']!r}"))
            old = existing.get(key)
            if old is None:
                for column in self.create_needs:
                    if column not in parsed and not any(e.column == column for e in errors):
                        errors.append(RowError(table.sheet, number, column, f"a new {self.label} needs a {column}"))
                if not errors:
                    fate.action, fate.detail = CREATE, f"new {self.label}"
                    creates[number] = {self.key: key, **parsed}
                continue
            diff = {k: (old[k], v) for k, v in parsed.items() if old[k] != v}
            if "uom" in diff and not errors:
                sku = session.get(Sku, old["id"])
                fraction = (
                    fractional_quantity_of(session, sku) if sku is not None and _whole(session, parsed["uom"]) else None
                )
                if fraction is not None:
                    errors.append(
                        RowError(
                            table.sheet,
                            number,
                            "uom",
                            f"{key} cannot be counted in {parsed['uom']} (whole units): it has {fraction}",
                        )
                    )
            if errors:
                continue
            if not diff:
                fate.action = UNCHANGED
            else:
                fate.action, fate.detail = UPDATE, _diff_text(diff)
                updates[number] = (old["id"], old["version"], {k: new for k, (_, new) in diff.items()})

        def write(uow: UnitOfWork, accepted: set[int]) -> list[int]:
            chosen = [u for n, u in updates.items() if n in accepted]
            _execute_updates(uow.session, model, chosen, actor)
            ids = [u[0] for u in chosen]
            ids += _execute_inserts(uow.session, model, [c for n, c in creates.items() if n in accepted], actor)
            uow.changes.master_data = True
            return ids

        return fates, write

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        model = self.model
        # a column the actor may not read (a supplier: the customer's cost, how a vendor is reached) stays empty
        shown = [getattr(model, c) if readable(actor, model, c) else null().label(c) for c in self.columns]
        stmt = select(*shown).order_by(getattr(model, self.key))
        if model is Sku:
            stmt = stmt.where(sku_filter(actor, Sku.id))
        elif model is Location:
            stmt = stmt.where(location_filter(actor, Location.id))
        else:
            stmt = stmt.where(vendor_filter(actor, Vendor.id))
        for row in session.execute(stmt.execution_options(yield_per=CHUNK)):
            yield tuple(row)


def _whole(session: Session, uom: str) -> bool:
    return bool(session.scalar(select(UnitOfMeasure.whole).where(UnitOfMeasure.code == uom)))


def _fields(entity: str, key: str) -> tuple[str, ...]:
    return tuple(f for f in FIELDS[entity] if f != key)


SKUS = CodedEntity("skus", "SKU", Sku, "sku", "part_number", _fields("sku", "part_number"))
LOCATIONS = CodedEntity("locations", "location", Location, "location", "code", _fields("location", "code"), ("name",))
VENDORS = CodedEntity("vendors", "vendor", Vendor, "vendor", "code", _fields("vendor", "code"), ("name",))


# -- agreements and thresholds ------------------------------------------------------------------------


class AgreementEntity:
    """Supply agreements (vendor x SKU x location) with thresholds, mode, pack size and service levels."""

    name = "agreements"
    label = "agreement"
    action = Action.EDIT_AGREEMENTS
    fields: tuple[str, ...] = (*FIELDS["agreement"], "active")
    columns: tuple[str, ...] = ("vendor", "sku", "location", *fields)
    required: tuple[str, ...] = ("vendor", "sku", "location")

    def plan(self, session: Session, actor: Actor, table: Sheet, report: Progress) -> tuple[list[RowFate], Writer]:
        vendors = dict(session.execute(select(Vendor.code, Vendor.id)).all())
        skus = {p: (i, u) for p, i, u in session.execute(select(Sku.part_number, Sku.id, Sku.uom)).all()}
        locations = dict(session.execute(select(Location.code, Location.id)).all())
        whole = set(session.scalars(select(UnitOfMeasure.code).where(UnitOfMeasure.whole.is_(True))))
        columns = [getattr(SupplyAgreement, f) for f in self.fields]
        existing: dict[tuple[int, int, int], dict[str, Any]] = {}
        primaries: dict[tuple[int, int], tuple[int, int, int]] = {}
        for row in session.execute(
            select(
                SupplyAgreement.id,
                SupplyAgreement.version,
                SupplyAgreement.vendor_id,
                SupplyAgreement.sku_id,
                SupplyAgreement.location_id,
                *columns,
            ).execution_options(yield_per=10_000)
        ).mappings():
            key = (row["vendor_id"], row["sku_id"], row["location_id"])
            existing[key] = dict(row)
            if row["is_primary"] and row["active"]:
                primaries[key[1:]] = key
        codes = {v: k for k, v in vendors.items()}
        parsers = _Parsers("agreement")
        given_columns = [c for c in self.fields if c in table.columns]
        fates: list[RowFate] = []
        planned: dict[int, tuple[tuple[int, int, int], dict[str, Any], dict[str, Any] | None]] = {}
        seen: dict[tuple[int, int, int], int] = {}
        total = max(len(table.rows), 1)
        sheet = table.sheet
        for index, (number, cells) in enumerate(table.rows):
            if index % 5000 == 0:
                report(0.7 * index / total, f"checking row {index} of {len(table.rows)}")
            values = table.values(cells)
            vendor_code, part, loc_code = (str(_cell_value(values.get(c, ""))) for c in ("vendor", "sku", "location"))
            fate = RowFate(number, f"{vendor_code} {part} at {loc_code}", REJECTED, cells=cells)
            fates.append(fate)
            errors = fate.errors
            vendor_id, sku, location_id = vendors.get(vendor_code), skus.get(part), locations.get(loc_code)
            for column, text, found in (
                ("vendor", vendor_code, vendor_id),
                ("sku", part, sku),
                ("location", loc_code, location_id),
            ):
                if found is None:
                    errors.append(
                        RowError(
                            sheet, number, column, f"unknown {column} {text!r}" if text else f"{column} is missing"
                        )
                    )
            parsed: dict[str, Any] = {}
            for column in given_columns:
                try:
                    given, value = parsers.parse(column, values[column])
                except ValidationError as exc:
                    errors.append(RowError(sheet, number, column, str(exc)))
                    continue
                if given:
                    parsed[column] = value
            if vendor_id is None or sku is None or location_id is None:
                continue
            key = (vendor_id, sku[0], location_id)
            if key in seen:
                errors.append(RowError(sheet, number, "", f"the agreement is already in row {seen[key]}"))
                continue
            seen[key] = number
            if sku[1] in whole:
                for field, what in _QUANTITY_FIELDS.items():
                    value = parsed.get(field)
                    if value is not None and value != value.to_integral_value():
                        errors.append(
                            RowError(
                                sheet,
                                number,
                                field,
                                f"{what} {fmt(value)} has a fraction, but {sku[1]} is counted in whole units",
                            )
                        )
            old = existing.get(key)
            if old is None:
                for column in ("min_qty", "max_qty"):
                    if column not in parsed and not any(e.column == column for e in errors):
                        errors.append(RowError(sheet, number, column, "a new agreement needs min and max"))
            merged = (old or {}) | parsed
            if "min_qty" in merged and "max_qty" in merged and not errors:
                try:
                    check_thresholds(merged["min_qty"], merged["max_qty"], part, loc_code)
                except ValidationError as exc:
                    errors.append(RowError(sheet, number, "min_qty", str(exc)))
            if not errors:
                planned[number] = (key, parsed, old)
        by_row = {f.row: f for f in fates}
        # One active primary per SKU x location, judged on the state after the whole file.
        final: dict[tuple[int, int], set[tuple[int, int, int]]] = defaultdict(set)
        for pair, key in primaries.items():
            final[pair].add(key)
        for key, parsed, old in planned.values():
            merged = (old or {"is_primary": True, "active": True}) | parsed
            if merged["is_primary"] and merged["active"]:
                final[key[1:]].add(key)
            else:
                final[key[1:]].discard(key)
        for number, (key, parsed, old) in list(planned.items()):
            merged = (old or {"is_primary": True, "active": True}) | parsed
            others = final[key[1:]] - {key}
            if merged["is_primary"] and merged["active"] and others:
                fate = by_row[number]
                fate.errors.append(
                    RowError(
                        sheet,
                        number,
                        "is_primary",
                        f"{fate.key.split(' ', 1)[1]} already has a primary agreement with "
                        f"{', '.join(sorted(codes.get(o[0], '?') for o in others))}; make this one a backup "
                        "(is_primary no) or deactivate the other",
                    )
                )
                del planned[number]
        creates: dict[int, dict[str, Any]] = {}
        updates: dict[int, tuple[int, int, dict[str, Any]]] = {}
        for number, (key, parsed, old) in planned.items():
            fate = by_row[number]
            if old is None:
                fate.action, fate.detail = CREATE, "new agreement"
                creates[number] = {"vendor_id": key[0], "sku_id": key[1], "location_id": key[2], **parsed}
                continue
            diff = {k: (old[k], v) for k, v in parsed.items() if old[k] != v}
            if not diff:
                fate.action = UNCHANGED
            else:
                fate.action, fate.detail = UPDATE, _diff_text(diff)
                updates[number] = (old["id"], old["version"], {k: new for k, (_, new) in diff.items()})

        def write(uow: UnitOfWork, accepted: set[int]) -> list[int]:
            chosen = [u for n, u in updates.items() if n in accepted]
            # demotions first, so the partial unique index on primaries never sees two at once
            chosen.sort(key=lambda u: not (u[2].get("is_primary") is False or u[2].get("active") is False))
            report(0.8, f"updating {len(chosen)} agreements")
            _execute_updates(uow.session, SupplyAgreement, chosen, actor)
            report(0.9, "adding new agreements")
            ids = [u[0] for u in chosen]
            created = _execute_inserts(
                uow.session, SupplyAgreement, [c for n, c in creates.items() if n in accepted], actor
            )
            copy_onto_new_agreements(uow.session, created)  # their pairs may have stock and use already
            ids += created
            uow.changes.agreements.update(ids)
            return ids

        return fates, write

    def export(self, session: Session, actor: Actor) -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(Vendor.code, Sku.part_number, Location.code, *(getattr(SupplyAgreement, f) for f in self.fields))
            .join(Vendor, Vendor.id == SupplyAgreement.vendor_id)
            .join(Sku, Sku.id == SupplyAgreement.sku_id)
            .join(Location, Location.id == SupplyAgreement.location_id)
            .where(
                visible(actor, SupplyAgreement),  # a supplier: its own active agreements
                pair_filter(actor, SupplyAgreement.sku_id, SupplyAgreement.location_id),
            )
            .order_by(Vendor.code, Sku.part_number, Location.code)
        )
        for row in session.execute(stmt.execution_options(yield_per=CHUNK)):
            yield tuple(row)


AGREEMENTS = AgreementEntity()
ENTITIES = (SKUS, LOCATIONS, VENDORS, AGREEMENTS)
