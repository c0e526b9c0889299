"""Start the desktop app: open (and migrate) the database, identify the user, show the main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from vmi_desktop import __version__
from vmi_desktop.bootstrap import login, open_database
from vmi_desktop.config import Settings
from vmi_desktop.db import Database, DatabaseError, DatabaseTooNewError
from vmi_desktop.errors import VmiError
from vmi_desktop.queries.maintenance import refresh_planner_statistics
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.main_window import SETTINGS_APP, SETTINGS_ORG, MainWindow
from vmi_desktop.ui.palette import apply_palette
from vmi_desktop.ui.readiness import report_when_ready
from vmi_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The one QApplication, created with our names (QSettings uses them) and the OS palette."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QCoreApplication.setOrganizationName(SETTINGS_ORG)
    QCoreApplication.setApplicationName(SETTINGS_APP)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("VMI Desktop")
    apply_palette(app)
    return app


def show_startup_error(title: str, message: str) -> None:
    """A modal message box for problems that stop the app from starting."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message)
    box.exec()


def open_context(settings: Settings) -> AppContext:
    """Database (migrated), user (the first start creates a parts manager) and task runner."""
    db: Database = open_database(settings)
    try:
        refresh_planner_statistics(db)  # once per large change of the stock table; index scans need it
        actor = login(db, settings)
    except Exception:
        db.dispose()
        raise
    return AppContext(db=db, actor=actor, settings=settings, runner=TaskRunner())


def _install_sync_page(window: MainWindow, ctx: AppContext) -> None:
    try:  # the Sync page (roles that may run sync); the app still works without it
        from vmi_desktop.ui.pages.sync import install_sync_page

        install_sync_page(window, ctx)
    except Exception:  # an import or start-up problem of one page must not keep the app from working
        log.exception("the Sync page is not available")


def _warm_up_imports() -> None:
    """Import the chart library while the user reads the first page, so the first chart opens fast."""
    try:
        import vmi_desktop.ui.charts  # noqa: F401
    except Exception:  # a chart problem shows where charts are used
        log.exception("the chart library could not be imported")


def run_app(settings: Settings) -> int:
    """Run the GUI until the window closes; a database or user problem is shown, not thrown."""
    app = application()
    try:
        ctx = open_context(settings)
    except DatabaseTooNewError as exc:
        show_startup_error("Database is newer than this app", str(exc))
        return 2
    except (DatabaseError, VmiError) as exc:
        show_startup_error("Cannot start VMI Desktop", str(exc))
        return 2
    window = MainWindow(ctx)
    window.show()
    report_when_ready(window)
    # What is not needed for the first paint comes right after it: the Sync page (which starts the
    # sync schedule) and, while the user reads the first page, the chart library's import.
    QTimer.singleShot(0, lambda: _install_sync_page(window, ctx))
    QTimer.singleShot(1500, _warm_up_imports)
    try:
        return int(app.exec())
    finally:
        ctx.runner.wait(10000)
        ctx.db.dispose()
