"""Live views: a page hears of every committed change and refreshes what it shows, when it is seen.

``AppContext.commits.changed`` delivers each committed ``Changes`` on the UI thread (the user's own
commands, a sync run applying events). A page hands ``LiveChanges`` what to do with them; while
the page is hidden the changes are merged and handed over once, when it is shown again, so a
busy sync does not keep hidden pages re-querying.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtWidgets import QWidget

from vmi_desktop.db import Changes
from vmi_desktop.ui.context import AppContext


class LiveChanges(QObject):
    """Calls ``apply(changes)`` for each commit while ``page`` is visible, else once when it is shown."""

    def __init__(self, page: QWidget, ctx: AppContext, apply: Callable[[Changes], None]) -> None:
        super().__init__(page)
        self.page = page
        self.apply = apply
        self._waiting: Changes | None = None
        ctx.commits.changed.connect(self.on_commit)
        page.installEventFilter(self)

    @Slot(object)
    def on_commit(self, changes: object) -> None:
        if not isinstance(changes, Changes) or not changes:
            return
        if self.page.isVisible():
            self.apply(changes)
            return
        if self._waiting is None:
            self._waiting = Changes()
        self._waiting.merge(changes)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.page and event.type() == QEvent.Type.Show and self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self.apply(waiting)
        return False
