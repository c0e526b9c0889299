"""Database access: engines, sessions and schema migrations."""

from __future__ import annotations

from vmi_desktop.db.engine import Database, create_database
from vmi_desktop.db.errors import DatabaseError, DatabaseTooNewError, describe_db_error

__all__ = ["Database", "DatabaseError", "DatabaseTooNewError", "create_database", "describe_db_error"]
