"""The first-run wizard: where the data lives, who manages it, and what it starts with.

Shown on a first start with no database (see :func:`vmi_desktop.first_run.needs_first_run`).
Pages: database (built-in or PostgreSQL) -> server (URL, password, "Test
connection") -> parts manager -> start with (demo data, empty, or import when
that exists) -> setting up (progress; Finish once the database works).
Connecting and setting up run on the task runner, never on the UI thread. The
work itself is in :mod:`vmi_desktop.first_run`; this module only asks and shows.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from vmi_desktop import APP_NAME
from vmi_desktop.config import DEFAULT_DB_FILENAME, Settings, current_os_user
from vmi_desktop.first_run import (
    ServerIdentity,
    SetupRequest,
    SetupResult,
    StartWith,
    import_available,
    pgpass_path,
    probe_server,
    set_up_database,
)
from vmi_desktop.ui.tasks import TaskRunner
from vmi_desktop.ui.widgets import error_label

log = logging.getLogger(__name__)

PAGE_DATABASE, PAGE_SERVER, PAGE_MANAGER, PAGE_START, PAGE_SETUP = range(5)
IMPORT_PENDING_TEXT = "coming with file import"


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class DatabasePage(QWizardPage):
    """Built-in SQLite file or a shared PostgreSQL server."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.setTitle(f"Welcome to {APP_NAME}")
        self.setSubTitle("Where should VMI Desktop keep its data?")
        self.builtin = QRadioButton("&Built-in database on this computer (one workstation)")
        self.builtin.setObjectName("useBuiltin")
        self.postgres = QRadioButton("A shared &PostgreSQL server (several workstations)")
        self.postgres.setObjectName("usePostgres")
        self.builtin.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.builtin)
        group.addButton(self.postgres)
        layout = QVBoxLayout(self)
        layout.addWidget(self.builtin)
        layout.addWidget(_note(f"A SQLite file: {settings.data_dir / DEFAULT_DB_FILENAME}. Nothing else to install."))
        layout.addSpacing(12)
        layout.addWidget(self.postgres)
        layout.addWidget(
            _note("Every workstation points at the same database. You need its URL, and a login on the server.")
        )
        layout.addStretch(1)

    def nextId(self) -> int:
        return PAGE_SERVER if self.postgres.isChecked() else PAGE_MANAGER


