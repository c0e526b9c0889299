"""The audit log: who changed what and when, newest first."""

from __future__ import annotations

from vmi_desktop.queries import AuditQuery
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.pages.table_page import TablePage


class AuditPage(TablePage):
    """Read-only, searchable by actor, action, entity and detail."""

    state_key = "audit"
    search_hint = "Search who, action, entity or detail"
    default_descending = True

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, AuditQuery())
