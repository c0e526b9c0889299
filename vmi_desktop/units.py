"""Units of measure in the domain: whether a SKU's quantities may carry fractions.

Every entry point that takes a quantity for a SKU (ledger postings, thresholds, order lines,
receipts, supplier events, bulk scaling, imports) asks ``is_whole`` and passes the answer to
``quantities.parse_quantity(..., whole=...)``, so "1.5 EA" is refused wherever it arrives.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vmi_desktop import audit
from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.models import Sku, StockLevel, SupplyAgreement, UnitOfMeasure
from vmi_desktop.quantities import QUANTUM
from vmi_desktop.scope import Action, Actor, require

_CACHE_KEY = "vmi_units_whole"


def _cache(session: Session) -> dict[str, bool]:
    cache: dict[str, bool] = session.info.setdefault(_CACHE_KEY, {})
    return cache


def is_whole(session: Session, uom: str) -> bool:
    """Whether ``uom`` is counted in whole units; an unknown unit is treated as whole (the safe side)."""
    cache = _cache(session)
    if uom not in cache:
        whole = session.scalar(select(UnitOfMeasure.whole).where(UnitOfMeasure.code == uom))
        cache[uom] = True if whole is None else bool(whole)
    return cache[uom]


def whole_units(session: Session) -> set[str]:
    """Codes of every whole unit (for set-based work over many SKUs)."""
    return set(session.scalars(select(UnitOfMeasure.code).where(UnitOfMeasure.whole.is_(True))))


def known_unit(session: Session, uom: str) -> UnitOfMeasure:
    """The unit named ``uom``, or a ``NotFoundError`` listing the known codes."""
    unit = session.get(UnitOfMeasure, uom)
    if unit is None:
        codes = ", ".join(session.scalars(select(UnitOfMeasure.code).order_by(UnitOfMeasure.code)))
        raise NotFoundError(f"unknown unit of measure {uom!r}; known units: {codes}")
    return unit


def list_units(session: Session) -> list[UnitOfMeasure]:
    """Every unit, whole ones first."""
    return list(session.scalars(select(UnitOfMeasure).order_by(UnitOfMeasure.whole.desc(), UnitOfMeasure.code)))


def add_unit(session: Session, actor: Actor, code: str, name: str, *, whole: bool) -> UnitOfMeasure:
    """A new unit of measure (parts manager); codes are short and upper case, like EA or KG."""
    require(actor, Action.EDIT_MASTER_DATA)
    code = code.strip().upper()
    if not code or len(code) > 12 or not code.replace("_", "").isalnum():
        raise ValidationError(f"a unit code is 1 to 12 letters or digits, got {code!r}")
    if session.get(UnitOfMeasure, code) is not None:
        raise ValidationError(f"unit {code} already exists")
    unit = UnitOfMeasure(code=code, name=name.strip()[:60] or code, whole=whole)
    session.add(unit)
    session.flush()
    _cache(session).pop(code, None)
    audit.record(session, actor, "unit.create", "unit_of_measure", code, name=unit.name, whole=whole)
    return unit


def fractional_quantity_of(session: Session, sku: Sku) -> str | None:
    """A sentence naming a fractional quantity the SKU holds (stock or thresholds), or None.

    A SKU moving to a whole unit must not keep fractions anywhere.
    """
    fraction_level = session.execute(
        select(StockLevel.on_hand, StockLevel.location_id).where(StockLevel.sku_id == sku.id)
    ).all()
    for on_hand, _location in fraction_level:
        if on_hand != on_hand.to_integral_value():
            return f"on hand {on_hand.normalize():f} somewhere"
    for row in session.execute(
        select(SupplyAgreement.min_qty, SupplyAgreement.max_qty, SupplyAgreement.pack_size, SupplyAgreement.moq).where(
            SupplyAgreement.sku_id == sku.id
        )
    ):
        for value in row:
            if value is not None and value.quantize(QUANTUM) != value.to_integral_value():
                return f"an agreement with {value.normalize():f}"
    return None