class ServerPage(QWizardPage):
    """URL and password, and a connection test that says who the server thinks we are."""

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__()
        self.runner = runner
        self.setTitle("PostgreSQL server")
        self.setSubTitle("Connect to the shared database. Next is enabled once the connection works.")
        self.url = QLineEdit()
        self.url.setObjectName("databaseUrl")
        self.url.setPlaceholderText("postgresql://you@db.example.org:5432/vmi")
        self.password = QLineEdit()
        self.password.setObjectName("databasePassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("leave empty if the server needs none, or ~/.pgpass has it")
        self.test_button = QPushButton("&Test connection")
        self.test_button.setObjectName("testConnection")
        self.result_label = _note("")
        self.result_label.setObjectName("connectionResult")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("Database &URL:", self.url)
        form.addRow("Pass&word:", self.password)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(
            _note(
                f"A password you type is kept only in {pgpass_path()} (readable by you alone), where "
                "PostgreSQL's own tools look for it; never in VMI Desktop's settings."
            )
        )
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        layout.addLayout(test_row)
        layout.addWidget(self.result_label)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.identity: ServerIdentity | None = None
        self._tested: tuple[str, str] | None = None
        self._testing = False
        self.test_button.clicked.connect(self.test_connection)
        self.url.textChanged.connect(self._inputs_changed)
        self.password.textChanged.connect(self._inputs_changed)

    def _inputs(self) -> tuple[str, str]:
        return self.url.text().strip(), self.password.text()

    def _inputs_changed(self) -> None:
        if self._tested is not None and self._tested != self._inputs():
            self.identity = None
            self._tested = None
            self.result_label.setText("")
        self.completeChanged.emit()

    def test_connection(self) -> None:
        """Connect in the background; the result line says who we are on which server."""
        url, password = self._inputs()
        if not url or self._testing:
            return
        self._testing = True
        self.test_button.setEnabled(False)
        self.error.setText("")
        self.result_label.setText("Connecting…")

        def done(identity: ServerIdentity) -> None:
            self.identity = identity
            self._tested = (url, password)
            state = (
                f"It already holds VMI Desktop data ({len(identity.usernames)} users): this workstation joins it."
                if identity.usernames
                else "VMI Desktop will create its tables there."
            )
            self.result_label.setText(
                f"✔ Connected to database {identity.database} as {identity.user}, {identity.short_version}.\n{state}"
            )
            self.completeChanged.emit()

        def failed(exc: BaseException) -> None:
            self.identity = None
            self._tested = None
            self.result_label.setText("")
            self.error.setText(str(exc))
            self.completeChanged.emit()

        def finished() -> None:
            self._testing = False
            self.test_button.setEnabled(True)

        self.runner.run(
            lambda _report: probe_server(url, password), on_result=done, on_error=failed, on_finished=finished
        )

    def isComplete(self) -> bool:
        return self.identity is not None and self._tested == self._inputs()


class ManagerPage(QWizardPage):
    """The first parts manager (an empty database), or who you are on one that has users."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.setTitle("Parts manager")
        self.username = QLineEdit(settings.username or current_os_user())
        self.username.setObjectName("managerName")
        self.explain = _note("")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("User &name:", self.username)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explain)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.username.textChanged.connect(lambda _t: self.completeChanged.emit())

    def existing_users(self) -> tuple[str, ...]:
        wizard = self.wizard()
        return wizard.existing_users() if isinstance(wizard, FirstRunWizard) else ()

    def login(self) -> str | None:
        """On PostgreSQL the login the server named (it is the user: nothing to choose), else None."""
        wizard = self.wizard()
        if isinstance(wizard, FirstRunWizard) and wizard.uses_postgres() and wizard.server_page.identity is not None:
            return wizard.server_page.identity.user
        return None

    def initializePage(self) -> None:
        users = self.existing_users()
        login = self.login()
        self.username.setReadOnly(login is not None)
        if login is not None:
            self.username.setText(users[0] if users else login)
            self.setSubTitle("On a PostgreSQL server your database login is who you are.")
            self.explain.setText(
                f"The login {login} is the app user {users[0]} of this database."
                if users
                else f"The login {login} becomes the first parts manager of this database (it must own the "
                "database, or be a superuser). Other people get logins of their own from the Users page."
            )
            return
        if users:
            self.setSubTitle("This database already has users.")
            self.explain.setText(
                "Work as one of them (" + ", ".join(users[:10]) + ("…" if len(users) > 10 else "") + "). "
                "If you are not among them, ask a parts manager to add you first."
            )
        else:
            self.setSubTitle("The first user of a new database manages it.")
            self.explain.setText(
                "The parts manager keeps SKUs, locations, vendors and agreements, decides held orders and adds "
                "the other users. It defaults to your login name on this computer."
            )

    def isComplete(self) -> bool:
        name = self.username.text().strip()
        users = self.existing_users()
        if self.login() is not None:
            self.error.setText("")
            return bool(name)
        if users and name not in users:
            self.error.setText(f"{name or 'That name'} is not a user of this database.")
            return False
        self.error.setText("")
        return bool(name)

    def nextId(self) -> int:
        return PAGE_SETUP if self.existing_users() else PAGE_START


class StartPage(QWizardPage):
    """Demo data, an empty database, or (once it exists) an import of master data."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Start with")
        self.setSubTitle("What should the new database hold?")
        self.demo = QRadioButton("&Demo data: 500 parts at 3 locations, 6 suppliers, two years of history")
        self.demo.setObjectName("startDemo")
        self.empty = QRadioButton("&Empty: enter your own parts, locations and suppliers")
        self.empty.setObjectName("startEmpty")
        self.importer = QRadioButton()
        self.importer.setObjectName("startImport")
        self.empty.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.demo, self.empty, self.importer):
            group.addButton(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.demo)
        layout.addWidget(_note("To try the app: every page and chart has something to show. Not for real work."))
        layout.addSpacing(8)
        layout.addWidget(self.empty)
        layout.addSpacing(8)
        layout.addWidget(self.importer)
        self.import_note = _note("")
        self.import_note.setObjectName("importNote")
        layout.addWidget(self.import_note)
        layout.addStretch(1)
        self.set_import_available(import_available())

    def set_import_available(self, available: bool) -> None:
        """Offer the import choice only when the import feature is there."""
        self.importer.setEnabled(available)
        if available:
            self.importer.setText("&Import master data from CSV or XLSX files")
            self.import_note.setText("After setup, the import opens for SKUs, locations, vendors and agreements.")
        else:
            self.importer.setText(f"Import master data from CSV or XLSX files ({IMPORT_PENDING_TEXT})")
            self.import_note.setText("")
            if self.importer.isChecked():
                self.empty.setChecked(True)

    def choice(self) -> StartWith:
        if self.demo.isChecked():
            return StartWith.DEMO
        if self.importer.isChecked() and self.importer.isEnabled():
            return StartWith.IMPORT
        return StartWith.EMPTY

    def nextId(self) -> int:
        return PAGE_SETUP


