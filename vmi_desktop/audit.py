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
#: Its C encoder, made once: ``JSONEncoder.encode`` makes one per call (with the circular check, which a
#: detail of plain values never needs). None where the C accelerator is missing.
_MAKE_ENCODER: Any = getattr(json.encoder, "c_make_encoder", None)  # not in the type stubs
_C_ENCODE: Any = (
    None
    if _MAKE_ENCODER is None
    else _MAKE_ENCODER(
        None,
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        True,
        False,
        True,
    )
)


def detail_text(detail: dict[str, Any]) -> str:
    """``json.dumps(detail, sort_keys=True)``, the text an audit entry's detail is stored as."""
    if _C_ENCODE is None:  # pragma: no cover (a Python without the accelerator)
        return _ENCODER.encode(detail)
    return "".join(_C_ENCODE(detail, 0))


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
        "detail": detail_text({k: _jsonable(v) for k, v in detail.items()}),
    }
    batch = RowBatch.active(session)
    if batch is not None:
        batch.add(AuditEntry, values)
        return None
    entry = AuditEntry(**values)
    session.add(entry)
    return entry
