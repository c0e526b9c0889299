"""SQL-backed item models: rows are fetched a page at a time from the query objects."""

from __future__ import annotations

from vmi_desktop.ui.models.table import CONFLICT_ROLE, DIRTY_ROLE, ERROR_ROLE, RAW_ROLE, SqlTableModel

__all__ = ["CONFLICT_ROLE", "DIRTY_ROLE", "ERROR_ROLE", "RAW_ROLE", "SqlTableModel"]
