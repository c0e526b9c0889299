"""What every page needs: the database, the acting user, settings and the task runner."""

from __future__ import annotations

from dataclasses import dataclass

from vmi_desktop.config import Settings
from vmi_desktop.db import Database
from vmi_desktop.scope import Action, Actor, can
from vmi_desktop.ui.tasks import TaskRunner


@dataclass
class AppContext:
    """Handed to each page and model; pages never build engines of their own."""

    db: Database
    actor: Actor
    settings: Settings
    runner: TaskRunner

    def can(self, action: Action) -> bool:
        """Whether the acting user's role allows ``action`` (drives enabled/disabled controls)."""
        return can(self.actor, action)
