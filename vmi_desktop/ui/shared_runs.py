"""One background run for a question several pages ask: asked again while it runs, or soon after with
nothing committed since, the answer is that run's, not a second run.

The replenishment worklist's count by reason judges every candidate pair (about half a second of a
core per million pairs) and two pages show it: the worklist (its count line) and the dashboard (its
"at or below min" and "on the worklist" cards). A parts manager starts on the worklist, whose count
runs just after the first paint; opening the dashboard then used to count the same rows again on
the other core, beside the dashboard's own figures.

What makes an answer reusable (``SharedRuns.run``):

- the same key (the question and everything its answer depends on: the actor, the filters, the day);
- no commit relayed since the run started (``AppContext.commits``: the user's own commands and a
  sync run's events); a commit makes every answer stale, and a run still going then is left to the
  pages that asked before it;
- younger than ``MAX_AGE_S``: what another process committed (another user of a PostgreSQL server)
  is not relayed, so a kept answer is only reused for a short while;
- not forgotten: an explicit refresh (F5) calls ``forget`` first, so it always reads the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import shiboken6
from PySide6.QtCore import QObject, QTimer

from vmi_desktop.ui.commits import CommitRelay
from vmi_desktop.ui.tasks import Report, TaskRunner

if TYPE_CHECKING:
    from vmi_desktop.queries.base import PageRequest
    from vmi_desktop.queries.worklist import WorklistCounts, WorklistQuery
    from vmi_desktop.ui.context import AppContext

log = logging.getLogger(__name__)

#: How long a finished answer is reused when nothing was committed meanwhile (seconds).
MAX_AGE_S = 60.0

#: How an answer was come by: a run of its own, a run already going, or a run that had finished.
How = Literal["started", "joined", "kept"]

_Subscriber = tuple[Callable[[Any], None], Callable[[BaseException], None] | None, QObject | None]


@dataclass
class _Run:
    epoch: int
    started: float
    done: bool = False
    result: Any = None
    subscribers: list[_Subscriber] = field(default_factory=list)


def _alive(owner: QObject | None) -> bool:
    return owner is None or shiboken6.isValid(owner)


class SharedRuns(QObject):
    """Runs on ``runner``, shared by key until ``commits`` relays a change (or ``forget``, or the age)."""

    def __init__(
        self,
        runner: TaskRunner,
        commits: CommitRelay,
        *,
        max_age_s: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.max_age_s = max_age_s
        self.clock = clock
        self._epoch = 0
        self._runs: dict[Hashable, _Run] = {}
        commits.changed.connect(self._committed)  # a method of this UI-thread object: queued from workers

    def run(
        self,
        key: Hashable,
        fn: Callable[[Report], Any],
        *,
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> How:
        """``on_result(answer)`` on the UI thread, never before this returns: the answer of a run of the
        same ``key`` still going or kept (see the module), else of ``fn`` started now on the runner.

        ``owner``: once it has been deleted, its callbacks are skipped (as ``TaskRunner.run``'s)."""
        run = self._runs.get(key)
        if run is not None and run.epoch == self._epoch:
            if not run.done:
                run.subscribers.append((on_result, on_error, owner))
                return "joined"
            if self.clock() - run.started <= self.max_age_s:
                result = run.result
                QTimer.singleShot(0, self, lambda: on_result(result) if _alive(owner) else None)
                return "kept"
        run = _Run(self._epoch, self.clock(), subscribers=[(on_result, on_error, owner)])
        self._runs[key] = run

        def finished(result: Any) -> None:
            run.done, run.result = True, result
            if self._runs.get(key) is run and run.epoch != self._epoch:
                del self._runs[key]  # stale already: kept for nobody
            for deliver, _failed, who in self._take(run):
                if _alive(who):
                    deliver(result)

        def failed(exc: BaseException) -> None:
            if self._runs.get(key) is run:
                del self._runs[key]  # an error is never kept: the next ask runs again
            for _deliver, fail, who in self._take(run):
                if fail is not None and _alive(who):
                    fail(exc)

        self.runner.run(fn, on_result=finished, on_error=failed, owner=self)
        return "started"

    @staticmethod
    def _take(run: _Run) -> list[_Subscriber]:
        subscribers, run.subscribers = run.subscribers, []
        return subscribers

    def _committed(self, _changes: object) -> None:
        self.forget()

    def forget(self) -> None:
        """Every answer is stale from now on: the next ask of each key runs again (a commit, F5)."""
        self._epoch += 1
        self._runs = {key: run for key, run in self._runs.items() if not run.done}

    def is_kept(self, key: Hashable) -> bool:
        """Whether an ask of ``key`` now would be answered without a run of its own (going or kept)."""
        run = self._runs.get(key)
        if run is None or run.epoch != self._epoch:
            return False
        return not run.done or self.clock() - run.started <= self.max_age_s


def worklist_counts(
    ctx: AppContext,
    query: WorklistQuery,
    request: PageRequest | None,
    on_result: Callable[[WorklistCounts], None],
    *,
    owner: QObject | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> How:
    """The worklist's count by reason under ``request`` (``WorklistQuery.counts``) off the UI thread,
    one run for every page that asks the same (``ctx.shared``)."""
    db, actor = ctx.db, ctx.actor

    def count(_report: Report) -> WorklistCounts:
        with db.sessions() as session:
            return query.counts(session, actor, request)

    key = query.counts_key(actor, request)
    return ctx.shared.run(key, count, on_result=on_result, on_error=on_error, owner=owner)