class SetupPage(QWizardPage):
    """Runs the setup when shown; Finish is enabled once the database works."""

    def __init__(self, runner: TaskRunner) -> None:
        super().__init__()
        self.runner = runner
        self.setTitle("Setting up")
        self.setSubTitle("Creating the tables, the parts manager and the first data.")
        self.setFinalPage(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = _note("")
        self.status.setObjectName("setupStatus")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.result: SetupResult | None = None
        self._done_for: SetupRequest | None = None
        self._running = False

    def initializePage(self) -> None:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        request = wizard.request()
        if self._done_for == request:
            return  # came back to this page with the same answers: already done
        self.result = None
        self.error.setText("")
        self.progress.setValue(0)
        self.status.setText("Creating the database…")
        self._running = True
        self.completeChanged.emit()
        settings = wizard.settings

        def work(report: Any) -> SetupResult:
            return set_up_database(settings, request, progress=lambda stage, f: report(f, stage))

        def progress(fraction: float, stage: str) -> None:
            self.progress.setValue(int(fraction * 100))
            self.status.setText(f"{stage[:1].upper()}{stage[1:]}…" if stage != "done" else "Done.")

        def done(result: SetupResult) -> None:
            self.result = result
            self._done_for = request
            # Back stays while the setup failed (to change an answer), not once it worked.
            wizard.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, True)
            self.progress.setValue(100)
            lines = [f"Database ready: {_display(result.settings)}."]
            if result.created_manager:
                lines.append(f"{request.manager} is its parts manager.")
            if result.demo_loaded:
                lines.append("Demo data loaded.")
            if result.settings_file is not None:
                lines.append(f"This choice is remembered in {result.settings_file}.")
            self.status.setText("\n".join(lines))

        def failed(exc: BaseException) -> None:
            self.status.setText("")
            self.error.setText(f"{exc}\nGo back to change your answers, or Cancel.")

        def finished() -> None:
            self._running = False
            self.completeChanged.emit()

        self.runner.run(work, on_result=done, on_error=failed, on_progress=progress, on_finished=finished)

    def isComplete(self) -> bool:
        return self.result is not None and not self._running


def _display(settings: Settings) -> str:
    """The database for people: the built-in file's path, or the server URL without password."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return f"the built-in database {url.database}"
    return url.render_as_string(hide_password=True)


class FirstRunWizard(QWizard):
    """The wizard; after ``exec()`` returns Accepted, :attr:`setup_result` holds the settings to start with."""

    def __init__(self, settings: Settings, runner: TaskRunner | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.runner = runner or TaskRunner(self)
        self.setWindowTitle(f"{APP_NAME}: first start")
        self.setObjectName("firstRunWizard")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.database_page = DatabasePage(settings)
        self.server_page = ServerPage(self.runner)
        self.manager_page = ManagerPage(settings)
        self.start_page = StartPage()
        self.setup_page = SetupPage(self.runner)
        self.setPage(PAGE_DATABASE, self.database_page)
        self.setPage(PAGE_SERVER, self.server_page)
        self.setPage(PAGE_MANAGER, self.manager_page)
        self.setPage(PAGE_START, self.start_page)
        self.setPage(PAGE_SETUP, self.setup_page)
        self.setStartId(PAGE_DATABASE)
        #: SKUs and days of history of the demo data (the CLI's defaults; tests make it small).
        self.demo_size = (500, 730)
        self.resize(640, 480)

    def uses_postgres(self) -> bool:
        return self.database_page.postgres.isChecked()

    def existing_users(self) -> tuple[str, ...]:
        """Users of the chosen PostgreSQL database, when it already holds VMI Desktop's tables."""
        identity = self.server_page.identity if self.uses_postgres() else None
        return identity.usernames if identity is not None else ()

    def request(self) -> SetupRequest:
        """The answers so far, as the setup step takes them."""
        url, password = self.server_page._inputs() if self.uses_postgres() else ("", "")
        start = StartWith.EMPTY if self.existing_users() else self.start_page.choice()
        return SetupRequest(
            manager=self.manager_page.username.text().strip(),
            start=start,
            database_url=url,
            password=password,
            demo_skus=self.demo_size[0],
            demo_days=self.demo_size[1],
        )

    @property
    def setup_result(self) -> SetupResult | None:
        """The finished setup (None until the setup page succeeded)."""
        return self.setup_page.result

    def done(self, code: int) -> None:
        self.runner.wait(15000)  # a connection test or setup still running finishes first
        super().done(code)


def run_first_run_wizard(settings: Settings, parent: QWidget | None = None) -> SetupResult | None:
    """Show the wizard modally; the setup result, or None when the user cancelled."""
    wizard = FirstRunWizard(settings, parent=parent)
    accepted = wizard.exec() == QWizard.DialogCode.Accepted
    return wizard.setup_result if accepted else None


def open_import_after_setup(window: QWidget) -> bool:
    """Open the master-data import on the new window (the wizard's "import" choice).

    The import feature wires itself by giving the main window an ``open_import()``
    method (File > Import…); until then nothing happens. True when opened.
    """
    opener = getattr(window, "open_import", None)
    if callable(opener):
        opener()
        return True
    log.info("the import was chosen, but this build has no import window yet")
    return False
