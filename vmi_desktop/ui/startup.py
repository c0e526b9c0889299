"""What runs before the window's first paint, and what waits until just after it.

The first paint is the moment the user can work: the window with its menus and the start page's
first rows (the parts manager's worklist: 60 rows). Everything before it is on the user's clock,
so before it runs only what that paint needs and what must refuse to show data at all:

- SQLAlchemy and the models, for the start page's query;
- the database checks: its revision (read from the migration files, without Alembic), whether the
  planner statistics are missing (SQLite; no table is counted) and who the user is;
- PySide6, the window's frame (menus, navigation, status bar) and the start page with its first
  rows. The other pages are factories, imported and built when first shown (``ui.pages``).
  The modules without Qt that these need are imported before PySide6 (``cli._gui.BEFORE_QT``).

Deferred until after the first paint (``after_first_paint``), one step per event-loop turn, in this
order, so that a click in between is handled between two steps:

1. the start page's background count (``ui.models.table``; the worklist judges every candidate,
   about a second on a million pairs, on the task runner: it must not share the CPU with the paint);
2. whether the stock table's size drifted from its planner statistics (a count, about 25 ms per
   million rows, then ANALYZE if it did), on the task runner (``ui.app.refresh_drifted_statistics``);
3. the Sync page and its schedule (``ui.app.install_sync``): the outbox, the HTTP client (httpx,
   httpcore) and the keyring's backends (jeepney, secretstorage), about half a second of imports;
4. the first-run wizard's "import now" (``ui.first_run``);
5. 1.5 s later, while the user reads the first page, the chart library (pyqtgraph and numpy) and
   the commands (``ui.app.warm_up_imports``), so the first chart and the first action open fast.

Imported at first use instead of before the paint (each site says so): the keyring (``bootstrap``:
only when a PostgreSQL server asks for a password), the worklist's commands (``ui.pages.worklist``),
the edits' service (``ui.models.table``: ``catalog_service`` and the ledger), the reorder run (the
worklist's rows take ``quantities.order_quantity``), the dialogs (``ui.dialogs`` imports none; the
worklist's, message boxes, the crash dialog's parts), printing and the file dialog (``ui.export``),
the About dialog (the icon is ``ui.icon``), the subcommands (``cli``), the PostgreSQL dialect on
SQLite (``models.base.partial_index``).

The paint watched is the start page's table's own (``paint_target``), not its viewport's: Qt paints
the table's frame and then its rows in the same pass, and asking PySide6 for the viewport (a widget
Qt made) would make it initialize every widget class it has first.

Nothing is held unless ``hold_until_painted`` was called (``ui.app`` does, for the real start):
tests and benchmarks that build a window themselves get every step at once, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractItemView, QMainWindow, QStackedWidget, QWidget

log = logging.getLogger(__name__)

Step = tuple[Callable[[], object], QObject | None]


class _Gate:
    """The queue of deferred steps; open (steps run at once) unless a start holds it."""

    def __init__(self) -> None:
        self.held = False
        self.steps: list[Step] = []

    def run_next(self) -> None:
        while self.steps:
            step, context = self.steps.pop(0)
            if context is not None and not shiboken6.isValid(context):
                continue  # its owner was deleted meanwhile (a page closed before the paint)
            try:
                step()
            except Exception:  # one step's failure must not keep the others from running
                log.exception("a step deferred until after the first paint failed")
            if self.steps:
                QTimer.singleShot(0, self.run_next)  # input and paints are handled before the next step
            return


_gate = _Gate()


def hold_until_painted() -> None:
    """From now on, ``after_first_paint`` queues its steps until ``release_on_first_paint``'s paint."""
    _gate.held = True


def is_held() -> bool:
    """Whether the start is still before its first paint (steps are being queued)."""
    return _gate.held


def after_first_paint(step: Callable[[], object], context: QObject | None = None) -> None:
    """Run ``step`` once the window has painted its start page; at once when no start holds the gate.

    ``context``: the step is skipped if this object was deleted by then.
    """
    if not _gate.held:
        step()
        return
    _gate.steps.append((step, context))


def paint_target(window: QMainWindow) -> QWidget:
    """The widget whose first paint means "usable": the start page's table, else the page.

    The table itself, not its viewport: Qt paints a window's widgets in one pass, the table's frame
    and then its viewport with the rows, so the turn after the table's first paint is after its rows'
    too. Asking for the viewport would cost more than the paint itself: it is a widget Qt created,
    and PySide6 initializes every widget class it has (about 70, with their enums) to find its type.
    """
    central = window.centralWidget()
    stack = central.findChild(QStackedWidget) if central is not None else None
    page = stack.currentWidget() if stack is not None else None
    if page is None:
        return window
    view = getattr(page, "view", None)
    if isinstance(view, QAbstractItemView):
        return view
    return page


class _FirstPaint(QObject):
    """An event filter that sees the target's first paint, then opens the gate after that paint."""

    def __init__(self, target: QWidget, on_painted: Callable[[], None]) -> None:
        super().__init__(target)
        self.on_painted = on_painted
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # the filter sees the paint event before the widget paints: the next turn is after it,
            # and after the window's backing store was flushed to the screen
            QTimer.singleShot(0, self.on_painted)
        return False


#: The gate opens after this long even if no paint was seen (a window restored minimized paints later).
FALLBACK_MS = 5000


def release_on_first_paint(window: QMainWindow, reporters: Sequence[Callable[[], None]] = ()) -> None:
    """Open the gate after the window's start page first painted: call ``reporters`` (the benchmark's
    and the smoke test's clocks) at that moment, then run the deferred steps in order."""
    opened = False

    def open_gate(painted: bool) -> None:
        nonlocal opened
        if opened or not _gate.held:
            return
        opened = True
        if painted:
            for report in reporters:
                report()
        else:
            log.info("no paint of the start page after %d ms; running the deferred start-up steps", FALLBACK_MS)
        _gate.held = False
        _gate.run_next()

    _FirstPaint(paint_target(window), lambda: open_gate(True))
    QTimer.singleShot(FALLBACK_MS, window, lambda: open_gate(False))


def reset() -> None:
    """Forget a start that ended (the window closed, or the start failed before its window)."""
    _gate.held = False
    _gate.steps.clear()
