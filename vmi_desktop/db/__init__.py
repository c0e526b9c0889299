"""Database access: engines, sessions, units of work and schema migrations."""

from __future__ import annotations

from vmi_desktop.db.changes import Changes
from vmi_desktop.db.engine import Database, UnitOfWork, create_database
from vmi_desktop.db.errors import DatabaseError, DatabaseTooNewError, DbProblem, classify, describe_db_error

__all__ = [
    "Changes",
    "Database",
    "DatabaseError",
    "DatabaseTooNewError",
    "DbProblem",
    "UnitOfWork",
    "classify",
    "create_database",
    "describe_db_error",
]
