"""The audit log, newest first, searchable by actor, action, entity and detail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from vmi_desktop.models import AuditEntry
from vmi_desktop.queries.base import Column, Kind, TableQuery, contains
from vmi_desktop.scope import Actor, visible


class AuditQuery(TableQuery):
    """Read-only audit entries (who changed what, when, under which login); a supplier reads its own only."""

    default_sort = "occurred_at"
    columns = (
        Column("occurred_at", "When (UTC)", AuditEntry.occurred_at, Kind.DATETIME, width=20),
        Column("actor", "Who", AuditEntry.actor, width=12),
        Column("login", "Login", AuditEntry.login, width=12),
        Column("action", "Action", AuditEntry.action, width=20),
        Column("entity", "Entity", AuditEntry.entity),
        Column("entity_id", "Id", AuditEntry.entity_id),
        Column("detail", "Detail", AuditEntry.detail, sortable=False, width=60),
    )

    def base(self) -> Select[Any]:
        return select(AuditEntry.id).select_from(AuditEntry)

    def key_exprs(self) -> Sequence[Any]:
        return (AuditEntry.id,)

    def scope(self, actor: Actor) -> list[ColumnElement[bool]]:
        return [visible(actor, AuditEntry)] if actor.is_supplier else []

    def search(self, text: str) -> ColumnElement[bool]:
        return or_(
            contains(AuditEntry.actor, text),
            contains(AuditEntry.login, text),
            contains(AuditEntry.action, text),
            contains(AuditEntry.entity, text),
            contains(AuditEntry.detail, text),
        )

    def filter(self, filters: Mapping[str, Any]) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if filters.get("entity"):
            conds.append(AuditEntry.entity == filters["entity"])
        return conds
