"""Start the desktop app: open (and migrate) the database, identify the user, show the main window.

A first start with no database runs the first-run wizard before anything else
(:mod:`vmi_desktop.ui.first_run`). Unexpected errors write crash reports
(:mod:`vmi_desktop.ui.crash`). Without a usable keyring the Sync page starts
without its schedule and the user is told once why and what to do.

``VMI_SMOKE_QUIT_MS=N`` (diagnostics, used by the bundle's smoke test and the
start-up benchmark): print ``vmi-desktop: ... shown`` on stderr after the
first event-loop turn with the window (or the wizard) on screen, then quit
after N ms. ``VMI_SMOKE_SCREENSHOT=FILE`` saves a picture of it just before quitting.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from vmi_desktop import __version__
from vmi_desktop.bootstrap import LoginRefused, login, open_database
from vmi_desktop.config import Settings
from vmi_desktop.db import Database, DatabaseError, DatabaseTooNewError
from vmi_desktop.db.engine import PasswordSource
from vmi_desktop.errors import VmiError
from vmi_desktop.first_run import SetupResult, StartWith
from vmi_desktop.queries.maintenance import refresh_planner_statistics, statistics_are_missing, statistics_have_drifted
from vmi_desktop.ui import garbage, startup
from vmi_desktop.ui.context import AppContext
from vmi_desktop.ui.icon import app_icon
from vmi_desktop.ui.main_window import SETTINGS_APP, SETTINGS_ORG, MainWindow, window_settings
from vmi_desktop.ui.palette import apply_palette
from vmi_desktop.ui.readiness import ready_reporter
from vmi_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from vmi_desktop.secrets import CredentialStore, KeyringError

log = logging.getLogger(__name__)

ENV_SMOKE_QUIT_MS = "VMI_SMOKE_QUIT_MS"
ENV_SMOKE_SCREENSHOT = "VMI_SMOKE_SCREENSHOT"
_IMPORTED = time.monotonic()


def process_age_ms() -> float:
    """Milliseconds since this process started (Linux: from /proc; elsewhere: since this module loaded)."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        return (uptime - int(stat[19]) / ticks) * 1000
    except (OSError, ValueError, IndexError, AttributeError):
        return (time.monotonic() - _IMPORTED) * 1000


KEYRING_NOTICE = (
    "Supplier credentials (API tokens, client secrets) are kept only in a keyring, and none is usable on "
    "this computer. Automatic sync with suppliers stays off until one is.\n\n"
    "To turn it on, either:\n"
    "• start or unlock the desktop's keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
    "Locker) and restart VMI Desktop, or\n"
    '• open Sync > Credentials… and choose "Use an encrypted file…": the credentials are then kept in an '
    "encrypted file protected by a master password you type at each start.\n\n"
    "Headless runs (vmi-desktop sync) can take a supplier's token from VMI_SUPPLIER_TOKEN_<VENDOR> instead."
)


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
    app.setWindowIcon(app_icon())
    apply_palette(app)
    garbage.install(app)  # cycles collected on this thread only (a worker's collection froze the window)
    return app


def show_startup_error(title: str, message: str) -> None:
    """A modal message box for problems that stop the app from starting."""
    from PySide6.QtWidgets import QMessageBox  # message boxes: none is needed for the first paint

    box = QMessageBox(QMessageBox.Icon.Critical, title, message)
    box.exec()


def open_context(
    settings: Settings, store: CredentialStore | None = None, *, password: PasswordSource | None = None
) -> AppContext:
    """Database (migrated), user (the first start creates a parts manager) and task runner."""
    db: Database = open_database(settings, store, password=password)
    try:
        # missing statistics, before the first queries (index scans need them); a size that drifted is
        # checked after the first paint (``refresh_drifted_statistics``: it counts the stock table)
        refresh_planner_statistics(db, check=statistics_are_missing)
        actor = login(db, settings)
    except Exception:
        db.dispose()
        raise
    return AppContext(db=db, actor=actor, settings=settings, runner=TaskRunner())


