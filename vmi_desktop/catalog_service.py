"""Master data changes: create, update and deactivate SKUs, vendors, locations and agreements.

Every change checks the role (``scope.require``), validates its input with a
message a person can act on, refuses to overwrite a row someone else changed
since it was read (optimistic locking on ``version``), and writes an audit
entry in the caller's transaction. Bulk threshold edits are set-based: one
UPDATE per chunk of agreements, never a query per row.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Table, and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from vmi_desktop import audit
from vmi_desktop.errors import ConflictError, NotFoundError, ValidationError
from vmi_desktop.ledger import resolve_location, resolve_sku
from vmi_desktop.models import (
    AuthKind,
    ConnectionKind,
    Criticality,
    Location,
    LocationKind,
    ReplenishmentMode,
    Sku,
    SupplyAgreement,
    Vendor,
    utcnow,
)
from vmi_desktop.quantities import fmt, parse_quantity
from vmi_desktop.scope import Action, Actor, require

log = logging.getLogger(__name__)

E = TypeVar("E", bound=enum.Enum)


class RowConflict(ConflictError):
    """A row changed since it was read; ``entity``/``entity_id`` say which, for a reload."""

    def __init__(self, message: str, entity: str, entity_id: int) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_id = entity_id


# -- field parsers: one per editable field, shared by the dialogs, the table cells and the services --


def _text(max_len: int, what: str, *, required: bool = False) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise ValidationError(f"{what} must not be empty")
        if len(text) > max_len:
            raise ValidationError(f"{what} is longer than {max_len} characters")
        return text

    return parse


def _qty(what: str, *, allow_zero: bool = True) -> Callable[[object], Decimal]:
    def parse(value: object) -> Decimal:
        if isinstance(value, str) and not value.strip():
            raise ValidationError(f"{what} must be a number")
        return parse_quantity(value, what=what, allow_zero=allow_zero)

    return parse


def _money(what: str) -> Callable[[object], Decimal]:
    def parse(value: object) -> Decimal:
        try:
            number = Decimal(str(value).strip().replace(",", ".")) if value is not None else None
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            raise ValidationError(f"{what} must be a number, got {value!r}")
        if number < 0:
            raise ValidationError(f"{what} must not be negative, got {value}")
        if number != number.quantize(Decimal("0.0001")):
            raise ValidationError(f"{what} {value} has more than 4 decimals")
        return number.quantize(Decimal("0.0001"))

    return parse


def _int(what: str, *, minimum: int = 0) -> Callable[[object], int]:
    def parse(value: object) -> int:
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValidationError(f"{what} must be a whole number, got {value!r}") from None
        if not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(f"{what} must be a whole number, got {value!r}")
        if number < minimum:
            raise ValidationError(f"{what} must be at least {minimum}, got {value}")
        return int(number)

    return parse


def _enum(enum_cls: type[E], what: str) -> Callable[[object], E]:
    def parse(value: object) -> E:
        if isinstance(value, enum_cls):
            return value
        raw = getattr(value, "value", value)
        text = str(raw).strip().lower().replace(" ", "_").replace("-", "_")
        for member in enum_cls:
            if text in (str(member.value), member.name.lower()):
                return member
        allowed = ", ".join(str(m.value) for m in enum_cls)
        raise ValidationError(f"{what} {value!r} is not one of: {allowed}")

    return parse


def _bool(what: str) -> Callable[[object], bool]:
    def parse(value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "y", "on"):
            return True
        if text in ("0", "false", "no", "n", "off"):
            return False
        raise ValidationError(f"{what} must be yes or no, got {value!r}")

    return parse


def _ratio_or_none(what: str) -> Callable[[object], Decimal | None]:
    def parse(value: object) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = _money(what)(value)
        if number > 1:
            raise ValidationError(f"{what} is a share between 0 and 1, got {value}")
        return number

    return parse


def _int_or_none(what: str) -> Callable[[object], int | None]:
    def parse(value: object) -> int | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _int(what)(value)

    return parse


SKU_FIELDS: dict[str, Callable[[object], Any]] = {
    "part_number": _text(60, "part number", required=True),
    "description": _text(300, "description"),
    "uom": _text(12, "unit of measure", required=True),
    "unit_cost": _money("unit cost"),
    "criticality": _enum(Criticality, "criticality"),
}
LOCATION_FIELDS: dict[str, Callable[[object], Any]] = {
    "code": _text(40, "location code", required=True),
    "name": _text(200, "location name", required=True),
    "kind": _enum(LocationKind, "location kind"),
    "allow_negative_stock": _bool("allow negative stock"),
}
VENDOR_FIELDS: dict[str, Callable[[object], Any]] = {
    "code": _text(40, "vendor code", required=True),
    "name": _text(200, "vendor name", required=True),
    "contact_name": _text(200, "contact name"),
    "contact_email": _text(200, "contact e-mail"),
    "contact_phone": _text(60, "contact phone"),
    "connection_kind": _enum(ConnectionKind, "connection"),
    "base_url": _text(500, "base URL"),
    "auth_kind": _enum(AuthKind, "authentication"),
    "token_url": _text(500, "token URL"),
    "client_id": _text(200, "client id"),
    "customer_id": _text(100, "customer id"),
    "exchange_folder": _text(500, "exchange folder"),
    "sync_interval_s": _int("sync interval (seconds)", minimum=10),
}
AGREEMENT_FIELDS: dict[str, Callable[[object], Any]] = {
    "supplier_sku": _text(60, "supplier part number"),
    "min_qty": _qty("min"),
    "max_qty": _qty("max"),
    "mode": _enum(ReplenishmentMode, "replenishment mode"),
    "lead_time_days": _int("lead time (days)"),
    "pack_size": _qty("pack size", allow_zero=False),
    "moq": _qty("minimum order quantity"),
    "unit_price": _money("unit price"),
    "currency": _text(3, "currency", required=True),
    "is_primary": _bool("primary"),
    "sla_fill_rate": _ratio_or_none("agreed fill rate"),
    "sla_response_hours": _int_or_none("agreed response time (hours)"),
    "critical_priority": _bool("critical priority"),
}
FIELDS: dict[str, dict[str, Callable[[object], Any]]] = {
    "sku": SKU_FIELDS,
    "location": LOCATION_FIELDS,
    "vendor": VENDOR_FIELDS,
    "agreement": AGREEMENT_FIELDS,
}


def parse_field(entity: str, field: str, value: object) -> Any:
    """The stored value for user input in one field, or a ``ValidationError`` saying why not."""
    try:
        parser = FIELDS[entity][field]
    except KeyError:
        raise ValidationError(f"{field} of a {entity} cannot be changed here") from None
    return parser(value)


def check_thresholds(min_qty: Decimal, max_qty: Decimal, sku_label: str = "", location_label: str = "") -> None:
    """Refuse a min above its max, naming the SKU and location when known."""
    if min_qty > max_qty:
        where = f" for SKU {sku_label} at {location_label}" if sku_label and location_label else ""
        raise ValidationError(f"min ({fmt(min_qty)}) is above max ({fmt(max_qty)}){where}")


def _parse_all(entity: str, changes: Mapping[str, object]) -> dict[str, Any]:
    return {field: parse_field(entity, field, value) for field, value in changes.items()}


class _EditedRow(Protocol):
    """A row people edit: a ``VersionedMixin`` model (optimistic locking) with an integer id."""

    @property
    def id(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def updated_by(self) -> str | None: ...


def conflict_message(row: _EditedRow) -> str:
    """'changed by X at T' for a row someone else saved first."""
    when = row.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC") if row.updated_at else "an unknown time"
    return f"changed by {row.updated_by or 'someone'} at {when}"


def _check_version(row: _EditedRow, entity: str, label: str, expected_version: int | None) -> None:
    if expected_version is not None and row.version != expected_version:
        raise RowConflict(
            f"{entity} {label} was {conflict_message(row)}; reloaded, your change was not saved", entity, row.id
        )


def _apply(
    session: Session, actor: Actor, row: Any, entity: str, label: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Set changed fields, flush (raising a conflict on a concurrent write), return {field: [old, new]}."""
    diff: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(row, field)
        if old != value:
            diff[field] = [_plain(old), _plain(value)]
            setattr(row, field, value)
    if diff:
        row_id = row.id  # read before the flush: a failed flush leaves the row unreadable
        row.updated_by = actor.name
        row.updated_at = utcnow()
        try:
            session.flush()
        except StaleDataError:
            raise RowConflict(
                f"{entity} {label} was changed by someone else meanwhile; reloaded, your change was not saved",
                entity,
                row_id,
            ) from None
    return diff


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the audit detail."""
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _get(session: Session, model: type[Any], entity: str, entity_id: int) -> Any:
    row = session.get(model, entity_id, populate_existing=True)
    if row is None:
        raise NotFoundError(f"{entity} #{entity_id} does not exist (deleted meanwhile?)")
    return row


def _unique(session: Session, column: Any, value: str, what: str, exclude_id: int | None = None) -> None:
    query = select(column.class_.id).where(column == value)
    if exclude_id is not None:
        query = query.where(column.class_.id != exclude_id)
    if session.scalar(query) is not None:
        raise ValidationError(f"{what} {value} is already used")


# -- SKUs --------------------------------------------------------------------------------------------


def create_sku(session: Session, actor: Actor, *, part_number: str, **fields: object) -> Sku:
    """Add a SKU; the part number must be new."""
    require(actor, Action.EDIT_MASTER_DATA)
    values = _parse_all("sku", {"part_number": part_number, **fields})
    _unique(session, Sku.part_number, values["part_number"], "part number")
    sku = Sku(**values, updated_by=actor.name)
    session.add(sku)
    session.flush()
    audit.record(session, actor, "sku.create", "sku", sku.id, **values)
    return sku


def update_sku(session: Session, actor: Actor, sku_id: int, expected_version: int | None, **changes: object) -> Sku:
    """Change a SKU read at ``expected_version``; a newer version raises ``RowConflict``."""
    require(actor, Action.EDIT_MASTER_DATA)
    sku = _get(session, Sku, "SKU", sku_id)
    _check_version(sku, "SKU", sku.part_number, expected_version)
    values = _parse_all("sku", changes)
    if "part_number" in values:
        _unique(session, Sku.part_number, values["part_number"], "part number", exclude_id=sku.id)
    diff = _apply(session, actor, sku, "SKU", sku.part_number, values)
    if diff:
        audit.record(session, actor, "sku.update", "sku", sku.id, **diff)
    return sku


def set_sku_active(
    session: Session, actor: Actor, sku_id: int, active: bool, expected_version: int | None = None
) -> Sku:
    """Deactivate (or reactivate) a SKU; its history stays."""
    require(actor, Action.EDIT_MASTER_DATA)
    sku = _get(session, Sku, "SKU", sku_id)
    _check_version(sku, "SKU", sku.part_number, expected_version)
    if _apply(session, actor, sku, "SKU", sku.part_number, {"active": active}):
        audit.record(
            session, actor, "sku.activate" if active else "sku.deactivate", "sku", sku.id, part_number=sku.part_number
        )
    return sku


# -- locations and vendors (both identified by a unique code) ---------------------------------------

_Coded = TypeVar("_Coded", Location, Vendor)


def _create_coded(
    session: Session, actor: Actor, model: type[_Coded], entity: str, fields: dict[str, object]
) -> _Coded:
    require(actor, Action.EDIT_MASTER_DATA)
    values = _parse_all(entity, fields)
    _unique(session, model.code, values["code"], f"{entity} code")
    row = model(**values, updated_by=actor.name)
    session.add(row)
    session.flush()
    audit.record(session, actor, f"{entity}.create", entity, row.id, **values)
    return row


def _update_coded(
    session: Session,
    actor: Actor,
    model: type[_Coded],
    entity: str,
    row_id: int,
    expected_version: int | None,
    changes: Mapping[str, object],
) -> _Coded:
    require(actor, Action.EDIT_MASTER_DATA)
    row = cast(_Coded, _get(session, model, entity, row_id))
    _check_version(row, entity, row.code, expected_version)
    values = _parse_all(entity, changes)
    if "code" in values:
        _unique(session, model.code, values["code"], f"{entity} code", exclude_id=row.id)
    diff = _apply(session, actor, row, entity, row.code, values)
    if diff:
        audit.record(session, actor, f"{entity}.update", entity, row.id, **diff)
    return row


def _set_coded_active(
    session: Session,
    actor: Actor,
    model: type[_Coded],
    entity: str,
    row_id: int,
    active: bool,
    expected_version: int | None,
) -> _Coded:
    require(actor, Action.EDIT_MASTER_DATA)
    row = cast(_Coded, _get(session, model, entity, row_id))
    _check_version(row, entity, row.code, expected_version)
    if _apply(session, actor, row, entity, row.code, {"active": active}):
        audit.record(
            session, actor, f"{entity}.activate" if active else f"{entity}.deactivate", entity, row.id, code=row.code
        )
    return row


def create_location(session: Session, actor: Actor, *, code: str, name: str, **fields: object) -> Location:
    """Add a location; the code must be new."""
    return _create_coded(session, actor, Location, "location", {"code": code, "name": name, **fields})


def update_location(
    session: Session, actor: Actor, location_id: int, expected_version: int | None, **changes: object
) -> Location:
    """Change a location read at ``expected_version``."""
    return _update_coded(session, actor, Location, "location", location_id, expected_version, changes)


def set_location_active(
    session: Session, actor: Actor, location_id: int, active: bool, expected_version: int | None = None
) -> Location:
    """Deactivate (or reactivate) a location."""
    return _set_coded_active(session, actor, Location, "location", location_id, active, expected_version)


def create_vendor(session: Session, actor: Actor, *, code: str, name: str, **fields: object) -> Vendor:
    """Add a vendor; the code must be new. Credentials are kept in the keyring, not here."""
    return _create_coded(session, actor, Vendor, "vendor", {"code": code, "name": name, **fields})


def update_vendor(
    session: Session, actor: Actor, vendor_id: int, expected_version: int | None, **changes: object
) -> Vendor:
    """Change a vendor read at ``expected_version``."""
    return _update_coded(session, actor, Vendor, "vendor", vendor_id, expected_version, changes)


def set_vendor_active(
    session: Session, actor: Actor, vendor_id: int, active: bool, expected_version: int | None = None
) -> Vendor:
    """Deactivate (or reactivate) a vendor."""
    return _set_coded_active(session, actor, Vendor, "vendor", vendor_id, active, expected_version)


# -- agreements --------------------------------------------------------------------------------------


def _resolve_vendor(session: Session, ref: int | str) -> Vendor:
    row = session.get(Vendor, ref) if isinstance(ref, int) else session.scalar(select(Vendor).where(Vendor.code == ref))
    if row is None:
        raise NotFoundError(f"unknown vendor {ref!r}")
    return row


def _labels(session: Session, agreement: SupplyAgreement) -> tuple[str, str]:
    sku = session.get(Sku, agreement.sku_id)
    location = session.get(Location, agreement.location_id)
    sku_label = sku.part_number if sku else str(agreement.sku_id)
    return sku_label, location.code if location else str(agreement.location_id)


def _check_primary_free(
    session: Session, sku_id: int, location_id: int, exclude_id: int | None, sku_label: str, location_label: str
) -> None:
    query = (
        select(Vendor.code)
        .join(SupplyAgreement, SupplyAgreement.vendor_id == Vendor.id)
        .where(
            SupplyAgreement.sku_id == sku_id,
            SupplyAgreement.location_id == location_id,
            SupplyAgreement.is_primary.is_(True),
            SupplyAgreement.active.is_(True),
        )
    )
    if exclude_id is not None:
        query = query.where(SupplyAgreement.id != exclude_id)
    other = session.scalar(query)
    if other is not None:
        raise ValidationError(
            f"SKU {sku_label} at {location_label} already has a primary agreement with {other}; "
            "make this one a backup or deactivate the other first"
        )


def create_agreement(
    session: Session,
    actor: Actor,
    *,
    vendor: int | str,
    sku: int | str,
    location: int | str,
    min_qty: object,
    max_qty: object,
    **fields: object,
) -> SupplyAgreement:
    """Add a supply agreement for vendor x SKU x location (refs by id or code/part number)."""
    require(actor, Action.EDIT_AGREEMENTS)
    vendor_row = _resolve_vendor(session, vendor)
    sku_row = resolve_sku(session, sku)
    location_row = resolve_location(session, location)
    values = _parse_all("agreement", {"min_qty": min_qty, "max_qty": max_qty, **fields})
    check_thresholds(values["min_qty"], values["max_qty"], sku_row.part_number, location_row.code)
    duplicate = session.scalar(
        select(SupplyAgreement.id).where(
            SupplyAgreement.vendor_id == vendor_row.id,
            SupplyAgreement.sku_id == sku_row.id,
            SupplyAgreement.location_id == location_row.id,
        )
    )
    if duplicate is not None:
        raise ValidationError(
            f"{vendor_row.code} already has an agreement for SKU {sku_row.part_number} at {location_row.code}"
        )
    if values.get("is_primary", True):
        _check_primary_free(session, sku_row.id, location_row.id, None, sku_row.part_number, location_row.code)
    agreement = SupplyAgreement(
        vendor_id=vendor_row.id, sku_id=sku_row.id, location_id=location_row.id, **values, updated_by=actor.name
    )
    session.add(agreement)
    session.flush()
    audit.record(
        session,
        actor,
        "agreement.create",
        "agreement",
        agreement.id,
        vendor=vendor_row.code,
        sku=sku_row.part_number,
        location=location_row.code,
        **values,
    )
    return agreement


def update_agreement(
    session: Session, actor: Actor, agreement_id: int, expected_version: int | None, **changes: object
) -> SupplyAgreement:
    """Change an agreement (thresholds, mode, pack size…) read at ``expected_version``."""
    require(actor, Action.EDIT_AGREEMENTS)
    agreement = _get(session, SupplyAgreement, "agreement", agreement_id)
    sku_label, location_label = _labels(session, agreement)
    _check_version(agreement, "agreement", f"for SKU {sku_label} at {location_label}", expected_version)
    values = _parse_all("agreement", changes)
    check_thresholds(
        values.get("min_qty", agreement.min_qty), values.get("max_qty", agreement.max_qty), sku_label, location_label
    )
    if values.get("is_primary") and not agreement.is_primary and agreement.active:
        _check_primary_free(session, agreement.sku_id, agreement.location_id, agreement.id, sku_label, location_label)
    diff = _apply(session, actor, agreement, "agreement", f"for SKU {sku_label} at {location_label}", values)
    if diff:
        audit.record(
            session,
            actor,
            "agreement.update",
            "agreement",
            agreement.id,
            sku=sku_label,
            location=location_label,
            **diff,
        )
    return agreement


def set_agreement_active(
    session: Session, actor: Actor, agreement_id: int, active: bool, expected_version: int | None = None
) -> SupplyAgreement:
    """Deactivate (or reactivate) an agreement; reactivating a primary checks there is no other one."""
    require(actor, Action.EDIT_AGREEMENTS)
    agreement = _get(session, SupplyAgreement, "agreement", agreement_id)
    sku_label, location_label = _labels(session, agreement)
    _check_version(agreement, "agreement", f"for SKU {sku_label} at {location_label}", expected_version)
    if active and agreement.is_primary and not agreement.active:
        _check_primary_free(session, agreement.sku_id, agreement.location_id, agreement.id, sku_label, location_label)
    if _apply(session, actor, agreement, "agreement", f"for SKU {sku_label} at {location_label}", {"active": active}):
        audit.record(
            session,
            actor,
            "agreement.activate" if active else "agreement.deactivate",
            "agreement",
            agreement.id,
            sku=sku_label,
            location=location_label,
        )
    return agreement


# -- bulk threshold edits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetThresholds:
    """Set min and max of every selected agreement to the same values."""

    min_qty: Decimal
    max_qty: Decimal


@dataclass(frozen=True)
class ScaleThresholds:
    """Scale min and max by a percentage (+10 raises by a tenth), rounded to 3 decimals."""

    percent: Decimal


@dataclass(frozen=True)
class CopyThresholds:
    """Copy min and max from the same SKU's primary agreement at another location."""

    from_location: int | str


