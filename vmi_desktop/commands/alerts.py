"""Alert commands: acknowledge and resolve in bulk, as one unit of work whose change pages hear of."""

from __future__ import annotations

from collections.abc import Iterable

from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.replenishment import alerts
from vmi_desktop.scope import Actor


def acknowledge(target: Target, actor: Actor, alert_ids: Iterable[int]) -> int:
    """Acknowledge the alerts (those already handled or out of the actor's scope are left); how many."""
    ids = list(alert_ids)

    def work(uow: UnitOfWork) -> int:
        done = alerts.acknowledge_many(uow.session, actor, ids)
        uow.changes.alerts = uow.changes.alerts or done > 0
        return done

    return within(target, work)


def resolve(target: Target, actor: Actor, alert_ids: Iterable[int]) -> int:
    """Resolve the alerts (a cause that persists raises a new one at the next evaluation); how many."""
    ids = list(alert_ids)

    def work(uow: UnitOfWork) -> int:
        done = alerts.resolve_many(uow.session, actor, ids)
        uow.changes.alerts = uow.changes.alerts or done > 0
        return done

    return within(target, work)
