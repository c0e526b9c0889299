"""Database errors, classified by the driver's error code into what a person can act on.

``classify`` turns any SQLAlchemy/driver error into a ``DatabaseError`` (one of our ``VmiError``s)
whose message is one sentence: a read-only file, a full disk, a file that is not a database, a
database that is busy, a server that cannot be reached, a value out of range, a constraint refused.
The codes come from the drivers (SQLite extended result codes on ``sqlite3.Error``, PostgreSQL
SQLSTATEs on psycopg errors), never from message text, except for naming which constraint refused.
``is_retryable`` says which errors a command may simply run again (deadlocks, serialization
failures, a busy SQLite file).
"""

from __future__ import annotations

import enum
import sqlite3
from typing import Any

from sqlalchemy import exc as sa_exc

from vmi_desktop.errors import VmiError


class DbProblem(enum.StrEnum):
    """What went wrong, as far as a person at the desk is concerned."""

    READ_ONLY = "read_only"
    DISK_FULL = "disk_full"
    NOT_A_DATABASE = "not_a_database"
    BUSY = "busy"
    UNREACHABLE = "unreachable"
    OUT_OF_RANGE = "out_of_range"
    CONSTRAINT = "constraint"
    CONFLICT = "conflict"  # deadlock or serialization failure that outlived its retries
    PERMISSION = "permission"
    OTHER = "other"


class DatabaseError(VmiError):
    """A database problem the user can act on; ``problem`` says which kind."""

    def __init__(self, message: str, problem: DbProblem = DbProblem.OTHER) -> None:
        super().__init__(message)
        self.problem = problem


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
    "append-only": "the stock ledger and the audit trail are append-only",
    "FOREIGN KEY": "it refers to a record that does not exist or is still in use",
    "foreign key": "it refers to a record that does not exist or is still in use",
}

#: SQLite primary result codes (the low byte of the extended code).
_SQLITE = {
    sqlite3.SQLITE_READONLY: DbProblem.READ_ONLY,
    sqlite3.SQLITE_FULL: DbProblem.DISK_FULL,
    sqlite3.SQLITE_NOTADB: DbProblem.NOT_A_DATABASE,
    sqlite3.SQLITE_CORRUPT: DbProblem.NOT_A_DATABASE,
    sqlite3.SQLITE_BUSY: DbProblem.BUSY,
    sqlite3.SQLITE_LOCKED: DbProblem.BUSY,
    sqlite3.SQLITE_CANTOPEN: DbProblem.UNREACHABLE,
    sqlite3.SQLITE_IOERR: DbProblem.UNREACHABLE,
    sqlite3.SQLITE_PERM: DbProblem.READ_ONLY,
    sqlite3.SQLITE_AUTH: DbProblem.PERMISSION,
    sqlite3.SQLITE_CONSTRAINT: DbProblem.CONSTRAINT,
    sqlite3.SQLITE_TOOBIG: DbProblem.OUT_OF_RANGE,
    sqlite3.SQLITE_RANGE: DbProblem.OUT_OF_RANGE,
    sqlite3.SQLITE_MISMATCH: DbProblem.OUT_OF_RANGE,
}

#: PostgreSQL SQLSTATE classes (first two characters) and codes.
_PG_CODES = {
    "40001": DbProblem.CONFLICT,  # serialization_failure
    "40P01": DbProblem.CONFLICT,  # deadlock_detected
    "55P03": DbProblem.BUSY,  # lock_not_available
    "57014": DbProblem.BUSY,  # query_canceled (statement timeout)
    "53100": DbProblem.DISK_FULL,
    "25006": DbProblem.READ_ONLY,  # read_only_sql_transaction
    "42501": DbProblem.PERMISSION,  # insufficient_privilege (row-level security included)
    "28000": DbProblem.PERMISSION,
    "28P01": DbProblem.PERMISSION,
    "57P01": DbProblem.UNREACHABLE,  # admin_shutdown
    "57P02": DbProblem.UNREACHABLE,
    "57P03": DbProblem.UNREACHABLE,  # cannot_connect_now
}
_PG_CLASSES = {
    "08": DbProblem.UNREACHABLE,  # connection exception
    "22": DbProblem.OUT_OF_RANGE,  # data exception (numeric overflow, string too long, bad datetime)
    "23": DbProblem.CONSTRAINT,  # integrity constraint violation
    "53": DbProblem.BUSY,  # insufficient resources
}

LOGIN_REFUSED = (
    "The database server refused the login: its password is missing or wrong, or the user is disabled. "
    "Keep your password in the OS keyring (vmi-desktop login) or in ~/.pgpass, or ask a parts manager."
)

