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
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vmi_desktop import audit
from vmi_desktop.errors import ConflictError, NotFoundError, ValidationError
from vmi_desktop.free_text import free_text
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
from vmi_desktop.models.base import Quantity
from vmi_desktop.quantities import check_quantity_bound, fmt, parse_money, parse_quantity, round_for_unit, to_decimal
from vmi_desktop.replenishment.pair_figures import copy_onto_new_agreements
from vmi_desktop.scope import Action, Actor, require
from vmi_desktop.sync.urls import InsecureUrlError, check_base_url, check_token_url
from vmi_desktop.units import fractional_quantity_of, is_whole, known_unit, whole_units

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
        return free_text(value, max_len, what, required=required)

    return parse


def _url(max_len: int, what: str, check: Callable[[str], str]) -> Callable[[object], str]:
    """A URL a secret is sent to: empty, or allowed by the sync rule (https, plain http only to loopback)."""
    text = _text(max_len, what)

    def parse(value: object) -> str:
        url = text(value)
        if not url:
            return url
        try:
            return check(url)
        except InsecureUrlError as exc:
            raise ValidationError(str(exc)) from None

    return parse


def _qty(what: str, *, allow_zero: bool = True) -> Callable[[object], Decimal]:
    def parse(value: object) -> Decimal:
        if isinstance(value, str) and not value.strip():
            raise ValidationError(f"{what} must be a number")
        return parse_quantity(value, what=what, allow_zero=allow_zero)

    return parse


def _money(what: str) -> Callable[[object], Decimal]:
    def parse(value: object) -> Decimal:
        return parse_money(value, what=what)

    return parse


def _int(what: str, *, minimum: int = 0, maximum: int = 2**31 - 1) -> Callable[[object], int]:
    def parse(value: object) -> int:
        if isinstance(value, bool):
            raise ValidationError(f"{what} must be a whole number, got {value!r}")
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValidationError(f"{what} must be a whole number, got {value!r}")
            number = int(text)
        if number < minimum:
            raise ValidationError(f"{what} must be at least {minimum}, got {value}")
        if number > maximum:
            raise ValidationError(f"{what} must be at most {maximum}, got {value}")
        return number

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
        number = parse_money(value, what=what)
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
    "base_url": _url(500, "the supplier URL", check_base_url),
    "auth_kind": _enum(AuthKind, "authentication"),
    "token_url": _url(500, "the OAuth2 token URL", check_token_url),
    "client_id": _text(200, "client id"),
    "customer_id": _text(100, "customer id"),
    "exchange_folder": _text(500, "exchange folder"),
    "edi_our_qualifier": _text(4, "our EDI id qualifier"),
    "edi_our_id": _text(35, "our EDI id"),
    "edi_our_app": _text(15, "our EDI application code"),
    "edi_partner_qualifier": _text(4, "the partner's EDI id qualifier"),
    "edi_partner_id": _text(35, "the partner's EDI id"),
    "edi_partner_app": _text(15, "the partner's EDI application code"),
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


def parse_flag(value: object, what: str) -> bool:
    """A yes/no cell (``yes``, ``no``, ``true``, ``1``...) as the forms and imports read it."""
    return _bool(what)(value)


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
    known_unit(session, values.get("uom", "EA"))
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
    if "uom" in values and values["uom"] != sku.uom:
        unit = known_unit(session, values["uom"])
        fraction = fractional_quantity_of(session, sku) if unit.whole else None
        if fraction is not None:
            raise ValidationError(
                f"SKU {sku.part_number} cannot be counted in {unit.code} (whole units): it has {fraction}"
            )
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


_AGREEMENT_QUANTITIES = {"min_qty": "min", "max_qty": "max", "pack_size": "pack size", "moq": "minimum order quantity"}


