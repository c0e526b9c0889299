"""The audit trail: who changed what and when, in the same transaction as the change."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from vmi_desktop.db.batch import RowBatch
from vmi_desktop.models import AuditEntry, utcnow
from vmi_desktop.scope import Actor

#: ``json.dumps(..., sort_keys=True)`` without building an encoder per entry (a page of events writes thousands).
_ENCODER = json.JSONEncoder(sort_keys=True)


#: Types written as they are (exact types: an enum that is also a ``str`` is written as its value).
_PLAIN = frozenset({str, int, bool, float, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most details: no attribute lookups that fail
        return value
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def record(
    session: Session, actor: Actor, action: str, entity: str, entity_id: object = "", **detail: Any
) -> AuditEntry | None:
    """Append an audit entry; never pass secrets in ``detail``.

    The entry records the actor's authenticated identity (``login``; on PostgreSQL a trigger writes
    ``session_user`` over it) and, for a supplier, its vendor (whose users may read the entry).
    Returns the entry, or None when a ``RowBatch`` is active: the row is then written with the
    batch (one statement for all of them).
    """
    values = {
        "occurred_at": utcnow(),
        "actor": actor.name,
        "login": actor.login,
        "vendor_id": actor.vendor_id,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "detail": _ENCODER.encode({k: _jsonable(v) for k, v in detail.items()}),
    }
    batch = RowBatch.active(session)
    if batch is not None:
        batch.add(AuditEntry, values)
        return None
    entry = AuditEntry(**values)
    session.add(entry)
    return entry