_SENTENCES = {
    DbProblem.READ_ONLY: "The database is read-only here (a read-only file or mount, or no write permission); "
    "nothing was saved.",
    DbProblem.DISK_FULL: "The disk holding the database is full; free some space and try again. Nothing was saved.",
    DbProblem.NOT_A_DATABASE: "The database file is damaged or is not a VMI Desktop database (malformed or "
    "truncated); restore it from a backup (vmi.*.bak.sqlite3 beside it) or open another one.",
    DbProblem.BUSY: "The database is busy (locked by another program or workstation); try again in a moment.",
    DbProblem.UNREACHABLE: "The database cannot be reached (connection refused or lost); check the network or "
    "the server and try again.",
    DbProblem.CONFLICT: "Another workstation changed the same records at the same moment; nothing was saved, "
    "try again.",
    DbProblem.PERMISSION: "The database refused this for your login (insufficient privilege).",
}


def _driver_error(error: BaseException) -> BaseException:
    return getattr(error, "orig", None) or error


def _sqlite_code(error: BaseException) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _pg_sqlstate(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None)
    return state if isinstance(state, str) else None


def login_refused(error: BaseException) -> bool:
    """Whether a PostgreSQL connection failed at the login: a password was asked for and none given, or the
    one given (or the login itself) was refused. libpq says so in flags (``PQconnectionNeedsPassword``,
    ``PQconnectionUsedPassword``), not only in its message; a failed connection carries no SQLSTATE."""
    pgconn = getattr(_driver_error(error), "pgconn", None)
    if pgconn is None or type(_driver_error(error)).__name__ != "OperationalError":
        return False
    return bool(getattr(pgconn, "needs_password", False) or getattr(pgconn, "used_password", False))


def problem_of(error: BaseException) -> DbProblem:
    """Which kind of problem a driver or SQLAlchemy error is, by its error code."""
    if isinstance(error, DatabaseError):
        return error.problem
    if login_refused(error):
        return DbProblem.PERMISSION
    orig = _driver_error(error)
    code = _sqlite_code(orig)
    if code is not None:
        return _SQLITE.get(code, DbProblem.OTHER)
    state = _pg_sqlstate(orig)
    if state is not None:
        return _PG_CODES.get(state) or _PG_CLASSES.get(state[:2], DbProblem.OTHER)
    module = type(orig).__module__
    if module.startswith("psycopg") and type(orig).__name__ == "OperationalError":
        return DbProblem.UNREACHABLE  # connection failures carry no SQLSTATE
    if isinstance(error, sa_exc.DisconnectionError) or getattr(error, "connection_invalidated", False):
        return DbProblem.UNREACHABLE
    if isinstance(error, sa_exc.StatementError) and isinstance(orig, ValueError | TypeError):
        return DbProblem.OUT_OF_RANGE  # a bind processor refused the value (our exact decimals)
    return DbProblem.OTHER


def is_retryable(error: BaseException) -> bool:
    """Whether running the same unit of work again may simply succeed (deadlock, serialization, busy)."""
    return problem_of(error) in (DbProblem.CONFLICT, DbProblem.BUSY)


def describe_db_error(error: BaseException) -> str:
    """One sentence a person can act on for a database error (constraint names translated)."""
    if isinstance(error, DatabaseError):
        return str(error)
    problem = problem_of(error)
    orig = _driver_error(error)
    text = str(orig)
    if problem is DbProblem.CONSTRAINT or (problem is DbProblem.OTHER and isinstance(error, sa_exc.IntegrityError)):
        for needle, hint in _CONSTRAINT_HINTS.items():
            if needle in text:
                return f"Rejected: {hint}."
        first = text.splitlines()[0] if text else type(orig).__name__
        return f"Rejected by the database: {first}."
    if problem is DbProblem.OUT_OF_RANGE:
        first = text.splitlines()[0] if text else type(orig).__name__
        return f"Rejected: a value is out of range for the database ({first})."
    if problem is DbProblem.PERMISSION and login_refused(error):
        return LOGIN_REFUSED
    if problem in _SENTENCES:
        return _SENTENCES[problem]
    if "append-only" in text:
        return "Rejected: the stock ledger and the audit trail are append-only."
    first = text.splitlines()[0] if text else type(orig).__name__
    return f"The database refused this: {first}."


def classify(error: BaseException) -> DatabaseError:
    """Our ``DatabaseError`` for any database error, with its one-sentence message and kind."""
    if isinstance(error, DatabaseError):
        return error
    return DatabaseError(describe_db_error(error), problem_of(error))


def is_database_error(error: BaseException) -> bool:
    """Whether ``error`` came from the database layer (SQLAlchemy or a driver)."""
    if isinstance(error, sa_exc.SQLAlchemyError | sqlite3.Error):
        return True
    module: Any = type(error).__module__
    return isinstance(module, str) and module.startswith("psycopg")
