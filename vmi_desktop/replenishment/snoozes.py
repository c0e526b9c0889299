"""Snoozes: the parts manager puts a SKU x location aside until a date, with a reason.

While snoozed (``until`` after today, UTC) a pair is off the replenishment worklist and the reorder
trigger skips it; on ``until`` it is back by itself: nothing runs, the condition simply stops
holding. Every snooze and every early wake-up is audited per pair (entity ``pair``, id
``"<sku_id>:<location_id>"``), which is where a pair's snooze history is read from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, insert, select, true, tuple_
from sqlalchemy.orm import Session

from vmi_desktop.errors import NotFoundError, ValidationError
from vmi_desktop.free_text import free_text
from vmi_desktop.models import AuditEntry, Location, PairSnooze, Sku, utcnow
from vmi_desktop.scope import Action, Actor, require

#: Longest snooze: a pair put aside for longer is a threshold or agreement problem, not a snooze.
MAX_SNOOZE_DAYS = 366


def pair_id(sku_id: int, location_id: int) -> str:
    """The audit entity id of a pair."""
    return f"{sku_id}:{location_id}"


def snoozed(sku_col: Any, location_col: Any, today: date) -> ColumnElement[bool]:
    """SQL condition: the pair in these columns is snoozed on ``today`` (a primary-key lookup)."""
    return exists(
        select(PairSnooze.sku_id).where(
            PairSnooze.sku_id == sku_col, PairSnooze.location_id == location_col, PairSnooze.until > today
        )
    )


def awake_for(actor: Actor, sku_col: Any, location_col: Any, today: date) -> ColumnElement[bool]:
    """SQL condition: the pair counts for ``actor`` today. Snoozes are the customer's own planning and
    staff-only in the database: a supplier's figures never read them (and count its snoozed pairs)."""
    if actor.is_supplier:
        return true()
    return ~snoozed(sku_col, location_col, today)


@dataclass(frozen=True)
class Snooze:
    """A pair's current snooze as stored."""

    sku_id: int
    location_id: int
    until: date
    reason: str
    snoozed_by: str

    def active_on(self, today: date) -> bool:
        return self.until > today


def _labels(session: Session, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str, str]]:
    sku_ids, location_ids = {s for s, _ in pairs}, {lo for _, lo in pairs}
    skus = dict(session.execute(select(Sku.id, Sku.part_number).where(Sku.id.in_(sku_ids))).all())
    locs = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(location_ids))).all())
    labels: dict[tuple[int, int], tuple[str, str]] = {}
    for sku_id, location_id in pairs:
        if sku_id not in skus:
            raise NotFoundError(f"unknown SKU id {sku_id}; nothing was snoozed")
        if location_id not in locs:
            raise NotFoundError(f"unknown location id {location_id}; nothing was snoozed")
        labels[(sku_id, location_id)] = (skus[sku_id], locs[location_id])
    return labels


def _audit_rows(
    actor: Actor, action: str, labels: dict[tuple[int, int], tuple[str, str]], **detail: Any
) -> list[dict[str, Any]]:
    now = utcnow()
    plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in detail.items()}
    return [
        {
            "occurred_at": now,
            "actor": actor.name,
            "action": action,
            "entity": "pair",
            "entity_id": pair_id(*pair),
            "detail": json.dumps({"sku": sku, "location": loc, **plain}, sort_keys=True),
        }
        for pair, (sku, loc) in sorted(labels.items())
    ]


def snooze(
    session: Session,
    actor: Actor,
    pairs: Iterable[tuple[int, int]],
    *,
    until: date,
    reason: str,
    today: date | None = None,
) -> int:
    """Snooze ``pairs`` until ``until`` (a later snooze of the same pair replaces the earlier one).

    Refused, with nothing written, without a reason, for a date that is not after today or more
    than ``MAX_SNOOZE_DAYS`` ahead, and for unknown pairs. Returns how many pairs were snoozed.
    """
    require(actor, Action.SNOOZE_REORDER)
    chosen = sorted(set(pairs))
    if not chosen:
        return 0
    reason = free_text(reason, 500, "the snooze reason")
    if not reason:
        raise ValidationError("a snooze needs a reason (why is this pair not ordered now?); nothing was snoozed")
    today = today or utcnow().date()
    if until <= today:
        raise ValidationError(
            f"snooze until {until.isoformat()} is not after today ({today.isoformat()}); pick a later date"
        )
    if (until - today).days > MAX_SNOOZE_DAYS:
        raise ValidationError(
            f"snooze until {until.isoformat()} is more than {MAX_SNOOZE_DAYS} days ahead; "
            "change the thresholds or the agreement instead"
        )
    labels = _labels(session, chosen)
    session.execute(delete(PairSnooze).where(tuple_(PairSnooze.sku_id, PairSnooze.location_id).in_(chosen)))
    now = utcnow()
    session.execute(
        insert(PairSnooze),
        [
            {
                "sku_id": s,
                "location_id": loc,
                "until": until,
                "reason": reason,
                "snoozed_by": actor.name,
                "snoozed_at": now,
            }
            for s, loc in chosen
        ],
    )
    session.execute(insert(AuditEntry), _audit_rows(actor, "pair.snooze", labels, until=until, reason=reason))
    return len(chosen)


def wake(session: Session, actor: Actor, pairs: Iterable[tuple[int, int]], *, today: date | None = None) -> int:
    """End the snooze of ``pairs`` now (back on the worklist and in the reorder trigger); returns how many
    were snoozed."""
    require(actor, Action.SNOOZE_REORDER)
    chosen = sorted(set(pairs))
    if not chosen:
        return 0
    today = today or utcnow().date()
    active = [
        (r.sku_id, r.location_id)
        for r in session.execute(
            select(PairSnooze.sku_id, PairSnooze.location_id).where(
                tuple_(PairSnooze.sku_id, PairSnooze.location_id).in_(chosen), PairSnooze.until > today
            )
        )
    ]
    session.execute(delete(PairSnooze).where(tuple_(PairSnooze.sku_id, PairSnooze.location_id).in_(chosen)))
    if active:
        session.execute(insert(AuditEntry), _audit_rows(actor, "pair.wake", _labels(session, active)))
    return len(active)


def snoozes_of(session: Session, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Snooze]:
    """The stored snoozes of ``pairs`` (active or expired)."""
    chosen = sorted(set(pairs))
    if not chosen:
        return {}
    rows = session.scalars(
        select(PairSnooze).where(tuple_(PairSnooze.sku_id, PairSnooze.location_id).in_(chosen))
    ).all()
    return {(r.sku_id, r.location_id): Snooze(r.sku_id, r.location_id, r.until, r.reason, r.snoozed_by) for r in rows}