def open_context_asking(
    settings: Settings, ask: Callable[[LoginRefused], str | None], store: CredentialStore | None = None
) -> AppContext:
    """``open_context``; when the server refuses the login, ``ask`` for its password until it is accepted
    (None: the user gave up, and the refusal is raised). An accepted password is kept in the OS keyring."""
    try:
        return open_context(settings, store)
    except LoginRefused as first:
        refused = first
    from vmi_desktop.secrets import KeyringError, default_store  # only once a password must be asked for

    while True:
        typed = ask(refused)
        if typed is None:
            raise refused
        try:
            ctx = open_context(settings, store, password=_fixed_password(typed))
        except LoginRefused as again:
            refused = again
            continue
        try:
            (store or default_store()).set_login_password(
                refused.host, refused.port, refused.database, refused.login, typed
            )
        except KeyringError as exc:
            log.warning("the database password is used for this session only: %s", exc)
        return ctx


def _fixed_password(secret: str) -> PasswordSource:
    def source(_host: str, _port: int, _database: str, _login: str) -> str:
        return secret

    return source


def ask_password(refused: LoginRefused) -> str | None:
    """A modal prompt for the login's password (None when cancelled)."""
    from vmi_desktop.ui.dialogs.login import LoginDialog

    dialog = LoginDialog(refused)
    return dialog.password_text() if dialog.exec() == LoginDialog.DialogCode.Accepted else None


def keyring_problem(store: CredentialStore) -> KeyringError | None:
    """Why supplier credentials cannot be read now (no keyring, locked file, ...), or None."""
    from vmi_desktop.secrets import KeyringError

    try:
        store.backend  # noqa: B018 - resolving the backend is the check
    except KeyringError as exc:
        return exc
    return None


def keyring_notice(problem: KeyringError) -> str:
    """What the user is told, once, about sync being off for want of a keyring."""
    from vmi_desktop.secrets import NoSecureKeyringError

    if isinstance(problem, NoSecureKeyringError):
        return KEYRING_NOTICE
    return f"{problem}\n\nAutomatic sync with suppliers stays off until then."


def _notice_keyring_once(window: MainWindow, problem: KeyringError) -> None:
    """Say once per machine, clearly, why sync is off; later starts log it and show it in the status bar."""
    text = keyring_notice(problem)
    log.warning("automatic sync is off: %s", " ".join(text.split()))
    window.show_message("Automatic sync is off: supplier credentials need a keyring (see Sync > Credentials…).", 0)
    settings = window_settings()
    if settings.value("notices/keyring_missing_shown", False, type=bool):
        return
    settings.setValue("notices/keyring_missing_shown", True)
    settings.sync()
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Information, "Supplier credentials need a keyring", text, parent=window)
    box.setObjectName("keyringNotice")
    box.setModal(False)
    box.open()


def install_sync(window: MainWindow, ctx: AppContext) -> None:
    """The Sync page; its schedule starts only once credentials can be read (no failures every minute)."""
    from vmi_desktop.secrets import MasterPasswordRequired
    from vmi_desktop.ui.pages.sync import install_sync_page
    from vmi_desktop.ui.sync_worker import store_for_settings

    store = store_for_settings(ctx.settings)
    problem = keyring_problem(store)
    page = install_sync_page(window, ctx, start_scheduler=problem is None)
    if page is None or problem is None:
        return
    if not isinstance(problem, MasterPasswordRequired):  # the page itself asks to unlock the file
        _notice_keyring_once(window, problem)

    def start_when_usable() -> None:
        if store.uses_encrypted_file and not store.needs_master_password and not page.scheduler.running:
            log.info("supplier credentials are usable now; automatic sync starts")
            page.scheduler.start()
            timer.stop()

    timer = QTimer(page)
    timer.setInterval(2000)
    timer.timeout.connect(start_when_usable)
    timer.start()


def refresh_drifted_statistics(ctx: AppContext) -> None:
    """On the task runner: ANALYZE again when the stock table's size drifted far from its statistics."""
    ctx.runner.run(lambda _report: refresh_planner_statistics(ctx.db, check=statistics_have_drifted))


def _install_sync_safely(window: MainWindow, ctx: AppContext) -> None:
    try:  # the Sync page (roles that may run sync); the app still works without it
        install_sync(window, ctx)
    except Exception:  # an import or start-up problem of one page must not keep the app from working
        log.exception("the Sync page is not available")


