"""What every page needs: the database, the acting user, settings and the task runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.scope import Action, Actor, can
from vmi_desktop.ui.commits import CommitRelay
from vmi_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from vmi_desktop.ui.shared_runs import SharedRuns


@dataclass
class AppContext:
    """Handed to each page and model; pages never build engines of their own.

    ``commits.changed`` carries every committed ``Changes`` of this database (the user's own
    commands, a sync run applying events) on the UI thread, for pages to refresh what they show.
    ``shared`` runs a question that two pages ask (the worklist's count by reason) once for both.
    """

    db: Database
    actor: Actor
    settings: Settings
    runner: TaskRunner
    commits: CommitRelay = field(default_factory=CommitRelay)
    _shared: SharedRuns | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.db.add_commit_observer(self.commits.deliver)

    @property
    def shared(self) -> SharedRuns:
        """Runs shared by the pages (made at first use, after the first paint: before it, no answer
        was kept that a commit could make stale)."""
        if self._shared is None:
            from vmi_desktop.ui.shared_runs import SharedRuns

            self._shared = SharedRuns(self.runner, self.commits)
        return self._shared

    def close(self) -> None:
        """Stop relaying this database's commits (the window is closing)."""
        self.db.remove_commit_observer(self.commits.deliver)

    def can(self, action: Action) -> bool:
        """Whether the acting user's role allows ``action`` (drives enabled/disabled controls)."""
        return can(self.actor, action)