BulkThresholdEdit = SetThresholds | ScaleThresholds | CopyThresholds
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class BulkResult:
    """What a bulk edit did: rows changed and rows skipped (no source to copy from)."""

    changed: int
    skipped: int


def bulk_edit_thresholds(
    session: Session,
    actor: Actor,
    agreement_ids: Iterable[int],
    edit: BulkThresholdEdit,
    report: Progress | None = None,
    chunk_size: int = 500,
) -> BulkResult:
    """Apply one threshold edit to many agreements with set-based UPDATEs, in the caller's transaction.

    ``report(fraction, text)`` is called between chunks; it may raise to cancel,
    and the caller's transaction then rolls everything back.
    """
    require(actor, Action.EDIT_AGREEMENTS)
    ids = sorted(set(agreement_ids))
    table = cast(Table, SupplyAgreement.__table__)
    now = utcnow()
    values: dict[str, Any]
    where_extra: list[Any] = []
    detail: dict[str, Any]
    if isinstance(edit, SetThresholds):
        min_qty = parse_field("agreement", "min_qty", edit.min_qty)
        max_qty = parse_field("agreement", "max_qty", edit.max_qty)
        check_thresholds(min_qty, max_qty)
        values = {"min_qty": min_qty, "max_qty": max_qty}
        detail = {"op": "set", "min": min_qty, "max": max_qty}
    elif isinstance(edit, ScaleThresholds):
        percent = Decimal(str(edit.percent))
        if percent <= -100:
            raise ValidationError(f"scaling by {percent}% would leave no stock; use a value above -100")
        factor = (Decimal(100) + percent) / Decimal(100)
        values = {
            "min_qty": func.round(table.c.min_qty * factor, 3),
            "max_qty": func.round(table.c.max_qty * factor, 3),
        }
        detail = {"op": "scale", "percent": percent}
    elif isinstance(edit, CopyThresholds):
        source_location = resolve_location(session, edit.from_location)
        src = aliased(SupplyAgreement, name="src")
        match = and_(
            src.sku_id == table.c.sku_id,
            src.location_id == source_location.id,
            src.is_primary.is_(True),
            src.active.is_(True),
        )
        values = {
            "min_qty": select(src.min_qty).where(match).scalar_subquery(),
            "max_qty": select(src.max_qty).where(match).scalar_subquery(),
        }
        where_extra.append(exists(select(src.id).where(match)))
        where_extra.append(table.c.location_id != source_location.id)
        detail = {"op": "copy", "from_location": source_location.code}
    else:  # pragma: no cover - the type union is closed
        raise ValidationError(f"unknown bulk edit {edit!r}")
    values.update(version=table.c.version + 1, updated_at=now, updated_by=actor.name)
    changed = 0
    total = max(len(ids), 1)
    for start in range(0, len(ids), chunk_size):
        if report is not None:
            report(start / total, f"{start} of {len(ids)} agreements")
        chunk: Sequence[int] = ids[start : start + chunk_size]
        result = session.execute(update(table).where(table.c.id.in_(chunk), *where_extra).values(**values))
        changed += cast(CursorResult[Any], result).rowcount or 0
    if report is not None:
        report(1.0, f"{len(ids)} of {len(ids)} agreements")
    # one audit entry per bulk edit: the ids say which rows (capped so an entry stays readable)
    audit.record(
        session,
        actor,
        "agreement.bulk_thresholds",
        "agreement",
        "",
        changed=changed,
        selected=len(ids),
        ids=ids[:1000],
        **detail,
    )
    return BulkResult(changed=changed, skipped=len(ids) - changed)