def warm_up_imports() -> None:
    """Import the chart library and the commands while the user reads the first page, so the first chart
    and the first action open fast."""
    for module in ("vmi_desktop.ui.charts", "vmi_desktop.commands.worklist", "vmi_desktop.commands.stock"):
        try:
            importlib.import_module(module)
        except Exception:  # a problem shows where the module is used
            log.exception("%s could not be imported", module)


def _smoke(app: QApplication, widget: QWidget, what: str) -> Callable[[], None] | None:
    """``VMI_SMOKE_QUIT_MS``: the reporter that says ``widget`` is shown (a wizard: on its first event-loop
    turn; the main window: call it at its first paint), then quits N ms after the deferred start-up steps
    have run (so a bundle's smoke test imports what they import). None when the variable is not set."""
    raw = os.environ.get(ENV_SMOKE_QUIT_MS)
    if not raw:
        return None
    delay = max(0, int(raw))

    def shown() -> None:
        print(f"vmi-desktop: {what} shown ({process_age_ms():.0f} ms after start)", file=sys.stderr, flush=True)
        startup.after_first_paint(lambda: QTimer.singleShot(delay, finish))

    def finish() -> None:
        shot = os.environ.get(ENV_SMOKE_SCREENSHOT)
        if shot:  # just before quitting, so what loads in the background is in the picture
            widget.grab().save(shot)
        widget.close()
        app.quit()

    return shown


def first_run(settings: Settings) -> SetupResult | Settings | None:
    """On a first start, the wizard's setup (None: cancelled); otherwise ``settings`` unchanged."""
    from vmi_desktop.first_run import needs_first_run

    if not needs_first_run(settings):
        return settings
    from vmi_desktop.ui.first_run import FirstRunWizard

    log.info("first start: no database yet, showing the first-run wizard")
    wizard = FirstRunWizard(settings)
    app = QApplication.instance()
    shown = _smoke(app, wizard, "first-run wizard") if isinstance(app, QApplication) else None
    if shown is not None:
        QTimer.singleShot(0, shown)
    if wizard.exec() != FirstRunWizard.DialogCode.Accepted or wizard.setup_result is None:
        log.info("first-run wizard cancelled; nothing was set up")
        return None
    return wizard.setup_result


def run_app(settings: Settings) -> int:
    """Run the GUI until the window closes; a database or user problem is shown, not thrown."""
    from vmi_desktop.ui.crash import install_crash_handlers

    app = application()
    crash_handler = install_crash_handlers(parent=app)
    try:
        return _run(app, settings)
    finally:
        crash_handler.uninstall()


def _run(app: QApplication, settings: Settings) -> int:
    chosen = first_run(settings)
    if chosen is None:
        return 0
    setup = chosen if isinstance(chosen, SetupResult) else None
    try:
        ctx = open_context_asking(setup.settings if setup is not None else settings, ask_password)
    except DatabaseTooNewError as exc:
        show_startup_error("Database is newer than this app", str(exc))
        return 2
    except (DatabaseError, VmiError) as exc:
        show_startup_error("Cannot start VMI Desktop", str(exc))
        return 2
    log.info("VMI Desktop %s on %s as %s", __version__, ctx.db.display_name(), ctx.actor.name)
    try:
        _window = _show_window(app, ctx, setup)  # kept until the event loop ends
        return int(app.exec())
    finally:
        startup.reset()
        ctx.runner.wait(10000)
        ctx.db.dispose()


def _show_window(app: QApplication, ctx: AppContext, setup: SetupResult | None) -> MainWindow:
    """Build and show the main window; what its first paint does not need waits until after it (the
    order and the reasons: ``ui.startup``)."""
    startup.hold_until_painted()
    window = MainWindow(ctx)  # the frame and the start page with its first rows; the count waits
    reporters = [r for r in (ready_reporter(window), _smoke(app, window, "main window")) if r is not None]
    startup.release_on_first_paint(window, reporters)
    window.show()
    startup.after_first_paint(lambda: refresh_drifted_statistics(ctx))
    startup.after_first_paint(lambda: _install_sync_safely(window, ctx))
    if setup is not None and setup.start is StartWith.IMPORT:
        from vmi_desktop.ui.first_run import open_import_after_setup

        startup.after_first_paint(lambda: open_import_after_setup(window))
    startup.after_first_paint(lambda: QTimer.singleShot(1500, warm_up_imports))
    return window