def _check_units(session: Session, sku: Sku, values: Mapping[str, Any], location_label: str) -> None:
    """Thresholds, pack size and MOQ of a whole-unit SKU take no fractions."""
    if not is_whole(session, sku.uom):
        return
    for field, what in _AGREEMENT_QUANTITIES.items():
        value = values.get(field)
        if value is not None and value != value.to_integral_value():
            raise ValidationError(
                f"{what} {fmt(value)} for SKU {sku.part_number} at {location_label} has a fraction, "
                f"but {sku.uom} is counted in whole units"
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
    _check_units(session, sku_row, values, location_row.code)
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
    copy_onto_new_agreements(session, [agreement.id])  # the pair may have stock and use already
    session.refresh(agreement)
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
    _check_units(session, agreement.sku, values, location_label)
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
    """Scale min and max by a percentage (+10 raises by a tenth), rounded half up to 3 decimals or whole units."""

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


def _scale_factor(edit: ScaleThresholds) -> Decimal:
    percent = to_decimal(edit.percent, what="percentage")
    if percent <= -100:
        raise ValidationError(f"scaling by {fmt(percent)}% would leave no stock; use a value above -100")
    if abs(percent) > 100000:
        raise ValidationError(f"scaling by {fmt(percent)}% is out of range")
    return (Decimal(100) + percent) / Decimal(100)


@dataclass(frozen=True)
class ThresholdChange:
    """One agreement's thresholds before and after a bulk edit (for the preview)."""

    agreement_id: int
    part_number: str
    location_code: str
    uom: str
    old_min: Decimal
    old_max: Decimal
    new_min: Decimal
    new_max: Decimal
    rounded_to_whole: bool


@dataclass(frozen=True)
class ThresholdPreview:
    """What a bulk edit would do: the changes (a sample), how many rows change, and what rounding says."""

    changes: list[ThresholdChange]
    changed: int
    rounded_to_whole: int
    skipped: int

    def summary(self) -> str:
        """One sentence for the dialog: how many change, how many were rounded to whole units."""
        text = f"{self.changed} agreement(s) change"
        if self.skipped:
            text += f", {self.skipped} stay as they are"
        if self.rounded_to_whole:
            text += f"; {self.rounded_to_whole} rounded to whole units (counted in EA, SET, ...)"
        return text + "."


def _rows_for(session: Session, ids: Sequence[int]) -> list[Any]:
    return list(
        session.execute(
            select(
                SupplyAgreement.id,
                SupplyAgreement.sku_id,
                SupplyAgreement.location_id,
                SupplyAgreement.min_qty,
                SupplyAgreement.max_qty,
                Sku.part_number,
                Sku.uom,
                Location.code,
            )
            .join(Sku, Sku.id == SupplyAgreement.sku_id)
            .join(Location, Location.id == SupplyAgreement.location_id)
            .where(SupplyAgreement.id.in_(ids))
            .order_by(SupplyAgreement.id)
        )
    )


def _plan(session: Session, rows: list[Any], edit: BulkThresholdEdit) -> list[ThresholdChange]:
    """New thresholds for ``rows`` under ``edit``, exact (Decimal) and rounded to what each unit allows."""
    whole = whole_units(session)
    plan: list[ThresholdChange] = []
    sources: dict[int, tuple[Decimal, Decimal]] = {}
    source_id = None
    if isinstance(edit, CopyThresholds):
        source_location = resolve_location(session, edit.from_location)
        source_id = source_location.id
        sku_ids = sorted({r.sku_id for r in rows})
        for sku_id, low, high in session.execute(
            select(SupplyAgreement.sku_id, SupplyAgreement.min_qty, SupplyAgreement.max_qty).where(
                SupplyAgreement.sku_id.in_(sku_ids),
                SupplyAgreement.location_id == source_location.id,
                SupplyAgreement.is_primary.is_(True),
                SupplyAgreement.active.is_(True),
            )
        ):
            sources[sku_id] = (low, high)
    for r in rows:
        is_whole_unit = r.uom in whole
        rounded = False
        if isinstance(edit, SetThresholds):
            for value, what in ((edit.min_qty, "min"), (edit.max_qty, "max")):
                if is_whole_unit and value != value.to_integral_value():
                    raise ValidationError(
                        f"{what} {fmt(value)} has a fraction, but {r.part_number} is counted in {r.uom} "
                        "(whole units); choose whole numbers or leave those agreements out"
                    )
            new_min, new_max = edit.min_qty, edit.max_qty
        elif isinstance(edit, ScaleThresholds):
            factor = _scale_factor(edit)
            exact_min, exact_max = r.min_qty * factor, r.max_qty * factor
            new_min = round_for_unit(exact_min, whole=is_whole_unit)
            new_max = round_for_unit(exact_max, whole=is_whole_unit)
            rounded = is_whole_unit and (new_min != exact_min or new_max != exact_max)
        else:
            assert isinstance(edit, CopyThresholds)
            if r.sku_id not in sources or r.location_id == source_id:
                continue
            new_min, new_max = sources[r.sku_id]
        check_quantity_bound(new_max, what=f"max of {r.part_number} at {r.code}")
        plan.append(
            ThresholdChange(
                r.id, r.part_number, r.code, r.uom, r.min_qty, r.max_qty, new_min, new_max, rounded_to_whole=rounded
            )
        )
    return plan


def _check_edit(edit: BulkThresholdEdit) -> dict[str, Any]:
    """Validate the edit itself (before any row is read); returns the audit detail."""
    if isinstance(edit, SetThresholds):
        low = parse_field("agreement", "min_qty", edit.min_qty)
        high = parse_field("agreement", "max_qty", edit.max_qty)
        check_thresholds(low, high)
        return {"op": "set", "min": low, "max": high}
    if isinstance(edit, ScaleThresholds):
        _scale_factor(edit)
        return {"op": "scale", "percent": edit.percent}
    if isinstance(edit, CopyThresholds):
        return {"op": "copy", "from_location": str(edit.from_location)}
    raise ValidationError(f"unknown bulk edit {edit!r}")  # pragma: no cover - the type union is closed


def preview_thresholds(
    session: Session, actor: Actor, agreement_ids: Iterable[int], edit: BulkThresholdEdit, sample: int = 8
) -> ThresholdPreview:
    """What ``bulk_edit_thresholds`` would change, without writing: shown before the user applies it."""
    require(actor, Action.EDIT_AGREEMENTS)
    _check_edit(edit)
    ids = sorted(set(agreement_ids))
    changes: list[ThresholdChange] = []
    changed = rounded = 0
    for start in range(0, len(ids), 500):
        plan = [c for c in _plan(session, _rows_for(session, ids[start : start + 500]), edit) if _differs(c)]
        changed += len(plan)
        rounded += sum(1 for c in plan if c.rounded_to_whole)
        changes.extend(plan[: max(0, sample - len(changes))])
    return ThresholdPreview(changes, changed, rounded, len(ids) - changed)


def _differs(change: ThresholdChange) -> bool:
    return (change.old_min, change.old_max) != (change.new_min, change.new_max)


def bulk_edit_thresholds(
    session: Session,
    actor: Actor,
    agreement_ids: Iterable[int],
    edit: BulkThresholdEdit,
    report: Progress | None = None,
    chunk_size: int = 500,
) -> BulkResult:
    """Apply one threshold edit to many agreements, a chunk at a time, in the caller's transaction.

    New values are computed exactly in Python (a scale rounds half up to 3 decimals, or to whole units
    for SKUs counted in whole units) and written with one executemany UPDATE per chunk. ``report(fraction,
    text)`` is called between chunks; it may raise to cancel, and the caller's transaction then rolls
    everything back.
    """
    require(actor, Action.EDIT_AGREEMENTS)
    detail = _check_edit(edit)
    ids = sorted(set(agreement_ids))
    table = cast(Table, SupplyAgreement.__table__)
    now = utcnow()
    changed = rounded = 0
    total = max(len(ids), 1)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version"))
        .values(
            min_qty=bindparam("b_min", type_=Quantity),
            max_qty=bindparam("b_max", type_=Quantity),
            version=table.c.version + 1,
            updated_at=now,
            updated_by=actor.name,
        )
    )
    for start in range(0, len(ids), chunk_size):
        if report is not None:
            report(start / total, f"{start} of {len(ids)} agreements")
        chunk: Sequence[int] = ids[start : start + chunk_size]
        versions: dict[int, int] = {
            row.id: row.version
            for row in session.execute(
                select(SupplyAgreement.id, SupplyAgreement.version).where(SupplyAgreement.id.in_(chunk))
            )
        }
        plan = [c for c in _plan(session, _rows_for(session, chunk), edit) if _differs(c)]
        for c in plan:
            check_thresholds(c.new_min, c.new_max, c.part_number, c.location_code)
        if plan:
            result = session.execute(
                stmt,
                [
                    {
                        "b_id": c.agreement_id,
                        "b_version": versions[c.agreement_id],
                        "b_min": c.new_min,
                        "b_max": c.new_max,
                    }
                    for c in plan
                ],
            )
            written = cast(CursorResult[Any], result).rowcount
            if written is not None and written >= 0 and written != len(plan):
                raise ConflictError("some agreements were changed by someone else meanwhile; nothing was saved")
        changed += len(plan)
        rounded += sum(1 for c in plan if c.rounded_to_whole)
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
        rounded_to_whole=rounded,
        ids=ids[:1000],
        **detail,
    )
    return BulkResult(changed=changed, skipped=len(ids) - changed)
