"""Database errors split into what a user can act on and what is a bug."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


class DatabaseError(Exception):
    """A database problem the user can act on (locked, full disk, unreachable, too new)."""


class DatabaseTooNewError(DatabaseError):
    """The database was written by a newer version of the app; opening it could damage it."""


_CONSTRAINT_HINTS = {
    "min_not_above_max": "min is above max",
    "min_not_negative": "min is negative",
    "pack_size_positive": "pack size must be above zero",
    "moq_not_negative": "minimum order quantity is negative",
    "lead_time_not_negative": "lead time is negative",
    "unit_price_not_negative": "unit price is negative",
    "unit_cost_not_negative": "unit cost is negative",
    "uq_supply_agreements_primary": "this SKU already has a primary agreement at this location",
    "supply_agreements.vendor_id, supply_agreements.sku_id, supply_agreements.location_id": (
        "this vendor already has an agreement for this SKU at this location"
    ),
    "uq_supply_agreements_vendor_id": "this vendor already has an agreement for this SKU at this location",
    # SQLite names columns, not the partial index: checked after the vendor x SKU x location key.
    "UNIQUE constraint failed: supply_agreements.sku_id, supply_agreements.location_id": (
        "this SKU already has a primary agreement at this location"
    ),
    "skus.part_number": "the part number is already used",
    "uq_skus_part_number": "the part number is already used",
    "locations.code": "the location code is already used",
    "uq_locations_code": "the location code is already used",
    "vendors.code": "the vendor code is already used",
    "uq_vendors_code": "the vendor code is already used",
    "users.username": "the user name is already used",
    "uq_users_username": "the user name is already used",
    "supplier_bound_to_vendor": "a supplier user must be bound to exactly one vendor",
    "append-only": "the stock ledger is append-only",
    "FOREIGN KEY": "it refers to a record that does not exist or is still in use",
    "foreign key": "it refers to a record that does not exist or is still in use",
}


def describe_db_error(error: BaseException) -> str:
    """A sentence a person can act on for a database error (constraint names translated)."""
    text = str(getattr(error, "orig", error))
    for needle, hint in _CONSTRAINT_HINTS.items():
        if needle in text:
            return f"Rejected: {hint}."
    if isinstance(error, sa_exc.OperationalError):
        lowered = text.lower()
        if "locked" in lowered:
            return "The database is busy (locked by another program); try again in a moment."
        if "disk" in lowered and "full" in lowered:
            return "The disk holding the database is full; free some space and try again."
        return f"The database could not be reached: {text.splitlines()[0] if text else error!r}"
    first = text.splitlines()[0] if text else repr(error)
    return f"Rejected by the database: {first}"
