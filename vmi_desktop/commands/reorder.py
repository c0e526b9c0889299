"""The reorder check over every SKU x location, as a command (the Orders page, the CLI, a schedule)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from vmi_desktop.commands.consequences import record_reorder
from vmi_desktop.commands.run import Target, within
from vmi_desktop.db import UnitOfWork
from vmi_desktop.replenishment import alerts, reorder
from vmi_desktop.replenishment.reorder import ReorderResult
from vmi_desktop.scope import SYSTEM, Actor


def run_reorder(
    target: Target,
    actor: Actor = SYSTEM,
    *,
    dry_run: bool = False,
    before_commit: Callable[[ReorderResult], None] | None = None,
    today: date | None = None,
) -> ReorderResult:
    """Evaluate every pair and raise what the agreements say; orders raised as sent are queued.

    ``today`` (UTC, default now) decides which snoozes are still in force.

    ``before_commit`` runs last inside the transaction (the UI's cancel point: raising there rolls
    back everything the run raised).
    """

    def work(uow: UnitOfWork) -> ReorderResult:
        result = reorder.evaluate(uow.session, actor, dry_run=dry_run, today=today)
        if not dry_run:
            record_reorder(uow, result)
        if before_commit is not None:
            before_commit(result)
        return result

    return within(target, work)


def scheduled_run(
    target: Target, actor: Actor = SYSTEM, *, today: date | None = None
) -> tuple[ReorderResult, alerts.AlertRun]:
    """What a timer runs: the full reorder check, then every alert cause (raise new, resolve cleared)."""

    def work(uow: UnitOfWork) -> tuple[ReorderResult, alerts.AlertRun]:
        result = reorder.evaluate(uow.session, actor, today=today)
        record_reorder(uow, result)
        uow.changes.alerts = True
        return result, alerts.evaluate_alerts(uow.session)

    return within(target, work)
